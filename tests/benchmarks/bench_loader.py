"""Benchmark: reading a 2,000 × 20,000 float CSV, pyarrow alone beside Tenfold's loader.

Run: .venv/bin/python tests/benchmarks/bench_loader.py [--samples 2000] [--features 20000] [--repeats 3]
     .venv/bin/python tests/benchmarks/bench_fuzz_loaders.py --examples 2000   # the long loader fuzz run

Each reading runs in a fresh process, so its peak memory (the process's VmHWM above its size
after the imports) is its own. Prints one line per reader and a JSON summary:
time of ``pyarrow.csv.read_csv`` alone (default options, and with the block size Tenfold
picks for wide rows) and of ``guiapp.core.data.attach.load_dataset`` (sniffing, reading into a pandas
DataFrame with float32 numbers, the orientation and shape checks); Tenfold's time over the
faster pyarrow reading (target ≤ 1.2×) and its peak memory over the float32 matrix size
(target ≤ 2×).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

TIME_TARGET = 1.2
MEMORY_TARGET = 2.0

_CHILD = r"""
import json, sys, time
def rss():
    with open('/proc/self/statm') as fh:
        return int(fh.read().split()[1]) * 4096
import numpy, pandas, pyarrow, pyarrow.csv
from guiapp.core.data import attach as data
from guiapp.core.data import text_tables
mode, path = sys.argv[1], sys.argv[2]
base = rss()
t0 = time.perf_counter()
if mode == 'arrow-default':
    shape = pyarrow.csv.read_csv(path).shape
elif mode == 'arrow-tuned':
    from pathlib import Path
    fmt = text_tables.sniff(Path(path))
    opts = pyarrow.csv.ReadOptions(block_size=text_tables._block_size(Path(path), fmt))
    shape = pyarrow.csv.read_csv(path, read_options=opts).shape
else:  # what the Data page, inspect and run call: sniffing, reading, orientation, shape checks
    frame = data.load_dataset(path, label='condition').table
    shape = frame.shape
seconds = time.perf_counter() - t0
def hwm():  # this process's own peak: ru_maxrss would carry the parent's peak over exec
    with open('/proc/self/status') as fh:
        return next(int(line.split()[1]) * 1024 for line in fh if line.startswith('VmHWM'))
peak = hwm() - base
print(json.dumps({'mode': mode, 'seconds': seconds, 'peak_bytes': peak, 'shape': list(shape)}))
"""


def write_csv(path: Path, n: int, p: int, seed: int = 0) -> None:
    """A sample-ID column, ``p`` float features with 4 decimals, and a label; written by pyarrow."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pcsv

    rng = np.random.default_rng(seed)
    columns = {"sample_id": pa.array([f"S{i:05d}" for i in range(n)])}
    for j in range(p):
        columns[f"GENE{j:05d}"] = pa.array(rng.normal(6.0, 2.0, n).round(4))
    columns["condition"] = pa.array(np.where(np.arange(n) % 2 == 0, "control", "treated"))
    pcsv.write_csv(pa.table(columns), path, write_options=pcsv.WriteOptions(quoting_style="none"))


def run_child(mode: str, path: Path) -> dict:
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", _CHILD, mode, str(path)], capture_output=True, text=True, cwd=root)
    if out.returncode != 0:  # e.g. killed for memory: say so and go on with the others
        return {
            "mode": mode,
            "seconds": float("nan"),
            "peak_bytes": float("nan"),
            "shape": [],
            "error": (out.stderr.strip().splitlines() or [f"exit {out.returncode}"])[-1],
        }
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=2_000)
    parser.add_argument("--features", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--path", type=Path, help="reuse this CSV instead of writing one")
    parser.add_argument(
        "--no-default",
        action="store_true",
        help="skip pyarrow with its default options (slow on wide rows: 1 MB blocks)",
    )
    parser.add_argument("--write", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write:
        write_csv(args.write, args.samples, args.features)
        return
    folder = tempfile.TemporaryDirectory(prefix="tenfold-bench-")
    path = args.path or Path(folder.name) / f"matrix_{args.samples}x{args.features}.csv"
    if not args.path:  # in a child process, so this process stays small for the readings it starts
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--write",
                str(path),
                "--samples",
                str(args.samples),
                "--features",
                str(args.features),
            ],
            check=True,
        )
    size_mb = path.stat().st_size / 1e6
    matrix_bytes = args.samples * args.features * 4
    modes = ("arrow-tuned", "tenfold") if args.no_default else ("arrow-default", "arrow-tuned", "tenfold")
    results: dict = {m: [] for m in modes}
    for _ in range(args.repeats):  # interleaved, so a busy machine slows all readers alike
        for mode in results:
            r = run_child(mode, path)
            results[mode].append(r)
            print(
                f"{mode:14s} {r['seconds']:7.2f} s  peak {r['peak_bytes'] / 1e6:7.0f} MB  shape {r['shape']}"
                + (f"  FAILED: {r['error']}" if "error" in r else ""),
                flush=True,
            )

    def median(values):
        values = [v for v in values if v == v]  # failed runs are NaN
        return statistics.median(values) if values else float("nan")

    summary = {
        m: {"seconds": median(x["seconds"] for x in rs), "peak_mb": median(x["peak_bytes"] for x in rs) / 1e6}
        for m, rs in results.items()
    }
    arrow = min(summary[m]["seconds"] for m in modes if m != "tenfold")
    ours = summary["tenfold"]
    import os

    import pyarrow

    report = {
        "cores": os.cpu_count(),
        "pyarrow": pyarrow.__version__,
        "file_mb": round(size_mb, 1),
        "float32_matrix_mb": matrix_bytes / 1e6,
        "median": summary,
        "time_ratio": round(ours["seconds"] / arrow, 2),
        "time_target": TIME_TARGET,
        "memory_ratio": round(ours["peak_mb"] * 1e6 / matrix_bytes, 2),
        "memory_target": MEMORY_TARGET,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
