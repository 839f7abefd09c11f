"""Plots for the pages, drawn with pyqtgraph, which is imported only when a plot first draws.

Each plot sits in a :class:`PlotArea` that shows a plain-words placeholder until there is
something to draw, so opening the window never pays for pyqtgraph.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

TRAIN_COLOUR, TUNE_COLOUR = "#1f77b4", "#d62728"
QUALITATIVE = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
    "#393b79",
    "#637939",
]

_configured = False


def pyqtgraph():
    """Import pyqtgraph on first use and set Tenfold's plot look once."""
    global _configured
    import pyqtgraph as pg

    if not _configured:
        pg.setConfigOptions(antialias=True, background="w", foreground="#333333")
        _configured = True
    return pg


class PlotArea(QWidget):
    """A placeholder text until the first draw, then a pyqtgraph PlotWidget.

    Every drawn plot carries :attr:`title` (the accessible name unless a page sets one that
    names the split) and a small "Save" button in its corner that writes PNG or SVG.
    """

    def __init__(
        self, placeholder: str, accessible_name: str, min_height: int = 260, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setAccessibleName(accessible_name)
        self.title = accessible_name
        self.setMinimumHeight(min_height)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._placeholder = QLabel(placeholder)
        self._placeholder.setObjectName("plotPlaceholder")
        self._placeholder.setAlignment(Qt.AlignCenter)
        self._placeholder.setWordWrap(True)
        self._layout.addWidget(self._placeholder)
        self._widget = None
        self.save_button = None  # made with the plot (plot_export.save_button)

    @property
    def drawn(self) -> bool:
        """A plot has been drawn and not replaced by the placeholder (on a hidden page too)."""
        return self._widget is not None and not self._widget.isHidden()

    @property
    def has_plot(self) -> bool:
        return self._widget is not None and self._widget.isVisible()

    def plot_item(self):
        """The (cleared) PlotItem to draw on; creates the PlotWidget the first time."""
        if self._widget is None:
            pg = pyqtgraph()
            self._widget = pg.PlotWidget()
            self._widget.setAccessibleName(self.accessibleName())
            self._widget.setMenuEnabled(False)
            for side in ("left", "bottom"):  # plain numbers, never "(x0.001)"
                self._widget.getPlotItem().getAxis(side).enableAutoSIPrefix(False)
            self._layout.addWidget(self._widget)
            from guiapp.ui.plot_export import save_button

            self.save_button = save_button(self)
        item = self._widget.getPlotItem()
        item.clear()
        if item.legend is not None:
            item.legend.clear()
        item.setTitle(self.title, size="10pt")
        self._placeholder.hide()
        self._widget.show()
        self.save_button.show()
        self.save_button.raise_()
        return item

    def save_plot(self, path) -> str:
        """Write the plot as PNG or SVG, by the file's suffix."""
        return export_plot(self, path)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        if self.save_button is not None:  # the corner, over the plot: no row of its own
            self.save_button.move(self.width() - self.save_button.width() - 4, 4)

    def show_placeholder(self, text: str | None = None) -> None:
        if text is not None:
            self._placeholder.setText(text)
        if self._widget is not None:
            self._widget.hide()
            self.save_button.hide()
        self._placeholder.show()


def bar_chart(
    area: PlotArea,
    labels: Sequence[str],
    values: Sequence[float],
    *,
    y_label: str = "",
    x_label: str = "",
    colour: str = TRAIN_COLOUR,
) -> None:
    """Vertical bars, one per label (class counts)."""
    pg = pyqtgraph()
    item = area.plot_item()
    xs = list(range(len(values)))
    item.addItem(pg.BarGraphItem(x=xs, height=list(values), width=0.6, brush=colour, pen=None))
    item.getAxis("bottom").setTicks([[(x, str(lab)) for x, lab in zip(xs, labels, strict=False)]])
    item.setLabel("left", y_label)
    item.setLabel("bottom", x_label)
    item.showGrid(y=True, alpha=0.2)
    item.setMouseEnabled(x=False, y=False)
    item.setYRange(0, max(values or [1]) * 1.1)


def horizontal_bars(
    area: PlotArea,
    labels: Sequence[str],
    values: Sequence[float],
    errors: Sequence[float] | None = None,
    *,
    x_label: str = "",
    y_label: str = "feature",
) -> None:
    """Horizontal bars with the first label on top (feature importance)."""
    pg = pyqtgraph()
    item = area.plot_item()
    n = len(values)
    ys = [n - 1 - i for i in range(n)]
    item.addItem(pg.BarGraphItem(x0=0, y=ys, height=0.6, width=list(values), brush=TRAIN_COLOUR, pen=None))
    if errors is not None:
        import numpy as np

        item.addItem(
            pg.ErrorBarItem(
                x=np.asarray(values, float),
                y=np.asarray(ys, float),
                left=np.asarray(errors, float),
                right=np.asarray(errors, float),
                beam=0.2,
                pen=pg.mkPen("#333333"),
            )
        )
    item.getAxis("left").setTicks([[(y, str(lab)) for y, lab in zip(ys, labels, strict=False)]])
    item.setLabel("bottom", x_label)
    item.setLabel("left", y_label)
    item.showGrid(x=True, alpha=0.2)
    item.setMouseEnabled(x=False, y=False)
    item.addLine(x=0, pen=pg.mkPen("#777777"))


def scatter_groups(area: PlotArea, xy, groups: Sequence[str], *, x_label: str, y_label: str, title: str = "") -> None:
    """A scatter coloured by group, with a legend (numbers on a gradient when there are many)."""
    import numpy as np

    pg = pyqtgraph()
    item = area.plot_item()
    item.setLabel("bottom", x_label)
    item.setLabel("left", y_label)
    if title:
        item.setTitle(title, size="10pt")
    xy = np.asarray(xy)
    groups = np.asarray([str(g) for g in groups])
    names = sorted(set(groups.tolist()))
    if len(names) <= len(QUALITATIVE):
        if item.legend is None:
            item.addLegend(offset=(10, 10))
        for i, name in enumerate(names):
            mask = groups == name
            item.addItem(
                pg.ScatterPlotItem(
                    x=xy[mask, 0],
                    y=xy[mask, 1],
                    size=7,
                    pen=None,
                    brush=pg.mkBrush(QUALITATIVE[i] + "b0"),
                    name=f"{name} ({int(mask.sum())})",
                )
            )
        return
    try:  # many values: a continuous label, shown on a gradient
        values = groups.astype(float)
        scaled = (values - values.min()) / max(np.ptp(values), 1e-12)
        brushes = [pg.mkBrush(c) for c in pg.colormap.get("viridis").map(scaled, mode="qcolor")]
    except ValueError:
        brushes = [pg.mkBrush(QUALITATIVE[names.index(g) % len(QUALITATIVE)]) for g in groups]
    item.addItem(pg.ScatterPlotItem(x=xy[:, 0], y=xy[:, 1], size=7, pen=None, brush=brushes))


EXPORT_FORMATS = {"png": "PNG image (*.png)", "svg": "SVG vector drawing (*.svg)"}


def export_plot(area: PlotArea, path, width: int = 1200) -> str:
    """Write the plot in ``area`` to ``path`` as PNG or SVG (by the suffix); returns the path.

    PNG is drawn ``width`` pixels wide (sharp in a report), through pyqtgraph's exporter. SVG
    is drawn by Qt's own SVG generator: pyqtgraph 0.14's SVG exporter fails on the paths Qt
    6.11 writes (a closing "Z" it cannot parse; pyqtgraph issue #3485).
    """
    from pathlib import Path

    if not area.has_plot:
        raise ValueError("There is no plot to export yet.")
    path = Path(path)
    kind = path.suffix.lower().lstrip(".")
    if kind not in EXPORT_FORMATS:
        raise ValueError(f"Export as .png or .svg, not {path.suffix or 'no suffix'}.")
    widget = area._widget
    if kind == "png":
        pyqtgraph()
        import pyqtgraph.exporters as exporters

        exporter = exporters.ImageExporter(widget.getPlotItem())
        exporter.parameters()["width"] = width
        exporter.export(str(path))
        return str(path)
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QPainter
    from PySide6.QtSvg import QSvgGenerator

    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(widget.size())
    generator.setViewBox(QRectF(0, 0, widget.width(), widget.height()))
    generator.setTitle(area.accessibleName())
    painter = QPainter(generator)
    try:
        widget.render(painter)
    finally:
        painter.end()
    if not path.exists():
        raise OSError("the SVG file was not written")
    return str(path)
