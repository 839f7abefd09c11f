"""Missing feature values: drop the samples or the features that have them, or fill them.

Dropping happens when the data are loaded, before the split. Filling is fitted on the
training split only: the median by the models' own imputers, the most frequent value by
:func:`fill_most_frequent` once the split exists (see ``guiapp.core.data.attach.model_frame``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from guiapp.core.data import errors as E
from guiapp.core.study.vocabulary import MISSING_STRATEGIES

MISSING_CHOICES = MISSING_STRATEGIES


def apply_missing(table: pd.DataFrame, features: list, missing: str) -> tuple[pd.DataFrame, list, dict]:
    """Drop the rows or feature columns with missing values when that is the choice; else keep all."""
    if missing not in MISSING_CHOICES:
        raise E.DataError(f"The missing-value choice must be one of {', '.join(MISSING_CHOICES)}, not {missing!r}.")
    if missing == "drop-columns":
        gone = [c for c in features if table[c].isna().any()]
        return table, [c for c in features if c not in set(gone)], {"rows": 0, "columns": gone}
    if missing == "drop-rows":
        keep = ~table[features].isna().any(axis=1).to_numpy()
        if not keep.all():
            return table[keep].reset_index(drop=True), features, {"rows": int((~keep).sum()), "columns": []}
    return table, features, {"rows": 0, "columns": []}


def fill_most_frequent(X: np.ndarray, train_idx: np.ndarray) -> np.ndarray:
    """Each feature's missing cells get its most frequent value on the training rows (0 if none)."""
    X = X.copy()
    for j in np.flatnonzero(np.isnan(X).any(axis=0)):
        values = X[train_idx, j]
        values = values[~np.isnan(values)]
        if len(values):
            uniq, counts = np.unique(values, return_counts=True)
            fill = uniq[np.argmax(counts)]
        else:
            fill = 0.0
        X[np.isnan(X[:, j]), j] = fill
    return X
