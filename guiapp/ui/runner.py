"""The one task runner: core functions run on a worker thread, results come back as signals.

Every function handed to the runner takes a keyword-only ``ctx`` (a
:class:`guiapp.core.study.task_context.TaskContext`); the runner always passes one, built from its
throttled progress, the task's stop and pause flags and its epoch signal. A function without
``ctx`` fails loudly (the user sees the "unexpected problem" message) instead of running without
Cancel. Signals from the worker reach slots of the runner, which lives in the GUI thread, so page
callbacks and the runner's own signals always run on the GUI thread.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from guiapp.core.study.errors import Cancelled, TenfoldError
from guiapp.core.study.task_context import StopFlag, TaskContext, no_progress

log = logging.getLogger("guiapp.ui")

PROGRESS_INTERVAL_S = 0.1  # at most ~10 progress updates a second reach the GUI

UNEXPECTED = (
    "Tenfold ran into an unexpected problem while {what} ({kind}). Your study is "
    "saved as it was before this step. Try again; if it happens again, please send "
    "Tenfold's log file with a bug report."
)


class PauseFlag(StopFlag):
    """A thread-safe pause request, passed to tasks as their context's ``should_pause``.

    ``holding`` turns true once the task has seen the request (it is then waiting between
    two batches), so the GUI can say "paused" rather than "pausing". Only the task calls the
    flag; the GUI asks :meth:`is_set`, which leaves ``holding`` alone.
    """

    def __init__(self) -> None:
        super().__init__()
        self.holding = False

    def is_set(self) -> bool:
        return self._event.is_set()

    def clear(self) -> None:
        super().clear()
        self.holding = False

    def __call__(self) -> bool:
        paused = super().__call__()
        self.holding = paused
        return paused


@dataclass
class Task:
    """One piece of work handed to the runner, and what to call when it ends."""

    id: int
    fn: Callable
    kwargs: dict
    name: str
    on_result: Callable[[Any], None] | None = None
    on_error: Callable[[str], None] | None = None
    on_cancelled: Callable[[], None] | None = None
    on_epoch: Callable[[dict], None] | None = None
    stop: StopFlag = field(default_factory=StopFlag)
    pause: PauseFlag = field(default_factory=PauseFlag)
    background: bool = False  # a warm-up: no busy state, no user-facing signals
    pausable: bool = False  # the task holds between two steps when asked (training does)


def without_context(fn: Callable) -> Callable:
    """``fn`` as a task, for short work that takes no context: it reports no progress and a
    Cancel takes effect only before it starts."""

    def task(*, ctx: TaskContext, **kwargs):
        return fn(**kwargs)

    task.__name__ = getattr(fn, "__name__", "task")
    return task


class _Worker(QObject):
    """Lives in the worker thread; runs one task at a time and reports through signals."""

    progress = Signal(int, float, str)
    epoch = Signal(int, object)
    done = Signal(int, object)
    failed = Signal(int, str)
    cancelled = Signal(int)

    @Slot(object)
    def run(self, task: Task) -> None:
        last = [0.0]

        def progress(fraction: float, message: str = "") -> None:
            now = time.monotonic()
            if now - last[0] >= PROGRESS_INTERVAL_S or fraction >= 1.0:
                last[0] = now
                self.progress.emit(task.id, float(fraction), str(message))

        def on_epoch(record: dict) -> None:
            self.epoch.emit(task.id, dict(record))

        if task.background:  # a warm-up: nothing reaches the user
            ctx = TaskContext(progress=no_progress, should_stop=task.stop)
        else:
            ctx = TaskContext(
                progress=progress,
                should_stop=task.stop,
                should_pause=task.pause,
                on_epoch=on_epoch if task.on_epoch is not None else None,
            )
        try:
            if task.stop():
                raise Cancelled()
            result = task.fn(**task.kwargs, ctx=ctx)
        except Cancelled:
            self.cancelled.emit(task.id)
        except TenfoldError as exc:
            self.failed.emit(task.id, str(exc))
        except Exception as exc:  # anything else is a bug: log it, tell the user plainly
            log.exception("Task %r failed", task.name)
            self.failed.emit(task.id, UNEXPECTED.format(what=task.name or "working", kind=type(exc).__name__))
        else:
            self.done.emit(task.id, result)


class TaskRunner(QObject):
    """Runs one core function at a time off the GUI thread.

    ``start`` refuses while a task runs (the study is shared, so two tasks must never
    change it at once); the caller tells the user. ``cancel`` asks the task to stop;
    ``shutdown`` stops it and waits for the thread (closeEvent and test fixtures).
    """

    started = Signal(str)  # the task's name
    progress = Signal(float, str)
    result = Signal(object)
    error = Signal(str)
    cancelled = Signal()
    finished = Signal()
    epoch = Signal(object)  # a training epoch's record, on the GUI thread
    busy_changed = Signal(bool)
    paused_changed = Signal(bool)  # pause / resume asked for the running task
    warmed_up = Signal()
    _submit = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: QThread | None = None
        self._worker: _Worker | None = None
        self._current: Task | None = None
        self._background: dict[int, Task] = {}
        self._next_id = 1
        self._closed = False

    # ----- state ---------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._current is not None

    @property
    def can_pause(self) -> bool:
        """Whether the running task was started as pausable (training is)."""
        return self._current is not None and self._current.pausable

    @property
    def paused(self) -> bool:
        return self._current is not None and self._current.pause.is_set()

    @property
    def pause_holding(self) -> bool:
        """The running task has seen the pause and waits."""
        return self.paused and self._current.pause.holding

    @property
    def current_name(self) -> str:
        return self._current.name if self._current else ""

    def _ensure_thread(self) -> None:
        if self._thread is not None:
            return
        self._thread = QThread()
        self._thread.setObjectName("tenfold-worker")
        self._worker = _Worker()
        self._worker.moveToThread(self._thread)
        self._submit.connect(self._worker.run)
        self._worker.progress.connect(self._on_progress)
        self._worker.epoch.connect(self._on_epoch)
        self._worker.done.connect(self._on_done)
        self._worker.failed.connect(self._on_failed)
        self._worker.cancelled.connect(self._on_cancelled)
        self._thread.start()

    # ----- control -------------------------------------------------------------------------
    def start(
        self,
        fn: Callable,
        kwargs: dict | None = None,
        *,
        name: str = "",
        on_result=None,
        on_error=None,
        on_cancelled=None,
        on_epoch=None,
        pausable: bool = False,
    ) -> Task | None:
        """Run ``fn(**kwargs, ctx=...)``; ``pausable`` lets :meth:`pause` hold it between two steps.

        ``name`` says what the task does, in words that fit "while …" ("loading the data").
        The callbacks run on the GUI thread. Returns the task, or None when another task is
        still running or the runner is shut down.
        """
        if self._closed or self._current is not None:
            return None
        task = Task(
            self._next_id, fn, dict(kwargs or {}), name, on_result, on_error, on_cancelled, on_epoch, pausable=pausable
        )
        self._next_id += 1
        self._ensure_thread()
        self._current = task
        self.busy_changed.emit(True)
        self.started.emit(name)
        self._submit.emit(task)
        return task

    def run_in_background(self, fn: Callable, *, on_done=None) -> None:
        """Queue quiet work (a warm-up) on the worker thread; user tasks queue behind it.

        ``fn`` takes ``ctx`` like any task; its progress goes nowhere."""
        if self._closed:
            return
        task = Task(self._next_id, fn, {}, "warm-up", on_result=on_done, background=True)
        self._next_id += 1
        self._ensure_thread()
        self._background[task.id] = task
        self._submit.emit(task)

    @Slot()
    def cancel(self) -> None:
        if self._current is not None:
            self._current.stop.set()

    @Slot()
    def pause(self) -> None:
        """Ask the running task to wait between two steps (a cancel still stops it)."""
        if self.can_pause and not self._current.pause.is_set():
            self._current.pause.set()
            self.paused_changed.emit(True)

    @Slot()
    def resume(self) -> None:
        if self.paused:
            self._current.pause.clear()
            self.paused_changed.emit(False)

    def shutdown(self, timeout_ms: int = 30000) -> None:
        """Stop the running task and the worker thread, and wait for both."""
        self._closed = True
        if self._current is not None:
            self._current.stop.set()
        if self._thread is not None:
            self._thread.quit()
            if self._thread.wait(timeout_ms):
                self._thread, self._worker = None, None
            else:  # keep the reference: destroying a running QThread aborts the process
                log.error("The worker thread did not stop within %d ms", timeout_ms)
        if self._current is not None:
            self._current = None
            self.busy_changed.emit(False)

    # ----- from the worker (GUI thread) ----------------------------------------------------
    def _take(self, task_id: int) -> Task | None:
        if task_id in self._background:
            return self._background.pop(task_id)
        if self._current is not None and self._current.id == task_id:
            return self._current
        return None  # a task the runner forgot (after shutdown): drop its late signals

    def _finish(self) -> None:
        if self.paused:
            self._current.pause.clear()
            self.paused_changed.emit(False)
        self._current = None
        self.finished.emit()
        self.busy_changed.emit(False)

    @Slot(int, float, str)
    def _on_progress(self, task_id: int, fraction: float, message: str) -> None:
        if self._current is not None and self._current.id == task_id:
            self.progress.emit(fraction, message)

    @Slot(int, object)
    def _on_epoch(self, task_id: int, record: object) -> None:
        task = self._current
        if task is not None and task.id == task_id:
            if task.on_epoch is not None:
                task.on_epoch(record)
            self.epoch.emit(record)

    @Slot(int, object)
    def _on_done(self, task_id: int, value: object) -> None:
        task = self._take(task_id)
        if task is None:
            return
        if task.background:
            if task.on_result is not None:
                task.on_result(value)
            self.warmed_up.emit()
            return
        try:
            if task.on_result is not None:
                task.on_result(value)
        except Exception as exc:  # a page failed to show the result: still no traceback
            log.exception("Showing the result of %r failed", task.name)
            message = UNEXPECTED.format(what=f"showing the result of {task.name or 'a task'}", kind=type(exc).__name__)
            if task.on_error is not None:
                task.on_error(message)
            self.error.emit(message)
        else:
            self.result.emit(value)
        finally:
            self._finish()

    @Slot(int, str)
    def _on_failed(self, task_id: int, message: str) -> None:
        task = self._take(task_id)
        if task is None or task.background:
            return
        try:  # the general signal first, so the task's own handler has the last word
            self.error.emit(message)
            if task.on_error is not None:
                task.on_error(message)
        finally:
            self._finish()

    @Slot(int)
    def _on_cancelled(self, task_id: int) -> None:
        task = self._take(task_id)
        if task is None or task.background:
            return
        try:
            self.cancelled.emit()
            if task.on_cancelled is not None:
                task.on_cancelled()
        finally:
            self._finish()
