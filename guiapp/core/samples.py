"""Orientation and sample sheets: turn a genes × samples table, and join a sheet by sample ID.

Expression matrices often come with features as rows and one column per sample, and with
the labels, batches and donors in a separate sample sheet. :func:`looks_transposed` says
when a table seems to be turned; :func:`transpose_table` turns it; :func:`join_sample_sheet`
adds the sheet's columns to each sample and reports the IDs that did not match.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Optional

import numpy as np
import pandas as pd

from guiapp.core import data_errors as E

SAMPLE_ID = "sample_id"
# Feature IDs (Ensembl, RefSeq, Illumina and Affymetrix probes, UniProt) and sample names
# (GEO, TCGA, SRA, BioSample) that only turn up in those places.
_FEATURE_ID = re.compile(r"^(ENS[A-Z]*[GTP]\d{6,}(\.\d+)?|ILMN_\d+|\d+(_[a-z])?_at|[NX][MR]_\d+(\.\d+)?|"
                         r"[OPQ]\d[A-Z0-9]{3}\d|cg\d{8})$")
_SAMPLE_NAME = re.compile(r"^(GSM\d+|TCGA-\w\w-\w{4}.*|[SED]RR\d+|SAM[NED]A?\d+)$")


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

    def to_dict(self) -> dict:
        return asdict(self)


def looks_transposed(table: pd.DataFrame, label: str = "", sheet_ids=None) -> Optional[str]:
    """Why the table seems to hold features as rows and samples as columns, or None.

    The signs: the first column (and at most two more) holds text naming each row, every other
    column is numeric, the label is not a column, and either a sample sheet's IDs are the
    column names, or there are many more rows than columns, or the row and column names are
    feature IDs (Ensembl, probes…) and sample names (GEO, TCGA, SRA…).
    """
    if label and label in table.columns:
        return None
    if table.shape[1] < 3 or table.shape[0] < 3:
        return None
    first = table.columns[0]
    numeric_flags = [pd.api.types.is_numeric_dtype(table[c]) for c in table.columns[1:]]
    lead = next((i for i, f in enumerate(numeric_flags) if f), len(numeric_flags))
    numeric = [c for c, f in zip(table.columns[1:], numeric_flags) if f]
    if lead > 2 or not numeric or not all(numeric_flags[lead:]) or pd.api.types.is_float_dtype(table[first]):
        return None
    ids = table[first].astype(str)
    if ids.nunique() < 0.95 * len(ids):
        return None
    if sheet_ids is not None:
        wanted = set(map(str, sheet_ids))
        by_column = len(wanted & set(map(str, numeric)))
        if by_column > len(wanted & set(ids)):
            return f"the sample sheet's IDs are the column names ({by_column} of them match)"
        return None
    if table.shape[0] >= 3 * table.shape[1] and table.shape[0] >= 50:
        return (f"it has {table.shape[0]:,} rows but only {table.shape[1]:,} columns, all numeric but "
                f"the first ({first!r}), which names each row")
    sample = ids.iloc[:500]
    feature_like = np.mean([bool(_FEATURE_ID.match(v)) for v in sample])
    sample_like = np.mean([bool(_SAMPLE_NAME.match(str(c))) for c in numeric])
    if feature_like > 0.8 and sample_like > 0.8:
        return (f"the first column ({first!r}) holds feature IDs like {sample.iloc[0]!r} and the other "
                f"columns are named like samples ({numeric[0]!r}…)")
    return None


def transpose_table(table: pd.DataFrame, *, file_name: str = "the table") -> pd.DataFrame:
    """Features as columns, one row per sample; the old column names become ``sample_id``.

    Text columns besides the first (gene descriptions, symbols) are dropped: they describe
    features, not samples.
    """
    first = table.columns[0]
    numeric = [c for c in table.columns[1:] if pd.api.types.is_numeric_dtype(table[c])]
    names = table[first].astype(str)
    if names.duplicated().any():
        dup = names[names.duplicated()].iloc[0]
        row = int(np.flatnonzero(names.to_numpy() == dup)[1]) + 2
        raise E.DuplicateColumnError(
            f"{file_name}: the feature {dup!r} appears twice in the first column (again on line {row}). "
            "After turning the table each feature must be one column: remove or rename the copy.")
    samples = [str(c) for c in numeric]
    if len(set(samples)) < len(samples):
        raise E.DuplicateSampleIdError(f"{file_name}: two sample columns have the same name.")
    values = table[numeric].to_numpy(dtype=np.float32).T
    out = pd.DataFrame(values, columns=names.tolist(), copy=False)
    out.insert(0, SAMPLE_ID, samples)
    return out


def _key_candidates(table: pd.DataFrame, keys: Optional[dict]) -> dict:
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


def join_sample_sheet(table: pd.DataFrame, sheet: pd.DataFrame, *, data_key: str = "", sheet_key: str = "",
                      keys: Optional[dict] = None, data_name: str = "the data",
                      sheet_name: str = "the sample sheet") -> tuple[pd.DataFrame, SheetReport]:
    """Add the sheet's columns to each sample, matched by sample ID, keeping the data's row order.

    The key columns are found by overlap when not given: the data column and sheet column
    whose values share the most IDs. ``keys`` adds candidate ID series for the data (say, an
    image's file name without its folder). Samples without a sheet row get empty values.
    """
    if data_key and data_key not in table.columns and data_key not in (keys or {}):
        raise E.ColumnMissingError(f"{data_name} has no column named {data_key!r} to match the sample sheet by.")
    if sheet_key and sheet_key not in sheet.columns:
        raise E.ColumnMissingError(f"{sheet_name} has no column named {sheet_key!r}. Its columns are: "
                                   f"{', '.join(map(str, list(sheet.columns)[:12]))}.")
    data_candidates = {data_key: (keys or {}).get(data_key, table.get(data_key))} if data_key else _key_candidates(table, keys)
    sheet_candidates = [sheet_key] if sheet_key else [str(c) for c in sheet.columns]
    best = (0, "", "")
    for dk, dv in data_candidates.items():
        dset = set(_norm(dv))
        for sk in sheet_candidates:
            overlap = len(dset & set(_norm(sheet[sk])))
            if overlap > best[0]:
                best = (overlap, dk, sk)
    overlap, dk, sk = best
    if overlap == 0:
        d_ex = ", ".join(repr(v) for v in _norm(next(iter(data_candidates.values()), pd.Series([], dtype=str))).head(3)) \
            if data_candidates else "none"
        s_ex = ", ".join(repr(v) for v in _norm(sheet.iloc[:, 0]).head(3))
        raise E.SampleSheetMismatchError(
            f"No sample ID of {sheet_name} matches a sample of {data_name}. The data's IDs look like "
            f"{d_ex}; the sheet's first column holds {s_ex}. Check that both name the samples the same "
            "way (e.g. 'S01' against 'S1', or a file name with and without its extension), or choose the "
            "ID columns.")
    sheet_ids = _norm(sheet[sk])
    if sheet_ids.duplicated().any():
        dup = sheet_ids[sheet_ids.duplicated()].iloc[0]
        rows = (np.flatnonzero(sheet_ids.to_numpy() == dup) + 2).tolist()
        raise E.DuplicateSampleIdError(
            f"{sheet_name} lists sample {dup!r} more than once (lines {', '.join(map(str, rows[:5]))}). "
            "Each sample needs exactly one row: remove or merge the copies.")
    data_ids = _norm(data_candidates[dk])
    if data_ids.duplicated().any():
        dup = data_ids[data_ids.duplicated()].iloc[0]
        raise E.DuplicateSampleIdError(
            f"{data_name} has sample ID {dup!r} more than once in {dk!r}, so the sample sheet cannot tell "
            "them apart. Make the IDs unique.")
    extra = sheet.drop(columns=[sk])
    extra.columns = [c if c not in table.columns else f"{c} (sheet)" for c in map(str, extra.columns)]
    position = pd.Series(np.arange(len(sheet)), index=sheet_ids.to_numpy())
    where = position.reindex(data_ids.to_numpy()).to_numpy()
    found = ~np.isnan(where)
    joined = extra.iloc[np.where(found, where, 0).astype(np.int64)].reset_index(drop=True)
    joined = joined.astype({c: ("float64" if pd.api.types.is_integer_dtype(joined[c]) or pd.api.types.is_bool_dtype(joined[c])
                                else joined[c].dtype) for c in joined.columns}) if not found.all() else joined
    joined.loc[~found, :] = np.nan
    out = pd.concat([table.reset_index(drop=True), joined], axis=1)
    matched_ids = set(data_ids[found])
    sheet_only = [v for v in sheet_ids if v not in matched_ids]
    report = SheetReport(sheet=sheet_name, data_key=dk, sheet_key=sk, matched=int(found.sum()),
                         data_unmatched=int((~found).sum()), sheet_unmatched=len(sheet_only),
                         data_unmatched_examples=data_ids[~found].head(5).tolist(),
                         sheet_unmatched_examples=sheet_only[:5], columns_added=list(extra.columns))
    return out, report
