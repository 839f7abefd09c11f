"""The Evaluate step's tune-set evaluation (Tips 1, 7, 9).

The network is scored with the whole metric panel (bootstrap intervals, curves, calibration),
per batch and per subgroup, beside the baselines; the model is measured for the
success-criteria scoreboard, and the guards that need no interpretation run (a label proxy,
near-perfect scores on few samples, a rare minority class). The decision threshold is set here.
"""

from __future__ import annotations

from guiapp.core.evaluation import guards, score_table, scoreboard, subgroups
from guiapp.core.evaluation.common import (
    SPLIT_CODES,
    replace_findings,
    require_trained,
    study_panel,
    target_findings,
    test_reuse_findings,
)
from guiapp.core.models.network import predict
from guiapp.core.split.draw import train_tune_arrays
from guiapp.core.stats.metrics import HIGHER_IS_BETTER
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.findings import Findings
from guiapp.core.study.model import Study
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext, no_progress

RARE_MINORITY = 0.10  # below this share of samples, accuracy and ROC AUC mislead
TUNE_CODES = {
    Findings.network_not_better.code,
    Findings.rare_minority_class.code,
    Findings.label_proxy.code,
    Findings.criterion_not_met.code,
    Findings.strong_single_markers.code,
}


def set_threshold(study: Study, threshold: float) -> None:
    """The probability of the positive class above which a sample is called positive (binary)."""
    if not 0.0 < float(threshold) < 1.0:
        raise TenfoldError("Choose a decision threshold between 0 and 1 (0.5 calls the more likely class).")
    study.evaluation.threshold = float(threshold)


def minority_findings(study: Study) -> list:
    """The imbalance rule: a minority class under 10% of the samples."""
    counts = study.data.class_counts or {}
    total = sum(counts.values())
    if not study.is_classification or len(counts) < 2 or not total:
        return []
    minority, n = min(counts.items(), key=lambda kv: kv[1])
    share = n / total
    if share >= RARE_MINORITY:
        return []
    return [Findings.rare_minority_class.raise_(minority=str(minority), share=share)]


def rare_minority(study: Study) -> bool:
    return bool(minority_findings(study))


def evaluate_on_tune(study: Study, *, ctx: TaskContext = NO_CONTEXT) -> dict:
    """The network's metric panel on the tune split, per batch and subgroup, beside the best
    baseline; the model measured for the scoreboard; the guards that need no interpretation."""
    require_trained(study)
    X_tr, y_tr, X_tu, y_tu = train_tune_arrays(study)
    ctx.report(0.1, "Scoring the tune split with bootstrap intervals")
    out = predict(study, X_tu)
    panel = study_panel(study, y_tu, out)
    ctx.check()
    study.evaluation.tune_metrics = panel
    ctx.report(0.4, "Scoring each batch and subgroup")
    study.evaluation.tune_groups = subgroups.split_group_metrics(study, "tune", study.split.tune_idx, y_tu, out, panel)
    ctx.check()
    ctx.report(0.6, "Looking for a feature that gives the label away")
    proxy = guards.label_proxy_scan(study, X_tr, y_tr, X_tu, y_tu)
    ctx.check()
    ctx.report(0.8, "Measuring the model's size and speed")
    scoreboard.measure_model(study, ctx=ctx.with_progress(no_progress))
    metric = study.primary_metric
    findings = []
    best = study.baselines.best(metric) if HIGHER_IS_BETTER[metric] else None
    if best is not None and panel[metric] <= best["tune_metrics"][metric]:
        findings.append(
            Findings.network_not_better.raise_(
                network=panel[metric],
                baseline=best["name"],
                baseline_name=score_table.model_name(best["name"]),
                baseline_score=best["tune_metrics"][metric],
                metric=metric,
            )
        )
    findings += minority_findings(study) + proxy
    replace_findings(
        study, "evaluate", TUNE_CODES | {Findings.test_set_reused.code}, findings + test_reuse_findings(study)
    )
    # Near-perfect scores are flagged once: on the test set when it has been read, else here.
    near = [] if study.evaluation.test_metrics else guards.near_perfect_findings(study, panel, "tune")
    replace_findings(
        study,
        "evaluate",
        SPLIT_CODES,
        target_findings(study, panel, "tune") + subgroups.gap_findings(study.evaluation.tune_groups) + near,
        split="tune",
    )
    replace_findings(study, "evaluate", {Findings.criterion_not_met.code}, scoreboard.scoreboard_findings(study))
    ctx.report(1.0, "Tune evaluation done")
    return panel
