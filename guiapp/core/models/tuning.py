"""Hyperparameter search with optuna (Tips 2 and 6): every model gets the same number of
trials, on the same split, scored with the same tune-set metric.

Searches live in an optuna storage (:mod:`guiapp.core.models.tuning_storage`): by default
``tuning.sqlite3`` in the study folder, so an interrupted search resumes where it stopped; a
database URL (e.g. PostgreSQL) lets several ``tenfold run`` workers on a cluster share one
search. Each model's search has its own optuna study, named after the model and a fingerprint
of what its trials depend on (data, split, metric, search space, seed), so a changed split
starts a fresh search instead of mixing old trials in. The sampler is seeded (TPE, or random
search), afresh for each trial from the seed and the trial's place in the budget
(:mod:`guiapp.core.models.trials`): a rerun with the same seed, or a search killed and
resumed, proposes the same trials. The network's own search is
:func:`guiapp.core.models.network_search.tune_network`.
"""

from __future__ import annotations

import math
import time

from guiapp.core.models.search_space import Dim, describe_space, log_float
from guiapp.core.models.shared_search import run_shared_trials
from guiapp.core.models.trials import (
    GRACE_S,
    HEARTBEAT_S,
    PRUNERS,
    SAMPLERS,
    Objective,
    best_trial,
    counted_trials,
    first_error,
    import_optuna,
    make_pruner,
    make_sampler,
    resumable_trials,
    run_trial,
    search_record,
    trial_seed,
)
from guiapp.core.models.tuning_storage import (
    STORAGE_FILE,
    RedactingFormatter,
    close_storage,
    fingerprint,
    is_shared,
    open_storage,
    redact,
    split_key,
    storage_text,
    storage_url,
)
from guiapp.core.study.errors import Cancelled, TenfoldError
from guiapp.core.study.model import Study
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext

# The searches' names, as the steps, the pages and the CLI know them.
__all__ = [
    "GRACE_S",
    "HEARTBEAT_S",
    "PRUNERS",
    "SAMPLERS",
    "STORAGE_FILE",
    "Dim",
    "Objective",
    "RedactingFormatter",
    "budget_report",
    "close_storage",
    "counted_trials",
    "describe_space",
    "fingerprint",
    "first_error",
    "import_optuna",
    "is_shared",
    "log_float",
    "make_pruner",
    "make_sampler",
    "open_storage",
    "redact",
    "run_search",
    "search_record",
    "set_equal_budget",
    "split_key",
    "storage_text",
    "storage_url",
    "trial_seed",
]


def run_search(
    *,
    storage,
    study_name: str,
    direction: str,
    space: dict,
    objective: Objective,
    budget: int,
    seed: int,
    sampler: str = "tpe",
    pruner=None,
    start: dict | None = None,
    shared: bool = False,
    worker: int = 0,
    label: str = "",
    storage_text: str = "",
    ctx: TaskContext = NO_CONTEXT,
) -> dict:
    """Run trials of ``objective`` until the search holds ``budget`` of them; return its record.

    A search found in the storage continues: its trials count, and numbering goes on. ``start``
    (the usual default settings) is the first trial of a search, so tuning never ends below
    the defaults on the tune split; it is retried until it ends. Trials a killed run left
    running are finished first, in place. Each trial's sampler is seeded from its place in the
    budget (:func:`trial_seed`), so a resumed search proposes exactly what an uninterrupted
    one would. Worker ``k`` samples with its own seeds; workers sharing a storage take trials
    under the search's lock until the budget is full, and return once every trial has ended
    (:mod:`guiapp.core.models.shared_search`): together they run exactly ``budget`` trials, and
    all pick the same best. Only the first ``budget`` counted trials decide the best.
    """
    optuna = import_optuna()
    t0 = time.perf_counter()
    ost = optuna.create_study(
        storage=storage,
        study_name=study_name,
        direction=direction,
        sampler=make_sampler(sampler, seed + worker),
        pruner=pruner or optuna.pruners.NopPruner(),
        load_if_exists=True,
    )
    resumable = [] if shared else resumable_trials(storage, ost, space)
    abandoned = len(resumable)
    before = len(counted_trials(ost.get_trials(deepcopy=False), running=False))
    wrapped = _guarded(space, objective, worker)
    if shared:  # other workers take trials of the same search: see guiapp.core.models.shared_search
        _run_shared(ost, storage, wrapped, budget, direction, sampler, seed, worker, start, space, label, ctx=ctx)
    else:
        _run_private(
            ost,
            resumable,
            wrapped,
            budget,
            direction,
            sampler,
            seed,
            worker,
            start,
            space,
            label,
            ctx=ctx,
        )
    ctx.report(1.0, f"{label}: {budget} trials done")
    return search_record(
        ost,
        budget,
        direction,
        space,
        started_with=before,
        abandoned=abandoned,
        seconds=time.perf_counter() - t0,
        sampler=sampler,
        seed=seed,
        worker=worker,
        storage_text=storage_text,
    )


def _guarded(space: dict, objective: Objective, worker: int):
    """``objective`` as one optuna trial: its settings drawn from ``space``; a setting the model
    cannot fit with, or a score that is not a number, is a failed (counted) trial, not an error."""
    optuna = import_optuna()

    def wrapped(trial):
        params = {name: dim.suggest(trial, name) for name, dim in space.items()}
        trial.set_user_attr("worker", worker)
        started = time.perf_counter()
        try:
            value = objective(params, trial)
        except (Cancelled, optuna.TrialPruned):
            raise
        except Exception as exc:  # a setting the model cannot fit with: a failed, counted trial
            trial.set_user_attr("error", f"{type(exc).__name__}: {exc}"[:300])
            return float("nan")
        finally:
            trial.set_user_attr("seconds", round(time.perf_counter() - started, 3))
        if value is None or not math.isfinite(float(value)):
            trial.set_user_attr("error", "the tune-set score is not a number")
            return float("nan")
        return float(value)

    return wrapped


def _run_shared(
    ost,
    storage,
    wrapped,
    budget: int,
    direction: str,
    sampler: str,
    seed: int,
    worker: int,
    start: dict | None,
    space: dict,
    label: str,
    *,
    ctx: TaskContext = NO_CONTEXT,
) -> None:
    """This worker's share of a search other workers take trials of, under the search's lock."""

    def best_text() -> str:
        best = best_trial(ost, budget, direction)
        return f" · best so far {best.value:.4f}" if best is not None else ""

    run_shared_trials(
        ost,
        storage,
        budget=budget,
        worker=worker,
        start=start,
        space=space,
        objective=wrapped,
        # the defaults (``start``) are enqueued, not drawn: the first drawn trial follows them
        next_sampler=lambda position: make_sampler(
            sampler, trial_seed(seed, worker, position, max(0, position - (1 if start else 0)))
        ),
        label=label,
        best_text=best_text,
        ctx=ctx,
    )


def _run_private(
    ost,
    resumable: list,
    wrapped,
    budget: int,
    direction: str,
    sampler: str,
    seed: int,
    worker: int,
    start: dict | None,
    space: dict,
    label: str,
    *,
    ctx: TaskContext = NO_CONTEXT,
) -> None:
    """Trials in the study's private storage until ``budget`` have ended: the ones a killed run
    left running first, in place, then the defaults, then drawn ones."""
    optuna = import_optuna()
    from optuna.trial import TrialState  # optuna: imported lazily, a heavy library

    while True:
        trials = ost.get_trials(deepcopy=False)
        # Private storage: the trials left running are ours to finish, not someone else's.
        done = counted_trials(trials, running=False)
        if len(done) >= budget:
            break
        ctx.check()
        best = best_trial(ost, budget, direction)
        note = f" · best so far {best.value:.4f}" if best is not None else ""
        ctx.report(len(done) / budget, f"{label}: trial {len(done) + 1} of {budget}{note}")
        drawn = sum(1 for t in done if not t.system_attrs.get("fixed_params"))
        ost.sampler = make_sampler(sampler, trial_seed(seed, worker, len(done), drawn))
        if resumable:
            run_trial(ost, optuna.trial.Trial(ost, resumable.pop(0)._trial_id), wrapped)
            continue
        waiting = any(t.state == TrialState.WAITING for t in trials)
        if start and worker == 0 and not done and not waiting:  # the defaults come first, until they end
            ost.enqueue_trial({k: space[k].clip(v) for k, v in start.items() if k in space})
        run_trial(ost, ost.ask(), wrapped)


def set_equal_budget(study: Study, trials: int) -> None:
    """One budget for every model: the network's search gets what the baselines get (Tip 2)."""
    if int(trials) < 0:
        raise TenfoldError("The tuning budget must be 0 (no search) or more trials.")
    study.baselines.budget_trials = study.train.budget_trials = int(trials)


# ----- equal budgets ---------------------------------------------------------------------------


def budget_report(study: Study) -> dict:
    """Did every tunable baseline and the network get the same number of trials?

    ``equal`` is None until both sides were searched. Models with nothing to tune (the
    majority class, the mean) are reference points, not competitors, and do not count.
    """
    tuned = {r["name"]: r.get("n_trials", 0) for r in study.baselines.results if r.get("search")}
    net = study.tuning.network
    network = net.get("n_trials") if net and net.get("split") == split_key(study) else None
    equal = None
    if tuned and network is not None:
        equal = all(n == network for n in tuned.values())
    counts = sorted(set(tuned.values()))
    if not tuned and network is None:
        text = "No hyperparameter search has been run yet."
    elif network is None:
        text = (
            f"The baselines were tuned with {_counts_text(counts)} each; the network has not "
            f"been searched yet (its budget is {study.train.budget_trials} trials)."
        )
    elif not tuned:
        text = f"The network was tuned with {network} trials; no baseline has been tuned yet."
    elif equal:
        text = (
            f"Equal tuning: each of the {len(tuned)} tunable baselines and the network got "
            f"{network} trials, on the same split and the same tune-set metric."
        )
    else:
        text = (
            f"Unequal tuning: the baselines got {_counts_text(counts)} each but the network got "
            f"{network}. A comparison between unequally tuned models favours the one tuned "
            "harder (Tip 2)."
        )
    return {
        "baselines": tuned,
        "network": network,
        "equal": equal,
        "text": text,
        "budget_baselines": study.baselines.budget_trials,
        "budget_network": study.train.budget_trials,
    }


def _counts_text(counts: list) -> str:
    if len(counts) == 1:
        return f"{counts[0]} trials"
    return "between " + f"{counts[0]} and {counts[-1]} trials"
