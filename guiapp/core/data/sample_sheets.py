"""Sample sheets: join a sheet of labels, batches and donors to the data by sample ID.

Expression matrices often come with the labels, batches and donors in a separate sample
sheet. :func:`join_sample_sheet` adds the sheet's columns to each sample and reports the IDs
that did not match (IDs that differ by one rule are matched under it:
:mod:`guiapp.core.data.sample_ids`). A table with features as rows is turned first
(:mod:`guiapp.core.data.orientation`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from guiapp.core.data import errors as E
from guiapp.core.data import sample_ids as I
from guiapp.core.study.column_names import missing_column_words


@dataclass
class SheetReport:
    """How a sample sheet matched the data: the join key on both sides and what did not match."""

    sheet: str = ""
    data_key: str = ""
    sheet_key: str = ""
    matched: int = 0
    data_unmatched: int = 0
    sheet_unmatched: int = 0
    data_unmatched_examples: list = field(default_factory=list)
    sheet_unmatched_examples: list = field(default_factory=list)
    columns_added: list = field(default_factory=list)
    id_rule: str = ""  # how the IDs were matched when not as written, in words ("a suffix 'fb' differs ...")
    id_advice: str = ""  # when some IDs did not match: the difference seen and the fix

    def to_dict(self) -> dict:
        return asdict(self)


def _key_candidates(table: pd.DataFrame, keys: dict | None) -> dict:
    """Columns that could hold the sample IDs: distinct text or integer values."""
    out = dict(keys or {})
    for c in table.columns:
        s = table[c]
        if pd.api.types.is_float_dtype(s) or isinstance(s.dtype, pd.SparseDtype):
            continue
        if s.nunique(dropna=True) >= 0.5 * len(s):
            out[str(c)] = s
    return out


def _norm(values) -> pd.Series:
    return pd.Series(values).astype(str).str.strip()


def join_sample_sheet(
    table: pd.DataFrame,
    sheet: pd.DataFrame,
    *,
    data_key: str = "",
    sheet_key: str = "",
    keys: dict | None = None,
    data_name: str = "the data",
    sheet_name: str = "the sample sheet",
    id_match: str = "auto",
) -> tuple[pd.DataFrame, SheetReport]:
    """Add the sheet's columns to each sample, matched by sample ID, keeping the data's row order.

    The key columns are found by overlap when not given: the data column and sheet column
    whose values share the most IDs. ``keys`` adds candidate ID series for the data (say, an
    image's file name without its folder). Samples without a sheet row get empty values.
    With ``id_match`` "auto", IDs that differ by one unambiguous rule (a suffix, a prefix,
    case, separators, leading zeros: :mod:`guiapp.core.data.sample_ids`) are matched under it,
    and the report says so; "exact" matches the names only as written.
    """
    _check_keys(table, sheet, data_key, sheet_key, keys, data_name, sheet_name, id_match)
    data_candidates = (
        {data_key: (keys or {}).get(data_key, table.get(data_key))} if data_key else _key_candidates(table, keys)
    )
    sheet_candidates = [sheet_key] if sheet_key else [str(c) for c in sheet.columns]
    overlap, dk, sk, match = _best_keys(data_candidates, sheet, sheet_candidates, id_match)
    if overlap == 0:
        raise _no_match(data_candidates, sheet, dk, sk, match, data_name, sheet_name)
    rule = match.rule if (match.applies and id_match == "auto") else I.EXACT
    sheet_ids = _norm(sheet[sk])
    data_ids = _norm(data_candidates[dk])
    _check_unique(sheet_ids, data_ids, dk, data_name, sheet_name)
    extra = sheet.drop(columns=[sk])
    extra.columns = [c if c not in table.columns else f"{c} (sheet)" for c in map(str, extra.columns)]
    sheet_keys, data_keys = rule.keys(sheet_ids, "sheet"), rule.keys(data_ids, "data")
    position = pd.Series(np.arange(len(sheet)), index=sheet_keys)
    where = position.reindex(data_keys).to_numpy()
    found = ~np.isnan(where)
    joined = _sheet_rows(extra, where, found)
    out = pd.concat([table.reset_index(drop=True), joined], axis=1)
    matched_keys = {k for k, f in zip(data_keys, found, strict=False) if f}
    sheet_only = [v for v, k in zip(sheet_ids, sheet_keys, strict=False) if k not in matched_keys]
    report = SheetReport(
        sheet=sheet_name,
        data_key=dk,
        sheet_key=sk,
        matched=int(found.sum()),
        data_unmatched=int((~found).sum()),
        sheet_unmatched=len(sheet_only),
        data_unmatched_examples=data_ids[~found].head(5).tolist(),
        sheet_unmatched_examples=sheet_only[:5],
        columns_added=list(extra.columns),
    )
    if rule.code != "exact":
        report.id_rule = I.rule_words(match, data_ids.tolist(), sheet_ids.tolist())
    elif report.data_unmatched or report.sheet_unmatched:
        partial = I.best_rule(data_ids.tolist(), sheet_ids.dropna().tolist())
        if partial.rule.code != "exact":
            report.id_advice = I.mismatch_advice(partial, data_ids.tolist(), sheet_ids.tolist())
    return out, report


def _check_keys(
    table: pd.DataFrame,
    sheet: pd.DataFrame,
    data_key: str,
    sheet_key: str,
    keys: dict | None,
    data_name: str,
    sheet_name: str,
    id_match: str,
) -> None:
    """The ID-matching choice is known, and the key columns named exist on their side."""
    if id_match not in I.ID_MATCH_CHOICES:
        raise E.DataError(f"[data] samples_id_match must be one of {', '.join(I.ID_MATCH_CHOICES)}, not {id_match!r}.")
    if data_key and data_key not in table.columns and data_key not in (keys or {}):
        raise E.ColumnMissingError(
            f"{data_name} has no column named {data_key!r} to match the sample sheet by."
            f"{missing_column_words(data_key, table.columns)}"
        )
    if sheet_key and sheet_key not in sheet.columns:
        raise E.ColumnMissingError(
            f"{sheet_name} has no column named {sheet_key!r}.{missing_column_words(sheet_key, sheet.columns)}"
        )


def _best_keys(data_candidates: dict, sheet: pd.DataFrame, sheet_candidates: list, id_match: str) -> tuple:
    """(IDs matched, data key, sheet key, IdMatch) of the pair of key columns that match the most samples."""
    best: tuple[int, str, str, I.IdMatch | None] = (0, "", "", None)
    score = (-1, -1)
    for dk, dv in data_candidates.items():
        dlist = _norm(dv).tolist()
        for sk in sheet_candidates:
            slist = _norm(sheet[sk].dropna()).tolist()
            if len(set(slist)) < 0.5 * len(slist):  # repeats (a condition, a lane): no ID column, exact only
                exact = len(set(dlist) & set(slist))
                match = I.IdMatch(I.EXACT, exact, exact, True)
            else:
                match = I.best_rule(dlist, slist)
            usable = match.matched if (match.applies and id_match == "auto") else match.exact
            if (usable, match.matched) > score:  # the most matches, then the closest near-miss
                best, score = (usable, dk, sk, match), (usable, match.matched)
    return best


def _no_match(
    data_candidates: dict, sheet: pd.DataFrame, dk: str, sk: str, match, data_name: str, sheet_name: str
) -> E.SampleSheetMismatchError:
    """No sample ID of the sheet matches: the IDs seen on both sides, and the difference between them."""
    d_ex = (
        ", ".join(repr(v) for v in _norm(next(iter(data_candidates.values()), pd.Series([], dtype=str))).head(3))
        if data_candidates
        else "none"
    )
    s_ex = ", ".join(repr(v) for v in _norm(sheet.iloc[:, 0]).head(3))
    advice = (
        I.mismatch_advice(match, _norm(data_candidates[dk]).tolist(), _norm(sheet[sk].dropna()).tolist())
        if match is not None
        else I.mismatch_advice(I.IdMatch(I.EXACT, 0, 0, True), [], [])
    )
    return E.SampleSheetMismatchError(
        f"No sample ID of {sheet_name} matches a sample of {data_name}. The data's IDs look like "
        f"{d_ex}; the sheet's first column holds {s_ex}. {advice}"
    )


def _check_unique(sheet_ids: pd.Series, data_ids: pd.Series, dk: str, data_name: str, sheet_name: str) -> None:
    """Each sample once in the sheet, and each sample ID once in the data."""
    if sheet_ids.duplicated().any():
        dup = sheet_ids[sheet_ids.duplicated()].iloc[0]
        rows = (np.flatnonzero(sheet_ids.to_numpy() == dup) + 2).tolist()
        raise E.DuplicateSampleIdError(
            f"{sheet_name} lists sample {dup!r} more than once (lines {', '.join(map(str, rows[:5]))}). "
            "Each sample needs exactly one row: remove or merge the copies."
        )
    if data_ids.duplicated().any():
        dup = data_ids[data_ids.duplicated()].iloc[0]
        raise E.DuplicateSampleIdError(
            f"{data_name} has sample ID {dup!r} more than once in {dk!r}, so the sample sheet cannot tell "
            "them apart. Make the IDs unique."
        )


def _sheet_rows(extra: pd.DataFrame, where: np.ndarray, found: np.ndarray) -> pd.DataFrame:
    """The sheet's row for each sample (``where``), empty where none matched (integers then become floats)."""
    joined = extra.iloc[np.where(found, where, 0).astype(np.int64)].reset_index(drop=True)
    joined = (
        joined.astype(
            {
                c: (
                    "float64"
                    if pd.api.types.is_integer_dtype(joined[c]) or pd.api.types.is_bool_dtype(joined[c])
                    else joined[c].dtype
                )
                for c in joined.columns
            }
        )
        if not found.all()
        else joined
    )
    joined.loc[~found, :] = np.nan
    return joined
