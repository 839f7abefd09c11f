"""Step 4, Batch effects: the first two principal components coloured by batch or by label,
and how far batches stand apart (Tips 4 and 7)."""

from __future__ import annotations

from typing import Optional

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton

from guiapp.core.batch import BatchEffectReport, batch_effect_report
from guiapp.ui.pages.base import StepPage, preview
from guiapp.ui.plots import PlotArea, scatter_groups
from guiapp.ui.widgets import heading, value_label


class BatchPage(StepPage):
    step_id = "batch"
    intro = ("Samples processed in different runs, plates, sites or days often differ for "
             "technical reasons. A network learns such batch differences as readily as biology. "
             "Here the samples are drawn on their first two principal components: if they "
             "group by batch, the batch is a strong signal in the data.")

    def build(self) -> None:
        self.report: Optional[BatchEffectReport] = None
        row = QHBoxLayout()
        self.run_button = self.action(QPushButton("Look for batch effects"))
        self.run_button.setObjectName("primary")
        self.run_button.setToolTip("Compute a PCA of the standardised features and measure how far batches stand apart.")
        self.run_button.clicked.connect(self._run)
        row.addWidget(self.run_button)
        row.addSpacing(24)
        row.addWidget(QLabel("Colour the samples by:"))
        self.color_by = QComboBox()
        self.color_by.setAccessibleName("Colour the samples by")
        self.color_by.setToolTip("Batch shows technical groups; label shows the biology you want to predict.")
        self.color_by.addItem("batch", "batch")
        self.color_by.addItem("label", "label")
        self.color_by.currentIndexChanged.connect(self._on_color_by)
        row.addWidget(self.color_by)
        row.addStretch(1)
        self.body.addLayout(row)

        self.plot = PlotArea("The principal-component plot appears here after you look for batch effects.",
                             "Principal components of the samples", min_height=340)
        self.body.addWidget(self.plot)
        self.body.addWidget(heading("Reading"))
        self.reading = value_label("Batch-effect reading")
        self.body.addWidget(self.reading)

    def set_report(self, report: Optional[BatchEffectReport]) -> None:
        """Show a report computed elsewhere (screenshots) or by this page's task."""
        self.report = report
        self._draw()

    def reset(self) -> None:
        super().reset()
        self.report = None

    def refresh(self) -> None:
        b = self.study.batch
        self.color_by.blockSignals(True)
        self.color_by.setCurrentIndex(max(self.color_by.findData(b.color_by), 0))
        self.color_by.blockSignals(False)
        if b.explained_variance:
            sil = "not measured (no batch column)" if b.silhouette is None else f"{b.silhouette:.2f}"
            self.reading.setText(f"Batch silhouette: {sil}. {b.reading}")
        else:
            self.reading.setText("Not looked at yet.")
        if self.report is not None and len(self.report.label_values) != self.study.data.n_samples:
            self.report = None  # drawn for other data
        self._draw()
        super().refresh()

    def _run(self) -> None:
        self.run_task(batch_effect_report, {"study": self.study}, name="looking for batch effects",
                      on_result=self.set_report)

    def _on_color_by(self, _index: int) -> None:
        self.study.batch.color_by = self.color_by.currentData()
        self.changed()

    def _draw(self) -> None:
        r = self.report
        if r is None:
            text = ("Look for batch effects to draw the plot." if self.study.batch.explained_variance
                    else None)
            self.plot.show_placeholder(text)
            return
        by = self.study.batch.color_by
        if by == "batch" and r.batch_values is None:
            by = "label"
        groups = r.batch_values if by == "batch" else r.label_values
        ev = r.explained_variance
        column = self.study.data.batch if by == "batch" else self.study.data.label
        scatter_groups(self.plot, r.coordinates, groups,
                       x_label=f"PC1 ({ev[0]:.1%} of variance)", y_label=f"PC2 ({ev[1]:.1%} of variance)",
                       title=f"Coloured by {by} ('{column}')")


if __name__ == "__main__":
    raise SystemExit(preview(BatchPage))
