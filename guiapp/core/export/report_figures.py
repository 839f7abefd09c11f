"""The interpretation and privacy plots of ``report.html``: integrated gradients per feature,
attribution maps of image studies, per-position attributions of sequence studies, the
membership-inference attack's ROC curves and the utility of the network against ε.

Maps are small PNG images written here by hand (zlib, no imaging library) and embedded in the
SVG as ``data:`` URIs, so the page stays one self-contained file that names no URL.
"""

from __future__ import annotations

import base64
import struct
import zlib
from collections.abc import Sequence
from typing import cast

import numpy as np
from markupsafe import Markup

from guiapp.core.export import svg_charts as svg
from guiapp.core.export.report_curves import xy_chart_svg
from guiapp.core.interpretation.attribution_maps import dequantise, modality
from guiapp.core.privacy.membership import MODEL_NAMES, audit_summary
from guiapp.core.stats.metrics import DISPLAY_NAMES
from guiapp.core.study.model import Study

# viridis at five stops: dark blue (no attribution) to yellow (the most); read in grey print too
SEQUENTIAL = ((68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37))
# blue (pushes the output down) – white – vermilion (pushes it up), Okabe–Ito ends
DIVERGING = ((0, 114, 178), (255, 255, 255), (213, 94, 0))
TOP_FEATURES = 15
PANEL = 150  # pixels a map is drawn at


# ----- PNG ---------------------------------------------------------------------------------------


def png_bytes(rgb: np.ndarray) -> bytes:
    """An 8-bit RGB PNG of an ``H × W × 3`` array."""
    rgb = np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8))
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))  # filter type 0 on every row

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def colour(values: np.ndarray, stops: Sequence[tuple], lo: float, hi: float) -> np.ndarray:
    """Values mapped through a colour ramp between ``lo`` and ``hi``: an ``H × W × 3`` array."""
    v = np.asarray(values, dtype=np.float64)
    t = np.clip((v - lo) / (hi - lo), 0.0, 1.0) if hi > lo else np.zeros_like(v)
    pos = t * (len(stops) - 1)
    i = np.minimum(pos.astype(int), len(stops) - 2)
    f = (pos - i)[..., None]
    s = np.asarray(stops, dtype=np.float64)
    return np.rint(s[i] * (1 - f) + s[i + 1] * f).astype(np.uint8)


def _data_uri(rgb: np.ndarray) -> str:
    return "data:image/png;base64," + base64.b64encode(png_bytes(rgb)).decode("ascii")


def _panel(x: float, y: float, rgb: np.ndarray, label: str, size: int = PANEL) -> list[str]:
    h, w = rgb.shape[:2]
    pw, ph = (size, size * h / w) if w >= h else (size * w / h, size)
    return [
        f'<image x="{x:.1f}" y="{y:.1f}" width="{pw:.1f}" height="{ph:.1f}" preserveAspectRatio="none" '
        f'style="image-rendering:pixelated" href="{_data_uri(rgb)}"/>',
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{pw:.1f}" height="{ph:.1f}" fill="none" class="grid"/>',
        svg.svg_text(x + pw / 2, y + ph + 15, label, "middle", "note"),
    ]


def _colour_bar(x: float, y: float, height: float, stops, low: str, high: str) -> list[str]:
    ramp = colour(np.linspace(1, 0, 64)[:, None], stops, 0, 1)
    return [
        f'<image x="{x:.1f}" y="{y:.1f}" width="12" height="{height:.1f}" preserveAspectRatio="none" '
        f'href="{_data_uri(ramp)}"/>',
        svg.svg_text(x + 16, y + 9, high, "start", "note"),
        svg.svg_text(x + 16, y + height, low, "start", "note"),
    ]


# ----- interpretation -------------------------------------------------------------------------------


def attribution_chart(study: Study) -> Markup | None:
    """Integrated gradients per feature (tables; image and sequence studies have their maps)."""
    rows = [a for a in study.interpret.attributions if isinstance(a, dict) and svg.finite(a.get("mean_abs"))]
    if not rows or modality(study):
        return None
    rows = rows[:TOP_FEATURES]
    return svg.horizontal_bar_svg(
        [str(a.get("feature", "?")) for a in rows],
        [float(a["mean_abs"]) for a in rows],
        title=f"Top {len(rows)} features by integrated gradients",
        x_label="mean |attribution| on the tune split",
    )


def image_maps_chart(study: Study) -> Markup | None:
    """The mean map, then each example's image, integrated-gradients and saliency maps, one row each."""
    maps = study.interpret.maps or {}
    if maps.get("kind") != "image" or not maps.get("mean"):
        return None
    mean = dequantise(maps["mean"])
    # A sample's image is a data value: it leaves in the report only when the data are not sensitive.
    examples = [] if study.treated_as_sensitive else (maps.get("examples") or [])
    gap, left, top = 26, 16, 34
    width = left + 4 * (PANEL + gap) + 40
    height = top + (1 + len(examples)) * (PANEL + 40)
    body = [svg.svg_text(left, 18, "Mean |integrated gradients| over the tune split", "start", "label")]
    body += _panel(left, top, colour(mean, SEQUENTIAL, 0, mean.max() or 1), "mean map")
    body += _colour_bar(left + PANEL + 10, top, PANEL, SEQUENTIAL, "none", "most")
    for i, ex in enumerate(examples):
        y = top + (i + 1) * (PANEL + 40)
        body.append(svg.svg_text(left, y - 8, f"Tune sample {i + 1}: {ex.get('label', '')}", "start", "label"))
        picture = dequantise(ex["image"])
        body += _panel(left, y, colour(picture, ((0, 0, 0), (255, 255, 255)), 0, picture.max() or 1), "image")
        for k, (key, name) in enumerate(
            (("integrated_gradients", "integrated gradients"), ("saliency", "saliency |gradient|"))
        ):
            if ex.get(key):
                m = dequantise(ex[key])
                body += _panel(left + (k + 1) * (PANEL + gap), y, colour(m, SEQUENTIAL, 0, m.max() or 1), name)
    return svg.svg_root(width, height, "Attribution maps of the network on image samples", body)


def sequence_charts(study: Study) -> list[Markup]:
    """Mean |attribution| per position, and the signed attribution of each letter where present."""
    maps = study.interpret.maps or {}
    if maps.get("kind") != "sequence" or not maps.get("profile"):
        return []
    profile = maps["profile"]
    charts = [
        svg.line_chart_svg(
            list(range(1, len(profile) + 1)),
            [("mean |attribution|", profile)],
            title="Attribution per sequence position",
            x_label="position",
            y_label="mean |attribution|",
        )
    ]
    letters = maps.get("letters") or ""
    grid = dequantise(maps.get("letter_map") or {})
    if grid.size and letters:
        top = float(np.abs(grid).max()) or 1.0
        rgb = colour(grid.T, DIVERGING, -top, top)  # letters down, positions across
        left, width = 40, 860
        cell_h = 16
        height = 40 + cell_h * len(letters) + 40
        body = [
            f'<image x="{left}" y="30" width="{width - left - 90}" height="{cell_h * len(letters)}" '
            f'preserveAspectRatio="none" style="image-rendering:pixelated" href="{_data_uri(rgb)}"/>'
        ]
        body += [svg.svg_text(left - 6, 30 + cell_h * (k + 0.75), ch, "end", "tick") for k, ch in enumerate(letters)]
        ticks = svg.nice_ticks(1, len(profile), 8, integer=True)
        span = width - left - 90
        for t in ticks:
            if 1 <= t <= len(profile):
                body.append(
                    svg.svg_text(
                        left + (t - 0.5) / len(profile) * span,
                        30 + cell_h * len(letters) + 14,
                        svg.tick_text(t, ticks),
                        "middle",
                        "tick",
                    )
                )
        body += _colour_bar(width - 70, 30, cell_h * len(letters), DIVERGING, "down", "up")
        body.append(svg.svg_text(left + span / 2, height - 6, "position", "middle", "label"))
        body.append(
            svg.svg_text(left, 18, "Signed attribution of each letter where a sequence has it", "start", "label")
        )
        charts.append(svg.svg_root(width, height, "Attribution per position and letter", body))
    return charts


# ----- privacy --------------------------------------------------------------------------------------


def attack_roc_chart(study: Study) -> Markup | None:
    """The membership-inference attack's ROC curve for each audited model."""
    models = (study.ethics.membership or {}).get("models") or {}
    series = [
        (f"{MODEL_NAMES.get(k, k)} (AUC {m['auc']:.2f})", m["roc"]["fpr"], m["roc"]["tpr"], i, False)
        for i, (k, m) in enumerate(models.items())
        if (m.get("roc") or {}).get("fpr")
    ]
    if not series:
        return None
    return xy_chart_svg(
        series,
        title="Membership-inference attack: ROC curves",
        x_label="false positive rate (unseen samples called members)",
        y_label="true positive rate (members found)",
        x_range=(0.0, 1.0),
        y_range=(0.0, 1.0),
        diagonal=True,
        width=860,
        height=360,
    )


def dp_utility_chart(study: Study) -> Markup | None:
    """Tune score of each DP-trained network against its ε, beside the non-private network."""
    dp = study.ethics.dp or {}
    runs = [h for h in (dp.get("history") or []) if svg.finite(h.get("epsilon")) and svg.finite(h.get("dp_tune"))]
    if not runs and svg.finite(dp.get("epsilon")) and svg.finite(dp.get("dp_tune")):
        runs = [dp]
    if not runs:
        return None
    runs = sorted(runs, key=lambda h: h["epsilon"])
    metric = DISPLAY_NAMES.get(cast(str, dp.get("metric")), dp.get("metric") or "score")
    plain = dp.get("non_private_tune")
    hlines = [(plain, f"without differential privacy {plain:.3f}")] if svg.finite(plain) else []
    xs = [h["epsilon"] for h in runs]
    return xy_chart_svg(
        [("trained with DP-SGD", xs, [h["dp_tune"] for h in runs], 0, False)],
        title="Utility against privacy: tune score for each ε",
        x_label="ε spent (smaller is more private)",
        y_label=f"tune {metric}",
        x_range=(0.0, max(xs) * 1.1),
        hlines=hlines,
        width=860,
        height=320,
    )


def report_context(study: Study) -> dict:
    """What the report's interpretation and privacy sections show beyond tables and words."""
    maps = study.interpret.maps or {}
    return {
        "attribution_chart": attribution_chart(study),
        "image_maps": image_maps_chart(study),
        "sequence_charts": sequence_charts(study),
        "maps_reading": maps.get("reading", ""),
        "maps_method": maps.get("method", ""),
        "attribution_note": study.interpret.attribution_note,
        "attack_roc": attack_roc_chart(study),
        "dp_chart": dp_utility_chart(study),
        "audit_lines": _audit_lines(study),
    }


def _audit_lines(study: Study) -> list[str]:
    return audit_summary(study)
