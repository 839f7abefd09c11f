"""The steps of a study, in order, and what each needs before it can start.

One pure function of the study decides whether a step is reachable, so the wizard, the CLI
and the tests agree (the checklist decides whether a step may be left).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from guiapp.core.study.model import Study


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


def missing_prerequisite(study: Study, step_id: str) -> str | None:
    """Why ``step_id`` cannot be worked on yet, in plain words; None when it can."""
    i = STEP_IDS.index(step_id)
    has_data = bool(study.data.feature_columns) and study.table is not None
    needs = [
        (STEP_IDS.index("data"), study.folder is not None, "Create or open a study folder first (Study page)."),
        (STEP_IDS.index("batch"), has_data, "Load a data table on the Data page first."),
        (STEP_IDS.index("baselines"), study.split.sealed, "Draw the split on the Split page first."),
        (
            STEP_IDS.index("overfitting"),
            study.train.status in ("done", "cancelled") and bool(study.train.weights),
            "Train the network on the Train page first.",
        ),
    ]
    too_few = next((f for f in study.findings if f.code == "too-few-samples"), None)
    if too_few is not None:  # the data are profiled, but no split can be judged (Tip 1)
        needs.append((STEP_IDS.index("split"), False, too_few.message))
    for first_step, ok, message in needs:
        if i >= first_step and not ok:
            return message
    return None
