"""Column roles: what each column is for, suggested from its name and values, edited by the user.

A role is one of feature, label, batch, group (donor, patient, animal, cell line), subgroup
(sex, age band, site: results are reported per group), identifier and ignore. Identifiers
and personal identifiers never become features.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from guiapp.core.study.vocabulary import ROLES

if TYPE_CHECKING:  # pandas is imported where a table is looked at: the wizard opens without it
    import pandas as pd

ROLE_WORDS = {
    "feature": "a measurement the model learns from",
    "label": "what the model predicts",
    "batch": "run, plate, lane or day: looked at for batch effects",
    "group": "donor, patient or animal: kept on one side of the split",
    "subgroup": "sex, age band or site: results reported per group",
    "identifier": "names the sample: never a feature; leaves only as the row key of predictions, when not personal",
    "ignore": "not used",
}
_PATTERNS = (
    (
        "identifier",
        r"(^|_)(id|ids|uid|uuid|barcode|accession|sample(_?name)?|filename|file|image|path|obs_names|cell)$"
        r"|^(sample|specimen|cell|record)[_ ]?(id|name|no|number|barcode)",
    ),
    (
        "group",
        r"donor|patient|subject|individual|participant|animal|mouse|mice|rat|cell[_ ]?line|family|litter|pig|dog",
    ),
    (
        "batch",
        r"batch|(^|_)run($|_)|plate|lane|flow[_ ]?cell|chip|array[_ ]?id|slide|seq[_ ]?date|processing|center|centre|instrument|operator|library",
    ),
    (
        "subgroup",
        r"(^|_)(sex|gender|age[_ ]?(band|group|bin|class)?|ethnicity|race|ancestry|site|region|country|bmi[_ ]?class|smoker|smoking)($|_)",
    ),
    (
        "label",
        r"(^|_)(label|class|target|outcome|diagnosis|condition|status|phenotype|disease|response|group_label|treatment|y)($|_)",
    ),
)


_COMPILED = [(role, re.compile(pattern)) for role, pattern in _PATTERNS]
_SEPARATORS = re.compile(r"[\s.\-]+")


def _name_role(name: str) -> str | None:
    key = _SEPARATORS.sub("_", str(name).strip().lower())
    for role, pattern in _COMPILED:
        if pattern.search(key):
            return role
    return None


def suggest_roles(
    table: pd.DataFrame,
    *,
    label: str = "",
    batch: str = "",
    group: str = "",
    identifiers: list | None = None,
    subgroups: list | None = None,
    pii_columns: list | None = None,
    max_scan: int = 5000,
) -> dict:
    """A role for every column: the user's choices first, then names, then values.

    Numeric columns are features unless their name says batch, group or identifier; text
    columns are identifiers when every value differs, batches, groups or subgroups when named
    so, else ignored.
    Only the first ``max_scan`` columns are looked at by name; the rest of a wide table of
    numbers are features.
    """
    import pandas as pd  # pandas: imported lazily, so the window opens without it

    # profile brings pandas at import: the spec and the wizard read the role names without it
    from guiapp.core.data.profile import looks_like_identifier

    chosen = {label: "label", batch: "batch", group: "group"}
    chosen.update({c: "identifier" for c in identifiers or []})
    # a subgroup asked for by name takes that role, unless it is numeric: then it stays a feature too
    chosen.update(
        {
            c: "subgroup"
            for c in subgroups or []
            if c not in chosen
            and c in table.columns
            and not (pd.api.types.is_numeric_dtype(table[c]) and not pd.api.types.is_bool_dtype(table[c]))
        }
    )
    pii = set(pii_columns or [])
    roles: dict = {}
    for i, col in enumerate(table.columns):
        name = str(col)
        if name in chosen and name:
            roles[name] = chosen[name]
            continue
        s = table[col]
        numeric = pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
        if i >= max_scan and numeric:
            roles[name] = "feature"
            continue
        by_name = _name_role(name)
        if looks_like_identifier(s) or by_name == "identifier":
            role = "identifier"
        elif by_name in ("group", "batch") or (by_name == "subgroup" and not numeric):
            role = by_name  # a numeric age or BMI stays a feature; the user may make it a subgroup
        elif name in pii and not (numeric and "age" in name.lower()):
            role = "ignore"  # an age over 89 is flagged but stays a measurement
        elif numeric:
            role = "feature"
        elif by_name == "label":
            role = "ignore"  # a label candidate: the user picks the one label
        else:
            role = "ignore"
        if role in ("group", "batch", "subgroup") and s.nunique(dropna=True) > max(50, 0.5 * len(s)):
            role = "identifier" if s.nunique(dropna=True) == len(s) else ("feature" if numeric else "ignore")
        roles[name] = role
    return roles


def merge_roles(suggested: dict, edited: dict | None) -> dict:
    """The suggestions, overridden by the user's edits (unknown columns and roles are dropped)."""
    out = dict(suggested)
    for col, role in (edited or {}).items():
        if col in out and role in ROLES:
            out[col] = role
    return out


def columns_with(roles: dict, role: str) -> list:
    return [c for c, r in roles.items() if r == role]


def label_candidates(table: pd.DataFrame) -> list:
    """Columns whose name says they may be the label, best first."""
    return [str(c) for c in table.columns if _name_role(str(c)) == "label"]


def role_table(
    table: pd.DataFrame,
    roles: dict,
    pii: list | None = None,
    limit: int = 20000,
    sheet_columns: list | None = None,
) -> list:
    """One row per column for the Data page's roles table: name, role, kind, missing values, note.

    ``sheet_columns`` came from the sample sheet: their note says so, and that they join the
    features only when set to feature here.

    Counting the missing values of a 2,000 × 20,000 table takes a second, so the page asks
    for this on the worker thread and only shows the rows.
    """
    import pandas as pd  # pandas: imported lazily, so the window opens without it

    notes = {str(c): "from the sample sheet: metadata unless set to feature" for c in sheet_columns or []}
    notes.update({h["column"]: f"personal identifier? {h['kind']}" for h in pii or []})
    columns = list(table.columns)[:limit]
    dtypes = list(table.dtypes.iloc[: len(columns)])
    dense = [c for c, t in zip(columns, dtypes, strict=False) if not isinstance(t, pd.SparseDtype)]
    if len(dense) == table.shape[1]:  # the usual case: no copy of the table, only its missing-value mask
        missing = table.isna().sum().to_dict()
    else:  # a sparse AnnData matrix holds no missing values; its other columns are few
        missing = table[dense].isna().sum().to_dict() if dense else {}
    rows = []
    for col, dtype in zip(columns, dtypes, strict=False):
        sparse = isinstance(dtype, pd.SparseDtype)
        kind = "number" if sparse or dtype.kind in "fiu" else ("yes/no" if dtype.kind == "b" else "text")
        rows.append([str(col), roles.get(str(col), "ignore"), kind, int(missing.get(col, 0)), notes.get(str(col), "")])
    return rows
