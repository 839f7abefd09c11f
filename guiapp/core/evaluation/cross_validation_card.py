"""The cross-validation in words and formatted numbers, for the model card, the report, the
Evaluate page and ``tenfold inspect``.
"""

from __future__ import annotations

from guiapp.core.evaluation.cross_validation import headline
from guiapp.core.models.baselines import available
from guiapp.core.stats.interval_text import ci_cell, ci_clause, value_with_ci
from guiapp.core.stats.metric_words import metric_display_name
from guiapp.core.study.model import Study


def card_section(study: Study) -> dict | None:
    """The cross-validation in words and formatted numbers, for the model card and the report."""
    cv = study.evaluation.cv
    if not cv:
        return None
    if not cv.get("ran"):
        return {"ran": False, "text": f"Cross-validation was called for ({cv['reason']}) but not run: {cv['not_run']}."}
    metric = cv["metric"]
    titles = {"network": "network", **available(study.question.task)}
    rows = []
    for model, panel in cv["summary"].items():
        m = panel.get(metric)
        if not m:
            continue
        ci = ci_cell(m["ci"]) or "—"
        rows.append(
            {
                "model": titles.get(model, model),
                "key": model,
                "mean": f"{m['mean']:.3f}",
                "sd": f"{m['sd']:.3f}",
                "ci": ci,
                "ci_pair": m["ci"],
                "n_folds": m["n_folds"],
                "note": m["note"],
            }
        )
    design = f"{cv['folds']} folds × {cv['repeats']} repeat{'s' if cv['repeats'] != 1 else ''}"
    top = headline(study)
    net = top["network"] if top else None
    sentence = ""
    if top and net:
        sentence = (
            f"Cross-validated ({design}, tuning nested in each fold): "
            f"{metric_display_name(metric)} {net['mean']:.3f}{ci_clause(net['ci'])} for the network"
        )
        if top["baseline_result"]:
            b = top["baseline_result"]
            sentence += (
                f"; the best baseline, {titles.get(top['baseline'], top['baseline'])}, "
                f"{value_with_ci(b['mean'], b['ci'], model=top['baseline'])}"
            )
        sentence += "."
    return {
        "ran": True,
        "metric": metric_display_name(metric),
        "folds": cv["folds"],
        "repeats": cv["repeats"],
        "design": design,
        "reason": cv["reason"],
        "method": cv["method"],
        "interval": cv["interval"],
        "rows": rows,
        "n_samples": cv["n_samples"],
        "sealed": cv["sealed_test"]["words"],
        "sentence": sentence,
        "notes": [f"{r['model']}: {r['note']}" for r in rows if r["note"]]
        + [
            f"Repeat {p['repeat'] + 1}, fold {p['fold'] + 1} gave no scores: {p['error'].rstrip('.')}"
            for p in cv.get("failed_folds", [])
        ],
    }
