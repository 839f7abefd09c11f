"""The steps of a study, in order, and what each needs before it can start.

One pure function of the study decides whether a step is reachable, so the wizard, the CLI
and the tests agree (the checklist decides whether a step may be left).
"""

from __future__ import annotations

from guiapp.core.study.model import Study
from guiapp.core.study.step_table import STEP_IDS, STEPS, Step, records_after, step

__all__ = ["STEPS", "STEP_IDS", "Step", "missing_prerequisite", "records_after", "step"]


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
