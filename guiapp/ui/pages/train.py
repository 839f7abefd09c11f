"""Step 8, Train: train the network in the background with live curves, pause, cancel, resume
and repeats over seeds (Tips 6 and 3)."""

from __future__ import annotations

import gc

from PySide6.QtCore import QTimer, Slot
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QMenu,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QToolButton,
)

from guiapp.core.models import train
from guiapp.core.study.vocabulary import DISPLAY_NAMES, HIGHER_IS_BETTER, LR_SCHEDULES
from guiapp.ui.page_fit import Collapsible, cap_height
from guiapp.ui.pages.base import StepPage, preview
from guiapp.ui.plots import EXPORT_FORMATS, REDRAW_MS, TRAIN_COLOUR, TUNE_COLOUR, LiveCurves, export_plot
from guiapp.ui.train_warmup import DEVICE_NAMES, warm_up_training
from guiapp.ui.why_disabled import enable
from guiapp.ui.widgets import heading, note, value_label

DEVICES = tuple(DEVICE_NAMES.items())
_SCHEDULE_LABELS = {
    "none": "Constant",
    "cosine": "Cosine: lower it smoothly to zero",
    "plateau": "Halve it when the tune loss stalls",
}
SCHEDULES = tuple((key, _SCHEDULE_LABELS[key]) for key in LR_SCHEDULES)
PRECISIONS = (("off", "Off (32-bit)"), ("bf16", "bfloat16"), ("fp16", "float16 (with loss scaling)"))
REPEAT_SEEDS = 3
NO_GPU_PRECISION = (
    "Mixed precision needs a GPU. On the CPU Tenfold trains in full 32-bit precision, "
    "which is what a CPU computes fastest, so there is nothing to gain."
)
PRECISION_TIP = (
    "Computes most layers in 16-bit numbers on the GPU: faster and lighter on memory, "
    "with a small loss of numerical precision. bfloat16 needs a recent GPU; float16 "
    "works on older ones."
)
DETERMINISTIC_COST = (
    "Speed cost: next to none on the CPU. On a GPU deterministic mode turns off the "
    "fastest algorithms, whose results differ slightly from run to run; training can be "
    "noticeably slower, convolutions most of all. Without it, the same seed can give a "
    "different network (Tip 3)."
)
LOSS_SERIES = (("train_loss", "training split", TRAIN_COLOUR), ("tune_loss", "tune split", TUNE_COLOUR))


def _spin(low: int, high: int, name: str, tip: str) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setAccessibleName(name)
    box.setToolTip(tip)
    return box


def _combo(name: str, tip: str, items) -> QComboBox:
    box = QComboBox()
    box.setAccessibleName(name)
    box.setToolTip(tip)
    for value, text in items:
        box.addItem(text, value)
    return box


def _describe(desc: dict | None) -> str:
    if not desc:
        return ""
    memory = f" · {desc['memory_gb']:g} GB memory" if desc.get("memory_gb") else ""
    return f"{desc['name']}{memory}"


def _eta(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 60 else f"{seconds / 60:.1f} min"


class TrainPage(StepPage):
    step_id = "train"
    intro = (
        "Training runs in the background: you can look at other pages meanwhile. After each "
        "pass over the training split (an epoch) Tenfold scores the tune split, keeps the "
        "best weights so far and saves a checkpoint, so a cancelled or interrupted run can "
        "be resumed."
    )

    def build(self) -> None:
        self.devices: dict | None = None  # probed off the GUI thread on first show
        self._probing = False
        self._device_missing = ""  # the study's device, when this computer lacks it
        self._metric: str | None = None
        form = QFormLayout()
        self.device = _combo(
            "Device",
            "Where to train. Automatic picks an NVIDIA or Apple GPU when "
            "present, else the CPU. Only devices this computer has are listed.",
            [("auto", DEVICE_NAMES["auto"]), ("cpu", DEVICE_NAMES["cpu"])],
        )
        self.device.currentIndexChanged.connect(self._on_device_changed)
        form.addRow("Device:", self.device)
        self.device_info = value_label("Device name and memory")
        self.device_info.setText("Looking for GPUs…")
        form.addRow("", self.device_info)
        self.max_epochs = _spin(
            1, 100000, "Maximum epochs", "Training stops after this many passes over the training split."
        )
        form.addRow("Maximum epochs:", self.max_epochs)
        self.patience = _spin(
            1, 100000, "Early stopping patience", "Stop early when the tune loss has not improved for this many epochs."
        )
        form.addRow("Stop early after\n(epochs without improvement):", self.patience)
        self.body.addLayout(form)
        # The rest are settings an expert tunes: closed by default so Train and its curves fit.
        self.advanced = Collapsible("Advanced settings (batch size, learning rate, optimizer, seed…)")
        self.body.addWidget(self.advanced)
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.WrapLongRows)
        self.batch_size = _spin(1, 65536, "Batch size", "Samples per weight update.")
        form.addRow("Batch size:", self.batch_size)
        self.learning_rate = QDoubleSpinBox()
        self.learning_rate.setDecimals(6)
        self.learning_rate.setRange(0.000001, 1.0)
        self.learning_rate.setStepType(QAbstractSpinBox.AdaptiveDecimalStepType)
        self.learning_rate.setAccessibleName("Learning rate")
        self.learning_rate.setToolTip("Step size of the optimiser. Lower it if the loss jumps or diverges.")
        form.addRow("Learning rate:", self.learning_rate)
        self.optimizer = _combo(
            "Optimizer",
            "How the weights are updated. Adaptive methods (AdamW, Adam) train "
            "fast but can generalise worse than SGD with momentum (Tip 3); the network's "
            "search on the Architecture page tries all three.",
            tuple((k, train.OPTIMIZER_NAMES[k]) for k in train.OPTIMIZERS),
        )
        form.addRow("Optimizer:", self.optimizer)
        self.lr_schedule = _combo(
            "Learning-rate schedule",
            "How the learning rate changes during training. A schedule often ends at a slightly better network.",
            SCHEDULES,
        )
        form.addRow("Learning-rate schedule:", self.lr_schedule)
        self.mixed_precision = _combo("Mixed precision", PRECISION_TIP, PRECISIONS)
        form.addRow("Mixed precision:", self.mixed_precision)
        self.seed = _spin(
            0, 2**31 - 1, "Random seed", "One seed for Python, NumPy and torch: a rerun gives the same network (Tip 3)."
        )
        form.addRow("Random seed:", self.seed)
        self.deterministic = QCheckBox("Deterministic algorithms (reproducible)")
        self.deterministic.setAccessibleName("Deterministic algorithms")
        self.deterministic.setToolTip(DETERMINISTIC_COST)
        form.addRow("", self.deterministic)
        self.deterministic_cost = note(DETERMINISTIC_COST)
        form.addRow("", self.deterministic_cost)
        self.advanced.body.addLayout(form)
        self.settings = (
            self.device,
            self.max_epochs,
            self.patience,
            self.batch_size,
            self.learning_rate,
            self.optimizer,
            self.lr_schedule,
            self.mixed_precision,
            self.seed,
            self.deterministic,
        )

        row = QHBoxLayout()
        self.train_button = self.action(QPushButton("Train"))
        self.main_action = self.train_button  # the page's main button: in view when the page opens
        self.train_button.setObjectName("primary")
        self.train_button.setToolTip("Train a new network from scratch with these settings.")
        self.train_button.clicked.connect(lambda: self._start(resume=False))
        self.resume_button = self.action(QPushButton("Resume"))
        self.resume_button.setToolTip("Continue the stopped run from its last saved epoch.")
        self.resume_button.clicked.connect(lambda: self._start(resume=True))
        self.pause_button = QPushButton("Pause")
        self.pause_button.setAccessibleName("Pause or resume training")
        self.pause_button.setToolTip(
            "Hold training after the current batch, and go on where it stopped. "
            "A paused run holds its memory; Cancel frees it."
        )
        self.pause_button.clicked.connect(self._toggle_pause)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop training within one batch; the best weights so far are kept.")
        self.cancel_button.clicked.connect(self.session.runner.cancel)
        self.repeat_button = self.action(QPushButton(f"Repeat over {REPEAT_SEEDS} seeds"))
        self.repeat_button.setToolTip(
            f"Train {REPEAT_SEEDS} times with different seeds and report the tune metric as mean ± sd: "
            "how much of a difference is just noise (Tip 3). Your trained network is kept."
        )
        self.repeat_button.clicked.connect(self._repeat)
        for button in (
            self.train_button,
            self.resume_button,
            self.pause_button,
            self.cancel_button,
            self.repeat_button,
        ):
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
        self.memory = QProgressBar()
        self.memory.setAccessibleName("GPU memory in use")
        self.memory.setToolTip("Memory the training holds on the GPU, after each epoch.")
        self.memory.hide()
        self.body.addWidget(self.memory)

        curves_row = QHBoxLayout()
        curves_row.addWidget(heading("Curves"))
        curves_row.addStretch(1)
        self.export_button = QToolButton()
        self.export_button.setText("Export plots…")
        self.export_button.setAccessibleName("Export the training plots")
        self.export_button.setToolTip("Save a plot as a PNG image or an SVG drawing, for a report or a slide.")
        self.export_button.setPopupMode(QToolButton.InstantPopup)
        self.export_menu = QMenu(self.export_button)
        self.export_button.setMenu(self.export_menu)
        self.export_button.setEnabled(False)
        curves_row.addWidget(self.export_button)
        self.body.addLayout(curves_row)
        self.curves = LiveCurves(
            "The training and tune loss appear here, epoch by epoch, once training starts.",
            "Training and tune loss curves",
            LOSS_SERIES,
            "loss",
        )
        self.metric_curve = LiveCurves(
            "The tune metric appears here, epoch by epoch.", "Tune metric curve", [], "metric"
        )
        self.curves.title = "Loss per epoch · training and tune splits"
        self.metric_curve.title = "Tune metric per epoch · tune split"
        for area, what in ((self.curves, "loss"), (self.metric_curve, "metric")):
            for kind in EXPORT_FORMATS:
                action = self.export_menu.addAction(f"Save the {what} plot as {kind.upper()}…")
                action.triggered.connect(lambda _=False, a=area, k=kind, w=what: self._export(a, k, w))
        for area in (self.curves, self.metric_curve):
            cap_height(280, area)  # a drawn plot asks for about 480 px: keep the page short
            self.body.addWidget(area)
        self.message = value_label("Training result")
        self.body.addWidget(self.message)
        self.repeats = value_label("Repeats over seeds")
        self.body.addWidget(self.repeats)
        self._latest: dict | None = None
        self._live_timer = QTimer(self)
        self._live_timer.setInterval(REDRAW_MS)
        self._live_timer.timeout.connect(self._show_latest)
        runner = self.session.runner
        runner.progress.connect(self._on_progress)
        runner.paused_changed.connect(self._on_paused)
        self.task_finished.connect(self._stop_live)  # after a result, an error or a cancel

    # ----- devices (probed off the GUI thread) --------------------------------------------
    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.devices is None and not self._probing:
            self._probing = True
            self.session.runner.run_in_background(warm_up_training, on_done=self._on_devices)

    def _on_devices(self, found: dict | None) -> None:
        self._probing = False
        # What the warm-up imported lives as long as the app: keep it out of the collector's
        # full passes, which stop every thread (as guiapp.ui.app does after importing torch).
        gc.freeze()
        self.curves.prepare()
        self.metric_curve.prepare()
        self.devices = found or {"devices": ["cpu"], "descriptions": {}}
        self.device.blockSignals(True)
        self.device.clear()
        for value in ("auto", *self.devices["devices"]):
            self.device.addItem(DEVICE_NAMES[value], value)
        self.device.blockSignals(False)
        self._show_device(self.study.train.device)
        self._on_device_changed()

    def resolved_device(self) -> str:
        """The device Automatic stands for here; the CPU until the probe has answered."""
        chosen = self.device.currentData() or "auto"
        if chosen != "auto":
            return chosen
        found = self.devices["devices"] if self.devices else []
        return next((d for d in ("cuda", "mps") if d in found), "cpu")

    def _show_device(self, requested: str) -> None:
        index = self.device.findData(requested)
        self.device.setCurrentIndex(max(index, 0))
        missing = index < 0 and self.devices is not None
        self._device_missing = requested.upper() if missing else ""

    @Slot()
    def _on_device_changed(self, _index: int = 0) -> None:
        device = self.resolved_device()
        if self.devices is None:
            text = "Looking for GPUs…"
        else:
            text = _describe(self.devices["descriptions"].get(device))
            if self.device.currentData() == "auto":
                text = f"Automatic uses: {text}"
            if self._device_missing:
                text += (
                    f". This study asked for {self._device_missing}, which this computer does not "
                    "have; it trains on the device chosen here."
                )
        self.device_info.setText(text)
        gpu = device != "cpu"
        self.mixed_precision.setEnabled(gpu and not (self.running and self.session.runner.busy))
        self.mixed_precision.setToolTip(PRECISION_TIP if gpu else NO_GPU_PRECISION)
        if not gpu:
            self.mixed_precision.setCurrentIndex(self.mixed_precision.findData("off"))

    # ----- study → widgets ----------------------------------------------------------------
    def refresh(self) -> None:
        t = self.study.train
        self._show_device(t.device)
        for box, value in (
            (self.max_epochs, t.max_epochs),
            (self.patience, t.patience),
            (self.batch_size, t.batch_size),
            (self.seed, t.seed),
        ):
            box.setValue(value)
        self.learning_rate.setValue(t.learning_rate)
        self.optimizer.setCurrentIndex(max(self.optimizer.findData(t.optimizer), 0))
        self.lr_schedule.setCurrentIndex(max(self.lr_schedule.findData(t.lr_schedule), 0))
        self.mixed_precision.setCurrentIndex(max(self.mixed_precision.findData(t.mixed_precision), 0))
        self.deterministic.setChecked(t.deterministic)
        self._on_device_changed()
        self._set_metric()
        if not self.running:
            self.curves.set_history(t.history, t.best_epoch)
            self.metric_curve.set_history(t.history, t.best_epoch)
            self.progress.setValue(int(1000 * len(t.history) / max(t.max_epochs, 1)) if t.history else 0)
            self.eta.setText(self._status_text())
            self.message.setText(t.message)
            last = t.history[-1] if t.history else None
            self.speed.setText(self._speed_text(last) if last else "")
            self._show_memory(last)
            self._update_export()
        self.repeats.setText(self._repeats_text())
        super().refresh()

    def _set_metric(self) -> None:
        metric = self.study.primary_metric
        if metric != self._metric:
            self._metric = metric
            name = DISPLAY_NAMES.get(metric, metric)
            self.metric_curve.set_series(
                [(f"tune_{metric}", f"tune {name}", TUNE_COLOUR)], name, rising=HIGHER_IS_BETTER.get(metric, True)
            )

    def _status_text(self) -> str:
        t = self.study.train
        if t.status == "running":
            return "Training was interrupted (Tenfold closed while it ran). Resume continues from the last saved epoch."
        if t.status == "cancelled" and self.can_resume():
            return f"Cancelled after {len(t.history)} epoch(s). Resume continues from the last saved epoch."
        if t.status == "done":
            return f"Done: {len(t.history)} epoch(s) in {t.seconds:.1f} s on {t.device_name or t.device_used or 'the CPU'}."
        if t.status == "failed":
            return "The last run failed; change the settings and train again."
        return "Not trained yet."

    def _speed_text(self, record: dict) -> str:
        parts = [f"{record.get('samples_per_second', 0):,.0f} samples/s"]
        if record.get("learning_rate") is not None:
            parts.append(f"learning rate {record['learning_rate']:.3g}")
        parts.append(f"epoch {record['epoch']} of {self.study.train.max_epochs}")
        parts.append(f"tune loss {record['tune_loss']:.4f}")
        if self.running and record.get("eta_seconds") is not None:
            parts.append(f"about {_eta(record['eta_seconds'])} left")
        return " · ".join(parts)

    def _show_memory(self, record: dict | None) -> None:
        used = record.get("device_memory_mb") if record else None
        if used is None:  # the CPU: no meter
            self.memory.hide()
            return
        total_gb = self.study.train.device_memory_gb
        total = int(total_gb * 1024) if total_gb else max(int(used * 2), 1)
        self.memory.setRange(0, total)
        self.memory.setValue(min(int(used), total))
        self.memory.setFormat(f"GPU memory in use: {used:,.0f} MB of {total:,} MB")
        self.memory.setTextVisible(True)
        self.memory.show()

    def _repeats_text(self) -> str:
        r = self.study.train.repeats
        if not r or not r.get("scores"):
            return ""
        name = DISPLAY_NAMES.get(r.get("metric", ""), r.get("metric", ""))
        scores = ", ".join(f"{s:.3f}" for s in r["scores"])
        return (
            f"Over {len(r['scores'])} seeds ({', '.join(str(s) for s in r['seeds'])}): tune {name} "
            f"{r['mean']:.3f} ± {r['sd']:.3f} (mean ± sd; runs: {scores}). A difference smaller than "
            "this spread may be noise."
        )

    def can_resume(self) -> bool:
        t = self.study.train
        if t.status not in ("cancelled", "failed", "running") or self.study.folder is None:
            return False
        return self.study.path(train.CHECKPOINT).exists()

    def update_actions(self) -> None:
        self.resume_button.setVisible(self.can_resume())

    def _on_busy(self, busy: bool) -> None:
        super()._on_busy(busy)
        mine = busy and self.running
        for widget in self.settings:
            widget.setEnabled(not mine)
        self.cancel_button.setEnabled(mine)
        self.pause_button.setVisible(mine and self.session.runner.can_pause)
        self.pause_button.setEnabled(mine)
        if mine:
            self.resume_button.setVisible(False)
        else:
            self.pause_button.setText("Pause")
            self._on_device_changed()

    # ----- training ------------------------------------------------------------------------
    def _write_settings(self) -> None:
        t = self.study.train
        t.device = self.device.currentData()
        t.max_epochs, t.patience = self.max_epochs.value(), self.patience.value()
        t.batch_size, t.learning_rate = self.batch_size.value(), self.learning_rate.value()
        t.seed, t.deterministic = self.seed.value(), self.deterministic.isChecked()
        t.optimizer = self.optimizer.currentData()
        t.lr_schedule = self.lr_schedule.currentData()
        t.mixed_precision = self.mixed_precision.currentData() if self.mixed_precision.isEnabled() else "off"

    def _start(self, resume: bool) -> None:
        t = self.study.train
        self._write_settings()
        for area in (self.curves, self.metric_curve):
            area.start_live(t.history if resume else [], t.best_epoch if resume else None, t.max_epochs)
        self.message.setText("")
        self.speed.setText("")
        self.memory.hide()
        self._update_export()
        self.eta.setText("Starting… (the first run loads the deep-learning library, which takes a few seconds)")
        self.run_task(
            train.train_network,
            {"study": self.study, "resume": resume},
            name="training the network",
            on_result=self._done,
            on_cancelled=self._cancelled,
            on_epoch=self._on_epoch,
        )

    def _repeat(self) -> None:
        self._write_settings()
        first = self.study.train.seed
        seeds = tuple(first + k for k in range(REPEAT_SEEDS))
        self.message.setText("")
        self.eta.setText(f"Training {REPEAT_SEEDS} times, with seeds {', '.join(map(str, seeds))}…")
        self.run_task(
            train.repeat_training,
            {"study": self.study, "seeds": seeds},
            name=f"training over {REPEAT_SEEDS} seeds",
            on_result=self._repeated,
        )

    def _on_epoch(self, record: dict) -> None:
        self.curves.append(record)
        self.metric_curve.append(record)
        self._latest = record  # the labels follow on the redraw timer, not once per epoch
        if not self._live_timer.isActive():
            self._live_timer.start()

    @Slot()
    def _show_latest(self) -> None:
        record, self._latest = self._latest, None
        if record is None:
            self._live_timer.stop()
            return
        self.speed.setText(self._speed_text(record))
        self._show_memory(record)
        self._update_export()

    @Slot(float, str)
    def _on_progress(self, fraction: float, message: str) -> None:
        if self.running:
            self.progress.setValue(int(1000 * fraction))
            if not self.session.runner.paused:
                self.eta.setText(message)

    @Slot()
    def _toggle_pause(self) -> None:
        runner = self.session.runner
        runner.resume() if runner.paused else runner.pause()

    @Slot(bool)
    def _on_paused(self, paused: bool) -> None:
        if not self.running:
            return
        self.pause_button.setText("Resume" if paused else "Pause")
        self.eta.setText(
            "Paused after the current batch. Resume goes on where it stopped; Cancel keeps the best weights so far."
            if paused
            else "Training again…"
        )

    def _stop_live(self) -> None:
        self._live_timer.stop()
        if self._latest is not None:
            self._show_latest()
        self.curves.stop_live()
        self.metric_curve.stop_live()
        self._update_export()

    def _update_export(self) -> None:
        enable(
            self.export_button,
            ""
            if any(c.has_plot and c.n_points for c in (self.curves, self.metric_curve))
            else "Nothing to save yet: train first.",
        )

    def _export(self, area: LiveCurves, kind: str, what: str) -> str | None:
        if not (area.has_plot and area.n_points):
            self.show_error(f"There is no {what} plot to save yet: train first.")
            return None
        start = (
            str(self.study.path(f"artifacts/training-{what}.{kind}"))
            if self.study.folder
            else f"training-{what}.{kind}"
        )
        path, _ = QFileDialog.getSaveFileName(self, f"Save the {what} plot", start, EXPORT_FORMATS[kind])
        if not path:
            return None
        if not path.lower().endswith(f".{kind}"):
            path += f".{kind}"
        try:
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)
            export_plot(area, path)
        except (OSError, ValueError) as exc:
            self.show_error(f"The plot could not be saved to {path}: {exc}")
            return None
        self.show_info(f"Saved the {what} plot to {path}.")
        return path

    def _done(self, summary: dict) -> None:
        self._stop_live()
        self.show_info(self.study.train.message)

    def _repeated(self, result: dict) -> None:
        self.show_info(self._repeats_text())

    def _cancelled(self) -> None:
        self._stop_live()
        self.show_info(self.study.train.message or "Training was cancelled.")


if __name__ == "__main__":
    raise SystemExit(preview(TrainPage))
