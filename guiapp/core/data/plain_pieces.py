"""Plain pieces of a large text table: read by numpy, which has no per-column cost.

A plain piece is ASCII without quotes or control characters other than tabs and line ends,
where numpy and pyarrow read every cell alike. Its numbers are parsed by ``numpy.loadtxt``; its
text columns at either end of a row (an ID first, a label last) are cut from the lines and
converted by pyarrow. Used by :mod:`guiapp.core.data.wide_csv`, which sends any other piece to
pyarrow.
"""

from __future__ import annotations

import warnings

import numpy as np

# Bytes that numpy and pyarrow read differently (control characters numpy takes for spaces,
# non-ASCII spaces and digits) or that numpy cannot read (quotes): such pieces go to pyarrow.
_NOT_PLAIN = bytes(range(9)) + b"\x0b\x0c" + bytes(range(14, 32)) + b'"' + bytes(range(127, 256))
_PLAIN = bytes(c for c in range(256) if c not in _NOT_PLAIN)


def _plain_lines(piece) -> list | None:
    """A plain piece's lines, split as pyarrow splits them (\\n, \\r\\n or \\r); None when pyarrow must read it.

    Plain: ASCII without quotes or control characters other than tabs and line ends, where
    numpy and pyarrow read every cell alike.
    """
    data = bytes(piece)
    if data.translate(None, _PLAIN):
        return None
    return [line for line in data.splitlines() if line]  # pyarrow skips empty lines, as numpy does


def _plain_numbers(lines: list, delimiter: str, usecols: list | None, width: int) -> np.ndarray | None:
    """The numeric columns of a plain piece as float32; None when a cell is no number for numpy.

    An empty cell or a null spelling other than nan makes numpy refuse, and pyarrow reads the piece.
    """

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "input contained no data"
            numbers = np.loadtxt(
                lines,
                delimiter=delimiter,
                usecols=usecols,
                dtype=np.float32,
                ndmin=2,
                comments=None,
                quotechar=None,
                encoding="latin1",
            )
    except ValueError:
        return None
    if usecols is None and len(numbers) and numbers.shape[1] != width:
        return None  # every row of the piece has another number of fields than the header
    return numbers


def _edge_plan(names: list, is_other: list, types: dict, nulls: list) -> tuple | None:
    """How to read the text columns at either end of a row (an ID first, a label last) from the lines.

    None when one stands among the numbers: pyarrow then reads them from the whole piece.
    """
    import pyarrow.csv as pcsv  # pyarrow: imported lazily, only when a file is read

    lead = next((j for j, o in enumerate(is_other) if not o), len(names))
    trail = next((j for j, o in enumerate(reversed(is_other)) if not o), 0)
    if sum(is_other) != lead + trail:
        return None
    columns = names[:lead] + names[len(names) - trail :]
    read = pcsv.ReadOptions(column_names=columns, block_size=1 << 24, use_threads=False)
    convert = pcsv.ConvertOptions(
        column_types={n: types[n] for n in columns}, null_values=nulls, strings_can_be_null=True, timestamp_parsers=[]
    )
    return lead, trail, read, convert


def _edge_columns(lines: list, delimiter: str, edges: tuple, width: int):
    """The text columns at the ends of a plain piece's rows, converted by pyarrow as the whole piece would be.

    None when a row has another number of fields than the header.
    """
    import pyarrow as pa  # pyarrow: imported lazily, only when a file is read
    import pyarrow.csv as pcsv

    lead, trail, read, convert = edges
    sep = delimiter.encode()
    kept = []
    for line in lines:
        if line.count(sep) != width - 1:
            return None
        cells = line.split(sep, lead)[:lead] if lead else []
        if trail:
            cells += line.rsplit(sep, trail)[1:]
        kept.append(sep.join(cells))
    kept.append(b"")
    return pcsv.read_csv(
        pa.BufferReader(b"\n".join(kept)),
        read_options=read,
        parse_options=pcsv.ParseOptions(delimiter=delimiter),
        convert_options=convert,
    )
