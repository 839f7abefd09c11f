"""Write ``report.html``: the whole study on one self-contained page, with its plots.

The page is for the biologist and their readers: plain words, every number the card
has, and the plots drawn here as inline SVG, so it opens offline, prints cleanly and
needs no plotting library. It is rendered from ``resources/templates/report.html.j2``
with autoescaping on: every piece of user text (titles, column names, reasons) is escaped.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from markupsafe import Markup

from guiapp import __version__
from guiapp.core.evaluation.overfitting import GAP_WARN
from guiapp.core.export import model_card
from guiapp.core.export import write as export
from guiapp.core.export.model_card import LOWER_IS_BETTER, MetricValue, metric_display_name, metric_values
from guiapp.core.interpretation.interpret import CAVEAT
from guiapp.core.study.model import Study, now_iso

REPORT_FILE = "report.html"
TEMPLATE_FILE = "report.html.j2"
# Okabe–Ito colours: told apart by colour-blind readers; the network is always the first.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#7f7f7f")
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
    from guiapp.core.guidance import checklist

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
        "ev_report": _evaluation_context(study),
        "ext_report": _external_context(study),
        "figures": _figures_context(study),
        "caveat": CAVEAT,
        "gap_warn": GAP_WARN,
        "findings": sorted(study.findings, key=lambda f: (SEVERITY_ORDER.get(f.severity, 3), f.tip)),
        **model_card._caveat_context(study),  # the box above the headline, as in the card
        "checklist": items,
        "checklist_summary": checklist.summary(items),
        "privacy": export.privacy_warnings(study) if privacy is None else privacy,
        "versions": export._versions(),
        "sensitivity": model_card.sensitivity_text(study),
        "architecture": model_card.architecture_text(study),
        # Read defensively: older study files may lack these training fields.
        "device_name": getattr(study.train, "device_name", "") or "",
        "mixed_precision": getattr(study.train, "mixed_precision", "off") or "off",
    }


def _figures_context(study: Study) -> dict:
    from guiapp.core.export.report_figures import report_context as figures_context  # imports this module

    return figures_context(study)


def _external_context(study: Study) -> dict:
    from guiapp.core.export.card_external import report_context as external_context  # imports report_curves

    return external_context(study)


def _evaluation_context(study: Study) -> dict:
    from guiapp.core.export.report_curves import report_context as evaluation_context  # imports this module

    return evaluation_context(study)


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
    from guiapp.core.batch.effects import SILHOUETTE_WARN

    if silhouette is None:
        return "none"
    return "bad" if silhouette >= SILHOUETTE_WARN else ("warn" if silhouette >= SILHOUETTE_WARN / 2 else "ok")


def baseline_name(study: Study, key: str) -> str:
    from guiapp.core.models.baselines import available

    return available(study.question.task).get(key, str(key).replace("_", " "))


def _models(study: Study, split: str) -> list[tuple[str, dict]]:
    """(display name, metrics) for the network and each baseline on ``split``; empty when unscored."""
    ev = study.evaluation
    net = ev.test_metrics if split == "test" else ev.tune_metrics
    if not net:
        return []
    out = [("Network", net)]
    for b in map(model_card.as_dict, study.baselines.results):
        metrics = (ev.baseline_test_metrics or {}).get(b.get("name")) if split == "test" else b.get("tune_metrics")
        out.append((baseline_name(study, b.get("name", "?")), metrics or {}))
    return out


def _metric_keys(study: Study, metrics: dict) -> list[str]:
    """The scalar metrics in the task's own order (R², RMSE, MAE), any others after."""
    from guiapp.core.stats.metrics import metric_names

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
    lowest = min([0.0] + [v[k].value for _, v in values for k in keys if k in v and _finite(v[k].value)])
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
                [_first_upper(metric_display_name(k)) for k in panel],
                series,
                title=title,
                y_range=(lowest, 1.0) if set(panel) <= BOUNDED_METRICS else None,
                **({} if len(panels) == 1 else {"width": 420, "height": 300}),
            )
        )
    return charts


def importance_chart(study: Study) -> Markup | None:
    rows = [r for r in study.interpret.importances if isinstance(r, dict) and _finite(r.get("mean"))]
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


def _first_upper(text: str) -> str:
    """ "balanced accuracy" → "Balanced accuracy", leaving "ROC AUC" and "R²" alone."""
    return text[:1].upper() + text[1:]


def _finite(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def nice_ticks(lo: float, hi: float, count: int = 5, *, integer: bool = False) -> list[float]:
    """Round tick values covering ``[lo, hi]`` (steps of 1, 2, 2.5 or 5 times a power of ten)."""
    if hi <= lo:
        pad = abs(lo) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    raw = (hi - lo) / count
    mag = 10 ** math.floor(math.log10(raw))
    steps = (1, 2, 5, 10) if integer else (1, 2, 2.5, 5, 10)
    step = next(m * mag for m in steps if m * mag >= raw * 0.999)
    if integer:
        step = max(1.0, step)
    start = math.floor(lo / step + 1e-9) * step
    ticks = [start]
    while ticks[-1] < hi - step * 1e-9:
        ticks.append(round(start + len(ticks) * step, 12))
    return ticks


def _tick_text(v: float, ticks: Sequence[float]) -> str:
    step = abs(ticks[1] - ticks[0]) if len(ticks) > 1 else 1.0
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) + (
        1 if round(step / 10 ** math.floor(math.log10(step)), 3) == 2.5 else 0
    )
    text = f"{v:.{decimals}f}"
    return "0" if float(text) == 0 else text


def _t(x: float, y: float, text: str, anchor: str = "middle", cls: str = "", extra: str = "") -> str:
    c = f' class="{cls}"' if cls else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{c}{extra}>{html.escape(str(text))}</text>'


def _svg(width: int, height: int, title: str, body: list[str]) -> Markup:
    # No xmlns: inline SVG in HTML needs none, and the page then names no URL at all.
    size = "chart small" if width < 600 else "chart"
    head = (
        f'<svg viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" class="{size}"><title>{html.escape(title)}</title>'
    )
    return Markup(head + "".join(body) + "</svg>")


def _legend(names: Sequence[str], x: float, y: float, *, lines: bool = False) -> list[str]:
    out = []
    for i, name in enumerate(names):
        colour = PALETTE[i % len(PALETTE)]
        dash = ' stroke-dasharray="6 3"' if lines and i % 2 else ""
        out.append(
            f'<line x1="{x:.1f}" y1="{y - 4:.1f}" x2="{x + 18:.1f}" y2="{y - 4:.1f}" stroke="{colour}" '
            f'stroke-width="{2.5 if lines else 9}"{dash}/>'
            if lines
            else f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="12" height="12" fill="{colour}"/>'
        )
        out.append(_t(x + (24 if lines else 17), y, name, "start"))
        x += 34 + 6.3 * len(name)
    return out


def _y_axis(ticks, sy, left, right) -> list[str]:
    out = []
    for v in ticks:
        y = sy(v)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" class="grid"/>')
        out.append(_t(left - 6, y + 4, _tick_text(v, ticks), "end", "tick"))
    return out


def line_chart_svg(
    x: Sequence[float],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    title: str,
    x_label: str,
    y_label: str,
    marker: tuple[float, str] | None = None,
    width: int = 860,
    height: int = 320,
) -> Markup:
    """Lines over a shared x axis with ticks, axis labels and a legend; gaps where a value is missing."""
    left, right, top, bottom = 62, width - 18, 40, height - 46
    ys = [v for _, vals in series for v in vals if _finite(v)]
    yt = nice_ticks(min(ys), max(ys)) if ys else [0.0, 1.0]
    xt = nice_ticks(min(x), max(x), 8, integer=True) if len(set(x)) > 1 else [x[0] - 1, x[0], x[0] + 1]
    sx = lambda v: left + (v - xt[0]) / (xt[-1] - xt[0]) * (right - left)  # noqa: E731
    sy = lambda v: bottom - (v - yt[0]) / (yt[-1] - yt[0]) * (bottom - top)  # noqa: E731
    body = _y_axis(yt, sy, left, right)
    for v in xt:
        body.append(_t(sx(v), bottom + 16, _tick_text(v, xt), "middle", "tick"))
    body.append(f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" class="axis"/>')
    if marker and _finite(marker[0]) and xt[0] <= marker[0] <= xt[-1]:
        mx = sx(marker[0])
        body.append(f'<line x1="{mx:.1f}" y1="{top}" x2="{mx:.1f}" y2="{bottom}" class="marker"/>')
        body.append(_t(mx - 4, top + 12, marker[1], "end", "note"))
    for i, (_, vals) in enumerate(series):
        colour, dash = PALETTE[i % len(PALETTE)], ' stroke-dasharray="6 3"' if i % 2 else ""
        path, pen = [], "M"
        for xv, yv in zip(x, vals, strict=False):
            if not _finite(yv):
                pen = "M"
                continue
            path.append(f"{pen}{sx(xv):.1f},{sy(yv):.1f}")
            pen = "L"
        body.append(f'<path d="{" ".join(path)}" fill="none" stroke="{colour}" stroke-width="2.2"{dash}/>')
        if len(x) <= 40:
            body += [
                f'<circle cx="{sx(xv):.1f}" cy="{sy(yv):.1f}" r="2.6" fill="{colour}"/>'
                for xv, yv in zip(x, vals, strict=False)
                if _finite(yv)
            ]
    body += _legend([name for name, _ in series], left, 20, lines=True)
    body.append(_t((left + right) / 2, height - 8, x_label, "middle", "label"))
    body.append(
        _t(14, (top + bottom) / 2, y_label, "middle", "label", f' transform="rotate(-90 14 {(top + bottom) / 2:.1f})"')
    )
    return _svg(width, height, title, body)


def horizontal_bar_svg(
    labels: Sequence[str],
    values: Sequence[float],
    errors: Sequence[float] | None = None,
    *,
    title: str,
    x_label: str,
    width: int = 860,
) -> Markup:
    """One bar per label (top to bottom), optional ± error whiskers, zero line and x ticks."""
    errors = list(errors) if errors is not None else [0.0] * len(values)
    shown = [lab if len(lab) <= 30 else lab[:29] + "…" for lab in labels]
    left = int(min(240, 16 + 6.8 * max((len(s) for s in shown), default=4)))
    right, top, row = width - 24, 12, 22
    bottom = top + row * len(values)
    height = bottom + 46
    lo = min([0.0] + [v - e for v, e in zip(values, errors, strict=False)])
    hi = max([0.0] + [v + e for v, e in zip(values, errors, strict=False)])
    xt = nice_ticks(lo, hi if hi > lo else lo + 1)
    sx = lambda v: left + (v - xt[0]) / (xt[-1] - xt[0]) * (right - left)  # noqa: E731
    body = []
    for v in xt:
        body.append(f'<line x1="{sx(v):.1f}" y1="{top}" x2="{sx(v):.1f}" y2="{bottom}" class="grid"/>')
        body.append(_t(sx(v), bottom + 16, _tick_text(v, xt), "middle", "tick"))
    for i, (label, full, v, e) in enumerate(zip(shown, labels, values, errors, strict=False)):
        y = top + i * row
        x0, x1 = sorted((sx(0.0), sx(v)))
        body.append(
            f'<rect x="{x0:.1f}" y="{y + 4}" width="{max(x1 - x0, 0.5):.1f}" height="{row - 8}" '
            f'fill="{PALETTE[0]}"><title>{html.escape(f"{full}: {v:.4g} ± {e:.2g}")}</title></rect>'
        )
        if e > 0:
            cy = y + row / 2
            body.append(f'<line x1="{sx(v - e):.1f}" y1="{cy}" x2="{sx(v + e):.1f}" y2="{cy}" class="err"/>')
        body.append(_t(left - 6, y + row / 2 + 4, label, "end"))
    body.append(f'<line x1="{sx(0.0):.1f}" y1="{top}" x2="{sx(0.0):.1f}" y2="{bottom}" class="axis"/>')
    body.append(_t((left + right) / 2, height - 8, x_label, "middle", "label"))
    return _svg(width, height, title, body)


def grouped_bar_svg(
    groups: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None], Sequence[tuple[float, float] | None]]],
    *,
    title: str,
    y_range: tuple[float, float] | None = None,
    width: int = 860,
    height: int = 340,
) -> Markup:
    """Bars per group, one colour per series, with 95% interval whiskers and value labels."""
    left, right, top, bottom = 56, width - 18, 44, height - 40
    vals = [v for _, vs, cis in series for v in vs if _finite(v)]
    vals += [c for _, _, cis in series for ci in cis if ci for c in ci if _finite(c)]
    lo, hi = y_range or (min([0.0] + vals), max([0.0] + vals))
    yt = nice_ticks(lo, hi)
    sy = lambda v: bottom - (v - yt[0]) / (yt[-1] - yt[0]) * (bottom - top)  # noqa: E731
    body = _y_axis(yt, sy, left, right)
    slot = (right - left) / max(len(groups), 1)
    bar = min(56.0, slot * 0.8 / max(len(series), 1))
    for g, group in enumerate(groups):
        x = left + g * slot + (slot - bar * len(series)) / 2
        for i, (name, vs, cis) in enumerate(series):
            v, ci, bx = vs[g], cis[g], x + i * bar
            if not _finite(v):
                body.append(_t(bx + bar / 2, sy(0.0) - 4, "n/a", "middle", "note"))
                continue
            y0, y1 = sorted((sy(0.0), sy(v)))
            body.append(
                f'<rect x="{bx + 1:.1f}" y="{y0:.1f}" width="{bar - 2:.1f}" height="{max(y1 - y0, 0.5):.1f}" '
                f'fill="{PALETTE[i % len(PALETTE)]}"><title>{html.escape(f"{name}, {group}: {v:.3f}")}'
                f"{html.escape(f' (95% CI {ci[0]:.3f}–{ci[1]:.3f})') if ci else ''}</title></rect>"
            )
            top_y = sy(v)
            if ci and _finite(ci[0]) and _finite(ci[1]):
                cx, a, b = bx + bar / 2, sy(ci[0]), sy(ci[1])
                body.append(
                    f'<path d="M{cx - 5:.1f},{a:.1f}H{cx + 5:.1f}M{cx:.1f},{a:.1f}V{b:.1f}'
                    f'M{cx - 5:.1f},{b:.1f}H{cx + 5:.1f}" class="err"/>'
                )
                top_y = min(top_y, b)
            if bar >= 28:
                body.append(_t(bx + bar / 2, top_y - 4, f"{v:.3f}", "middle", "value"))
        body.append(_t(left + (g + 0.5) * slot, bottom + 18, group, "middle"))
    body.append(f'<line x1="{left}" y1="{sy(0.0):.1f}" x2="{right}" y2="{sy(0.0):.1f}" class="axis"/>')
    body += _legend([name for name, _, _ in series], left, 18)
    return _svg(width, height, title, body)


# ----- template -----------------------------------------------------------------------------


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
    env.filters["num"] = lambda v, digits=3: "—" if not _finite(v) else f"{v:.{digits}f}"
    env.filters["pct"] = lambda v: f"{v:.0%}"
    env.filters["metric"] = metric_display_name
    env.filters["first_upper"] = _first_upper
    return env.get_template(TEMPLATE_FILE)
