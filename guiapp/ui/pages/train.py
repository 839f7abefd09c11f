"""Step 8, Train: train the network in the background with live curves, pause, cancel, resume
and repeats over seeds (Tips 6 and 3)."""

from __future__ import annotations

import gc

from PySide6.QtCore import QTimer, Slot
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QLabel, QProgressBar, QPushButton, QSpinBox

from guiapp.core.models import train
from guiapp.core.study.vocabulary import DISPLAY_NAMES, HIGHER_IS_BETTER
from guiapp.ui.forms import Form, button_row
from guiapp.ui.live_curves import REDRAW_MS, LiveCurves
from guiapp.ui.page_fit import Collapsible
from guiapp.ui.pages.base import StepPage, preview
from guiapp.ui.pages.train_panels import (
    ADVANCED_FIELDS,
    MAIN_FIELDS,
    NO_GPU_PRECISION,
    PRECISION_TIP,
    REPEAT_SEEDS,
    RUN_BUTTONS,
    TrainingCurves,
    describe,
    repeats_text,
    speed_text,
    status_text,
)
from guiapp.ui.plots import TUNE_COLOUR
from guiapp.ui.train_warmup import DEVICE_NAMES, warm_up_training
from guiapp.ui.widgets import value_label


class TrainPage(StepPage):
    step_id = "train"
    # Built from MAIN_FIELDS, ADVANCED_FIELDS and RUN_BUTTONS (pages/train_panels.py).
    device: QComboBox
    device_info: QLabel
    max_epochs: QSpinBox
    patience: QSpinBox
    batch_size: QSpinBox
    learning_rate: QDoubleSpinBox
    optimizer: QComboBox
    lr_schedule: QComboBox
    mixed_precision: QComboBox
    seed: QSpinBox
    deterministic: QCheckBox
    train_button: QPushButton
    resume_button: QPushButton
    pause_button: QPushButton
    repeat_button: QPushButton
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
        self.form = Form(self, MAIN_FIELDS)
        self.body.addLayout(self.form.layout)
        # The rest are settings an expert tunes: closed by default so Train and its curves fit.
        self.advanced = Collapsible("Advanced settings (batch size, learning rate, optimizer, seed…)")
        self.body.addWidget(self.advanced)
        self.advanced_form = Form(self, ADVANCED_FIELDS, wrap=True)
        self.advanced.body.addLayout(self.advanced_form.layout)
        self.settings = (*self.form.inputs(), *self.advanced_form.inputs())  # read-only while training
        self.body.addLayout(button_row(self, RUN_BUTTONS))
        self.main_action = self.train_button  # the page's main button: in view when the page opens
        self._build_progress()
        self.curves_panel = TrainingCurves(self, self.body)
        self.curves, self.metric_curve = self.curves_panel.areas
        self.export_button, self.export_menu = self.curves_panel.export_button, self.curves_panel.export_menu
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

    def _build_progress(self) -> None:
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
            text = describe(self.devices["descriptions"].get(device))
            if self.device.currentData() == "auto":
                text = f"Automatic uses: {text}"
            if self._device_missing:
                text += (
                    f". This study asked for {self._device_missing}, which this computer does not "
                    "have; it trains on the device chosen here."
                )
        self.device_info.setText(text)
        gpu = device != "cpu"
        self.advanced_form.update_enabled()  # mixed precision: on a GPU, and not while training
        self.mixed_precision.setToolTip(PRECISION_TIP if gpu else NO_GPU_PRECISION)
        if not gpu:
            self.mixed_precision.setCurrentIndex(self.mixed_precision.findData("off"))

    def _precision_possible(self) -> bool:
        return self.resolved_device() != "cpu" and not (self.running and self.session.runner.busy)

    # ----- study → widgets ----------------------------------------------------------------
    def arrival_action(self) -> QPushButton | None:
        """On arrival: training, started with the settings shown; Cancel keeps the best weights so far."""
        return self.train_button if self.study.train.status == "not started" else None

    def refresh(self) -> None:
        t = self.study.train
        self._show_device(t.device)
        self.form.load(self.study)
        self.advanced_form.load(self.study)
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
        return status_text(self.study, self.can_resume())

    def _speed_text(self, record: dict) -> str:
        return speed_text(self.study, record, self.running)

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
        return repeats_text(self.study)

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
        self.form.save(self.study)
        self.advanced_form.save(self.study)
        # Off on the CPU, whatever the box last showed.
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
            pausable=True,
        )

    def _train(self) -> None:
        self._start(resume=False)

    def _resume(self) -> None:
        self._start(resume=True)

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
        self.curves_panel.update_export()

    def _export(self, area: LiveCurves, kind: str, what: str) -> str | None:
        return self.curves_panel.export(area, kind, what)

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
