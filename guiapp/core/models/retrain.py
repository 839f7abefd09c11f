"""Retrain the study's chosen network configuration in memory, for the controls of Tip 7.

The learning curve and the label-shuffle control each train the same architecture with the
same optimiser settings on other training rows or other labels. Those networks are scored
and thrown away: nothing here touches the study's checkpoints or its trained weights.
"""

from __future__ import annotations

import contextlib
import functools
import math

import numpy as np

from guiapp.core.models import engine
from guiapp.core.models.devices import pick_device, seed_everything
from guiapp.core.models.network import model_for_study
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.model import Study
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext

SMALL_TABLE_CELLS = 5_000_000


@contextlib.contextmanager
def small_model_threads(n_cells: int):
    """One CPU thread while a small table's network computes: threads fighting over a few
    hundred rows cost more than they give (about ten times slower on a busy two-core machine)."""
    import torch  # torch: imported lazily so the window opens fast

    before = torch.get_num_threads()
    if n_cells >= SMALL_TABLE_CELLS or before == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def small_table_threads(fn):
    """Run ``fn(study, ...)`` under :func:`small_model_threads` sized by the study's table."""

    @functools.wraps(fn)
    def wrapper(study: Study, *args, **kwargs):
        with small_model_threads(int(study.data.n_samples) * max(int(study.data.n_features), 1)):
            return fn(study, *args, **kwargs)

    return wrapper


def control_device(study: Study) -> str:
    """The device the study trained on; the CPU when that one is not here (a reopened study)."""
    try:
        return pick_device(study.train.device)
    except TenfoldError:
        return "cpu"


def fit_network(
    study: Study,
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_tune: np.ndarray | None = None,
    y_tune: np.ndarray | None = None,
    *,
    seed: int,
    epochs: int | None = None,
    ctx: TaskContext = NO_CONTEXT,
):
    """Train a fresh network of the study's configuration and return it (on the CPU, in eval mode).

    With tune rows, training stops early on the tune loss (the study's patience) and the best
    epoch's weights are kept, as the Train step does; without them it runs ``epochs`` epochs.
    """
    import torch  # torch: imported lazily so the window opens fast

    t = study.train
    epochs = int(epochs or t.max_epochs)
    device = control_device(study)
    seed_everything(seed, t.deterministic)
    model = model_for_study(study, X_train, y_train).to(device)
    optimizer = engine.make_optimizer(model, t, device)  # the Train step's optimizer, as searched
    loss_fn = engine.loss_fn(study)
    Xtr = torch.as_tensor(X_train, dtype=torch.float32, device=device)
    ytr = engine.targets(study, y_train, device=device)
    early = X_tune is not None and y_tune is not None
    if early:
        Xtu = torch.as_tensor(X_tune, dtype=torch.float32, device=device)
        ytu = engine.targets(study, y_tune, device=device)
    generator = torch.Generator().manual_seed(seed)
    batch = max(1, int(t.batch_size_used or t.batch_size))
    n = len(Xtr)
    stopper = engine.EarlyStopping(t.patience)
    best_state: dict | None = None

    def batches(epoch: int):
        order = torch.randperm(n, generator=generator).to(device)
        for i in range(0, n, batch):
            idx = order[i : i + batch]
            yield Xtr[idx], ytr[idx], len(idx)

    def end_epoch(epoch: int, total) -> bool:
        """Early stopping on the tune loss, the best epoch's weights kept in memory; True to stop."""
        nonlocal best_state
        if not early:
            return False
        model.eval()
        with torch.no_grad():
            tune_loss = float(loss_fn(model(Xtu), ytu))
        if not math.isfinite(tune_loss):
            return True
        if stopper.update(tune_loss, epoch):
            best_state = engine.snapshot(model)
            return False
        return stopper.exhausted

    trainer = engine.Engine(model, optimizer, loss_fn)
    trainer.fit(range(1, epochs + 1), batches, end_epoch, before_epoch=ctx.check)
    if best_state is not None:
        model.load_state_dict(best_state)
    return model.cpu().eval()


def chosen_epochs(study: Study) -> int:
    """The epochs the study's own network trained to its best weights (its chosen length)."""
    return int(study.train.best_epoch or len(study.train.history) or study.train.max_epochs)
