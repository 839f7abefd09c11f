"""What the model card and ``report.html`` say about external validation, the leave-one-batch-out
estimate, attribution stability and efficiency, worded once for both.

:func:`card_context` feeds ``resources/templates/model_card_external.md.j2`` and
``report_external.html.j2``; :func:`eval_results` gives the card's ``model-index`` one result per
external cohort, naming the cohort as its dataset.
"""

from __future__ import annotations

import math
import re
from typing import Any

from guiapp.core.evaluation.criteria_rows import per_flop_text
from guiapp.core.export.card_values import _fmt, metric_display_name, metric_values, task_type
from guiapp.core.export.report_curves import xy_chart_svg
from guiapp.core.stats.interval_text import ci_cell, ci_clause, is_flat
from guiapp.core.study.model import Study

ESTIMATE_LABEL = "Estimate, not external validation"


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "external-cohort"


def eval_results(study: Study) -> list:
    """``huggingface_hub.EvalResult`` per metric of each external cohort (split ``external``)."""
    from huggingface_hub import EvalResult  # huggingface_hub: imported lazily, only when this runs

    out = []
    for r in study.evaluation.external:
        for m in metric_values(r.get("metrics")):
            if math.isfinite(m.value):
                out.append(
                    EvalResult(
                        task_type=task_type(study),
                        dataset_type=_slug(r["name"]),
                        dataset_name=r["name"],
                        dataset_split="external",
                        metric_type=m.key,
                        metric_value=m.value,
                        metric_name=f"{m.name} (external cohort {r['name']})",
                    )
                )
    return out


def _interval(ci) -> str:
    return ci_cell(ci, brackets=True) or "—"


def _difference_clause(ci) -> str:
    if is_flat(ci):
        return ci_clause(ci)
    return f" (95% bootstrap CI {_interval(ci)})"


def _cohort(study: Study, r: dict) -> dict:
    metric = r.get("metric") or study.primary_metric
    values = metric_values(r.get("metrics"))
    primary = next((m for m in values if m.key == metric), None)
    change = r.get("change") or {}
    shift = r.get("shift") or {}
    details = (r.get("metrics") or {}).get("details") or {}
    rel = details.get("reliability") or {}
    baselines = [
        {"name": name, "value": _fmt(p.get(metric)), "ci": _interval(p.get(f"{metric}_ci"))}
        for name, p in (r.get("baselines") or {}).items()
    ]
    change_text = ""
    if change:
        change_text = (
            f"{metric_display_name(metric)} {_fmt(change['external'])} on the cohort vs "
            f"{_fmt(change['internal_test'])} on the internal test set: difference "
            f"{change['difference']:+.3f}{_difference_clause(change.get('difference_ci'))}."
        )
    counts = ", ".join(f"{k}: {v}" for k, v in (r.get("class_counts") or {}).items())
    return {
        "name": r["name"],
        "file": r.get("file", ""),
        "n": r.get("n"),
        "counts": counts,
        "metrics": values,
        "primary": primary,
        "metric": metric_display_name(metric),
        "baselines": baselines,
        "change": change_text,
        "domain_auc": _fmt(shift.get("domain_auc")),
        "shift_reading": shift.get("reading", ""),
        "ece": _fmt((r.get("metrics") or {}).get("ece")),
        "brier": _fmt((r.get("metrics") or {}).get("brier")),
        "calibration_bins": len(rel.get("count", [])),
        "uses": r.get("uses", 1),
        "reasons": r.get("reasons", []),
        "evaluated_at": r.get("evaluated_at", "")[:10],
        "extra": r.get("n_extra_columns", 0),
        "dropped": r.get("dropped_unlabelled", 0),
        "embedding": shift.get("embedding") or {},
    }


def _estimate(study: Study) -> dict:
    g = study.evaluation.generalization or {}
    if not g.get("per_batch"):
        return {}
    models = g.get("models", [])
    rows = [
        {
            "batch": e["batch"],
            "n": e["n"],
            "scores": [_fmt(e["scores"].get(m)) if e.get("scores") else "—" for m in models],
            "note": e.get("note", ""),
        }
        for e in g["per_batch"]
    ]
    summary = [
        f"{m}: worst {_fmt(s['worst'])} (batch {s['worst_batch']}), mean {_fmt(s['mean'])}, spread {_fmt(s['spread'])}"
        for m, s in (g.get("summary") or {}).items()
    ]
    if not summary:  # e.g. batches confounded with the label: each left-out batch holds one class
        notes = sorted({e.get("note", "") for e in g["per_batch"] if e.get("note")})
        summary = ["no batch could be scored" + (f" ({'; '.join(notes)})" if notes else "")]
    return {
        "label": ESTIMATE_LABEL,
        "note": g.get("note", ""),
        "metric": metric_display_name(g.get("metric", "")),
        "column": g.get("batch_column", ""),
        "models": models,
        "rows": rows,
        "summary": summary,
        "epochs": g.get("network_epochs"),
        "used": g.get("rows", ""),
    }


def _stability(study: Study) -> str:
    s = study.interpret.stability or {}
    if s.get("mean_rho") is None:
        return ""
    return (
        f"Across the trained network and {s['refits']} bootstrap refits ({s['epochs']} epochs each), the rank "
        f"correlation of the top-{s['k']} attributions is {s['mean_rho']:.2f} on average (lowest "
        f"{s['min_rho']:.2f}); always in the top {s['k']}: {', '.join(s.get('always_top', [])) or 'none'}."
    )


def _efficiency(study: Study) -> dict:
    e = study.evaluation.efficiency or {}
    if not e:
        return {}
    sps = e.get("samples_per_second")
    return {
        "peak": f"{e['peak_memory_mb']:.2f} MB" if e.get("peak_memory_mb") is not None else "—",
        "batch": e.get("memory_batch"),
        "throughput": f"{sps:,.0f} samples per second" if sps else "—",
        "flops": f"{e['flops_per_sample']:,}" if e.get("flops_per_sample") else "—",
        "metric": metric_display_name(e.get("metric", "")),
        "per_flop": [per_flop_text(r) for r in e.get("per_flop", [])],
    }


def card_context(study: Study) -> dict:
    cohorts = [_cohort(study, r) for r in study.evaluation.external]
    return {
        "cohorts": cohorts,
        "estimate": _estimate(study),
        "stability": _stability(study),
        "efficiency": _efficiency(study),
        "any": bool(cohorts or study.evaluation.generalization),
    }


def mct_metrics(study: Study) -> list[dict]:
    """Model Card Toolkit performance metrics: each cohort's, and the estimate's per held-out batch."""
    out = []
    for r in study.evaluation.external:
        for m in metric_values(r.get("metrics")):
            d: dict[str, Any] = {
                "type": f"{m.name} — external cohort",
                "value": m.text,
                "slice": f"external cohort: {r['name']}",
            }
            if m.ci:
                d["confidence_interval"] = {"lower_bound": _fmt(m.ci[0]), "upper_bound": _fmt(m.ci[1])}
            out.append(d)
    g = study.evaluation.generalization or {}
    for e in g.get("per_batch", []):
        for model, value in (e.get("scores") or {}).items():
            if value is not None:
                out.append(
                    {
                        "type": f"{metric_display_name(g['metric'])} — {model} ({ESTIMATE_LABEL.lower()})",
                        "value": _fmt(value),
                        "slice": f"leave-one-batch-out estimate: held-out batch {e['batch']}",
                    }
                )
    return out


def consideration_lines(study: Study) -> list[str]:
    """The External validation section in the JSON card's words (its schema has no section of that name)."""
    x = card_context(study)
    lines = []
    for c in x["cohorts"]:
        head = f"External validation — {c['name']}: {c['n']} samples, {c['metric']} {c['primary'].text if c['primary'] else '—'}"
        lines.append(
            f"{head}. {c['change']} Domain classifier ROC AUC {c['domain_auc']}."
            + (f" Evaluated {c['uses']} times." if c["uses"] > 1 else "")
        )
    if not x["cohorts"]:
        lines.append("External validation: no independent cohort was evaluated.")
    if x["estimate"]:
        lines.append(
            f"{x['estimate']['label']} (leave one batch out): "
            + "; ".join(x["estimate"]["summary"])
            + f". {x['estimate']['note']}"
        )
    return lines


def report_context(study: Study) -> dict:
    """The card's words plus, per cohort, its shift figure: the cohort on the training rows' PCA."""
    x = card_context(study)
    for c in x["cohorts"]:
        emb = c.get("embedding") or {}
        c["figure"] = None
        if emb.get("training") and emb.get("cohort"):
            tr, co = emb["training"], emb["cohort"]
            evr = emb.get("explained_variance") or [0, 0]
            c["figure"] = xy_chart_svg(
                [
                    ("training split", [p[0] for p in tr], [p[1] for p in tr], 6, False),
                    (c["name"], [p[0] for p in co], [p[1] for p in co], 5, False),
                ],
                title=f"{c['name']} on the study's embedding",
                x_label=f"PC1 ({evr[0]:.0%})",
                y_label=f"PC2 ({evr[1]:.0%})",
                points=True,
            )
    return x
