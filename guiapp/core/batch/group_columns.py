"""Columns that say which samples come from one donor, patient, animal or cell line (Tip 7).

- :func:`suggest_group_columns`: columns that look like a group, by name (patient, donor,
  mouse, cell line…) or by repeated ID-like values ("P012", "donor_7").
- :func:`group_column_from_copies`: a column most copy pairs share a value of — replicates or
  repeated patients — proposed as the group column first.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

GROUP_SHARE = 0.8  # share of copy pairs that must share the column's value
GROUP_MIN_PAIRS = 3
GROUP_NAME_HINTS = {
    "patient",
    "donor",
    "animal",
    "subject",
    "individual",
    "mouse",
    "mice",
    "rat",
    "participant",
    "person",
    "family",
    "litter",
    "specimen",
    "biopsy",
    "case",
    "host",
    "organism",
    "twin",
    "sibling",
    "cellline",
    "pig",
    "dog",
    "monkey",
    "plant",
}
_ID_LIKE = re.compile(r"^[A-Za-z][A-Za-z_.\-]*\d+[A-Za-z0-9_.\-]*$")


def _name_tokens(name: str) -> set:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(name))
    tokens = [t for t in re.split(r"[^A-Za-z]+", spaced.lower()) if t]
    joined = {a + b for a, b in zip(tokens, tokens[1:], strict=False)}
    return set(tokens) | joined | {t[:-1] for t in tokens if t.endswith("s")}


def suggest_group_columns(table: pd.DataFrame, *, exclude=()) -> list[dict]:
    """Columns that may say which samples come from the same donor, patient, animal or line.

    A column is suggested when some of its values repeat and either its name holds a word
    like patient, donor, animal, subject, mouse or cell line, or its values look like IDs
    ("P012", "donor_7") with several samples each. Name matches come first.
    """
    n = len(table)
    out = []
    for col, dtype in table.dtypes.items():
        if col in exclude:
            continue
        # A float column is a measurement (donor_age), not a name for a group.
        hints = [] if pd.api.types.is_float_dtype(dtype) else sorted(_name_tokens(col) & GROUP_NAME_HINTS)
        if not hints and pd.api.types.is_numeric_dtype(dtype):
            continue  # numbers name a group only under a group-like name: skip the counting
        values = table[col].dropna()
        n_groups = values.nunique()
        if n_groups < 2 or n_groups >= len(values):
            continue  # one value, or a different one in every row: nothing to keep together
        largest = int(values.value_counts().iloc[0])
        entry = {"column": str(col), "n_groups": int(n_groups), "largest_group": largest}
        if hints:
            entry["reason"] = (
                f"its name suggests a {hints[0].replace('cellline', 'cell line')}, and its {n_groups} values repeat"
            )
            out.append((0, entry))
        elif (
            not pd.api.types.is_numeric_dtype(values)
            and 3 <= n_groups <= n / 2
            and values.astype(str).str.match(_ID_LIKE).mean() >= 0.9
        ):
            entry["reason"] = f"its {n_groups} ID-like values each come back in several samples"
            out.append((1, entry))
    return [e for _, e in sorted(out, key=lambda t: t[0])]


def group_column_from_copies(rows: pd.DataFrame, pairs, *, exclude=()) -> dict | None:
    """A column that most copy pairs share a value of (replicates, repeated patients), or None.

    Looked at: columns other than ``exclude`` whose values repeat but are not the same in every
    row; at least :data:`GROUP_MIN_PAIRS` pairs and a share ≥ :data:`GROUP_SHARE` of them.
    """
    pairs = [pr for pr in pairs if int(pr[0]) < len(rows) and int(pr[1]) < len(rows)]
    if len(pairs) < GROUP_MIN_PAIRS:
        return None
    a = np.array([int(pr[0]) for pr in pairs])
    b = np.array([int(pr[1]) for pr in pairs])
    best: dict[str, Any] | None = None
    for col in rows.columns:
        if col in exclude:
            continue
        values = rows[col]
        n_groups = values.nunique(dropna=True)
        if n_groups < 3 or n_groups >= values.notna().sum() or pd.api.types.is_float_dtype(values):
            continue
        v = values.astype(object).to_numpy()
        same = np.array([x == y and not pd.isna(x) for x, y in zip(v[a], v[b], strict=False)])
        share = float(same.mean())
        if share >= GROUP_SHARE and (best is None or share > best["share"]):
            best = {
                "column": str(col),
                "share": share,
                "n_pairs": len(pairs),
                "n_groups": int(n_groups),
                "reason": f"{same.sum()} of {len(pairs)} pairs of copies share a value of it: replicates "
                "or repeated samples of one donor or patient",
            }
    return best
