"""Exact copies and near-copies of samples, found with bounded work (Tips 4 and 7).

The profile counts them (:mod:`guiapp.core.data.profile`), the batch step shows them
(:mod:`guiapp.core.batch.effects`) and the split keeps them on one side
(:mod:`guiapp.core.split.draw`). Near-copies are samples whose standardised features differ by
less than :data:`NEAR_DUPLICATE_RMS` standard deviations on average.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from guiapp.core.study.task_context import NO_CONTEXT, TaskContext

NEAR_DUPLICATE_RMS = 0.1  # standard deviations per feature, root-mean-square
DUPLICATE_MAX_QUERIES = 20_000  # near-copies are searched around at most this many samples
DUPLICATE_CANDIDATES = 10  # nearest neighbours checked per sample
CANDIDATE_COMPONENTS = 5  # candidates are neighbours in the first few PCs, then checked in full
MAX_PAIRS_KEPT = 1_000


@dataclass
class DuplicateReport:
    exact_pairs: list = field(default_factory=list)  # [(i, j)], i < j, row order
    near_pairs: list = field(default_factory=list)
    threshold: float = NEAR_DUPLICATE_RMS
    searched: int = 0  # samples around which near-copies were looked for

    def pairs(self) -> list:
        return ([[i, j, "exact"] for i, j in self.exact_pairs] + [[i, j, "near"] for i, j in self.near_pairs])[
            :MAX_PAIRS_KEPT
        ]


def standardise(X: np.ndarray) -> np.ndarray:
    """Median-imputed features scaled to mean 0 and standard deviation 1 (constant ones to 0)."""
    X = np.asarray(X, dtype=np.float32)
    if np.isnan(X).any():
        fill = np.nan_to_num(np.nanmedian(X, axis=0))
        X = np.where(np.isnan(X), fill, X)
    centred = X - X.mean(axis=0, dtype=np.float64).astype(np.float32)
    std = np.sqrt(np.einsum("ij,ij->j", centred, centred, dtype=np.float64) / max(len(X), 1))
    centred /= np.where(std > 0, std, 1.0).astype(np.float32)
    return centred


def find_duplicates(
    X: np.ndarray,
    *,
    embedding: np.ndarray | None = None,
    standardised: np.ndarray | None = None,
    threshold: float = NEAR_DUPLICATE_RMS,
    max_queries: int = DUPLICATE_MAX_QUERIES,
    near: bool = True,
    seed: int = 0,
    ctx: TaskContext = NO_CONTEXT,
) -> DuplicateReport:
    """Exact copies (identical feature rows) and near-copies of samples, with bounded work.

    Near-copies are pairs whose standardised features differ by at most ``threshold``
    standard deviations (root mean square). ``embedding`` is an orthogonal projection of the
    standardised features (the PCs): a projection never lengthens a distance, so a near-copy
    is also near there; each searched sample's 10 nearest neighbours in the first five PCs
    are the candidates, checked on every feature. At most ``max_queries`` samples are
    searched around (``searched`` says how many).
    """
    from sklearn.neighbors import NearestNeighbors  # sklearn: imported lazily, so the window opens fast

    X = np.asarray(X, dtype=np.float32)
    n, p = X.shape
    # Exact copies: rows with the same bytes (missing values compare equal), via a hash per row.
    same_bytes = np.ascontiguousarray(np.nan_to_num(X, nan=np.inf))
    keys = np.fromiter((hash(r.tobytes()) for r in same_bytes), dtype=np.int64, count=n)
    order = np.argsort(keys, kind="stable")  # copies side by side, each group in row order
    same = keys[order][1:] == keys[order][:-1]
    exact = [
        (int(a), int(b))
        for a, b in zip(order[:-1][same], order[1:][same], strict=False)
        if np.array_equal(same_bytes[a], same_bytes[b])
    ]
    exact_rows = {i for pair in exact for i in pair}
    if not near:
        return DuplicateReport(exact_pairs=exact, threshold=threshold)
    ctx.check()
    Z = standardise(X) if standardised is None else standardised
    if embedding is None:
        from sklearn.decomposition import PCA  # sklearn: imported lazily, only when this runs

        embedding = PCA(n_components=min(10, p, n - 1), random_state=seed).fit_transform(Z) if n > 2 else Z
    queries = (
        np.arange(n) if n <= max_queries else np.sort(np.random.default_rng(seed).choice(n, max_queries, replace=False))
    )
    k = min(DUPLICATE_CANDIDATES + 1, n)
    radius = threshold * np.sqrt(p)
    space = np.asarray(embedding)[:, :CANDIDATE_COMPONENTS]  # few dimensions: a fast k-d tree
    dist, idx = NearestNeighbors(n_neighbors=k).fit(space).kneighbors(space[queries])
    q, c = np.nonzero((dist <= radius) & (idx != queries[:, None]))
    a, b = queries[q], idx[q, c]
    pairs = np.unique(np.sort(np.stack([a, b], axis=1), axis=1), axis=0) if len(a) else np.empty((0, 2), int)
    near_pairs: list[tuple[int, int]] = []
    exact_set = set(exact)
    for start in range(0, len(pairs), 4096):
        ctx.check()
        chunk = pairs[start : start + 4096]
        rms = np.sqrt(np.mean((Z[chunk[:, 0]] - Z[chunk[:, 1]]) ** 2, axis=1))
        near_pairs += [
            (int(i), int(j))
            for (i, j), r in zip(chunk, rms, strict=False)
            if r <= threshold
            and (int(i), int(j)) not in exact_set
            and not (i in exact_rows and j in exact_rows and np.array_equal(same_bytes[i], same_bytes[j]))
        ]
    return DuplicateReport(exact_pairs=exact, near_pairs=near_pairs, threshold=threshold, searched=len(queries))
