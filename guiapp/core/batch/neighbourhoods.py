"""Neighbourhood batch metrics: LISI (Korsunsky et al. 2019) and kBET (Büttner et al. 2019).

Both look at each sample's nearest neighbours (scikit-learn's NearestNeighbors) in an
embedding. LISI weighs 90 neighbours by exp(−β·distance), β chosen so that the weights have
perplexity 30 (the kernel of the reference implementations, harmonypy and scib-metrics), and
returns the inverse Simpson index of the batches (or labels) under those weights; kBET tests, on a sample of neighbourhoods, whether their batch make-up matches the
whole data set. :mod:`guiapp.core.batch.metrics` wraps them with ranges and traffic lights.
"""

from __future__ import annotations

import numpy as np

PERPLEXITY = 30
LISI_NEIGHBORS = 3 * PERPLEXITY  # 90, as in Korsunsky et al. 2019
KBET_NEIGHBORS = 50
KBET_ALPHA = 0.05
KBET_TESTS = 1_000  # neighbourhoods tested


def category_codes(values) -> np.ndarray:
    """Each value's category as an integer code (categories in sorted order, as text)."""
    return np.unique(np.asarray(values).astype(str), return_inverse=True)[1].ravel()


def neighbours(X: np.ndarray, k: int, queries: np.ndarray | None = None):
    """The ``k`` nearest other points of each query point: ``(distances, indices)``."""
    from sklearn.neighbors import NearestNeighbors  # sklearn: imported lazily so the window opens fast

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


def perplexity_weights(dist: np.ndarray, perplexity: float, *, tol: float = 1e-5, max_iter: int = 50) -> np.ndarray:
    """Row-normalised kernel weights exp(−β_i·d_ij) whose entropy is ``log(perplexity)``.

    ``dist`` holds each point's distances to its neighbours, plain (not squared), as the
    reference LISI implementations weigh them (Korsunsky et al.'s lisi, harmonypy,
    scib-metrics). β_i is found by their bisection: from 1, doubled or halved until the
    entropy is bracketed, then halved intervals, at most 50 tries, until the entropy is
    within ``tol`` of log(perplexity); all rows at once. Distances are taken relative to each
    row's nearest, which changes neither the weights nor the entropy but keeps exp() from
    underflowing on large distances.
    """
    D = dist - dist.min(axis=1, keepdims=True)
    n = len(D)
    target = np.log(perplexity)
    beta = np.ones(n)
    lo, hi = np.full(n, -np.inf), np.full(n, np.inf)

    def entropy(beta):
        P = np.exp(-D * beta[:, None])
        total = P.sum(axis=1)
        return np.log(total) + beta * (D * P).sum(axis=1) / total, P / total[:, None]

    H, P = entropy(beta)
    for _ in range(max_iter - 1):
        diff = H - target
        active = np.abs(diff) >= tol
        if not active.any():
            break
        up = active & (diff > 0)  # entropy too high: narrow the kernel
        down = active & ~up
        lo[up] = beta[up]
        beta[up] = np.where(np.isinf(hi[up]), beta[up] * 2.0, (beta[up] + hi[up]) / 2.0)
        hi[down] = beta[down]
        beta[down] = np.where(np.isinf(lo[down]), beta[down] / 2.0, (beta[down] + lo[down]) / 2.0)
        H_new, P_new = entropy(beta)
        H, P = np.where(active, H_new, H), np.where(active[:, None], P_new, P)
    return P


def lisi(
    X: np.ndarray, values, *, perplexity: float = PERPLEXITY, n_neighbors: int = LISI_NEIGHBORS, knn=None
) -> np.ndarray:
    """Local inverse Simpson's index of ``values`` around every point (1 … number of values).

    1 / Σ_c (Σ_{j in c} p_ij)² over the ``n_neighbors`` nearest other points j, with the
    weights p of :func:`perplexity_weights` on their plain distances. With fewer neighbours
    than 3 × perplexity the perplexity drops to a third of them, as in scib-metrics.
    """
    codes = category_codes(values)
    n, k = len(codes), int(codes.max()) + 1
    dist, idx = knn if knn is not None else neighbours(X, n_neighbors)
    perplexity = min(perplexity, max(np.floor(dist.shape[1] / 3.0), 1.0))
    P = perplexity_weights(dist, perplexity)
    rows = np.repeat(np.arange(n), idx.shape[1])
    q = np.bincount(rows * k + codes[idx].ravel(), weights=P.ravel(), minlength=n * k).reshape(n, k)
    return 1.0 / np.einsum("ij,ij->i", q, q)


def inverse_simpson(values) -> float:
    """The effective number of groups: the LISI a perfectly mixed neighbourhood would have."""
    _, counts = np.unique(np.asarray(values).astype(str), return_counts=True)
    p = counts / counts.sum()
    return float(1.0 / np.sum(p**2))


def kbet_rejection_rate(
    X: np.ndarray,
    batches,
    *,
    n_neighbors: int = KBET_NEIGHBORS,
    n_tests: int = KBET_TESTS,
    alpha: float = KBET_ALPHA,
    seed: int = 0,
) -> float:
    """Share of tested neighbourhoods whose batch make-up differs from the whole (Büttner 2019).

    Each tested point's ``n_neighbors`` nearest neighbours are counted by batch and compared
    with the global batch shares by a chi-square test with B − 1 degrees of freedom.
    """
    from scipy.stats import chi2  # scipy: imported lazily so the window opens fast

    codes = category_codes(batches)
    n, B = len(codes), int(codes.max()) + 1
    if B < 2:
        return 0.0
    queries = np.arange(n) if n <= n_tests else np.sort(np.random.default_rng(seed).choice(n, n_tests, replace=False))
    _, idx = neighbours(X, n_neighbors, queries)
    k = idx.shape[1]
    rows = np.repeat(np.arange(len(queries)), k)
    observed = np.bincount(rows * B + codes[idx].ravel(), minlength=len(queries) * B).reshape(-1, B)
    expected = k * np.bincount(codes, minlength=B) / n
    stat = ((observed - expected) ** 2 / expected).sum(axis=1)
    return float(np.mean(chi2.sf(stat, B - 1) < alpha))
