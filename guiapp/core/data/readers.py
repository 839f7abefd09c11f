"""Which kind of data a path holds, and reading tables of every format biologists bring.

The readers' front door for pages and the CLI. Formats and paths are told apart in
:mod:`guiapp.core.data.formats`; tables (CSV, TSV, .txt, optionally .gz, Parquet, Excel,
AnnData ``.h5ad``) are read by :mod:`guiapp.core.data.tables`; image folders and FASTA files
by :mod:`guiapp.core.data.images` and :mod:`guiapp.core.data.sequences`. Every problem is a
named :class:`~guiapp.core.study.errors.DataError` from :mod:`guiapp.core.data.errors`.
"""

from __future__ import annotations

import os

from guiapp.core.data import errors as E  # noqa: F401  (kept importable from here)
from guiapp.core.data.formats import (  # noqa: F401  (the readers' names, kept importable from here)
    COMPRESSED,
    EXCEL_SUFFIXES,
    FASTA_SUFFIXES,
    FORMATS_IN_WORDS,
    H5AD_SUFFIXES,
    IMAGE_SUFFIXES,
    MIN_ROWS,
    PARQUET_SUFFIXES,
    TABLE_SUFFIXES,
    TEXT_SUFFIXES,
    _unsupported,
    base_suffix,
    check_path,
    describe_format,
    file_format,
    folder_kind,
    modality_of,
)
from guiapp.core.data.images import image_columns
from guiapp.core.data.sequences import header_columns
from guiapp.core.data.tables import (  # noqa: F401  (the readers' names, kept importable from here)
    check_shape,
    excel_sheets,
    read_excel,
    read_parquet,
    read_table,
    table_columns,
)
from guiapp.core.data.text_format import DELIMITER_NAMES, sniff


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
    if fmt == "fasta":
        return header_columns(path)
    if fmt == "images":
        return image_columns(path)
    return table_columns(path, fmt, sheet=sheet)


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
        fmt = sniff(path)
        encoding = {"utf-8": "UTF-8", "cp1252": "Windows-1252"}.get(fmt.encoding, fmt.encoding.upper())
        words += (
            f": {DELIMITER_NAMES.get(fmt.delimiter, repr(fmt.delimiter))}-separated, {encoding}, "
            f"{len(fmt.header):,} columns" + (", decimal comma" if fmt.decimal == "," else "")
        )
    return words
