"""The scoreboard's rows for the generalizability, interpretability and efficiency criteria (Tip 4).

The Question page and the spec set them (``study.question``); :func:`criteria_rows` gives the
scoreboard one row per criterion set, with the status words of
:mod:`guiapp.core.evaluation.criterion_status`, so the page, the card and ``metrics.json`` agree.
The measurements behind them are :mod:`guiapp.core.evaluation.criteria`.
"""

from __future__ import annotations

import math

from guiapp.core.evaluation.criterion_status import criterion_row
from guiapp.core.evaluation.external_results import worst_cohort
from guiapp.core.evaluation.generalization import estimate_model
from guiapp.core.stats.interval_text import ci_clause
from guiapp.core.stats.metrics import DISPLAY_NAMES, HIGHER_IS_BETTER
from guiapp.core.study.model import Study

MEMORY_BATCH = 256  # the batch the network's peak inference memory is measured at


def _met(value: float, target: float, higher: bool) -> bool:
    return value >= target if higher else value <= target


def headline_score(study: Study) -> tuple[str, float | None]:
    e = study.evaluation
    split, panel = ("test", e.test_metrics) if e.test_metrics else ("tune", e.tune_metrics)
    value = (panel or {}).get(study.primary_metric)
    return split, (float(value) if value is not None and math.isfinite(value) else None)


def generalization_measure(study: Study) -> dict:
    """The worst score off the training data: an external cohort, else a held-out batch (estimate)."""
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
    _, internal = headline_score(study)
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


def criteria_rows(study: Study) -> list[dict]:
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
                    criterion_row(
                        "Generalizability",
                        target,
                        "—",
                        None,
                        "Add an external cohort on the Evaluate page (or a batch column for an estimate).",
                    )
                )
            else:
                rows.append(
                    criterion_row(
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
                rows.append(criterion_row("Generalizability (drop)", target, "—", None))
            else:
                ci = g.get("drop_ci")
                text = f"{g['drop']:.3f} on the {g['where']}" + (" (estimate)" if estimate else "")
                if ci:  # ci is of external − internal; the drop's interval is its mirror (higher-is-better)
                    lo, hi = (-ci[1], -ci[0]) if higher else (ci[0], ci[1])
                    text += ci_clause((lo, hi))
                rows.append(
                    criterion_row(
                        "Generalizability (drop)", target, text, g["drop"] <= q.max_generalization_drop, detail
                    )
                )
    rows += _interpretability_rows(study)
    rows += _efficiency_rows(study)
    return rows


def top_features(study: Study, k: int) -> list[str]:
    it = study.interpret
    ranked = it.attributions or it.importances
    return [r["feature"] for r in ranked][:k]


def _interpretability_rows(study: Study) -> list[dict]:
    q, it = study.question, study.interpret
    k = int(q.interpretability_top_k or 10)
    rows = []
    if q.min_attribution_stability is not None:
        s = it.stability or {}
        target = f"top-{s.get('k', k)} rank correlation across bootstrap refits ≥ {q.min_attribution_stability:g}"
        if s.get("mean_rho") is None:
            rows.append(criterion_row("Interpretability: stability", target, "—", None))
        else:
            rows.append(
                criterion_row(
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
            rows.append(criterion_row("Interpretability: agreement", target, "—", None))
        else:
            rows.append(
                criterion_row(
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
            rows.append(criterion_row("Interpretability: known markers", target, "—", None))
        else:
            found = [m for m in q.known_markers if m in top]
            rows.append(
                criterion_row(
                    "Interpretability: known markers",
                    target,
                    f"{len(found)} found: {', '.join(found) or 'none'}",
                    len(found) >= need,
                )
            )
    return rows


def _efficiency_rows(study: Study) -> list[dict]:
    q, eff = study.question, study.evaluation.efficiency or {}
    measured = study.evaluation.measured or {}
    rows = []
    if q.max_inference_memory_mb is not None:
        mb = eff.get("peak_memory_mb")
        rows.append(
            criterion_row(
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
            criterion_row(
                "Efficiency: throughput",
                f"≥ {q.min_throughput:g} samples per second",
                f"{sps:,.0f} samples per second on the CPU (batch of 256)" if sps else "—",
                None if not sps else sps >= q.min_throughput,
                _per_flop_detail(study),
            )
        )
    return rows


def _per_flop_detail(study: Study) -> str:
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
