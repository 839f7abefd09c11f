"""Benchmark: an image study too large for memory trains one epoch with bounded memory.

Run: .venv/bin/python tests/benchmarks/bench_image_memory.py [--n 20000] [--size 128] [--epochs 1] [--in-memory]
Generates ``n`` RGB PNGs of ``size`` × ``size`` in two class folders (a temporary folder),
loads them into a study (above the streaming threshold they are resized once into an 8-bit
cache in the study folder, not read into a table), splits, and trains a small 2D CNN for one
epoch through the streaming DataLoader. Prints one JSON object: seconds per step, the peak
RSS of this process and of its DataLoader workers, the memory the in-memory table would take
(n × 3 × size² float32), and their ratio. The target is a peak RSS below 1.5 GB for 20,000
images of 128 × 128.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

BUDGET_MB = 1536.0


def peak_mb(who=resource.RUSAGE_SELF) -> float:
    kb = resource.getrusage(who).ru_maxrss
    return round(kb / 1024 / (1024 if sys.platform == "darwin" else 1), 1)


def generate(folder: Path, n: int, size: int) -> float:
    """``n`` smooth RGB images with noise, half dim (class a) and half bright (class b)."""
    from PIL import Image

    start = time.perf_counter()
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:size, 0:size] / size
    for cls in ("a", "b"):
        (folder / cls).mkdir(parents=True)
    for i in range(n):
        cls = "ab"[i % 2]
        level = 80 if cls == "a" else 150
        base = level + 60 * np.sin(6 * xx + rng.uniform(0, 6)) * np.cos(4 * yy + rng.uniform(0, 6))
        rgb = np.stack([base, base * 0.8, base * 0.6], axis=-1) + rng.normal(0, 8, (size, size, 3))
        Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)).save(folder / cls / f"img{i:06d}.png")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--keep", help="generate into (and keep) this folder instead of a temporary one")
    parser.add_argument(
        "--in-memory", action="store_true", help="for contrast: read the images into the table as below the threshold"
    )
    args = parser.parse_args()
    if args.in_memory:
        import os

        os.environ["TENFOLD_STREAM_BYTES"] = str(1 << 50)

    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="tenfold-bench-images-"))
    folder = root / "images"
    out: dict = {"n": args.n, "size": args.size, "epochs": args.epochs, "batch_size": args.batch_size}
    try:
        if not folder.exists():
            out["generate_s"] = round(generate(folder, args.n, args.size), 1)
        base = peak_mb()
        from guiapp.core.data import attach as data
        from guiapp.core.models import recommend as architecture
        from guiapp.core.models.train import train_network
        from guiapp.core.split import draw as split
        from guiapp.core.study.model import Study

        study = Study()
        shutil.rmtree(root / "study", ignore_errors=True)
        study.save(root / "study")
        t0 = time.perf_counter()
        data.attach_data(
            study, data.AttachRequest(folder, label="class", sensitive=False, options={"image_size": args.size})
        )
        out["load_s"] = round(time.perf_counter() - t0, 1)
        out["streamed"] = study.data.options.get("stream") == "images"
        out["peak_rss_after_load_mb"] = peak_mb()
        t0 = time.perf_counter()
        split.split_study(study)
        out["split_s"] = round(time.perf_counter() - t0, 1)
        architecture.set_architecture(study, width=8, depth=2, dropout=0.0, kind="cnn2d")
        t = study.train
        t.device, t.max_epochs, t.patience, t.batch_size = "cpu", args.epochs, 10, args.batch_size
        t0 = time.perf_counter()
        train_network(study)
        out["train_s"] = round(time.perf_counter() - t0, 1)
        out["epoch_samples_per_s"] = t.history[-1]["samples_per_second"]
        out["tune_loss"] = round(t.history[-1]["tune_loss"], 4)
        out[f"tune_{study.primary_metric}"] = round(t.history[-1][f"tune_{study.primary_metric}"], 4)
        out["peak_rss_before_study_mb"] = base
        out["peak_rss_mb"] = peak_mb()
        out["peak_rss_workers_mb"] = peak_mb(resource.RUSAGE_CHILDREN)
        cache = Path(study.data.options.get("stream_cache", "") or ".")
        out["cache_mb"] = round(cache.stat().st_size / 2**20, 1) if cache.is_file() else None
        in_memory = args.n * 3 * args.size * args.size * 4 / 2**20
        out["in_memory_table_mb"] = round(in_memory, 1)
        out["peak_over_in_memory"] = round(out["peak_rss_mb"] / in_memory, 3)
        out["budget_mb"] = BUDGET_MB
        out["within_budget"] = out["peak_rss_mb"] < BUDGET_MB and out["peak_rss_workers_mb"] < BUDGET_MB
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
