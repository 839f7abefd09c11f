"""Fuzzing the loaders: whatever bytes or tables they are given, they load them or raise one of
Tenfold's own errors (a DataError the page and the CLI can show), never anything else.

Bounded in the default run (25 examples per test, derandomized so CI is repeatable);
``TENFOLD_FUZZ_EXAMPLES=2000`` or ``tests/benchmarks/bench_fuzz_loaders.py --examples 2000``
runs it long, with fresh random examples.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from guiapp.core.data import attach as data  # noqa: E402
from guiapp.core.data.profile import profile_table  # noqa: E402
from guiapp.core.data.sequences import load_sequences  # noqa: E402
from guiapp.core.study.errors import TenfoldError  # noqa: E402

EXAMPLES = int(os.environ.get("TENFOLD_FUZZ_EXAMPLES", "25"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=EXAMPLES <= 100,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SUFFIXES = [".csv", ".tsv", ".txt", ".tab", ".csv.gz", ".parquet", ".xlsx", ".h5ad", ".fa", ".fasta"]


@contextmanager
def _written(content: bytes, suffix: str):
    """The bytes as a file with that suffix, removed afterwards (a long run writes thousands)."""
    folder = Path(tempfile.mkdtemp(prefix="tenfold-fuzz-"))
    try:
        path = folder / f"fuzz{suffix}"
        path.write_bytes(content)
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _load_or_refuse(content: bytes, suffix: str, label: str = "") -> None:
    with _written(content, suffix) as path:
        try:
            loaded = data.load_dataset(path, label=label)
            if label and label in loaded.table.columns:
                profile_table(loaded.table, label, file_name=path.name, near_duplicates=False)
        except TenfoldError:
            pass


@FUZZ
@given(content=st.binary(max_size=2048), suffix=st.sampled_from(SUFFIXES))
def test_random_bytes_load_or_raise_a_tenfold_error(content, suffix):
    _load_or_refuse(content, suffix)


_cell = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**12), 10**12).map(str),
    st.sampled_from(
        [
            "",
            "NA",
            "nan",
            "inf",
            "-inf",
            "1e999",
            '"',
            '"a,b"',
            "x",
            "é",
            "TRUE",
            "1,5",
            "2024-01-02",
            "  ",
            "#",
            "\\N",
            "0x1F",
        ]
    ),
    st.text(max_size=6),
)


@FUZZ
@given(
    header=st.lists(st.one_of(st.text(max_size=5), st.sampled_from(["", "label", "g1", "g1"])), min_size=1, max_size=6),
    rows=st.lists(st.lists(_cell, min_size=0, max_size=7), min_size=0, max_size=25),
    sep=st.sampled_from([",", "\t", ";", "|"]),
    suffix=st.sampled_from([".csv", ".tsv", ".txt"]),
    encoding=st.sampled_from(["utf-8", "utf-16", "cp1252", "latin-1"]),
)
def test_random_tables_load_or_raise_a_tenfold_error(header, rows, sep, suffix, encoding):
    text = "\n".join(sep.join(r) for r in [header] + rows) + "\n"
    try:
        content = text.encode(encoding)
    except UnicodeEncodeError:
        content = text.encode("utf-8")
    _load_or_refuse(content, suffix, label=header[-1])


@FUZZ
@given(
    records=st.lists(
        st.tuples(st.text(max_size=8), st.text(alphabet="ACGTUNacgtXJ*-1 >;\n", max_size=40)), max_size=12
    ),
    preamble=st.sampled_from(["", "ACGT\n", ";comment\n", "\n\n"]),
)
def test_random_fasta_loads_or_raises_a_tenfold_error(records, preamble):
    text = preamble + "".join(f">{name}\n{seq}\n" for name, seq in records)
    with _written(text.encode("utf-8", errors="replace"), ".fa") as path:
        try:
            load_sequences(path)
        except TenfoldError:
            pass


@FUZZ
@given(
    files=st.lists(
        st.tuples(
            st.sampled_from(["", "a/", "b/"]),
            st.sampled_from([".png", ".fa", ".csv", ".txt"]),
            st.one_of(st.binary(max_size=300), st.text(alphabet="ACGT>x=,\n1", max_size=120).map(str.encode)),
        ),
        min_size=1,
        max_size=6,
    ),
    modality=st.sampled_from(["", "image", "sequence"]),
)
def test_random_folders_load_or_raise_a_tenfold_error(files, modality):
    folder = Path(tempfile.mkdtemp(prefix="tenfold-fuzz-"))
    try:
        for i, (sub, suffix, content) in enumerate(files):
            (folder / sub).mkdir(exist_ok=True)
            (folder / sub / f"f{i}{suffix}").write_bytes(content)
        try:
            data.load_dataset(folder, label="class", options={"modality": modality} if modality else None)
        except TenfoldError:
            pass
    finally:
        shutil.rmtree(folder, ignore_errors=True)
