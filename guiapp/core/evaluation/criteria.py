"""Generalizability, interpretability and efficiency criteria (Tip 4), measured and scored.

The Question page and the spec set them (``study.question``); :func:`criteria_rows` gives the
scoreboard one row per criterion set, with the same status words as
:mod:`guiapp.core.evaluation.scoreboard`, so the page, the card and ``metrics.json`` agree:

- **Generalizability**: the worst external cohort (or, without one, the worst held-out batch of
  the leave-one-batch-out *estimate*) reaches ``min_generalization``; the drop from the internal
  test set stays within ``max_generalization_drop``.
- **Interpretability**: attributions stable across bootstrap refits (rank correlation of the top-k
  ≥ ``min_attribution_stability``); agreement with the linear baseline's top-k
  (≥ ``min_linear_agreement``); the named ``known_markers`` among the top-k. Calibration (ECE) is
  the scoreboard's own row.
- **Efficiency**: peak inference memory (``max_inference_memory_mb``) and throughput
  (``min_throughput``), beside FLOPs per sample and the performance per FLOP of the baselines.

:func:`measure_efficiency` measures the network's peak inference memory with forward hooks and
estimates each baseline's FLOPs per sample from its fitted form.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from guiapp.core.models.retrain import small_table_threads
from guiapp.core.stats.metrics import DISPLAY_NAMES, HIGHER_IS_BETTER
from guiapp.core.study.task_context import ProgressFn, StopFn, check_stop, no_progress

MEMORY_BATCH = 256


def _row(criterion: str, target: str, measured: str, ok: bool | None, detail: str = "") -> dict:
    from guiapp.core.evaluation.scoreboard import _row as row

    return row(criterion, target, measured, ok, detail)


def _met(value: float, target: float, higher: bool) -> bool:
    return value >= target if higher else value <= target


def _headline(study) -> tuple[str, float | None]:
    e = study.evaluation
    split, panel = ("test", e.test_metrics) if e.test_metrics else ("tune", e.tune_metrics)
    value = (panel or {}).get(study.primary_metric)
    return split, (float(value) if value is not None and math.isfinite(value) else None)


def generalization_measure(study) -> dict:
    """The worst score off the training data: an external cohort, else a held-out batch (estimate)."""
    from guiapp.core.evaluation.external import worst_cohort
    from guiapp.core.evaluation.generalization import estimate_model

    metric = study.primary_metric
    worst = worst_cohort(study)
    if worst is not None:
        change = worst.get("change") or {}
        return {
            "source": "external",
            "value": float(worst["metrics"][metric]),
            "where": f"cohort {worst['name']!r}",
            "drop": change.get("drop"),
            "drop_ci": change.get("difference_ci"),
            "n_cohorts": len(study.evaluation.external),
        }
    g = study.evaluation.generalization or {}
    model = estimate_model(g)
    if model is None:
        return {}
    s = g["summary"][model]
    _, internal = _headline(study)
    higher = HIGHER_IS_BETTER.get(metric, True)
    drop = None if internal is None else (internal - s["worst"]) * (1 if higher else -1)
    name = "network" if model == "network" else f"baseline {model}"
    return {
        "source": "estimate",
        "value": float(s["worst"]),
        "where": f"held-out batch {s['worst_batch']!r} ({name})",
        "drop": drop,
        "drop_ci": None,
        "n_batches": s["n_batches"],
    }


def criteria_rows(study) -> list[dict]:
    q = study.question
    rows = []
    metric = study.primary_metric
    name = DISPLAY_NAMES.get(metric, metric)
    higher = HIGHER_IS_BETTER.get(metric, True)
    if q.min_generalization is not None or q.max_generalization_drop is not None:
        g = generalization_measure(study)
        estimate = g.get("source") == "estimate"
        detail = "Leave-one-batch-out estimate, not external validation: add an independent cohort." if estimate else ""
        if q.min_generalization is not None:
            target = f"worst cohort {name} {'≥' if higher else '≤'} {q.min_generalization:g}"
            if not g:
                rows.append(
                    _row(
                        "Generalizability",
                        target,
                        "—",
                        None,
                        "Add an external cohort on the Evaluate page (or a batch column for an estimate).",
                    )
                )
            else:
                rows.append(
                    _row(
                        "Generalizability",
                        target,
                        f"{g['value']:.3f} on the {g['where']}" + (" (estimate)" if estimate else ""),
                        _met(g["value"], q.min_generalization, higher),
                        detail,
                    )
                )
        if q.max_generalization_drop is not None:
            target = f"drop from the internal test set ≤ {q.max_generalization_drop:g}"
            if not g or g.get("drop") is None:
                rows.append(_row("Generalizability (drop)", target, "—", None))
            else:
                ci = g.get("drop_ci")
                text = f"{g['drop']:.3f} on the {g['where']}" + (" (estimate)" if estimate else "")
                if ci:  # ci is of external − internal; the drop's interval is its mirror (higher-is-better)
                    lo, hi = (-ci[1], -ci[0]) if higher else (ci[0], ci[1])
                    text += f" (95% CI {lo:.3f}–{hi:.3f})"
                rows.append(
                    _row("Generalizability (drop)", target, text, g["drop"] <= q.max_generalization_drop, detail)
                )
    rows += _interpretability_rows(study)
    rows += _efficiency_rows(study)
    return rows


def top_features(study, k: int) -> list[str]:
    it = study.interpret
    ranked = it.attributions or it.importances
    return [r["feature"] for r in ranked][:k]


def _interpretability_rows(study) -> list[dict]:
    q, it = study.question, study.interpret
    k = int(q.interpretability_top_k or 10)
    rows = []
    if q.min_attribution_stability is not None:
        s = it.stability or {}
        target = f"top-{s.get('k', k)} rank correlation across bootstrap refits ≥ {q.min_attribution_stability:g}"
        if s.get("mean_rho") is None:
            rows.append(_row("Interpretability: stability", target, "—", None))
        else:
            rows.append(
                _row(
                    "Interpretability: stability",
                    target,
                    f"mean ρ {s['mean_rho']:.2f} (lowest {s['min_rho']:.2f}) over {s['refits']} refits",
                    s["mean_rho"] >= q.min_attribution_stability,
                    f"Features always in the top {s['k']}: {', '.join(s.get('always_top', [])[:10]) or 'none'}.",
                )
            )
    if q.min_linear_agreement is not None:
        a = it.agreement or {}
        target = f"share of the top features shared with the linear baseline ≥ {q.min_linear_agreement:g}"
        if not a.get("k"):
            rows.append(_row("Interpretability: agreement", target, "—", None))
        else:
            rows.append(
                _row(
                    "Interpretability: agreement",
                    target,
                    f"{a['overlap']:.2f} ({a['shared_count']} of the top {a['k']})",
                    a["overlap"] >= q.min_linear_agreement,
                )
            )
    if q.known_markers:
        need = int(q.min_known_markers or 1)
        target = f"at least {need} of {len(q.known_markers)} known marker(s) among the top {k}"
        top = top_features(study, k)
        if not top:
            rows.append(_row("Interpretability: known markers", target, "—", None))
        else:
            found = [m for m in q.known_markers if m in top]
            rows.append(
                _row(
                    "Interpretability: known markers",
                    target,
                    f"{len(found)} found: {', '.join(found) or 'none'}",
                    len(found) >= need,
                )
            )
    return rows


def _efficiency_rows(study) -> list[dict]:
    q, eff = study.question, study.evaluation.efficiency or {}
    measured = study.evaluation.measured or {}
    rows = []
    if q.max_inference_memory_mb is not None:
        mb = eff.get("peak_memory_mb")
        rows.append(
            _row(
                "Efficiency: inference memory",
                f"≤ {q.max_inference_memory_mb:g} MB",
                f"{mb:.2f} MB for a batch of {eff.get('memory_batch', MEMORY_BATCH)} on the CPU"
                if mb is not None
                else "—",
                None if mb is None else mb <= q.max_inference_memory_mb,
            )
        )
    if q.min_throughput is not None:
        sps = measured.get("samples_per_second")
        rows.append(
            _row(
                "Efficiency: throughput",
                f"≥ {q.min_throughput:g} samples per second",
                f"{sps:,.0f} samples per second on the CPU (batch of 256)" if sps else "—",
                None if not sps else sps >= q.min_throughput,
                _per_flop_detail(study),
            )
        )
    return rows


def _per_flop_detail(study) -> str:
    eff = study.evaluation.efficiency or {}
    rows = eff.get("per_flop") or []
    if not rows:
        return ""
    return "Performance per FLOP: " + "; ".join(per_flop_text(r) for r in rows[:5]) + "."


def per_flop_text(r: dict) -> str:
    """One model's score, its FLOPs per sample and the score per million FLOPs, in words."""
    flops = "FLOPs unknown" if r.get("flops") is None else f"{r['flops']:,} FLOPs"
    score = "—" if r.get("score") is None else f"{r['score']:.3f}"
    per = "" if r.get("score_per_mflop") is None else f", {r['score_per_mflop']:.3g} per MFLOP"
    return f"{r['name']} {score} at {flops}{per}"


# ----- measurements -----------------------------------------------------------------------------


def baseline_flops(pipe, n_features: int) -> int | None:
    """Estimated FLOPs per sample of a fitted baseline pipeline (imputation and scaling included)."""
    model = pipe.named_steps["model"]
    pre = 3 * n_features  # impute check, subtract, divide
    m = model
    if hasattr(model, "calibrated_classifiers_"):  # the SVM inside its Platt scaling
        m = model.calibrated_classifiers_[0].estimator
    elif hasattr(model, "regressor_"):  # the SVR inside its target scaling
        m = model.regressor_
    if hasattr(m, "support_vectors_"):
        return pre + int(len(m.support_vectors_) * (3 * n_features + 2))
    if hasattr(m, "coef_"):
        return pre + 2 * int(np.asarray(m.coef_).size)
    if hasattr(m, "estimators_"):
        trees = np.ravel(m.estimators_)
        return pre + int(sum(t.get_depth() for t in trees) * 2)
    if hasattr(m, "n_samples_fit_"):
        return pre + int(m.n_samples_fit_) * 3 * n_features
    if hasattr(m, "theta_"):
        return pre + 4 * int(np.asarray(m.theta_).size)
    if type(m).__name__.startswith("Dummy"):
        return 0
    return None


def _peak_inference_mb(model, n_features: int, batch: int = MEMORY_BATCH) -> float:
    """Weights plus the largest input + output activations alive during one forward pass."""
    import torch

    sizes = []

    def hook(module, inputs, output):
        size_in = sum(t.numel() * t.element_size() for t in inputs if torch.is_tensor(t))
        size_out = output.numel() * output.element_size() if torch.is_tensor(output) else 0
        sizes.append(size_in + size_out)

    leaves = [m for m in model.modules() if not list(m.children())]
    handles = [m.register_forward_hook(hook) for m in leaves]
    try:
        with torch.no_grad():
            model(torch.zeros((batch, n_features), dtype=torch.float32))
    finally:
        for h in handles:
            h.remove()
    weights = sum(p.numel() * p.element_size() for p in model.parameters())
    weights += sum(b.numel() * b.element_size() for b in model.buffers())
    return (weights + max(sizes or [0])) / 2**20


@small_table_threads
def measure_efficiency(study, progress: ProgressFn = no_progress, should_stop: StopFn | None = None) -> dict:
    """Peak inference memory of the network; FLOPs per sample and performance per FLOP beside the baselines'."""
    from guiapp.core.evaluation.evaluate import baseline_pipeline
    from guiapp.core.models.baselines import model_output
    from guiapp.core.models.network import load_trained_model
    from guiapp.core.split.draw import train_tune_arrays
    from guiapp.core.stats.metrics import score

    progress(0.0, "Measuring peak inference memory")
    n_features = len(study.data.feature_columns)
    peak = _peak_inference_mb(load_trained_model(study), n_features)
    metric = study.primary_metric
    split, value = _headline(study)
    flops = int(study.architecture.flops or 0)
    per_flop = [
        {
            "name": "network",
            "flops": flops,
            "score": value,
            "split": split,
            "score_per_mflop": (value / (flops / 1e6)) if value is not None and flops else None,
        }
    ]
    X_tr, y_tr, X_tu, y_tu = train_tune_arrays(study)
    results = study.baselines.results
    for i, r in enumerate(results):
        check_stop(should_stop)
        progress(0.2 + 0.8 * i / max(len(results), 1), f"Estimating the FLOPs of {r['name']}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pipe = baseline_pipeline(study, r["name"]).fit(X_tr, y_tr)
        f = baseline_flops(pipe, n_features)
        b_split = "test" if r["name"] in (study.evaluation.baseline_test_metrics or {}) else "tune"
        b_value = (
            (study.evaluation.baseline_test_metrics or {}).get(r["name"], {})
            if b_split == "test"
            else r.get("tune_metrics", {})
        ).get(metric)
        if b_value is None:
            b_value = float(score(metric, y_tu, model_output(pipe, X_tu, study.question.task)))
        per_flop.append(
            {
                "name": r["name"],
                "flops": f,
                "score": b_value,
                "split": b_split,
                "score_per_mflop": (b_value / (f / 1e6)) if b_value is not None and f else None,
            }
        )
    eff = {
        "peak_memory_mb": round(peak, 4),
        "memory_batch": MEMORY_BATCH,
        "metric": metric,
        "memory_method": "weights and buffers plus the largest input + output of a layer, one CPU batch",
        "flops_per_sample": flops,
        "samples_per_second": (study.evaluation.measured or {}).get("samples_per_second"),
        "per_flop": per_flop,
    }
    study.evaluation.efficiency = eff
    progress(1.0, "Efficiency measured")
    return eff


def refresh_findings(study) -> None:
    """The scoreboard's criterion findings again, after a new measurement."""
    from guiapp.core.evaluation import scoreboard
    from guiapp.core.evaluation.evaluate import _replace
    from guiapp.core.study.findings import Findings

    _replace(study, "evaluate", {Findings.criterion_not_met.code}, scoreboard.scoreboard_findings(study))


def measure_criteria(
    study, *, stability_refits: int = 3, progress: ProgressFn = no_progress, should_stop: StopFn | None = None
) -> list[dict]:
    """The Evaluate page's one click: attribution stability (when asked for) and efficiency,
    then the scoreboard again. Returns the scoreboard's rows."""
    from guiapp.core.evaluation import generalization, scoreboard

    def part(start, end):
        return lambda f, m: progress(start + (end - start) * f, m)

    if study.question.min_attribution_stability is not None and stability_refits > 0:
        generalization.attribution_stability(
            study, refits=stability_refits, progress=part(0.0, 0.7), should_stop=should_stop
        )
    measure_efficiency(study, progress=part(0.7, 1.0), should_stop=should_stop)
    refresh_findings(study)
    return scoreboard.scoreboard(study)
