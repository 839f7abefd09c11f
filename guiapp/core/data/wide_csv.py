"""Large delimited tables read in pieces of whole lines, straight into one float32 matrix.

Each piece's numbers go into a preallocated column-major float32 matrix that becomes the
DataFrame's one block, and the piece's memory is handed back before the next. A plain piece
(ASCII, no quotes, numbers in every numeric cell) is parsed by numpy's ``loadtxt``, which
has no per-column cost, and its other columns (an ID first, a label last) are cut from the
lines, row lengths checked, and converted by pyarrow. Any other piece goes to pyarrow, whose reader needs scratch memory per
column per call, so a wide table's columns are then parsed a few thousand at a time (in even
groups: each call tokenizes the whole piece). A 2,000 × 20,000 table peaks under twice its
float32 size either way, where one ``read_csv`` call holds seven times as much; numpy reads it
in 1.9 s where the pyarrow groups took 3.2 s and one ``read_csv`` call 2.6 s (2 cores).
"""

from __future__ import annotations

import csv
import ctypes
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from guiapp.core.data.plain_pieces import _edge_columns, _edge_plan, _plain_lines, _plain_numbers
from guiapp.core.data.text_format import NULLS, TextFormat, _block_size, _options, _to_pandas
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext

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
# the wide reader starts with the common ones and adds any other of text_format.NULLS it meets.
WIDE_NULLS = ["", "NA", "NaN", "nan"]
# Plain pieces' numbers parsed by numpy (no per-column cost); False sends every piece to pyarrow.
NUMPY_NUMBERS = True
# pyarrow's words for a cell that does not fit its column's type (one thread also names the row)
_CONVERSION_ERROR = re.compile(r"column #(\d+): (?:Row #\d+: )?CSV conversion error to \w+: invalid value '(.*)'", re.S)


class _Widen(Exception):
    """A column typed as a number from the first rows holds text (or another null spelling) further down."""

    def __init__(self, column: str, value: str = ""):
        super().__init__(column)
        self.column, self.value = column, value


def _release_memory() -> None:
    """Hand freed scratch memory back to the system (glibc and Arrow's allocator keep it otherwise)."""
    import pyarrow as pa  # pyarrow: imported lazily, only when a file is read

    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def read_in_pieces(path: Path, fmt: TextFormat, *, ctx: TaskContext = NO_CONTEXT) -> pd.DataFrame | None:
    """Read a large table piece by piece; None when the careful whole-file reader must do it."""
    import pyarrow as pa  # pyarrow: imported lazily, only when a file is read

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
            return _fill(path, fmt, names, types, nulls, ctx=ctx)
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

    import pyarrow as pa  # pyarrow: imported lazily, only when a file is read

    head: list[str] = []
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
    with np.errstate(invalid="ignore"):  # inf has no remainder: not a whole number
        whole = numeric & (~parsed | (np.mod(np.where(parsed, numbers, 0), 1) == 0)).all(axis=0)
    some = np.flatnonzero(whole)
    if len(some):
        written = text[:, some]
        whole[some] = ~((np.char.find(written, ".") >= 0) | (np.char.find(np.char.lower(written), "e") >= 0)).any(
            axis=0
        )
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


@dataclass
class _Plan:
    """How each piece is read: the columns, the pyarrow options per group, and the numpy shortcut."""

    names: list
    delimiter: str
    column_of: dict  # numeric column -> its column in the matrix
    plans: list  # (group, read, parse, convert, numeric columns of the group), built once (6,000 names each)
    others_plan: tuple | None  # pyarrow options for the non-numeric columns alone
    plain: bool  # plain pieces' numbers parsed by numpy
    edges: tuple | None  # the text columns at the ends of a row, cut from the lines (see _edge_plan)
    usecols: list | None  # the numeric columns' positions for numpy (None: all)


@dataclass
class _Filled:
    """The float32 matrix filled so far, and the other columns' pieces."""

    width: int
    body_bytes: int
    other: dict  # non-numeric column -> its pieces (pyarrow arrays)
    matrix: np.ndarray | None = None
    rows: int = 0

    def room(self, k: int, piece_bytes: int) -> np.ndarray:
        self.matrix = _room(self.matrix, self.rows, k, self.body_bytes, piece_bytes, self.width)
        return self.matrix


def _fill(
    path: Path, fmt: TextFormat, names: list, types: dict, nulls: list, *, ctx: TaskContext = NO_CONTEXT
) -> pd.DataFrame:
    size = path.stat().st_size
    plan = _plan(path, fmt, names, types, nulls)
    filled = _Filled(width=len(plan.column_of), body_bytes=0, other={n: [] for n in names if n not in plan.column_of})
    buffer = bytearray(PIECE_BYTES)
    kept = 0
    with open(path, "rb") as fh:
        for _ in range(fmt.skip_rows + 1):
            fh.readline()
        filled.body_bytes = size - fh.tell()
        while True:
            ctx.check()
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
                k = _numpy_piece(piece, cut, plan, filled)
                if k is None:
                    k = _arrow_piece(piece, cut, plan, filled)
                filled.rows += k or 0
                if not RELEASE_EACH_GROUP:
                    _release_memory()
                ctx.report(min(0.95, fh.tell() / max(size, 1)), f"Reading {path.name}")
            del piece
            if not got:
                break
            kept = end - cut
            buffer[:kept] = buffer[cut:end]
    return _frame(filled, names, types, list(plan.column_of))


def _plan(path: Path, fmt: TextFormat, names: list, types: dict, nulls: list) -> _Plan:
    """Each group's pyarrow options (even groups: a last group of two columns would cost a whole call)."""
    import pyarrow as pa  # pyarrow: imported lazily, as by every reader

    numeric = [n for n in names if types[n] == pa.float32()]
    column_of = {n: j for j, n in enumerate(numeric)}
    width = -(-len(names) // -(-len(names) // COLUMN_GROUP))
    groups = [names[g : g + width] for g in range(0, len(names), width)]
    other = [n for n in names if n not in column_of]
    block = min(_block_size(path, fmt), PIECE_BYTES // BLOCKS_PER_PIECE)
    body = TextFormat(fmt.encoding, fmt.delimiter, fmt.decimal)
    plans = []
    for group in groups:
        read, parse, convert = _options(body, {n: types[n] for n in group}, block)
        read.column_names = names
        read.use_threads = USE_THREADS
        convert.include_columns = group
        convert.null_values = nulls
        if not any(types[n] == pa.bool_() for n in group):
            convert.true_values, convert.false_values = [], []
        plans.append((group, read, parse, convert, [n for n in group if n in column_of]))
    others_plan = None
    if other:
        read, parse, convert = _options(body, {n: types[n] for n in other}, block)
        read.column_names, read.use_threads = names, USE_THREADS
        convert.include_columns, convert.null_values = list(other), nulls
        others_plan = (read, parse, convert)
    plain = NUMPY_NUMBERS and fmt.decimal == "." and len(numeric) > 0
    edges = _edge_plan(names, [n in other for n in names], types, nulls) if plain and other else None
    usecols = None if len(numeric) == len(names) else [j for j, n in enumerate(names) if n in column_of]
    return _Plan(names, fmt.delimiter, column_of, plans, others_plan, plain, edges, usecols)


def _numpy_piece(piece, cut: int, plan: _Plan, filled: _Filled) -> int | None:
    """A plain piece's numbers by numpy (its text columns cut from the lines); None when pyarrow must read it."""
    lines = _plain_lines(piece) if plan.plain else None
    if lines is None:
        return None
    other, width = filled.other, len(plan.names)
    part = None
    numbers = _plain_numbers(lines, plan.delimiter, plan.usecols, width)
    if numbers is not None and plan.edges is not None:
        part = _edge_columns(lines, plan.delimiter, plan.edges, width)
    elif numbers is not None and plan.others_plan is not None:
        part = _read_part(piece, plan.others_plan, plan.names)
    del lines
    if numbers is None or part is None and other or part is not None and part.num_rows != len(numbers):
        return None  # a ragged row: pyarrow finds it and says where
    k = len(numbers)
    filled.room(k, cut)[filled.rows : filled.rows + k] = numbers
    del numbers
    if part is not None:
        for n in other:
            other[n].append(part.column(n))
    return k


def _arrow_piece(piece, cut: int, plan: _Plan, filled: _Filled) -> int | None:
    """A piece read by pyarrow, a group of columns per call, its numbers copied into the matrix."""
    k = None
    for group, read, parse, convert, nums in plan.plans:
        part = _read_part(piece, (read, parse, convert), plan.names)
        k = part.num_rows
        matrix = filled.room(k, cut)
        if nums:
            j, r = plan.column_of[nums[0]], filled.rows
            numbers = part.select(nums)
            # null_to_nan makes a strided tensor that is slow to copy: only when needed
            holes = any(c.null_count for c in numbers.columns)
            for b in numbers.to_batches():
                matrix[r : r + b.num_rows, j : j + len(nums)] = np.asarray(
                    b.to_tensor(null_to_nan=holes, row_major=False)
                )
                r += b.num_rows
            del numbers
        for n in group:
            if n in filled.other:
                filled.other[n].append(part.column(n))
        del part
        if RELEASE_EACH_GROUP:
            _release_memory()
    return k


def _frame(filled: _Filled, names: list, types: dict, numeric: list) -> pd.DataFrame:
    """The matrix as the DataFrame's one block, the other columns inserted where the header has them."""
    import pyarrow as pa  # pyarrow: imported lazily, as by every reader

    matrix = filled.matrix
    if matrix is None:
        matrix = np.empty((0, len(numeric)), dtype=np.float32, order="F")
    frame = pd.DataFrame(matrix[: filled.rows], columns=numeric, copy=False)
    positions = {n: i for i, n in enumerate(names)}
    for name in filled.other:
        values = pa.chunked_array([c for col in filled.other[name] for c in col.chunks], type=types[name])
        frame.insert(positions[name], name, _to_pandas(pa.table({name: values}), big=False)[name])
    return frame


def _read_part(piece, plan: tuple, names: list):
    """One pyarrow call on a piece; a cell that does not fit its column's type raises _Widen."""
    import pyarrow as pa  # pyarrow: imported lazily, only when a file is read
    import pyarrow.csv as pcsv

    read, parse, convert = plan
    try:
        return pcsv.read_csv(
            pa.BufferReader(pa.py_buffer(piece)), read_options=read, parse_options=parse, convert_options=convert
        )
    except pa.ArrowInvalid as exc:
        m = _CONVERSION_ERROR.search(str(exc))
        if m and int(m.group(1)) < len(names):
            raise _Widen(names[int(m.group(1))], m.group(2)) from None
        raise


def _room(matrix, rows: int, k: int, body_bytes: int, piece_bytes: int, width: int) -> np.ndarray:
    """The matrix, made (or grown) to take k more rows; first sized from the first piece's bytes per row."""
    if matrix is None:
        estimate = int(body_bytes / max(1, piece_bytes / max(k, 1)) * 1.02) + 16
        return np.empty((max(estimate, k), width), dtype=np.float32, order="F")
    if rows + k > matrix.shape[0]:
        grown = np.empty((int((rows + k) * 1.3), width), dtype=np.float32, order="F")
        grown[:rows] = matrix[:rows]
        return grown
    return matrix
