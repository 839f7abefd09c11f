"""The trials of one search: optuna loaded quietly, the seeded sampler and the pruner, which
trials count against the budget, the best of them, and the search as the study records it.
"""

from __future__ import annotations

import hashlib
import math
import warnings
from collections.abc import Callable

from guiapp.core.models.search_space import describe_space
from guiapp.core.study.errors import TenfoldError

SAMPLERS = ("tpe", "random")
PRUNERS = ("median", "none")
# Cluster workers prove they are alive this often; a trial silent for the grace period failed.
HEARTBEAT_S, GRACE_S = 30, 120

# objective(params, trial) -> the tune-set score of one trial
Objective = Callable[[dict, object], float]


def import_optuna():
    # optuna: imported lazily, a heavy library
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)  # Tenfold reports trials itself
    return optuna


def make_sampler(kind: str, seed: int):
    optuna = import_optuna()
    if kind == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if kind != "tpe":
        raise TenfoldError(f"Unknown search strategy {kind!r}; choose {', '.join(SAMPLERS)}.")
    return optuna.samplers.TPESampler(seed=seed)


def make_pruner(kind: str, n_epochs: int = 0):
    """Median pruning stops a network trial whose tune score trails the median of earlier ones."""
    optuna = import_optuna()
    if kind == "none":
        return optuna.pruners.NopPruner()
    if kind != "median":
        raise TenfoldError(f"Unknown pruning {kind!r}; choose {', '.join(PRUNERS)}.")
    return optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=max(n_epochs // 4, 1))


def counted_trials(trials, *, running: bool = True) -> list:
    """Trials that used budget: finished, pruned, or failed on their own settings (not killed).

    A trial left running by a killed worker is not counted; with ``running`` the trials other
    workers have in flight are, so that workers sharing a search do not overshoot it.
    """
    # optuna: imported lazily, a heavy library
    from optuna.trial import TrialState

    out = []
    for t in trials:
        if t.state in (TrialState.COMPLETE, TrialState.PRUNED):
            out.append(t)
        elif t.state == TrialState.FAIL and "error" in t.user_attrs:
            out.append(t)
        elif running and t.state == TrialState.RUNNING:
            out.append(t)
    return sorted(out, key=lambda t: t.number)


def trial_seed(seed: int, worker: int, position: int, drawn_before: int) -> int:
    """The sampler's seed for the ``position``-th trial of a search (0 = the first), after
    ``drawn_before`` trials whose settings the sampler drew (the enqueued defaults are not).

    A sampler seeded once proposes from one random stream: a resumed process would restart
    that stream and propose the first settings again. Seeding each trial from its place in
    the budget makes the proposal depend only on (seed, worker, place, the finished trials),
    so a search killed and resumed any number of times proposes what an uninterrupted one does.
    The first drawn trial keeps the seed itself, so it proposes what a sampler seeded once
    proposed first.
    """
    if drawn_before == 0:
        return seed + worker
    digest = hashlib.sha256(f"tenfold-trial:{seed}:{worker}:{position}".encode()).digest()
    return int.from_bytes(digest[:4], "little")


def resumable_trials(storage, ost, space: dict) -> list:
    """Trials a killed (or cancelled) run left 'running' in the study's private storage, in order.

    Each is finished in place, as the same trial with the settings it already holds, before any
    new trial starts: a search interrupted in its default trial retries the defaults, and trial
    numbers stay those of an uninterrupted search. A trial killed between two of its settings'
    draws (microseconds) cannot be completed as it would have been: it is marked failed, not
    counted, and its place in the budget is proposed again.
    """
    # optuna: imported lazily, a heavy library
    from optuna.trial import TrialState

    keep = []
    for t in sorted(ost.get_trials(deepcopy=False, states=(TrialState.RUNNING,)), key=lambda t: t.number):
        fixed = t.system_attrs.get("fixed_params") or {}
        if t.params and not set(space) <= set(t.params) | set(fixed):
            storage.set_trial_state_values(t._trial_id, TrialState.FAIL)
        else:
            keep.append(t)
    return keep


def run_trial(ost, trial, objective) -> None:
    """One trial in the study's private storage: run it, then tell optuna how it ended.

    A cancel (or a kill) leaves the trial 'running', to be finished in place on resume.
    """
    optuna = import_optuna()
    # optuna: imported lazily, a heavy library
    from optuna.trial import TrialState

    try:
        value = objective(trial)
    except optuna.TrialPruned:
        ost.tell(trial, state=TrialState.PRUNED)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a NaN (a failed setting) is told as a failed trial
        ost.tell(trial, value)


def best_trial(ost, budget: int, direction: str):
    # optuna: imported lazily, a heavy library
    from optuna.trial import TrialState

    counted = counted_trials(ost.get_trials(deepcopy=False), running=False)[:budget]
    scored = [t for t in counted if t.state == TrialState.COMPLETE and t.value is not None and math.isfinite(t.value)]
    if not scored:
        return None
    sign = 1 if direction == "maximize" else -1
    return max(scored, key=lambda t: (sign * t.value, -t.number))


def search_record(
    ost,
    budget: int,
    direction: str,
    space: dict,
    *,
    started_with: int = 0,
    abandoned: int = 0,
    seconds: float = 0.0,
    sampler: str = "tpe",
    seed: int = 0,
    worker: int = 0,
    storage_text: str = "",
) -> dict:
    """A search as the study keeps it: budget, trials, best settings, and how it was run."""
    # optuna: imported lazily, a heavy library
    from optuna.trial import TrialState

    all_counted = counted_trials(ost.get_trials(deepcopy=False), running=False)
    counted = all_counted[:budget]
    best = best_trial(ost, budget, direction)
    trials = [
        {
            "number": t.number,
            "state": t.state.name.lower(),
            "value": t.value,
            "params": dict(t.params),
            "seconds": t.user_attrs.get("seconds"),
            "worker": t.user_attrs.get("worker", 0),
            **({"error": t.user_attrs["error"]} if "error" in t.user_attrs else {}),
        }
        for t in counted
    ]
    return {
        "study_name": ost.study_name,
        "storage": storage_text,
        "sampler": sampler,
        "seed": seed,
        "worker": worker,
        "direction": direction,
        "budget": budget,
        "n_trials": len(counted),
        "n_complete": sum(t.state == TrialState.COMPLETE for t in counted),
        "n_pruned": sum(t.state == TrialState.PRUNED for t in counted),
        "n_failed": sum(t.state == TrialState.FAIL for t in counted),
        "extra_ignored": max(len(all_counted) - budget, 0),
        "resumed_from": started_with,
        "abandoned": abandoned,
        "search_space": describe_space(space),
        "best_params": dict(best.params) if best is not None else {},
        "best_value": best.value if best is not None else None,
        "best_trial": best.number if best is not None else None,
        "trials": trials,
        "seconds": round(seconds, 2),
    }


def first_error(record: dict) -> str:
    return next((t["error"] for t in record.get("trials", []) if t.get("error")), "")
