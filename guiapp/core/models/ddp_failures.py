"""When a data-parallel training fails: which rank, why, in words, and ending every rank.

A rank that fails or dies stops the others: the parent ends every rank it started
(:func:`end_ranks`) and raises a :class:`TrainingProcessFailed` that says which rank and why
(:func:`failure`).
"""

from __future__ import annotations

import queue
import time

from guiapp.core.study.errors import TenfoldError

# How long the parent waits for the last words of a rank that died, or for more ranks' errors.
LAST_WORDS_S = 1.0
FAILURE_LOG = "training-processes.log"  # in the study folder, after a failed data-parallel run


class TrainingProcessFailed(TenfoldError):
    """A rank of a data-parallel training failed or died; ``details`` holds its traceback."""

    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message)
        self.details = details


def gather_errors(messages, errors: list) -> None:
    """Other ranks usually fail a moment later (their partner is gone): collect their words too."""
    until = time.monotonic() + LAST_WORDS_S
    while time.monotonic() < until:
        try:
            message = messages.get(timeout=0.05)
        except queue.Empty:
            continue
        if message[0] == "error":
            errors.append(message[1:])


def failure(errors: list, died: dict, outcomes: dict, world: int) -> TrainingProcessFailed:
    """The clearest account of a failed run: a rank's own TenfoldError (the words one process
    would give), else a rank that died without a word (the others' errors only say their
    partner is gone), else the first rank's error."""
    own = [e for e in errors if e[1]]
    if own:
        rank, _, _, words, details = min(own)
        return TrainingProcessFailed(words, details)
    said = {e[0] for e in errors}
    silent = sorted((rank, code) for rank, code in died.items() if rank not in said)
    if silent or not errors:
        rank, code = silent[0] if silent else (min(set(range(world)) - set(outcomes)), None)
        how = (
            f"was killed by signal {-code}"
            if code is not None and code < 0
            else f"ended with exit code {code}"
            if code is not None
            else "stopped answering"
        )
        return TrainingProcessFailed(
            f"Data-parallel training failed: process {rank} of {world} {how} (out of memory, or ended from "
            "outside?). The other processes were ended. Train again to resume from the last checkpoint, "
            "or set [train] processes = 1 to train in one process.",
            "\n".join(e[4] for e in errors),
        )
    rank, _, summary, _, details = min(errors)
    return TrainingProcessFailed(
        f"Data-parallel training failed: process {rank} of {world} stopped with {summary}. The other "
        "processes were ended. Train again to resume from the last checkpoint, or set [train] "
        "processes = 1 to train in one process.",
        details,
    )


def end_ranks(procs: list, grace: float = 0.0) -> None:
    """End every rank still running, and wait for each: none outlives the training.

    ``grace``: seconds a rank that has reported gets to leave by itself."""
    until = time.monotonic() + grace
    for proc in procs:
        proc.join(timeout=max(until - time.monotonic(), 0))
    for proc in procs:
        if proc.is_alive():
            proc.terminate()
    for proc in procs:
        proc.join(timeout=5)
        if proc.is_alive():
            proc.kill()
            proc.join(timeout=5)
