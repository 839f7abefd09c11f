"""How long one search takes with 1, 2, … workers sharing it through a database, and what the
sharing costs: each trial waits ``--trial-seconds`` (a stand-in for fitting a model), so the ideal
time with W workers is trials × seconds / W; the rest is the lock, the heartbeats and the polling.

    python tests/benchmarks/bench_shared_search.py --url postgresql://USER@HOST/DB --workers 1 2 4

Prints one JSON object: per worker count, the wall time (with each worker's Python start-up), the
search time (first trial's start to last trial's end), the ideal time, and the trials run (always
exactly the budget) by each worker.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import textwrap
import time
import uuid

WORKER = textwrap.dedent("""
    import sys, time
    from guiapp.core.models import tuning

    url, name, worker, budget, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    storage = tuning.open_storage(url, shared=True)
    space = {"x": tuning.Dim("float", 0.0, 1.0)}

    def objective(params, trial):
        time.sleep(seconds)
        return params["x"]

    tuning.run_search(storage=storage, study_name=name, direction="maximize", space=space, objective=objective,
                      budget=budget, seed=0, worker=worker, shared=True)
""")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the shared optuna storage (a PostgreSQL URL)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--trials", type=int, default=24)
    parser.add_argument("--trial-seconds", type=float, default=0.5)
    args = parser.parse_args()

    from guiapp.core.models import tuning

    tuning.close_storage(tuning.open_storage(args.url, shared=True))  # the tables exist before the clock starts
    results = []
    for n in args.workers:
        name = f"bench-{uuid.uuid4().hex[:8]}"
        t0 = time.perf_counter()
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", WORKER, args.url, name, str(k), str(args.trials), str(args.trial_seconds)]
            )
            for k in range(n)
        ]
        codes = [p.wait() for p in procs]
        wall = time.perf_counter() - t0
        optuna = tuning.import_optuna()
        storage = tuning.open_storage(args.url, shared=True)
        trials = optuna.load_study(study_name=name, storage=storage).get_trials(deepcopy=False)
        tuning.close_storage(storage)
        # from the first trial's start to the last one's end: without the workers' Python start-up
        span = max(t.datetime_complete for t in trials) - min(t.datetime_start for t in trials)
        results.append(
            {
                "workers": n,
                "exit_codes": codes,
                "wall_s": round(wall, 2),
                "search_s": round(span.total_seconds(), 2),
                "ideal_s": round(args.trials * args.trial_seconds / n, 2),
                "trials_run": len(trials),
                "per_worker": {k: sum(t.user_attrs.get("worker") == k for t in trials) for k in range(n)},
            }
        )
    print(
        json.dumps(
            {
                "storage": tuning.redact(args.url),
                "trials": args.trials,
                "trial_seconds": args.trial_seconds,
                "results": results,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
