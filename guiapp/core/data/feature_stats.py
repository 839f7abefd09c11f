"""The profile's numbers for each feature: missing values, constant and near-constant columns,
exact copies of samples, the value range and whether the values look like counts or log-scaled.

:func:`table_statistics` reads a table a block of columns at a time, so a 20,000-gene table is
looked at without a second copy of it; :func:`feature_statistics` gives the same numbers for
features left on disk (:class:`~guiapp.core.data.streaming.StreamedRows`), read in chunks of rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from guiapp.core.data import errors as E
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext

NEAR_CONSTANT_RATIO = 19.0  # most common value ≥ 19 × the second (95 / 5), caret's nearZeroVar
NEAR_CONSTANT_UNIQUE = 0.1  # … and at most 10% distinct values
BLOCK = 2048  # columns looked at together


def blocks(table: pd.DataFrame, columns: list):
    """The feature columns as float32 blocks of at most BLOCK columns (sparse ones densified)."""
    for start in range(0, len(columns), BLOCK):
        cols = columns[start : start + BLOCK]
        yield start, cols, table[cols].to_numpy(dtype=np.float32, na_value=np.nan)


def table_statistics(rows: pd.DataFrame, features: list, file_name: str, *, ctx: TaskContext = NO_CONTEXT) -> dict:
    n = len(rows)
    missing: dict = {}
    constant, near_constant = [], []
    lo, hi, ints, finite_total, sampled = np.inf, -np.inf, 0, 0, 0
    col_means, col_sds = [], []
    row_hash = np.zeros(n, dtype=np.float64)
    rng = np.random.default_rng(0)
    for start, cols, X in blocks(rows, features):
        ctx.check()
        ctx.report(0.1 + 0.7 * start / max(len(features), 1), "Counting missing values, constant features and copies")
        inf = np.isinf(X)
        if inf.any():
            r, c = np.argwhere(inf)[0]
            raise E.NonFiniteValueError(
                f"{file_name}: feature {cols[c]!r} holds an infinite value ({X[r, c]}) in row {r + 1} of the "
                f"samples{' and ' + str(int(inf.sum()) - 1) + ' more cell(s)' if inf.sum() > 1 else ''}. "
                "Infinite values usually come from log(0) or a division by zero: replace them with a "
                "number, or leave the cell empty to mark it missing."
            )
        nan = np.isnan(X)
        miss = nan.sum(axis=0)
        missing.update({cols[j]: int(m) for j in np.flatnonzero(miss) for m in [miss[j]]})
        with np.errstate(all="ignore"):
            cmin, cmax = np.nanmin(np.where(nan, np.inf, X), axis=0), np.nanmax(np.where(nan, -np.inf, X), axis=0)
        const = (cmin >= cmax) | (miss == n)
        constant += [cols[j] for j in np.flatnonzero(const)]
        finite = ~nan
        if finite.any():
            lo, hi = min(lo, float(X[finite].min())), max(hi, float(X[finite].max()))
            take = X[finite][:200_000]
            ints += int(np.sum(np.mod(take, 1) == 0))
            sampled += take.size
            finite_total += int(finite.sum())
            with np.errstate(all="ignore"):
                col_means.append(np.nanmean(X, axis=0))
                col_sds.append(np.nanstd(X, axis=0))
        near_constant += near_constant_columns(X, cols, const)
        row_hash += np.nan_to_num(X, nan=1.2345e7).astype(np.float64) @ rng.normal(size=X.shape[1])
    duplicates = count_duplicates(rows, features, row_hash)
    means = np.concatenate(col_means) if col_means else np.array([])
    sds = np.concatenate(col_sds) if col_sds else np.array([])
    integer_share = ints / sampled if sampled else None
    scale, words = scale_hint(
        lo if np.isfinite(lo) else None, hi if np.isfinite(hi) else None, integer_share, means, sds
    )
    return {
        "missing": missing,
        "constant": constant,
        "near_constant": near_constant,
        "duplicates": duplicates,
        "min": lo if np.isfinite(lo) else None,
        "max": hi if np.isfinite(hi) else None,
        "integer_share": integer_share,
        "scale": scale,
        "scale_words": words,
    }


def near_constant_columns(X: np.ndarray, cols: list, constant: np.ndarray) -> list:
    """Columns dominated by one value (caret's rule): most common ≥ 19 × the next, ≤ 10% distinct."""
    n = X.shape[0]
    if n < 20:
        return []
    S = np.sort(X, axis=0)  # NaN sort last
    distinct = 1 + np.sum((S[1:] != S[:-1]) & ~np.isnan(S[1:]), axis=0)
    out = []
    for j in np.flatnonzero((distinct <= NEAR_CONSTANT_UNIQUE * n) & ~constant):
        col = S[:, j]
        _, counts = np.unique(col[~np.isnan(col)], return_counts=True)
        if len(counts) >= 2:
            top2 = np.sort(counts)[-2:]
            if top2[1] >= NEAR_CONSTANT_RATIO * top2[0]:
                out.append(cols[j])
    return out


def count_duplicates(rows: pd.DataFrame, features: list, row_hash: np.ndarray) -> int:
    """Rows whose features copy an earlier row, found by a random projection and then checked."""
    order = pd.Series(row_hash).duplicated(keep=False).to_numpy()
    if not order.any():
        return 0
    suspects = rows.iloc[np.flatnonzero(order)][features]
    return int(suspects.duplicated(keep="first").sum())


def scale_hint(lo, hi, integer_share, means, sds) -> tuple[str, str]:
    """Whether the values look like raw counts, log-scaled, standardised or proportions."""
    if lo is None or hi is None:
        return "", ""
    rng = f"from {lo:.4g} to {hi:.4g}"
    if integer_share is not None and integer_share > 0.99 and lo >= 0 and hi > 50:
        return "counts", (
            f"The values are whole numbers {rng}: they look like raw counts. Networks learn "
            "better from normalised, log-transformed values (for example log1p of counts "
            "per million)."
        )
    if len(means) and np.nanmedian(np.abs(means)) < 0.2 and 0.7 < np.nanmedian(sds) < 1.3 and lo < 0:
        return (
            "standardised",
            f"The values run {rng}, each feature near mean 0 and standard deviation 1: they look standardised.",
        )
    if lo >= 0 and hi <= 1:
        return "proportions", f"The values lie between 0 and 1 ({rng}): proportions, beta values or scaled intensities."
    if hi <= 32 and lo >= -20:
        return "log", f"The values run {rng}: that range looks log-scaled (for example log2 expression)."
    return "wide", (
        f"The values run {rng} with no sign of a log scale. If they are intensities or "
        "counts, a log transform usually helps: apply log1p on the Data page, or write "
        '[data] transform = "log1p" in a spec.'
    )


def feature_statistics(
    X,  # StreamedRows
    names: list,
    file_name: str,
    *,
    ctx: TaskContext = NO_CONTEXT,
) -> dict:
    """The profile's feature statistics (:func:`table_statistics`) read in chunks of rows.

    Exact copies are found from a hash of each row's bytes. Near-constant features (a rule on
    each column's value counts) are looked for in a bounded sample of rows
    (:func:`guiapp.core.data.streaming.sample_rows`).
    """
    n, p = X.shape
    miss, ints, sampled = np.zeros(p, dtype=np.int64), 0, 0
    cmin, cmax = np.full(p, np.inf), np.full(p, -np.inf)
    total, squares, finite_n = np.zeros(p), np.zeros(p), np.zeros(p)
    keys = np.empty(n, dtype=np.int64)
    for start, chunk in X.chunks():
        ctx.check()
        ctx.report(0.1 + 0.7 * start / max(n, 1), "Counting missing values, constant features and copies")
        inf = np.isinf(chunk)
        if inf.any():
            r, c = np.argwhere(inf)[0]
            raise E.NonFiniteValueError(
                f"{file_name}: feature {names[c]!r} holds an infinite value in sample {start + r + 1}. Replace it "
                "with a number, or leave the cell empty to mark it missing."
            )
        nan = np.isnan(chunk)
        miss += nan.sum(axis=0)
        cmin = np.minimum(cmin, np.where(nan, np.inf, chunk).min(axis=0))
        cmax = np.maximum(cmax, np.where(nan, -np.inf, chunk).max(axis=0))
        filled = np.where(nan, np.float32(0), chunk)
        total += filled.sum(axis=0, dtype=np.float64)
        squares += np.einsum("ij,ij->j", filled, filled, dtype=np.float64)
        finite_n += (~nan).sum(axis=0)
        if sampled < 200_000:
            take = chunk[~nan][: 200_000 - sampled]
            ints += int(np.sum(np.mod(take, 1) == 0))
            sampled += take.size
        same = np.ascontiguousarray(np.nan_to_num(chunk, nan=np.inf))
        keys[start : start + len(chunk)] = [hash(r.tobytes()) for r in same]
    constant_mask = (cmin >= cmax) | (miss == n)
    constant = [names[j] for j in np.flatnonzero(constant_mask)]
    pick = X.sample()
    near_constant = near_constant_columns(X.read(pick), names, constant_mask) if len(pick) >= 20 else []
    duplicates = int(len(keys) - len(np.unique(keys)))
    with np.errstate(all="ignore"):
        means = total / np.maximum(finite_n, 1)
        sds = np.sqrt(np.maximum(squares / np.maximum(finite_n, 1) - means**2, 0.0))
    finite = finite_n.sum() > 0
    lo = float(cmin[np.isfinite(cmin)].min()) if finite and np.isfinite(cmin).any() else None
    hi = float(cmax[np.isfinite(cmax)].max()) if finite and np.isfinite(cmax).any() else None
    integer_share = ints / sampled if sampled else None
    scale, words = scale_hint(lo, hi, integer_share, means, sds)
    return {
        "missing": {names[j]: int(miss[j]) for j in np.flatnonzero(miss)},
        "constant": constant,
        "near_constant": near_constant,
        "duplicates": duplicates,
        "min": lo,
        "max": hi,
        "integer_share": integer_share,
        "scale": scale,
        "scale_words": words,
    }
