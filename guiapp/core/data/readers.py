"""Which kind of data a path holds, and reading tables of every format biologists bring.

Text tables (CSV, TSV, .txt, optionally .gz) go through :mod:`guiapp.core.data.text_tables`;
Parquet through pyarrow; Excel workbooks through openpyxl; AnnData ``.h5ad`` through
:mod:`guiapp.core.data.anndata_io`. Image folders and FASTA files are read by
:mod:`guiapp.core.data.images` and :mod:`guiapp.core.data.sequences`. Every problem is a named
:class:`~guiapp.core.study.errors.DataError` from :mod:`guiapp.core.data.errors`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from guiapp.core.data import errors as E
from guiapp.core.study.task_context import ProgressFn, no_progress

# Kept for callers of the walking skeleton: suffix -> delimiter (None: sniffed).
TABLE_SUFFIXES = {".csv": ",", ".tsv": "\t", ".txt": None, ".tab": "\t"}
TEXT_SUFFIXES = set(TABLE_SUFFIXES)
PARQUET_SUFFIXES = {".parquet", ".pq"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
H5AD_SUFFIXES = {".h5ad"}
FASTA_SUFFIXES = {".fa", ".fasta", ".fna", ".faa", ".ffn", ".fas", ".frn"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}
COMPRESSED = {".gz", ".bz2"}
MIN_ROWS = 10
FORMATS_IN_WORDS = "CSV/TSV/TXT (optionally .gz), Parquet, Excel .xlsx, AnnData .h5ad, FASTA, or a folder of images"


def base_suffix(path: os.PathLike) -> str:
    """The suffix that names the format: ``.csv`` for ``x.csv.gz``."""
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] in COMPRESSED:
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def folder_kind(folder: os.PathLike, *, look_at: int = 5000) -> str:
    """``fasta`` for a folder of FASTA files (and no images), else ``images``; looks at few files."""
    images = fasta = 0
    for i, p in enumerate(Path(folder).rglob("*")):
        if i >= look_at:
            break
        if p.name.startswith(".") or not p.is_file():
            continue
        suffix = base_suffix(p)
        images += suffix in IMAGE_SUFFIXES
        fasta += suffix in FASTA_SUFFIXES
    return "fasta" if fasta and not images else "images"


def file_format(path: os.PathLike) -> str:
    """``text``, ``parquet``, ``excel``, ``h5ad``, ``fasta`` (a file or a folder of them) or ``images`` (a folder)."""
    path = Path(path)
    if path.is_dir():
        return folder_kind(path)
    suffix = base_suffix(path)
    if suffix in TEXT_SUFFIXES:
        return "text"
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    if suffix in EXCEL_SUFFIXES:
        return "excel"
    if suffix in H5AD_SUFFIXES:
        return "h5ad"
    if suffix in FASTA_SUFFIXES:
        return "fasta"
    return ""


def modality_of(path: os.PathLike) -> str:
    """``image`` for a folder of images, ``sequence`` for FASTA (a file or a folder), else ``table``."""
    fmt = file_format(path)
    return {"images": "image", "fasta": "sequence"}.get(fmt, "table")


def check_path(path: os.PathLike, *, folder_ok: bool = False) -> Path:
    path = Path(path)
    if not path.exists():
        raise E.FileMissingError(f"The file {path} does not exist. Check the path, or choose the file again.")
    if path.is_dir() and not folder_ok:
        raise E.FolderNotTableError(
            f"{path} is a folder, not a table. Choose a .csv or .tsv file inside it (a folder is "
            "read as images, one subfolder per class, when you load it as image data)."
        )
    return path


def _unsupported(path: Path) -> E.UnsupportedFormatError:
    suffix = base_suffix(path)
    if suffix == ".xls":
        return E.UnsupportedFormatError(
            f"{path.name} is an old Excel .xls workbook. Open it in your spreadsheet program and "
            "save it as .xlsx or as CSV, then load that."
        )
    return E.UnsupportedFormatError(
        f"{path.name}: Tenfold reads tables as .csv, .tsv or .txt (one sample per row, a header "
        f"row with column names), Parquet, Excel .xlsx or AnnData .h5ad; '{suffix or 'no extension'}' "
        "is not one of them. Save the table as CSV from your spreadsheet program and load that."
    )


def read_table(
    path: os.PathLike,
    *,
    sheet: str = "",
    min_rows: int = MIN_ROWS,
    progress: ProgressFn = no_progress,
    should_stop=None,
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
        from guiapp.core.data.text_tables import read_text_table

        table = read_text_table(path, progress=progress, should_stop=should_stop)
    elif fmt == "parquet":
        table = read_parquet(path)
    elif fmt == "excel":
        table = read_excel(path, sheet=sheet)
    else:
        from guiapp.core.data.anndata_io import read_h5ad

        table = read_h5ad(path, progress=progress, should_stop=should_stop).table
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
    import pyarrow as pa
    import pyarrow.parquet as pq

    from guiapp.core.data.text_tables import FLOAT32_CELLS, _to_pandas

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
    import zipfile

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
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True)
        try:
            return list(book.sheetnames)
        finally:
            book.close()
    except Exception:
        return []


def read_columns(path: os.PathLike, *, sheet: str = "", modality: str = "") -> list[str]:
    """The column names a file offers (for the label and batch choices), reading little of it.

    ``modality`` ("table", "image", "sequence") overrides what the name suggests: a FASTA
    file named ``.txt`` read as sequences.
    """
    path = check_path(path, folder_ok=True)
    fmt = file_format(path)
    if modality == "sequence":
        fmt = "fasta"
    elif modality == "image" and path.is_dir():
        fmt = "images"
    if fmt == "text":
        from guiapp.core.data.text_tables import sniff

        if path.stat().st_size == 0:
            return []
        return [h if h else f"Unnamed: {i}" for i, h in enumerate(sniff(path).header)]
    if fmt == "parquet":
        import pyarrow.parquet as pq

        try:
            return list(pq.read_schema(path).names)
        except Exception:
            raise E.MalformedFileError(f"{path.name} is not a readable Parquet file.") from None
    if fmt == "excel":
        try:
            import openpyxl

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
        from guiapp.core.data.anndata_io import obs_columns

        return obs_columns(path)
    if fmt == "fasta":
        from guiapp.core.data.sequences import header_columns

        return header_columns(path)
    if fmt == "images":
        from guiapp.core.data.images import image_columns

        return image_columns(path)
    raise _unsupported(path)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__).rstrip(".")[:200]


def describe_format(path: os.PathLike) -> str | None:
    """A few words on the format, for the Data page ("text table", "AnnData file"…)."""
    path = Path(path)
    fmt = file_format(path)
    if fmt == "fasta" and path.is_dir():
        return "folder of FASTA files (one file or subfolder per class)"
    return {
        "text": "text table",
        "parquet": "Parquet table",
        "excel": "Excel workbook",
        "h5ad": "AnnData file",
        "fasta": "FASTA sequences",
        "images": "image folder",
    }.get(fmt)


def detect_format(path: os.PathLike) -> str:
    """What Tenfold will read a path as, in words for the Data page; reads only the first bytes.

    A text table also says its separator and encoding ("text table: comma-separated, UTF-8,
    20,002 columns"). Raises a :class:`DataError` when the file cannot be read at all.
    """
    path = check_path(path, folder_ok=True)
    words = describe_format(path)
    if words is None:
        raise _unsupported(path)
    if words == "text table" and path.stat().st_size:
        from guiapp.core.data.text_tables import DELIMITER_NAMES, sniff

        fmt = sniff(path)
        encoding = {"utf-8": "UTF-8", "cp1252": "Windows-1252"}.get(fmt.encoding, fmt.encoding.upper())
        words += (
            f": {DELIMITER_NAMES.get(fmt.delimiter, repr(fmt.delimiter))}-separated, {encoding}, "
            f"{len(fmt.header):,} columns" + (", decimal comma" if fmt.decimal == "," else "")
        )
    return words
