"""Whether a new table holds the model's feature columns, named and ordered as at training, and
numeric: the check ``tenfold predict`` and an external cohort both make before any prediction.
"""

from __future__ import annotations

import pandas as pd

from guiapp.core.study.errors import DataError


def check_features(
    table: pd.DataFrame, features: list, *, by_name: bool = False, file_name: str = "the table"
) -> list[str]:
    """The model's feature columns as they appear in ``table``; a :class:`DataError` on mismatch."""
    columns = [str(c) for c in table.columns]
    missing = [f for f in features if f not in columns]
    if missing:
        shown = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
        raise DataError(
            f"{file_name} lacks {len(missing)} of the model's {len(features)} feature "
            f"column(s): {shown}. The model needs every feature it was trained on, with "
            "the same names (see model/config.json in the bundle)."
        )
    present = [c for c in columns if c in set(features)]
    if present != list(features) and not by_name:
        k = next(i for i, (a, b) in enumerate(zip(present, features, strict=False)) if a != b)
        raise DataError(
            f"{file_name} has the model's feature columns in another order: position "
            f"{k + 1} is {present[k]!r}, the model expects {features[k]!r}. Put the columns "
            "in the order of model/config.json, or pass --by-name to take them by name."
        )
    for f in features:
        if not pd.api.types.is_numeric_dtype(table[f]):
            bad = table[f][pd.to_numeric(table[f], errors="coerce").isna() & table[f].notna()]
            raise DataError(
                f"Feature column {f!r} of {file_name} holds text (e.g. {bad.iloc[0]!r}); the model needs numbers."
            )
    return list(features)
