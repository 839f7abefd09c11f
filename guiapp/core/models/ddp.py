"""Data-parallel training (``[train] processes = N``): N processes train one network with
torch's DistributedDataParallel, each on its part of every batch.

The global batch stays ``[train] batch_size``: each batch is cut into N near-equal parts, one
per process, and each part's summed loss is weighted so that the gradients DistributedDataParallel
averages over the processes are the gradient of the whole batch. The loop is
:func:`guiapp.core.models.train._train` itself; :class:`Rank` is the few things a rank does
differently. Rank 0 alone writes checkpoints and ``study.json``; its tune loss, shared with
every rank, decides the learning-rate schedule and early stopping, so all ranks stop together.

The parent (the process that asked for training) starts the ranks, relays rank 0's progress,
forwards cancel and pause, and takes the result back into its study. A rank that fails or dies
stops the others: the parent ends every rank it started and raises a :class:`TrainingProcessFailed`
that says which rank and why. Processes on CUDA use NCCL, one GPU each; on the CPU, gloo.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time

from guiapp.core.study.errors import Cancelled, TenfoldError
from guiapp.core.study.task_context import ProgressFn, StopFn, no_progress

# A collective that waits longer than this on a silent rank fails instead of hanging.
COLLECTIVE_TIMEOUT_S = float(os.environ.get("TENFOLD_DDP_TIMEOUT", "600"))
# After a cancel, ranks get this long to stop at the next batch before they are ended.
CANCEL_GRACE_S = 30.0
# How long the parent waits for the last words of a rank that died, or for more ranks' errors.
LAST_WORDS_S = 1.0
RUN, PAUSE, STOP = 0, 1, 2
FAILURE_LOG = "training-processes.log"  # in the study folder, after a failed data-parallel run


class TrainingProcessFailed(TenfoldError):
    """A rank of a data-parallel training failed or died; ``details`` holds its traceback."""

    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message)
        self.details = details


def check_processes(study) -> tuple[str, str]:
    """``(device, backend)`` for the study's data-parallel training, or a TenfoldError saying
    why these processes cannot train on this machine."""
    from guiapp.core.models.devices import pick_device

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
        import torch

        gpus = torch.cuda.device_count()
        if gpus < world:
            raise TenfoldError(
                f"[train] processes = {world} needs one GPU per process, and this machine has {gpus}. "
                f'Set processes to at most {gpus}, or device = "cpu".'
            )
        return device, "nccl"
    return device, "gloo"


class Rank:
    """What one process of a data-parallel training does differently from a single process."""

    def __init__(self, rank: int, world: int, device: str, arrays, control, cpu_group=None):
        self.rank, self.world, self.device, self.arrays = rank, world, device, arrays
        self._control, self._group, self._flag = control, cpu_group, RUN
        self._weight, self.rows_per_loss = 1.0, 1.0

    def wrap(self, model):
        """The model under DistributedDataParallel: it starts from rank 0's weights, and every
        backward pass averages the gradients over the ranks."""
        import inspect

        from torch.nn.parallel import DistributedDataParallel

        ids = [self.rank] if self.device == "cuda" else None
        # The buffers hold the training split's statistics, the same on every rank: no need to
        # send them before every forward pass (the keyword's name changed in torch 2.x).
        quiet = (
            {"forward_sync_buffers": False}
            if "forward_sync_buffers" in inspect.signature(DistributedDataParallel).parameters
            else {"broadcast_buffers": False}
        )
        return DistributedDataParallel(model, device_ids=ids, **quiet)

    def part(self, idx):
        """This rank's part of one global batch of indices (parts differ by one row at most).

        DistributedDataParallel averages the ranks' gradients, so each part's summed loss is
        weighted by N / (rows in the batch): the average is then the whole batch's mean loss
        gradient, as one process computes it, whatever the remainder.
        """
        rows = len(idx)
        self._weight, self.rows_per_loss = self.world / rows, rows / self.world
        return idx.tensor_split(self.world)[self.rank]

    def batch_loss(self, summed_loss):
        return lambda output, target: summed_loss(output, target) * self._weight

    def sum(self, tensor) -> None:
        """Sum a tensor over the ranks, in place (the epoch's training loss)."""
        import torch.distributed as dist

        dist.all_reduce(tensor)

    def from_rank0(self, value: float) -> float:
        """Rank 0's value on every rank."""
        import torch
        import torch.distributed as dist

        box = torch.tensor([value], dtype=torch.float64)
        dist.broadcast(box, 0, group=self._group)
        return float(box)

    def seed_epoch(self, seed: int, epoch: int) -> None:
        """Dropout draws of its own for each rank and epoch; a function of both, so a resumed
        run draws the same as an uninterrupted one."""
        import torch

        torch.manual_seed((seed * 1_000_003 + epoch * 7_919 + self.rank * 104_729) % 2**63)

    def should_stop(self) -> bool:
        """Whether any rank was told to stop; every rank learns the same, at the same batch."""
        import torch
        import torch.distributed as dist

        box = torch.tensor([self._control.value], dtype=torch.int32)
        dist.all_reduce(box, op=dist.ReduceOp.MAX, group=self._group)
        self._flag = int(box)
        return self._flag == STOP

    def should_pause(self) -> bool:
        return self._flag == PAUSE  # agreed by the should_stop just before


def _watch_parent(method: str) -> None:
    """End this rank when the process that started it is gone: no orphan keeps training."""
    import multiprocessing
    import threading

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


def _context():
    """Processes from a fork server that has imported torch once (a rank then starts in
    milliseconds, not the seconds of a fresh interpreter); spawned ones where there is none
    (Windows). Neither forks a parent that may hold threads or a CUDA context."""
    import torch.multiprocessing as mp

    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        # Only the first fork server of a process reads this; later calls change nothing.
        # DistributedDataParallel's first use imports torch._dynamo: seconds a rank, once here.
        ctx.set_forkserver_preload(
            [
                "__main__",
                "torch",
                "torch.distributed",
                "torch._dynamo",
                "guiapp.core.study.model",
                "guiapp.core.models.train",
                "guiapp.core.models.ddp",
            ]
        )
        return ctx, "forkserver"
    return mp.get_context("spawn"), "spawn"


def _worker(rank, world, backend, init_file, study, tensors, batch_size, resume, messages, control, method):
    """One rank: join the group, train with :func:`guiapp.core.models.train._train`, report back."""
    import traceback

    try:
        _watch_parent(method)
        from datetime import timedelta

        import torch
        import torch.distributed as dist

        from guiapp.core.models.train import _train

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
            progress, on_epoch = no_progress, None
            study.save = lambda *args, **kwargs: None  # rank 0 writes study.json
        try:
            result = _train(study, batch_size, progress, ddp.should_stop, on_epoch, resume, ddp.should_pause, ddp=ddp)
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


def train_distributed(
    study,
    progress: ProgressFn = no_progress,
    should_stop: StopFn | None = None,
    on_epoch=None,
    resume: bool = True,
    should_pause: StopFn | None = None,
) -> dict:
    """Train the study's network in ``[train] processes`` processes; record the result as
    :func:`guiapp.core.models.train.train_network` does, plus the number of processes."""
    import copy
    import queue

    import torch

    from guiapp.core.split.draw import train_tune_arrays

    t = study.train
    world = int(t.processes)
    device, backend = check_processes(study)
    # The parent reads the data once; the ranks share its arrays through shared memory.
    tensors = tuple(torch.from_numpy(a).share_memory_() for a in train_tune_arrays(study))
    child = copy.copy(study)
    child.table = None  # the ranks get the arrays, not the table
    ctx, method = _context()
    control = ctx.Value("i", RUN)
    messages = ctx.Queue()
    folder = tempfile.mkdtemp(prefix="tenfold-ddp-")
    procs: list = []
    outcomes: dict = {}
    errors: list = []
    progress(0.0, f"Starting {world} training processes ({backend}, {device})")
    try:
        for rank in range(world):
            proc = ctx.Process(
                target=_worker,
                name=f"tenfold-train-rank-{rank}",
                daemon=True,
                args=(
                    rank,
                    world,
                    backend,
                    os.path.join(folder, "rendezvous"),
                    child,
                    tensors,
                    t.batch_size,
                    resume,
                    messages,
                    control,
                    method,
                ),
            )
            proc.start()
            procs.append(proc)
        stop_asked = None
        dead_since = None
        while len(outcomes) < world:
            if should_stop is not None and should_stop():
                control.value = STOP
                stop_asked = stop_asked or time.monotonic()
            else:
                control.value = PAUSE if (should_pause is not None and should_pause()) else RUN
            try:
                message = messages.get(timeout=0.1)
            except queue.Empty:
                message = None
            if message is not None:
                kind = message[0]
                if kind == "progress":
                    progress(message[1], message[2])
                elif kind == "epoch":
                    if on_epoch is not None:
                        on_epoch(message[1])
                elif kind == "error":
                    errors.append(message[1:])
                    _gather_errors(messages, errors)
                    break
                else:
                    outcomes[message[1]] = (kind, message[2])
                continue
            if stop_asked and time.monotonic() - stop_asked > CANCEL_GRACE_S:
                break  # the ranks did not stop in time: they are ended below
            gone = [p for p in procs if p.exitcode is not None and procs.index(p) not in outcomes]
            if gone:
                # A rank's last message may still be on its way: wait a moment for it.
                dead_since = dead_since or time.monotonic()
                if time.monotonic() - dead_since > LAST_WORDS_S:
                    break
    finally:
        # Ranks that died by themselves, before the others are ended here: the cause, not a symptom.
        died = {rank: p.exitcode for rank, p in enumerate(procs) if p.exitcode not in (None, 0)}
        _end(procs, grace=5.0 if len(outcomes) == world else 0.0)
        messages.close()
        messages.cancel_join_thread()
        shutil.rmtree(folder, ignore_errors=True)

    if errors or (len(outcomes) < world and not stop_asked):
        t.status = "failed"
        study.save()
        error = _failure(errors, died, outcomes, world)
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


def _take_back(study, payload) -> dict:
    """Rank 0's record of the run becomes the study's: history, best epoch, seconds, findings."""
    result, train_state, findings = payload
    study.train, study.findings = train_state, findings
    study.save()
    return result or {}


def _gather_errors(messages, errors: list) -> None:
    """Other ranks usually fail a moment later (their partner is gone): collect their words too."""
    import queue

    until = time.monotonic() + LAST_WORDS_S
    while time.monotonic() < until:
        try:
            message = messages.get(timeout=0.05)
        except queue.Empty:
            continue
        if message[0] == "error":
            errors.append(message[1:])


def _failure(errors: list, died: dict, outcomes: dict, world: int) -> TenfoldError:
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


def _end(procs: list, grace: float = 0.0) -> None:
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
