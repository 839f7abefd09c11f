"""How Tenfold writes a 95% interval, in one place for the pages, the verdict, the findings, the
model card, ``report.html`` and ``metrics.json``'s sentences.

A constant predictor (the majority class, the mean) scores the same on every bootstrap resample
of balanced accuracy or ROC AUC, so its percentile interval has no width. Printed as "0.500–0.500"
it reads like a measured certainty; Tenfold prints the value once and says why there is no spread:
"0.500 (no spread: the majority baseline predicts one class for every sample)" in a sentence,
"0.500 (constant)" in a table. A perfect score never gets here collapsed: the exact-interval rule
(:mod:`guiapp.core.stats.exact_intervals`) has already widened it. An interval narrower than the
printed digits but not empty gets more digits, so its two ends still differ on the page.
"""

from __future__ import annotations

import math
from typing import Any

# A zero-width interval: every resample gave this score.
FLAT = 1e-12
MAX_DIGITS = 6
# Why a baseline that predicts the same thing for every sample has no spread (keys: the baselines'
# names in the study).
CONSTANT_PREDICTORS = {
    "majority": "the majority baseline predicts one class for every sample",
    "mean": "the mean baseline predicts the same value for every sample",
}
NO_SPREAD = "every bootstrap resample gave the same score"
CONSTANT = "constant"


def _pair(ci: Any) -> tuple[float, float] | None:
    """The interval as two finite numbers, or None (absent, malformed or undefined)."""
    if not isinstance(ci, (list, tuple)) or len(ci) != 2:
        return None
    try:
        low, high = float(ci[0]), float(ci[1])
    except (TypeError, ValueError):
        return None
    return (low, high) if math.isfinite(low) and math.isfinite(high) else None


def is_flat(ci: Any) -> bool:
    """Whether ``ci`` is an interval with no width (every resample scored the same)."""
    pair = _pair(ci)
    return pair is not None and abs(pair[1] - pair[0]) <= FLAT


def no_spread_reason(model: str | None = None) -> str:
    """Why an interval has no width: the constant baseline by name, else what the resamples did."""
    return CONSTANT_PREDICTORS.get(model or "", NO_SPREAD)


def interval_range(ci: Any, *, digits: int = 3, signed: bool = False) -> str:
    """The two ends, "0.412–0.588" (or "+0.012 to +0.088" for a difference), with enough digits
    that they differ. Call it for an interval that is not flat; a flat one gives its one value."""
    pair = _pair(ci)
    if pair is None:
        return "—"
    low, high = pair
    spec = "+." if signed else "."
    if is_flat(pair):
        return f"{low:{spec}{digits}f}"
    while digits < MAX_DIGITS and f"{low:{spec}{digits}f}" == f"{high:{spec}{digits}f}":
        digits += 1
    a, b = f"{low:{spec}{digits}f}", f"{high:{spec}{digits}f}"
    return f"{a} to {b}" if signed else f"{a}–{b}"


def ci_clause(ci: Any, *, digits: int = 3, model: str | None = None, signed: bool = False) -> str:
    """What follows a value in a sentence: " (95% CI 0.412–0.588)", " (no spread: …)" or ""."""
    if _pair(ci) is None:
        return ""
    if is_flat(ci):
        return f" (no spread: {no_spread_reason(model)})"
    return f" (95% CI {interval_range(ci, digits=digits, signed=signed)})"


def value_with_ci(value: Any, ci: Any, *, digits: int = 3, model: str | None = None) -> str:
    """A value and its interval in a sentence: "0.500 (no spread: …)" or "0.731 (95% CI …)"."""
    if value is None:
        return "—"
    return f"{float(value):.{digits}f}{ci_clause(ci, digits=digits, model=model)}"


def value_cell(value: Any, ci: Any, *, digits: int = 3) -> str:
    """A value and its interval in a table cell: "0.500 (constant)" or "0.731 (95% CI …)"."""
    if value is None:
        return "—"
    text = f"{float(value):.{digits}f}"
    if is_flat(ci):
        return f"{text} ({CONSTANT})"
    return text + (f" (95% CI {interval_range(ci, digits=digits)})" if _pair(ci) else "")


def difference_cell(difference: float, ci: Any) -> str:
    """A difference and its interval in a table cell: "+0.010 (-0.020 to +0.040)", "+0.000 (constant)"."""
    text = f"{float(difference):+.3f}"
    if is_flat(ci):
        return f"{text} ({CONSTANT})"
    return text + (f" ({interval_range(ci, signed=True)})" if _pair(ci) else "")


def ci_cell(ci: Any, *, digits: int = 3, brackets: bool = False) -> str:
    """An interval alone in a table's "95% CI" column: "0.412–0.588" ("[0.412, 0.588]"),
    "none (constant)" for a flat one, "" when there is none."""
    pair = _pair(ci)
    if pair is None:
        return ""
    if is_flat(pair):
        return f"none ({CONSTANT})"
    if not brackets:
        return interval_range(pair, digits=digits)
    low, high = interval_range(pair, digits=digits).split("–")
    return f"[{low}, {high}]"
