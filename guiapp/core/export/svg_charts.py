"""The report's plots as inline SVG: line charts, horizontal and grouped bars, and the axes,
ticks and legends they share. Drawn here so the page opens offline and needs no plotting library;
every piece of text is escaped."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

from markupsafe import Markup

from guiapp.core.stats.interval_text import ci_clause, is_flat

# Okabe–Ito colours: told apart by colour-blind readers; the network is always the first.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#7f7f7f")


def first_upper(text: str) -> str:
    """ "balanced accuracy" → "Balanced accuracy", leaving "ROC AUC" and "R²" alone."""
    return text[:1].upper() + text[1:]


def finite(v) -> bool:
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


def tick_text(v: float, ticks: Sequence[float]) -> str:
    step = abs(ticks[1] - ticks[0]) if len(ticks) > 1 else 1.0
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) + (
        1 if round(step / 10 ** math.floor(math.log10(step)), 3) == 2.5 else 0
    )
    text = f"{v:.{decimals}f}"
    return "0" if float(text) == 0 else text


def svg_text(x: float, y: float, text: str, anchor: str = "middle", cls: str = "", extra: str = "") -> str:
    c = f' class="{cls}"' if cls else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{c}{extra}>{html.escape(str(text))}</text>'


def svg_root(width: int, height: int, title: str, body: list[str]) -> Markup:
    # No xmlns: inline SVG in HTML needs none, and the page then names no URL at all.
    size = "chart small" if width < 600 else "chart"
    head = (
        f'<svg viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" class="{size}"><title>{html.escape(title)}</title>'
    )
    return Markup(head + "".join(body) + "</svg>")


def legend(names: Sequence[str], x: float, y: float, *, lines: bool = False) -> list[str]:
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
        out.append(svg_text(x + (24 if lines else 17), y, name, "start"))
        x += 34 + 6.3 * len(name)
    return out


def y_axis(ticks, sy, left, right) -> list[str]:
    out = []
    for v in ticks:
        y = sy(v)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" class="grid"/>')
        out.append(svg_text(left - 6, y + 4, tick_text(v, ticks), "end", "tick"))
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
    ys = [v for _, vals in series for v in vals if v is not None and finite(v)]
    yt = nice_ticks(min(ys), max(ys)) if ys else [0.0, 1.0]
    xt = nice_ticks(min(x), max(x), 8, integer=True) if len(set(x)) > 1 else [x[0] - 1, x[0], x[0] + 1]
    sx = lambda v: left + (v - xt[0]) / (xt[-1] - xt[0]) * (right - left)  # noqa: E731
    sy = lambda v: bottom - (v - yt[0]) / (yt[-1] - yt[0]) * (bottom - top)  # noqa: E731
    body = y_axis(yt, sy, left, right)
    for v in xt:
        body.append(svg_text(sx(v), bottom + 16, tick_text(v, xt), "middle", "tick"))
    body.append(f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" class="axis"/>')
    if marker and finite(marker[0]) and xt[0] <= marker[0] <= xt[-1]:
        mx = sx(marker[0])
        body.append(f'<line x1="{mx:.1f}" y1="{top}" x2="{mx:.1f}" y2="{bottom}" class="marker"/>')
        body.append(svg_text(mx - 4, top + 12, marker[1], "end", "note"))
    for i, (_, vals) in enumerate(series):
        colour, dash = PALETTE[i % len(PALETTE)], ' stroke-dasharray="6 3"' if i % 2 else ""
        path, pen = [], "M"
        for xv, yv in zip(x, vals, strict=False):
            if not finite(yv):
                pen = "M"
                continue
            path.append(f"{pen}{sx(xv):.1f},{sy(yv):.1f}")
            pen = "L"
        body.append(f'<path d="{" ".join(path)}" fill="none" stroke="{colour}" stroke-width="2.2"{dash}/>')
        if len(x) <= 40:
            body += [
                f'<circle cx="{sx(xv):.1f}" cy="{sy(yv):.1f}" r="2.6" fill="{colour}"/>'
                for xv, yv in zip(x, vals, strict=False)
                if finite(yv)
            ]
    body += legend([name for name, _ in series], left, 20, lines=True)
    body.append(svg_text((left + right) / 2, height - 8, x_label, "middle", "label"))
    body.append(
        svg_text(
            14, (top + bottom) / 2, y_label, "middle", "label", f' transform="rotate(-90 14 {(top + bottom) / 2:.1f})"'
        )
    )
    return svg_root(width, height, title, body)


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
        body.append(svg_text(sx(v), bottom + 16, tick_text(v, xt), "middle", "tick"))
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
        body.append(svg_text(left - 6, y + row / 2 + 4, label, "end"))
    body.append(f'<line x1="{sx(0.0):.1f}" y1="{top}" x2="{sx(0.0):.1f}" y2="{bottom}" class="axis"/>')
    body.append(svg_text((left + right) / 2, height - 8, x_label, "middle", "label"))
    return svg_root(width, height, title, body)


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
    vals = [v for _, vs, cis in series for v in vs if v is not None and finite(v)]
    vals += [c for _, _, cis in series for ci in cis if ci for c in ci if finite(c)]
    lo, hi = y_range or (min([0.0] + vals), max([0.0] + vals))
    yt = nice_ticks(lo, hi)
    sy = lambda v: bottom - (v - yt[0]) / (yt[-1] - yt[0]) * (bottom - top)  # noqa: E731
    body = y_axis(yt, sy, left, right)
    slot = (right - left) / max(len(groups), 1)
    bar = min(56.0, slot * 0.8 / max(len(series), 1))
    for g, group in enumerate(groups):
        x = left + g * slot + (slot - bar * len(series)) / 2
        for i, (name, vs, cis) in enumerate(series):
            v, ci, bx = vs[g], cis[g], x + i * bar
            if not finite(v):
                body.append(svg_text(bx + bar / 2, sy(0.0) - 4, "n/a", "middle", "note"))
                continue
            y0, y1 = sorted((sy(0.0), sy(v)))
            body.append(
                f'<rect x="{bx + 1:.1f}" y="{y0:.1f}" width="{bar - 2:.1f}" height="{max(y1 - y0, 0.5):.1f}" '
                f'fill="{PALETTE[i % len(PALETTE)]}"><title>{html.escape(f"{name}, {group}: {v:.3f}")}'
                f"{html.escape(ci_clause(ci))}</title></rect>"
            )
            top_y = sy(v)
            if ci and finite(ci[0]) and finite(ci[1]) and not is_flat(ci):  # a flat one has no bar to draw
                cx, a, b = bx + bar / 2, sy(ci[0]), sy(ci[1])
                body.append(
                    f'<path d="M{cx - 5:.1f},{a:.1f}H{cx + 5:.1f}M{cx:.1f},{a:.1f}V{b:.1f}'
                    f'M{cx - 5:.1f},{b:.1f}H{cx + 5:.1f}" class="err"/>'
                )
                top_y = min(top_y, b)
            if bar >= 28:
                body.append(svg_text(bx + bar / 2, top_y - 4, f"{v:.3f}", "middle", "value"))
        body.append(svg_text(left + (g + 0.5) * slot, bottom + 18, group, "middle"))
    body.append(f'<line x1="{left}" y1="{sy(0.0):.1f}" x2="{right}" y2="{sy(0.0):.1f}" class="axis"/>')
    body += legend([name for name, _, _ in series], left, 18)
    return svg_root(width, height, title, body)


# ----- template -----------------------------------------------------------------------------
