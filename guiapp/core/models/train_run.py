"""One run of the Train step through the training engine (Tips 3 and 6): one seed,
deterministic algorithms, early stopping on the tune loss, a checkpoint every epoch, cancel
within one batch, pause, and resume after a crash.

:func:`run_training` is what one process does; with a :class:`guiapp.core.models.ddp.Rank` it
is one rank of a data-parallel run, which trains on its part of every batch (only rank 0
writes). The loop knows nothing about Qt: it reports through its task context (progress and
epochs), and stops or holds when the context says so.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from typing import cast

from guiapp.core.data.streaming import batch_loader, is_streamed, predict_in_batches
from guiapp.core.models import engine
from guiapp.core.models.checkpoints import BEST_WEIGHTS, CHECKPOINT, CheckpointWriter, finish_quietly
from guiapp.core.models.devices import (
    device_description,
    free_memory_bytes,
    memory_in_use_mb,
    pick_device,
    seed_everything,
)
from guiapp.core.models.network import model_for_study
from guiapp.core.split.draw import train_tune_arrays
from guiapp.core.stats.metrics import fast_score
from guiapp.core.study.errors import Cancelled, TenfoldError
from guiapp.core.study.findings import Findings
from guiapp.core.study.model import Study
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext

# Keep the data on the GPU when they take less than this share of its free memory.
DEVICE_RESIDENT_SHARE = 0.5


def run_training(study: Study, batch_size: int, resume: bool, *, ddp=None, ctx: TaskContext = NO_CONTEXT) -> dict:
    """One training run. ``ddp`` (a :class:`guiapp.core.models.ddp.Rank`) makes this process one
    rank of a data-parallel run: it trains on its part of every batch, and only rank 0 writes."""
    run = _Run(study, batch_size, ddp, ctx=ctx)
    run.start(resume)
    return run.train()


class _Run:
    """The state of one training run, from its first epoch (or the checkpoint's) to its end."""

    writer: CheckpointWriter  # made when the epochs start

    def __init__(self, study: Study, batch_size, ddp, *, ctx: TaskContext = NO_CONTEXT) -> None:
        import torch  # torch: imported lazily so the window opens fast

        self.study, self.batch_size, self.ddp, self.ctx = study, batch_size, ddp, ctx
        t = self.t = study.train
        self.arrays = train_tune_arrays(study) if ddp is None else ddp.arrays
        X_tr, y_tr = self.arrays[0], self.arrays[1]
        self.device = device = pick_device(t.device) if ddp is None else ddp.device
        seed_everything(t.seed, t.deterministic)
        self.model = model_for_study(study, X_tr, y_tr).to(device)
        self.optimizer = engine.make_optimizer(self.model, t, device)
        self.scheduler = engine.make_scheduler(study, self.optimizer)
        self.scaler = torch.amp.GradScaler(device) if (t.mixed_precision == "fp16" and device == "cuda") else None
        self.ckpt_path = study.path(CHECKPOINT)
        self.start_epoch, self.history = 0, cast(list[dict], [])
        self.best = engine.EarlyStopping(t.patience)
        self.earlier, self.sessions = (
            0.0,
            cast(list[dict], []),
        )  # training time and sessions of the processes before this one
        self.generator = torch.Generator().manual_seed(t.seed)
        self.note = t.message if "out of memory" in t.message else ""

    def start(self, resume: bool) -> None:
        """Resume from the checkpoint, or start afresh; place the data; mark the run as running."""
        t, ddp = self.t, self.ddp
        if resume and self.ckpt_path.exists() and t.status in ("running", "cancelled", "failed"):
            self._resume()
        elif self.ckpt_path.exists() and (ddp is None or ddp.rank == 0):
            self.ckpt_path.unlink(missing_ok=True)
        # Data-parallel: the wrapped model trains (its gradients averaged over the ranks); the
        # plain one, the same parameters, is evaluated and saved, so checkpoints read the same.
        step_model = self.model if ddp is None else ddp.wrap(self.model)
        self._place_data()
        self.loss_fn = engine.loss_fn(self.study)
        step_loss = self.loss_fn if ddp is None else ddp.batch_loss(engine.loss_fn(self.study, reduction="sum"))
        self.autocast = engine.autocast_for(self.device, t.mixed_precision)  # made once: entered every batch
        self.engine = engine.Engine(
            self.model, self.optimizer, step_loss, step_model=step_model, autocast=self.autocast, scaler=self.scaler
        )
        self.metric = self.study.primary_metric
        desc = device_description(self.device)
        t.status, t.device_used, t.message = "running", self.device, self.note
        t.device_name, t.device_memory_gb, t.batch_size_used = desc["name"], desc["memory_gb"], self.batch_size
        self.study.set_findings("train", [] if t.deterministic else [Findings.nondeterministic.raise_()])
        self.study.save()

    def _resume(self) -> None:
        import torch  # torch: imported lazily so the window opens fast

        t = self.t
        state = torch.load(self.ckpt_path, map_location=self.device, weights_only=True)  # never unpickle objects
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and state.get("scheduler"):
            self.scheduler.load_state_dict(state["scheduler"])
        self.generator.set_state(state["generator"])
        torch.set_rng_state(state["torch_rng"])
        self.start_epoch, self.history = state["epoch"], state["history"]
        best_epoch = state["best_epoch"]
        since = (self.start_epoch - best_epoch) if best_epoch else 0
        self.best = engine.EarlyStopping(t.patience, state["best_loss"], best_epoch, since)
        # The checkpoint, not study.json (written at start and end only), knows how long the
        # epochs it holds took: a resumed run adds its time to theirs.
        self.earlier = float(state.get("seconds", t.seconds))
        self.sessions = list(state.get("sessions", t.sessions))
        # What the checkpoint holds is the run so far, even when no epoch is left to train.
        t.history, t.best_epoch, t.seconds, t.sessions = (
            list(self.history),
            best_epoch,
            self.earlier,
            list(self.sessions),
        )
        t.weights = BEST_WEIGHTS if best_epoch else t.weights
        self.ctx.report(self.start_epoch / t.max_epochs, f"Resuming after epoch {self.start_epoch}")

    def _place_data(self) -> None:
        """Features left on disk (large image folders, backed AnnData) stream through a DataLoader;
        data that fit on the device move there once; larger data stay in pinned host memory."""
        import torch  # torch: imported lazily so the window opens fast

        X_tr, y_tr, X_tu, y_tu = self.arrays
        device, study = self.device, self.study
        self.streamed = streamed = is_streamed(X_tr)
        if streamed and self.ddp is not None:
            raise TenfoldError(
                "Data-parallel training of data streamed from disk (a large image folder or "
                "AnnData file) is not supported yet: set [train] processes = 1."
            )
        X_tr_t, X_tu_t = (X_tr, X_tu) if streamed else (torch.as_tensor(X_tr), torch.as_tensor(X_tu))
        y_tr_t, y_tu_t = engine.targets(study, y_tr), engine.targets(study, y_tu)
        free = free_memory_bytes(device)
        self.resident = not streamed and (
            device == "cpu" or free is None or X_tr_t.nbytes < DEVICE_RESIDENT_SHARE * free
        )
        if streamed:
            self.Xtr, self.ytr, self.Xtu, self.ytu = X_tr, y_tr, X_tu, y_tu_t.to(device)
        elif self.resident:
            self.Xtr, self.ytr = X_tr_t.to(device), y_tr_t.to(device)
        else:  # streamed from pinned memory with non-blocking copies
            self.Xtr, self.ytr = X_tr_t.pin_memory(), y_tr_t.pin_memory()
        if not streamed:
            self.Xtu, self.ytu = X_tu_t.to(device), y_tu_t.to(device)
        self.n = len(self.Xtr)

    def _batches(self, epoch: int) -> Iterator[engine.Batch]:
        """An epoch's batches in the order the run's generator draws."""
        import torch  # torch: imported lazily so the window opens fast

        ddp, device, bs, n = self.ddp, self.device, self.batch_size, self.n
        if ddp is not None:
            ddp.seed_epoch(self.t.seed, epoch)
        order = torch.randperm(n, generator=self.generator)
        if self.resident:
            order = order.to(device)
        stream = (
            iter(batch_loader(self.Xtr, self.ytr, [order[i : i + bs].numpy() for i in range(0, n, bs)]))
            if self.streamed
            else None
        )
        for i in range(0, n, bs):
            if stream is not None:
                idx, yb = next(stream)
                xb = idx.to(device, non_blocking=True)
                yb = engine.targets(self.study, yb).to(device, non_blocking=True)
            else:
                idx = order[i : i + bs]
                if ddp is not None:  # this rank's part of the global batch
                    idx = ddp.part(idx)
                xb, yb = self.Xtr[idx], self.ytr[idx]
            if not self.resident and not self.streamed:
                xb, yb = xb.to(device, non_blocking=True), yb.to(device, non_blocking=True)
            yield xb, yb, (len(idx) if ddp is None else ddp.rows_per_loss)

    def _before_batch(self) -> None:
        """Cancel within one batch; wait while paused (a pause is not training time)."""
        self.ctx.check()
        self.started += self.ctx.hold_while_paused()  # ETA, samples/s

    def _tune(self, epoch: int, train_loss: float) -> tuple[float, float]:
        """The tune loss and score after an epoch; a diverged loss is an error that says what to do."""
        import torch  # torch: imported lazily so the window opens fast

        model, study = self.model, self.study
        model.eval()
        with torch.inference_mode(), self.autocast:
            tune_out = (
                predict_in_batches(model, self.Xtu, batch_size=self.batch_size, device=self.device).to(self.device)
                if self.streamed
                else model(self.Xtu).float()
            )
            tune_loss = float(self.loss_fn(tune_out, self.ytu))
            tune_pred = torch.softmax(tune_out, dim=1) if study.is_classification else tune_out.squeeze(1)
        if self.ddp is not None:  # rank 0's tune loss decides, on every rank: schedule, early stop
            tune_loss = self.ddp.from_rank0(tune_loss)
        # The last step of an epoch can diverge with a finite training loss: check both.
        if not (math.isfinite(train_loss) and math.isfinite(tune_loss)):
            which, value = ("training", train_loss) if not math.isfinite(train_loss) else ("tune", tune_loss)
            raise TenfoldError(
                f"The {which} loss became {value} at epoch {epoch}: the network "
                f"diverged. Lower the learning rate (now {self.t.learning_rate:g}) and train again."
            )
        # sklearn's checks cost ms an epoch: the fast score
        return tune_loss, fast_score(self.metric, self.arrays[3], tune_pred.cpu().numpy())

    def _end_epoch(self, epoch: int, total) -> bool:
        """Score the epoch, step the schedule, record it, write the checkpoint; True to stop early."""
        t, ddp = self.t, self.ddp
        if ddp is not None:
            ddp.sum(total)
        train_loss = float(total) / self.n
        tune_loss, tune_score = self._tune(epoch, train_loss)
        lr = self.optimizer.param_groups[0]["lr"]
        if self.scheduler is not None:
            self.scheduler.step(tune_loss) if t.lr_schedule == "plateau" else self.scheduler.step()
        improved = self.best.update(tune_loss, epoch)
        record = self._record(epoch, train_loss, tune_loss, tune_score, lr)
        # study.json is written at start and end only: the checkpoint of every epoch carries
        # the history, so a killed run loses at most the epoch in flight.
        self.writer.write(epoch, self._state(epoch), improved)
        self.ctx.epoch(record)
        self.ctx.report(
            epoch / t.max_epochs,
            f"Epoch {epoch}/{t.max_epochs} · tune loss {tune_loss:.4f} · about {_eta(record['eta_seconds'])} left",
        )
        self.stopped_early = self.best.exhausted
        return self.stopped_early

    def _record(self, epoch: int, train_loss: float, tune_loss: float, tune_score: float, lr: float) -> dict:
        """The epoch's line in the history, also kept on the study."""
        t, start_epoch = self.t, self.start_epoch
        session = time.perf_counter() - self.started
        elapsed = self.earlier + session
        per_epoch = session / (epoch - start_epoch) if epoch > start_epoch else 0.0
        record = {
            "epoch": epoch,
            "train_loss": train_loss,
            "tune_loss": tune_loss,
            f"tune_{self.metric}": tune_score,
            "seconds": round(elapsed, 3),
            "eta_seconds": round(per_epoch * (t.max_epochs - epoch), 1),
            "samples_per_second": round(self.n / max(per_epoch, 1e-9), 1),
            "learning_rate": lr,
            "device_memory_mb": memory_in_use_mb(self.device),
        }
        self.history.append(record)
        t.history, t.best_epoch, t.seconds = self.history, self.best.best_epoch, round(elapsed, 3)
        t.sessions = self.sessions + [{"from_epoch": start_epoch + 1, "to_epoch": epoch, "seconds": round(session, 3)}]
        t.weights = BEST_WEIGHTS
        return record

    def _state(self, epoch: int) -> dict:
        """What the checkpoint holds: enough to resume as if never interrupted."""
        import torch  # torch: imported lazily so the window opens fast

        t = self.t
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None,
            "generator": self.generator.get_state(),
            "torch_rng": torch.get_rng_state(),
            "epoch": epoch,
            "history": list(self.history),
            "best_loss": self.best.best_loss,
            "best_epoch": self.best.best_epoch,
            "seconds": t.seconds,
            "sessions": list(t.sessions),
        }

    def train(self) -> dict:
        """Train from the start epoch to the last (or early stop); record how it ended."""
        import torch  # torch: imported lazily so the window opens fast

        t, study, start_epoch = self.t, self.study, self.start_epoch
        self.started = time.perf_counter()
        self.engine.epoch = start_epoch
        # A kill after the epoch that stopped training early, before the end was saved: nothing is
        # left to train (one more epoch would give another model than the uninterrupted run's).
        self.stopped_early = bool(start_epoch) and self.best.exhausted
        last_epoch = start_epoch if self.stopped_early else t.max_epochs
        self.writer = CheckpointWriter(
            self.ckpt_path, study.path(BEST_WEIGHTS), active=self.ddp is None or self.ddp.rank == 0
        )
        try:
            epoch = self.engine.fit(
                range(start_epoch + 1, last_epoch + 1),
                self._batches,
                self._end_epoch,
                before_batch=self._before_batch,
                total=lambda: torch.zeros((), device=self.device),
            )
            if self.stopped_early:
                t.message = _join(
                    self.note,
                    f"Stopped early at epoch {epoch}: the tune loss had not improved for {t.patience} epochs.",
                )
            self.writer.finish()
        except Cancelled:
            self._cancelled()
            raise
        except BaseException:
            finish_quietly(self.writer.finish)
            t.status = "failed"
            study.save()
            raise
        finally:
            self.writer.close()
        t.status = "done"
        best_epoch = self.best.best_epoch
        if "Stopped early" not in t.message:
            t.message = _join(self.note, f"Trained {epoch} epochs; best tune loss at epoch {best_epoch}.")
        study.save()
        return {
            "epochs": epoch,
            "best_epoch": best_epoch,
            "device": self.device,
            "seconds": t.seconds,
            "batch_size": self.batch_size,
        }

    def _cancelled(self) -> None:
        finish_quietly(self.writer.finish)
        t, epoch, best_epoch = self.t, self.engine.epoch, self.best.best_epoch
        t.status = "cancelled"
        t.message = _join(
            self.note,
            f"Cancelled during epoch {epoch}; the best weights so far "
            f"(epoch {best_epoch}) are kept. Train again to resume.",
        )
        if best_epoch:
            self.study.add_finding(Findings.training_cancelled.raise_(epoch=epoch - 1, max_epochs=t.max_epochs))
        self.study.save()


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def _eta(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min"
