"""Write ``report.html``: the whole study on one self-contained page, with its plots.

The page is for the biologist and their readers: plain words, every number the card
has, and the plots drawn here as inline SVG, so it opens offline, prints cleanly and
needs no plotting library. It is rendered from ``resources/templates/report.html.j2``
with autoescaping on: every piece of user text (titles, column names, reasons) is escaped.
"""

from __future__ import annotations

import math
from importlib import resources
from pathlib import Path

from markupsafe import Markup

from guiapp import __version__
from guiapp.core.batch.effects import SILHOUETTE_WARN
from guiapp.core.evaluation.overfitting import GAP_WARN
from guiapp.core.export import model_card
from guiapp.core.export.card_external import report_context as external_context
from guiapp.core.export.card_values import (
    LOWER_IS_BETTER,
    MetricValue,
    baseline_name,
    metric_display_name,
    metric_values,
)
from guiapp.core.export.report_curves import report_context as evaluation_context
from guiapp.core.export.report_figures import report_context as figures_context
from guiapp.core.export.sharing import privacy_warnings
from guiapp.core.export.svg_charts import finite, first_upper, grouped_bar_svg, horizontal_bar_svg, line_chart_svg
from guiapp.core.export.versions import versions
from guiapp.core.guidance import checklist
from guiapp.core.interpretation.interpret import CAVEAT
from guiapp.core.stats.metrics import metric_names
from guiapp.core.study.model import Study, now_iso

REPORT_FILE = "report.html"
TEMPLATE_FILE = "report.html.j2"
BOUNDED_METRICS = {
    "roc_auc",
    "pr_auc",
    "balanced_accuracy",
    "accuracy",
    "f1",
    "f1_macro",
    "mcc",
    "sensitivity",
    "specificity",
}
# Calibration has its own plot (the reliability diagram); its numbers stay in the tables.
NOT_CHARTED = {"brier", "ece"}
TOP_FEATURES = 15
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def write_report(study: Study, out_dir, *, privacy: list[str] | None = None) -> Path:
    """Write ``report.html`` into ``out_dir`` and return its path.

    ``privacy`` is the export's list of warnings (it knows whether the weights actually
    shipped); without it the warnings are worked out from the study.
    """
    path = Path(out_dir) / REPORT_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(study, privacy=privacy), encoding="utf-8")
    return path


def render_report(study: Study, *, privacy: list[str] | None = None) -> str:
    """The page as a string."""
    return _template().render(**report_context(study, privacy=privacy))


def report_context(study: Study, *, privacy: list[str] | None = None) -> dict:
    """Everything the template shows, already in words, formatted numbers and SVG."""
    items = checklist.evaluate_checklist(study)
    split_name, headline = model_card.reported_metrics(study)
    return {
        "study": study,
        "name": model_card.model_name(study),
        "generated": now_iso(),
        "tenfold_version": __version__,
        "primary": metric_display_name(study.primary_metric),
        "headline_split": split_name,
        "headline": next((m for m in headline if m.key == study.primary_metric), headline[0] if headline else None),
        "target": _target(study, split_name, headline),
        "headline_note": (
            (study.evaluation.test_metrics if split_name == "test" else study.evaluation.tune_metrics) or {}
        )
        .get("ci_notes", {})
        .get(study.primary_metric, ""),
        "cv": model_card.cv_card(study),
        "data": _data_summary(study),
        "batch_level": _batch_level(study.batch.silhouette),
        "sizes": model_card.split_sizes(study),
        "tune_table": comparison_table(study, "tune"),
        "test_table": comparison_table(study, "test"),
        "loss_chart": loss_chart(study),
        "metric_split": "test" if study.evaluation.test_metrics else "tune",
        "metric_charts": metric_charts(study),
        "importance_chart": importance_chart(study),
        "ev_report": evaluation_context(study),
        "ext_report": external_context(study),
        "figures": figures_context(study),
        "caveat": CAVEAT,
        "gap_warn": GAP_WARN,
        "findings": sorted(study.findings, key=lambda f: (SEVERITY_ORDER.get(f.severity, 3), f.tip)),
        **model_card._caveat_context(study),  # the box above the headline, as in the card
        "checklist": items,
        "checklist_summary": checklist.summary(items),
        "privacy": privacy_warnings(study) if privacy is None else privacy,
        "versions": versions(),
        "sensitivity": model_card.sensitivity_text(study),
        "architecture": model_card.architecture_text(study),
        # Read defensively: older study files may lack these training fields.
        "device_name": getattr(study.train, "device_name", "") or "",
        "mixed_precision": getattr(study.train, "mixed_precision", "off") or "off",
    }


# ----- facts in words -----------------------------------------------------------------------


def _target(study: Study, split: str, headline: list[MetricValue]) -> dict | None:
    q = study.question
    if q.target_value is None:
        return None
    lower = q.target_metric in LOWER_IS_BETTER
    text = f"{metric_display_name(q.target_metric)} {'≤' if lower else '≥'} {q.target_value:g}"
    value = next((m.value for m in headline if m.key == q.target_metric), None)
    if value is None or math.isnan(value):
        return {"text": text, "reached": None, "value": None, "split": split}
    reached = value <= q.target_value if lower else value >= q.target_value
    return {"text": text, "reached": reached, "value": f"{value:.3f}", "split": split}


def _data_summary(study: Study) -> dict:
    d, p = study.data, study.data.provenance
    total = sum(d.class_counts.values()) or 1
    return {
        # The file name only: the full path (in manifest.json) may name a person or a server.
        "file": Path(p.path).name or d.builtin or "—",
        "classes": [(str(k), int(v), v / total) for k, v in d.class_counts.items()],
    }


def _batch_level(silhouette: float | None) -> str:
    if silhouette is None:
        return "none"
    return "bad" if silhouette >= SILHOUETTE_WARN else ("warn" if silhouette >= SILHOUETTE_WARN / 2 else "ok")


def _models(study: Study, split: str) -> list[tuple[str, dict]]:
    """(display name, metrics) for the network and each baseline on ``split``; empty when unscored."""
    ev = study.evaluation
    net = ev.test_metrics if split == "test" else ev.tune_metrics
    if not net:
        return []
    out = [("Network", net)]
    for b in map(model_card.as_dict, study.baselines.results):
        metrics = (ev.baseline_test_metrics or {}).get(str(b.get("name"))) if split == "test" else b.get("tune_metrics")
        out.append((baseline_name(study, b.get("name", "?")), metrics or {}))
    return out


def _metric_keys(study: Study, metrics: dict) -> list[str]:
    """The scalar metrics in the task's own order (R², RMSE, MAE), any others after."""
    order = list(metric_names(study.question.task))
    keys = [m.key for m in metric_values(metrics)]
    return sorted(keys, key=lambda k: order.index(k) if k in order else len(order) + keys.index(k))


def comparison_table(study: Study, split: str) -> dict | None:
    """Network and baselines side by side on one split, the best value of each metric marked."""
    models = _models(study, split)
    if not models:
        return None
    keys = _metric_keys(study, models[0][1])
    rows = [(name, {m.key: m for m in metric_values(metrics)}) for name, metrics in models]
    best = {}
    for k in keys:
        scores = [r[k].value for _, r in rows if k in r and not math.isnan(r[k].value)]
        if scores:
            best[k] = min(scores) if k in LOWER_IS_BETTER else max(scores)
    return {
        "columns": [(k, metric_display_name(k) + (" (lower is better)" if k in LOWER_IS_BETTER else "")) for k in keys],
        "rows": [
            {
                "name": name,
                "network": i == 0,
                "cells": [(r[k], r[k].value == best.get(k)) if k in r else (None, False) for k in keys],
            }
            for i, (name, r) in enumerate(rows)
        ],
        "n": models[0][1].get("n"),
    }


# ----- the plots ----------------------------------------------------------------------------


def loss_chart(study: Study) -> Markup | None:
    history = [h for h in study.train.history if isinstance(h, dict) and "epoch" in h]
    if not history:
        return None
    return line_chart_svg(
        [h["epoch"] for h in history],
        [
            ("training loss", [h.get("train_loss") for h in history]),
            ("tune loss", [h.get("tune_loss") for h in history]),
        ],
        title="Training and tune loss per epoch",
        x_label="epoch",
        y_label="loss",
        marker=(study.train.best_epoch, f"best epoch {study.train.best_epoch}") if study.train.best_epoch else None,
    )


def metric_charts(study: Study) -> list[Markup]:
    """Network vs baselines with 95% intervals: one chart for 0–1 metrics, one per metric otherwise."""
    split = "test" if study.evaluation.test_metrics else "tune"
    models = _models(study, split)
    if not models:
        return []
    keys = [k for k in _metric_keys(study, models[0][1]) if k not in NOT_CHARTED]
    values = [(name, {m.key: m for m in metric_values(metrics)}) for name, metrics in models]
    where = "sealed test set" if split == "test" else "tune split"
    panels = [keys] if set(keys) <= BOUNDED_METRICS else [[k] for k in keys]
    # MCC runs from −1: keep a negative bar on the chart.
    lowest = min([0.0] + [v[k].value for _, v in values for k in keys if k in v and finite(v[k].value)])
    charts = []
    for panel in panels:
        series = [
            (name, [v[k].value if k in v else None for k in panel], [v[k].ci if k in v else None for k in panel])
            for name, v in values
        ]
        title = (
            f"Metrics on the {where}, with 95% intervals"
            if len(panel) > 1
            else f"{metric_display_name(panel[0])} on the {where}, with 95% interval"
        )
        # One metric per chart: small ones, two to a row, rather than a wide chart of three bars.
        charts.append(
            grouped_bar_svg(
                [first_upper(metric_display_name(k)) for k in panel],
                series,
                title=title,
                y_range=(lowest, 1.0) if set(panel) <= BOUNDED_METRICS else None,
                **({} if len(panels) == 1 else {"width": 420, "height": 300}),
            )
        )
    return charts


def importance_chart(study: Study) -> Markup | None:
    rows = [r for r in study.interpret.importances if isinstance(r, dict) and finite(r.get("mean"))]
    if not rows:
        return None
    rows = rows[:TOP_FEATURES]
    metric = metric_display_name(study.interpret.metric or study.primary_metric)
    return horizontal_bar_svg(
        [str(r.get("feature", "?")) for r in rows],
        [float(r["mean"]) for r in rows],
        [float(r.get("std") or 0.0) for r in rows],
        title=f"Top {len(rows)} features by permutation importance",
        x_label=f"drop in {metric} when the feature is shuffled (± s.d.)",
    )


# ----- inline SVG ---------------------------------------------------------------------------


def _template():
    import jinja2  # only the export needs it

    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(
            lambda name: resources.files("guiapp.resources").joinpath("templates", name).read_text(encoding="utf-8")
        ),
        undefined=jinja2.StrictUndefined,  # a misspelt field is a bug, not an empty cell
        autoescape=True,  # user text (titles, columns, reasons) must never become markup
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = lambda v, digits=3: "—" if not finite(v) else f"{v:.{digits}f}"
    env.filters["pct"] = lambda v: f"{v:.0%}"
    env.filters["metric"] = metric_display_name
    env.filters["first_upper"] = first_upper
    return env.get_template(TEMPLATE_FILE)
