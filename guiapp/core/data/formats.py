"""Which kind of data a path holds: the format a file's name says, and the modality a folder holds.

The lowest layer of the readers: :func:`file_format`, :func:`modality_of`, :func:`check_path`
and :func:`describe_format` look at names and folders only, never at a file's contents.
"""

from __future__ import annotations

import os
from pathlib import Path

from guiapp.core.data import errors as E

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


def check_path(path: os.PathLike | str, *, folder_ok: bool = False) -> Path:
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
