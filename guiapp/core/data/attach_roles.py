"""The roles a loaded table's columns end with, and the checks that go with them (Tip 4).

The suggested roles (:mod:`guiapp.core.data.roles`), edited by the user, then the rules the
Data step keeps: one label, batch and group; declared identifiers; AnnData ``obs`` and a
sample sheet's columns are metadata unless asked for; an image or sequence study learns from
its pixels or letters only. Then a nearly unique sample-ID column is checked for copies, and
the missing-value choice is applied to the numeric features.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from guiapp.core.data import errors as E
from guiapp.core.data import roles as R
from guiapp.core.data.loading import LoadedData
from guiapp.core.data.missing import apply_missing
from guiapp.core.data.profile import looks_like_identifier
from guiapp.core.data.roles import _name_role


def final_roles(
    table: pd.DataFrame,
    loaded: LoadedData,
    *,
    columns: tuple[str, str, str],
    identifiers: list,
    edited: dict | None,
    subgroups: list | None,
    sheet_features: list | None,
    pii_columns: list,
    loader_features: set,
) -> tuple[dict, list]:
    """Each column's role, and the sample-sheet columns set aside as metadata.

    ``columns`` is the (label, batch, group) chosen; ``edited`` the user's edits of the roles.
    """
    label, batch, group = columns
    suggested = R.suggest_roles(
        table,
        label=label,
        batch=batch,
        group=group,
        identifiers=identifiers,
        subgroups=subgroups,
        pii_columns=pii_columns,
    )
    final = R.merge_roles(suggested, edited)
    for col, role in ((label, "label"), (batch, "batch"), (group, "group")):
        if col in final:
            final[col] = role
    for col, role in list(final.items()):
        if role in ("label", "batch", "group") and col not in (label, batch, group):
            final[col] = "ignore"  # one label, batch and group: those chosen above
    for col in identifiers or []:
        if col in final:
            final[col] = "identifier"
    for col in loaded.meta_columns:  # AnnData obs: QC numbers and annotations describe, not measure
        if final.get(col) == "feature" and col not in (edited or {}):
            final[col] = "ignore"
    set_aside = _sheet_roles(final, loaded, edited, sheet_features)
    if loaded.pixel_columns:  # images and sequences: the pixels or letters, and nothing else, are features
        for col in final:
            loader = col in loader_features
            if loader or final[col] == "feature":
                final[col] = "feature" if loader else "ignore"
    return final, set_aside


def _sheet_roles(final: dict, loaded: LoadedData, edited: dict | None, sheet_features: list | None) -> list:
    """A sample sheet's columns are metadata unless listed in ``sheet_features`` or edited to feature.

    Sets their roles in ``final``; returns those set aside that would have been features.
    """
    set_aside: list = []
    if loaded.sheet is None:
        return set_aside
    added = list(loaded.sheet.columns_added)
    unknown = [c for c in sheet_features or [] if c not in added]
    if unknown:
        raise E.ColumnMissingError(
            f"[data] sheet_features names {', '.join(map(repr, unknown))}, which the sample sheet "
            f"{Path(loaded.sheet.sheet).name} does not hold. Its columns are: {', '.join(map(repr, added[:12]))}."
        )
    for col in added:
        if col in (sheet_features or []):
            final[col] = "feature"
        elif final.get(col) == "feature" and col not in (edited or {}):
            final[col] = "ignore"
            set_aside.append(col)
    return set_aside


def check_sample_ids(table: pd.DataFrame, final: dict, sample_id: str, group: str, file_name: str) -> None:
    """Refuse copied IDs in the sample-ID column (the one named, or one nearly unique by name and values)."""
    id_col = sample_id if sample_id in table.columns else _sample_id_column(table, final, group)
    if id_col:
        _check_sample_ids(table, id_col, file_name)


def _check_sample_ids(table: pd.DataFrame, column: str, file_name: str) -> None:
    ids = table[column].dropna().astype(str)
    if ids.duplicated().any():
        dup = ids[ids.duplicated()].iloc[0]
        rows = (np.flatnonzero(table[column].astype(str).to_numpy() == dup) + 1).tolist()
        raise E.DuplicateSampleIdError(
            f"{file_name}: sample ID {dup!r} in column {column!r} appears more than once (rows "
            f"{', '.join(map(str, rows[:5]))}). Each sample needs an ID of its own: fix the copies, or, if "
            "they are repeated measurements of one sample, choose this column as the group column instead."
        )


def _sample_id_column(table: pd.DataFrame, roles: dict, group: str) -> str:
    """A column named as the sample ID that is nearly, but not quite, unique: duplicated IDs."""
    for c in table.columns[:200]:
        name = str(c)
        if name == group or roles.get(name) != "identifier" or _name_role(name) != "identifier":
            continue
        s = table[c].dropna()
        if len(s) >= 10 and 0.9 * len(s) <= s.nunique() < len(s):
            return name
    return ""


def apply_missing_choice(table: pd.DataFrame, final: dict, label: str, missing: str) -> tuple[pd.DataFrame, dict]:
    """The missing-value choice applied to the numeric features; columns it drops become ignored."""
    if label not in table.columns:
        return table, {"rows": 0, "columns": []}
    feats = [c for c, r in final.items() if r == "feature"]
    feats_numeric = [c for c in feats if pd.api.types.is_numeric_dtype(table[c])]
    table, _kept, dropped = apply_missing(table, feats_numeric, missing)
    for c in dropped["columns"]:
        final[c] = "ignore"
    return table, dropped


def profile_roles(table: pd.DataFrame, final: dict, identifiers: list, edited: dict | None) -> tuple[dict, list]:
    """The roles the profile gets, and the identifier columns declared.

    An ID-like column nobody declared is left to the profile (as a feature), which raises a
    finding for it.
    """
    declared = set(identifiers or []) | {c for c, r in (edited or {}).items() if r == "identifier"}
    roles = {
        c: "feature" if r == "identifier" and c not in declared and looks_like_identifier(table[c]) else r
        for c, r in final.items()
    }
    return roles, sorted(declared | set(R.columns_with(roles, "identifier")))
