"""Step 9, Overfitting: the gap between training and tune scores, and the loss curves (Tip 7)."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QPushButton

from guiapp.core import evaluate, metrics
from guiapp.ui.pages.base import StepPage, preview
from guiapp.ui.plots import LossCurves
from guiapp.ui.widgets import heading, value_label


class OverfittingPage(StepPage):
    step_id = "overfitting"
    intro = ("A network can memorise its training samples instead of learning what generalises. "
             "Compare its score on the samples it was trained on with its score on the tune "
             "samples: a large gap means memorising.")

    def build(self) -> None:
        row = QHBoxLayout()
        self.check = self.action(QPushButton("Check for overfitting"))
        self.check.setObjectName("primary")
        self.check.setToolTip("Score the best weights on the training and the tune split.")
        self.check.clicked.connect(self._check)
        row.addWidget(self.check)
        row.addStretch(1)
        self.body.addLayout(row)

        form = QFormLayout()
        self.train_score = value_label("Training split score")
        self.tune_score = value_label("Tune split score")
        self.gap = value_label("Gap")
        form.addRow("Training split:", self.train_score)
        form.addRow("Tune split:", self.tune_score)
        form.addRow("Gap:", self.gap)
        self.body.addLayout(form)
        self.reading = value_label("Overfitting reading")
        self.body.addWidget(self.reading)
        self.body.addWidget(heading("Loss curves"))
        self.curves = LossCurves("The loss curves of the training run appear here.")
        self.body.addWidget(self.curves)

    def refresh(self) -> None:
        o = self.study.overfitting
        name = metrics.DISPLAY_NAMES.get(o.metric, o.metric)
        if o.gap is None:
            for label in (self.train_score, self.tune_score, self.gap):
                label.setText("—")
            self.reading.setText("Not checked yet.")
        else:
            self.train_score.setText(f"{name} {o.train_score:.3f}")
            self.tune_score.setText(f"{name} {o.tune_score:.3f}")
            self.gap.setText(f"{o.gap:+.3f} (Tenfold warns above {evaluate.GAP_WARN:.2f})")
            self.reading.setText(o.reading)
        t = self.study.train
        self.curves.set_history(t.history, t.best_epoch)
        super().refresh()

    def _check(self) -> None:
        self.run_task(evaluate.overfitting_check, {"study": self.study}, name="checking for overfitting")


if __name__ == "__main__":
    raise SystemExit(preview(OverfittingPage))
