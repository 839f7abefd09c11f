"""Applying a batch remedy (Tips 4 and 7): record it, set the split strategy it calls for, and
draw the split again when one was drawn.

- :func:`choose_remedy` / :func:`apply_remedy`: the Batch-effects page's remedy, with the
  before/after metrics of ComBat (:func:`guiapp.core.batch.remedy.remedy_effect`).
- :func:`apply_group_remedy`: a column becomes the group column and the split is drawn by group.
- :func:`apply_split_remedy`: the Split page's remedy for a confounded batch.
"""

from __future__ import annotations

from guiapp.core.batch.remedy import REASON_NEEDED, REMEDIES, remedy_effect, remedy_needs_reason, use_group_column
from guiapp.core.split.draw import split_study
from guiapp.core.split.remedies import record_remedy
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.model import Study
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext
from guiapp.core.study.vocabulary import SplitStrategy


def choose_remedy(study: Study, remedy: str, reason: str = "", *, holdout_batches=None) -> None:
    """Record the user's remedy; a group or hold-out-batch remedy sets the split strategy.

    A split already drawn is drawn again with the new strategy (refused once the test set
    was used); a change to or from ComBat makes the fitted models stale.
    """
    if remedy not in REMEDIES:
        raise TenfoldError(f"Unknown remedy {remedy!r}; choose one of {', '.join(REMEDIES)}.")
    s, b, d = study.split, study.batch, study.data
    if s.test_uses > 0 and remedy != b.remedy:
        raise TenfoldError(
            "The sealed test set has already been used; changing the remedy now would "
            "hide what the test score was measured on. Start a new study (Tip 7)."
        )
    if remedy == "group-split" and not d.group:
        raise TenfoldError(
            "A group split needs a group column (donor, patient, animal, cell line): choose it on the Data page first."
        )
    if remedy in ("batch-holdout", "batch-label-stratified", "combat") and not d.batch:
        raise TenfoldError("This remedy needs a batch column: choose it on the Data page first.")
    previous = b.remedy
    b.remedy, b.remedy_reason = remedy, reason.strip()
    b.after = {}
    by_remedy: dict[str, SplitStrategy] = {
        "group-split": "group",
        "batch-holdout": "batch-holdout",
        "batch-label-stratified": "batch-label-stratified",
    }
    strategy = by_remedy.get(remedy, s.strategy)
    if holdout_batches is not None:
        s.holdout_batches = [str(x) for x in holdout_batches]
    if s.sealed and (strategy != s.strategy or holdout_batches is not None):
        s.strategy = strategy
        split_study(study)
    else:
        s.strategy = strategy
        if s.sealed and "combat" in (remedy, previous) and remedy != previous:
            study.invalidate_after("batch")


def apply_remedy(
    study: Study,
    remedy: str,
    reason: str = "",
    *,
    holdout_batches=None,
    n_permutations: int = 9,
    ctx: TaskContext = NO_CONTEXT,
) -> dict:
    """The page's remedy action: :func:`choose_remedy`, then
    :func:`guiapp.core.batch.remedy.remedy_effect` for ComBat.

    "none" needs a reason when :func:`guiapp.core.batch.remedy.remedy_needs_reason`
    (:data:`guiapp.core.batch.remedy.REASON_NEEDED`).
    Returns the before/after metrics (empty unless ComBat on a drawn split).
    """
    if remedy == "none" and not reason.strip() and remedy_needs_reason(study):
        raise TenfoldError(REASON_NEEDED)
    ctx.report(0.05, "Recording the remedy")
    choose_remedy(study, remedy, reason, holdout_batches=holdout_batches)
    ctx.check()
    return remedy_effect(study, n_permutations=n_permutations, ctx=ctx.sub(0.1, 1.0))


def apply_group_remedy(study: Study, column: str, *, automatic: bool = False) -> None:
    """The remedy for ``group-column-suggested``: ``column`` becomes the group column and the
    split is drawn by group (a drawn split is drawn again). Recorded in ``study.split.remedies``.

    The Batch-effects page's "Use as group column" and the headless run (``automatic``: when
    the copies name the column and the spec sets no group or strategy) both call it.
    """
    why = next((g.get("reason", "") for g in study.batch.group_suggestions if g.get("column") == column), "")
    use_group_column(study, column)
    text = (
        f"Split: group split by `{column}`"
        + (f" because {why}" if why else "")
        + (
            "; applied by the headless run because the spec set no group column or split strategy "
            "(set [data] group or [split] strategy to choose otherwise)"
            if automatic
            else ""
        )
        + "."
    )
    record_remedy(study, "group-column-suggested", "group-split", text)
    s = study.split
    if s.strategy != "batch-holdout" and study.batch.remedy in ("none", "group-split"):
        choose_remedy(study, "group-split", study.batch.remedy_reason or why or f"`{column}` groups the samples")
        return
    # Whole batches stay the test set (tune is then drawn by group), or ComBat stays the correction.
    s.strategy = s.strategy if s.strategy == "batch-holdout" else "group"
    if s.sealed:
        split_study(study)


def apply_split_remedy(study: Study, remedy: str, reason: str = "") -> None:
    """The Split page's remedy for a confounded batch: leave-batch-out (``batch-holdout``) or
    ``batch-label-stratified``, recorded as the batch remedy and drawn at once."""
    if remedy not in ("batch-holdout", "batch-label-stratified"):
        raise TenfoldError(f"{remedy!r} is not a split remedy; choose batch-holdout or batch-label-stratified.")
    redrawn_before = study.split.sealed and study.split.strategy != remedy
    choose_remedy(study, remedy, reason or "batch confounded with the label")
    if not redrawn_before:
        split_study(study)
