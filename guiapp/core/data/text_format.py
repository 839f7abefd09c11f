"""How a delimited text table is written, and the pyarrow pieces both text readers share.

:func:`sniff` finds the encoding, delimiter, decimal mark and header of a CSV, TSV, semicolon
or pipe table from its first bytes (refusing a binary file with what it looks like);
:func:`_options`, :func:`_block_size` and :func:`_to_pandas` are the pyarrow reading options and
the Arrow → pandas conversion used by :mod:`guiapp.core.data.text_tables` (small files, read whole)
and :mod:`guiapp.core.data.wide_csv` (large ones, read in pieces).
"""

from __future__ import annotations

import bz2
import codecs
import csv
import gzip
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from guiapp.core.data import errors as E

DELIMITERS = (",", "\t", ";", "|")
DELIMITER_NAMES = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe"}
EXTENSION_DELIMITER = {".csv": ",", ".tsv": "\t", ".tab": "\t"}
NULLS = [
    "",
    "#N/A",
    "#N/A N/A",
    "#NA",
    "-1.#IND",
    "-1.#QNAN",
    "-NaN",
    "-nan",
    "1.#IND",
    "1.#QNAN",
    "<NA>",
    "N/A",
    "NA",
    "NULL",
    "NaN",
    "None",
    "n/a",
    "nan",
    "null",
]
FLOAT32_CELLS = 4_000_000  # numeric cells above which numbers are kept as float32
HEAD_BYTES = 1 << 20
# Bytes that open a file of another kind, and what to say about it.
MAGIC = (
    (b"PK\x03\x04", "a zip archive (an Excel .xlsx workbook is one): save it as .xlsx or export CSV"),
    (b"\x1f\x8b", "gzip-compressed: name it .csv.gz or .tsv.gz, or unpack it first"),
    (b"PAR1", "a Parquet file: name it .parquet"),
    (b"\x89HDF", "an HDF5 file (AnnData is one): name it .h5ad"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"%PDF", "a PDF document"),
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls or Word file: save it as .xlsx or CSV"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
)
# Non-ASCII characters a Windows-1252 lab table plausibly holds (accents, units, symbols).
_PLAUSIBLE = set("µ°±²³§€£¥©®–—‘’“”•…½¼¾×÷·¿¡«»") | {chr(c) for c in range(0xC0, 0x100)}


@dataclass
class TextFormat:
    """How a text table is written: what the sniffing found."""

    encoding: str = "utf-8"
    delimiter: str = ","
    decimal: str = "."
    skip_rows: int = 0  # leading comment lines
    header: list = field(default_factory=list)


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _decode_head(path: Path, head: bytes, complete: bool) -> tuple[str, str]:
    """The encoding of the file and its first bytes as text; raise if it is not text."""
    name = path.name
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8", head[3:].decode("utf-8", errors="ignore")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", head.decode("utf-16", errors="ignore")
    if b"\x00" in head:
        even, odd = head[0::2], head[1::2]
        if head and odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
            return "utf-16-le", head.decode("utf-16-le", errors="ignore")
        if head and even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
            return "utf-16-be", head.decode("utf-16-be", errors="ignore")
    for magic, what in MAGIC:
        if head.startswith(magic):
            raise E.BinaryFileError(f"{name} is not a text table in UTF-8: it looks like {what}.")
    controls = sum(head.count(bytes([c])) for c in range(32) if c not in (9, 10, 12, 13))
    if b"\x00" in head or controls > max(2, 0.01 * len(head)):
        first = min(head.index(bytes([c])) for c in range(32) if c not in (9, 10, 12, 13) and bytes([c]) in head)
        raise E.BinaryFileError(
            f"{name} is not a text table in UTF-8: it holds binary bytes (the first at byte {first:,}, "
            "line "
            f"{_line_of(head, first)}). Is it a spreadsheet, an image or a compressed file? "
            "Export the table as CSV (UTF-8) and load that."
        )
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        return "utf-8", decoder.decode(head, final=complete)
    except UnicodeDecodeError as exc:
        bad = exc.start
    try:
        text = head.decode("cp1252")
    except UnicodeDecodeError:
        text = None
    if text is not None:
        unusual = [ch for ch in text if ord(ch) > 127]
        visible = sum(1 for ch in text if not ch.isspace())
        if all(ch in _PLAUSIBLE for ch in unusual) and len(unusual) <= max(5, 0.05 * visible):
            return "cp1252", text
    raise E.UnknownEncodingError(
        f"{name} is not a text table in UTF-8, and its characters fit no common encoding either "
        f"(byte 0x{head[bad]:02x} at line {_line_of(head, bad)}). Open it in the program that "
        "wrote it and save it again as CSV (UTF-8)."
    )


def _split_fields(line: str, sep: str) -> list[str]:
    """Fields of one line, honouring double quotes (enough for sniffing)."""
    if '"' not in line:
        return [f.strip() for f in line.split(sep)]

    try:
        fields = next(csv.reader([line], delimiter=sep))
    except (csv.Error, StopIteration):
        fields = line.split(sep)
    return [f.strip().strip('"').strip() for f in fields]


def sniff(path: Path) -> TextFormat:
    """Encoding, delimiter, decimal mark and header of a text table, from its first bytes."""

    path = Path(path)
    opener = _opener(path)
    try:
        with opener(path) as fh:
            head = fh.read(HEAD_BYTES)
            while head.count(b"\n") < 3 and len(head) < (64 << 20):
                more = fh.read(HEAD_BYTES * 4)
                if not more:
                    break
                head += more
            complete = not fh.read(1)
    except (OSError, EOFError, zlib.error, ValueError) as exc:  # a broken .gz or .bz2
        raise E.MalformedFileError(
            f"{path.name} cannot be unpacked ({type(exc).__name__}: {str(exc)[:80]}). Unpack it with your "
            "archive tool to check it, or export the table again."
        ) from None
    if not head.strip():
        raise E.EmptyFileError(f"{path.name} is empty. Choose the file that holds your samples.")
    encoding, text = _decode_head(path, head, complete)
    lines = text.splitlines()
    if not complete and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut off
    skip = 0
    while skip < len(lines) and lines[skip].startswith("#"):
        skip += 1
    body = [ln for ln in lines[skip : skip + 50] if ln.strip()]
    if not body:
        raise E.EmptyFileError(f"{path.name} holds only comment lines (starting with '#'); no table.")
    sep = _choose_delimiter(body, EXTENSION_DELIMITER.get(_suffix(path)))
    header = _split_fields(body[0], sep)
    decimal = "."
    if sep == ";":
        cells = [f for ln in body[1:] for f in _split_fields(ln, sep)]
        commas = sum(bool(re.fullmatch(r"-?\d+,\d+", c)) for c in cells)
        dots = sum(bool(re.fullmatch(r"-?\d+\.\d+", c)) for c in cells)
        decimal = "," if commas > dots else "."
    return TextFormat(encoding=encoding, delimiter=sep, decimal=decimal, skip_rows=skip, header=header)


def _choose_delimiter(lines: list[str], preferred: str | None) -> str:
    """The delimiter that splits the header into the most columns, the same number on every line."""
    best = preferred or ","
    best_score: tuple[float, float] = (0, 0)
    for sep in DELIMITERS:
        counts = [len(_split_fields(ln, sep)) for ln in lines[:20]]
        if counts[0] < 2:
            continue
        consistent = sum(c == counts[0] for c in counts) / len(counts)
        score = (round(consistent, 1), counts[0] if sep != preferred else counts[0] + 0.5)
        if score > best_score:
            best, best_score = sep, score
    return best


def _suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in (".gz", ".bz2"):
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def _opener(path: Path):
    suffix = path.suffix.lower()
    if suffix == ".gz":
        return lambda p: gzip.open(p, "rb")
    if suffix == ".bz2":
        return lambda p: bz2.open(p, "rb")
    return lambda p: open(p, "rb")


def _options(
    fmt: TextFormat,
    column_types: dict | None = None,
    block_size: int = 1 << 22,
    handler=None,
    encoding: str | None = None,
):
    import pyarrow.csv as pcsv  # pyarrow: imported lazily, only when a file is read

    read = pcsv.ReadOptions(
        encoding=encoding or fmt.encoding, skip_rows=fmt.skip_rows, block_size=block_size, use_threads=True
    )
    parse = pcsv.ParseOptions(delimiter=fmt.delimiter, invalid_row_handler=handler)
    convert = pcsv.ConvertOptions(
        null_values=NULLS,
        strings_can_be_null=True,
        decimal_point=fmt.decimal,
        column_types=column_types or {},
        timestamp_parsers=[],
    )
    return read, parse, convert


def _block_size(path: Path, fmt: TextFormat) -> int:
    """Blocks of a few dozen rows at least: a wide table in 1 MB blocks is very slow to parse."""
    row_bytes = sum(len(h) + 8 for h in fmt.header)
    return int(min(64 << 20, max(1 << 22, 64 * row_bytes)))


def _to_pandas(table, big: bool) -> pd.DataFrame:
    """Arrow → pandas; dates stay text (as pandas reads them); large numbers become float32."""
    import pyarrow as pa  # pyarrow: imported lazily, only when a file is read

    for i, f in enumerate(table.schema):
        if pa.types.is_date(f.type) or pa.types.is_timestamp(f.type) or pa.types.is_time(f.type):
            table = table.set_column(i, f.name, table.column(i).cast(pa.string()))
        elif big and (pa.types.is_floating(f.type) or (pa.types.is_integer(f.type) and not _running(table.column(i)))):
            table = table.set_column(i, f.name, table.column(i).cast(pa.float32()))
    frame = table.to_pandas(self_destruct=True)
    return frame


def _running(column) -> bool:
    """An integer column counting 0, 1, 2… or 1, 2, 3… (a row index: keep it as integers)."""
    values = column.to_numpy(zero_copy_only=False)
    return len(values) > 1 and bool(np.all(np.diff(values[:10_000]) == 1))
