"""Data too large for memory: feature rows read on demand from a file, in chunks or batches.

An image folder above the streaming threshold is decoded once into a resized cache on disk
(:mod:`guiapp.core.data.image_stream`), a large AnnData file is read backed
(:mod:`guiapp.core.data.anndata_io`). Both are a *row source*: an object with ``shape`` and
``read(rows)`` that gives those rows as float32. :class:`StreamedRows` is the features
``X`` the later steps receive instead of a matrix: indexing it by rows reads only those
rows; the profile, the batch PCA and the network's statistics go through it in chunks, and
training and prediction feed batches through a torch ``DataLoader``. Memory is bounded by a
chunk or a few batches, not by the data.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import numpy as np

from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext

# Above this many bytes of float32 features, images and AnnData matrices are streamed, not
# held as a table. TENFOLD_STREAM_BYTES overrides it (for a small machine, or for tests).
# Read whole, a matrix costs two to three copies while the table is built: 256 MiB of features
# (50,000 cells × 1,300 genes, or 5,500 RGB images of 64 × 64) is where streaming starts.
STREAM_BYTES = 256 << 20
CHUNK_BYTES = 16 << 20  # one chunk of rows read at a time by the profile, the PCA and the statistics
# Steps that still need a matrix (the baselines, a median, near-constant features) take a random
# sample of at most this many rows and this many bytes.
SAMPLE_ROWS = 5000
SAMPLE_BYTES = 32 << 20
# A matrix made from streamed rows beyond this size is refused: the step would not fit in memory.
MATERIALISE_BYTES = 2 << 30


def stream_bytes() -> int:
    """The streaming threshold in bytes (the setting, else :data:`STREAM_BYTES`)."""
    value = os.environ.get("TENFOLD_STREAM_BYTES", "")
    try:
        return int(float(value)) if value else STREAM_BYTES
    except ValueError:
        raise TenfoldError(f"TENFOLD_STREAM_BYTES must be a number of bytes, not {value!r}.") from None


def should_stream(n_rows: int, n_features: int) -> bool:
    """Whether float32 features of this shape are above the streaming threshold."""
    return 4 * int(n_rows) * int(n_features) > stream_bytes()


def chunk_rows(n_features: int) -> int:
    return max(64, CHUNK_BYTES // max(4 * int(n_features), 1))


def sample_rows(n_features: int) -> int:
    """How many rows a bounded sample of float32 rows of this width holds."""
    return max(200, min(SAMPLE_ROWS, SAMPLE_BYTES // max(4 * int(n_features), 1)))


def study_cores() -> int:
    """The cores this process may use (a cluster job's allocation, not the node's)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS and Windows
        return max(1, os.cpu_count() or 1)


def loader_workers() -> int:
    """DataLoader workers: the study's cores less one for the training process (0 on one core)."""
    return max(0, min(study_cores() - 1, 8))


class StreamedRows:
    """Rows ``rows`` of a row source, looking like a float32 matrix; reads happen on indexing."""

    ndim = 2
    dtype = np.dtype(np.float32)

    def __init__(self, source, rows: np.ndarray | None = None) -> None:
        self.source = source
        self.rows = np.arange(source.shape[0]) if rows is None else np.asarray(rows, dtype=np.int64)

    @property
    def shape(self) -> tuple:
        return (len(self.rows), int(self.source.shape[1]))

    @property
    def size(self) -> int:
        return self.shape[0] * self.shape[1]

    @property
    def nbytes(self) -> int:
        return 4 * self.size

    def __len__(self) -> int:
        return len(self.rows)

    def subset(self, idx) -> StreamedRows:
        """These rows (positions in this view), still unread."""
        idx = np.asarray(idx)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
        return StreamedRows(self.source, self.rows[idx])

    def read(self, idx=None) -> np.ndarray:
        """Rows ``idx`` (positions in this view; all when None) as a float32 matrix."""
        rows = self.rows if idx is None else self.rows[np.asarray(idx)]
        return self.source.read(np.asarray(rows, dtype=np.int64).reshape(-1))

    def __getitem__(self, key):
        if isinstance(key, tuple):
            rows, cols = key
            return self[rows][:, cols]
        if isinstance(key, (int, np.integer)):
            return self.read([int(key)])[0]
        if isinstance(key, slice):
            return self.subset(np.arange(len(self.rows))[key])
        return self.subset(key)

    def chunks(self, size: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
        """(start, float32 rows) of the whole view, a chunk at a time, in order."""
        size = size or chunk_rows(self.shape[1])
        for start in range(0, len(self.rows), size):
            yield start, self.read(np.arange(start, min(start + size, len(self.rows))))

    def sample(self, n: int | None = None, seed: int = 0) -> np.ndarray:
        """Positions of at most ``n`` rows (:func:`sample_rows` by default) chosen at random, in order."""
        n = sample_rows(self.shape[1]) if n is None else n
        if len(self.rows) <= n:
            return np.arange(len(self.rows))
        return np.sort(np.random.default_rng(seed).choice(len(self.rows), n, replace=False))

    def __array__(self, dtype=None, copy=None):
        if self.nbytes > MATERIALISE_BYTES:
            raise TenfoldError(
                f"This step needs the features of {len(self):,} samples in memory ({self.nbytes / 1e9:.1f} GB), "
                "more than Tenfold will hold for a step that does not stream yet. Use a smaller image size, "
                "or keep fewer samples or features."
            )
        out = self.read()
        return out if dtype is None else out.astype(dtype, copy=False)


def is_streamed(X) -> bool:
    return isinstance(X, StreamedRows)


def bounded(X, y=None, *, n: int | None = None, seed: int = 0):
    """``X`` (and ``y``) as arrays; streamed rows become a random sample (see :meth:`StreamedRows.sample`)."""
    if not is_streamed(X):
        return X if y is None else (X, y)
    pick = X.sample(n, seed)
    Xs = X.read(pick)
    return Xs if y is None else (Xs, np.asarray(y)[pick])


def training_statistics(X_train: np.ndarray):
    """Medians, means and scales of the training split only (never tune or test rows)."""
    missing = np.isnan(X_train)
    # np.nanmedian goes column by column in Python (0.1 s on 3000 × 500); without NaNs, the median is the same.
    fill = np.nanmedian(X_train, axis=0) if missing.any() else np.median(X_train, axis=0)
    fill = np.where(np.isnan(fill), 0.0, fill)
    filled = np.where(missing, fill, X_train)
    center = filled.mean(axis=0)
    scale = filled.std(axis=0)
    scale = np.where(scale < 1e-12, 1.0, scale)
    return center.astype(np.float32), scale.astype(np.float32), fill.astype(np.float32)


def column_statistics(X: StreamedRows, *, sample_seed: int = 0, ctx: TaskContext = NO_CONTEXT):
    """The network's preprocessing statistics (see :func:`training_statistics`), in chunks.

    Means and scales are exact (float64 sums over every row); the median that fills missing
    values comes from a bounded sample of rows (:func:`sample_rows`; every row when fewer).
    """
    pick = X.sample(seed=sample_seed)
    _, _, fill = training_statistics(X.read(pick))
    p = X.shape[1]
    total, squares, n = np.zeros(p), np.zeros(p), 0
    for _, chunk in X.chunks():
        ctx.check()
        chunk = np.where(np.isnan(chunk), fill, chunk)
        total += chunk.sum(axis=0, dtype=np.float64)
        n += len(chunk)
    center = total / max(n, 1)
    for _, chunk in X.chunks():
        ctx.check()
        chunk = np.where(np.isnan(chunk), fill, chunk) - center.astype(np.float32)
        squares += np.einsum("ij,ij->j", chunk, chunk, dtype=np.float64)
    scale = np.sqrt(squares / max(n, 1))
    scale = np.where(scale < 1e-12, 1.0, scale)
    return center.astype(np.float32), scale.astype(np.float32), fill.astype(np.float32)


def streamed_pca(X: StreamedRows, n_components: int, *, n_iter: int = 4, seed: int = 0, ctx: TaskContext = NO_CONTEXT):
    """Principal components of the standardised rows (as ``confounding.standardise``), in chunks.

    A randomized SVD (Halko, Martinsson and Tropp 2011, as scikit-learn's randomized PCA) whose
    every product with the data is a pass over chunks of rows: the memory is one chunk, an
    n × (k + 10) block and a features × (k + 10) block. ``n_iter`` power iterations sharpen the
    leading components. Returns ``(pcs, explained_variance_ratio)``.
    """
    center, scale, fill = column_statistics(X, ctx=ctx)
    n, p = X.shape
    k = max(2, min(n_components, p, n - 1))
    width = min(k + 10, p, n)
    rng = np.random.default_rng(seed)

    def standardised(chunk: np.ndarray) -> np.ndarray:
        return ((np.where(np.isnan(chunk), fill, chunk) - center) / scale).astype(np.float32)

    squares = [0.0]  # the sum of squares of the standardised data: n × its total variance

    def times(M: np.ndarray, first: bool = False) -> np.ndarray:  # A @ M, n × width
        out = np.empty((n, M.shape[1]), dtype=np.float64)
        for start, chunk in X.chunks():
            ctx.check()
            Z = standardised(chunk)
            out[start : start + len(chunk)] = Z @ M.astype(np.float32)
            if first:
                squares[0] += float(np.einsum("ij,ij->", Z, Z, dtype=np.float64))
        return out

    def transposed_times(Q: np.ndarray) -> np.ndarray:  # A.T @ Q, p × width
        out = np.zeros((p, Q.shape[1]), dtype=np.float64)
        for start, chunk in X.chunks():
            ctx.check()
            out += standardised(chunk).T.astype(np.float64) @ Q[start : start + len(chunk)]
        return out

    Q, _ = np.linalg.qr(times(rng.normal(size=(p, width)), first=True))
    for _ in range(n_iter):
        Z, _ = np.linalg.qr(transposed_times(Q))
        Q, _ = np.linalg.qr(times(Z))
    B = transposed_times(Q).T  # width × p: Q.T @ A
    U, S, _ = np.linalg.svd(B, full_matrices=False)
    pcs = (Q @ U[:, :k]) * S[:k]
    ratio = S[:k] ** 2 / max(squares[0], 1e-12)
    return pcs.astype(np.float64), ratio.tolist()


def exact_copies(X: StreamedRows) -> list:
    """Pairs of rows with identical features, found from a hash of each row's bytes, in chunks."""
    keys = np.empty(len(X), dtype=np.int64)
    for start, chunk in X.chunks():
        same = np.ascontiguousarray(np.nan_to_num(chunk, nan=np.inf))
        keys[start : start + len(chunk)] = [hash(r.tobytes()) for r in same]
    order = np.argsort(keys, kind="stable")
    same = keys[order][1:] == keys[order][:-1]
    pairs = []
    for a, b in zip(order[:-1][same], order[1:][same], strict=False):
        rows = X.read([a, b])
        if np.array_equal(np.nan_to_num(rows[0], nan=np.inf), np.nan_to_num(rows[1], nan=np.inf)):
            pairs.append((int(a), int(b)))
    return pairs


class RowDataset:
    """A torch map-style dataset over streamed rows: (features, target) by position."""

    def __init__(self, X: StreamedRows, y) -> None:
        self.X, self.y = X, y

    def __len__(self) -> int:
        return len(self.X)

    def __getitem__(self, i):
        return self.X.read([i])[0], self.y[i]

    def __getitems__(self, idx):  # a whole batch in one read (torch ≥ 2.1 asks for it)
        return [(self.X.read(idx), self.y[np.asarray(idx)])]


def _collate(batch):
    import torch  # torch: imported lazily, so the window opens fast

    if len(batch) == 1 and isinstance(batch[0][0], np.ndarray) and batch[0][0].ndim == 2:
        X, y = batch[0]
    else:
        X, y = np.stack([b[0] for b in batch]), np.stack([np.asarray(b[1]) for b in batch])
    return torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32)), torch.as_tensor(y)


def batch_loader(X: StreamedRows, y, batches, *, workers: int | None = None):
    """A DataLoader giving ``(X, y)`` tensors for each list of positions in ``batches``, in order.

    The batches are read in worker processes (``workers``; the study's cores by default) and at
    most two per worker wait in memory.
    """
    from torch.utils.data import DataLoader  # torch: imported lazily, so the window opens fast

    workers = loader_workers() if workers is None else workers
    kwargs: dict[str, Any] = {"prefetch_factor": 2, "persistent_workers": False} if workers else {}
    # a plain class at module level (not a local torch subclass): workers started by spawn
    # (macOS, Windows) must be able to pickle it
    return DataLoader(
        RowDataset(X, np.asarray(y)),  # type: ignore[arg-type]  # a plain map-style class, not a torch subclass
        batch_sampler=[list(map(int, b)) for b in batches],
        num_workers=workers,
        collate_fn=_collate,
        **kwargs,
    )


def predict_in_batches(
    model, X: StreamedRows, *, batch_size: int | None = None, device: str = "cpu", workers: int | None = None
):
    """The model's raw outputs for every row of ``X`` (a float32 tensor on the CPU), a batch at a time.

    By default a batch holds about 8 MB of features (16 to 256 rows): a convolution's working
    memory grows with the batch, and images are wide rows.
    """
    import torch  # torch: imported lazily, so the window opens fast

    batch_size = batch_size or max(16, min(256, (8 << 20) // max(4 * X.shape[1], 1)))
    batches = [np.arange(s, min(s + batch_size, len(X))) for s in range(0, len(X), batch_size)]
    outs = []
    with torch.inference_mode():
        for xb, _ in batch_loader(X, np.zeros(len(X), dtype=np.float32), batches, workers=workers):
            outs.append(model(xb.to(device)).float().cpu())
    return torch.cat(outs) if outs else torch.zeros((0, 1))
