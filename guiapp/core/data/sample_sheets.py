"""Orientation and sample sheets: turn a genes × samples table, and join a sheet by sample ID.

Expression matrices often come with features as rows and one column per sample, and with
the labels, batches and donors in a separate sample sheet. :func:`looks_transposed` says
when a table seems to be turned; :func:`peek_orientation` says it from the file's first rows,
before loading; :func:`transpose_table` turns it; :func:`join_sample_sheet` adds the sheet's
columns to each sample and reports the IDs that did not match.
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from guiapp.core.data import errors as E
from guiapp.core.data import sample_ids as I
from guiapp.core.data.formats import check_path, file_format
from guiapp.core.data.tables import read_excel, read_table
from guiapp.core.data.text_format import NULLS, _opener, sniff
from guiapp.core.study.column_names import missing_column_words

SAMPLE_ID = "sample_id"
# Feature IDs (Ensembl, RefSeq, Illumina and Affymetrix probes, UniProt) and sample names
# (GEO, TCGA, SRA, BioSample) that only turn up in those places.
_FEATURE_ID = re.compile(
    r"^(ENS[A-Z]*[GTP]\d{6,}(\.\d+)?|ILMN_\d+|\d+(_[a-z])?_at|[NX][MR]_\d+(\.\d+)?|"
    r"[OPQ]\d[A-Z0-9]{3}\d|cg\d{8})$"
)
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
    id_rule: str = ""  # how the IDs were matched when not as written, in words ("a suffix 'fb' differs ...")
    id_advice: str = ""  # when some IDs did not match: the difference seen and the fix

    def to_dict(self) -> dict:
        return asdict(self)


def looks_transposed(table: pd.DataFrame, label: str = "", sheet_ids=None, n_rows: int | None = None) -> str | None:
    """Why the table seems to hold features as rows and samples as columns, or None.

    The signs: the first column (and at most two more) holds text naming each row, every other
    column is numeric, the label is not a column, and either a sample sheet's IDs are the
    column names, or there are many more rows than columns, or the row and column names are
    feature IDs (Ensembl, probes…) and sample names (GEO, TCGA, SRA…).

    ``n_rows`` is the file's row count when ``table`` holds only its first rows. ``sheet_ids``
    is a list of IDs, or a dict of them by sheet column; they may differ from the column names
    by one unambiguous rule (:mod:`guiapp.core.data.sample_ids`).
    """
    n_rows = table.shape[0] if n_rows is None else n_rows
    if label and label in table.columns:
        return None
    if table.shape[1] < 3 or table.shape[0] < 3:
        return None
    first = table.columns[0]
    numeric_flags = [pd.api.types.is_numeric_dtype(table[c]) for c in table.columns[1:]]
    lead = next((i for i, f in enumerate(numeric_flags) if f), len(numeric_flags))
    numeric = [c for c, f in zip(table.columns[1:], numeric_flags, strict=False) if f]
    if lead > 2 or not numeric or not all(numeric_flags[lead:]) or pd.api.types.is_float_dtype(table[first]):
        return None
    ids = table[first].astype(str)
    if ids.nunique() < 0.95 * len(ids):
        return None
    if sheet_ids is not None:
        groups = list(sheet_ids.values()) if isinstance(sheet_ids, dict) else [sheet_ids]
        names, rows = [str(c) for c in numeric], set(ids)
        by_column, by_row, said = 0, 0, ""
        for group in groups:
            group = [str(v) for v in group]
            m = I.best_rule(names, group)
            hits = m.matched if m.applies else m.exact
            if hits > by_column:
                by_column, said = hits, ("" if m.exact == hits else f"; {m.rule.words}")
            by_row = max(by_row, len(set(group) & rows))
        if by_column > by_row:
            return f"the sample sheet's IDs are the column names ({by_column} of them match{said})"
        return None
    if n_rows >= 3 * table.shape[1] and n_rows >= 50:
        return (
            f"it has {n_rows:,} rows but only {table.shape[1]:,} columns, all numeric but "
            f"the first ({first!r}), which names each row"
        )
    sample = ids.iloc[:500]
    feature_like = np.mean([bool(_FEATURE_ID.match(v)) for v in sample])
    sample_like = np.mean([bool(_SAMPLE_NAME.match(str(c))) for c in numeric])
    if feature_like > 0.8 and sample_like > 0.8:
        return (
            f"the first column ({first!r}) holds feature IDs like {sample.iloc[0]!r} and the other "
            f"columns are named like samples ({numeric[0]!r}…)"
        )
    return None


HEAD_ROWS = 200


@dataclass
class OrientationHint:
    """A table that looks like features × samples, said before loading it."""

    words: str  # for the Data page: what was seen, in plain words
    reason: str  # what :func:`looks_transposed` said
    n_rows: int
    n_columns: int


def peek_orientation(
    path: os.PathLike, *, label: str = "", samples: str = "", sheet: str = "", sheet_id: str = ""
) -> OrientationHint | None:
    """Whether a table file looks like genes × samples, from its header and first rows.

    Reads :data:`HEAD_ROWS` rows plus the row count (a pass over the lines of a text file,
    the footer of a Parquet file), so the Data page can offer to turn the table as soon as
    the file is chosen. ``samples`` is the sample sheet, whose IDs may name the columns.
    AnnData files, FASTA and image folders are never turned: None.
    """
    path = check_path(path)
    head, n_rows = _head_and_rows(path, file_format(path), sheet)
    if head is None:
        return None
    sheet_ids = None
    if samples:
        sheet_table = read_table(check_path(samples), min_rows=1)
        keys = (
            [sheet_id]
            if sheet_id in sheet_table.columns
            else [c for c in sheet_table.columns if not pd.api.types.is_float_dtype(sheet_table[c])]
        )
        sheet_ids = {str(k): [str(v) for v in sheet_table[k].dropna()] for k in keys}
    reason = looks_transposed(head, label, sheet_ids, n_rows=n_rows)
    if not reason:
        return None
    first = head.columns[0]
    numeric = [c for c in head.columns[1:] if pd.api.types.is_numeric_dtype(head[c])]
    example = str(head[first].iloc[0])
    rows = (
        f"{n_rows:,} rows named like genes or probes ({example}…)"
        if _FEATURE_ID.match(example)
        else f"{n_rows:,} rows, each named in the first column ({first!r})"
    )
    cols = f"{len(numeric):,} columns of numbers"
    if sheet_ids is not None:
        cols += " named by the sample sheet's IDs"
    elif _SAMPLE_NAME.match(str(numeric[0])):
        cols += f" named like samples ({numeric[0]}…)"
    words = (
        f"{rows} and {cols}: this looks like genes × samples, one sample per column. Tenfold will "
        "turn the table so that each sample is a row; untick this to keep the file as it is."
    )
    return OrientationHint(words=words, reason=reason, n_rows=n_rows, n_columns=head.shape[1])


def _head_and_rows(path, fmt: str, sheet: str) -> tuple[pd.DataFrame | None, int]:
    """The first :data:`HEAD_ROWS` rows of a table file and its number of data rows."""
    if fmt == "text":
        fmt_ = sniff(path)
        try:
            head = pd.read_csv(
                path,
                sep=fmt_.delimiter,
                encoding=fmt_.encoding,
                decimal=fmt_.decimal,
                skiprows=fmt_.skip_rows,
                nrows=HEAD_ROWS,
                na_values=NULLS,
                keep_default_na=False,
            )
        except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise E.MalformedFileError(f"{path.name}: the first rows could not be read ({exc}).") from None
        lines, last = 0, b"\n"
        with _opener(path)(path) as fh:
            for chunk in iter(lambda: fh.read(1 << 22), b""):
                lines += chunk.count(b"\n")
                last = chunk[-1:]
        lines += last != b"\n"
        return head, max(lines - fmt_.skip_rows - 1, 0)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        try:
            pf = pq.ParquetFile(path)
            batch = next(pf.iter_batches(batch_size=HEAD_ROWS), None)
        except Exception:
            raise E.MalformedFileError(f"{path.name} is not a readable Parquet file.") from None
        if batch is None:
            return None, 0
        return batch.to_pandas(), pf.metadata.num_rows
    if fmt == "excel":
        table = read_excel(path, sheet=sheet)  # openpyxl reads whole sheets; workbooks are small
        return table, len(table)
    return None, 0


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
            "After turning the table each feature must be one column: remove or rename the copy."
        )
    samples = [str(c) for c in numeric]
    if len(set(samples)) < len(samples):
        raise E.DuplicateSampleIdError(f"{file_name}: two sample columns have the same name.")
    values = table[numeric].to_numpy(dtype=np.float32).T
    out = pd.DataFrame(values, columns=names.tolist(), copy=False)
    out.insert(0, SAMPLE_ID, samples)
    return out


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
    data_candidates = (
        {data_key: (keys or {}).get(data_key, table.get(data_key))} if data_key else _key_candidates(table, keys)
    )
    sheet_candidates = [sheet_key] if sheet_key else [str(c) for c in sheet.columns]
    best, score = (0, "", "", None), (-1, -1)
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
    overlap, dk, sk, match = best
    if overlap == 0:
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
        raise E.SampleSheetMismatchError(
            f"No sample ID of {sheet_name} matches a sample of {data_name}. The data's IDs look like "
            f"{d_ex}; the sheet's first column holds {s_ex}. {advice}"
        )
    rule = match.rule if (match.applies and id_match == "auto") else I.EXACT
    sheet_ids = _norm(sheet[sk])
    if sheet_ids.duplicated().any():
        dup = sheet_ids[sheet_ids.duplicated()].iloc[0]
        rows = (np.flatnonzero(sheet_ids.to_numpy() == dup) + 2).tolist()
        raise E.DuplicateSampleIdError(
            f"{sheet_name} lists sample {dup!r} more than once (lines {', '.join(map(str, rows[:5]))}). "
            "Each sample needs exactly one row: remove or merge the copies."
        )
    data_ids = _norm(data_candidates[dk])
    if data_ids.duplicated().any():
        dup = data_ids[data_ids.duplicated()].iloc[0]
        raise E.DuplicateSampleIdError(
            f"{data_name} has sample ID {dup!r} more than once in {dk!r}, so the sample sheet cannot tell "
            "them apart. Make the IDs unique."
        )
    extra = sheet.drop(columns=[sk])
    extra.columns = [c if c not in table.columns else f"{c} (sheet)" for c in map(str, extra.columns)]
    sheet_keys, data_keys = rule.keys(sheet_ids, "sheet"), rule.keys(data_ids, "data")
    position = pd.Series(np.arange(len(sheet)), index=sheet_keys)
    where = position.reindex(data_keys).to_numpy()
    found = ~np.isnan(where)
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
