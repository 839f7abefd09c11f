"""Overfitting check, tune-set evaluation, and the one-time sealed test evaluation (Tips 1, 7, 9).

The tune evaluation scores the network with the whole metric panel (bootstrap intervals,
curves, calibration), per batch and per subgroup, beside the baselines; it also measures the
model for the success-criteria scoreboard and runs the guards that need no interpretation
(a label proxy, near-perfect scores on few samples, a rare minority class). The final
evaluation opens the sealed test set once; a second look needs a recorded reason.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from guiapp.core.stats.metrics import HIGHER_IS_BETTER, THRESHOLD_METRICS, predicted_classes, score
from guiapp.core.stats.panel import metric_panel
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.findings import Findings
from guiapp.core.study.model import now_iso
from guiapp.core.study.task_context import ProgressFn, StopFn, check_stop, no_progress

GAP_WARN = 0.05
RARE_MINORITY = 0.10  # below this share of samples, accuracy and ROC AUC mislead


def require_trained(study) -> None:
    if study.train.status not in ("done", "cancelled") or not study.train.weights:
        raise TenfoldError("Train the network on the Train page first.")


def _replace(study, step: str, codes: Iterable[str], new: list, split: str | None = None) -> None:
    """Replace this step's findings of ``codes`` (of one split, when given), keep the rest."""
    codes = set(codes)

    def mine(f) -> bool:
        return f.step == step and f.code in codes and (split is None or f.values.get("split", split) == split)

    study.findings = [f for f in study.findings if not mine(f)] + list(new)


def baseline_pipeline(study, name: str):
    """The baseline ``name`` unfitted, with the settings its tuning chose (defaults without one)."""
    from guiapp.core.models import baselines

    if hasattr(baselines, "tuned_pipeline"):
        return baselines.tuned_pipeline(study, name)
    return baselines.make_pipeline(name, study.question.task, seed=study.split.seed)


def set_threshold(study, threshold: float) -> None:
    """The probability of the positive class above which a sample is called positive (binary)."""
    if not 0.0 < float(threshold) < 1.0:
        raise TenfoldError("Choose a decision threshold between 0 and 1 (0.5 calls the more likely class).")
    study.evaluation.threshold = float(threshold)


def overfitting_check(study, progress: ProgressFn = no_progress, should_stop: StopFn | None = None) -> dict:
    """Train vs tune score of the network's best weights, with the gap in plain words."""
    from guiapp.core.models.network import predict
    from guiapp.core.split.draw import train_tune_arrays

    require_trained(study)
    X_tr, y_tr, X_tu, y_tu = train_tune_arrays(study)
    metric = study.primary_metric
    threshold = study.evaluation.threshold
    progress(0.3, "Scoring the training split")
    # The threshold only matters to the metrics that read the predicted class.
    extra = (threshold,) if metric in THRESHOLD_METRICS else ()
    train_score = score(metric, y_tr, predict(study, X_tr), *extra)
    check_stop(should_stop)
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
    _replace(study, "overfitting", {Findings.overfitting_gap.code}, findings)
    progress(1.0, "Overfitting check done")
    return {"metric": metric, "train": train_score, "tune": tune_score, "gap": gap}


def _panel(study, y, out, **kw) -> dict:
    classes = study.data.classes if study.is_classification else None
    return metric_panel(
        study.question.task, y, out, seed=study.split.seed, threshold=study.evaluation.threshold, classes=classes, **kw
    )


def minority_findings(study) -> list:
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


def rare_minority(study) -> bool:
    return bool(minority_findings(study))


TUNE_CODES = {
    Findings.network_not_better.code,
    Findings.rare_minority_class.code,
    Findings.label_proxy.code,
    Findings.criterion_not_met.code,
    Findings.strong_single_markers.code,
}
SPLIT_CODES = {Findings.below_target.code, Findings.subgroup_gap.code, Findings.near_perfect_small_n.code}


def evaluate_on_tune(study, progress: ProgressFn = no_progress, should_stop: StopFn | None = None) -> dict:
    """The network's metric panel on the tune split, per batch and subgroup, beside the best
    baseline; the model measured for the scoreboard; the guards that need no interpretation."""
    from guiapp.core.evaluation import guards, scoreboard, subgroups
    from guiapp.core.models.network import predict
    from guiapp.core.split.draw import train_tune_arrays

    require_trained(study)
    X_tr, y_tr, X_tu, y_tu = train_tune_arrays(study)
    progress(0.1, "Scoring the tune split with bootstrap intervals")
    out = predict(study, X_tu)
    panel = _panel(study, y_tu, out)
    check_stop(should_stop)
    study.evaluation.tune_metrics = panel
    progress(0.4, "Scoring each batch and subgroup")
    study.evaluation.tune_groups = subgroups.split_group_metrics(study, "tune", study.split.tune_idx, y_tu, out, panel)
    check_stop(should_stop)
    progress(0.6, "Looking for a feature that gives the label away")
    proxy = guards.label_proxy_scan(study, X_tr, y_tr, X_tu, y_tu)
    check_stop(should_stop)
    progress(0.8, "Measuring the model's size and speed")
    scoreboard.measure_model(study, should_stop=should_stop)
    metric = study.primary_metric
    findings = []
    best = study.baselines.best(metric) if HIGHER_IS_BETTER[metric] else None
    if best is not None and panel[metric] <= best["tune_metrics"][metric]:
        findings.append(
            Findings.network_not_better.raise_(
                network=panel[metric], baseline=best["name"], baseline_score=best["tune_metrics"][metric], metric=metric
            )
        )
    findings += minority_findings(study) + proxy
    _replace(study, "evaluate", TUNE_CODES | {Findings.test_set_reused.code}, findings + _test_findings(study))
    # Near-perfect scores are flagged once: on the test set when it has been read, else here.
    near = [] if study.evaluation.test_metrics else guards.near_perfect_findings(study, panel, "tune")
    _replace(
        study,
        "evaluate",
        SPLIT_CODES,
        _target_findings(study, panel, "tune") + subgroups.gap_findings(study.evaluation.tune_groups) + near,
        split="tune",
    )
    _replace(study, "evaluate", {Findings.criterion_not_met.code}, scoreboard.scoreboard_findings(study))
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
    return [
        Findings.below_target.raise_(
            metric=q.target_metric,
            target=q.target_value,
            value=value,
            split=split,
            comparison="≥" if HIGHER_IS_BETTER[q.target_metric] else "≤",
        )
    ]


def _test_findings(study) -> list:
    s = study.split
    if s.test_uses > 1:
        return [Findings.test_set_reused.raise_(uses=s.test_uses, reason="; ".join(s.unseal_reasons))]
    return []


def finalize_test_evaluation(
    study, *, unseal_reason: str = "", progress: ProgressFn = no_progress, should_stop: StopFn | None = None
) -> dict:
    """Open the sealed test set, once: score the network and the baselines on it.

    A second evaluation needs ``unseal_reason``; it is recorded and flagged as a Tip 7
    violation in the card and the checklist.
    """
    from guiapp.core.evaluation import guards, scoreboard, subgroups
    from guiapp.core.models.baselines import fitted_baseline, model_output
    from guiapp.core.models.network import predict
    from guiapp.core.split.draw import sealed_test_rows, train_tune_arrays

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
    X_te, y_te = sealed_test_rows(study, finalising=True)
    task = study.question.task
    progress(0.1, "Scoring the network on the sealed test set")
    test_out = predict(study, X_te)
    panel = _panel(study, y_te, test_out)
    groups = subgroups.split_group_metrics(study, "test", s.test_idx, y_te, test_out, panel)
    baseline_panels = {}
    X_tr, y_tr, _, _ = train_tune_arrays(study)
    names = [r["name"] for r in study.baselines.results]
    for i, name in enumerate(names):
        check_stop(should_stop)
        progress(0.3 + 0.6 * i / max(len(names), 1), f"Scoring baseline {name} on the test set")
        pipe = fitted_baseline(study, name, X_tr, y_tr)  # fitted once, at the Baselines step
        baseline_panels[name] = _panel(study, y_te, model_output(pipe, X_te, task))
    e = study.evaluation
    e.test_metrics, e.baseline_test_metrics, e.test_evaluated_at = panel, baseline_panels, now_iso()
    e.test_groups = groups
    _replace(study, "evaluate", {Findings.test_set_reused.code}, _test_findings(study))
    _replace(
        study,
        "evaluate",
        SPLIT_CODES,
        _target_findings(study, panel, "test") + subgroups.gap_findings(groups),
        split="test",
    )
    _replace(
        study, "evaluate", {Findings.near_perfect_small_n.code}, guards.near_perfect_findings(study, panel, "test")
    )
    _replace(study, "evaluate", {Findings.criterion_not_met.code}, scoreboard.scoreboard_findings(study))
    s.test_read_pending = False
    if study.folder is not None:  # stored before anyone is shown a score
        study.save()
    progress(1.0, "Test evaluation done")
    return panel


def test_predictions(study):
    """Predictions on the test rows, for the export (only after the final evaluation).

    Rows are keyed by the sample ID, or by a pseudonymous row key when the ID is personal; the
    only other columns are those the user chose to carry and nothing marks as personal
    (:mod:`guiapp.core.data.what_leaves`).
    """
    from guiapp.core.data.attach import model_frame
    from guiapp.core.data.what_leaves import prediction_rows
    from guiapp.core.models.network import predict
    from guiapp.core.split.draw import model_rows

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
