"""Benchmark: Tenfold's training loop against a bare torch loop on the same data and model.

Run: .venv/bin/python tests/benchmarks/bench_training.py [--epochs 30]
Prints seconds per epoch for both and their ratio (machines are noisy: read the ratio).
Tenfold's loop does more per epoch — a tune-set score and a checkpoint written atomically —
so a ratio near 1 means that bookkeeping is cheap.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np


def bare_loop(X, y, epochs, batch_size, width, depth, seed):
    import torch

    from guiapp.core.network import build_mlp

    torch.manual_seed(seed)
    model = build_mlp(X.shape[1], 2, width, depth, 0.1)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    Xt, yt = torch.as_tensor(X), torch.as_tensor(y)
    loss_fn = torch.nn.CrossEntropyLoss()
    t0 = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(len(Xt))
        for i in range(0, len(Xt), batch_size):
            idx = order[i:i + batch_size]
            opt.zero_grad()
            loss_fn(model(Xt[idx]), yt[idx]).backward()
            opt.step()
    return (time.perf_counter() - t0) / epochs


def tenfold_loop(epochs, batch_size, width, depth, seed, n_samples, n_genes):
    from guiapp.core import architecture, data, demo, split, train
    from guiapp.core.study import Study

    folder = tempfile.mkdtemp()
    study = Study()
    study.save(folder)
    d = demo.simulated_expression(n_samples=n_samples, n_genes=n_genes, seed=seed)
    data.attach_data(study, demo.write_demo(d, study.path("data")), label=d.label, batch=d.batch, sensitive=False)
    split.split_study(study)
    architecture.set_architecture(study, width=width, depth=depth, dropout=0.1)
    t = study.train
    t.max_epochs, t.batch_size, t.patience, t.seed, t.device = epochs, batch_size, epochs + 1, seed, "cpu"
    t0 = time.perf_counter()
    train.train_network(study)
    seconds = (time.perf_counter() - t0) / epochs
    from guiapp.core.split import train_tune_arrays

    X, y, _, _ = train_tune_arrays(study)
    return seconds, X, y


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--samples", type=int, default=5000)
    p.add_argument("--genes", type=int, default=500)
    p.add_argument("--width", type=int, default=256)
    p.add_argument("--depth", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--repeats", type=int, default=3)
    a = p.parse_args()
    # Warm-up: the first optimizer step imports torch._dynamo; neither side should pay it.
    _, X, y = tenfold_loop(1, a.batch_size, a.width, a.depth, 0, a.samples, a.genes)
    bare_loop(X, y, 1, a.batch_size, a.width, a.depth, 0)
    ours_runs, bare_runs = [], []
    for _ in range(a.repeats):  # interleaved, so a noisy neighbour hits both alike
        ours_runs.append(tenfold_loop(a.epochs, a.batch_size, a.width, a.depth, 0, a.samples, a.genes)[0])
        bare_runs.append(bare_loop(X, y, a.epochs, a.batch_size, a.width, a.depth, 0))
    ours, bare = float(np.median(ours_runs)), float(np.median(bare_runs))
    print(f"training samples {len(X)}, features {X.shape[1]}, MLP {a.depth}×{a.width}, batch {a.batch_size}")
    print(f"bare torch loop: {bare * 1000:.1f} ms/epoch")
    print(f"Tenfold loop:    {ours * 1000:.1f} ms/epoch (tune score and a checkpoint each epoch)")
    print(f"ratio Tenfold / bare: {ours / bare:.2f}")


if __name__ == "__main__":
    main()
