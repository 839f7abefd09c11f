"""The Baselines page's comparison plot: each model's tune score with its 95% interval."""

from __future__ import annotations

from PySide6.QtGui import QFontMetrics

from guiapp.core.stats import metrics
from guiapp.ui.plots import PlotArea, pyqtgraph


def draw_comparison(area: PlotArea, rows: list[dict], metric: str) -> None:
    """Each model's tune score as a point with its 95% interval; the network in red, on top."""
    import numpy as np

    rows = [r for r in rows if r.get("value") is not None and np.isfinite(r["value"])]
    if not rows:
        area.show_placeholder()
        return
    pg = pyqtgraph()
    item = area.plot_item()
    n = len(rows)
    ys = np.array([n - 1 - i for i in range(n)], float)
    xs = np.array([r["value"] for r in rows], float)
    low = np.array([r["value"] - r["ci"][0] if r.get("ci") else 0.0 for r in rows], float)
    high = np.array([r["ci"][1] - r["value"] if r.get("ci") else 0.0 for r in rows], float)
    item.addItem(pg.ErrorBarItem(x=xs, y=ys, left=low, right=high, beam=0.2, pen=pg.mkPen("#333333")))
    brushes = [pg.mkBrush("#d62728" if r.get("kind") == "network" else "#1f77b4") for r in rows]
    item.addItem(pg.ScatterPlotItem(x=xs, y=ys, size=10, pen=None, brush=brushes))
    axis = item.getAxis("left")
    axis.setTicks([[(y, r["title"]) for y, r in zip(ys, rows, strict=False)]])
    # Room for the longest model name: the axis does not widen for tick text by itself offscreen.
    axis.setWidth(QFontMetrics(area.font()).horizontalAdvance(max((r["title"] for r in rows), key=len)) + 16)
    item.setLabel("bottom", f"{metrics.DISPLAY_NAMES.get(metric, metric)} on the tune split (95% interval)")
    item.setLabel("left", "model")
    item.showGrid(x=True, alpha=0.2)
    item.setMouseEnabled(x=False, y=False)
    item.setYRange(-0.7, n - 0.3)
