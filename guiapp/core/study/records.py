"""The small records a study keeps as plain JSON objects, typed.

Each is a ``TypedDict``, not a dataclass: ``study.json`` stores it as it is, and the steps,
the card and the report read it by key (``entry["reason"]``), so it stays a dict at run time.
``total=False``: a study saved by an earlier version may lack a key, and readers use ``.get``.
"""

from __future__ import annotations

from typing import TypedDict


class GroupSuggestion(TypedDict, total=False):
    """A column the copies suggest as the group column (study.batch.group_suggestions)."""

    column: str
    reason: str


class SplitRemedyRecord(TypedDict, total=False):
    """A remedy applied to the split, with the finding it answers (study.split.remedies)."""

    finding: str
    remedy: str
    text: str


class EthicsRecord(TypedDict, total=False):
    """One entry of the ethics register (study.ethics.register), as :class:`EthicsEntry` writes it."""

    concern: str
    raised_by: str
    date: str
    status: str  # open | resolved
    mitigation: str
    finding: str  # "code:detail" of the finding that opened it (automatic entries only)


class Acceptance(TypedDict, total=False):
    """A finding the user accepts with a reason (study.accepted_findings[code])."""

    reason: str
    at: str
    by: str


class Settlement(TypedDict, total=False):
    """A finding a remedy settled (study.settled_findings[code])."""

    remedy: str
    at: str
    by: str  # "remedy-record": settled by a remedy recorded in study.split.remedies
