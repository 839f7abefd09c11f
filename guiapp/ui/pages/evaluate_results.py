"""The Evaluate page's results under the tune scores: the ROC, precision–recall and reliability
plots (or the residuals of a regression), the confusion matrix, and the scores per batch and
per subgroup. Each plot's title names the split it shows. Also the models × metrics tables of the
tune split and the test set.

Not a page: ``pages/evaluate.py`` builds and fills these with its own widgets.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QHeaderView

from guiapp.core.evaluation import subgroups
from guiapp.core.stats import metrics
from guiapp.ui.eval_plots import residual_scatter, xy_lines
from guiapp.ui.page_fit import cap_height
from guiapp.ui.pages.evaluate_words import SCORE_LEGEND, score_header
from guiapp.ui.plots import PlotArea
from guiapp.ui.widgets import ResultTable, heading


def build_curves(page) -> None:
    """The curves and the confusion matrix, under the tune scores."""
    page.body.addWidget(heading("Curves and calibration"))
    row = QHBoxLayout()
    page.roc_plot = PlotArea("The ROC curve appears here.", "ROC curve", min_height=240)
    page.pr_plot = PlotArea("The precision–recall curve appears here.", "Precision-recall curve", min_height=240)
    page.calibration_plot = PlotArea("The reliability diagram appears here.", "Reliability diagram", min_height=240)
    for area in (page.roc_plot, page.pr_plot, page.calibration_plot):
        row.addWidget(area)
    page.body.addLayout(row)
    page.residual_plot = PlotArea("The residuals appear here.", "Residual plot", min_height=240)
    page.body.addWidget(page.residual_plot)
    cap_height(240, page.roc_plot, page.pr_plot, page.calibration_plot, page.residual_plot)
    page.confusion_title = heading("Confusion matrix")
    page.confusion_title.setAccessibleName("Confusion matrix title")
    page.body.addWidget(page.confusion_title)
    page.confusion_table = ResultTable("Confusion matrix")
    page.body.addWidget(page.confusion_table)


def show_curves(page, panel: dict, split: str = "tune") -> None:
    """The ROC, precision–recall and reliability plots (or the residuals) and the confusion matrix."""
    details = (panel or {}).get("details") or {}
    classification = page.study.is_classification
    for area in (page.roc_plot, page.pr_plot, page.calibration_plot):
        area.setVisible(classification)
    page.residual_plot.setVisible(not classification)
    for area, name in (
        (page.roc_plot, "ROC curve"),
        (page.pr_plot, "Precision–recall curve"),
        (page.calibration_plot, "Reliability diagram"),
        (page.residual_plot, "Residuals"),
    ):
        area.title = f"{name} · {split} split ({(panel or {}).get('n', '?')} samples)"
    shown = classification and bool(details.get("confusion"))
    page.confusion_table.setVisible(shown)
    page.confusion_title.setVisible(shown)
    page.confusion_title.setText(f"Confusion matrix · {split} split (counts of samples)")
    if not details:
        for area in (page.roc_plot, page.pr_plot, page.calibration_plot, page.residual_plot):
            area.show_placeholder()
        return
    if not classification:
        res = details.get("residuals") or {}
        residual_scatter(page.residual_plot, res.get("predicted", []), res.get("residual", []))
        return
    curves = details.get("curves") or []
    roc = [(c["class"] if len(curves) > 1 else "network", c["roc"]["fpr"], c["roc"]["tpr"]) for c in curves if c["roc"]]
    pr = [
        (c["class"] if len(curves) > 1 else "network", c["pr"]["recall"], c["pr"]["precision"])
        for c in curves
        if c["pr"]
    ]
    xy_lines(
        page.roc_plot,
        roc,
        x_label="false positive rate",
        y_label="true positive rate",
        unit_square=True,
        diagonal=True,
    )
    prevalence = curves[0]["pr"]["prevalence"] if len(curves) == 1 and curves[0]["pr"] else None
    xy_lines(
        page.pr_plot,
        pr,
        x_label="recall",
        y_label="precision",
        unit_square=True,
        hline=(prevalence, f"prevalence {prevalence:.2f}") if prevalence is not None else None,
    )
    rel = details.get("reliability") or {}
    xy_lines(
        page.calibration_plot,
        [("network", rel.get("predicted", []), rel.get("observed", []))],
        x_label=f"predicted probability ({rel.get('of', '')})",
        y_label="observed frequency",
        unit_square=True,
        diagonal=True,
        symbols=True,
    )
    classes = details.get("classes") or []
    c = details.get("confusion") or []
    page.confusion_table.fill(
        ["true \\ predicted"] + [str(k) for k in classes],
        [[str(classes[i])] + [str(v) for v in row] for i, row in enumerate(c)],
    )


def show_groups(page, results: list, split: str) -> None:
    """The scores per batch and per subgroup, with the groups that do clearly worse marked."""
    rows = []
    for r in results:
        metric = r["metric"]
        for g in r["groups"]:
            rows.append(
                [
                    r["factor"],
                    g["group"],
                    str(g["n"]),
                    metrics.format_metric(metric, g["metrics"]),
                    "—" if g["gap"] is None else f"{-g['gap']:+.3f}",
                    "clearly worse" if g["flagged"] else "",
                ]
            )
    if rows:
        name = metrics.DISPLAY_NAMES.get(results[0]["metric"], results[0]["metric"])
        page.groups_table.fill(["factor", "group", "n", f"{name} ({split})", "vs whole split", ""], rows)
        page.groups_table.show()
        page.groups_note.setText(
            f"A group is marked when it scores more than {subgroups.GAP_FLAG:.2f} below "
            f"the whole split with its interval below it too, and has at least "
            f"{subgroups.MIN_GROUP_SIZE} samples."
        )
    else:
        page.groups_table.hide()
        page.groups_note.setText(
            "No batch column or subgroup chosen: tick subgroup columns above "
            "(site, sex, age…) to see how each group fares."
        )


class ScoreTable(ResultTable):
    """A models × metrics table: the metric columns as narrow as their titles and scores, the model
    column taking the width left and wrapping, the table as tall as its wrapped rows (it never
    scrolls inside itself)."""

    def __init__(self, accessible_name: str) -> None:
        super().__init__(accessible_name)
        self.horizontalHeader().setMinimumSectionSize(36)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setWordWrap(True)
        # The model names wrap anew whenever their column's width changes: the rows follow once the
        # header has laid the columns out, then the table's height follows the rows.
        self._refit = QTimer(self)
        self._refit.setSingleShot(True)
        self._refit.setInterval(0)
        self._refit.timeout.connect(self.fit_height)
        self.horizontalHeader().sectionResized.connect(lambda column, _old, _new: column == 0 and self._refit.start())
        self.verticalHeader().sectionResized.connect(lambda *_: self._fit_rows())

    def fit_height(self) -> None:
        self.resizeRowsToContents()
        self._fit_rows()

    def _fit_rows(self) -> None:
        rows = sum(self.rowHeight(r) for r in range(self.rowCount()))
        self.setFixedHeight(self.horizontalHeader().sizeHint().height() + 2 * self.frameWidth() + rows + 2)


def show_scores(table: ScoreTable, legend, scores: dict, split: str) -> None:
    """The models × metrics table of one split: models down, metrics across, the best of each metric
    marked ★ and bold, each score's 95% interval in its tooltip."""
    columns = scores["columns"]
    table.fill(
        ["model"] + [score_header(k, name) for k, name in columns],
        [[r["model"]] + [f"{t} ★" if best else t for t, best in r["cells"]] for r in scores["rows"]],
        tooltips=[
            [r["model"]]
            + [
                f"{name} of {r['model']} on the {split} split: {t}" + interval_words(ci)
                for (_, name), (t, _best), ci in zip(columns, r["cells"], r["intervals"], strict=True)
            ]
            for r in scores["rows"]
        ],
        wrap_column=0,
    )
    for c, (key, name) in enumerate(columns, start=1):
        target = " (the study's target metric)" if key == scores["target"] else ""
        table.horizontalHeaderItem(c).setToolTip(name + target)
        for r, row in enumerate(scores["rows"]):
            if row["cells"][c - 1][1]:
                font = table.item(r, c).font()
                font.setBold(True)
                table.item(r, c).setFont(font)
    table.fit_height()
    target = dict(columns).get(scores["target"])
    samples = f"Scores on the {scores['n']} {split} samples. " if scores["n"] else ""
    legend.setText(samples + SCORE_LEGEND + (f" The study's target metric is {target}." if target else ""))


def interval_words(ci: str) -> str:
    """A tooltip's interval: " (95% CI 0.850–0.960)", " (no spread: every resample scored the same)" or ""."""
    if not ci:
        return ""
    return " (no spread: every resample scored the same)" if ci.startswith("none") else f" (95% CI {ci})"
