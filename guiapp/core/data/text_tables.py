"""Delimited text tables (CSV, TSV, semicolon, pipe): encoding and delimiter sniffed, read by pyarrow.

Small files are read in one call of ``pyarrow.csv.read_csv``. Large ones are read in pieces
of whole lines, each parsed by pyarrow (on all cores) and copied straight into one float32
matrix, so a 2,000 × 20,000 expression table never holds its numbers twice.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from guiapp.core.data import errors as E
from guiapp.core.data.text_format import (
    DELIMITER_NAMES,
    FLOAT32_CELLS,
    TextFormat,
    _block_size,
    _options,
    _to_pandas,
    sniff,
)
from guiapp.core.data.wide_csv import read_in_pieces
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext

PIECEWISE_BYTES = 32 << 20  # files at least this large are read in pieces (guiapp.core.data.wide_csv)


def read_text_table(path: Path, fmt: TextFormat | None = None, *, ctx: TaskContext = NO_CONTEXT) -> pd.DataFrame:
    """Read a delimited text table into a DataFrame (float32 numbers when it is large)."""
    path = Path(path)
    fmt = fmt or sniff(path)
    _check_header(path, fmt.header)
    if len(fmt.header) < 2:
        raise E.SingleColumnError(
            f"{path.name} has a single column. Tenfold needs one column per feature plus a label "
            "column; check the separator (comma for .csv, tab for .tsv)."
        )
    size = path.stat().st_size
    if size >= PIECEWISE_BYTES and fmt.encoding == "utf-8" and path.suffix.lower() not in (".gz", ".bz2"):
        frame = read_in_pieces(path, fmt, ctx=ctx)
        if frame is not None:
            return frame
    ctx.report(0.1, f"Reading {path.name}")
    try:
        table = _read_whole(path, fmt)
    except (OSError, EOFError) as exc:  # a compressed file broken part-way down
        raise E.MalformedFileError(
            f"{path.name} could not be read to its end ({type(exc).__name__}: "
            f"{str(exc)[:80]}). Export or download it again."
        ) from None
    ctx.check()
    ctx.report(0.8, "Converting the table")
    return _to_pandas(table, big=table.num_rows * table.num_columns > FLOAT32_CELLS)


def _check_header(path: Path, header: list) -> None:
    seen: dict = {}
    for i, name in enumerate(header):
        if name and name in seen:
            raise E.DuplicateColumnError(
                f"{path.name} has two columns named {name!r} (columns {seen[name] + 1} and {i + 1}). "
                "Rename one of them so every column has its own name."
            )
        seen[name] = i


def _read_whole(path: Path, fmt: TextFormat, encoding: str | None = None):
    """One ``pyarrow.csv.read_csv`` call; conversion errors retry with a wider column type."""
    import pyarrow as pa  # pyarrow: imported lazily, only when a file is read
    import pyarrow.csv as pcsv

    types: dict = {}
    bad_rows: list = []

    def handler(row):
        bad_rows.append(row)
        return "error"

    for _attempt in range(200):
        read, parse, convert = _options(fmt, types, _block_size(path, fmt), handler, encoding)
        try:
            table = pcsv.read_csv(path, read_options=read, parse_options=parse, convert_options=convert)
        except pa.ArrowInvalid as exc:
            message = str(exc)
            widened = _widen(message, fmt.header, types)
            if widened:
                continue
            if "invalid UTF8" in message or "UTF-8" in message:
                if encoding is None and fmt.encoding == "utf-8":
                    return _read_whole(path, fmt, encoding="cp1252")
                raise E.UnknownEncodingError(
                    f"{path.name} is not UTF-8 text throughout{_column_words(message, fmt.header)}. "
                    "Open it in the program that wrote it and save it again as CSV (UTF-8)."
                ) from None
            if bad_rows or "Expected" in message:
                raise _ragged(path, fmt, bad_rows[0] if bad_rows else None, message) from None
            raise E.MalformedFileError(
                f"{path.name} could not be read as a {DELIMITER_NAMES.get(fmt.delimiter, 'delimited')}-"
                f"separated table: {message.splitlines()[0]}. Check quotes and separators near there."
            ) from None
        except UnicodeDecodeError:
            raise E.UnknownEncodingError(
                f"{path.name} is not a text table in UTF-8, and its characters fit no common encoding "
                "either. Save it again as CSV (UTF-8)."
            ) from None
        return _fix_names(table)
    raise E.MalformedFileError(f"{path.name}: too many columns change type part-way down; save it again as CSV.")


def _column_words(message: str, header: list) -> str:
    m = re.search(r"column #(\d+)", message)
    if m and int(m.group(1)) < len(header):
        return f" (column {header[int(m.group(1))]!r})"
    return ""


def _widen(message: str, header: list, types: dict) -> bool:
    """After 'CSV conversion error to int64: invalid value ...', read that column as float or text."""
    import pyarrow as pa  # pyarrow: imported lazily, only when a file is read

    m = re.search(r"column #(\d+): (?:Row #\d+: )?CSV conversion error to (\w+): invalid value '(.*)'", message, re.S)
    if not m or int(m.group(1)) >= len(header):
        return False
    name, target, value = header[int(m.group(1))], m.group(2), m.group(3)
    if types.get(name) == pa.string():
        return False
    try:
        float(value.replace(",", "."))
        numeric = True
    except ValueError:
        numeric = False
    types[name] = pa.float64() if numeric and target.startswith(("int", "uint")) else pa.string()
    return True


def _ragged(path: Path, fmt: TextFormat, row, message: str) -> E.RaggedRowsError:
    """Name the first line whose number of fields differs from the header's."""
    expected = len(fmt.header)
    line_no, got = None, None
    if row is not None:
        got = row.actual_columns
        target = row.text.rstrip("\r\n")
        with open(path, encoding=fmt.encoding, errors="replace", newline="") as fh:
            for i, line in enumerate(fh, start=1):
                if line.rstrip("\r\n") == target and i > fmt.skip_rows + 1:
                    line_no = i
                    break
    where = f"line {line_no}" if line_no else "one line"
    fields = f" has {got} fields" if got is not None else " has a different number of fields"
    return E.RaggedRowsError(
        f"{path.name} could not be read as a {DELIMITER_NAMES.get(fmt.delimiter, 'delimited')}-separated "
        f"table: {where}{fields} but the header has {expected}. Check that every row has the same "
        "number of columns as the header (a stray separator, or a missing value without its separator)."
    )


def _fix_names(table):
    names = [n if n else f"Unnamed: {i}" for i, n in enumerate(table.column_names)]
    return table.rename_columns(names) if names != table.column_names else table
