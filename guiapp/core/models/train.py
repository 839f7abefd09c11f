"""Training the network (Tips 3 and 6): one seed, deterministic algorithms, early stopping,
a checkpoint every epoch, cancel within one batch, pause, and resume after a crash.

The loop knows nothing about Qt: it reports through ``progress`` and ``on_epoch``
callbacks and stops when ``should_stop()`` says so.
"""

from __future__ import annotations

import contextlib
import math
import os
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from guiapp.core.models.devices import free_memory_bytes, memory_in_use_mb, pick_device, seed_everything  # noqa: F401
from guiapp.core.study.errors import Cancelled, TenfoldError
from guiapp.core.study.findings import Findings
from guiapp.core.study.task_context import ProgressFn, StopFn, no_progress
from guiapp.core.study.vocabulary import LR_SCHEDULES

CHECKPOINT = "checkpoints/last.pt"
BEST_WEIGHTS = "checkpoints/best.safetensors"
EpochFn = Callable[[dict], None]
SCHEDULES = LR_SCHEDULES
PRECISIONS = ("off", "bf16", "fp16")
# Adaptive methods train fast but can generalise worse than SGD with momentum (Tip 3): the
# search tries all three.
OPTIMIZERS = ("adamw", "adam", "sgd")
OPTIMIZER_NAMES = {"adamw": "AdamW", "adam": "Adam", "sgd": "SGD with momentum 0.9"}
SGD_MOMENTUM = 0.9
# Keep the data on the GPU when they take less than this share of its free memory.
DEVICE_RESIDENT_SHARE = 0.5


def _loss_fn(study):
    from torch import nn

    return nn.CrossEntropyLoss() if study.is_classification else nn.MSELoss()


def _loss_fn_summed(study):
    """The loss summed over the batch: a data-parallel rank weights its part's sum itself."""
    from torch import nn

    return nn.CrossEntropyLoss(reduction="sum") if study.is_classification else nn.MSELoss(reduction="sum")


def _target(study, y):
    import torch

    if study.is_classification:
        return torch.as_tensor(y, dtype=torch.long)
    return torch.as_tensor(y, dtype=torch.float32).unsqueeze(1)


def _save_checkpoint(path: Path, state: dict) -> None:
    """torch.save to a temp file, then rename: a crash leaves the previous checkpoint."""
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def _host_copy(obj, into=None):
    """A copy of a (nested) state dict with every tensor on the CPU, safe from training.

    ``into``, an earlier copy of the same structure, is reused tensor by tensor: copying into
    memory already allocated costs a tenth of fresh allocations every epoch.
    """
    import torch

    if isinstance(obj, torch.Tensor):
        if isinstance(into, torch.Tensor) and into.shape == obj.shape and into.dtype == obj.dtype:
            return into.copy_(obj.detach())
        return obj.detach().to("cpu", copy=True)
    if isinstance(obj, dict):
        into = into if isinstance(into, dict) else {}
        return {k: _host_copy(v, into.get(k)) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        into = into if isinstance(into, type(obj)) and len(into) == len(obj) else [None] * len(obj)
        return type(obj)(_host_copy(v, w) for v, w in zip(obj, into, strict=False))
    return obj


def _write_epoch(ckpt_path: Path, state: dict, best_path: Path, best_weights) -> None:
    """The writer thread's job: new best weights first, then the checkpoint that names them."""
    from guiapp.core.models.network import save_weights

    if best_weights is not None:
        save_weights(best_weights, best_path)
    _save_checkpoint(ckpt_path, state)


def _finish_quietly(finish: Callable[[], None]) -> None:
    """Wait for checkpoint writes while another error is already on its way to the user."""
    try:
        finish()
    except Exception:  # noqa: BLE001 - the error in flight is the one to report
        pass


def _is_out_of_memory(exc: BaseException) -> bool:
    import torch

    oom = getattr(torch.cuda, "OutOfMemoryError", ())
    return (oom and isinstance(exc, oom)) or "out of memory" in str(exc).lower()


def _scheduler(study, optimizer):
    import torch

    t = study.train
    if t.lr_schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(t.max_epochs, 1))
    if t.lr_schedule == "plateau":
        return torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=max(t.patience // 3, 1))
    if t.lr_schedule not in SCHEDULES:
        raise TenfoldError(f"Unknown learning-rate schedule {t.lr_schedule!r}; choose {', '.join(SCHEDULES)}.")
    return None


def _optimizer(model, t, device: str):
    """The study's optimizer (AdamW, Adam, or SGD with momentum), fused into one kernel per
    step where torch has one for the device (about a third faster than the default
    per-tensor update on the CPU; the same arithmetic)."""
    import torch

    kind = getattr(t, "optimizer", "adamw") or "adamw"
    if kind not in OPTIMIZERS:
        raise TenfoldError(f"Unknown optimizer {kind!r}; choose {', '.join(OPTIMIZERS)}.")
    params = list(model.parameters())
    kwargs = {}
    if kind != "sgd":
        try:
            from torch.optim.optimizer import _get_fused_kernels_supported_devices

            if device in _get_fused_kernels_supported_devices() and all(p.is_floating_point() for p in params):
                kwargs["fused"] = True
        except ImportError:  # an older torch: its default (foreach on GPUs)
            pass
    if kind == "sgd":
        return torch.optim.SGD(params, lr=t.learning_rate, momentum=SGD_MOMENTUM, weight_decay=t.weight_decay)
    if kind == "adam":
        return torch.optim.Adam(params, lr=t.learning_rate, weight_decay=t.weight_decay, **kwargs)
    return torch.optim.AdamW(params, lr=t.learning_rate, weight_decay=t.weight_decay, **kwargs)


def _autocast(device: str, precision: str):
    import torch

    if precision == "off" or device == "cpu":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device_type=device, dtype=dtype)


def train_network(
    study,
    progress: ProgressFn = no_progress,
    should_stop: StopFn | None = None,
    on_epoch: EpochFn | None = None,
    resume: bool = True,
    should_pause: StopFn | None = None,
) -> dict:
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
        from guiapp.core.models.ddp import train_distributed

        return train_distributed(study, progress, should_stop, on_epoch, resume, should_pause)
    batch_size = t.batch_size
    for attempt in (1, 2):
        try:
            return _train(study, batch_size, progress, should_stop, on_epoch, resume, should_pause)
        except Exception as exc:
            if attempt == 2 or not _is_out_of_memory(exc):
                raise
            import gc

            import torch

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
            progress(0.0, note)
            t.message = note
            resume = True
    raise AssertionError("unreachable")


def _train(study, batch_size, progress, should_stop, on_epoch, resume, should_pause, ddp=None) -> dict:
    """One training run. ``ddp`` (a :class:`guiapp.core.models.ddp.Rank`) makes this process one
    rank of a data-parallel run: it trains on its part of every batch, and only rank 0 writes."""
    import torch

    from guiapp.core.models.devices import device_description
    from guiapp.core.models.network import model_for_study
    from guiapp.core.split.draw import train_tune_arrays
    from guiapp.core.stats.metrics import fast_score

    t = study.train
    X_tr, y_tr, X_tu, y_tu = train_tune_arrays(study) if ddp is None else ddp.arrays
    device = pick_device(t.device) if ddp is None else ddp.device
    seed_everything(t.seed, t.deterministic)
    model = model_for_study(study, X_tr, y_tr).to(device)
    optimizer = _optimizer(model, t, device)
    scheduler = _scheduler(study, optimizer)
    scaler = torch.amp.GradScaler(device) if (t.mixed_precision == "fp16" and device == "cuda") else None
    ckpt_path = study.path(CHECKPOINT)
    start_epoch, history, best = 0, [], (math.inf, None)
    earlier, sessions = 0.0, []  # training time and sessions of the processes before this one
    generator = torch.Generator().manual_seed(t.seed)
    note = t.message if "out of memory" in t.message else ""
    if resume and ckpt_path.exists() and t.status in ("running", "cancelled", "failed"):
        state = torch.load(ckpt_path, map_location=device, weights_only=True)  # never unpickle arbitrary objects
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if scheduler is not None and state.get("scheduler"):
            scheduler.load_state_dict(state["scheduler"])
        generator.set_state(state["generator"])
        torch.set_rng_state(state["torch_rng"])
        start_epoch, history = state["epoch"], state["history"]
        best = (state["best_loss"], state["best_epoch"])
        # The checkpoint, not study.json (written at start and end only), knows how long the
        # epochs it holds took: a resumed run adds its time to theirs.
        earlier, sessions = float(state.get("seconds", t.seconds)), list(state.get("sessions", t.sessions))
        # What the checkpoint holds is the run so far, even when no epoch is left to train.
        t.history, t.best_epoch, t.seconds, t.sessions = list(history), best[1], earlier, list(sessions)
        t.weights = BEST_WEIGHTS if best[1] else t.weights
        progress(start_epoch / t.max_epochs, f"Resuming after epoch {start_epoch}")
    elif ckpt_path.exists() and (ddp is None or ddp.rank == 0):
        ckpt_path.unlink(missing_ok=True)
    # Data-parallel: the wrapped model trains (its gradients averaged over the ranks); the
    # plain one, the same parameters, is evaluated and saved, so checkpoints read the same.
    step_model = model if ddp is None else ddp.wrap(model)

    from guiapp.core.data.streaming import batch_loader, is_streamed, predict_in_batches

    # Features left on disk (large image folders, backed AnnData) stream through a DataLoader.
    streamed = is_streamed(X_tr)
    if streamed and ddp is not None:
        raise TenfoldError(
            "Data-parallel training of data streamed from disk (a large image folder or "
            "AnnData file) is not supported yet: set [train] processes = 1."
        )
    X_tr_t, X_tu_t = (X_tr, X_tu) if streamed else (torch.as_tensor(X_tr), torch.as_tensor(X_tu))
    y_tr_t, y_tu_t = _target(study, y_tr), _target(study, y_tu)
    free = free_memory_bytes(device)
    resident = not streamed and (device == "cpu" or free is None or X_tr_t.nbytes < DEVICE_RESIDENT_SHARE * free)
    if streamed:
        Xtr, ytr, Xtu, ytu = X_tr, y_tr, X_tu, y_tu_t.to(device)
    elif resident:
        # Data that fit on the device are moved there once and batched by index.
        Xtr, ytr = X_tr_t.to(device), y_tr_t.to(device)
    else:
        # Larger data stay in pinned host memory and stream with non-blocking copies.
        Xtr, ytr = X_tr_t.pin_memory(), y_tr_t.pin_memory()
    if not streamed:
        Xtu, ytu = X_tu_t.to(device), y_tu_t.to(device)
    loss_fn = _loss_fn(study)
    if ddp is not None:
        step_loss = ddp.batch_loss(_loss_fn_summed(study))
    autocast = _autocast(device, t.mixed_precision)  # made once: entered every batch
    metric = study.primary_metric
    n = len(Xtr)
    desc = device_description(device)
    t.status, t.device_used, t.message = "running", device, note
    t.device_name, t.device_memory_gb, t.batch_size_used = desc["name"], desc["memory_gb"], batch_size
    study.set_findings("train", [] if t.deterministic else [Findings.nondeterministic.raise_()])
    study.save()
    started = time.perf_counter()
    since_best = (start_epoch - best[1]) if best[1] else 0
    epoch = start_epoch
    # A kill after the epoch that stopped training early, before the end was saved: nothing is
    # left to train (one more epoch would give another model than the uninterrupted run's).
    stopped = bool(start_epoch) and since_best >= t.patience
    last_epoch = start_epoch if stopped else t.max_epochs
    # Checkpoints are written on a writer thread: the next epoch starts while the disk works.
    writes = ddp is None or ddp.rank == 0  # data-parallel: rank 0 alone writes
    writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tenfold-checkpoint") if writes else None
    in_flight = None
    # Two host copies take turns: one may be on its way to the disk while the other is filled.
    copies: list = [None, None]

    def write_checkpoint(improved: bool) -> None:
        """Hand this epoch's checkpoint (and new best weights) to the writer: copies now, disk later.

        One write is in flight at most, so every epoch's checkpoint reaches the disk in order
        and a failed write surfaces here, at the next epoch.
        """
        nonlocal in_flight
        if writer is None:  # a data-parallel rank other than 0: rank 0 writes
            return
        slot = epoch % 2
        copies[slot] = state = _host_copy(
            {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict() if scheduler is not None else None,
                "generator": generator.get_state(),
                "torch_rng": torch.get_rng_state(),
                "epoch": epoch,
                "history": list(history),
                "best_loss": best[0],
                "best_epoch": best[1],
                "seconds": t.seconds,
                "sessions": list(t.sessions),
            },
            copies[slot],
        )
        finish_writes()  # the write of the other copy; this one's last write ended an epoch ago
        best_weights = state["model"] if improved else None  # the same copy, written twice
        in_flight = writer.submit(_write_epoch, ckpt_path, state, study.path(BEST_WEIGHTS), best_weights)

    def finish_writes() -> None:
        nonlocal in_flight
        if in_flight is not None:
            done, in_flight = in_flight, None
            done.result()

    try:
        for epoch in range(start_epoch + 1, last_epoch + 1):
            model.train()
            if ddp is not None:
                ddp.seed_epoch(t.seed, epoch)
            order = torch.randperm(n, generator=generator)
            if resident:
                order = order.to(device)
            total = torch.zeros((), device=device)
            stream = (
                iter(batch_loader(Xtr, ytr, [order[i : i + batch_size].numpy() for i in range(0, n, batch_size)]))
                if streamed
                else None
            )
            for i in range(0, n, batch_size):
                if should_stop is not None and should_stop():
                    raise Cancelled()
                if should_pause is not None and should_pause():
                    paused_at = time.perf_counter()
                    while should_pause():
                        if should_stop is not None and should_stop():
                            raise Cancelled()
                        time.sleep(0.05)
                    started += time.perf_counter() - paused_at  # a pause is not training time: ETA, samples/s
                if streamed:
                    idx, yb = next(stream)
                    xb, yb = idx.to(device, non_blocking=True), _target(study, yb).to(device, non_blocking=True)
                else:
                    idx = order[i : i + batch_size]
                    if ddp is not None:  # this rank's part of the global batch
                        idx = ddp.part(idx)
                    xb, yb = Xtr[idx], ytr[idx]
                if not resident and not streamed:
                    xb, yb = xb.to(device, non_blocking=True), yb.to(device, non_blocking=True)
                optimizer.zero_grad(set_to_none=True)
                with autocast:
                    loss = loss_fn(model(xb), yb) if ddp is None else step_loss(step_model(xb), yb)
                if scaler is not None:
                    scaler.scale(loss).backward()
                    scaler.step(optimizer)
                    scaler.update()
                else:
                    loss.backward()
                    optimizer.step()
                # Summed on the device in one op: a float() per batch would wait for the GPU.
                total.add_(loss.detach(), alpha=len(idx) if ddp is None else ddp.rows_per_loss)
            if ddp is not None:
                ddp.sum(total)
            train_loss = float(total) / n
            model.eval()
            with torch.inference_mode(), autocast:
                tune_out = (
                    predict_in_batches(model, Xtu, batch_size=batch_size, device=device).to(device)
                    if streamed
                    else model(Xtu).float()
                )
                tune_loss = float(loss_fn(tune_out, ytu))
                tune_pred = torch.softmax(tune_out, dim=1) if study.is_classification else tune_out.squeeze(1)
            if ddp is not None:  # rank 0's tune loss decides, on every rank: schedule, early stop
                tune_loss = ddp.from_rank0(tune_loss)
            # The last step of an epoch can diverge with a finite training loss: check both.
            if not (math.isfinite(train_loss) and math.isfinite(tune_loss)):
                which, value = ("training", train_loss) if not math.isfinite(train_loss) else ("tune", tune_loss)
                raise TenfoldError(
                    f"The {which} loss became {value} at epoch {epoch}: the network "
                    f"diverged. Lower the learning rate (now {t.learning_rate:g}) and train again."
                )
            tune_score = fast_score(metric, y_tu, tune_pred.cpu().numpy())  # sklearn's checks cost ms an epoch
            lr = optimizer.param_groups[0]["lr"]
            if scheduler is not None:
                scheduler.step(tune_loss) if t.lr_schedule == "plateau" else scheduler.step()
            session = time.perf_counter() - started
            elapsed = earlier + session
            per_epoch = session / (epoch - start_epoch) if epoch > start_epoch else 0.0
            record = {
                "epoch": epoch,
                "train_loss": train_loss,
                "tune_loss": tune_loss,
                f"tune_{metric}": tune_score,
                "seconds": round(elapsed, 3),
                "eta_seconds": round(per_epoch * (t.max_epochs - epoch), 1),
                "samples_per_second": round(n / max(per_epoch, 1e-9), 1),
                "learning_rate": lr,
                "device_memory_mb": memory_in_use_mb(device),
            }
            history.append(record)
            improved = tune_loss < best[0]
            if improved:
                best, since_best = (tune_loss, epoch), 0
            else:
                since_best += 1
            t.history, t.best_epoch, t.seconds = history, best[1], round(elapsed, 3)
            t.sessions = sessions + [{"from_epoch": start_epoch + 1, "to_epoch": epoch, "seconds": round(session, 3)}]
            t.weights = BEST_WEIGHTS
            # study.json is written at start and end only: the checkpoint of every epoch carries
            # the history, so a killed run loses at most the epoch in flight.
            write_checkpoint(improved)
            if on_epoch is not None:
                on_epoch(record)
            progress(
                epoch / t.max_epochs,
                f"Epoch {epoch}/{t.max_epochs} · tune loss {tune_loss:.4f} · about {_eta(record['eta_seconds'])} left",
            )
            if since_best >= t.patience:
                stopped = True
                break
        if stopped:
            t.message = _join(
                note, f"Stopped early at epoch {epoch}: the tune loss had not improved for {t.patience} epochs."
            )
        finish_writes()
    except Cancelled:
        _finish_quietly(finish_writes)
        t.status = "cancelled"
        t.message = _join(
            note,
            f"Cancelled during epoch {epoch}; the best weights so far "
            f"(epoch {best[1]}) are kept. Train again to resume.",
        )
        if best[1]:
            study.add_finding(Findings.training_cancelled.raise_(epoch=epoch - 1, max_epochs=t.max_epochs))
        study.save()
        raise
    except BaseException:
        _finish_quietly(finish_writes)
        t.status = "failed"
        study.save()
        raise
    finally:
        if writer is not None:
            writer.shutdown(wait=True)
    t.status = "done"
    if "Stopped early" not in t.message:
        t.message = _join(note, f"Trained {epoch} epochs; best tune loss at epoch {best[1]}.")
    study.save()
    return {"epochs": epoch, "best_epoch": best[1], "device": device, "seconds": t.seconds, "batch_size": batch_size}


def repeat_training(
    study, seeds=(0, 1, 2), progress: ProgressFn = no_progress, should_stop: StopFn | None = None
) -> dict:
    """Train once per seed and report the tune metric as mean ± sd (noisy runs, Tip 3).

    The study's own weights and history are restored afterwards: repeats only measure.
    """
    import copy
    import shutil

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
            train_network(
                study,
                progress=lambda f, m, k=k, seed=seed: progress((k + f) / len(seeds), f"Seed {seed}: {m}"),
                should_stop=should_stop,
                resume=False,
            )
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


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def _eta(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min"
