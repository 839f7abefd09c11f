"""The success-criteria scoreboard (Tip 4): every criterion set on the Question page, checked
against a measurement, shown met or not met.

Criteria: the target metric (on the sealed test set once evaluated, else the tune split), the
model size in parameters, the inference latency for one sample on the CPU, the training time,
and — when asked for — calibration (expected calibration error). Size and latency are
measured on the trained network by :func:`measure_model`; :func:`scoreboard` is a pure
function of the study, so the page, the card and the tests agree.
"""

from __future__ import annotations

import time

import numpy as np

from guiapp.core.evaluation.criteria_rows import criteria_rows
from guiapp.core.evaluation.criterion_status import NOT_MET, criterion_row
from guiapp.core.models.network import load_trained_model
from guiapp.core.models.retrain import small_table_threads
from guiapp.core.stats.interval_text import ci_clause
from guiapp.core.stats.metrics import DISPLAY_NAMES, HIGHER_IS_BETTER
from guiapp.core.study.findings import Findings
from guiapp.core.study.model import Study
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext

LATENCY_REPEATS = 50


@small_table_threads
def measure_model(study: Study, *, repeats: int = LATENCY_REPEATS, ctx: TaskContext = NO_CONTEXT) -> dict:
    """Parameter count, weights size and CPU inference latency of the trained network."""
    import torch  # torch: imported lazily so the window opens fast

    ctx.report(0.0, "Measuring the model's size and speed")
    model = load_trained_model(study)
    n_params = int(sum(p.numel() for p in model.parameters() if p.requires_grad))
    path = study.path(study.train.weights)
    weights_mb = path.stat().st_size / 2**20 if path.is_file() else None
    one = torch.zeros((1, len(study.data.feature_columns)), dtype=torch.float32)
    many = torch.zeros((256, len(study.data.feature_columns)), dtype=torch.float32)
    times = []
    with torch.no_grad():
        for _ in range(5):  # warm-up: the first calls allocate
            model(one)
        for i in range(repeats):
            if i % 10 == 0:
                ctx.check()
            t0 = time.perf_counter()
            model(one)
            times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        model(many)
        batch_seconds = time.perf_counter() - t0
    measured = {
        "n_params": n_params,
        "weights_mb": round(weights_mb, 4) if weights_mb is not None else None,
        "latency_ms": round(float(np.median(times)) * 1000, 4),
        "latency_device": "cpu",
        "threads": torch.get_num_threads(),
        "samples_per_second": round(256 / max(batch_seconds, 1e-9), 1),
    }
    study.evaluation.measured = measured
    ctx.report(1.0, "Model measured")
    return measured


def scoreboard(study: Study) -> list[dict]:
    """One row per criterion set on the Question page: target, measurement, status."""
    q, e = study.question, study.evaluation
    rows = []
    target = _target_row(study)
    if target is not None:
        rows.append(target)
    measured = e.measured or {}
    if q.max_parameters is not None:
        n = measured.get("n_params") or study.architecture.n_params or None
        rows.append(
            criterion_row(
                "Model size",
                f"≤ {int(q.max_parameters):,} parameters",
                f"{n:,} parameters" if n else "—",
                None if not n else n <= q.max_parameters,
            )
        )
    if q.max_latency_ms is not None:
        ms = measured.get("latency_ms")
        rows.append(
            criterion_row(
                "Inference latency",
                f"≤ {q.max_latency_ms:g} ms per sample",
                f"{ms:.3f} ms per sample on the CPU (median, {measured.get('threads', 1)} thread(s))"
                if ms is not None
                else "—",
                None if ms is None else ms <= q.max_latency_ms,
            )
        )
    if q.max_training_minutes is not None:
        t = study.train
        done = t.status in ("done", "cancelled") and t.seconds
        minutes = t.seconds / 60 if done else None
        rows.append(
            criterion_row(
                "Training time",
                f"≤ {q.max_training_minutes:g} min",
                f"{minutes:.2f} min on {t.device_used or 'the device used'}" if done else "—",
                None if minutes is None else minutes <= q.max_training_minutes,
            )
        )
    calibration = _calibration_row(study)
    if calibration is not None:
        rows.append(calibration)
    # generalizability, interpretability, efficiency
    return rows + criteria_rows(study)


def _target_row(study: Study) -> dict | None:
    """The target metric's row: on the sealed test set once evaluated, else the tune split."""
    q, e = study.question, study.evaluation
    if q.target_value is None:
        return None
    metric = q.target_metric
    higher = HIGHER_IS_BETTER.get(metric, True)
    split, panel = ("test", e.test_metrics) if e.test_metrics else ("tune", e.tune_metrics)
    name = DISPLAY_NAMES.get(metric, metric)
    value = panel.get(metric) if panel else None
    target = f"{name} {'≥' if higher else '≤'} {q.target_value:g}"
    if value is None or not np.isfinite(value):
        return criterion_row("Target metric", target, "—", None)
    ok = value >= q.target_value if higher else value <= q.target_value
    ci = panel.get(f"{metric}_ci")
    measured = f"{value:.3f} on the {split} {'set' if split == 'test' else 'split'}"
    detail = ""
    if ci:
        measured += ci_clause(ci)
        inside = ci[0] <= q.target_value <= ci[1]
        if inside:
            detail = "The target lies inside the interval: with these samples the result could fall either side."
    if split == "tune":
        detail = (detail + " " if detail else "") + "Tune split only: the sealed test set decides."
    return criterion_row("Target metric", target, measured, ok, detail)


def _calibration_row(study: Study) -> dict | None:
    """The calibration row (expected calibration error), for classification."""
    q, e = study.question, study.evaluation
    if q.max_calibration_error is None or not study.is_classification:
        return None
    split, panel = ("test", e.test_metrics) if e.test_metrics else ("tune", e.tune_metrics)
    ece = panel.get("ece") if panel else None
    if ece is None or not np.isfinite(ece):
        return criterion_row("Calibration", f"ECE ≤ {q.max_calibration_error:g}", "—", None)
    brier = panel.get("brier")
    text = f"ECE {ece:.3f} on the {split} {'set' if split == 'test' else 'split'}"
    if brier is not None:
        text += f"; Brier score {brier:.3f}"
    return criterion_row(
        "Calibration",
        f"ECE ≤ {q.max_calibration_error:g}",
        text,
        ece <= q.max_calibration_error,
        "ECE: the average gap between predicted probability and observed frequency.",
    )


def scoreboard_findings(study: Study) -> list:
    """A finding per budget that is measured and not met (the metric has its own finding)."""
    return [
        Findings.criterion_not_met.raise_(criterion=r["criterion"], measured=r["measured"], budget=r["target"])
        for r in scoreboard(study)
        if r["status"] == NOT_MET and r["criterion"] != "Target metric"
    ]
