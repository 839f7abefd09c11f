"""The batch remedy (Tips 4 and 7): what each choice means, when choosing none needs a reason,
what ComBat changed, and the model card's paragraph.

The remedies are :data:`REMEDIES`: none, a group split, whole batches held out as the test
set, a batch × label stratified split, or ComBat fitted on the training split
(:mod:`guiapp.core.batch.combat`). :func:`remedy_effect` measures the batch metrics on the
training split before and after ComBat; :func:`use_group_column` makes a column the group
column. Recording a remedy and drawing the split again is
:mod:`guiapp.core.split.remedy_actions`.
"""

from __future__ import annotations

import numpy as np

from guiapp.core.batch.combat import correct_rows
from guiapp.core.batch.effects import SILHOUETTE_WARN, near_copy_advice, pca_embedding
from guiapp.core.batch.metrics import AMBER, GREEN, RED, measure_batch_effect
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.findings import Findings
from guiapp.core.study.model import Study
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext
from guiapp.core.study.vocabulary import BATCH_REMEDIES

REMEDIES = BATCH_REMEDIES
REMEDY_WORDS = {
    "none": "no correction",
    "group-split": "a group-aware split (each donor, patient or animal in one part)",
    "batch-holdout": "whole batches held out as the test set",
    "batch-label-stratified": "a batch × label stratified split (each batch and label in every part)",
    "combat": "ComBat batch correction fitted on the training split only",
}


def remedy_effect(study: Study, *, n_permutations: int = 9, ctx: TaskContext = NO_CONTEXT) -> dict:
    """Batch metrics on the training split before and after ComBat (fitted on those rows).

    Stored in ``study.batch.after``; an empty dict when the remedy is not ComBat or the split
    is not drawn yet. Only training rows are used: the tune and test rows stay unseen.
    """
    from guiapp.core.data.attach import model_frame  # imports pandas: the window imports this module at open

    b = study.batch
    if b.remedy != "combat" or not study.split.train_idx:
        b.after = {}
        return {}
    X, y, rows = model_frame(study)
    train = np.asarray(study.split.train_idx)
    batches = rows[study.data.batch].astype(str).to_numpy()[train]
    labels = rows[study.data.label].astype(str).to_numpy()[train] if study.is_classification else None
    out = {"on": "training split", "n": int(len(train))}
    for i, (name, features) in enumerate((("before", X[train]), ("after", correct_rows(study, X, y, rows, train)))):
        ctx.check()
        pcs, evr = pca_embedding(features, seed=study.split.seed)
        m = measure_batch_effect(
            pcs,
            evr,
            batches,
            labels,
            seed=study.split.seed,
            n_permutations=n_permutations,
            ctx=ctx.sub(0.5 * i, 0.5 * (i + 1)),
        )
        out[name] = {k: r.value for k, r in m.results.items()}
        out[f"{name}_lights"] = {k: r.light for k, r in m.results.items()}
    b.after = out
    ctx.report(1.0, "Remedy measured")
    return out


REASON_NEEDED = (
    "A batch effect or confounding was found: say why no correction is needed "
    "(for example, every batch will also be present when the model is used). The "
    "reason goes into the model card (Tips 4 and 7)."
)


def remedy_needs_reason(study: Study) -> bool:
    """Whether choosing no remedy needs a written reason: something was measured as a problem."""
    b = study.batch
    return bool(
        b.confounded
        or any(v in (RED, AMBER) for v in b.lights.values())
        or (b.silhouette is not None and b.silhouette >= SILHOUETTE_WARN)
    )


def use_group_column(study: Study, column: str) -> None:
    """Make ``column`` the group column (donor, patient…): its samples stay on one side of the split.

    A column that was a feature stops being one (the models fitted with it become stale).
    The batch step's group suggestion is withdrawn and a drawn split is checked for groups
    on both sides; redraw it with the group strategy to keep them apart.
    """
    # These import pandas: the window imports this module at open.
    from guiapp.core.batch.confounding import split_leak_findings
    from guiapp.core.data.profile import check_group

    d, table = study.data, study.table
    if table is None:
        raise TenfoldError("No data are loaded for this study: load a table on the Data page.")
    check_group(table, column)
    if column in (d.label, d.batch):
        raise TenfoldError(
            f"{column!r} is the {'label' if column == d.label else 'batch'} column; "
            "a group column names the donor, patient, animal or cell line."
        )
    if column in d.feature_columns:
        if study.split.test_uses > 0:
            raise TenfoldError(
                "The sealed test set has already been used; changing the features "
                "now would hide what it measured. Start a new study (Tip 7)."
            )
        d.feature_columns = [c for c in d.feature_columns if c != column]
        d.n_features = len(d.feature_columns)
        study.invalidate_after("batch")
    d.group = column
    _refresh_for_group(study, column)
    study.set_findings("batch", [f for f in study.findings if f.step == "batch" and f.code != "group-column-suggested"])
    if study.split.train_idx:
        study.set_findings("split", split_leak_findings(study))


def _refresh_for_group(study: Study, column: str) -> None:
    """A new group column changes two messages: a personal column is kept as the group (not
    removed), and the near-copy advice counts the pairs the group already keeps together."""
    from guiapp.core.data.attach import model_frame  # imports pandas: the window imports this module at open

    swapped = []
    for f in study.findings:
        if f.code == Findings.personal_identifier.code and f.values.get("column") == column:
            f = Findings.personal_group_column.raise_(**{k: f.values[k] for k in ("column", "kind", "evidence")})
        swapped.append(f)
    study.findings = swapped
    near = [(int(i), int(j)) for i, j, kind in study.batch.duplicate_pairs if kind == "near"]
    old = next((f for f in study.findings if f.code == Findings.near_duplicate_samples.code), None)
    if old is None or not near or study.table is None:
        return
    _, _, rows = model_frame(study)
    fresh = Findings.near_duplicate_samples.raise_(
        count=old.values.get("count", len(near)),
        threshold=old.values.get("threshold", 0.1),
        advice=near_copy_advice(study, rows, near, None),
    )
    study.findings = [fresh if f is old else f for f in study.findings]


def remedy_text(study: Study) -> str:
    """One paragraph for the model card: what was measured, what was done, what remains."""
    b, d, s = study.batch, study.data, study.split
    if not d.batch:
        return (
            "No batch column was declared, so batch effects were not measured; if samples came "
            "in runs, plates, sites or days, scores may partly reflect them (Tips 4 and 7)."
        )
    parts = []
    if b.silhouette is not None:
        lights = ", ".join(f"{k} {v}" for k, v in b.lights.items())
        parts.append(
            f"Batch column `{d.batch}`: batch silhouette {b.silhouette:.2f}"
            + (f", PC regression {b.pcr_batch:.2f}" if b.pcr_batch is not None else "")
            + (
                f", iLISI {b.ilisi:.2f} (scaled iLISI (scib) {b.ilisi_norm:.2f})"
                if b.ilisi is not None and b.ilisi_norm is not None
                else ""
            )
            + (f" (traffic lights: {lights})" if lights else "")
            + "."
        )
    if b.cramers_v is not None:
        parts.append(f"Batch vs label: Cramér's V {b.cramers_v:.2f}" + (" — confounded." if b.confounded else "."))
    parts.append(
        f"Remedy: {REMEDY_WORDS.get(b.remedy, b.remedy)}" + (f" ({b.remedy_reason})" if b.remedy_reason else "") + "."
    )
    if b.remedy == "batch-holdout" or s.strategy == "batch-holdout":
        held = s.test_batches or s.holdout_batches
        where = f"({', '.join(held)})" if held else "(drawn when the split is made)"
        parts.append(f"The test set holds whole batches {where}, so its score estimates performance on a new batch.")
    if b.remedy == "batch-label-stratified" or s.strategy == "batch-label-stratified":
        parts.append(
            "Every batch × label cell is kept in proportion in each part of the split, so each "
            "part holds the same mix of batches and labels."
        )
    if b.remedy == "group-split" or s.strategy == "group":
        parts.append(f"Samples of one `{d.group}` are never on both sides of the split.")
    if b.confounded:
        parts.append(
            "Batch and label are confounded: no correction (ComBat included) can undo that, "
            "because where they go together it cannot tell the batch from the biology. The "
            "scores may still partly reflect the batch; the design itself is a limitation."
        )
    if b.remedy == "combat" and b.after.get("before"):
        before, after = b.after["before"], b.after["after"]
        parts.append(
            f"On the training split, batch silhouette {before['silhouette']:.2f} → "
            f"{after['silhouette']:.2f} and PC regression {before['pcr_batch']:.2f} → "
            f"{after['pcr_batch']:.2f} after correction."
        )
    risky = b.confounded or any(v == RED for v in b.lights.values())
    if b.remedy == "none" and risky:
        parts.append(
            "Risk: a batch effect or confounding was measured and not corrected; the scores "
            "may partly reflect the batch rather than the biology."
        )
    elif b.remedy == "none" and b.lights and all(v == GREEN for v in b.lights.values()):
        parts.append("All batch metrics were green, so no remedy was needed.")
    return " ".join(parts)
