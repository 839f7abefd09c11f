"""Batch silhouettes (Tips 4 and 7): how far batches stand apart in an embedding.

- :func:`silhouette_samples`: every point's silhouette width, as scikit-learn's, without a
  Python loop over points;
- :func:`plain_batch_silhouette`: the mean batch silhouette (0 = mixed, 1 = apart);
- :func:`scib_batch_asw`: scib's batch ASW, 1 − |s| within each label (1 = mixed).

:mod:`guiapp.core.batch.metrics` wraps them with ranges and traffic lights.
"""

from __future__ import annotations

import numpy as np

from guiapp.core.batch.neighbourhoods import category_codes
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext


def silhouette_samples(X: np.ndarray, labels, *, chunk: int = 512, ctx: TaskContext = NO_CONTEXT) -> np.ndarray:
    """Silhouette width of every point, as ``sklearn.metrics.silhouette_samples`` (Euclidean).

    Squared distances come in row blocks as one matrix product of augmented rows
    ``[x, |x|², 1] · [-2y, 1, |y|²]``, in float32 on centred data (within 1e-6 of
    scikit-learn's float64), and each block's per-cluster distance sums are one more product
    with the cluster indicator matrix: no Python loop over points. Points alone in their
    cluster get 0, as in scikit-learn.
    """
    X = np.asarray(X, dtype=np.float64)
    X = X - X.mean(axis=0)
    codes = category_codes(labels)
    n = len(codes)
    k = int(codes.max()) + 1 if n else 0
    if k < 2 or k >= n:
        raise ValueError(f"silhouette needs 2 to n - 1 clusters, got {k} for {n} points")
    counts = np.bincount(codes, minlength=k).astype(np.float64)
    sq = np.einsum("ij,ij->i", X, X)
    ones = np.ones((n, 1))
    left = np.hstack([X, sq[:, None], ones]).astype(np.float32)
    right = np.ascontiguousarray(np.hstack([-2.0 * X, ones, sq[:, None]]).astype(np.float32).T)
    indicator = np.zeros((n, k), dtype=np.float32)
    indicator[np.arange(n), codes] = 1.0
    sums = np.empty((n, k))
    for start in range(0, n, chunk):
        ctx.check()
        stop = min(start + chunk, n)
        d = left[start:stop] @ right
        np.maximum(d, 0.0, out=d)
        np.sqrt(d, out=d)
        d[np.arange(stop - start), np.arange(start, stop)] = 0.0
        sums[start:stop] = d @ indicator
    own = counts[codes]
    rows = np.arange(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = sums[rows, codes] / (own - 1.0)
        means = sums / counts
    means[rows, codes] = np.inf
    b = means.min(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = (b - a) / np.maximum(a, b)
    s[(own <= 1) | ~np.isfinite(s)] = 0.0
    return s


def plain_batch_silhouette(X: np.ndarray, batches, **kw) -> float:
    """Mean batch silhouette: 0 = mixed, 1 = batches fully apart, below 0 = interleaved."""
    codes = category_codes(batches)
    if len(np.unique(codes)) < 2:
        return 0.0
    return float(silhouette_samples(X, codes, **kw).mean())


def scib_batch_asw(X: np.ndarray, batches, labels, **kw) -> float | None:
    """scib's batch ASW: per label, the mean of 1 − |s| of the batch silhouette, averaged.

    Labels whose samples come from a single batch are skipped (there is nothing to mix);
    None when no label has two batches.
    """
    bcodes = category_codes(batches)
    lcodes = category_codes(labels)
    per_label = []
    for lab in np.unique(lcodes):
        rows = np.flatnonzero(lcodes == lab)
        present = np.unique(bcodes[rows])
        if len(present) < 2 or len(present) >= len(rows):
            continue
        s = silhouette_samples(X[rows], bcodes[rows], **kw)
        per_label.append(float(np.mean(1.0 - np.abs(s))))
    return float(np.mean(per_label)) if per_label else None
