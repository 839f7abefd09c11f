"""Benchmark: Tenfold's training loop against a bare torch loop on the same data and model.

Run: .venv/bin/python tests/benchmarks/bench_training.py [--epochs 30] [--device cpu|cuda]
     [--threads 1] [--dataloader]
Prints one JSON object: samples/s of each loop (median of repeats run interleaved, in a
shuffled order) and Tenfold's ratio to each bare loop, taken within each repeat (median, min,
max): on a shared machine the load changes between repeats, not within one. Tenfold's loop does more per epoch than the bare one — it scores the tune split,
writes a checkpoint atomically and keeps the best weights — so a ratio near 1 means that
bookkeeping is cheap. Two bare loops are timed: the one a user would write (AdamW with its
defaults), and one with the optimizer Tenfold uses (fused AdamW), which isolates the cost of
the bookkeeping alone. ``--dataloader`` adds a standard ``DataLoader`` loop (issue 6,
benchmark 2: device-resident batching against it, on a GPU).

Timing threads default to 1: on a shared machine torch's OpenMP threads spin-wait against
other processes and a 2-thread run can be ten times slower than a 1-thread one, which
drowns any difference between the loops. Both loops always get the same thread count.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import tempfile
import time


def _sync(device: str) -> None:
    import torch

    if device == "cuda":
        torch.cuda.synchronize()


def bare_loop(X, y, epochs, batch_size, width, depth, seed, device="cpu", fused=False):
    """The minimal loop: data on the device, random batches by index, AdamW."""
    import torch

    from guiapp.core.models.network import build_mlp

    torch.manual_seed(seed)
    model = build_mlp(X.shape[1], 2, width, depth, 0.1).to(device)
    kwargs = {"fused": True} if fused else {}
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4, **kwargs)
    Xt, yt = torch.as_tensor(X).to(device), torch.as_tensor(y).to(device)
    loss_fn = torch.nn.CrossEntropyLoss()
    _sync(device)
    t0 = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(len(Xt), device=device)
        for i in range(0, len(Xt), batch_size):
            idx = order[i : i + batch_size]
            opt.zero_grad()
            loss_fn(model(Xt[idx]), yt[idx]).backward()
            opt.step()
    _sync(device)
    return (time.perf_counter() - t0) / epochs


def dataloader_loop(X, y, epochs, batch_size, width, depth, seed, device="cpu"):
    """The textbook loop: a TensorDataset on the host, a shuffling DataLoader, a copy per batch."""
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    from guiapp.core.models.network import build_mlp

    torch.manual_seed(seed)
    model = build_mlp(X.shape[1], 2, width, depth, 0.1).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    loader = DataLoader(
        TensorDataset(torch.as_tensor(X), torch.as_tensor(y)),
        batch_size=batch_size,
        shuffle=True,
        pin_memory=device == "cuda",
    )
    loss_fn = torch.nn.CrossEntropyLoss()
    _sync(device)
    t0 = time.perf_counter()
    for _ in range(epochs):
        for xb, yb in loader:
            xb, yb = xb.to(device, non_blocking=True), yb.to(device, non_blocking=True)
            opt.zero_grad()
            loss_fn(model(xb), yb).backward()
            opt.step()
    _sync(device)
    return (time.perf_counter() - t0) / epochs


def make_study(seed, n_samples, n_genes, width, depth):
    from guiapp.core.data import attach as data
    from guiapp.core.data import demo
    from guiapp.core.models import recommend as architecture
    from guiapp.core.split import draw as split
    from guiapp.core.study.model import Study

    study = Study()
    study.save(tempfile.mkdtemp(prefix="tenfold-bench-"))
    d = demo.simulated_expression(n_samples=n_samples, n_genes=n_genes, seed=seed)
    data.attach_data(
        study, data.AttachRequest(demo.write_demo(d, study.path("data")), label=d.label, batch=d.batch, sensitive=False)
    )
    split.split_study(study)
    architecture.set_architecture(study, width=width, depth=depth, dropout=0.1)
    return study


def tenfold_loop(study, epochs, batch_size, seed, device):
    """Seconds per epoch of ``train_network`` (its set-up included), from scratch."""
    from guiapp.core.models import train

    t = study.train
    t.max_epochs, t.batch_size, t.patience, t.seed, t.device = epochs, batch_size, epochs + 1, seed, device
    t.status, t.history = "not started", []
    t0 = time.perf_counter()
    train.train_network(study, resume=False)
    _sync(device)
    return (time.perf_counter() - t0) / epochs


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--samples", type=int, default=5000)
    p.add_argument("--genes", type=int, default=500)
    p.add_argument("--width", type=int, default=256)
    p.add_argument("--depth", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda", "mps"))
    p.add_argument("--threads", type=int, default=1, help="torch threads for both loops (0: torch's default)")
    p.add_argument("--dataloader", action="store_true", help="also time a standard DataLoader loop")
    a = p.parse_args()

    import torch

    if a.threads:
        torch.set_num_threads(a.threads)
    from guiapp.core.split.draw import train_tune_arrays

    study = make_study(0, a.samples, a.genes, a.width, a.depth)
    X, y, _, _ = train_tune_arrays(study)
    n = len(X)
    # Warm-up: the first optimizer step imports torch._dynamo (and a GPU its kernels); neither side pays it.
    tenfold_loop(study, 1, a.batch_size, 0, a.device)
    bare_loop(X, y, 1, a.batch_size, a.width, a.depth, 0, a.device)
    bare_loop(X, y, 1, a.batch_size, a.width, a.depth, 0, a.device, fused=True)
    loops = {
        "tenfold": lambda: tenfold_loop(study, a.epochs, a.batch_size, 0, a.device),
        "bare": lambda: bare_loop(X, y, a.epochs, a.batch_size, a.width, a.depth, 0, a.device),
        "bare_fused": lambda: bare_loop(X, y, a.epochs, a.batch_size, a.width, a.depth, 0, a.device, fused=True),
    }
    if a.dataloader:
        loops["dataloader"] = lambda: dataloader_loop(X, y, a.epochs, a.batch_size, a.width, a.depth, 0, a.device)
    runs: dict[str, list] = {k: [] for k in loops}
    order = random.Random(0)
    for _ in range(a.repeats):
        # Interleaved in a shuffled order, so a noisy neighbour hits every loop alike; the ratio
        # is taken within each repeat, where the loops ran seconds apart.
        for name in order.sample(list(loops), len(loops)):
            runs[name].append(loops[name]())
    sps = {k: n / statistics.median(v) for k, v in runs.items()}
    per_run = {k: [round(n / s, 1) for s in v] for k, v in runs.items()}

    def ratio(ours: str, theirs: str) -> dict:
        each = sorted(
            t / o for o, t in zip(runs[ours], runs[theirs], strict=False)
        )  # samples/s ratio = time ratio inverted
        return {"median": round(statistics.median(each), 3), "min": round(each[0], 3), "max": round(each[-1], 3)}

    result = {
        "benchmark": "training_loop",
        "device": a.device,
        "torch_threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
        "machine": platform.processor() or platform.machine(),
        "torch": torch.__version__,
        "load_average_1m": round(os.getloadavg()[0], 2),
        "train_samples": n,
        "features": int(X.shape[1]),
        "model": f"MLP {a.depth}x{a.width}",
        "batch_size": a.batch_size,
        "epochs": a.epochs,
        "repeats": a.repeats,
        "samples_per_second": {k: round(v, 1) for k, v in sps.items()},
        "samples_per_second_each_run": per_run,
        # Tenfold's samples/s over the bare loop's, per repeat: median, min and max
        "ratio_tenfold_vs_bare": ratio("tenfold", "bare"),
        "ratio_tenfold_vs_bare_same_optimizer": ratio("tenfold", "bare_fused"),
        "target_ratio": 0.95,
    }
    if a.dataloader:
        result["ratio_device_resident_vs_dataloader"] = ratio("bare", "dataloader")
        result["ratio_tenfold_vs_dataloader"] = ratio("tenfold", "dataloader")
    shutil.rmtree(study.folder, ignore_errors=True)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
