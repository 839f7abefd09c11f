"""Orientation: say when a table holds genes × samples (one sample per column), and turn it.

Expression matrices often come with features as rows and one column per sample.
:func:`looks_transposed` says when a table seems to be turned; :func:`peek_orientation` says
it from the file's first rows, before loading; :func:`transpose_table` turns it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from guiapp.core.data import errors as E
from guiapp.core.data import sample_ids as I
from guiapp.core.data.formats import check_path, file_format
from guiapp.core.data.tables import read_excel, read_table
from guiapp.core.data.text_format import NULLS, _opener, sniff

SAMPLE_ID = "sample_id"
# Feature IDs (Ensembl, RefSeq, Illumina and Affymetrix probes, UniProt) and sample names
# (GEO, TCGA, SRA, BioSample) that only turn up in those places.
_FEATURE_ID = re.compile(
    r"^(ENS[A-Z]*[GTP]\d{6,}(\.\d+)?|ILMN_\d+|\d+(_[a-z])?_at|[NX][MR]_\d+(\.\d+)?|"
    r"[OPQ]\d[A-Z0-9]{3}\d|cg\d{8})$"
)
_SAMPLE_NAME = re.compile(r"^(GSM\d+|TCGA-\w\w-\w{4}.*|[SED]RR\d+|SAM[NED]A?\d+)$")


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


def read_head(path: os.PathLike | str, *, sheet: str = "") -> pd.DataFrame | None:
    """The first :data:`HEAD_ROWS` rows of a table file (text, Parquet, Excel); None for other formats."""
    path = check_path(path)
    fmt = file_format(path)
    if fmt == "text":
        return _text_head(path)
    return _head_and_rows(path, fmt, sheet)[0] if fmt in ("parquet", "excel") else None


def _text_head(path) -> pd.DataFrame:
    fmt_ = sniff(path)
    try:
        return pd.read_csv(
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


def _head_and_rows(path, fmt: str, sheet: str) -> tuple[pd.DataFrame | None, int]:
    """The first :data:`HEAD_ROWS` rows of a table file and its number of data rows."""
    if fmt == "text":
        fmt_ = sniff(path)
        head = _text_head(path)
        lines, last = 0, b"\n"
        with _opener(path)(path) as fh:
            for chunk in iter(lambda: fh.read(1 << 22), b""):
                lines += chunk.count(b"\n")
                last = chunk[-1:]
        lines += last != b"\n"
        return head, max(lines - fmt_.skip_rows - 1, 0)
    if fmt == "parquet":
        import pyarrow.parquet as pq  # pyarrow: imported lazily, only when a file is read

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
