"""One term of the glossary: its name, its plain words, why it matters and its sketch."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    key: str
    term: str
    plain: str  # what it is, in plain words
    why: str  # why it matters in a study
    aliases: tuple = ()  # other words for it, as they appear in the wizard's texts
    picture: Callable[[], str] | None = None  # () -> SVG text
    see_also: tuple = ()

    @property
    def words(self) -> tuple:
        return (self.term, *self.aliases)
