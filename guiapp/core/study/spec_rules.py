"""The allowed range of every study-spec value, as one declarative table.

:mod:`guiapp.core.study.spec` checks each key's type against ``KEYS``; this table adds what a value
must mean: a size of at least 1, a rate above 0, a seed numpy accepts, a share strictly
between 0 and 1, a target the chosen metric can reach. Each rule carries the words that tell
the user what is allowed, so every refusal reads like
``[train] batch_size = 0: must be a whole number ≥ 1``. A key with no rule here is checked
for its type only; adding a key means one line in ``RULES``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

SEED_MAX = 2**32 - 1  # numpy's and torch's seeds are unsigned 32-bit
WHOLE_MAX = 2**31 - 1  # sizes above this overflow torch's and numpy's index types


@dataclass(frozen=True)
class Rule:
    """``check(value)`` holds for allowed values; ``words`` says which those are."""

    check: Callable[[Any], bool]
    words: str


def _is_whole(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def whole(low: int, high: int = WHOLE_MAX) -> Rule:
    words = f"a whole number ≥ {low}" if high == WHOLE_MAX else f"a whole number from {low} to {high}"
    return Rule(lambda v: _is_whole(v) and low <= v <= high, words)


def number(
    low: float | None = None, high: float | None = None, *, low_open: bool = False, high_open: bool = False
) -> Rule:
    """A finite number in the interval; ``*_open`` leaves the end out."""

    def check(v) -> bool:
        if not _is_number(v):
            return False
        if low is not None and (v <= low if low_open else v < low):
            return False
        return not (high is not None and (v >= high if high_open else v > high))

    if low is not None and high is not None:
        words = (
            f"a number from {low:g} to {high:g}"
            if not (low_open or high_open)
            else f"a number {'>' if low_open else '≥'} {low:g} and {'<' if high_open else '≤'} {high:g}"
        )
    elif low is not None:
        words = f"a number {'>' if low_open else '≥'} {low:g}"
    elif high is not None:
        words = f"a number {'<' if high_open else '≤'} {high:g}"
    else:
        words = "a finite number"
    return Rule(check, words)


def list_of(item: Rule, *, min_len: int = 0, max_len: int | None = None, words: str = "") -> Rule:
    def check(v) -> bool:
        return (
            isinstance(v, list)
            and len(v) >= min_len
            and (max_len is None or len(v) <= max_len)
            and all(item.check(x) for x in v)
        )

    return Rule(check, words or f"a list of {item.words.removeprefix('a ').removeprefix('an ')}s")


def either(*rules: Rule, words: str) -> Rule:
    return Rule(lambda v: any(r.check(v) for r in rules), words)


TEXT = Rule(lambda v: isinstance(v, str), "text in quotes")
NAMES = list_of(TEXT, words='a list of names in quotes, like ["a", "b"]')
SIZE = whole(1)
COUNT = whole(0)
SEED = whole(0, SEED_MAX)
RATE = number(0, low_open=True)
SHARE = number(0, 1, low_open=True, high_open=True)
PROBABILITY = number(0, 1)

# (section, key) -> rule. Keys absent here are checked for their type only (spec.KEYS).
RULES: dict[tuple[str, str], Rule] = {
    ("question", "target_value"): number(),  # the metric's own range is checked with the metric
    ("question", "max_parameters"): SIZE,
    ("question", "max_latency_ms"): RATE,
    ("question", "max_training_minutes"): RATE,
    ("question", "max_calibration_error"): PROBABILITY,
    ("data", "path"): Rule(lambda v: isinstance(v, str) and v.strip() != "", "the path of a data file, in quotes"),
    ("data", "label"): Rule(lambda v: isinstance(v, str) and v.strip() != "", "a column name in quotes"),
    ("data", "identifiers"): NAMES,
    ("data", "subgroups"): NAMES,
    ("data", "image_size"): either(
        SIZE, list_of(SIZE, min_len=2, max_len=2), words="a whole number ≥ 1, or [height, width]"
    ),
    ("data", "sequence_length"): SIZE,
    # the split's own limits (guiapp.core.split.draw): each part 5–50 %, training keeps at least 20 %
    ("split", "test_fraction"): number(0.05, 0.5),
    ("split", "tune_fraction"): number(0.05, 0.5),
    ("split", "seed"): SEED,
    ("split", "holdout_batches"): list_of(
        either(TEXT, whole(-WHOLE_MAX), words="a batch name"), words='a list of batch names, like ["run3"]'
    ),
    ("baselines", "models"): NAMES,
    ("baselines", "budget_trials"): COUNT,
    ("model", "width"): SIZE,
    ("model", "depth"): SIZE,
    ("model", "dropout"): number(0, 1, high_open=True),
    ("train", "max_epochs"): SIZE,
    ("train", "batch_size"): SIZE,
    ("train", "learning_rate"): RATE,
    ("train", "weight_decay"): number(0),
    ("train", "patience"): SIZE,
    ("train", "seed"): SEED,
    ("train", "budget_trials"): COUNT,
    ("train", "processes"): SIZE,  # data-parallel processes (guiapp.core.models.ddp)
    ("tuning", "epochs"): SIZE,
    ("tuning", "worker"): COUNT,
    ("evaluate", "threshold"): SHARE,
    ("evaluate", "shuffle_repeats"): SIZE,
    ("evaluate", "learning_curve"): list_of(
        number(0, 1, low_open=True),
        min_len=1,
        words="a list of training shares above 0 and up to 1, like [0.25, 0.5, 1]",
    ),
    ("interpret", "repeats"): SIZE,
    ("interpret", "top"): SIZE,
    ("privacy", "dp_epsilon"): RATE,
    ("privacy", "dp_delta"): SHARE,
    ("privacy", "dp_epochs"): SIZE,
    ("privacy", "dp_max_grad_norm"): RATE,
    ("ethics", "concerns"): NAMES,
    # generalizability, interpretability and efficiency criteria (guiapp.core.evaluation.criteria)
    ("question", "min_generalization"): number(),  # the metric's scale; checked against the metric below
    ("question", "max_generalization_drop"): number(0),
    ("question", "min_attribution_stability"): number(-1, 1),
    ("question", "min_linear_agreement"): PROBABILITY,
    ("question", "known_markers"): NAMES,
    ("question", "min_known_markers"): SIZE,
    ("question", "interpretability_top_k"): SIZE,
    ("question", "max_inference_memory_mb"): RATE,
    ("question", "min_throughput"): RATE,
    ("evaluate", "lobo_epochs"): SIZE,
    ("interpret", "stability_refits"): COUNT,
    # small studies: repeated nested cross-validation (guiapp.core.evaluation.cross_validation)
    ("split", "cv_folds"): whole(2, 20),
    ("split", "cv_repeats"): whole(1, 50),
    ("data", "sheet_features"): NAMES,
    ("export", "carry"): NAMES,
}

# The values a success metric can take: target_value must lie inside them.
METRIC_RANGES: dict[str, Rule] = {
    **{
        m: PROBABILITY
        for m in ("roc_auc", "pr_auc", "balanced_accuracy", "f1", "sensitivity", "specificity", "brier", "ece")
    },
    **{m: number(-1, 1) for m in ("mcc", "pearson", "spearman")},
    "r2": number(high=1),
    "rmse": number(0),
    "mae": number(0),
}
