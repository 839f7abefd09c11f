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

from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.task_context import StopFn, check_stop

SMALL_TABLE_CELLS = 5_000_000


@contextlib.contextmanager
def small_model_threads(n_cells: int):
    """One CPU thread while a small table's network computes: threads fighting over a few
    hundred rows cost more than they give (about ten times slower on a busy two-core machine)."""
    import torch

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
    def wrapper(study, *args, **kwargs):
        with small_model_threads(int(study.data.n_samples) * max(int(study.data.n_features), 1)):
            return fn(study, *args, **kwargs)

    return wrapper


def control_device(study) -> str:
    """The device the study trained on; the CPU when that one is not here (a reopened study)."""
    from guiapp.core.models.devices import pick_device

    try:
        return pick_device(study.train.device)
    except TenfoldError:
        return "cpu"


def fit_network(
    study,
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_tune: np.ndarray | None = None,
    y_tune: np.ndarray | None = None,
    *,
    seed: int,
    epochs: int | None = None,
    should_stop: StopFn | None = None,
):
    """Train a fresh network of the study's configuration and return it (on the CPU, in eval mode).

    With tune rows, training stops early on the tune loss (the study's patience) and the best
    epoch's weights are kept, as the Train step does; without them it runs ``epochs`` epochs.
    """
    import torch

    from guiapp.core.models.devices import seed_everything
    from guiapp.core.models.network import model_for_study
    from guiapp.core.models.train import _optimizer

    t = study.train
    epochs = int(epochs or t.max_epochs)
    device = control_device(study)
    seed_everything(seed, t.deterministic)
    model = model_for_study(study, X_train, y_train).to(device)
    optimizer = _optimizer(model, t, device)  # the Train step's optimizer, as searched
    classification = study.is_classification
    loss_fn = torch.nn.CrossEntropyLoss() if classification else torch.nn.MSELoss()

    def target(y):
        if classification:
            return torch.as_tensor(y, dtype=torch.long, device=device)
        return torch.as_tensor(y, dtype=torch.float32, device=device).unsqueeze(1)

    Xtr, ytr = torch.as_tensor(X_train, dtype=torch.float32, device=device), target(y_train)
    early = X_tune is not None and y_tune is not None
    if early:
        Xtu, ytu = torch.as_tensor(X_tune, dtype=torch.float32, device=device), target(y_tune)
    generator = torch.Generator().manual_seed(seed)
    batch = max(1, int(t.batch_size_used or t.batch_size))
    n = len(Xtr)
    best_loss, best_state, since = math.inf, None, 0
    for _ in range(epochs):
        check_stop(should_stop)
        model.train()
        order = torch.randperm(n, generator=generator).to(device)
        for i in range(0, n, batch):
            idx = order[i : i + batch]
            optimizer.zero_grad(set_to_none=True)
            loss_fn(model(Xtr[idx]), ytr[idx]).backward()
            optimizer.step()
        if not early:
            continue
        model.eval()
        with torch.no_grad():
            tune_loss = float(loss_fn(model(Xtu), ytu))
        if not math.isfinite(tune_loss):
            break
        if tune_loss < best_loss:
            best_loss, since = tune_loss, 0
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            since += 1
            if since >= t.patience:
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    return model.cpu().eval()


def chosen_epochs(study) -> int:
    """The epochs the study's own network trained to its best weights (its chosen length)."""
    return int(study.train.best_epoch or len(study.train.history) or study.train.max_epochs)
