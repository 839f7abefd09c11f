"""Training the network (Tips 3 and 6): one seed, deterministic algorithms, early stopping,
a checkpoint every epoch, cancel within one batch, pause, and resume after a crash.

:func:`train_network` is the Train step: it retries once with half the batch when the GPU runs
out of memory, and hands ``[train] processes`` above 1 to data-parallel training
(:mod:`guiapp.core.models.ddp`). One run goes through the training engine
(:mod:`guiapp.core.models.train_run`, :mod:`guiapp.core.models.engine`). The loop knows nothing
about Qt: it reports through its task context (progress and epochs), and stops or holds when
the context says so.
"""

from __future__ import annotations

import copy
import gc
import shutil
import statistics

from guiapp.core.models.checkpoints import BEST_WEIGHTS, CHECKPOINT
from guiapp.core.models.ddp import train_distributed
from guiapp.core.models.devices import pick_device
from guiapp.core.models.engine import OPTIMIZER_NAMES, OPTIMIZERS, PRECISIONS, SCHEDULES, SGD_MOMENTUM, is_out_of_memory
from guiapp.core.models.train_run import run_training
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.model import Study
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext

# The Train step's names, as the pages and the tests know them.
__all__ = [
    "BEST_WEIGHTS",
    "CHECKPOINT",
    "OPTIMIZERS",
    "OPTIMIZER_NAMES",
    "PRECISIONS",
    "SCHEDULES",
    "SGD_MOMENTUM",
    "pick_device",
    "repeat_training",
    "train_network",
]


def train_network(study: Study, resume: bool = True, *, ctx: TaskContext = NO_CONTEXT) -> dict:
    """Train the study's network on the training split, choosing epochs on the tune split.

    Returns a summary dict. A cancel keeps the best weights so far and marks the run
    ``cancelled``; a later call with ``resume=True`` continues from the last checkpoint.
    On a GPU out-of-memory error the batch is halved and training retried once.
    With ``[train] processes`` above 1 the training runs data-parallel in that many
    processes (:mod:`guiapp.core.models.ddp`) and records the same things.
    """
    t = study.train
    if study.folder is None:
        raise TenfoldError("Save the study in a folder before training: checkpoints go there.")
    if t.mixed_precision not in PRECISIONS:
        raise TenfoldError(f"Unknown mixed precision {t.mixed_precision!r}; choose {', '.join(PRECISIONS)}.")
    if int(getattr(t, "processes", 1) or 1) > 1:
        return train_distributed(study, resume, ctx=ctx)
    batch_size = t.batch_size
    for attempt in (1, 2):
        try:
            return run_training(study, batch_size, resume, ctx=ctx)
        except Exception as exc:
            if attempt == 2 or not is_out_of_memory(exc):
                raise
            import torch  # torch: imported lazily so the window opens fast

            gc.collect()
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            if batch_size <= 1:
                raise
            batch_size = max(batch_size // 2, 1)
            note = (
                f"The GPU ran out of memory; Tenfold freed it and retries with batch size "
                f"{batch_size} (half of {batch_size * 2})."
            )
            ctx.report(0.0, note)
            t.message = note
            resume = True
    raise AssertionError("unreachable")


def repeat_training(study: Study, seeds=(0, 1, 2), *, ctx: TaskContext = NO_CONTEXT) -> dict:
    """Train once per seed and report the tune metric as mean ± sd (noisy runs, Tip 3).

    The study's own weights and history are restored afterwards: repeats only measure.
    """
    t = study.train
    if len(seeds) < 2:
        raise TenfoldError("Repeats need at least two seeds to measure the spread.")
    saved = copy.deepcopy(t)
    ckpt = study.path("checkpoints")
    backup = study.path("checkpoints-before-repeats")
    if ckpt.exists():
        shutil.copytree(ckpt, backup, dirs_exist_ok=True)
    metric = study.primary_metric
    scores = []
    try:
        for k, seed in enumerate(seeds):
            t.seed, t.status, t.history, t.seconds = seed, "not started", [], 0.0

            def seed_progress(f: float, m: str = "", k: int = k, seed: int = seed) -> None:
                ctx.report((k + f) / len(seeds), f"Seed {seed}: {m}")

            train_network(study, resume=False, ctx=ctx.with_progress(seed_progress))
            best = next(r for r in t.history if r["epoch"] == t.best_epoch)
            scores.append(best[f"tune_{metric}"])
    finally:
        study.train = saved
        if backup.exists():
            shutil.rmtree(ckpt, ignore_errors=True)
            backup.rename(ckpt)
    result = {
        "seeds": list(seeds),
        "metric": metric,
        "scores": scores,
        "mean": statistics.fmean(scores),
        "sd": statistics.stdev(scores),
    }
    study.train.repeats = result
    study.save()
    return result
