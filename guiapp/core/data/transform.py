"""The log transform: ``log1p`` on chosen feature columns, for counts and intensities.

It learns nothing from the data (log(1 + x) of each value alone), so applying it to every row
before the split leaks nothing. The study records it as ``study.data.transform = {"log1p": [...]}``
and the spec as ``[data] transform = "log1p"`` (every feature) or ``transform = { log1p = [...] }``;
:func:`apply` is the one place the study's model frame and ``tenfold predict`` transform features.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable

import numpy as np

from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.model import Study

LOG1P = "log1p"
# A column looks like counts or intensities: never negative, and spread over orders of magnitude
# or strongly right-skewed.
MIN_SPREAD = 100.0  # 99th percentile / median (non-zero)
MIN_SKEW = 2.0


def columns_from_spec(value, feature_columns: list, where: str = "the spec's [data] transform") -> list:
    """The columns ``[data] transform`` names: ``"log1p"`` is every feature, ``{log1p = [...]}`` those."""
    if value in (None, "", {}):
        return []
    if value == LOG1P:
        return list(feature_columns)
    if (
        isinstance(value, dict)
        and set(value) == {LOG1P}
        and isinstance(value[LOG1P], list)
        and all(isinstance(c, str) for c in value[LOG1P])
    ):
        unknown = [c for c in value[LOG1P] if c not in feature_columns]
        if unknown:
            raise TenfoldError(
                f"{where} names {', '.join(map(repr, unknown[:5]))}, not among the feature "
                "columns: name feature columns only (the label, batch and identifiers are "
                "never transformed)."
            )
        return list(dict.fromkeys(value[LOG1P]))
    raise TenfoldError(
        f'{where} must be "log1p" (every feature column) or {{ log1p = ["column", ...] }}; it is {value!r}.'
    )


def check_columns(table, columns: Iterable[str], file_name: str = "the data") -> None:
    """log1p needs values ≥ 0 (counts, intensities): a negative value is refused by name."""
    import pandas as pd  # only where a table is checked: the window opens without pandas

    columns = list(columns)
    if not columns:
        return
    values = (
        table[columns].apply(pd.to_numeric, errors="coerce")
        if any(not pd.api.types.is_numeric_dtype(table[c]) for c in columns)
        else table[columns]
    )
    negative = (values < 0).to_numpy()
    if negative.any():
        row, col = (int(i[0]) for i in np.nonzero(negative))
        c = columns[col]
        raise TenfoldError(
            f"Column {c!r} of {file_name} holds a negative value (row {row + 1}: "
            f"{float(values.iloc[row, col]):g}); a log transform suits counts and intensities, "
            "which are never negative. Leave this column out of [data] transform."
        )


def set_log1p(study: Study, columns: Iterable[str]) -> None:
    """Record the log transform on ``columns`` (empty: none); the split and the models see it next."""
    columns = [c for c in dict.fromkeys(columns)]
    unknown = [c for c in columns if c not in study.data.feature_columns]
    if unknown:
        raise TenfoldError(f"{', '.join(map(repr, unknown))} are not feature columns: only features are transformed.")
    if columns and study.table is not None:
        check_columns(study.table, columns)
    study.data.transform = {LOG1P: columns} if columns else {}


def log1p_columns(transform: dict) -> list:
    return list((transform or {}).get(LOG1P, []))


def apply(X: np.ndarray, feature_columns: list, transform: dict) -> np.ndarray:
    """``X`` with log1p taken in the transformed columns (a new array; missing values stay missing)."""
    columns = log1p_columns(transform)
    if not columns:
        return X
    index = [feature_columns.index(c) for c in columns if c in feature_columns]
    X = np.array(X, dtype=np.float32, copy=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        X[:, index] = np.log1p(X[:, index])
    return X


def suggest_log1p(
    table, feature_columns: list, already: Iterable[str] = (), *, every_nonnegative: bool = False
) -> list:
    """Feature columns that look like counts or intensities and are not transformed yet
    (``every_nonnegative``: every column a log transform can take)."""
    done = set(already)
    columns = [c for c in feature_columns if c not in done]
    if not columns:
        return []
    X = table[columns].to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-missing columns
        nonnegative = np.nanmin(X, axis=0) >= 0
        positive = np.where(X > 0, X, np.nan)
        spread = np.nanpercentile(positive, 99, axis=0) / np.nanmedian(positive, axis=0)
        mean, sd = np.nanmean(X, axis=0), np.nanstd(X, axis=0)
        skew = np.nanmean(((X - mean) / np.where(sd > 0, sd, np.nan)) ** 3, axis=0)
    enough = np.sum(~np.isnan(X), axis=0) >= 5
    wide = (np.nan_to_num(spread) >= MIN_SPREAD) | (np.nan_to_num(skew) >= MIN_SKEW)
    looks = nonnegative & enough & (True if every_nonnegative else wide)
    return [c for c, yes in zip(columns, looks, strict=False) if yes]


def describe(transform: dict, feature_columns: list) -> str:
    """The transform in words, for the card and the Data page."""
    columns = log1p_columns(transform)
    if not columns:
        return ""
    which = (
        "every feature column"
        if set(columns) == set(feature_columns)
        else ", ".join(f"`{c}`" for c in columns[:10]) + (f" and {len(columns) - 10} more" if len(columns) > 10 else "")
    )
    return f"log(1 + x) applied to {which} before the split (it learns nothing from the data, so nothing leaks)."
