"""The Evaluate step's one-time sealed test (Tip 7): the network and the baselines scored on the
test set, opened once; a second look needs a recorded reason and is flagged. Also the test-set
predictions the export writes to predictions.csv.
"""

from __future__ import annotations

import numpy as np

from guiapp.core.evaluation import guards, scoreboard, subgroups
from guiapp.core.evaluation.common import (
    SPLIT_CODES,
    replace_findings,
    require_trained,
    study_panel,
    target_findings,
    test_reuse_findings,
)
from guiapp.core.models.baselines import fitted_baseline, model_output
from guiapp.core.models.network import predict
from guiapp.core.split import draw  # draw.sealed_test_rows: looked up at call time (tests cut a read short)
from guiapp.core.split.draw import model_rows, train_tune_arrays
from guiapp.core.stats.metrics import predicted_classes
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.findings import Findings
from guiapp.core.study.model import Study, now_iso
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext


def finalize_test_evaluation(study: Study, *, unseal_reason: str = "", ctx: TaskContext = NO_CONTEXT) -> dict:
    """Open the sealed test set, once: score the network and the baselines on it.
    A second evaluation needs ``unseal_reason``; it is recorded and flagged as a Tip 7
    violation in the card and the checklist.
    """
    require_trained(study)
    s = study.split
    if s.test_read_pending:
        # A read recorded as a use, whose process died before any of its scores was stored: no
        # one saw a number from it, so nothing could have been tuned on it. It is finished now
        # as that same use, not counted again (a second count would flag an honest study as
        # having looked twice) and not forgotten (it was counted before the data were read).
        pass
    elif s.test_uses >= 1 and not unseal_reason.strip():
        raise TenfoldError(
            "The sealed test set has already been used once. Looking again makes its score "
            "optimistic (Tip 7); if you must, give a reason — it will be shown in the model "
            "card and the checklist."
        )
    else:
        # The use is recorded, and saved, before the data are read: a read cut short by a
        # crash or a kill still counts.
        s.test_uses += 1
        if unseal_reason.strip():
            s.unseal_reasons.append(unseal_reason.strip())
        s.test_read_pending = True
        if study.folder is not None:
            study.save()
    X_te, y_te = draw.sealed_test_rows(study, finalising=True)
    task = study.question.task
    ctx.report(0.1, "Scoring the network on the sealed test set")
    test_out = predict(study, X_te)
    panel = study_panel(study, y_te, test_out)
    groups = subgroups.split_group_metrics(study, "test", s.test_idx, y_te, test_out, panel)
    baseline_panels = {}
    X_tr, y_tr, _, _ = train_tune_arrays(study)
    names = [r["name"] for r in study.baselines.results]
    for i, name in enumerate(names):
        ctx.check()
        ctx.report(0.3 + 0.6 * i / max(len(names), 1), f"Scoring baseline {name} on the test set")
        pipe = fitted_baseline(study, name, X_tr, y_tr)  # fitted once, at the Baselines step
        baseline_panels[name] = study_panel(study, y_te, model_output(pipe, X_te, task))
    e = study.evaluation
    e.test_metrics, e.baseline_test_metrics, e.test_evaluated_at = panel, baseline_panels, now_iso()
    e.test_groups = groups
    replace_findings(study, "evaluate", {Findings.test_set_reused.code}, test_reuse_findings(study))
    replace_findings(
        study,
        "evaluate",
        SPLIT_CODES,
        target_findings(study, panel, "test") + subgroups.gap_findings(groups),
        split="test",
    )
    replace_findings(
        study, "evaluate", {Findings.near_perfect_small_n.code}, guards.near_perfect_findings(study, panel, "test")
    )
    replace_findings(study, "evaluate", {Findings.criterion_not_met.code}, scoreboard.scoreboard_findings(study))
    s.test_read_pending = False
    if study.folder is not None:  # stored before anyone is shown a score
        study.save()
    ctx.report(1.0, "Test evaluation done")
    return panel


def test_predictions(study: Study):
    """Predictions on the test rows, for the export (only after the final evaluation).
    Rows are keyed by the sample ID, or by a pseudonymous row key when the ID is personal; the
    only other columns are those the user chose to carry and nothing marks as personal
    (:mod:`guiapp.core.data.what_leaves`).
    """
    # Both pull pandas: imported when the export asks, so the window opens fast.
    from guiapp.core.data.attach import model_frame
    from guiapp.core.data.what_leaves import prediction_rows

    if study.split.test_uses < 1:
        return None
    X, y, rows = model_frame(study)
    te = np.asarray(study.split.test_idx)
    out = predict(study, model_rows(study, X, y, rows, te))  # as the model saw them: corrected
    frame = prediction_rows(study, rows, te)
    if study.is_classification:
        classes = study.data.classes
        frame["predicted"] = [classes[i] for i in predicted_classes(out, study.evaluation.threshold)]
        for k, c in enumerate(classes):
            frame[f"p_{c}"] = out[:, k].round(6)
    else:
        frame["predicted"] = out
        frame["residual"] = rows.iloc[te][study.data.label].to_numpy(dtype=float) - out
    return frame
