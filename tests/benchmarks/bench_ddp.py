"""Benchmark: data-parallel training ([train] processes = N) against one process.

Run: .venv/bin/python tests/benchmarks/bench_ddp.py [--samples 5000] [--features 200]
     [--epochs 10] [--batch 128] [--processes 2] [--device cpu|cuda] [--repeats 2]
Prints one JSON object: per run, wall seconds (start of train_network to its return, process
start-up included), training seconds (the epochs alone, as the study records them), the best
tune metric, and the largest difference between the best weights of one process and of N. The
first N-process run also starts the fork server (torch imported once); later runs do not, so
the best of ``--repeats`` is the steady cost.

``--threads`` (default 1) sets torch's threads of the one-process run; each of the N processes
uses cores / N threads. On a shared machine torch's OpenMP threads spin-wait against other
processes, and a one-process run with 2 threads can be many times slower than with 1: compare
like with like.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path


def _study(folder: Path, data_dir: Path, args, processes: int):
    from guiapp.core.data import attach as data
    from guiapp.core.data import demo
    from guiapp.core.models import recommend as architecture
    from guiapp.core.split import draw as split
    from guiapp.core.study.model import Study

    s = Study()
    s.save(folder)
    d = demo.simulated_expression(n_samples=args.samples, n_genes=args.features, seed=4)
    data.attach_data(s, data.AttachRequest(demo.write_demo(d, data_dir), label=d.label, batch=d.batch, sensitive=False))
    split.split_study(s)
    architecture.set_architecture(s, width=64, depth=2, dropout=0.0)
    t = s.train
    t.device, t.max_epochs, t.patience, t.batch_size = args.device, args.epochs, args.epochs, args.batch
    t.optimizer, t.learning_rate, t.processes = "sgd", 0.05, processes
    return s


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=5000)
    parser.add_argument("--features", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    from safetensors.torch import load_file

    from guiapp.core.models import train

    root = Path(tempfile.mkdtemp(prefix="tenfold-bench-ddp-"))
    runs, weights = [], {}
    for repeat in range(args.repeats):
        for processes in (1, args.processes):
            s = _study(root / f"r{repeat}-p{processes}", root, args, processes)
            started = time.perf_counter()
            train.train_network(s)
            wall = time.perf_counter() - started
            metric = f"tune_{s.primary_metric}"
            best = next(r for r in s.train.history if r["epoch"] == s.train.best_epoch)
            weights[processes] = load_file(str(s.path(s.train.weights)))
            runs.append(
                {
                    "repeat": repeat,
                    "processes": processes,
                    "wall_s": round(wall, 2),
                    "training_s": s.train.seconds,
                    "epochs": len(s.train.history),
                    metric: round(best[metric], 5),
                    "best_tune_loss": round(best["tune_loss"], 6),
                }
            )
        diff = max(float((weights[1][k] - weights[args.processes][k]).abs().max()) for k in weights[1])
        runs[-1]["max_weight_difference_vs_one_process"] = diff
    print(
        json.dumps(
            {
                "samples": args.samples,
                "features": args.features,
                "batch": args.batch,
                "epochs": args.epochs,
                "device": args.device,
                "cpus": os.cpu_count(),
                "threads_one_process": args.threads,
                "torch": torch.__version__,
                "platform": platform.platform(),
                "runs": runs,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
