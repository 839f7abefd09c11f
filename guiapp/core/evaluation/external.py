"""External cohorts (Tips 7 and 9): independent labelled datasets, scored once after the sealed test.

A cohort is a file, its label column and a name (e.g. "Hospital B, 2024"), with an optional
sample sheet. :func:`~guiapp.core.evaluation.external_read.read_cohort` checks it as ``tenfold predict`` checks new samples: the
study's features by name (missing ones are named and refused), the same label set. It goes
through the study's own preprocessing, fitted on the training split only: the network's
built-in imputation and scaling, the training split's most frequent values, and the study's
ComBat fit, which treats the cohort as a batch it has not seen (from its features, never its
labels).

:func:`evaluate_cohort` records each cohort like the sealed test set: once; a second look
needs a reason, is counted and is shown in the card. Each result holds the whole metric panel
with intervals and calibration, the baselines on the same cohort, the change from the internal
test set with a bootstrap interval of the difference, and a shift check: a domain classifier
(training rows vs cohort rows, cross-validated logistic regression) and the cohort drawn on
the study's PCA embedding (:mod:`guiapp.core.evaluation.external_shift`). The recorded results
are read back by :mod:`guiapp.core.evaluation.external_results`.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from guiapp.core.evaluation import scoreboard
from guiapp.core.evaluation.common import baseline_pipeline, replace_findings, require_trained, study_panel
from guiapp.core.evaluation.external_read import Cohort, prepared_rows, read_cohort
from guiapp.core.evaluation.external_shift import SHIFT_WARN_AUC, shift_check
from guiapp.core.models.baselines import model_output
from guiapp.core.models.network import predict
from guiapp.core.split.draw import model_rows, train_tune_arrays
from guiapp.core.stats.metrics import HIGHER_IS_BETTER, fast_score
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.findings import Findings
from guiapp.core.study.model import Study, now_iso
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext

N_BOOT = 200


def _find(study: Study, name: str) -> dict | None:
    key = name.strip().casefold()
    return next((r for r in study.evaluation.external if r.get("name", "").casefold() == key), None)


def check_cohort(study: Study, spec: dict) -> Cohort:
    """A spec's ``[[external]]`` table read and checked (before training: a bad file fails fast)."""
    return read_cohort(study, spec["path"], label=spec["label"], name=spec["name"], samples=spec.get("samples", ""))


def evaluate_cohort(
    study: Study,
    path,
    *,
    label: str,
    name: str,
    samples: str = "",
    reason: str = "",
    ctx: TaskContext = NO_CONTEXT,
) -> dict:
    """Score the network and the baselines on one external cohort, once; record the result.

    A second evaluation of a cohort of the same name needs ``reason``; it is counted, kept
    with the result and raised as a finding.
    """
    require_trained(study)
    earlier = _earlier_look(study, name, reason)
    ctx.report(0.05, f"Reading the external cohort {name}")
    cohort = read_cohort(study, path, label=label, name=name, samples=samples, ctx=ctx)
    X = prepared_rows(study, cohort)
    ctx.check()
    ctx.report(0.2, f"Scoring the network on {cohort.name}")
    out = predict(study, X)
    panel = study_panel(study, cohort.y, out)
    X_tr, y_tr, _, _ = train_tune_arrays(study)
    baseline_panels = _baseline_panels(study, cohort, X, X_tr, y_tr, ctx=ctx)
    ctx.report(0.65, "Comparing with the internal test set")
    change = change_from_test(study, cohort.y, out)
    ctx.check()
    ctx.report(0.8, "Measuring how far the cohort lies from the training data")
    shift = shift_check(study, X_tr, X)
    record = _record(study, cohort, panel, baseline_panels, change, shift)
    _store(study, record, earlier, reason)
    ctx.report(1.0, f"External cohort {cohort.name} evaluated")
    return record


def _earlier_look(study: Study, name: str, reason: str) -> dict | None:
    """The cohort's earlier result, if any; refused without a reason (and before the sealed test)."""
    if study.split.test_uses < 1:
        raise TenfoldError(
            "Evaluate the sealed test set first: external cohorts are scored after it, so the "
            "model and its settings are final before any outside data are seen."
        )
    earlier = _find(study, name or "")
    if earlier is not None and not reason.strip():
        raise TenfoldError(
            f"The external cohort {earlier['name']!r} was already evaluated on {earlier['evaluated_at'][:10]}. "
            "Looking again makes its score optimistic (Tip 7); if you must, give a reason — it is counted "
            "and shown in the model card."
        )
    return earlier


def _baseline_panels(study: Study, cohort: Cohort, X, X_tr, y_tr, *, ctx: TaskContext = NO_CONTEXT) -> dict:
    """Every baseline, refitted with its tuned settings on the training split, scored on the cohort."""
    baseline_panels = {}
    names = [r["name"] for r in study.baselines.results]
    for i, b in enumerate(names):
        ctx.check()
        ctx.report(0.3 + 0.3 * i / max(len(names), 1), f"Scoring baseline {b} on {cohort.name}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pipe = baseline_pipeline(study, b).fit(X_tr, y_tr)
        baseline_panels[b] = study_panel(study, cohort.y, model_output(pipe, X, study.question.task), details=False)
    return baseline_panels


def _record(study: Study, cohort: Cohort, panel: dict, baseline_panels: dict, change: dict, shift: dict) -> dict:
    return {
        "name": cohort.name,
        "file": Path(cohort.path).name,
        "sha256": cohort.sha256,
        "label": cohort.label,
        "samples": Path(cohort.samples).name if cohort.samples else "",
        "n": cohort.n,
        "dropped_unlabelled": cohort.dropped_unlabelled,
        "extra_columns": cohort.extra_columns[:50],
        "n_extra_columns": len(cohort.extra_columns),
        "class_counts": _class_counts(study, cohort.y),
        "metric": study.primary_metric,
        "metrics": panel,
        "baselines": baseline_panels,
        "change": change,
        "shift": shift,
        "evaluated_at": now_iso(),
        "uses": 1,
        "reasons": [],
    }


def _store(study: Study, record: dict, earlier: dict | None, reason: str) -> None:
    """Keep the result (replacing an earlier look, counted) and raise the cohort's findings."""
    if earlier is not None:
        record["uses"] = int(earlier.get("uses", 1)) + 1
        record["reasons"] = list(earlier.get("reasons", [])) + [reason.strip()]
        record["first_evaluated_at"] = earlier.get("first_evaluated_at", earlier.get("evaluated_at"))
        study.evaluation.external = [r for r in study.evaluation.external if r is not earlier]
    study.evaluation.external.append(record)
    replace_findings(
        study,
        "evaluate",
        {Findings.external_cohort_reused.code, Findings.external_cohort_shift.code},
        cohort_findings(study),
    )
    replace_findings(study, "evaluate", {Findings.criterion_not_met.code}, scoreboard.scoreboard_findings(study))


def cohort_findings(study: Study) -> list:
    out = []
    for r in study.evaluation.external:
        if r.get("uses", 1) > 1:
            out.append(
                Findings.external_cohort_reused.raise_(
                    name=r["name"], uses=r["uses"], reason="; ".join(r.get("reasons", []))
                )
            )
        auc = (r.get("shift") or {}).get("domain_auc")
        if auc is not None and auc >= SHIFT_WARN_AUC:
            out.append(Findings.external_cohort_shift.raise_(name=r["name"], auc=auc))
    return out


def _class_counts(study: Study, y) -> dict:
    if not study.is_classification:
        return {"n": int(len(y))}
    values, counts = np.unique(y, return_counts=True)
    return {str(study.data.classes[v]): int(c) for v, c in zip(values, counts, strict=False)}


def test_outputs(study: Study):
    """The network's outputs on the internal test rows (only after the sealed evaluation)."""
    from guiapp.core.data.attach import model_frame  # pulls pandas: imported lazily so the window opens fast

    if study.split.test_uses < 1:
        return None, None
    X, y, rows = model_frame(study)
    te = np.asarray(study.split.test_idx, dtype=int)
    return y[te], predict(study, model_rows(study, X, y, rows, te))


def change_from_test(study: Study, y_ext, out_ext, *, n_boot: int = N_BOOT) -> dict:
    """External minus internal-test score of the primary metric, with a bootstrap interval.

    The two sets are resampled independently; ``drop`` is how much worse the cohort is (positive:
    worse, in the metric's own direction).
    """
    metric = study.primary_metric
    threshold = study.evaluation.threshold
    y_te, out_te = test_outputs(study)
    if y_te is None:
        return {}
    internal = float(fast_score(metric, y_te, out_te, threshold))
    external = float(fast_score(metric, y_ext, out_ext, threshold))
    rng = np.random.default_rng(study.split.seed)
    diffs = []
    for _ in range(n_boot):
        i = rng.integers(0, len(y_te), len(y_te))
        j = rng.integers(0, len(y_ext), len(y_ext))
        d = fast_score(metric, y_ext[j], out_ext[j], threshold) - fast_score(metric, y_te[i], out_te[i], threshold)
        if np.isfinite(d):
            diffs.append(d)
    sign = 1.0 if HIGHER_IS_BETTER.get(metric, True) else -1.0
    ci = [float(np.percentile(diffs, 2.5)), float(np.percentile(diffs, 97.5))] if len(diffs) >= 10 else None
    return {
        "metric": metric,
        "internal_test": internal,
        "external": external,
        "difference": external - internal,
        "difference_ci": ci,
        "drop": sign * (internal - external),
        "n_test": int(len(y_te)),
        "n_boot": n_boot,
    }
