"""Sequence data: FASTA records, labelled in the header, by a separate label table, or by file.

A folder of FASTA files is read as one set: each file (or first-level subfolder) names the
class of its records in a ``class`` column, as an image folder does; a single table lying
in the folder is joined as the label table.

The alphabet (DNA, RNA or protein) is detected from the letters; a character outside it
stops the loading with the record, line and position. Sequences of different lengths are
padded with zeros or cropped to one length, then one-hot encoded (IUPAC ambiguity codes
share their weight among the bases they stand for). Each record becomes a table row:
``sample_id``, the header's ``key=value`` fields, and the flattened one-hot matrix
(``input_shape`` [length, alphabet size] turns a row back).
"""

from __future__ import annotations

import gzip
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from guiapp.core.data import errors as E
from guiapp.core.data.formats import FASTA_SUFFIXES, base_suffix
from guiapp.core.data.images import LabelTablePick, pick_labels_file, with_label_table_columns
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext

ID_COLUMN = "sample_id"
MAX_LENGTH = 2000  # the longest sequence sets the length, up to this
# The columns a FASTA file offers (the Data page asks when a file is chosen) come from its first lines.
COLUMN_SCAN_LINES = 20_000
LETTERS = {"dna": "ACGT", "rna": "ACGU", "protein": "ACDEFGHIKLMNPQRSTVWY"}
_NUCLEOTIDE_CODES = {
    "N": "ACGT",
    "R": "AG",
    "Y": "CT",
    "S": "CG",
    "W": "AT",
    "K": "GT",
    "M": "AC",
    "B": "CGT",
    "D": "AGT",
    "H": "ACT",
    "V": "ACG",
}
AMBIGUOUS = {
    "dna": _NUCLEOTIDE_CODES,
    "rna": {k: v.replace("T", "U") for k, v in _NUCLEOTIDE_CODES.items()},
    "protein": {"X": LETTERS["protein"], "B": "DN", "Z": "EQ", "J": "IL", "U": "C", "O": "K"},
}
GAPS = {"dna": "-.", "rna": "-.", "protein": "-.*"}
ALPHABET_WORDS = {
    "dna": "DNA (A, C, G, T and IUPAC codes such as N)",
    "rna": "RNA (A, C, G, U and IUPAC codes)",
    "protein": "protein (the 20 amino acids, X, B, Z, J, U, O, * and -)",
}


@dataclass
class SequenceRecord:
    id: str
    description: str
    sequence: str
    line: int  # the header's line number
    fields: dict = field(default_factory=dict)
    file: str = ""  # the file it came from, inside a folder of FASTA files


@dataclass
class SequenceSet:
    table: pd.DataFrame
    alphabet: str
    length: int
    shape: tuple  # (length, letters)
    n_cropped: int = 0
    n_padded: int = 0
    lengths: dict = field(default_factory=dict)  # min, median, max
    labels_file: str = ""  # a table of labels found in a folder of FASTA files
    labels_pick: LabelTablePick | None = None  # which table gave the labels, and those passed over


def _text_lines(path: Path):

    opener = gzip.open if path.suffix.lower() == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            head = fh.read(4096)
    except (OSError, EOFError):
        raise E.MalformedFileError(f"{path.name} cannot be unpacked; export or download it again.") from None
    if not head.strip():
        raise E.EmptyFileError(f"{path.name} is empty. Choose the FASTA file that holds your sequences.")
    if b"\x00" in head:
        raise E.BinaryFileError(
            f"{path.name} is not a FASTA text file: it holds binary bytes. Is it compressed? "
            "Name a gzip file .fa.gz, or unpack it."
        )
    number = 0
    with opener(path, "rt", encoding="utf-8", errors="strict") as fh:
        try:
            for number, line in enumerate(fh, start=1):
                yield number, line.rstrip("\r\n")
        except (UnicodeDecodeError, EOFError, OSError):
            raise E.UnknownEncodingError(
                f"{path.name} is not plain text (UTF-8) after line {number}; "
                "a FASTA file holds letters only. Save it again as plain text."
            ) from None


def _header_fields(record_id: str, description: str) -> tuple[str, dict]:
    """``>seq1 label=binding donor=D1`` or ``>seq1|binding``: the ID and the header's fields."""
    fields = dict(re.findall(r"(\w+)=(\"[^\"]*\"|\S+)", description))
    fields = {k: v.strip('"') for k, v in fields.items()}
    if "|" in record_id and not fields:
        parts = record_id.split("|")
        record_id, fields = parts[0], {"label": parts[-1]} if parts[-1] else {}
    return record_id, fields


def read_fasta(path: os.PathLike) -> list[SequenceRecord]:
    """The records of a FASTA file, checked: every record has a header, an ID of its own and letters."""
    path = Path(path)
    if not path.is_file():
        raise E.FileMissingError(f"The file {path} does not exist. Check the path, or choose the file again.")
    records: list[SequenceRecord] = []
    parts: list = []
    for number, line in _text_lines(path):
        if not line.strip() or line.startswith(";"):
            continue
        if line.startswith(">"):
            if records:
                records[-1].sequence = "".join(parts)
            parts = []
            head = line[1:].strip()
            if not head:
                raise E.MalformedFastaError(
                    f"{path.name}, line {number}: a header ('>') without a name. "
                    "Give every record a name after the '>'."
                )
            rid, _, description = head.partition(" ")
            rid, fields = _header_fields(rid, description)
            records.append(SequenceRecord(id=rid, description=description, sequence="", line=number, fields=fields))
        elif not records:
            raise E.MalformedFastaError(
                f"{path.name}, line {number}, does not start a record: a FASTA file starts each record "
                f"with a header line beginning with '>', then its sequence ({line[:30]!r} found first)."
            )
        else:
            parts.append(line.strip().replace(" ", ""))
    if records:
        records[-1].sequence = "".join(parts)
    if not records:
        raise E.MalformedFastaError(f"{path.name} holds no FASTA records (lines starting with '>').")
    seen: dict = {}
    for r in records:
        if not r.sequence:
            raise E.MalformedFastaError(
                f"{path.name}: record {r.id!r} (line {r.line}) has no sequence. "
                "Remove the empty record or add its sequence."
            )
        if r.id in seen:
            raise E.DuplicateSampleIdError(
                f"{path.name}: the record name {r.id!r} appears twice (lines {seen[r.id]} and {r.line}). "
                "Each sequence needs a name of its own: rename or remove the copy."
            )
        seen[r.id] = r.line
    return records


def fasta_files(folder: os.PathLike) -> list[tuple[str, str]]:
    """(path inside the folder, class) of every FASTA file: the first-level subfolder, else the file's name."""
    folder = Path(folder)
    found = []
    for p in sorted(folder.rglob("*")):
        if p.is_file() and not p.name.startswith(".") and base_suffix(p) in FASTA_SUFFIXES:
            rel = p.relative_to(folder)
            stem = p.name.split(".")[0]
            found.append((rel.as_posix(), rel.parts[0] if len(rel.parts) > 1 else stem))
    return found


def record_names(folder: os.PathLike, max_lines: int | None = None) -> set:
    """The record names in a folder's FASTA files, from their header lines only (unreadable files
    skipped); with ``max_lines``, from the first lines of each file only (a sample, quick to read)."""
    folder = Path(folder)
    names = set()
    for rel, _cls in fasta_files(folder):
        try:
            for number, line in _text_lines(folder / rel):
                if line.startswith(">"):
                    rid, _, description = line[1:].strip().partition(" ")
                    names.add(_header_fields(rid, description)[0])
                if max_lines is not None and number >= max_lines:
                    break
        except E.DataError:
            continue
    return names


def read_fasta_folder(folder: os.PathLike) -> list[SequenceRecord]:
    """The records of every FASTA file in a folder, each with its ``class`` (see :func:`fasta_files`)."""
    folder = Path(folder)
    files = fasta_files(folder)
    if not files:
        others = sum(1 for p in folder.rglob("*") if p.is_file())
        raise E.MalformedFastaError(
            f"{folder.name} holds no FASTA files (.fa, .fasta, .fna, .faa; {others} other file(s)). Put one "
            "FASTA file per class in the folder (e.g. binding.fa and non_binding.fa), or choose a FASTA file."
        )
    records: list[SequenceRecord] = []
    first: dict = {}
    for rel, cls in files:
        for r in read_fasta(folder / rel):
            if r.id in first:
                raise E.DuplicateSampleIdError(
                    f"{folder.name}: the record name {r.id!r} appears in {first[r.id]} and in {rel} (line {r.line}). "
                    "Each sequence needs a name of its own across the folder: rename or remove the copy."
                )
            first[r.id] = rel
            r.file = rel
            r.fields = {"class": cls, **r.fields}
            records.append(r)
    return records


def detect_alphabet(records: list) -> str:
    """DNA, RNA or protein: nucleotides when most records are (nearly) all A, C, G, T/U and N."""
    votes, t, u = 0, 0, 0
    sample = records[:2000]
    for r in sample:
        seq = r.sequence.upper()
        nucleotide = sum(seq.count(ch) for ch in "ACGTUN-.")
        votes += nucleotide >= 0.9 * len(seq)
        t, u = t + seq.count("T"), u + seq.count("U")
    if votes * 2 >= len(sample):
        return "rna" if u > t else "dna"
    return "protein"


def check_characters(records: list, alphabet: str, path: Path) -> None:
    allowed = set(LETTERS[alphabet]) | set(AMBIGUOUS[alphabet]) | set(GAPS[alphabet])
    for r in records:
        seq = r.sequence.upper()
        bad = set(seq) - allowed
        if bad:
            pos = min(seq.index(ch) for ch in bad)
            raise E.ForeignCharacterError(
                f"{r.file or path.name}: record {r.id!r} (header on line {r.line}) has {r.sequence[pos]!r} at position "
                f"{pos + 1}, which is not {ALPHABET_WORDS[alphabet]} — the alphabet the other records use. "
                "Fix or remove that record (digits, spaces or a stray header line inside a sequence are "
                "common causes), or state the alphabet if the detection was wrong."
            )


def _one_hot_table(alphabet: str) -> np.ndarray:
    """256 × letters: the one-hot (or shared) weights of every byte."""
    letters = LETTERS[alphabet]
    table = np.zeros((256, len(letters)), dtype=np.float32)
    for j, ch in enumerate(letters):
        table[ord(ch)] = table[ord(ch.lower())] = np.eye(len(letters), dtype=np.float32)[j]
    for code, means in AMBIGUOUS[alphabet].items():
        weights = np.zeros(len(letters), dtype=np.float32)
        for ch in means:
            weights[letters.index(ch)] = 1.0 / len(means)
        table[ord(code)] = table[ord(code.lower())] = weights
    return table


def load_sequences(
    path: os.PathLike,
    *,
    length: int | None = None,
    alphabet: str = "auto",
    crop: str = "start",
    ctx: TaskContext = NO_CONTEXT,
) -> SequenceSet:
    """Read, check and one-hot encode a FASTA file, or a folder of them, into one table (see the module doc)."""
    path = Path(path)
    ctx.report(0.05, f"Reading {path.name}")
    records = read_fasta_folder(path) if path.is_dir() else read_fasta(path)
    ctx.check()
    if alphabet == "auto":
        alphabet = detect_alphabet(records)
    if alphabet not in LETTERS:
        raise E.DataError(f"The sequence alphabet must be 'auto', 'dna', 'rna' or 'protein', not {alphabet!r}.")
    check_characters(records, alphabet, path)
    lengths = np.array([len(r.sequence) for r in records])
    L = int(length) if length else int(min(lengths.max(), MAX_LENGTH))
    if L < 1:
        raise E.DataError("The sequence length must be at least 1.")
    if crop not in ("start", "end", "centre"):
        raise E.DataError(f"Cropping keeps the 'start', 'end' or 'centre' of a sequence, not {crop!r}.")
    weights = _one_hot_table(alphabet)
    A = weights.shape[1]
    matrix = np.zeros((len(records), L * A), dtype=np.float32)
    for i, r in enumerate(records):
        if i % 256 == 0:
            ctx.check()
            ctx.report(0.1 + 0.8 * i / len(records), "Encoding the sequences")
        seq = r.sequence
        if len(seq) > L:
            start = {"start": 0, "end": len(seq) - L, "centre": (len(seq) - L) // 2}[crop]
            seq = seq[start : start + L]
        codes = np.frombuffer(seq.encode("ascii"), dtype=np.uint8)
        matrix[i, : len(codes) * A] = weights[codes].reshape(-1)
    columns = [f"pos{p + 1}_{ch}" for p in range(L) for ch in LETTERS[alphabet]]
    table = pd.DataFrame(matrix, columns=columns, copy=False)
    keys = list(dict.fromkeys(k for r in records for k in r.fields))
    for k in reversed(keys):
        values = pd.Series([r.fields.get(k, np.nan) for r in records], dtype=object)
        numbers = pd.to_numeric(values, errors="coerce")  # header fields are text; numbers among them are numbers
        table.insert(
            0,
            k if k not in table.columns else f"{k} (header)",
            numbers if numbers.notna().sum() == values.notna().sum() else values,
        )
    table.insert(0, ID_COLUMN, [r.id for r in records])
    ctx.report(1.0, f"{len(records)} sequences read")
    pick = None
    if path.is_dir():
        pick = pick_labels_file(path, {r.id for r in records})
    return SequenceSet(
        table=table,
        alphabet=alphabet,
        length=L,
        shape=(L, A),
        labels_file=str(pick.path or "") if pick else "",
        labels_pick=pick,
        n_cropped=int((lengths > L).sum()),
        n_padded=int((lengths < L).sum()),
        lengths={"min": int(lengths.min()), "median": float(np.median(lengths)), "max": int(lengths.max())},
    )


def header_columns(path: os.PathLike) -> list[str]:
    """The columns a FASTA file (or folder) offers: the record name, ``class`` for a folder, the
    ``key=value`` fields of the headers and, for a folder, the columns of a label table in it."""
    path = Path(path)
    if path.is_dir():
        files = fasta_files(path)
        columns = [ID_COLUMN, "class"]
        columns += [c for c in (header_columns(path / files[0][0])[1:] if files else []) if c not in columns]
        # The Data page asks for these columns as soon as a folder is chosen: a sample of the record
        # names tells which table names the records (loading matches every record).
        return with_label_table_columns(path, columns, lambda: record_names(path, COLUMN_SCAN_LINES))
    keys: dict = {}
    try:
        for number, line in _text_lines(path):
            if line.startswith(">"):
                rid, _, description = line[1:].strip().partition(" ")
                keys.update(dict.fromkeys(_header_fields(rid, description)[1]))
            if number > COLUMN_SCAN_LINES:
                break
    except E.DataError:
        return [ID_COLUMN]
    return [ID_COLUMN] + list(keys)
