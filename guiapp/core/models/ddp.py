"""Data-parallel training (``[train] processes = N``): N processes train one network with
torch's DistributedDataParallel, each on its part of every batch.

The global batch stays ``[train] batch_size``: each batch is cut into N near-equal parts, one
per process, and each part's summed loss is weighted so that the gradients DistributedDataParallel
averages over the processes are the gradient of the whole batch. The loop is
:func:`guiapp.core.models.train_run.run_training` itself; :class:`Rank` is the few things a rank does
differently. Rank 0 alone writes checkpoints and ``study.json``; its tune loss, shared with
every rank, decides the learning-rate schedule and early stopping, so all ranks stop together.

The parent (the process that asked for training) starts the ranks, relays rank 0's progress,
forwards cancel and pause, and takes the result back into its study. A rank that fails or dies
stops the others: the parent ends every rank it started and raises a :class:`TrainingProcessFailed`
that says which rank and why. Processes on CUDA use NCCL, one GPU each; on the CPU, gloo.
"""

from __future__ import annotations

import copy
import multiprocessing
import os
import queue
import shutil
import tempfile
import threading
import time
import traceback
from datetime import timedelta

from guiapp.core.models.ddp_failures import (
    FAILURE_LOG,
    LAST_WORDS_S,
    TrainingProcessFailed,
    end_ranks,
    failure,
    gather_errors,
)
from guiapp.core.models.ddp_rank import PAUSE, RUN, STOP, Rank
from guiapp.core.models.devices import pick_device
from guiapp.core.models.train_run import run_training
from guiapp.core.split.draw import train_tune_arrays
from guiapp.core.study.errors import Cancelled, TenfoldError
from guiapp.core.study.model import Study
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext, no_progress

# A rank's failure, as the callers know it.
__all__ = ["TrainingProcessFailed", "check_processes", "train_distributed"]

# A collective that waits longer than this on a silent rank fails instead of hanging.
COLLECTIVE_TIMEOUT_S = float(os.environ.get("TENFOLD_DDP_TIMEOUT", "600"))
# After a cancel, ranks get this long to stop at the next batch before they are ended.
CANCEL_GRACE_S = 30.0


def check_processes(study: Study) -> tuple[str, str]:
    """``(device, backend)`` for the study's data-parallel training, or a TenfoldError saying
    why these processes cannot train on this machine."""
    t = study.train
    world = int(t.processes)
    if t.batch_size < world:
        raise TenfoldError(
            f"[train] batch_size = {t.batch_size} is smaller than [train] processes = {world}: each "
            f"process trains on its part of every batch, so a batch needs at least {world} samples. "
            f"Raise batch_size or lower processes."
        )
    device = pick_device(t.device)
    if device == "mps":
        raise TenfoldError(
            f"[train] processes = {world}: data-parallel training runs on CUDA GPUs or on the CPU, "
            'not on Apple\'s MPS. Set processes = 1, or device = "cpu".'
        )
    if device == "cuda":
        # torch: imported lazily, a heavy library
        import torch

        gpus = torch.cuda.device_count()
        if gpus < world:
            raise TenfoldError(
                f"[train] processes = {world} needs one GPU per process, and this machine has {gpus}. "
                f'Set processes to at most {gpus}, or device = "cpu".'
            )
        return device, "nccl"
    return device, "gloo"


def _watch_parent(method: str) -> None:
    """End this rank when the process that started it is gone: no orphan keeps training."""

    if method == "forkserver":
        # A rank's parent is the fork server, which exits with the process that started it.
        ppid = os.getppid()

        def gone() -> bool:
            time.sleep(1.0)
            return os.getppid() != ppid
    else:
        parent = multiprocessing.parent_process()
        if parent is None:
            return

        def gone() -> bool:
            parent.join()
            return True

    def watch():
        while not gone():
            pass
        os._exit(1)

    threading.Thread(target=watch, name="tenfold-parent-watch", daemon=True).start()


def _process_context():
    """Processes from a fork server that has imported torch once (a rank then starts in
    milliseconds, not the seconds of a fresh interpreter); spawned ones where there is none
    (Windows). Neither forks a parent that may hold threads or a CUDA context."""
    # torch: imported lazily, a heavy library
    import torch.multiprocessing as mp

    if "forkserver" in mp.get_all_start_methods():
        forkserver = mp.get_context("forkserver")
        # Only the first fork server of a process reads this; later calls change nothing.
        # DistributedDataParallel's first use imports torch._dynamo: seconds a rank, once here.
        forkserver.set_forkserver_preload(
            [
                "__main__",
                "torch",
                "torch.distributed",
                "torch._dynamo",
                "guiapp.core.study.model",
                "guiapp.core.models.train_run",
                "guiapp.core.models.ddp",
            ]
        )
        return forkserver, "forkserver"
    return mp.get_context("spawn"), "spawn"


def _worker(rank, world, backend, init_file, study: Study, tensors, batch_size, resume, messages, control, method):
    """One rank: join the group, train with :func:`guiapp.core.models.train_run.run_training`, report back."""

    try:
        _watch_parent(method)

        # torch: imported lazily, a heavy library
        import torch
        import torch.distributed as dist

        if backend == "nccl":
            torch.cuda.set_device(rank)
        else:  # the ranks share the cores: more threads than cores would make them wait on each other
            torch.set_num_threads(max(1, (os.cpu_count() or 1) // world))
        dist.init_process_group(
            backend,
            init_method=f"file://{init_file}",
            rank=rank,
            world_size=world,
            timeout=timedelta(seconds=COLLECTIVE_TIMEOUT_S),
        )
        # Decisions (stop, pause, rank 0's tune loss) travel on the CPU, also beside NCCL.
        group = dist.new_group(backend="gloo") if backend != "gloo" else None
        ddp = Rank(
            rank, world, "cuda" if backend == "nccl" else "cpu", tuple(x.numpy() for x in tensors), control, group
        )
        if rank == 0:

            def progress(fraction, message=""):
                messages.put(("progress", fraction, message))

            def on_epoch(record):
                messages.put(("epoch", record))
        else:
            progress, on_epoch = no_progress, _no_epoch_report  # rank 0 alone reports
            study.save = lambda *args, **kwargs: None  # type: ignore[method-assign,assignment]  # rank 0 alone writes study.json
        # the parent's stop and pause reach every rank through the shared control value
        rank_ctx = TaskContext(
            progress=progress, should_stop=ddp.should_stop, should_pause=ddp.should_pause, on_epoch=on_epoch
        )
        try:
            result = run_training(study, batch_size, resume, ddp=ddp, ctx=rank_ctx)
            outcome = "done"
        except Cancelled:
            result, outcome = None, "cancelled"
        payload = (result, study.train, list(study.findings)) if rank == 0 else None
        messages.put((outcome, rank, payload))
        dist.destroy_process_group()
    except BaseException as exc:  # noqa: BLE001 - every failure reaches the parent in words
        messages.put(
            (
                "error",
                rank,
                isinstance(exc, TenfoldError),
                f"{type(exc).__name__}: {exc}",
                str(exc),
                traceback.format_exc(),
            )
        )
        raise SystemExit(1) from None


def _no_epoch_report(record: dict) -> None:
    """A rank other than 0 reports no epochs: rank 0 does."""


def train_distributed(study: Study, resume: bool = True, *, ctx: TaskContext = NO_CONTEXT) -> dict:
    """Train the study's network in ``[train] processes`` processes; record the result as
    :func:`guiapp.core.models.train.train_network` does, plus the number of processes."""

    import torch  # torch: imported lazily so the window opens fast

    t = study.train
    world = int(t.processes)
    device, backend = check_processes(study)
    # The parent reads the data once; the ranks share its arrays through shared memory.
    tensors = tuple(torch.from_numpy(a).share_memory_() for a in train_tune_arrays(study))
    child = copy.copy(study)
    child.table = None  # the ranks get the arrays, not the table
    processes, method = _process_context()  # not the task's ctx: multiprocessing's
    control = processes.Value("i", RUN)
    messages = processes.Queue()
    folder = tempfile.mkdtemp(prefix="tenfold-ddp-")
    procs: list = []
    relay = _Relay(world, ctx=ctx)
    ctx.report(0.0, f"Starting {world} training processes ({backend}, {device})")
    try:
        for rank in range(world):
            args = (rank, world, backend, os.path.join(folder, "rendezvous"), child, tensors, t.batch_size)
            proc = processes.Process(
                target=_worker,
                name=f"tenfold-train-rank-{rank}",
                daemon=True,
                args=(*args, resume, messages, control, method),
            )
            proc.start()
            procs.append(proc)
        relay.run(procs, messages, control)
    finally:
        # Ranks that died by themselves, before the others are ended here: the cause, not a symptom.
        died = {rank: p.exitcode for rank, p in enumerate(procs) if p.exitcode not in (None, 0)}
        end_ranks(procs, grace=5.0 if len(relay.outcomes) == world else 0.0)
        messages.close()
        messages.cancel_join_thread()
        shutil.rmtree(folder, ignore_errors=True)
    return _conclude(study, relay, died, world)


class _Relay:
    """The parent's side of a run: forward cancel and pause, relay rank 0's words, collect outcomes."""

    def __init__(self, world: int, *, ctx: TaskContext = NO_CONTEXT) -> None:
        self.world, self.ctx = world, ctx
        self.outcomes: dict = {}
        self.errors: list = []
        self.stop_asked: float | None = None

    def run(self, procs: list, messages, control) -> None:
        """Until every rank has reported, one fails, or a rank dies or ignores a cancel."""
        dead_since = None
        while len(self.outcomes) < self.world:
            if self.ctx.stop_requested():
                control.value = STOP
                self.stop_asked = self.stop_asked or time.monotonic()
            else:
                control.value = PAUSE if self.ctx.pause_requested() else RUN
            try:
                message = messages.get(timeout=0.1)
            except queue.Empty:
                message = None
            if message is not None:
                if self._take(message, messages):
                    break
                continue
            if self.stop_asked and time.monotonic() - self.stop_asked > CANCEL_GRACE_S:
                break  # the ranks did not stop in time: they are ended by the caller
            gone = [p for p in procs if p.exitcode is not None and procs.index(p) not in self.outcomes]
            if gone:
                # A rank's last message may still be on its way: wait a moment for it.
                dead_since = dead_since or time.monotonic()
                if time.monotonic() - dead_since > LAST_WORDS_S:
                    break

    def _take(self, message: tuple, messages) -> bool:
        """Act on one message from a rank; True when a rank failed."""
        kind = message[0]
        if kind == "progress":
            self.ctx.report(message[1], message[2])
        elif kind == "epoch":
            self.ctx.epoch(message[1])
        elif kind == "error":
            self.errors.append(message[1:])
            gather_errors(messages, self.errors)
            return True
        else:
            self.outcomes[message[1]] = (kind, message[2])
        return False


def _conclude(study: Study, relay: _Relay, died: dict, world: int) -> dict:
    """The run's end in the study: rank 0's record, or why it failed or was cancelled."""
    t, outcomes, errors = study.train, relay.outcomes, relay.errors
    if errors or (len(outcomes) < world and not relay.stop_asked):
        t.status = "failed"
        study.save()
        error = failure(errors, died, outcomes, world)
        if error.details:  # the tracebacks, for a bug report; the message stays one paragraph
            log = study.path(FAILURE_LOG)
            log.write_text(error.details, encoding="utf-8")
            error.args = (f"{error.args[0]} The processes' tracebacks are in {log}.",)
        raise error
    if len(outcomes) < world:  # cancelled, and the ranks did not stop in time
        t.status = "cancelled"
        t.message = "Cancelled; the training processes did not stop in time and were ended. Train again to resume."
        study.save()
        raise Cancelled()
    result = _take_back(study, outcomes[0][1])
    if outcomes[0][0] == "cancelled":
        raise Cancelled()
    return {**result, "processes": world}


def _take_back(study: Study, payload) -> dict:
    """Rank 0's record of the run becomes the study's: history, best epoch, seconds, findings."""
    result, train_state, findings = payload
    study.train, study.findings = train_state, findings
    study.save()
    return result or {}
