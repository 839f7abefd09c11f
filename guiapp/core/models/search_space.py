"""Search spaces of the hyperparameter searches: one :class:`Dim` per setting, and the space in words."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Dim:
    """One hyperparameter's range: ``float``, ``int`` (optionally on a log scale) or ``choice``."""

    kind: str
    low: float = 0.0
    high: float = 0.0
    log: bool = False
    choices: tuple = ()

    def suggest(self, trial, name: str):
        if self.kind == "float":
            return trial.suggest_float(name, self.low, self.high, log=self.log)
        if self.kind == "int":
            return trial.suggest_int(name, int(self.low), int(self.high), log=self.log)
        return trial.suggest_categorical(name, list(self.choices))

    def clip(self, value):
        """``value`` moved into the range (a starting point outside it would be refused)."""
        if self.kind == "choice":
            if value in self.choices:
                return value
            numbers = [c for c in self.choices if isinstance(c, (int, float)) and not isinstance(c, bool)]
            if numbers and isinstance(value, (int, float)):
                return min(
                    numbers, key=lambda c: abs(math.log(c) - math.log(value)) if c > 0 and value > 0 else abs(c - value)
                )
            return self.choices[0]
        value = min(max(value, self.low), self.high)
        return int(round(value)) if self.kind == "int" else float(value)

    def describe(self) -> str:
        if self.kind == "choice":
            return "one of " + ", ".join(map(str, self.choices))
        if self.kind == "int":
            return f"integer {int(self.low)}–{int(self.high)}" + (", log scale" if self.log else "")
        return f"{'log-uniform' if self.log else 'uniform'} {self.low:g}–{self.high:g}"


def log_float(low: float, high: float) -> Dim:
    return Dim("float", low, high, log=True)


def describe_space(space: dict) -> dict:
    """``{name: 'log-uniform 0.001–100'}``: the search space in words, for the page and the card."""
    return {name: dim.describe() for name, dim in space.items()}
