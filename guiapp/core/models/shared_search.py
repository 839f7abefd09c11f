"""Workers sharing one search through a database: exactly the budget's trials, then one best for all.

Each worker (a ``tenfold run`` on some machine, all with the same ``[tuning] storage``) takes
the search's lock in the database, counts the trials that used budget (its own, the other
workers', those still running), and only then creates a trial, if the budget still has room.
Creating trials one at a time under the lock is what keeps the total at the budget exactly:
two workers can never both take the last place. A worker with no place left waits until the
other workers' trials end, so every worker reads the same finished trials and picks the same
best settings. A trial whose worker went silent (killed, its machine lost) for the grace period
is failed by the next worker that looks; it does not count, and its place is taken again.

The lock is a row lock (``SELECT … FOR UPDATE``) on a row of optuna's own
``study_system_attributes`` table that no other row refers to, so it blocks only other
Tenfold workers of the same search; a SQLite storage (one machine only) uses a lock file beside
the database instead. A worker that dies while holding it lets go with its connection.
"""

from __future__ import annotations

import math
import threading
import time
import warnings
from collections.abc import Callable
from contextlib import contextmanager

from guiapp.core.models.trials import HEARTBEAT_S, counted_trials, import_optuna
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext

LOCK_KEY = "tenfold:search-lock"
POLL_S = 0.5  # how often a worker with no place left looks whether the others are done


def ensure_lock_row(storage, study_id: int) -> None:
    """The row the lock is taken on; two workers creating it at once is harmless."""
    for _ in range(3):
        if LOCK_KEY in storage.get_study_system_attrs(study_id):
            return
        try:
            storage.set_study_system_attr(study_id, LOCK_KEY, True)
        except Exception:  # another worker inserted it first (a unique-key clash): look again
            time.sleep(0.05)


@contextmanager
def search_lock(storage, study_id: int):
    """Held by one worker of one search at a time, across processes and machines."""
    engine = storage.engine
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        if not database or database == ":memory:":
            yield
            return
        from filelock import FileLock  # filelock: imported lazily, only when this runs

        with FileLock(database + ".tenfold-lock"):
            yield
        return
    # sqlalchemy: imported lazily, a heavy library
    from sqlalchemy import column, select, table

    attrs = table("study_system_attributes", column("study_id"), column("key"))
    query = select(attrs.c.study_id).where(attrs.c.study_id == study_id, attrs.c.key == LOCK_KEY).with_for_update()
    with engine.connect() as connection, connection.begin():
        connection.execute(query).first()  # waits here while another worker holds the row
        yield


class _Heartbeat:
    """Tells the database, every ``interval`` seconds, that this worker's trial is alive."""

    def __init__(self, storage, trial_id: int, interval: float) -> None:
        self.storage, self.trial_id, self.interval = storage, trial_id, interval
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, name="tenfold-heartbeat", daemon=True)

    def _beat(self) -> None:
        while not self.stop.wait(self.interval):
            try:
                self.storage.record_heartbeat(self.trial_id)
            except Exception:  # the database is briefly unreachable: the next beat tries again
                pass

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()


def run_shared_trials(
    ost,
    storage,
    *,
    budget: int,
    worker: int,
    start: dict | None,
    space: dict,
    objective: Callable,
    next_sampler: Callable[[int], object],
    label: str,
    best_text: Callable[[], str],
    ctx: TaskContext = NO_CONTEXT,
) -> None:
    """Run this worker's share of the search's ``budget`` trials; return once all have ended.

    ``next_sampler(position)`` gives the sampler for the trial at that place in the budget;
    ``objective(trial)`` runs one trial and returns its tune score (NaN: a failed setting).
    """
    from optuna.trial import TrialState  # optuna: imported lazily, a heavy library

    optuna = import_optuna()
    study_id = ost._study_id
    ensure_lock_row(storage, study_id)
    while True:
        ctx.check()
        trial = None
        with search_lock(storage, study_id):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                # optuna warns that heartbeats are meant for its own loop: this loop keeps them itself
                warnings.filterwarnings("ignore", message="Heartbeat of storage")
                optuna.storages.fail_stale_trials(ost)  # a silent worker's trial failed: its place is free
                trials = ost.get_trials(deepcopy=False)
                done = counted_trials(trials, running=True)
                running = [t for t in done if t.state == TrialState.RUNNING]
                if len(done) < budget:
                    waiting = any(t.state == TrialState.WAITING for t in trials)
                    if start and not done and not waiting:  # the defaults come first, until they end
                        ost.enqueue_trial({k: space[k].clip(v) for k, v in start.items() if k in space})
                    ost.sampler = next_sampler(len(done))
                    trial = ost.ask()
                    storage.record_heartbeat(trial._trial_id)  # alive from its first moment
        if trial is None:
            if not running:
                return
            ctx.report(
                len(done) / budget,
                f"{label}: {budget} trials taken; waiting for {len(running)} "
                f"still running on other workers{best_text()}",
            )
            time.sleep(POLL_S)
            continue
        ctx.report(len(done) / budget, f"{label}: trial {len(done) + 1} of {budget} (worker {worker}){best_text()}")
        _run_one(ost, storage, trial, objective, HEARTBEAT_S)


def _run_one(ost, storage, trial, objective, interval: float) -> None:
    """One trial with its heartbeat; a cancel or a crash fails it (not counted: its place is free)."""
    from optuna.trial import TrialState  # optuna: imported lazily, a heavy library

    optuna = import_optuna()
    with _Heartbeat(storage, trial._trial_id, interval):
        try:
            value = objective(trial)
        except optuna.TrialPruned:
            _quietly(ost.tell, trial, state=TrialState.PRUNED)
            return
        except BaseException:
            _quietly(ost.tell, trial, state=TrialState.FAIL)
            raise
    # a NaN (a failed setting) is told as a failed trial
    _quietly(ost.tell, trial, value if value is not None and math.isfinite(value) else float("nan"))


def _quietly(tell, *args, **kwargs) -> None:
    """optuna's tell, without its warnings about NaN values and heartbeats outside its own loop."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tell(*args, **kwargs)
