"""Step 8, Train: train the network in the background with live curves, cancel and resume
(Tips 6 and 3)."""

from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (QAbstractSpinBox, QCheckBox, QComboBox, QDoubleSpinBox,
                               QFormLayout, QHBoxLayout, QProgressBar, QPushButton, QSpinBox)

from guiapp.core import train
from guiapp.ui.pages.base import StepPage, preview
from guiapp.ui.plots import LossCurves
from guiapp.ui.widgets import heading, value_label

DEVICES = (("auto", "Automatic (GPU if there is one)"), ("cpu", "CPU"),
           ("cuda", "NVIDIA GPU (CUDA)"), ("mps", "Apple GPU (MPS)"))


def _spin(low: int, high: int, name: str, tip: str) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setAccessibleName(name)
    box.setToolTip(tip)
    return box


class TrainPage(StepPage):
    step_id = "train"
    intro = ("Training runs in the background: you can look at other pages meanwhile. After each "
             "pass over the training split (an epoch) Tenfold scores the tune split, keeps the "
             "best weights so far and saves a checkpoint, so a cancelled or interrupted run can "
             "be resumed.")

    def build(self) -> None:
        form = QFormLayout()
        self.device = QComboBox()
        self.device.setAccessibleName("Device")
        self.device.setToolTip("Where to train. Automatic picks an NVIDIA or Apple GPU when present, else the CPU.")
        for value, text in DEVICES:
            self.device.addItem(text, value)
        form.addRow("Device:", self.device)
        self.max_epochs = _spin(1, 100000, "Maximum epochs", "Training stops after this many passes over the training split.")
        form.addRow("Maximum epochs:", self.max_epochs)
        self.patience = _spin(1, 100000, "Early stopping patience",
                              "Stop early when the tune loss has not improved for this many epochs.")
        form.addRow("Stop early after (epochs without improvement):", self.patience)
        self.batch_size = _spin(1, 65536, "Batch size", "Samples per weight update.")
        form.addRow("Batch size:", self.batch_size)
        self.learning_rate = QDoubleSpinBox()
        self.learning_rate.setDecimals(6)
        self.learning_rate.setRange(0.000001, 1.0)
        self.learning_rate.setStepType(QAbstractSpinBox.AdaptiveDecimalStepType)
        self.learning_rate.setAccessibleName("Learning rate")
        self.learning_rate.setToolTip("Step size of the optimiser (AdamW). Lower it if the loss jumps or diverges.")
        form.addRow("Learning rate:", self.learning_rate)
        self.seed = _spin(0, 2**31 - 1, "Random seed", "One seed for Python, NumPy and torch: a rerun gives the same network (Tip 3).")
        form.addRow("Random seed:", self.seed)
        self.deterministic = QCheckBox("Use deterministic algorithms (reproducible, sometimes slower)")
        self.deterministic.setAccessibleName("Deterministic algorithms")
        self.deterministic.setToolTip("Without them a rerun with the same seed can give different weights (Tip 3).")
        form.addRow("", self.deterministic)
        self.body.addLayout(form)
        self.settings = (self.device, self.max_epochs, self.patience, self.batch_size,
                         self.learning_rate, self.seed, self.deterministic)

        row = QHBoxLayout()
        self.train_button = self.action(QPushButton("Train"))
        self.train_button.setObjectName("primary")
        self.train_button.setToolTip("Train a new network from scratch with these settings.")
        self.train_button.clicked.connect(lambda: self._start(resume=False))
        self.resume_button = self.action(QPushButton("Resume"))
        self.resume_button.setToolTip("Continue the stopped run from its last saved epoch.")
        self.resume_button.clicked.connect(lambda: self._start(resume=True))
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop training within one batch; the best weights so far are kept.")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.session.runner.cancel)
        for button in (self.train_button, self.resume_button, self.cancel_button):
            row.addWidget(button)
        row.addStretch(1)
        self.body.addLayout(row)

        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setAccessibleName("Training progress")
        self.body.addWidget(self.progress)
        self.eta = value_label("Training status")
        self.speed = value_label("Training speed")
        self.body.addWidget(self.eta)
        self.body.addWidget(self.speed)
        self.body.addWidget(heading("Loss curves"))
        self.curves = LossCurves("The training and tune loss appear here, epoch by epoch, once training starts.")
        self.body.addWidget(self.curves)
        self.message = value_label("Training result")
        self.body.addWidget(self.message)
        self.session.runner.progress.connect(self._on_progress)
        self.task_finished.connect(self.curves.stop_live)  # after a result, an error or a cancel

    # ----- study → widgets ----------------------------------------------------------------
    def refresh(self) -> None:
        t = self.study.train
        self.device.setCurrentIndex(max(self.device.findData(t.device), 0))
        for box, value in ((self.max_epochs, t.max_epochs), (self.patience, t.patience),
                           (self.batch_size, t.batch_size), (self.seed, t.seed)):
            box.setValue(value)
        self.learning_rate.setValue(t.learning_rate)
        self.deterministic.setChecked(t.deterministic)
        if not self.running:
            self.curves.set_history(t.history, t.best_epoch)
            self.progress.setValue(int(1000 * len(t.history) / max(t.max_epochs, 1)) if t.history else 0)
            self.eta.setText(self._status_text())
            self.message.setText(t.message)
        super().refresh()

    def _status_text(self) -> str:
        t = self.study.train
        if t.status == "running":
            return ("Training was interrupted (Tenfold closed while it ran). Resume continues from the "
                    "last saved epoch.")
        if t.status == "cancelled" and self.can_resume():
            return f"Cancelled after {len(t.history)} epoch(s). Resume continues from the last saved epoch."
        if t.status == "done":
            return f"Done: {len(t.history)} epoch(s) in {t.seconds:.1f} s on {t.device_used or 'the CPU'}."
        if t.status == "failed":
            return "The last run failed; change the settings and train again."
        return "Not trained yet."

    def can_resume(self) -> bool:
        t = self.study.train
        if t.status not in ("cancelled", "failed", "running") or self.study.folder is None:
            return False
        return self.study.path(train.CHECKPOINT).exists()

    def update_actions(self) -> None:
        self.resume_button.setVisible(self.can_resume())

    def _on_busy(self, busy: bool) -> None:
        super()._on_busy(busy)
        for widget in self.settings:
            widget.setEnabled(not (busy and self.running))
        self.cancel_button.setEnabled(busy and self.running)

    # ----- training ------------------------------------------------------------------------
    def _start(self, resume: bool) -> None:
        t = self.study.train
        t.device = self.device.currentData()
        t.max_epochs, t.patience = self.max_epochs.value(), self.patience.value()
        t.batch_size, t.learning_rate = self.batch_size.value(), self.learning_rate.value()
        t.seed, t.deterministic = self.seed.value(), self.deterministic.isChecked()
        self.curves.set_history(t.history if resume else [], t.best_epoch if resume else None)
        self.message.setText("")
        self.speed.setText("")
        self.eta.setText("Starting… (the first run loads the deep-learning library, which takes a few seconds)")
        self.run_task(train.train_network, {"study": self.study, "resume": resume},
                      name="training the network", on_result=self._done,
                      on_cancelled=self._cancelled, on_epoch=self._on_epoch)

    def _on_epoch(self, record: dict) -> None:
        self.curves.append(record)
        self.speed.setText(f"{record.get('samples_per_second', 0):,.0f} samples/s · "
                           f"epoch {record['epoch']} · tune loss {record['tune_loss']:.4f}")

    @Slot(float, str)
    def _on_progress(self, fraction: float, message: str) -> None:
        if self.running:
            self.progress.setValue(int(1000 * fraction))
            self.eta.setText(message)

    def _done(self, summary: dict) -> None:
        self.curves.stop_live()
        self.show_info(self.study.train.message)

    def _cancelled(self) -> None:
        self.curves.stop_live()
        self.show_info(self.study.train.message or "Training was cancelled.")


if __name__ == "__main__":
    raise SystemExit(preview(TrainPage))
