"""Looking at a loaded table before any modelling: one column's distribution, two columns
against each other. Plain functions of a DataFrame, run on the worker thread by the Data page."""

from __future__ import annotations

import numpy as np
import pandas as pd

MAX_CATEGORIES = 20  # bars of a text column's distribution; the rest are summed as "other"
MAX_SCATTER_POINTS = 5_000  # a seeded sample beyond this: a scatter of more shows no more


def column_distribution(table: pd.DataFrame, column: str, bins: int = 30) -> dict:
    """A histogram of a numeric column, or the counts of a text column's values.

    Returns ``kind`` ("numeric" or "categorical"), ``labels`` and ``counts`` of the bars (for a
    numeric column also ``edges``), and ``n``/``missing`` (rows with and without a value).
    """
    if column not in table.columns:
        raise KeyError(f"The table has no column {column!r}.")
    values = table[column]
    missing = int(values.isna().sum())
    present = values.dropna()
    out = {"column": column, "n": int(len(present)), "missing": missing}
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if numeric and present.nunique() > MAX_CATEGORIES:
        finite = present.to_numpy(dtype=float)
        finite = finite[np.isfinite(finite)]
        counts, edges = np.histogram(finite, bins=bins)
        centres = (edges[:-1] + edges[1:]) / 2
        out.update(kind="numeric", counts=counts.tolist(), edges=edges.tolist(), labels=[f"{c:.3g}" for c in centres])
        return out
    counts = present.astype(str).value_counts()
    if numeric:  # a few distinct numbers: in their numeric order
        counts = counts.reindex(sorted(counts.index, key=float))
    shown = counts.iloc[:MAX_CATEGORIES]
    labels, numbers = [str(k) for k in shown.index], [int(v) for v in shown.to_numpy()]
    if len(counts) > MAX_CATEGORIES:
        labels.append(f"{len(counts) - MAX_CATEGORIES} other values")
        numbers.append(int(counts.iloc[MAX_CATEGORIES:].sum()))
    out.update(kind="categorical", labels=labels, counts=numbers)
    return out


def scatter_points(
    table: pd.DataFrame,
    x: str,
    y: str,
    colour: str | None = None,
    *,
    max_points: int = MAX_SCATTER_POINTS,
    seed: int = 0,
) -> dict:
    """Rows with numbers in both ``x`` and ``y``: ``xy`` (n × 2), ``groups`` (the ``colour``
    column's values as text, or one group), ``n`` drawn, ``n_rows`` usable and ``skipped``."""
    for name in (x, y) + ((colour,) if colour else ()):
        if name not in table.columns:
            raise KeyError(f"The table has no column {name!r}.")
    xs = pd.to_numeric(table[x], errors="coerce").to_numpy(dtype=float)
    ys = pd.to_numeric(table[y], errors="coerce").to_numpy(dtype=float)
    usable = np.flatnonzero(np.isfinite(xs) & np.isfinite(ys))
    rows = usable
    if len(rows) > max_points:
        rows = np.sort(np.random.default_rng(seed).choice(usable, max_points, replace=False))
    groups = table[colour].iloc[rows].astype(str).tolist() if colour else ["all samples"] * len(rows)
    return {
        "xy": np.column_stack([xs[rows], ys[rows]]),
        "groups": groups,
        "n": int(len(rows)),
        "n_rows": int(len(usable)),
        "skipped": int(len(table) - len(usable)),
    }
