"""Small pictures for the glossary, as self-contained SVG text (no Qt, no plotting library).

Each picture is a sketch, not data: a few curves, dots or boxes that show the idea of a term at
a glance. The Glossary dialog draws them; anything that reads SVG can.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

W, H, PAD = 220, 130, 18
BLUE, ORANGE, GREEN, GREY, RED = "#1f6fb2", "#e07b00", "#1a8a5a", "#8a949e", "#b3261e"


def _svg(body: str, width: int = W, height: int = H) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="10">'
        f'<rect width="{width}" height="{height}" fill="white"/>{body}</svg>'
    )


def _axes(xlabel: str, ylabel: str) -> str:
    x0, y0, x1, y1 = PAD, H - PAD, W - 6, 6
    return (
        f'<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y0}" stroke="#333"/>'
        f'<line x1="{x0}" y1="{y0}" x2="{x0}" y2="{y1}" stroke="#333"/>'
        f'<text x="{(x0 + x1) / 2}" y="{H - 4}" text-anchor="middle" fill="#333">{xlabel}</text>'
        f'<text x="10" y="{(y0 + y1) / 2}" text-anchor="middle" fill="#333" '
        f'transform="rotate(-90 10 {(y0 + y1) / 2})">{ylabel}</text>'
    )


def _to_px(x: float, y: float) -> tuple:
    """Unit square (0..1, 0..1; y up) to the plot area."""
    return PAD + 4 + x * (W - PAD - 14), H - PAD - 4 - y * (H - PAD - 14)


def _line(points: Iterable, colour: str, dash: bool = False, width: float = 2) -> str:
    pts = " ".join(f"{px:.1f},{py:.1f}" for px, py in (_to_px(x, y) for x, y in points))
    extra = ' stroke-dasharray="4 3"' if dash else ""
    return f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="{width}"{extra}/>'


def _label(x: float, y: float, text: str, colour: str, anchor: str = "start") -> str:
    px, py = _to_px(x, y)
    return f'<text x="{px:.1f}" y="{py:.1f}" fill="{colour}" text-anchor="{anchor}">{text}</text>'


def curves(xlabel: str, ylabel: str, series: list, notes: list | None = None) -> str:
    """``series``: (function of x in 0..1 giving y in 0..1, colour, label, dashed)."""
    body = _axes(xlabel, ylabel)
    for fn, colour, label, dashed in series:
        xs = [i / 40 for i in range(41)]
        body += _line([(x, fn(x)) for x in xs], colour, dashed)
        if label:
            body += _label(0.98, fn(0.98) + 0.05, label, colour, "end")
    for x, y, text, colour in notes or []:
        body += _label(x, y, text, colour)
    return _svg(body)


def overfitting() -> str:
    return curves(
        "epochs",
        "loss",
        [
            (lambda x: 0.9 * math.exp(-3.2 * x) + 0.05, BLUE, "training", False),
            (lambda x: 0.75 * math.exp(-4 * x) + 0.25 + 0.45 * max(0.0, x - 0.35) ** 1.5, ORANGE, "tune", False),
        ],
        notes=[(0.36, 0.5, "↓ best epoch", GREY)],
    )


def loss_curve() -> str:
    return curves("epochs", "loss", [(lambda x: 0.85 * math.exp(-3.5 * x) + 0.1, BLUE, "loss falls", False)])


def learning_curve() -> str:
    return curves(
        "training samples",
        "score",
        [
            (lambda x: 0.95 - 0.12 * x, BLUE, "", False),
            (lambda x: 0.45 + 0.38 * (1 - math.exp(-3 * x)), ORANGE, "", False),
        ],
        notes=[(0.05, 0.99, "training", BLUE), (0.12, 0.42, "tune: still rising?", ORANGE)],
    )


def roc() -> str:
    return curves(
        "false-positive rate",
        "true-positive rate",
        [
            (lambda x: 1 - (1 - x) ** 4, BLUE, "", False),
            (lambda x: x, GREY, "", True),
        ],
        notes=[(0.45, 0.25, "chance (0.5)", GREY), (0.08, 0.93, "model", BLUE)],
    )


def precision_recall() -> str:
    return curves(
        "recall",
        "precision",
        [
            (lambda x: 0.95 - 0.6 * x**3, BLUE, "", False),
            (lambda x: 0.2, GREY, "", True),
        ],
        notes=[(0.2, 0.26, "chance: share of positives", GREY), (0.05, 0.83, "model", BLUE)],
    )


def calibration() -> str:
    return curves(
        "predicted probability",
        "observed share",
        [
            (lambda x: x, GREY, "", True),
            (lambda x: x**1.8, ORANGE, "over-confident", False),
        ],
        notes=[(0.05, 0.85, "perfect: on the diagonal", GREY)],
    )


def learning_rate() -> str:
    """A loss valley walked with small, good and too-large steps."""
    valley = lambda x: 0.9 * (2 * x - 1) ** 2 + 0.05  # noqa: E731
    body = _axes("a setting of the network", "loss") + _line([(i / 40, valley(i / 40)) for i in range(41)], GREY)
    for xs, colour in (
        ([0.05, 0.09, 0.13, 0.17], BLUE),
        ([0.95, 0.7, 0.55, 0.5], GREEN),
        ([0.82, 0.12, 0.93, 0.03], RED),
    ):
        body += _line([(x, valley(x)) for x in xs], colour, width=1.5)
        for x in xs:
            px, py = _to_px(x, valley(x))
            body += f'<circle cx="{px:.1f}" cy="{py:.1f}" r="2.5" fill="{colour}"/>'
    body += _label(0.05, 0.95, "too small", BLUE) + _label(0.42, 0.3, "good", GREEN)
    body += _label(0.6, 0.95, "too large", RED)
    return _svg(body)


def activation() -> str:
    body = _axes("input", "output") + _line([(0, 0.1), (0.5, 0.1), (1, 0.95)], BLUE)
    body += _label(0.05, 0.3, "ReLU: negative → 0, positive passes", BLUE)
    return _svg(body)


def _units(columns: list, crossed: frozenset = frozenset()) -> str:
    body, xs = "", [30 + i * (W - 60) / (len(columns) - 1) for i in range(len(columns))]
    pos = []
    for x, n in zip(xs, columns, strict=False):
        pos.append([(x, H / 2 + (j - (n - 1) / 2) * 22) for j in range(n)])
    for a, b in zip(pos, pos[1:], strict=False):
        for x1, y1 in a:
            for x2, y2 in b:
                body += f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#c8ced6" stroke-width="0.8"/>'
    for c, col in enumerate(pos):
        for j, (x, y) in enumerate(col):
            off = (c, j) in crossed
            fill = "#fff" if off else (BLUE if 0 < c < len(pos) - 1 else GREY)
            body += f'<circle cx="{x}" cy="{y}" r="7" fill="{fill}" stroke="#333"/>'
            if off:
                body += (
                    f'<line x1="{x - 6}" y1="{y - 6}" x2="{x + 6}" y2="{y + 6}" stroke="{RED}" stroke-width="2"/>'
                    f'<line x1="{x - 6}" y1="{y + 6}" x2="{x + 6}" y2="{y - 6}" stroke="{RED}" stroke-width="2"/>'
                )
    return body


def layers() -> str:
    body = _units([3, 4, 4, 2])
    body += (
        f'<text x="30" y="{H - 4}" text-anchor="middle">inputs</text>'
        f'<text x="{W / 2}" y="{H - 4}" text-anchor="middle">hidden layers</text>'
        f'<text x="{W - 30}" y="{H - 4}" text-anchor="middle">outputs</text>'
    )
    return _svg(body)


def dropout() -> str:
    body = _units([3, 4, 4, 2], frozenset({(1, 1), (2, 0), (2, 3)}))
    body += f'<text x="{W / 2}" y="{H - 4}" text-anchor="middle">each step, some units are switched off</text>'
    return _svg(body)


def split_bar(parts=(("train", 0.6, BLUE), ("tune", 0.2, ORANGE), ("test", 0.2, GREY))) -> str:
    body, x = "", 10.0
    for name, share, colour in parts:
        w = share * (W - 20)
        body += (
            f'<rect x="{x:.1f}" y="45" width="{w:.1f}" height="34" fill="{colour}" stroke="white"/>'
            f'<text x="{x + w / 2:.1f}" y="66" fill="white" text-anchor="middle">{name}</text>'
        )
        x += w
    body += (
        f'<text x="{W / 2}" y="100" text-anchor="middle" fill="#333">every sample in exactly one part;</text>'
        f'<text x="{W / 2}" y="114" text-anchor="middle" fill="#333">the test part stays sealed</text>'
    )
    return _svg(body)


def _dots(groups: list) -> str:
    """``groups``: (centre x, centre y, colour, seed) in the unit square; 12 dots each."""
    body = ""
    for cx, cy, colour, seed in groups:
        for k in range(12):
            angle, radius = (k * 2.4 + seed), 0.04 + 0.07 * ((k * 7 + seed) % 5) / 5
            px, py = _to_px(cx + radius * math.cos(angle), cy + radius * math.sin(angle))
            body += f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}" opacity="0.85"/>'
    return body


def batch_effect() -> str:
    body = _axes("PC 1", "PC 2") + _dots(
        [(0.25, 0.6, BLUE, 1), (0.3, 0.4, BLUE, 2), (0.72, 0.62, ORANGE, 3), (0.75, 0.38, ORANGE, 4)]
    )
    body += _label(0.1, 0.95, "run 1", BLUE) + _label(0.65, 0.95, "run 2", ORANGE)
    return _svg(body)


def class_imbalance() -> str:
    body = (
        f'<rect x="40" y="20" width="50" height="80" fill="{BLUE}"/>'
        f'<rect x="130" y="88" width="50" height="12" fill="{ORANGE}"/>'
        '<text x="65" y="115" text-anchor="middle">healthy 90%</text>'
        '<text x="155" y="115" text-anchor="middle">disease 10%</text>'
    )
    return _svg(body)


def confidence_interval() -> str:
    body = ""
    for i, (mid, half, colour) in enumerate(((0.82, 0.03, BLUE), (0.8, 0.12, ORANGE))):
        y = 45 + i * 40
        x0, x1, xm = 20 + (mid - half - 0.5) * 360, 20 + (mid + half - 0.5) * 360, 20 + (mid - 0.5) * 360
        body += (
            f'<line x1="{x0:.1f}" y1="{y}" x2="{x1:.1f}" y2="{y}" stroke="{colour}" stroke-width="3"/>'
            f'<circle cx="{xm:.1f}" cy="{y}" r="4" fill="{colour}"/>'
        )
    body += '<text x="10" y="30">1000 samples: narrow</text><text x="10" y="110">50 samples: wide</text>'
    return _svg(body)
