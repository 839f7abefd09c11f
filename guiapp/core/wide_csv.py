"""Large delimited tables read in pieces of whole lines, straight into one float32 matrix.

pyarrow parses each piece; the numbers go into a preallocated column-major float32 matrix
that becomes the DataFrame's one block, and the piece's memory is handed back before the
next. pyarrow's reader needs scratch memory per column per call, so a wide table's columns
are parsed a few thousand at a time (in even groups: each call tokenizes the whole piece): a
2,000 × 20,000 table then peaks under twice its float32 size, where one ``read_csv`` call
holds seven times as much.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd

from guiapp.core.tasks import ProgressFn, StopFn, check_stop
from guiapp.core.text_tables import NULLS, TextFormat, _block_size, _options, _to_pandas

COLUMN_GROUP = 7000  # columns per call at most; 20,000 columns go in three even groups
PIECE_BYTES = 32 << 20
BLOCKS_PER_PIECE = 2
RELEASE_EACH_GROUP = True
# One thread per call: a call's time goes mostly to setting up its thousands of columns, which a
# second thread hardly speeds up, while a second block parsed at once holds ~45 MB more. On two
# cores, 2,000 × 20,000 in three groups on one thread: 3.2 s and 1.9× the float32 matrix; in four
# groups on two threads: 3.1 s and 2.05×.
USE_THREADS = False
# pyarrow builds a lookup of the null and true/false spellings for every column of every call;
# the wide reader starts with the common ones and adds any other of text_tables.NULLS it meets.
WIDE_NULLS = ["", "NA", "NaN", "nan"]
# pyarrow's words for a cell that does not fit its column's type (one thread also names the row)
_CONVERSION_ERROR = re.compile(r"column #(\d+): (?:Row #\d+: )?CSV conversion error to \w+: invalid value '(.*)'", re.S)


class _Widen(Exception):
    """A column typed as a number from the first rows holds text (or another null spelling) further down."""

    def __init__(self, column: str, value: str = ""):
        super().__init__(column)
        self.column, self.value = column, value


def _release_memory() -> None:
    """Hand freed scratch memory back to the system (glibc and Arrow's allocator keep it otherwise)."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def read_in_pieces(path: Path, fmt: TextFormat, progress: ProgressFn,
                    should_stop: Optional[StopFn]) -> Optional[pd.DataFrame]:
    """Read a large table piece by piece; None when the careful whole-file reader must do it."""
    import pyarrow as pa

    names = [n if n else f"Unnamed: {i}" for i, n in enumerate(fmt.header)]
    try:
        types = _first_types(path, fmt, names)
    except pa.ArrowInvalid:
        return None
    finally:  # the first rows as Python strings (~20 MB on 20,000 columns) go back to the system
        _release_memory()
    numeric = [n for n in names if types[n] == pa.float32()]
    if len(numeric) < 0.5 * len(names):
        return None
    nulls = list(WIDE_NULLS)
    for _attempt in range(12):
        try:
            return _fill(path, fmt, names, types, nulls, progress, should_stop)
        except _Widen as w:
            if w.value in NULLS and w.value not in nulls:
                nulls.append(w.value)
            else:
                types[w.column] = pa.string()
        except pa.ArrowInvalid:
            return None
        finally:
            _release_memory()
    return None


def _first_types(path: Path, fmt: TextFormat, names: list) -> dict:
    """Column types from the first rows: numbers become float32, a running row number stays integer.

    Read with Python's csv module and pandas' number parser, all columns at once: pyarrow's
    inference costs a fixed time per column, more than the first rows are worth on 20,000.
    """
    import csv

    import pyarrow as pa

    head = []
    with open(path, encoding=fmt.encoding, errors="replace", newline="") as fh:
        for _ in range(fmt.skip_rows + 1):
            fh.readline()
        size = 0
        while len(head) < 200 and size < (2 << 20):
            line = fh.readline()
            if not line:
                break
            head.append(line)
            size += len(line)
    rows = [r for r in csv.reader(head, delimiter=fmt.delimiter) if r]
    if not rows or any(len(r) != len(names) for r in rows):
        raise pa.ArrowInvalid("the first rows do not match the header")
    cells = np.char.strip(np.array(rows, dtype=str))
    null = np.isin(cells, NULLS)
    text = np.char.replace(cells, ",", ".") if fmt.decimal == "," else cells
    numbers = pd.to_numeric(pd.Series(text.ravel()), errors="coerce").to_numpy(dtype=float).reshape(cells.shape)
    parsed = ~np.isnan(numbers)
    numeric = (parsed | null).all(axis=0)
    # The text checks only where they can matter (lower-casing 300,000 cells takes 0.1 s):
    # whole numbers among the numeric columns, true/false among the others.
    whole = numeric & (~parsed | (np.mod(np.where(parsed, numbers, 0), 1) == 0)).all(axis=0)
    some = np.flatnonzero(whole)
    if len(some):
        written = text[:, some]
        whole[some] = ~((np.char.find(written, ".") >= 0) | (np.char.find(np.char.lower(written), "e") >= 0)).any(axis=0)
    boolean = np.zeros(len(names), dtype=bool)
    rest = np.flatnonzero(~numeric)
    if len(rest):
        words, empty = np.char.lower(cells[:, rest]), null[:, rest]
        boolean[rest] = (np.isin(words, ["true", "false"]) | empty).all(axis=0) & ~empty.all(axis=0)
    types = {}
    for j, name in enumerate(names):
        if boolean[j]:
            types[name] = pa.bool_()
        elif numeric[j]:
            values = numbers[:, j][parsed[:, j]]
            running = whole[j] and len(values) > 1 and bool(np.all(np.diff(values) == 1))
            types[name] = pa.int64() if running else pa.float32()
        else:
            types[name] = pa.string()
    return types


def _fill(path: Path, fmt: TextFormat, names: list, types: dict, nulls: list, progress: ProgressFn,
          should_stop: Optional[StopFn]) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    size = path.stat().st_size
    numeric = [n for n in names if types[n] == pa.float32()]
    column_of = {n: j for j, n in enumerate(numeric)}
    # Even groups: a last group of two columns would cost a whole call.
    width = -(-len(names) // -(-len(names) // COLUMN_GROUP))
    groups = [names[g:g + width] for g in range(0, len(names), width)]
    other: dict = {n: [] for n in names if n not in column_of}
    block = min(_block_size(path, fmt), PIECE_BYTES // BLOCKS_PER_PIECE)
    body = TextFormat(fmt.encoding, fmt.delimiter, fmt.decimal)
    plans = []  # each group's reader options and numeric columns, built once (6,000 names each)
    for group in groups:
        read, parse, convert = _options(body, {n: types[n] for n in group}, block)
        read.column_names = names
        read.use_threads = USE_THREADS
        convert.include_columns = group
        convert.null_values = nulls
        if not any(types[n] == pa.bool_() for n in group):
            convert.true_values, convert.false_values = [], []
        plans.append((group, read, parse, convert, [n for n in group if n in column_of]))
    buffer = bytearray(PIECE_BYTES)
    matrix, rows, kept = None, 0, 0
    with open(path, "rb") as fh:
        for _ in range(fmt.skip_rows + 1):
            fh.readline()
        body_start = fh.tell()
        while True:
            check_stop(should_stop)
            if kept == len(buffer):  # a single row longer than the buffer
                buffer.extend(bytearray(len(buffer)))
            got = fh.readinto(memoryview(buffer)[kept:])
            end = kept + got
            cut = buffer.rfind(b"\n", 0, end) + 1 if got else end
            if got and cut == 0:
                kept = end
                continue
            piece = memoryview(buffer)[:cut]
            if bytes(piece[:65536]).strip():
                k = None
                for group, read, parse, convert, nums in plans:
                    try:
                        part = pcsv.read_csv(pa.BufferReader(pa.py_buffer(piece)), read_options=read,
                                             parse_options=parse, convert_options=convert)
                    except pa.ArrowInvalid as exc:
                        m = _CONVERSION_ERROR.search(str(exc))
                        if m and int(m.group(1)) < len(names):
                            raise _Widen(names[int(m.group(1))], m.group(2)) from None
                        raise
                    k = part.num_rows
                    if matrix is None:  # rows of the whole file, from this piece's bytes per row
                        estimate = int((size - body_start) / max(1, cut / max(k, 1)) * 1.02) + 16
                        matrix = np.empty((estimate, len(numeric)), dtype=np.float32, order="F")
                    if rows + k > matrix.shape[0]:
                        grown = np.empty((int((rows + k) * 1.3), len(numeric)), dtype=np.float32, order="F")
                        grown[:rows] = matrix[:rows]
                        matrix = grown
                    if nums:
                        j, r = column_of[nums[0]], rows
                        numbers = part.select(nums)
                        # null_to_nan makes a strided tensor that is slow to copy: only when needed
                        holes = any(c.null_count for c in numbers.columns)
                        for b in numbers.to_batches():
                            matrix[r:r + b.num_rows, j:j + len(nums)] = np.asarray(
                                b.to_tensor(null_to_nan=holes, row_major=False))
                            r += b.num_rows
                        del numbers
                    for n in group:
                        if n in other:
                            other[n].append(part.column(n))
                    del part
                    if RELEASE_EACH_GROUP:
                        _release_memory()
                rows += k or 0
                if not RELEASE_EACH_GROUP:
                    _release_memory()
                progress(min(0.95, fh.tell() / max(size, 1)), f"Reading {path.name}")
            del piece
            if not got:
                break
            kept = end - cut
            buffer[:kept] = buffer[cut:end]
    if matrix is None:
        matrix = np.empty((0, len(numeric)), dtype=np.float32, order="F")
    frame = pd.DataFrame(matrix[:rows], columns=numeric, copy=False)
    positions = {n: i for i, n in enumerate(names)}
    for name in other:
        values = pa.chunked_array([c for col in other[name] for c in col.chunks], type=types[name])
        frame.insert(positions[name], name, _to_pandas(pa.table({name: values}), big=False)[name])
    return frame
