"""The contract of long work: one explicit task context, and nothing about Qt.

Every long core function takes a keyword-only ``ctx: TaskContext = NO_CONTEXT``. The
context carries the progress callback ``progress(fraction, message)``, the stop flag
``should_stop()``, and for training the pause flag and the per-epoch callback. The GUI's
task runner and the CLI each build one from their own world and always pass it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from guiapp.core.study.errors import Cancelled

ProgressFn = Callable[[float, str], None]
StopFn = Callable[[], bool]
EpochFn = Callable[[dict], None]


def no_progress(fraction: float, message: str = "") -> None:
    """The progress callback for callers that do not listen."""


def never_stop() -> bool:
    return False


class StopFlag:
    """A thread-safe stop request; call it to ask whether work should stop."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        self._event.set()

    def clear(self) -> None:
        self._event.clear()

    def __call__(self) -> bool:
        return self._event.is_set()


def sub_progress(progress: ProgressFn, start: float, end: float) -> ProgressFn:
    """Map a sub-task's 0..1 progress into ``start..end`` of its parent's."""

    def report(fraction: float, message: str = "") -> None:
        progress(start + (end - start) * min(max(fraction, 0.0), 1.0), message)

    return report


@dataclass(frozen=True)
class TaskContext:
    """What a long core function needs from whoever runs it.

    ``should_pause`` is None for work that cannot pause (only training can); ``on_epoch``
    is None when nobody listens to training epochs.
    """

    progress: ProgressFn = no_progress
    should_stop: StopFn = never_stop
    should_pause: StopFn | None = None
    on_epoch: EpochFn | None = None

    def report(self, fraction: float, message: str = "") -> None:
        """Tell the caller how far the work is (0..1) and what it is doing."""
        self.progress(fraction, message)

    def stop_requested(self) -> bool:
        """Whether the user asked to stop (for work that stops by breaking off, not raising)."""
        return bool(self.should_stop())

    def check(self) -> None:
        """Raise :class:`Cancelled` when the user asked to stop."""
        if self.should_stop():
            raise Cancelled("stopped by the user")

    def sub(self, start: float, end: float) -> TaskContext:
        """A child context whose 0..1 progress maps into ``start..end`` of this one's."""
        return replace(self, progress=sub_progress(self.progress, start, end))

    def with_progress(self, progress: ProgressFn) -> TaskContext:
        """The same context with another progress callback (a relabelling or a silent one)."""
        return replace(self, progress=progress)

    def pause_requested(self) -> bool:
        """Whether the user asked the work to wait (always False for work that cannot pause)."""
        return self.should_pause is not None and bool(self.should_pause())

    def hold_while_paused(self, poll_s: float = 0.05) -> float:
        """Wait while a pause is asked for; a stop still stops. Returns the seconds waited."""
        if not self.pause_requested():
            return 0.0
        paused_at = time.perf_counter()
        while self.pause_requested():
            self.check()
            time.sleep(poll_s)
        return time.perf_counter() - paused_at

    def epoch(self, record: dict) -> None:
        """Hand one training epoch's record to whoever listens."""
        if self.on_epoch is not None:
            self.on_epoch(record)


NO_CONTEXT = TaskContext()
