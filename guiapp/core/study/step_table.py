"""The steps table: the steps of a study in order, their tips, and what each records.

The study model reads it for :meth:`~guiapp.core.study.model.Study.invalidate_after`;
:mod:`guiapp.core.study.steps` adds what each step needs before it can start.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    tips: tuple[int, ...]
    # What the step computed from the steps before it, as "section.field" of the study: a change
    # in an earlier step makes these stale, and Study.invalidate_after resets them to their
    # defaults. The user's settings are never listed: they survive an upstream change.
    records: tuple[str, ...] = ()


STEPS = (
    Step("study", "Study", (3,)),
    Step("question", "Question", (4,)),
    Step("data", "Data", (4, 10)),
    Step("batch", "Batch effects", (4, 7)),
    # ComBat's before/after metrics are shown on the Batch-effects page but measured on the
    # training split, so they go stale with the split.
    Step("split", "Split", (7,), ("batch.after",)),
    Step("baselines", "Baselines", (1, 2), ("baselines.results",)),
    Step("architecture", "Architecture", (5, 3)),
    Step("train", "Train", (6, 3), ("train.status", "train.history", "train.weights")),
    Step("overfitting", "Overfitting", (7,)),
    Step("evaluate", "Evaluate", (1, 7, 9), ("evaluation.tune_metrics",)),
    Step("interpret", "Interpret", (8, 9)),
    Step("ethics", "Ethics & privacy", (10,)),
    Step("export", "Export", (10, 3)),
)
STEP_IDS = tuple(s.id for s in STEPS)


def step(step_id: str) -> Step:
    return STEPS[STEP_IDS.index(step_id)]


def records_after(step_id: str) -> tuple[str, ...]:
    """The study records of every step after ``step_id``, in step order: what a change in
    ``step_id`` (or before it) makes stale."""
    return tuple(r for s in STEPS[STEP_IDS.index(step_id) + 1 :] for r in s.records)
