"""The contract of long work: a progress callback and a stop flag, and nothing about Qt.

Every long core function takes ``progress(fraction, message)`` and ``should_stop()``;
the GUI's task runner and the CLI each adapt them to their own world.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from guiapp.core.study.errors import Cancelled

ProgressFn = Callable[[float, str], None]
StopFn = Callable[[], bool]


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


def check_stop(should_stop: StopFn | None) -> None:
    """Raise :class:`Cancelled` when the user asked to stop."""
    if should_stop is not None and should_stop():
        raise Cancelled("stopped by the user")


def sub_progress(progress: ProgressFn, start: float, end: float) -> ProgressFn:
    """Map a sub-task's 0..1 progress into ``start..end`` of its parent's."""

    def report(fraction: float, message: str = "") -> None:
        progress(start + (end - start) * min(max(fraction, 0.0), 1.0), message)

    return report
