"""The Question page's generalizability, interpretability and efficiency criteria; binds to the
``study.question`` fields that :mod:`guiapp.core.evaluation.criteria` measures. A value of 0 (shown as
"not set") sets no criterion."""

from __future__ import annotations

from PySide6.QtWidgets import QDoubleSpinBox, QFormLayout, QLineEdit, QSpinBox, QVBoxLayout, QWidget

from guiapp.ui.widgets import heading, note

NOT_SET = "not set"


def _spin(name: str, tip: str, top: float, step: float, decimals: int = 2) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(0.0, top)
    box.setDecimals(decimals)
    box.setSingleStep(step)
    box.setSpecialValueText(NOT_SET)
    box.setAccessibleName(name)
    box.setToolTip(tip)
    return box


class CriteriaPanel(QWidget):
    """Criteria beyond the metric: each is measured on the Evaluate page and reported in the card."""

    def __init__(self, page) -> None:
        super().__init__(page)
        self.page = page
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(heading("Generalizability, interpretability and efficiency"))
        box.addWidget(
            note(
                "Generalizability is measured on external cohorts (or, without one, estimated by "
                "leaving one batch out); interpretability on the network's attributions; efficiency "
                "on the trained network. Calibration is the budget above."
            )
        )
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.WrapLongRows)  # narrow windows: fields under their labels
        self.min_generalization = _spin(
            "Worst cohort score at least",
            "The target metric the worst external cohort (or held-out batch) must reach.",
            1e6,
            0.01,
            3,
        )
        form.addRow("Worst cohort reaches (target metric):", self.min_generalization)
        self.max_drop = _spin(
            "Largest drop from the internal test set",
            "How much worse than the internal test set a cohort may score.",
            1e6,
            0.01,
            3,
        )
        form.addRow("Drop from the test set at most:", self.max_drop)
        self.min_stability = _spin(
            "Attribution stability at least",
            "Rank correlation of the top features across bootstrap refits of the network.",
            1.0,
            0.05,
        )
        form.addRow("Attribution stability (ρ) at least:", self.min_stability)
        self.min_agreement = _spin(
            "Agreement with the linear baseline at least",
            "Share of the network's top features that are also the linear baseline's.",
            1.0,
            0.05,
        )
        form.addRow("Agreement with the linear baseline at least:", self.min_agreement)
        self.top_k = QSpinBox()
        self.top_k.setRange(1, 1000)
        self.top_k.setAccessibleName("Top features compared")
        form.addRow("Top features compared (k):", self.top_k)
        self.markers = QLineEdit()
        self.markers.setAccessibleName("Known markers")
        self.markers.setPlaceholderText("feature names, separated by commas (e.g. ESR1, ERBB2)")
        self.markers.setToolTip("Features known to matter; the criterion asks that at least one is among the top k.")
        form.addRow("Known markers among the top k:", self.markers)
        self.max_memory = _spin(
            "Largest peak inference memory in MB", "Peak memory to score one batch of 256 samples on the CPU.", 1e6, 1.0
        )
        form.addRow("Inference memory at most (MB):", self.max_memory)
        self.min_throughput = _spin(
            "Smallest throughput in samples per second",
            "Samples scored per second on the CPU, in batches of 256.",
            1e9,
            100.0,
            0,
        )
        form.addRow("Throughput at least (samples/s):", self.min_throughput)
        box.addLayout(form)
        self._spins = (
            self.min_generalization,
            self.max_drop,
            self.min_stability,
            self.min_agreement,
            self.max_memory,
            self.min_throughput,
        )
        for w in self._spins + (self.top_k,):
            w.valueChanged.connect(self._on_change)
        self.markers.textChanged.connect(self._on_change)

    def refresh(self) -> None:
        q = self.page.study.question
        widgets = self._spins + (self.top_k, self.markers)
        for w in widgets:
            w.blockSignals(True)
        values = (
            q.min_generalization,
            q.max_generalization_drop,
            q.min_attribution_stability,
            q.min_linear_agreement,
            q.max_inference_memory_mb,
            q.min_throughput,
        )
        for w, v in zip(self._spins, values, strict=False):
            w.setValue(float(v or 0.0))
        self.top_k.setValue(int(q.interpretability_top_k or 10))
        text = ", ".join(q.known_markers)
        if [m.strip() for m in self.markers.text().split(",") if m.strip()] != list(q.known_markers):
            self.markers.setText(text)
        for w in widgets:
            w.blockSignals(False)

    def _on_change(self, *_args) -> None:
        q = self.page.study.question
        (
            q.min_generalization,
            q.max_generalization_drop,
            q.min_attribution_stability,
            q.min_linear_agreement,
            q.max_inference_memory_mb,
            q.min_throughput,
        ) = (round(w.value(), 6) or None for w in self._spins)
        q.interpretability_top_k = self.top_k.value()
        q.known_markers = [m.strip() for m in self.markers.text().split(",") if m.strip()]
        self.page.changed_soon()
