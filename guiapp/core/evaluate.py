"""Overfitting check, tune-set evaluation, and the one-time sealed test evaluation (Tips 1, 7, 9)."""

from __future__ import annotations

from typing import Optional

import numpy as np

from guiapp.core.errors import TenfoldError
from guiapp.core.findings import Findings
from guiapp.core.metrics import HIGHER_IS_BETTER, metric_panel, score
from guiapp.core.study import now_iso
from guiapp.core.tasks import ProgressFn, StopFn, check_stop, no_progress

GAP_WARN = 0.05


def require_trained(study) -> None:
    if study.train.status not in ("done", "cancelled") or not study.train.weights:
        raise TenfoldError("Train the network on the Train page first.")


def overfitting_check(study, progress: ProgressFn = no_progress,
                      should_stop: Optional[StopFn] = None) -> dict:
    """Train vs tune score of the network's best weights, with the gap in plain words."""
    from guiapp.core.network import predict
    from guiapp.core.split import train_tune_arrays

    require_trained(study)
    X_tr, y_tr, X_tu, y_tu = train_tune_arrays(study)
    metric = study.primary_metric
    progress(0.3, "Scoring the training split")
    train_score = score(metric, y_tr, predict(study, X_tr))
    check_stop(should_stop)
    tune_score = score(metric, y_tu, predict(study, X_tu))
    sign = 1 if HIGHER_IS_BETTER[metric] else -1
    gap = sign * (train_score - tune_score)
    o = study.overfitting
    o.metric, o.train_score, o.tune_score, o.gap = metric, train_score, tune_score, gap
    findings = []
    if gap > GAP_WARN:
        o.reading = (f"The network does clearly better on the samples it was trained on "
                     f"({train_score:.3f}) than on the tune samples ({tune_score:.3f}): it "
                     "partly memorises them. Trust the tune score, not the training score.")
        findings.append(Findings.overfitting_gap.raise_(train=train_score, tune=tune_score,
                                                        metric=metric, gap=gap))
    else:
        o.reading = (f"Training ({train_score:.3f}) and tune ({tune_score:.3f}) scores are close: "
                     "no sign of strong overfitting.")
    study.set_findings("overfitting", findings)
    progress(1.0, "Overfitting check done")
    return {"metric": metric, "train": train_score, "tune": tune_score, "gap": gap}


def evaluate_on_tune(study, progress: ProgressFn = no_progress,
                     should_stop: Optional[StopFn] = None) -> dict:
    """The network's metric panel on the tune split, compared with the best baseline."""
    from guiapp.core.network import predict
    from guiapp.core.split import train_tune_arrays

    require_trained(study)
    _, _, X_tu, y_tu = train_tune_arrays(study)
    progress(0.2, "Scoring the tune split with bootstrap intervals")
    panel = metric_panel(study.question.task, y_tu, predict(study, X_tu), seed=study.split.seed)
    check_stop(should_stop)
    study.evaluation.tune_metrics = panel
    metric = study.primary_metric
    findings = []
    best = study.baselines.best(metric) if HIGHER_IS_BETTER[metric] else None
    if best is not None and panel[metric] <= best["tune_metrics"][metric]:
        findings.append(Findings.network_not_better.raise_(
            network=panel[metric], baseline=best["name"],
            baseline_score=best["tune_metrics"][metric], metric=metric))
    findings += _target_findings(study, panel, "tune")
    study.set_findings("evaluate", findings + _test_findings(study))
    progress(1.0, "Tune evaluation done")
    return panel


def _target_findings(study, panel: dict, split: str) -> list:
    q = study.question
    if q.target_value is None or q.target_metric not in panel:
        return []
    value = panel[q.target_metric]
    met = value >= q.target_value if HIGHER_IS_BETTER[q.target_metric] else value <= q.target_value
    if met:
        return []
    return [Findings.below_target.raise_(metric=q.target_metric, target=q.target_value,
                                         value=value, split=split)]


def _test_findings(study) -> list:
    s = study.split
    if s.test_uses > 1:
        return [Findings.test_set_reused.raise_(uses=s.test_uses, reason="; ".join(s.unseal_reasons))]
    return []


def finalize_test_evaluation(study, *, unseal_reason: str = "", progress: ProgressFn = no_progress,
                             should_stop: Optional[StopFn] = None) -> dict:
    """Open the sealed test set, once: score the network and the baselines on it.

    A second evaluation needs ``unseal_reason``; it is recorded and flagged as a Tip 7
    violation in the card and the checklist.
    """
    from guiapp.core.baselines import make_pipeline, model_output
    from guiapp.core.network import predict
    from guiapp.core.split import sealed_test_rows, train_tune_arrays

    require_trained(study)
    s = study.split
    if s.test_uses >= 1 and not unseal_reason.strip():
        raise TenfoldError(
            "The sealed test set has already been used once. Looking again makes its score "
            "optimistic (Tip 7); if you must, give a reason — it will be shown in the model "
            "card and the checklist."
        )
    X_te, y_te = sealed_test_rows(study, finalising=True)
    task = study.question.task
    progress(0.1, "Scoring the network on the sealed test set")
    test_out = predict(study, X_te)
    panel = metric_panel(task, y_te, test_out, seed=s.seed)
    baseline_panels = {}
    X_tr, y_tr, _, _ = train_tune_arrays(study)
    names = [r["name"] for r in study.baselines.results]
    for i, name in enumerate(names):
        check_stop(should_stop)
        progress(0.3 + 0.6 * i / max(len(names), 1), f"Scoring baseline {name} on the test set")
        pipe = make_pipeline(name, task, seed=s.seed).fit(X_tr, y_tr)
        baseline_panels[name] = metric_panel(task, y_te, model_output(pipe, X_te, task), seed=s.seed)
    s.test_uses += 1
    if unseal_reason.strip():
        s.unseal_reasons.append(unseal_reason.strip())
    e = study.evaluation
    e.test_metrics, e.baseline_test_metrics, e.test_evaluated_at = panel, baseline_panels, now_iso()
    findings = [f for f in study.findings if f.step == "evaluate"
                and f.code not in ("test-set-reused",) and not (f.code == "below-target-metric" and f.values.get("split") == "test")]
    study.set_findings("evaluate", findings + _target_findings(study, panel, "test") + _test_findings(study))
    progress(1.0, "Test evaluation done")
    return panel


def test_predictions(study):
    """Predictions on the test rows, for the export (only after the final evaluation)."""
    import pandas as pd

    from guiapp.core.data import model_frame
    from guiapp.core.network import predict

    if study.split.test_uses < 1:
        return None
    from guiapp.core.split import model_rows

    X, y, rows = model_frame(study)
    te = np.asarray(study.split.test_idx)
    out = predict(study, model_rows(study, X, y, rows, te))  # as the model saw them: corrected
    frame = rows.iloc[te][[c for c in rows.columns if c not in study.data.feature_columns]].copy()
    if study.is_classification:
        classes = study.data.classes
        frame["predicted"] = [classes[i] for i in out.argmax(axis=1)]
        for k, c in enumerate(classes):
            frame[f"p_{c}"] = out[:, k].round(6)
    else:
        frame["predicted"] = out
    frame.insert(0, "row", te)
    return frame
