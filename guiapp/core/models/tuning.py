"""Hyperparameter search with optuna (Tips 2 and 6): every model gets the same number of
trials, on the same split, scored with the same tune-set metric.

Searches live in an optuna storage: by default ``tuning.sqlite3`` in the study folder, so an
interrupted search resumes where it stopped; a database URL (e.g. PostgreSQL) lets several
``tenfold run`` workers on a cluster share one search. Each model's search has its own optuna
study, named after the model and a fingerprint of what its trials depend on (data, split,
metric, search space, seed), so a changed split starts a fresh search instead of mixing old
trials in. The sampler is seeded (TPE, or random search), afresh for each trial from the seed
and the trial's place in the budget: a rerun with the same seed, or a search killed and
resumed, proposes the same trials. The network's own search is :func:`guiapp.core.models.network_search.tune_network`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from guiapp.core.study.errors import Cancelled, TenfoldError
from guiapp.core.study.task_context import ProgressFn, StopFn, check_stop, no_progress

STORAGE_FILE = "tuning.sqlite3"
SAMPLERS = ("tpe", "random")
PRUNERS = ("median", "none")
# Cluster workers prove they are alive this often; a trial silent for the grace period failed.
HEARTBEAT_S, GRACE_S = 30, 120

# objective(params, trial) -> the tune-set score of one trial
Objective = Callable[[dict, object], float]


# ----- search spaces ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Dim:
    """One hyperparameter's range: ``float``, ``int`` (optionally on a log scale) or ``choice``."""

    kind: str
    low: float = 0.0
    high: float = 0.0
    log: bool = False
    choices: tuple = ()

    def suggest(self, trial, name: str):
        if self.kind == "float":
            return trial.suggest_float(name, self.low, self.high, log=self.log)
        if self.kind == "int":
            return trial.suggest_int(name, int(self.low), int(self.high), log=self.log)
        return trial.suggest_categorical(name, list(self.choices))

    def clip(self, value):
        """``value`` moved into the range (a starting point outside it would be refused)."""
        if self.kind == "choice":
            if value in self.choices:
                return value
            numbers = [c for c in self.choices if isinstance(c, (int, float)) and not isinstance(c, bool)]
            if numbers and isinstance(value, (int, float)):
                return min(
                    numbers, key=lambda c: abs(math.log(c) - math.log(value)) if c > 0 and value > 0 else abs(c - value)
                )
            return self.choices[0]
        value = min(max(value, self.low), self.high)
        return int(round(value)) if self.kind == "int" else float(value)

    def describe(self) -> str:
        if self.kind == "choice":
            return "one of " + ", ".join(map(str, self.choices))
        if self.kind == "int":
            return f"integer {int(self.low)}–{int(self.high)}" + (", log scale" if self.log else "")
        return f"{'log-uniform' if self.log else 'uniform'} {self.low:g}–{self.high:g}"


def log_float(low: float, high: float) -> Dim:
    return Dim("float", low, high, log=True)


def describe_space(space: dict) -> dict:
    """``{name: 'log-uniform 0.001–100'}``: the search space in words, for the page and the card."""
    return {name: dim.describe() for name, dim in space.items()}


# ----- storage ---------------------------------------------------------------------------------


def storage_url(study) -> str:
    """The study's optuna storage: the URL in the environment variable the spec names
    (``storage_env``), else the spec's URL, else ``tuning.sqlite3`` in the study folder."""
    name = getattr(study.tuning, "storage_env", "")
    if name:
        url = os.environ.get(name, "").strip()
        if not url:
            raise TenfoldError(
                f"[tuning] storage_env = {name!r}, but the environment variable {name} is not set. Set it to the "
                f"tuning database's URL before the run (for example: export {name}=postgresql://user:password@host/db), "
                "or leave storage_env out to keep the search in tuning.sqlite3 in the study folder."
            )
        return url
    if study.tuning.storage:
        return study.tuning.storage
    if study.folder is None:
        raise TenfoldError("Save the study in a folder before tuning: the search is stored there.")
    return "sqlite:///" + Path(study.path(STORAGE_FILE)).resolve().as_posix()


def is_shared(study) -> bool:
    """A storage URL from the spec may be shared with other workers; the study's own file is not."""
    return bool(study.tuning.storage or getattr(study.tuning, "storage_env", ""))


# user:password@ in a URL (the password runs to the last @ before the path), and password=
# in its query string
_URL_PASSWORD = re.compile(r"(://[^\s:/@]*):[^\s/]*@")
_QUERY_PASSWORD = re.compile(r"([?&;](?:password|passwd|pwd|pass)=)[^&;\s]*", re.I)


def redact(url: str) -> str:
    """The URL (or any text holding URLs) without passwords, for the card, the report, the manifest,
    messages and the page."""
    return _QUERY_PASSWORD.sub(r"\1***", _URL_PASSWORD.sub(r"\1:***@", str(url)))


class RedactingFormatter(logging.Formatter):
    """A log formatter that leaves no database password in a log line or a logged traceback."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def storage_text(study) -> str:
    """Where the trials are stored, in words fit to show and share: never a password."""
    name = getattr(study.tuning, "storage_env", "")
    if name:
        return f"the database named by the environment variable {name}"
    return redact(study.tuning.storage) if study.tuning.storage else ""


def open_storage(url: str, *, shared: bool = False):
    """An optuna RDB storage; SQLite files get a long lock timeout (and WAL when private)."""
    import optuna

    kwargs: dict = {}
    if url.startswith("sqlite"):
        kwargs["engine_kwargs"] = {"connect_args": {"timeout": 60}}
    if shared:
        kwargs.update(heartbeat_interval=HEARTBEAT_S, grace_period=GRACE_S)
    try:
        storage = _open_rdb(optuna, url, kwargs, tries=5 if shared else 1)
    except Exception as exc:  # a bad URL, a missing driver, a database that refuses us
        detail = redact(str(exc).replace(url, redact(url)))  # drivers may quote the URL, password and all
        if isinstance(exc, ImportError):  # e.g. psycopg2 for postgresql:// URLs
            detail += "; install the database driver, for PostgreSQL with `pip install 'tenfold[cluster]'`"
        raise TenfoldError(
            f"The tuning storage {redact(url)} cannot be opened ({type(exc).__name__}: {detail}). "
            "Check [tuning] storage in the spec, or leave it empty to use tuning.sqlite3 in the "
            "study folder."
        ) from None
    if url.startswith("sqlite") and not shared:
        _fast_sqlite(storage)
    return storage


def _open_rdb(optuna, url: str, kwargs: dict, tries: int):
    """Workers that meet an empty shared database at once all create optuna's tables; all but one
    such attempt fail on a name the first just made (e.g. PostgreSQL's enum types), and succeed
    a moment later, finding the tables made."""
    from sqlalchemy.exc import IntegrityError, ProgrammingError  # "already exists"; not a refused login

    for attempt in range(tries):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)  # heartbeats: stable since 2.x
                return optuna.storages.RDBStorage(url, **kwargs)
        except (IntegrityError, ProgrammingError):
            if attempt == tries - 1:
                raise
            time.sleep(0.5 + attempt)


def close_storage(storage) -> None:
    """Let go of the database file (Windows cannot move or delete a study folder that holds it open)."""
    if storage is not None:
        storage.remove_session()
        storage.engine.dispose()


def _fast_sqlite(storage) -> None:
    """Write-ahead logging: a commit costs a few milliseconds, and an app crash loses nothing."""
    from sqlalchemy import event

    engine = storage.engine

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    engine.dispose()  # connections opened before the listener get the pragmas too


def split_key(study) -> str:
    """The training and tune rows a search scored on: a search of another split is stale."""
    s = study.split
    return hashlib.sha256(json.dumps([s.train_idx, s.tune_idx]).encode()).hexdigest()[:12]


def fingerprint(study, **extra) -> str:
    """What a search's trials depend on; a new value means a new search."""
    s = study.split
    payload = {
        "data": study.data.provenance.sha256,
        "features": study.data.feature_columns,
        "label": study.data.label,
        "task": study.question.task,
        "metric": study.primary_metric,
        "train": s.train_idx,
        "tune": s.tune_idx,
        "remedy": study.batch.remedy,
        "sampler": study.tuning.sampler,
        **extra,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:12]


# ----- one search ------------------------------------------------------------------------------


def import_optuna():
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


def _resumable(storage, ost, space: dict) -> list:
    """Trials a killed (or cancelled) run left 'running' in the study's private storage, in order.

    Each is finished in place, as the same trial with the settings it already holds, before any
    new trial starts: a search interrupted in its default trial retries the defaults, and trial
    numbers stay those of an uninterrupted search. A trial killed between two of its settings'
    draws (microseconds) cannot be completed as it would have been: it is marked failed, not
    counted, and its place in the budget is proposed again.
    """
    from optuna.trial import TrialState

    keep = []
    for t in sorted(ost.get_trials(deepcopy=False, states=(TrialState.RUNNING,)), key=lambda t: t.number):
        fixed = t.system_attrs.get("fixed_params") or {}
        if t.params and not set(space) <= set(t.params) | set(fixed):
            storage.set_trial_state_values(t._trial_id, TrialState.FAIL)
        else:
            keep.append(t)
    return keep


def _run_trial(ost, trial, objective) -> None:
    """One trial in the study's private storage: run it, then tell optuna how it ended.

    A cancel (or a kill) leaves the trial 'running', to be finished in place on resume.
    """
    optuna = import_optuna()
    from optuna.trial import TrialState

    try:
        value = objective(trial)
    except optuna.TrialPruned:
        ost.tell(trial, state=TrialState.PRUNED)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a NaN (a failed setting) is told as a failed trial
        ost.tell(trial, value)


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
    progress: ProgressFn = no_progress,
    should_stop: StopFn | None = None,
) -> dict:
    """Run trials of ``objective`` until the search holds ``budget`` of them; return its record.

    A search found in the storage continues: its trials count, and numbering goes on. ``start``
    (the usual default settings) is the first trial of a search, so tuning never ends below
    the defaults on the tune split; it is retried until it ends. Trials a killed run left
    running are finished first, in place. Each trial's sampler is seeded from its place in the
    budget (:func:`trial_seed`), so a resumed search proposes exactly what an uninterrupted
    one would, never an earlier setting again. Worker ``k`` samples with its own seeds:
    workers sharing a storage propose different trials. Workers sharing a storage take trials
    under the search's lock in the database until the budget is full, and return once every
    trial has ended (:mod:`guiapp.core.models.shared_search`): together they run exactly ``budget``
    trials, and every worker picks the same best. Only the first ``budget`` counted trials
    decide the best, so a search that an older run overshot is still judged on ``budget``.
    """
    optuna = import_optuna()
    from optuna.trial import TrialState

    t0 = time.perf_counter()
    ost = optuna.create_study(
        storage=storage,
        study_name=study_name,
        direction=direction,
        sampler=make_sampler(sampler, seed + worker),
        pruner=pruner or optuna.pruners.NopPruner(),
        load_if_exists=True,
    )
    resumable = [] if shared else _resumable(storage, ost, space)
    abandoned = len(resumable)
    before = len(counted_trials(ost.get_trials(deepcopy=False), running=False))

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

    if shared:  # other workers take trials of the same search: see guiapp.core.models.shared_search
        from guiapp.core.models.shared_search import run_shared_trials

        def best_text() -> str:
            best = _best(ost, budget, direction)
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
            progress=progress,
            should_stop=should_stop,
            best_text=best_text,
        )
    while not shared:
        trials = ost.get_trials(deepcopy=False)
        # Private storage: the trials left running are ours to finish, not someone else's.
        done = counted_trials(trials, running=False)
        if len(done) >= budget:
            break
        check_stop(should_stop)
        best = _best(ost, budget, direction)
        note = f" · best so far {best.value:.4f}" if best is not None else ""
        progress(len(done) / budget, f"{label}: trial {len(done) + 1} of {budget}{note}")
        drawn = sum(1 for t in done if not t.system_attrs.get("fixed_params"))
        ost.sampler = make_sampler(sampler, trial_seed(seed, worker, len(done), drawn))
        if resumable:
            _run_trial(ost, optuna.trial.Trial(ost, resumable.pop(0)._trial_id), wrapped)
            continue
        waiting = any(t.state == TrialState.WAITING for t in trials)
        if start and worker == 0 and not done and not waiting:  # the defaults come first, until they end
            ost.enqueue_trial({k: space[k].clip(v) for k, v in start.items() if k in space})
        _run_trial(ost, ost.ask(), wrapped)
    progress(1.0, f"{label}: {budget} trials done")
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


def _best(ost, budget: int, direction: str):
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
    from optuna.trial import TrialState

    all_counted = counted_trials(ost.get_trials(deepcopy=False), running=False)
    counted = all_counted[:budget]
    best = _best(ost, budget, direction)
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


# ----- equal budgets ---------------------------------------------------------------------------


def budget_report(study) -> dict:
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
