"""The training engine: one loop for every network Tenfold trains.

The Train step (:mod:`guiapp.core.models.train_run`), the refit of the controls
(:mod:`guiapp.core.models.retrain`) and DP-SGD (:mod:`guiapp.core.privacy.dp`) all train
through :class:`Engine`. The loss and the targets are chosen here, once for the task
(cross-entropy on class indices, or mean squared error on a column of floats); the optimizer,
the learning-rate schedule, mixed precision and early stopping are chosen here too.

What differs between the callers plugs in:

- ``optimizer``: the study's (:func:`make_optimizer`), or opacus's DP optimizer, whose
  privacy accountant counts every step it takes;
- ``step_model`` and ``loss``: data-parallel training trains DistributedDataParallel's wrapper
  with a weighted summed loss (:class:`guiapp.core.models.ddp.Rank`);
- ``on_empty_batch``: DP-SGD's Poisson sampling can draw an empty batch, which is still a step;
- the batches of an epoch and what happens at its end (scoring, checkpoints, progress).

torch is imported inside functions only, so opening the window never pays for it.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterable
from typing import Any

from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.model import Study, TrainState
from guiapp.core.study.vocabulary import LR_SCHEDULES

SCHEDULES = LR_SCHEDULES
PRECISIONS = ("off", "bf16", "fp16")
# Adaptive methods train fast but can generalise worse than SGD with momentum (Tip 3): the
# search tries all three.
OPTIMIZERS = ("adamw", "adam", "sgd")
OPTIMIZER_NAMES = {"adamw": "AdamW", "adam": "Adam", "sgd": "SGD with momentum 0.9"}
SGD_MOMENTUM = 0.9

# One batch: features, targets, and the weight of its loss in the epoch's summed loss.
Batch = tuple[Any, Any, float]


def loss_fn(study: Study, reduction: str = "mean"):
    """The task's loss: cross-entropy for a classification, mean squared error for a regression.

    ``reduction="sum"``: summed over the batch (a data-parallel rank weights its part's sum itself).
    """
    from torch import nn  # torch: imported lazily so the window opens fast

    return nn.CrossEntropyLoss(reduction=reduction) if study.is_classification else nn.MSELoss(reduction=reduction)


def targets(study: Study, y, device=None):
    """The labels as the loss wants them: class indices, or a column of floats."""
    import torch  # torch: imported lazily so the window opens fast

    if study.is_classification:
        return torch.as_tensor(y, dtype=torch.long, device=device)
    return torch.as_tensor(y, dtype=torch.float32, device=device).unsqueeze(1)


def make_optimizer(model, t: TrainState, device: str):
    """The study's optimizer (AdamW, Adam, or SGD with momentum), fused into one kernel per
    step where torch has one for the device (about a third faster than the default
    per-tensor update on the CPU; the same arithmetic)."""
    import torch  # torch: imported lazily so the window opens fast

    kind = getattr(t, "optimizer", "adamw") or "adamw"
    if kind not in OPTIMIZERS:
        raise TenfoldError(f"Unknown optimizer {kind!r}; choose {', '.join(OPTIMIZERS)}.")
    params = list(model.parameters())
    kwargs: dict[str, Any] = {}
    if kind != "sgd":
        try:
            # torch: imported lazily, only when this runs
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


def make_scheduler(study: Study, optimizer):
    """The study's learning-rate schedule, or None for a constant rate."""
    import torch  # torch: imported lazily so the window opens fast

    t = study.train
    if t.lr_schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(t.max_epochs, 1))
    if t.lr_schedule == "plateau":
        return torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=max(t.patience // 3, 1))
    if t.lr_schedule not in SCHEDULES:
        raise TenfoldError(f"Unknown learning-rate schedule {t.lr_schedule!r}; choose {', '.join(SCHEDULES)}.")
    return None


def autocast_for(device: str, precision: str):
    """Mixed precision on a GPU (bf16 or fp16), or a context that changes nothing."""
    import torch  # torch: imported lazily so the window opens fast

    if precision == "off" or device == "cpu":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device_type=device, dtype=dtype)


def is_out_of_memory(exc: BaseException) -> bool:
    import torch  # torch: imported lazily so the window opens fast

    oom = getattr(torch.cuda, "OutOfMemoryError", ())
    return bool((oom and isinstance(exc, oom)) or "out of memory" in str(exc).lower())


def snapshot(model) -> dict:
    """A copy of the model's weights, in memory, that further training leaves alone."""
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


class EarlyStopping:
    """The best tune loss so far, its epoch, and how many epochs since it improved."""

    def __init__(self, patience: int, best_loss: float = math.inf, best_epoch: int | None = None, since: int = 0):
        self.patience, self.best_loss, self.best_epoch, self.since = patience, best_loss, best_epoch, since

    def update(self, loss: float, epoch: int) -> bool:
        """Record an epoch's tune loss; True when it is the best so far."""
        if loss < self.best_loss:
            self.best_loss, self.best_epoch, self.since = loss, epoch, 0
            return True
        self.since += 1
        return False

    @property
    def exhausted(self) -> bool:
        """The tune loss has not improved for ``patience`` epochs: time to stop."""
        return self.since >= self.patience


class Engine:
    """The steps of one network's training: zero the gradients, forward, loss, backward, step.

    ``model`` is the network evaluated and saved; ``step_model`` (by default the same) is the one
    trained, e.g. its data-parallel wrapper. ``loss`` is the task's (:func:`loss_fn`) unless a
    caller weights it. ``scaler``: fp16's gradient scaler. ``on_empty_batch``: called instead of
    the forward and backward pass when a batch has no rows (DP-SGD); the optimizer still steps.
    """

    def __init__(
        self,
        model,
        optimizer,
        loss: Callable,
        *,
        step_model=None,
        autocast=None,
        scaler=None,
        on_empty_batch: Callable[[], None] | None = None,
    ) -> None:
        self.model, self.optimizer, self.loss = model, optimizer, loss
        self.step_model = model if step_model is None else step_model
        self.autocast = contextlib.nullcontext() if autocast is None else autocast
        self.scaler, self.on_empty_batch = scaler, on_empty_batch
        self.epoch = 0  # the epoch in progress, or the last one done
        self.steps = self.empty_steps = 0

    def step(self, xb, yb):
        """One optimizer step on one batch; its loss (None for an empty batch)."""
        self.optimizer.zero_grad(set_to_none=True)
        self.steps += 1
        if self.on_empty_batch is not None and len(xb) == 0:
            self.on_empty_batch()
            self.empty_steps += 1
            self.optimizer.step()
            return None
        with self.autocast:
            loss = self.loss(self.step_model(xb), yb)
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            loss.backward()
            self.optimizer.step()
        return loss

    def train_epoch(self, batches: Iterable[Batch], total=None, before_batch: Callable[[], None] | None = None):
        """One pass over ``batches``; each batch's loss, times its weight, is added to ``total``
        on the device (a float() per batch would wait for the GPU)."""
        self.model.train()
        for xb, yb, weight in batches:
            if before_batch is not None:
                before_batch()
            loss = self.step(xb, yb)
            if total is not None and loss is not None:
                total.add_(loss.detach(), alpha=weight)
        return total

    def fit(
        self,
        epochs: Iterable[int],
        batches: Callable[[int], Iterable[Batch]],
        end_epoch: Callable[[int, Any], bool],
        *,
        before_epoch: Callable[[], None] | None = None,
        before_batch: Callable[[], None] | None = None,
        total: Callable[[], Any] | None = None,
    ) -> int:
        """Train epoch after epoch until ``end_epoch(epoch, summed_loss)`` says stop; the last epoch.

        ``batches(epoch)`` gives an epoch's batches; ``total()`` a fresh zero to sum its losses in.
        """
        for epoch in epochs:
            self.epoch = epoch
            if before_epoch is not None:
                before_epoch()
            summed = self.train_epoch(batches(epoch), total() if total is not None else None, before_batch)
            if end_epoch(epoch, summed):
                break
        return self.epoch
