"""Plots of the evaluation pages: curves with their own x values (ROC, PR, reliability,
learning curve), residual scatters and real-vs-shuffled scores. Built on
:class:`guiapp.ui.plots.PlotArea`, so pyqtgraph loads only when something is drawn.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt

from guiapp.ui.plots import QUALITATIVE, PlotArea, pyqtgraph


def xy_lines(
    area: PlotArea,
    series: Sequence[tuple],
    *,
    x_label: str,
    y_label: str,
    unit_square: bool = False,
    diagonal: bool = False,
    hline: tuple | None = None,
    symbols: bool = False,
) -> None:
    """Lines of ``(name, xs, ys[, colour index, dashed])`` with a legend.

    ``unit_square`` fixes both axes to 0–1 (ROC, PR, reliability); ``diagonal`` draws y = x;
    ``hline`` is ``(y, label)`` for a reference line (the prevalence in a PR plot).
    """
    pg = pyqtgraph()
    item = area.plot_item()
    if item.legend is None:
        item.addLegend(offset=(-10, -10) if unit_square else (10, 10))
    item.setLabel("bottom", x_label)
    item.setLabel("left", y_label)
    item.showGrid(x=True, y=True, alpha=0.2)
    for i, s in enumerate(series):
        name, xs, ys = s[:3]
        colour = QUALITATIVE[(s[3] if len(s) > 3 else i) % len(QUALITATIVE)]
        dashed = s[4] if len(s) > 4 else False
        pen = pg.mkPen(colour, width=2, style=Qt.DashLine if dashed else Qt.SolidLine)
        item.plot(
            list(xs),
            list(ys),
            pen=pen,
            name=name,
            symbol="o" if symbols else None,
            symbolSize=6,
            symbolBrush=colour,
            symbolPen=None,
        )
    if diagonal:
        item.plot([0, 1], [0, 1], pen=pg.mkPen("#999999", style=Qt.DotLine))
    if hline is not None:
        line = pg.InfiniteLine(
            pos=hline[0],
            angle=0,
            pen=pg.mkPen("#777777", style=Qt.DotLine),
            label=hline[1],
            labelOpts={"position": 0.8, "color": "#555555"},
        )
        item.addItem(line)
    if unit_square:
        item.setXRange(0, 1, padding=0.02)
        item.setYRange(0, 1, padding=0.02)
    item.setMouseEnabled(x=False, y=False)


def residual_scatter(area: PlotArea, predicted: Sequence[float], residual: Sequence[float]) -> None:
    pg = pyqtgraph()
    item = area.plot_item()
    item.setLabel("bottom", "predicted value")
    item.setLabel("left", "observed − predicted")
    item.showGrid(x=True, y=True, alpha=0.2)
    item.addItem(
        pg.ScatterPlotItem(
            x=list(predicted), y=list(residual), size=6, pen=None, brush=pg.mkBrush(QUALITATIVE[0] + "a0")
        )
    )
    item.addLine(y=0, pen=pg.mkPen("#777777", style=Qt.DotLine))


def real_vs_shuffled(area: PlotArea, real: float, real_ci, shuffled: Sequence[float], *, metric: str) -> None:
    """The real tune score (with its interval) beside each shuffled-label run."""
    import numpy as np

    pg = pyqtgraph()
    item = area.plot_item()
    xs = list(range(1, len(shuffled) + 1))
    item.addItem(pg.BarGraphItem(x=xs, height=list(shuffled), width=0.6, brush="#bbbbbb", pen=None))
    item.addItem(pg.BarGraphItem(x=[0], height=[real], width=0.6, brush=QUALITATIVE[0], pen=None))
    if real_ci:
        item.addItem(
            pg.ErrorBarItem(
                x=np.array([0.0]),
                y=np.array([real]),
                top=np.array([real_ci[1] - real]),
                bottom=np.array([real - real_ci[0]]),
                beam=0.2,
                pen=pg.mkPen("#333333"),
            )
        )
    item.getAxis("bottom").setTicks([[(0, "real labels")] + [(x, f"shuffled {x}") for x in xs]])
    item.setLabel("bottom", "labels the network was trained on")
    item.setLabel("left", f"tune {metric}")
    item.showGrid(y=True, alpha=0.2)
    item.setMouseEnabled(x=False, y=False)
