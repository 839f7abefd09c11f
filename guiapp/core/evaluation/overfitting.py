"""The Overfitting step's check: the network's best weights scored on the training split and on
the tune split, and the gap between them in plain words (Tip 7).
"""

from __future__ import annotations

from guiapp.core.evaluation.common import replace_findings, require_trained
from guiapp.core.models.network import predict
from guiapp.core.split.draw import train_tune_arrays
from guiapp.core.stats.metrics import HIGHER_IS_BETTER, THRESHOLD_METRICS, score
from guiapp.core.study.findings import Findings
from guiapp.core.study.model import Study
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext

GAP_WARN = 0.05


def overfitting_check(study: Study, *, ctx: TaskContext = NO_CONTEXT) -> dict:
    """Train vs tune score of the network's best weights, with the gap in plain words."""
    require_trained(study)
    X_tr, y_tr, X_tu, y_tu = train_tune_arrays(study)
    metric = study.primary_metric
    threshold = study.evaluation.threshold
    ctx.report(0.3, "Scoring the training split")
    # The threshold only matters to the metrics that read the predicted class.
    extra = (threshold,) if metric in THRESHOLD_METRICS else ()
    train_score = score(metric, y_tr, predict(study, X_tr), *extra)
    ctx.check()
    tune_score = score(metric, y_tu, predict(study, X_tu), *extra)
    sign = 1 if HIGHER_IS_BETTER[metric] else -1
    gap = sign * (train_score - tune_score)
    o = study.overfitting
    o.metric, o.train_score, o.tune_score, o.gap = metric, train_score, tune_score, gap
    findings = []
    if gap > GAP_WARN:
        o.reading = (
            f"The network does clearly better on the samples it was trained on "
            f"({train_score:.3f}) than on the tune samples ({tune_score:.3f}): it "
            "partly memorises them. Trust the tune score, not the training score."
        )
        findings.append(Findings.overfitting_gap.raise_(train=train_score, tune=tune_score, metric=metric, gap=gap))
    else:
        o.reading = (
            f"Training ({train_score:.3f}) and tune ({tune_score:.3f}) scores are close: no sign of strong overfitting."
        )
    replace_findings(study, "overfitting", {Findings.overfitting_gap.code}, findings)
    ctx.report(1.0, "Overfitting check done")
    return {"metric": metric, "train": train_score, "tune": tune_score, "gap": gap}
