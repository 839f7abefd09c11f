"""The network's hyperparameter search (Tip 6): width, depth, dropout, learning rate, weight
decay, batch size and optimizer, searched with short trainings and the same budget as the
baselines. The optimizer is searched because adaptive methods (Adam, AdamW) can generalise
worse than SGD with momentum (Tip 3): the tune split decides, not habit.

Each trial trains a copy of the study's settings through the Train step's own loop
(:func:`guiapp.core.models.train.train_network`) in a scratch folder, on the same split, scored with
the same tune-set metric as the baselines; median pruning stops trials that trail. The best
settings are written back to the study's architecture and training settings.
"""

from __future__ import annotations

import copy
import math
import shutil
import tempfile
import warnings
from pathlib import Path

from guiapp.core.models.engine import OPTIMIZERS
from guiapp.core.models.recommend import set_architecture
from guiapp.core.models.train import train_network
from guiapp.core.models.tuning import (
    Dim,
    close_storage,
    counted_trials,
    describe_space,
    fingerprint,
    first_error,
    import_optuna,
    is_shared,
    log_float,
    make_pruner,
    open_storage,
    redact,
    run_search,
    split_key,
    storage_text,
    storage_url,
)
from guiapp.core.split.draw import require_split
from guiapp.core.stats.metrics import HIGHER_IS_BETTER
from guiapp.core.study import model as state
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.model import Study, now_iso
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext

NETWORK_SPACE = {
    "width": Dim("choice", choices=(16, 32, 64, 128, 256)),
    "depth": Dim("int", 1, 4),
    "dropout": Dim("float", 0.0, 0.5),
    "learning_rate": log_float(1e-4, 1e-2),
    "weight_decay": log_float(1e-6, 1e-2),
    "batch_size": Dim("choice", choices=(16, 32, 64, 128)),
    "optimizer": Dim("choice", choices=OPTIMIZERS),
}


# Widths each kind can afford on a workstation: the 2D CNN doubles its filters every layer, and
# attention grows with the square of the length.
KIND_WIDTHS = {"cnn2d": (8, 16, 32, 64), "cnn1d": (16, 32, 64, 128), "transformer": (16, 32, 64, 128)}


def network_space(kind: str = "mlp") -> dict:
    """The search space for a network of ``kind``: widths are filters or model widths for CNNs
    and transformers."""
    space = dict(NETWORK_SPACE)
    if kind in KIND_WIDTHS:
        space["width"] = Dim("choice", choices=KIND_WIDTHS[kind])
    return space


def network_settings(study: Study) -> dict:
    """The network's current settings, in the search's names (the first trial of a new search)."""
    a, t = study.architecture, study.train
    return {
        "width": a.width,
        "depth": a.depth,
        "dropout": a.dropout,
        "learning_rate": t.learning_rate,
        "weight_decay": t.weight_decay,
        "batch_size": t.batch_size,
        "optimizer": t.optimizer,
    }


def apply_network_settings(study: Study, params: dict) -> None:
    t = study.train
    t.learning_rate, t.weight_decay = float(params["learning_rate"]), float(params["weight_decay"])
    t.batch_size = int(params["batch_size"])
    if "optimizer" in params:  # a search stored before the optimizer was searched has none
        t.optimizer = str(params["optimizer"])
    set_architecture(study, width=int(params["width"]), depth=int(params["depth"]), dropout=float(params["dropout"]))


def _trial_copy(study: Study, folder: Path) -> Study:
    """The study with its own training settings and folder: a trial never touches the real
    checkpoints, weights or findings."""
    trial = copy.copy(study)
    trial.train, trial.architecture = copy.deepcopy(study.train), copy.deepcopy(study.architecture)
    trial.batch, trial.findings = copy.deepcopy(study.batch), list(study.findings)
    # Later steps' results are not needed to train, and would make each trial's study.json heavy.
    trial.baselines, trial.tuning, trial.verdict = state.BaselinesState(), state.TuningState(), state.VerdictState()
    trial.overfitting, trial.evaluation, trial.interpret = (
        state.OverfittingState(),
        state.EvaluationState(),
        state.InterpretState(),
    )
    trial.folder = Path(folder)
    trial.folder.mkdir(parents=True, exist_ok=True)
    if study.batch.combat_file and study.folder is not None and study.path(study.batch.combat_file).is_file():
        target = trial.path(study.batch.combat_file)  # the fitted correction, not refitted per trial
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(study.path(study.batch.combat_file), target)
    t = trial.train
    t.status, t.history, t.weights, t.best_epoch, t.seconds, t.message = "not started", [], "", None, 0.0, ""
    return trial


def tune_network(study: Study, *, ctx: TaskContext = NO_CONTEXT) -> dict:
    """Search width, depth, dropout, learning rate, weight decay, batch size and optimizer with
    short trainings (``[tuning] epochs`` each, median pruning), then write the best into the study.

    Every trial trains a copy of the study's settings through the Train step's own loop, on the
    same split and scored with the same tune metric as the baselines. Train the network
    afterwards: the search only chooses its settings. The caller refreshes the findings the
    search changes (:func:`guiapp.core.evaluation.verdict.refresh_findings`).
    """
    require_split(study)
    import_optuna()
    budget = int(study.train.budget_trials)
    if budget < 1:
        raise TenfoldError("Give the network a tuning budget of at least one trial ([train] budget_trials).")
    t = study.train
    metric = study.primary_metric
    direction = "maximize" if HIGHER_IS_BETTER.get(metric, True) else "minimize"
    epochs = max(1, min(int(study.tuning.epochs), int(t.max_epochs)))
    fixed = _fixed_settings(study, epochs)
    space = network_space(study.architecture.kind)
    url = storage_url(study)
    storage = open_storage(url, shared=is_shared(study))
    name = "network-" + fingerprint(
        study, space=describe_space(space), seed=t.seed, fixed=fixed, pruner=study.tuning.pruner
    )
    root = Path(tempfile.mkdtemp(prefix="tenfold-trials-"))
    objective = _objective(study, root, epochs, fixed["patience"], budget, ctx=ctx)
    try:
        record = run_search(
            storage=storage,
            study_name=name,
            direction=direction,
            space=space,
            objective=objective,
            budget=budget,
            seed=t.seed,
            sampler=study.tuning.sampler,
            pruner=make_pruner(study.tuning.pruner, epochs),
            start=network_settings(study),
            shared=is_shared(study),
            worker=study.tuning.worker,
            label="Network",
            storage_text=storage_text(study) or redact(url),
            ctx=ctx,
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)
        close_storage(storage)
    if record["best_trial"] is None:
        raise TenfoldError(
            f"Every trial of the network's search failed ({first_error(record)}). Lower the "
            "learning rate range or check the data, and search again."
        )
    apply_network_settings(study, record["best_params"])
    record.update(
        metric=metric,
        pruner=study.tuning.pruner,
        epochs_per_trial=epochs,
        fixed=fixed,
        applied_at=now_iso(),
        split=split_key(study),
    )
    study.tuning.network = record
    return record


def _fixed_settings(study: Study, epochs: int) -> dict:
    """What every trial shares (and the search's name depends on)."""
    t, a = study.train, study.architecture
    return {
        "epochs per trial": epochs,
        "patience": min(t.patience, epochs),
        "architecture": a.kind,
        "pretrained": a.pretrained,
        "freeze": a.freeze,
        "device": t.device,
        "lr_schedule": t.lr_schedule,
        "deterministic": t.deterministic,
    }


def _objective(study: Study, root: Path, epochs: int, patience: int, budget: int, *, ctx: TaskContext = NO_CONTEXT):
    """One trial: train a copy of the study with the trial's settings; its best tune score.

    Each epoch's tune score is reported to optuna, whose pruner may stop a trial that trails.
    """
    optuna = import_optuna()
    metric = study.primary_metric

    def objective(params, trial):
        done = len(counted_trials(trial.study.get_trials(deepcopy=False), running=False))
        folder = root / f"trial-{trial.number}"
        copy_ = _trial_copy(study, folder)
        apply_network_settings(copy_, params)
        copy_.train.max_epochs, copy_.train.patience = epochs, patience
        copy_.train.processes = 1  # short trials: starting data-parallel processes would cost more than they save

        def on_epoch(record):
            value = record.get(f"tune_{metric}")
            if value is not None and math.isfinite(value):
                with warnings.catch_warnings():
                    # a trial finished in place after a kill reports its first epochs again
                    warnings.simplefilter("ignore")
                    trial.report(value, record["epoch"])
                if trial.should_prune():
                    raise optuna.TrialPruned(f"tune {metric} behind the median at epoch {record['epoch']}")

        def report(fraction, message=""):
            ctx.report(min((done + fraction) / budget, 1.0), f"Network trial {done + 1} of {budget} · {message}")

        # a trial reports its own epochs to the pruner; it stops with the search, and never pauses
        trial_ctx = TaskContext(progress=report, should_stop=ctx.should_stop, on_epoch=on_epoch)
        try:
            train_network(copy_, resume=False, ctx=trial_ctx)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        best = next(r for r in copy_.train.history if r["epoch"] == copy_.train.best_epoch)
        return best[f"tune_{metric}"]

    return objective
