"""Reading tables of every format biologists bring: one sample per row, a header row.

Text tables (CSV, TSV, .txt, optionally .gz) go through :mod:`guiapp.core.data.text_tables`;
Parquet through pyarrow; Excel workbooks through openpyxl; AnnData ``.h5ad`` through
:mod:`guiapp.core.data.anndata_io`. Every problem is a named
:class:`~guiapp.core.study.errors.DataError` from :mod:`guiapp.core.data.errors`.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pandas as pd

from guiapp.core.data import errors as E
from guiapp.core.data.anndata_io import obs_columns, read_h5ad
from guiapp.core.data.formats import MIN_ROWS, _first_line, _unsupported, check_path, file_format
from guiapp.core.data.text_format import FLOAT32_CELLS, _to_pandas, sniff
from guiapp.core.data.text_tables import read_text_table
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext


def read_table(
    path: os.PathLike,
    *,
    sheet: str = "",
    min_rows: int = MIN_ROWS,
    ctx: TaskContext = NO_CONTEXT,
) -> pd.DataFrame:
    """Read a table (one sample per row, a header row) of any supported format.

    Raises a :class:`DataError` subclass naming the file and what to do on any problem.
    """
    path = check_path(path)
    fmt = file_format(path)
    if fmt in ("", "fasta", "images"):
        raise _unsupported(path)
    if path.stat().st_size == 0:
        raise E.EmptyFileError(f"{path.name} is empty. Choose the file that holds your samples.")
    if fmt == "text":
        table = read_text_table(path, ctx=ctx)
    elif fmt == "parquet":
        table = read_parquet(path)
    elif fmt == "excel":
        table = read_excel(path, sheet=sheet)
    else:
        table = read_h5ad(path, ctx=ctx).table
    check_shape(table, path.name, min_rows=min_rows)
    return table


def check_shape(table: pd.DataFrame, name: str, *, min_rows: int = MIN_ROWS) -> None:
    if table.shape[1] < 2:
        raise E.SingleColumnError(
            f"{name} has a single column. Tenfold needs one column per feature plus a label "
            "column; check the separator (comma for .csv, tab for .tsv)."
        )
    if len(table) < min_rows:
        raise E.TooFewRowsError(
            f"{name} has only {len(table)} rows; a study needs at least {MIN_ROWS} samples."
            if min_rows == MIN_ROWS
            else f"{name} has only {len(table)} rows."
        )
    names = [str(c) for c in table.columns]
    if len(set(names)) < len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise E.DuplicateColumnError(
            f"{name} has two columns named {dup!r}. Rename one of them so every column has its own name."
        )


def read_parquet(path: Path) -> pd.DataFrame:
    import pyarrow as pa  # pyarrow: imported lazily, only when a file is read
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise E.MalformedFileError(
            f"{path.name} is not a readable Parquet file ({_first_line(exc)}). Write it again from "
            "the program that made it, or export the table as CSV."
        ) from None
    return _to_pandas(table, big=table.num_rows * table.num_columns > FLOAT32_CELLS)


def read_excel(path: Path, *, sheet: str = "") -> pd.DataFrame:
    try:
        import openpyxl  # noqa: F401
    except ImportError:
        raise E.UnsupportedFormatError(
            f"{path.name} is an Excel workbook, and reading those needs the openpyxl package "
            "(pip install openpyxl). Or save the sheet as CSV and load that."
        ) from None

    try:
        sheets = pd.read_excel(path, sheet_name=None if not sheet else sheet, engine="openpyxl")
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, EOFError) as exc:
        if sheet and "not found" in str(exc).lower():
            raise E.MalformedFileError(f"{path.name} has no sheet named {sheet!r}.") from None
        raise E.MalformedFileError(
            f"{path.name} is not a readable Excel .xlsx workbook ({_first_line(exc)}). Open it in "
            "your spreadsheet program and save it again as .xlsx, or export the sheet as CSV."
        ) from None
    except Exception as exc:  # openpyxl raises its own kinds for broken workbooks
        raise E.MalformedFileError(
            f"{path.name} is not a readable Excel .xlsx workbook ({type(exc).__name__}). Save it "
            "again as .xlsx, or export the sheet as CSV."
        ) from None
    if isinstance(sheets, dict):
        filled = [(name, frame) for name, frame in sheets.items() if frame.shape[0] and frame.shape[1]]
        if not filled:
            raise E.EmptyFileError(f"{path.name} has no sheet with data. Choose the workbook that holds your samples.")
        table = filled[0][1]
    else:
        table = sheets
    table = table.dropna(how="all").dropna(axis=1, how="all")
    table.columns = [str(c) for c in table.columns]
    return table.reset_index(drop=True)


def excel_sheets(path: os.PathLike) -> list[str]:
    """The sheet names of a workbook (the Data page offers them)."""
    try:
        import openpyxl  # openpyxl: imported lazily, only for workbooks

        book = openpyxl.load_workbook(path, read_only=True)
        try:
            return list(book.sheetnames)
        finally:
            book.close()
    except Exception:
        return []


def table_columns(path: Path, fmt: str, *, sheet: str = "") -> list[str]:
    """The column names of a table file in format ``fmt`` (text, parquet, excel, h5ad), reading little of it."""
    if fmt == "text":
        if path.stat().st_size == 0:
            return []
        return [h if h else f"Unnamed: {i}" for i, h in enumerate(sniff(path).header)]
    if fmt == "parquet":
        import pyarrow.parquet as pq  # pyarrow: imported lazily, as the other readers do

        try:
            return list(pq.read_schema(path).names)
        except Exception:
            raise E.MalformedFileError(f"{path.name} is not a readable Parquet file.") from None
    if fmt == "excel":
        try:
            import openpyxl  # openpyxl: imported lazily, only for workbooks

            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
            try:
                ws = book[sheet] if sheet else book.worksheets[0]
                first = next(ws.iter_rows(max_row=1, values_only=True), ())
            finally:
                book.close()
        except Exception:
            raise E.MalformedFileError(f"{path.name} is not a readable Excel .xlsx workbook.") from None
        return [str(c) if c is not None else f"Unnamed: {i}" for i, c in enumerate(first)]
    if fmt == "h5ad":
        return obs_columns(path)
    raise _unsupported(path)


def read_table_columns(path: os.PathLike, *, sheet: str = "") -> list[str]:
    """The column names of a table file (a label table, a sample sheet), reading little of it."""
    path = check_path(path, folder_ok=True)
    return table_columns(path, file_format(path), sheet=sheet)
