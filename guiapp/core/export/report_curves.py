"""The evaluation plots of ``report.html``: ROC and precision–recall curves, the reliability
diagram, regression residuals and the learning curve, as inline SVG; plus the scoreboard,
the label-shuffle control and the over-interpretation guards in words.

Drawn with the SVG helpers of :mod:`guiapp.core.export.report`, so they match the other plots.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from markupsafe import Markup

from guiapp.core.evaluation import guards, scoreboard
from guiapp.core.export import svg_charts as svg
from guiapp.core.export.card_values import baseline_name
from guiapp.core.stats.interval_text import ci_clause
from guiapp.core.stats.metrics import DISPLAY_NAMES
from guiapp.core.study.model import Study


def xy_chart_svg(
    series: Sequence[tuple],
    *,
    title: str,
    x_label: str,
    y_label: str,
    x_range: tuple | None = None,
    y_range: tuple | None = None,
    diagonal: bool = False,
    hlines: Sequence[tuple] = (),
    points: bool = False,
    width: int = 420,
    height: int = 340,
) -> Markup:
    """Lines (or points) of ``(name, xs, ys)``, each with its own x values; optional y = x
    diagonal and labelled horizontal reference lines ``(y, text)``. A series may add
    ``(colour index, dashed)`` to pair lines (train solid, tune dashed, one colour per model)."""
    series = [tuple(s) if len(s) == 5 else (*s, i, bool(i % 2)) for i, s in enumerate(series)]
    left, right, top, bottom = 56, width - 14, 40, height - 46
    xs = [v for _, x, _, _, _ in series for v in x if svg.finite(v)]
    ys = [v for _, _, y, _, _ in series for v in y if svg.finite(v)] + [h for h, _ in hlines]
    xt = svg.nice_ticks(*(x_range or (min(xs or [0.0]), max(xs or [1.0]))))
    yt = svg.nice_ticks(*(y_range or (min(ys or [0.0]), max(ys or [1.0]))))
    sx = lambda v: left + (v - xt[0]) / (xt[-1] - xt[0]) * (right - left)  # noqa: E731
    sy = lambda v: bottom - (v - yt[0]) / (yt[-1] - yt[0]) * (bottom - top)  # noqa: E731
    body = svg.y_axis(yt, sy, left, right)
    for v in xt:
        body.append(svg.svg_text(sx(v), bottom + 16, svg.tick_text(v, xt), "middle", "tick"))
    body.append(f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" class="axis"/>')
    if diagonal:
        lo, hi = max(xt[0], yt[0]), min(xt[-1], yt[-1])
        body.append(f'<line x1="{sx(lo):.1f}" y1="{sy(lo):.1f}" x2="{sx(hi):.1f}" y2="{sy(hi):.1f}" class="marker"/>')
    for value, text in hlines:
        body.append(f'<line x1="{left}" y1="{sy(value):.1f}" x2="{right}" y2="{sy(value):.1f}" class="marker"/>')
        body.append(svg.svg_text(right - 4, sy(value) - 4, text, "end", "note"))
    for _name, x, y, c, dashed in series:
        colour = svg.PALETTE[c % len(svg.PALETTE)]
        pts = [(a, b) for a, b in zip(x, y, strict=False) if svg.finite(a) and svg.finite(b)]
        if points:
            body += [
                f'<circle cx="{sx(a):.1f}" cy="{sy(b):.1f}" r="2.4" fill="{colour}" fill-opacity="0.6"/>'
                for a, b in pts
            ]
            continue
        path = " ".join(f"{'M' if j == 0 else 'L'}{sx(a):.1f},{sy(b):.1f}" for j, (a, b) in enumerate(pts))
        dash = ' stroke-dasharray="6 3"' if dashed else ""
        body.append(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
        if len(pts) <= 12:
            body += [f'<circle cx="{sx(a):.1f}" cy="{sy(b):.1f}" r="2.8" fill="{colour}"/>' for a, b in pts]
    body += _legend(series, left, 20, lines=not points)
    body.append(svg.svg_text((left + right) / 2, height - 8, x_label, "middle", "label"))
    body.append(
        svg.svg_text(
            14, (top + bottom) / 2, y_label, "middle", "label", f' transform="rotate(-90 14 {(top + bottom) / 2:.1f})"'
        )
    )
    return svg.svg_root(width, height, title, body)


def _legend(series, x: float, y: float, *, lines: bool) -> list[str]:
    out = []
    for name, _, _, c, dashed in series:
        colour = svg.PALETTE[c % len(svg.PALETTE)]
        dash = ' stroke-dasharray="6 3"' if dashed else ""
        out.append(
            f'<line x1="{x:.1f}" y1="{y - 4:.1f}" x2="{x + 18:.1f}" y2="{y - 4:.1f}" stroke="{colour}" '
            f'stroke-width="2.5"{dash}/>'
            if lines
            else f'<circle cx="{x + 6:.1f}" cy="{y - 4:.1f}" r="4" fill="{colour}"/>'
        )
        out.append(svg.svg_text(x + 24, y, name, "start"))
        x += 34 + 6.3 * len(name)
    return out


def _panels(study: Study) -> tuple[str, list]:
    """(split words, [(model name, panel)]) for the network and the baselines, where scored."""
    e = study.evaluation
    if e.test_metrics:
        where, net, others = "sealed test set", e.test_metrics, e.baseline_test_metrics or {}
    else:
        where, net = "tune split", e.tune_metrics
        others = {b["name"]: b.get("tune_metrics") or {} for b in study.baselines.results}
    out = [("Network", net)] if net else []
    out += [(baseline_name(study, name), p) for name, p in others.items() if p]
    return where, [(name, p) for name, p in out if (p.get("details") or {})]


def _binary_curve(panel: dict, kind: str):
    curves = (panel.get("details") or {}).get("curves") or []
    return curves[0].get(kind) if len(curves) == 1 else None


def curve_charts(study: Study) -> list[Markup]:
    """ROC, PR and calibration for classifiers (binary: every model; multiclass: the network's
    classes); residuals for regression. Empty when no panel carries curves."""
    where, panels = _panels(study)
    if not panels:
        return []
    if not study.is_classification:
        res = panels[0][1]["details"].get("residuals") or {}
        if not res.get("predicted"):
            return []
        return [
            xy_chart_svg(
                [("Network", res["predicted"], res["residual"])],
                points=True,
                hlines=[(0.0, "no error")],
                width=860,
                height=320,
                title=f"Residuals on the {where}",
                x_label="predicted value",
                y_label="observed − predicted",
            )
        ]
    charts = []
    net_details = panels[0][1]["details"]
    multiclass = len(net_details.get("curves") or []) > 1
    if multiclass:  # one line per class, network only: one-vs-rest
        roc = [(f"{c['class']} vs rest", c["roc"]["fpr"], c["roc"]["tpr"]) for c in net_details["curves"] if c["roc"]]
        pr = [
            (f"{c['class']} vs rest", c["pr"]["recall"], c["pr"]["precision"]) for c in net_details["curves"] if c["pr"]
        ]
        hl: list = []
    else:
        roc = [(name, c["fpr"], c["tpr"]) for name, p in panels if (c := _binary_curve(p, "roc"))]
        pr = [(name, c["recall"], c["precision"]) for name, p in panels if (c := _binary_curve(p, "pr"))]
        prev = (_binary_curve(panels[0][1], "pr") or {}).get("prevalence")
        hl = [(prev, f"prevalence {prev:.2f} (chance)")] if prev is not None else []
    unit = (0.0, 1.0)
    if roc:
        charts.append(
            xy_chart_svg(
                roc,
                title=f"ROC curves on the {where}",
                x_label="false positive rate",
                y_label="true positive rate",
                x_range=unit,
                y_range=unit,
                diagonal=True,
            )
        )
    if pr:
        charts.append(
            xy_chart_svg(
                pr,
                title=f"Precision–recall curves on the {where}",
                x_label="recall",
                y_label="precision",
                x_range=unit,
                y_range=unit,
                hlines=hl,
            )
        )
    rel = net_details.get("reliability") or {}
    if rel.get("predicted"):
        charts.append(
            xy_chart_svg(
                [("Network", rel["predicted"], rel["observed"])],
                diagonal=True,
                x_range=unit,
                y_range=unit,
                width=420,
                title=f"Calibration (reliability diagram) on the {where}",
                x_label=f"mean predicted probability ({rel.get('of', '')})",
                y_label="observed frequency",
            )
        )
    return charts


def learning_curve_chart(study: Study) -> Markup | None:
    lc = study.overfitting.learning_curve or {}
    if not lc.get("n_train"):
        return None
    n = lc["n_train"]
    series = [
        ("network, train", n, lc["network"]["train"], 0, False),
        ("network, tune", n, lc["network"]["tune"], 0, True),
    ]
    base = lc.get("baseline") or {}
    if base.get("tune"):
        name = baseline_name(study, base["name"])
        series += [(f"{name}, train", n, base["train"], 1, False), (f"{name}, tune", n, base["tune"], 1, True)]
    metric = DISPLAY_NAMES.get(lc["metric"], lc["metric"])
    return xy_chart_svg(
        series,
        title="Learning curve: score against training-set size",
        x_label="training samples",
        y_label=metric,
        width=860,
        height=320,
    )


def report_context(study: Study) -> dict:
    """What the report's evaluation additions show."""
    sh = study.overfitting.shuffle or {}
    return {
        "curve_charts": curve_charts(study),
        "learning_chart": learning_curve_chart(study),
        "learning_reading": (study.overfitting.learning_curve or {}).get("reading", ""),
        "scoreboard": scoreboard.scoreboard(study),
        "shuffle": sh,
        "shuffle_ci": ci_clause(sh.get("real_ci")),
        "shuffle_metric": DISPLAY_NAMES.get(cast(str, sh.get("metric")), sh.get("metric") or ""),
        "guards": guards.guard_texts(study) if (study.interpret.importances or study.interpret.attributions) else [],
    }
