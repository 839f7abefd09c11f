"""Benchmark: a large AnnData file opened backed is profiled and batch-checked in bounded memory.

Run: .venv/bin/python tests/benchmarks/bench_h5ad_backed.py [--cells 50000] [--genes 2000] [--sparse] [--threshold BYTES]
Writes a ``cells × genes`` ``.h5ad`` (dense float32 X, or CSR with ``--sparse``; row blocks,
never the whole matrix in memory) with a cell type and a batch column, then loads it into a
study (above the streaming threshold X stays on disk and the profile reads it in row chunks)
and runs the Batch-effects report (incremental PCA over row chunks, batch metrics, exact
copies). Prints one JSON object: seconds per step, the peak RSS, one float32 copy of the
matrix, and their ratio. The target is a peak RSS below 2 × one float32 copy (50,000 × 2,000:
400 MB → below 800 MB).
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


def peak_bytes() -> int:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb * (1 if sys.platform == "darwin" else 1024)


def write_cells(path: Path, cells: int, genes: int, *, sparse: bool, block: int = 2000) -> None:
    """A cells × genes AnnData file, written a block of rows at a time (the documented layout)."""
    import h5py
    import pandas as pd

    from guiapp.core.data.anndata_io import write_h5ad

    rng = np.random.default_rng(0)
    types = np.array(["T", "B", "NK", "mono", "DC"])[rng.integers(0, 5, cells)]
    batches = np.array(["run1", "run2", "run3", "run4"])[rng.integers(0, 4, cells)]
    obs = pd.DataFrame(
        {"cell_type": pd.Categorical(types), "batch": pd.Categorical(batches)}, index=[f"cell{i}" for i in range(cells)]
    )
    write_h5ad(path, np.zeros((0, genes), dtype=np.float32), obs.iloc[:0], [f"GENE{j}" for j in range(genes)])
    markers = rng.normal(0, 1.5, (5, genes)).astype(np.float32) * (rng.random(genes) < 0.05)
    shifts = rng.normal(0, 0.3, (4, genes)).astype(np.float32)
    type_code = pd.Categorical(types, categories=["T", "B", "NK", "mono", "DC"]).codes
    batch_code = pd.Categorical(batches, categories=["run1", "run2", "run3", "run4"]).codes
    with h5py.File(path, "a") as f:
        del f["X"]
        for name in ("obs",):
            del f[name]
        if sparse:
            g = f.create_group("X")
            g.attrs["encoding-type"], g.attrs["encoding-version"] = "csr_matrix", "0.1.0"
            g.attrs["shape"] = np.array([cells, genes])
            data = g.create_dataset("data", shape=(0,), maxshape=(None,), dtype=np.float32, chunks=(1 << 16,))
            indices = g.create_dataset("indices", shape=(0,), maxshape=(None,), dtype=np.int32, chunks=(1 << 16,))
            indptr = [0]
        else:
            X = f.create_dataset("X", shape=(cells, genes), dtype=np.float32, chunks=(min(block, cells), genes))
        for start in range(0, cells, block):
            stop = min(start + block, cells)
            rows = rng.normal(1.0, 1.0, (stop - start, genes)).astype(np.float32)
            rows += markers[type_code[start:stop]] + shifts[batch_code[start:stop]]
            if sparse:
                rows[rows < 1.5] = 0.0  # about 70% zeros
                r, c = np.nonzero(rows)
                n0 = data.shape[0]
                data.resize((n0 + len(r),))
                indices.resize((n0 + len(r),))
                data[n0:], indices[n0:] = rows[r, c], c.astype(np.int32)
                indptr += (n0 + np.cumsum(np.bincount(r, minlength=stop - start))).tolist()
            else:
                X[start:stop] = rows
        if sparse:
            g["indptr"] = np.asarray(indptr, dtype=np.int64)
    # obs again, written whole (small) by the same writer
    tmp = path.with_name("obs.h5ad")
    write_h5ad(tmp, np.zeros((cells, 1), dtype=np.float32), obs, ["x"])
    with h5py.File(tmp, "r") as src, h5py.File(path, "a") as dst:
        src.copy("obs", dst)
    tmp.unlink()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cells", type=int, default=50_000)
    parser.add_argument("--genes", type=int, default=2_000)
    parser.add_argument("--sparse", action="store_true")
    parser.add_argument("--keep", help="write into (and keep) this folder instead of a temporary one")
    parser.add_argument(
        "--threshold",
        type=float,
        help="the streaming threshold in bytes (TENFOLD_STREAM_BYTES), to stream a small file",
    )
    args = parser.parse_args()
    if args.threshold is not None:
        import os

        os.environ["TENFOLD_STREAM_BYTES"] = str(int(args.threshold))

    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="tenfold-bench-h5ad-"))
    root.mkdir(parents=True, exist_ok=True)
    path = root / ("cells-csr.h5ad" if args.sparse else "cells.h5ad")
    out: dict = {"cells": args.cells, "genes": args.genes, "sparse": args.sparse}
    try:
        if not path.exists():
            t0 = time.perf_counter()
            write_cells(path, args.cells, args.genes, sparse=args.sparse)
            out["write_s"] = round(time.perf_counter() - t0, 1)
        out["file_mb"] = round(path.stat().st_size / 1e6, 1)
        from guiapp.core.batch.effects import batch_effect_report
        from guiapp.core.data import attach as data
        from guiapp.core.study.model import Study

        out["rss_after_imports_mb"] = round(peak_bytes() / 1e6, 1)
        study = Study()
        shutil.rmtree(root / "study", ignore_errors=True)
        study.save(root / "study")
        t0 = time.perf_counter()
        data.attach_data(study, data.AttachRequest(path, label="cell_type", batch="batch", sensitive=False))
        out["load_and_profile_s"] = round(time.perf_counter() - t0, 1)
        out["backed"] = study.data.options.get("stream") == "h5ad"
        out["findings"] = sorted({f.code for f in study.findings})
        out["peak_rss_after_profile_mb"] = round(peak_bytes() / 1e6, 1)
        t0 = time.perf_counter()
        batch_effect_report(study)
        out["batch_check_s"] = round(time.perf_counter() - t0, 1)
        out["silhouette"] = study.batch.silhouette
        out["explained_variance_pc1"] = round(study.batch.explained_variance[0], 4)
        one_copy = 4 * args.cells * args.genes
        out["peak_rss_mb"] = round(peak_bytes() / 1e6, 1)
        out["one_float32_copy_mb"] = round(one_copy / 1e6, 1)
        out["peak_over_one_copy"] = round(peak_bytes() / one_copy, 3)
        out["within_budget"] = peak_bytes() < 2 * one_copy
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
