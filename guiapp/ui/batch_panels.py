"""The panels of the Batch-effects page: the metrics with traffic lights, batch × label, and
samples that are not independent (the remedy is in ``guiapp.ui.batch_remedy``).

Each panel reads the study in ``show(study)`` and holds no science; what the user asks for
leaves as a signal, and the page runs the core call through the task runner.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from guiapp.core.batch.effects import (
    pairs_across_current_split,
)
from guiapp.core.batch.metrics import SCALED
from guiapp.core.batch.views import describe_pairs, stored_metrics
from guiapp.ui.widgets import Banner, ResultTable, value_label

LIGHT_COLOURS = {"green": "#2e7d32", "amber": "#f0a30a", "red": "#c62828"}
NOT_MEASURED = "#bdbdbd"
# scib's batch ASW runs the other way (1 = mixed) from the batch silhouette the reading and the
# findings use (0 = mixed, 1 = apart): one silhouette scale is shown, the batch silhouette's.
HIDDEN_METRICS = ("batch_asw",)
MAX_SUGGESTIONS = 3
CONFOUNDED_CODE = "batch-confounded"


@cache
def light_icon(light: str | None, size: int = 14) -> QIcon:
    """A filled traffic-light dot (grey ring when the metric was not measured)."""
    pixmap = QPixmap(size * 2, size * 2)
    pixmap.setDevicePixelRatio(2.0)
    pixmap.fill(Qt.transparent)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.Antialiasing)
    p.setPen(Qt.NoPen)
    p.setBrush(QColor(LIGHT_COLOURS.get(light, NOT_MEASURED)))
    p.drawEllipse(1, 1, size - 2, size - 2)
    p.end()
    return QIcon(pixmap)


def number_text(v, digits: int = 2) -> str:
    return "—" if v is None else f"{v:.{digits}f}"


def metric_value_text(m) -> str:
    """The value, with what it was judged on below it (the scaled LISI, the classifier's odds)."""
    if m.value is None:
        return "not measured"
    if m.key in ("ilisi", "clisi") and m.normalised is not None:
        return f"{m.value:.2f}\n{SCALED[m.key]}: {m.normalised:.2f}"
    if m.key == "predictability":
        acc, chance, p = (m.extra.get(k) for k in ("accuracy", "chance", "p_value"))
        if acc is not None and chance is not None:
            return f"{m.value:.2f}\naccuracy {acc:.0%}, chance {chance:.0%}" + (
                f"\npermutation p = {p:.2g}" if p is not None else ""
            )
    return f"{m.value:.2f}"


def light_word(light: str | None) -> str:
    return light or "—"


class MetricsTable(ResultTable):
    """Each metric: traffic light, name, value, range and what it means in plain words."""

    HEADERS = ["light", "metric", "value", "range", "what it means"]

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Batch metrics with traffic lights", parent)
        self.lights: dict = {}
        self.shown_lights: dict = {}
        self.has_rows = False
        self.details = False

    def show_study(self, study) -> None:
        metrics = stored_metrics(study)
        self.lights = {m.key: m.light for m in metrics}
        metrics = [m for m in metrics if m.key not in HIDDEN_METRICS]
        self.shown_lights = {m.key: m.light for m in metrics}
        rows = [
            [light_word(m.light), m.name, metric_value_text(m), f"{m.low:g} … {m.high:g}", m.meaning] for m in metrics
        ]
        self.fill(self.HEADERS, rows, wrap_column=4)
        for r, m in enumerate(metrics):
            self.item(r, 0).setIcon(light_icon(m.light))
        self.has_rows = bool(metrics)
        self.setVisible(self.has_rows and self.details)
        self._fit_rows()

    def set_details(self, on: bool) -> None:
        self.details = on
        self.setVisible(on and self.has_rows)

    def _fit_rows(self) -> None:
        # The meaning column wraps, so row heights follow the table's width: show every row.
        self.resizeRowsToContents()
        height = self.horizontalHeader().height() + 2 * self.frameWidth() + 4
        height += sum(self.rowHeight(r) for r in range(self.rowCount()))
        self.setFixedHeight(max(height, 60))

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._fit_rows()


class ConfoundingPanel(QWidget):
    """Batch × label: the table, Cramér's V, the chi-square p, single-label batches, the warning."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.summary = value_label("Batch and label summary")
        self.warning = Banner("error")
        self.warning.setAccessibleName("Batch confounded with the label")
        self.table = ResultTable("Samples per batch and label")
        for w in (self.summary, self.warning, self.table):
            layout.addWidget(w)

    @property
    def warning_shown(self) -> bool:
        return bool(self.warning.text()) and not self.warning.isHidden()

    def show_study(self, study) -> None:
        b = study.batch
        confounded = next((f for f in study.findings if f.code == CONFOUNDED_CODE), None)
        self.warning.show_message(confounded.message if confounded else "")
        if not b.contingency:
            self.summary.setText(
                "Needs a batch column and a look for batch effects."
                if not study.data.batch
                else "Look for batch effects to see how batch and label go together."
            )
            self.table.hide()
            return
        batches = list(b.contingency)
        if b.cramers_v is None:  # regression: samples and mean label per batch
            self.summary.setText(b.reading.split(". ")[-1] if b.reading else "")
            rows = [[name, cell.get("n", ""), number_text(cell.get("mean"))] for name, cell in b.contingency.items()]
            self.table.fill(["batch", "samples", "mean label"], rows)
            self.table.show()
            return
        single = "; ".join(f"{s['batch']} holds only {s['label']!r} ({s['n']})" for s in b.single_label_batches)
        p = "—" if b.confounding_p is None else f"{b.confounding_p:.2g}"
        self.summary.setText(
            f"Cramér's V = {b.cramers_v:.2f} (0: batch says nothing about the label; 1: batch decides "
            f"it) · chi-square p = {p} · batches holding a single label: {single or 'none'}."
            + (" Batch is confounded with the label." if b.confounded else "")
        )
        labels = sorted({lab for row in b.contingency.values() for lab in row}, key=str)
        rows = [
            [name, *[b.contingency[name].get(lab, 0) for lab in labels], sum(b.contingency[name].values())]
            for name in batches
        ]
        self.table.fill(["batch", *labels, "total"], rows)
        self.table.show()


class IndependencePanel(QWidget):
    """Suggested group columns (with a button each) and copies of samples across the split."""

    use_group = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.group_line = value_label("Group column")
        layout.addWidget(self.group_line)
        self.suggestion_rows = []
        for _ in range(MAX_SUGGESTIONS):
            row = QWidget()
            h = QHBoxLayout(row)
            h.setContentsMargins(0, 0, 0, 0)
            text = QLabel()
            text.setWordWrap(True)
            button = QPushButton("Use as group column")
            button.setToolTip("Keep all samples of each value on one side of the split (Tip 7).")
            button.clicked.connect(lambda _=False, r=row: self.use_group.emit(r.property("column")))
            h.addWidget(text, 1)
            h.addWidget(button)
            row.hide()
            layout.addWidget(row)
            self.suggestion_rows.append((row, text, button))
        self.copies = value_label("Copies of samples")
        layout.addWidget(self.copies)
        self.pairs = ResultTable("Copies of samples on both sides of the split")
        layout.addWidget(self.pairs)

    @property
    def buttons(self) -> list:
        return [button for _row, _text, button in self.suggestion_rows]

    def suggested_columns(self) -> list:
        return [row.property("column") for row, _t, _b in self.suggestion_rows if not row.isHidden()]

    def show_study(self, study) -> None:
        b, d = study.batch, study.data
        self.group_line.setText(
            f"Group column: '{d.group}'. Its samples are kept on one side by the group split."
            if d.group
            else "No group column is set: every sample counts as independent."
        )
        suggestions = [s for s in b.group_suggestions if s.get("column") != d.group][:MAX_SUGGESTIONS]
        for i, (row, text, _button) in enumerate(self.suggestion_rows):
            if i < len(suggestions):
                s = suggestions[i]
                row.setProperty("column", s["column"])
                text.setText(f"'{s['column']}' may name a donor, patient or animal: {s.get('reason', '')}.")
                row.show()
            else:
                row.hide()
        if not b.explained_variance:
            self.copies.setText("Look for batch effects to search for copies of samples.")
            self.pairs.hide()
            return
        exact = sum(1 for pr in b.duplicate_pairs if pr[2] == "exact")
        near = len(b.duplicate_pairs) - exact
        text = f"Copies of samples: {exact} exact and {near} near pair(s)."
        across = pairs_across_current_split(study) if study.split.train_idx else []
        if not study.split.train_idx:
            text += " Draw the split to see which of them would fall on both sides."
        elif across:
            text += (
                f" {len(across)} pair(s) sit on both sides of the split: the scores would "
                "reward remembering a sample. Mark a group column or remove the copies."
            )
        else:
            text += " None of them sits on both sides of the split."
        self.copies.setText(text)
        rows = [[r["a"], r["b"], r["kind"], r["parts"]] for r in describe_pairs(study, across)]
        self.pairs.fill(["sample", "its copy", "kind", "parts"], rows)
        self.pairs.setVisible(bool(rows))
