"""Neighbourhood batch metrics: LISI (Korsunsky et al. 2019) and kBET (Büttner et al. 2019).

Both look at each sample's nearest neighbours (scikit-learn's NearestNeighbors) in an
embedding. LISI weighs 90 neighbours with a Gaussian kernel whose bandwidth gives
perplexity 30 and returns the inverse Simpson index of the batches (or labels) under those
weights; kBET tests, on a sample of neighbourhoods, whether their batch make-up matches the
whole data set. :mod:`guiapp.core.batch_metrics` wraps them with ranges and traffic lights.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

PERPLEXITY = 30
LISI_NEIGHBORS = 3 * PERPLEXITY  # 90, as in Korsunsky et al. 2019
KBET_NEIGHBORS = 50
KBET_ALPHA = 0.05
KBET_TESTS = 1_000  # neighbourhoods tested


def _codes(values) -> np.ndarray:
    return np.unique(np.asarray(values).astype(str), return_inverse=True)[1].ravel()


def neighbours(X: np.ndarray, k: int, queries: Optional[np.ndarray] = None):
    """The ``k`` nearest other points of each query point: ``(distances, indices)``."""
    from sklearn.neighbors import NearestNeighbors

    n = len(X)
    k = min(k, n - 1)
    Q = X if queries is None else X[queries]
    own = np.arange(n) if queries is None else np.asarray(queries)
    dist, idx = NearestNeighbors(n_neighbors=k + 1).fit(X).kneighbors(Q)
    # Drop the point itself; with exact copies it need not come first.
    self_mask = idx == own[:, None]
    self_mask[~self_mask.any(axis=1), -1] = True
    keep = ~self_mask
    return dist[keep].reshape(len(Q), k), idx[keep].reshape(len(Q), k)


def perplexity_weights(sq_dist: np.ndarray, perplexity: float, *, tol: float = 1e-5,
                       max_iter: int = 60) -> np.ndarray:
    """Row-normalised Gaussian kernel weights whose entropy is ``log(perplexity)`` in every row.

    The bandwidth of each row is found by bisection, all rows at once.
    """
    D = sq_dist - sq_dist.min(axis=1, keepdims=True)
    n = len(D)
    positive = np.where(D > 0, D, np.nan)
    scale = np.nanmedian(positive, axis=1) if np.isfinite(positive).any() else np.ones(n)
    beta = 1.0 / np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
    lo, hi = np.zeros(n), np.full(n, np.inf)
    target = np.log(perplexity)
    active = np.ones(n, dtype=bool)
    for _ in range(max_iter):
        P = np.exp(-D * beta[:, None])
        total = P.sum(axis=1)
        H = np.log(total) + beta * (D * P).sum(axis=1) / total
        diff = H - target
        active &= np.abs(diff) > tol
        if not active.any():
            break
        up = active & (diff > 0)  # entropy too high: narrow the kernel
        down = active & (diff <= 0)
        lo[up] = beta[up]
        hi[down] = beta[down]
        beta[up] = np.where(np.isinf(hi[up]), beta[up] * 2.0, (beta[up] + hi[up]) / 2.0)
        beta[down] = (beta[down] + lo[down]) / 2.0
    P = np.exp(-D * beta[:, None])
    return P / P.sum(axis=1, keepdims=True)


def lisi(X: np.ndarray, values, *, perplexity: float = PERPLEXITY,
         n_neighbors: int = LISI_NEIGHBORS, knn=None) -> np.ndarray:
    """Local inverse Simpson's index of ``values`` around every point (1 … number of values)."""
    codes = _codes(values)
    n, k = len(codes), int(codes.max()) + 1
    dist, idx = knn if knn is not None else neighbours(X, n_neighbors)
    perplexity = min(perplexity, max(dist.shape[1] / 3.0, 1.0))
    P = perplexity_weights(dist ** 2, perplexity)
    rows = np.repeat(np.arange(n), idx.shape[1])
    q = np.bincount(rows * k + codes[idx].ravel(), weights=P.ravel(), minlength=n * k).reshape(n, k)
    return 1.0 / np.einsum("ij,ij->i", q, q)


def inverse_simpson(values) -> float:
    """The effective number of groups: the LISI a perfectly mixed neighbourhood would have."""
    _, counts = np.unique(np.asarray(values).astype(str), return_counts=True)
    p = counts / counts.sum()
    return float(1.0 / np.sum(p ** 2))


def kbet_rejection_rate(X: np.ndarray, batches, *, n_neighbors: int = KBET_NEIGHBORS,
                        n_tests: int = KBET_TESTS, alpha: float = KBET_ALPHA,
                        seed: int = 0) -> float:
    """Share of tested neighbourhoods whose batch make-up differs from the whole (Büttner 2019).

    Each tested point's ``n_neighbors`` nearest neighbours are counted by batch and compared
    with the global batch shares by a chi-square test with B − 1 degrees of freedom.
    """
    from scipy.stats import chi2

    codes = _codes(batches)
    n, B = len(codes), int(codes.max()) + 1
    if B < 2:
        return 0.0
    queries = np.arange(n) if n <= n_tests else np.sort(
        np.random.default_rng(seed).choice(n, n_tests, replace=False))
    _, idx = neighbours(X, n_neighbors, queries)
    k = idx.shape[1]
    rows = np.repeat(np.arange(len(queries)), k)
    observed = np.bincount(rows * B + codes[idx].ravel(), minlength=len(queries) * B).reshape(-1, B)
    expected = k * np.bincount(codes, minlength=B) / n
    stat = ((observed - expected) ** 2 / expected).sum(axis=1)
    return float(np.mean(chi2.sf(stat, B - 1) < alpha))
