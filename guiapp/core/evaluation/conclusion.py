"""The study's answer in plain words, after the sealed test: was the success criterion met, did the
network beat the best tuned baseline on the test set (with the intervals), the main caveat, and what
to do next; and the compact model × metric table of the test scores, the best marked.

The Evaluate page, the model card and the report all show :func:`conclusion`, so they agree.
"""

from __future__ import annotations

from guiapp.core.evaluation import score_table
from guiapp.core.evaluation.criterion_status import MET, NOT_MET
from guiapp.core.evaluation.scoreboard import scoreboard
from guiapp.core.stats.interval_text import ci_clause
from guiapp.core.stats.metrics import DISPLAY_NAMES, HIGHER_IS_BETTER
from guiapp.core.study.blocking import headline_caveat
from guiapp.core.study.model import Study

NETWORK = score_table.NETWORK
# Metrics the compact table shows first; the rest of the panel follows, up to TABLE_COLUMNS.
TABLE_COLUMNS = 4
_CHANCE_BASELINES = {"majority", "mean"}


def _name(metric: str) -> str:
    return DISPLAY_NAMES.get(metric, metric)


_value = score_table.value


def _ci_text(panel: dict, metric: str, model: str | None = None) -> str:
    return ci_clause((panel or {}).get(f"{metric}_ci"), model=model)


_baseline_name = score_table.model_name


def best_baseline(study: Study) -> tuple | None:
    """``(name, value)`` of the best tuned baseline on the test set (chance-level models left out)."""
    metric, higher = study.primary_metric, HIGHER_IS_BETTER.get(study.primary_metric, True)
    scored = [
        (name, _value(panel, metric))
        for name, panel in (study.evaluation.baseline_test_metrics or {}).items()
        if name not in _CHANCE_BASELINES
    ]
    finite: list[tuple[str, float]] = [(n, v) for n, v in scored if v is not None]
    if not finite:
        return None
    return max(finite, key=lambda nv: nv[1] if higher else -nv[1])


def _criterion_sentence(study: Study) -> tuple[str, bool | None]:
    rows = [r for r in scoreboard(study) if r["status"] in (MET, NOT_MET)]
    if not rows:
        return "No success criterion was set on the Question page, so none can be met", None
    failed = [r for r in rows if r["status"] == NOT_MET]
    if failed:
        words = "; ".join(f"{r['target']} (measured {r['measured']})" for r in failed)
        return f"The success criterion was not met: {words}", False
    words = "; ".join(r["target"] for r in rows)
    return f"The success criterion was met ({words})", True


def comparison(study: Study) -> dict:
    """The network against the best baseline on the test set: values, intervals and the outcome
    ``"beats"`` (ahead beyond the network's interval), ``"ahead"`` (ahead, within the interval),
    ``"loses"`` or ``"ties"``; empty before the sealed test or without baselines."""
    ev, metric = study.evaluation, study.primary_metric
    net = _value(ev.test_metrics, metric)
    best = best_baseline(study)
    if net is None or best is None:
        return {}
    name, base = best
    higher = HIGHER_IS_BETTER.get(metric, True)
    margin = (net - base) if higher else (base - net)
    ci = (ev.test_metrics or {}).get(f"{metric}_ci")
    if abs(margin) < 1e-12:
        outcome = "ties"
    elif margin < 0:
        outcome = "loses"
    else:
        beyond = ci is not None and bool(ci) and ((ci[0] > base) if higher else (ci[1] < base))
        outcome = "beats" if beyond else "ahead"
    return {
        "metric": metric,
        "network": net,
        "baseline": name,
        "baseline_name": _baseline_name(name),
        "baseline_value": base,
        "outcome": outcome,
        "network_ci": _ci_text(ev.test_metrics, metric),
        "baseline_ci": _ci_text(ev.baseline_test_metrics.get(name, {}), metric, name),
    }


def conclusion(study: Study) -> str:
    """Two or three sentences: the study's answer after the sealed test; empty before it."""
    if not study.evaluation.test_metrics:
        return ""
    criterion, met = _criterion_sentence(study)
    c = comparison(study)
    metric = _name(study.primary_metric)
    if c:
        base = f"the best tuned baseline, {c['baseline_name']}, at {c['baseline_value']:.3f}{c['baseline_ci']}"
        net = f"the network scored {metric} {c['network']:.3f}{c['network_ci']}"
        verb = {
            "beats": f"{net}, beating {base} beyond the network's interval",
            "ahead": f"{net}, ahead of {base}, but the baseline lies inside the network's interval, "
            "so the test set cannot tell them apart",
            "ties": f"{net}, the same as {base}",
            "loses": f"{net} and did not beat {base}",
        }[c["outcome"]]
        first = f"{criterion}; on the sealed test set {verb}."
    else:
        value = _value(study.evaluation.test_metrics, study.primary_metric)
        score = (
            f"{metric} {value:.3f}{_ci_text(study.evaluation.test_metrics, study.primary_metric)}"
            if value is not None
            else "no score"
        )
        first = f"{criterion}; on the sealed test set the network scored {score}, with no tuned baseline to compare."
    caveat = headline_caveat(study)
    second = f"Main caveat: {caveat}." if caveat else "No warning or error stands against this result."
    return f"{first} {second} {_next_step(c, met)}"


def _next_step(c: dict, met: bool | None) -> str:
    if c and c["outcome"] in ("loses", "ties"):
        return (
            f"Next: prefer the simpler {c['baseline_name']} for this question, or gather more samples "
            "before trying a network again."
        )
    if c and c["outcome"] == "ahead":
        return (
            "Next: the network's extra cost is not yet justified; gather more samples, or an independent "
            "cohort, to tell the network and the baseline apart."
        )
    if met is False:
        return (
            "Next: revisit the data and the question before using this model; the criterion set in advance was missed."
        )
    return (
        "Next: confirm the result on an independent cohort (the Evaluate page's external cohorts) before relying on it."
    )


def baseline_table(study: Study) -> dict:
    """The models × metrics table of the test scores: ``{"columns": [(key, name)], "rows": [{"model",
    "cells": [(text, best)]}]}``: the network first, then each baseline; each column's best marked."""
    models = score_table.split_models(study, "test")
    net_panel = models[0][1]
    primary = study.primary_metric
    keys = [k for k in net_panel if not k.endswith("_ci") and k in HIGHER_IS_BETTER]
    keys = ([primary] if primary in keys else []) + [k for k in keys if k != primary]
    keys = keys[:TABLE_COLUMNS]
    return {"columns": [(k, _name(k)) for k in keys], "rows": score_table.marked_rows(models, keys)}


def table_markdown(table: dict) -> str:
    """The table as Markdown, the best of each column in bold with a ★."""
    if not table["columns"]:
        return ""
    head = "| Model | " + " | ".join(name for _, name in table["columns"]) + " |"
    rule = "|---|" + "---|" * len(table["columns"])
    lines = [head, rule]
    for row in table["rows"]:
        cells = [f"**{t} ★**" if best else t for t, best in row["cells"]]
        lines.append(f"| {row['model']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
