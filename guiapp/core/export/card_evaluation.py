"""What the model card says about the evaluation instruments of Tips 4, 7, 8 and 9: the
success-criteria scoreboard, the threshold and calibration, the label-shuffle control, the
learning curve, the interpretation and the over-interpretation guards.

:func:`card_context` turns the study into words and formatted numbers for
``resources/templates/model_card_evaluation.md.j2``, which the card includes.
"""

from __future__ import annotations

import math
from typing import cast

from guiapp.core.evaluation import guards, scoreboard, tune_evaluation
from guiapp.core.stats.interval_text import ci_cell, ci_clause, is_flat
from guiapp.core.stats.metrics import DISPLAY_NAMES
from guiapp.core.study.model import Study


def _f(value, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return f"{value:.{digits}f}"


def card_context(study: Study) -> dict:
    e, o, it = study.evaluation, study.overfitting, study.interpret
    panel = e.test_metrics or e.tune_metrics or {}
    split = "sealed test set" if e.test_metrics else "tune split"
    details = panel.get("details") or {}
    return {
        "scoreboard": scoreboard.scoreboard(study),
        "imbalance": tune_evaluation.minority_findings(study)[0].message
        if tune_evaluation.rare_minority(study)
        else "",
        "split": split,
        "threshold": _threshold(study, details),
        "calibration": _calibration(panel, details),
        "shuffle": _shuffle(o.shuffle),
        "learning_curve": _learning_curve(o.learning_curve),
        "interpretation": _interpretation(it),
        "guards": guards.guard_texts(study),
        "per_class": details.get("per_class") or [],
    }


def _threshold(study: Study, details: dict) -> str:
    if not study.is_classification or details.get("threshold") is None:
        return ""
    classes = study.data.classes
    positive = classes[1] if len(classes) > 1 else "the second class"
    c = details.get("confusion") or []
    text = (
        f"A sample is called {positive!r} when the network gives it a probability above "
        f"{details['threshold']:g}; sensitivity, specificity, F1, MCC and balanced accuracy are "
        "read at that threshold."
    )
    if len(c) == 2:
        text += (
            f" Confusion on the evaluated samples: {c[1][1]} true positives, {c[1][0]} false "
            f"negatives, {c[0][0]} true negatives, {c[0][1]} false positives."
        )
    return text


def _calibration(panel: dict, details: dict) -> dict:
    rel = details.get("reliability") or {}
    if panel.get("ece") is None:
        return {}
    ci = panel.get("ece_ci")
    bins = [
        {"predicted": p, "observed": ob, "count": n}
        for p, ob, n in zip(rel.get("predicted", []), rel.get("observed", []), rel.get("count", []), strict=False)
    ]
    return {
        "ece": _f(panel["ece"]),
        "ece_ci": _clause(ci),
        "brier": _f(panel.get("brier")),
        "of": rel.get("of", ""),
        "bins": bins,
    }


def _clause(ci) -> str:
    """What follows a value in the card's sentences: " (95% CI [a, b])", " (no spread: …)" or ""."""
    return ci_clause(ci) if is_flat(ci) else (f" (95% CI {ci_cell(ci, brackets=True)})" if ci_cell(ci) else "")


def _shuffle(sh: dict) -> dict:
    if not sh:
        return {}
    name = DISPLAY_NAMES.get(cast(str, sh.get("metric")), sh.get("metric"))
    ci = sh.get("real_ci")
    return {
        "metric": name,
        "real": _f(sh.get("real")),
        "real_ci": _clause(ci),
        "shuffled": ", ".join(_f(v) for v in sh.get("shuffled_tune", [])),
        "memorised": ", ".join(_f(v) for v in sh.get("shuffled_train", [])),
        "repeats": sh.get("repeats"),
        "epochs": sh.get("epochs"),
        "verdict": "not clearly above chance" if sh.get("flagged") else "clearly above the shuffled runs",
        "reading": sh.get("reading", ""),
    }


def _learning_curve(lc: dict) -> dict:
    if not lc or not lc.get("n_train"):
        return {}
    base = lc.get("baseline") or {}
    rows = []
    for i, n in enumerate(lc["n_train"]):
        rows.append(
            {
                "n": n,
                "net_train": _f(lc["network"]["train"][i]),
                "net_tune": _f(lc["network"]["tune"][i]),
                "base_train": _f(base["train"][i]) if base.get("train") else "—",
                "base_tune": _f(base["tune"][i]) if base.get("tune") else "—",
            }
        )
    return {
        "metric": DISPLAY_NAMES.get(lc["metric"], lc["metric"]),
        "baseline": base.get("name") or "",
        "rows": rows,
        "reading": lc.get("reading", ""),
    }


def _direction(value) -> str:
    """How a feature's value moves the output, from the correlation of value and attribution."""
    if value is None:
        return "—"
    return "higher raises" if value > 0.3 else ("higher lowers" if value < -0.3 else "mixed")


def _interpretation(it) -> dict:
    if not it.importances and not it.attributions:
        return {}
    perm = {r["feature"]: r for r in it.importances}
    ig = {r["feature"]: r for r in it.attributions}
    lin = {r["feature"]: r for r in it.linear}
    order = [r["feature"] for r in (it.attributions or it.importances)][:10]
    rows = [
        {
            "feature": f,
            "perm": _f(perm[f]["mean"], 4) if f in perm else "—",
            "ig": _f(ig[f]["mean_abs"], 4) if f in ig else "—",
            "direction": _direction(ig[f].get("direction")) if f in ig else "—",
            "coef": _f(lin[f]["coef"], 3) if f in lin else "—",
        }
        for f in order
    ]
    a = it.agreement or {}
    agreement = ""
    if a.get("k"):
        rho = a.get("spearman")
        agreement = (
            f"{a['shared_count']} of the network's top {a['k']} features ({a.get('network_measure', '')}) "
            f"are also among the linear baseline's top {a['k']} by absolute coefficient"
            + (f"; rank correlation over all features ρ = {rho:.2f}" if rho is not None else "")
            + "."
        )
    return {
        "rows": rows,
        "metric": DISPLAY_NAMES.get(it.metric, it.metric),
        "note": it.attribution_note,
        "agreement": agreement,
        "ranked_by": "integrated gradients" if it.attributions else "permutation importance",
        "maps": _maps(getattr(it, "maps", None) or {}),
    }


def _maps(maps: dict) -> dict:
    """Image and sequence studies: what the attribution maps show, in words (the maps are in report.html)."""
    if maps.get("kind") == "image":
        return {
            "kind": "image",
            "method": maps.get("method", ""),
            "reading": maps.get("reading", ""),
            "examples": len(maps.get("examples") or []),
            "positions": [],
        }
    if maps.get("kind") == "sequence":
        rows = [
            {
                "position": r["position"],
                "letter": r["letter"],
                "share": f"{r['share']:.1%}",
                "direction": "raises" if r["direction"] == "up" else "lowers",
            }
            for r in maps.get("top_positions") or []
        ]
        return {
            "kind": "sequence",
            "method": maps.get("method", ""),
            "reading": maps.get("reading", ""),
            "examples": 0,
            "positions": rows,
        }
    return {}
