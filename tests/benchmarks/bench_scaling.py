"""Benchmark: the whole headless study on generated tables of growing size.

Run: .venv/bin/python tests/benchmarks/bench_scaling.py [--sizes 1000 5000 20000 50000]
     [--features 200] [--trials 3] [--epochs 20] [--profile N]

Each size runs in its own process (``tenfold run``'s core, in-process there), so its peak RSS
is its own. Prints, per size, the seconds of every step, the whole study's seconds and the
peak RSS, then the fitted exponent of total time against n (log-log least squares) over all
sizes and between 5,000 and the largest size: an exponent near 1 means the cost grows with
the data, not faster. ``--profile N`` runs the largest size under cProfile and prints the top
N functions by cumulative time, so the output shows where the time goes.

The table: ``--features`` standard-normal features, a binary label driven by 10 of them
(logistic, with noise), and a run column of 4 batches that shift every feature a little and
are not tied to the label. Settings follow the issue: 3 trials per model, 20 epochs.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def write_table(path: Path, n: int, p: int, seed: int = 0) -> None:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p), dtype=np.float32)
    batch = rng.integers(0, 4, n)
    X += (batch[:, None] * 0.15).astype(np.float32)
    w = np.zeros(p, dtype=np.float32)
    w[:10] = rng.normal(0, 1.0, 10)
    logit = X[:, :10] @ w[:10] + rng.normal(0, 1.0, n)
    y = np.where(logit > 0, "case", "control")
    frame = pd.DataFrame(X, columns=[f"g{j:04d}" for j in range(p)])
    frame.insert(0, "run", [f"run{b}" for b in batch])
    frame.insert(0, "label", y)
    frame.insert(0, "sample_id", [f"s{i:06d}" for i in range(n)])
    frame.to_csv(path, index=False, float_format="%.5g")


def spec_for(path: Path, trials: int, epochs: int) -> dict:
    return {
        "question": {
            "title": "Scaling benchmark",
            "task": "classification",
            "target_metric": "roc_auc",
            "target_value": 0.7,
        },
        "data": {
            "path": str(path),
            "label": "label",
            "batch": "run",
            "identifiers": ["sample_id"],
            "sensitive": False,
            "about_humans": False,
        },
        "baselines": {"budget_trials": trials},
        "train": {"max_epochs": epochs, "budget_trials": trials},
        "tuning": {"epochs": epochs},
        "batch": {"remedy": "none", "remedy_reason": "Generated runs are not tied to the label."},
        "verdict": {"proceed_reason": "A benchmark: every step runs whatever the verdict says."},
        "checklist": {"guided": False},
    }


def run_one(n: int, p: int, trials: int, epochs: int, profile: int) -> dict:
    """One size, in this process: the table, the study, its timings and peak memory."""
    from guiapp.core.pipeline import run_study

    with tempfile.TemporaryDirectory(prefix="tenfold-scale-") as tmp:
        tmp = Path(tmp)
        table = tmp / f"table_{n}.csv"
        write_table(table, n, p)
        spec = spec_for(table, trials, epochs)
        t0 = time.perf_counter()
        if profile:
            import cProfile
            import io
            import pstats

            prof = cProfile.Profile()
            result = prof.runcall(run_study, spec, tmp / "out", study_dir=tmp / "study")
            text = io.StringIO()
            pstats.Stats(prof, stream=text).sort_stats("cumulative").print_stats(profile)
            top = [line for line in text.getvalue().splitlines() if line.strip()][-profile - 1 :]
        else:
            result = run_study(spec, tmp / "out", study_dir=tmp / "study")
            top = []
        total = time.perf_counter() - t0
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "n": n,
        "seconds": round(total, 1),
        "steps": result.seconds,
        "peak_rss_mb": round(peak_kb / 1024 * (1 / 1024 if sys.platform == "darwin" else 1), 1),
        "baselines": {
            b["name"]: {"fit_s": b.get("fit_seconds"), "form": b.get("form_note") or "exact"}
            for b in result.study.baselines.results
        },
        **({"profile_top": top} if top else {}),
    }


def exponent(points: list[tuple[int, float]]) -> float:
    """Slope of log(seconds) against log(n), least squares."""
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(s) for _, s in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=False)) / sum((x - mx) ** 2 for x in xs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000, 50000])
    parser.add_argument("--features", type=int, default=200)
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--profile", type=int, default=0, help="cProfile top lines for the largest size")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a child: run one size, print JSON
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.features, args.trials, args.epochs, args.profile)))
        return
    rows = []
    for n in args.sizes:
        cmd = [
            sys.executable,
            __file__,
            "--one",
            str(n),
            "--features",
            str(args.features),
            "--trials",
            str(args.trials),
            "--epochs",
            str(args.epochs),
            "--profile",
            str(args.profile if n == max(args.sizes) else 0),
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
        if done.returncode != 0:
            print(json.dumps({"n": n, "error": done.stderr[-2000:]}))
            continue
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(json.dumps({k: v for k, v in rows[-1].items() if k != "profile_top"}), flush=True)
    summary = {
        "cores": os.cpu_count(),
        "load_1min": round(os.getloadavg()[0], 2),
        "sizes": [r["n"] for r in rows],
        "total_seconds": [r["seconds"] for r in rows],
    }
    if len(rows) >= 2:
        summary["exponent_all"] = round(exponent([(r["n"], r["seconds"]) for r in rows]), 2)
    big = [r for r in rows if r["n"] >= 5000]
    if len(big) >= 2:
        summary["exponent_5k_up"] = round(exponent([(r["n"], r["seconds"]) for r in big]), 2)
    for r in rows:
        steps = r["steps"]
        share = {k: round(steps.get(k, 0) / r["seconds"], 3) for k in ("Evaluate (sealed test, once)", "Verdict")}
        summary.setdefault("sealed_test_and_verdict_share", {})[r["n"]] = share
    print(json.dumps(summary, indent=1))
    for r in rows:
        for line in r.get("profile_top", []):
            print(line)


if __name__ == "__main__":
    main()
