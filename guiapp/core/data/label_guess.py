"""Which column is most likely the label: the guess the Data page pre-selects when a file is chosen.

Two rules, in this order:

1. A column whose name says it is the label: the whole name is one of :data:`LABEL_WORDS`
   ("Diagnosis", "cell type", "CellType"), else one word of the name is ("disease_status",
   "tumour_type"). Words are matched whole, so a feature named "classifier_score" or "pos_y" is
   not a label. A name that also says identifier, donor, batch or subgroup ("class_id",
   "smoking_status") does not count.
2. Else the last text column with 2 to min(50, rows / 2) distinct values that is neither an
   identifier (unique per row, or named like one) nor named like a batch, donor or subgroup
   column (run, plate, patient, sex, site…).

A numeric column is never guessed: a number may be a regression label or a coded feature, and
that stays the user's choice. Columns in ``exclude`` (the batch and group columns the page
offers) are never guessed. When only the column names are known (an image or FASTA folder, an
AnnData file), rule 1 alone applies.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from guiapp.core.data.roles import _name_role

# Best first: an explicit "label" beats a "type".
LABEL_WORDS = (
    "label",
    "class",
    "target",
    "outcome",
    "diagnosis",
    "condition",
    "phenotype",
    "disease",
    "status",
    "response",
    "cell_type",
    "celltype",
    "species",
    "type",
    "y",
)
# Single words too common inside other names to say "label" there ("pos_y").
_WHOLE_NAME_ONLY = {"y"}
_NOT_A_LABEL_ROLES = {"identifier", "group", "batch", "subgroup"}
MAX_CLASSES = 50
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEPARATORS = re.compile(r"[\s.\-/]+")


@dataclass(frozen=True)
class LabelGuess:
    """The guessed label column and why, for the note beside the page's label choice."""

    column: str
    why: str  # "its name says it is the label" / "the last text column with few distinct values"
    by_name: bool

    @property
    def words(self) -> str:
        return f"Guessed: {self.column!r}, {self.why}; change it if wrong."


def _key(name: str) -> str:
    """The name in lower case with words joined by "_" ("Cell Type", "cell.type" → "cell_type")."""
    return _SEPARATORS.sub("_", str(name).strip()).strip("_").lower()


def _words(name: str) -> list[str]:
    """The name's words ("diseaseStatus" → disease, status)."""
    return [w for w in _SEPARATORS.sub("_", _CAMEL.sub("_", str(name).strip())).lower().split("_") if w]


def name_rank(name: str) -> tuple[int, int] | None:
    """How surely the name says "label": (0, word rank) for the whole name, (1, word rank) for
    one of its words, None when it does not."""
    key = _key(name)
    if key in LABEL_WORDS:
        return 0, LABEL_WORDS.index(key)
    if _name_role(name) in _NOT_A_LABEL_ROLES:
        return None
    words = _words(name)
    joined = "_".join(words)
    if joined in LABEL_WORDS:  # "CellType" → cell_type
        return 0, LABEL_WORDS.index(joined)
    ranks = [LABEL_WORDS.index(w) for w in words if w in LABEL_WORDS and w not in _WHOLE_NAME_ONLY]
    return (1, min(ranks)) if ranks else None


def _numeric(values: Any) -> bool:
    """Numbers (not yes/no): read from the dtype's kind, so pandas need not be imported here."""
    return getattr(values.dtype, "kind", "O") in "iufcmM"


def _eligible(values: Any, *, by_name: bool) -> bool:
    """Text values that may be classes: 2+ distinct values, not one per row; for the value rule
    also at most min(50, rows / 2)."""
    if _numeric(values):
        return False
    present = values.dropna()
    n = len(present)
    try:
        distinct = present.nunique()
    except TypeError:  # unhashable cells (lists): not a label
        return False
    if distinct < 2 or distinct >= n:
        return False
    return by_name or distinct <= min(MAX_CLASSES, len(values) / 2)


def guess_label_column(frame_or_columns: Any, *, exclude: Iterable[str] = ()) -> LabelGuess | None:
    """The most likely label column of a table (a DataFrame, or only its column names), or None.

    See the module's doc for the rules. A frame may hold only the table's first rows.
    """
    skip = {str(c) for c in exclude if c}
    frame = frame_or_columns if hasattr(frame_or_columns, "dtypes") else None
    names = [str(c) for c in (frame.columns if frame is not None else frame_or_columns)]

    def values(i: int):
        return frame.iloc[:, i] if frame is not None else None

    named = sorted(
        (rank, i)
        for i, name in enumerate(names)
        if name not in skip
        and (rank := name_rank(name)) is not None
        and (frame is None or _eligible(values(i), by_name=True))
    )
    if named:
        return LabelGuess(names[named[0][1]], "its name says it is the label", by_name=True)
    if frame is None:
        return None
    for i in range(len(names) - 1, -1, -1):
        name = names[i]
        if name in skip or _name_role(name) in _NOT_A_LABEL_ROLES:
            continue
        if _eligible(values(i), by_name=False):
            return LabelGuess(name, "the last text column with few distinct values", by_name=False)
    return None


def peek_label_column(
    path: os.PathLike | str,
    *,
    columns: Sequence[str] = (),
    modality: str = "",
    sheet: str = "",
    samples: str = "",
    exclude: Iterable[str] = (),
) -> LabelGuess | None:
    """The label guess for a chosen file, from its first rows (a text, Parquet or Excel table) or
    from ``columns``, the names the page offers (a folder of images or FASTA files, AnnData).

    ``samples`` is the sample sheet: labels often live there, so its first rows are looked at too;
    a column named as the label wins wherever it is, else the sheet's last text column does.
    """
    from guiapp.core.data import orientation  # pandas: imported when a file is chosen, not at startup

    exclude = list(exclude)
    head = orientation.read_head(path, sheet=sheet) if modality in ("", "table") else None
    if head is None:
        return guess_label_column(columns, exclude=exclude)
    heads = [head] + ([orientation.read_head(samples)] if samples else [])
    guesses = [guess_label_column(h, exclude=exclude) for h in heads if h is not None]
    named = [g for g in guesses if g is not None and g.by_name]
    if named:
        return named[0]
    found = [g for g in guesses if g is not None]
    return found[-1] if found else None
