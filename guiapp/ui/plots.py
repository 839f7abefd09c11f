"""Plots for the pages, drawn with pyqtgraph, which is imported only when a plot first draws.

Each plot sits in a :class:`PlotArea` that shows a plain-words placeholder until there is
something to draw, so opening the window never pays for pyqtgraph.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, QTimer, Slot
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
REDRAW_MS = 100  # curves redraw from a timer, never once per epoch

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


class LiveCurves(PlotArea):
    """Curves per epoch from training records (``series``: record key, legend name, colour).

    Live points are buffered by :meth:`append` and drawn by a 100 ms timer, so a fast run
    never redraws once per epoch; :meth:`set_history` draws a finished run at once. Once
    :meth:`prepare` has made the plot it stays on screen, empty axes titled with the
    placeholder text until there are points: starting a run then changes no layout, and the
    plot's items are only given new data.
    """

    def __init__(
        self,
        placeholder: str,
        accessible_name: str,
        series: Sequence[tuple[str, str, str]],
        y_label: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(placeholder, accessible_name, parent=parent)
        self._series = list(series)
        self._y_label = y_label
        self._epochs: list[float] = []
        self._values: dict[str, list[float]] = {key: [] for key, _, _ in self._series}
        self._best: int | None = None
        self._dirty = False
        self._items = None
        self._empty_title: bool | None = None
        self._live_range: tuple[float, float, float] | None = None  # x upper, y low, y high
        self._last_epoch: int | None = None  # the run's maximum epochs, when known
        self._legend_offset = (-10, 10)  # top right: a loss falls away from it
        self._timer = QTimer(self)
        self._timer.setInterval(REDRAW_MS)
        self._timer.timeout.connect(self._redraw)

    def set_series(
        self, series: Sequence[tuple[str, str, str]], y_label: str | None = None, rising: bool = False
    ) -> None:
        """Change what is drawn (the tune metric's name differs between studies). A ``rising``
        curve (a score that grows) gets its legend at the bottom right, out of its way."""
        self._series = list(series)
        self._y_label = y_label or self._y_label
        self._legend_offset = (-10, -10) if rising else (-10, 10)
        prepared = self._items is not None
        self._items = None
        self._epochs, self._values = [], {key: [] for key, _, _ in self._series}
        if prepared:
            self.prepare()
        else:
            self.show_placeholder()

    def prepare(self) -> None:
        """Make the plot now, before a run: creating and first painting a pyqtgraph plot takes
        tens of milliseconds on the GUI thread, which mid-run would stall the window."""
        if self._items is None:
            self._build()
            self._set_data()

    def start_live(
        self, history: Sequence[dict] = (), best_epoch: int | None = None, max_epochs: int | None = None
    ) -> None:
        """A run starts (from ``history`` when it resumes); ``max_epochs`` bounds the epoch axis."""
        self.prepare()
        self.set_history(history, best_epoch)
        self._last_epoch = max_epochs

    def set_history(self, history: Sequence[dict], best_epoch: int | None = None) -> None:
        self._timer.stop()
        epochs = [r["epoch"] for r in history]
        values = {key: [_number(r.get(key)) for r in history] for key, _, _ in self._series}
        self._dirty = False
        if self._items is not None and epochs and epochs == self._epochs and values == self._values:
            self._best = best_epoch  # the run just drawn live: keep its axes, add the best epoch
            self._set_data()
            return
        self._epochs, self._values, self._best = epochs, values, best_epoch
        self._live_range = None
        if self._items is not None:
            self._widget.getPlotItem().enableAutoRange()  # a finished run: fit it exactly
            self._set_data()
        elif history:
            self._redraw(force=True)

    def append(self, record: dict) -> None:
        """Buffer one epoch; the timer draws it."""
        self._epochs.append(record["epoch"])
        for key, _, _ in self._series:
            self._values[key].append(_number(record.get(key)))
        self._dirty = True
        if not self._timer.isActive():
            self._timer.start()

    def stop_live(self) -> None:
        self._timer.stop()
        self._redraw()

    @property
    def live(self) -> bool:
        return self._timer.isActive()

    @property
    def n_points(self) -> int:
        return len(self._epochs)

    def values(self, key: str) -> list[float]:
        return list(self._values.get(key, []))

    def _build(self) -> None:
        pg = pyqtgraph()
        item = self.plot_item()
        legend = item.addLegend(offset=self._legend_offset)
        legend.setOffset(self._legend_offset)  # addLegend keeps an existing legend where it was
        item.setLabel("bottom", "epoch")
        item.setLabel("left", self._y_label)
        item.showGrid(x=True, y=True, alpha=0.2)
        curves = [item.plot(pen=pg.mkPen(colour, width=2), name=name) for _, name, colour in self._series]
        best = pg.InfiniteLine(angle=90, pen=pg.mkPen("#555555", style=Qt.DashLine))
        best.setVisible(False)
        item.addItem(best)
        self._items = (curves, best)
        self._empty_title = None

    def _set_data(self) -> None:
        curves, best = self._items
        for curve, (key, _, _) in zip(curves, self._series, strict=False):
            curve.setData(self._epochs, self._values[key])
        best.setVisible(bool(self._best))
        if self._best:
            best.setValue(self._best)
        empty = not self._epochs
        if empty != self._empty_title:  # the same title row either way: no new layout
            self._empty_title = empty
            self._widget.getPlotItem().setTitle(
                self._placeholder.text() if empty else self.title,
                size="9pt" if empty else "10pt",
                color="#777777" if empty else "#333333",
            )

    @Slot()
    def _redraw(self, force: bool = False) -> None:
        if not (self._dirty or force) or not self._epochs:
            return
        self._dirty = False
        if self._items is None:
            self._build()
        self._set_data()
        if self._timer.isActive():
            self._keep_live_range()

    def _keep_live_range(self) -> None:
        """While training, move the axes in steps rather than every epoch: a new range makes
        pyqtgraph lay out and draw the axes again, the dearest part of a redraw."""
        import math

        x_upper = float(_nice_ceiling(max(self._epochs[-1], 5)))
        if self._last_epoch:
            x_upper = min(x_upper, float(self._last_epoch))
        values = [v for key, _, _ in self._series for v in self._values[key] if math.isfinite(v)]
        if not values:
            return
        low, high = min(values), max(values)
        old = self._live_range
        if old is None or x_upper != old[0] or low < old[1] or high > old[2] or (high - low) < 0.4 * (old[2] - old[1]):
            pad = 0.1 * ((high - low) or abs(high) or 1.0)
            self._live_range = (x_upper, low - pad, high + pad)
            item = self._widget.getPlotItem()
            item.setXRange(0, x_upper, padding=0.02)
            item.setYRange(low - pad, high + pad, padding=0)


def _nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 5 × 10^k that is at least ``value``."""
    import math

    power = 10 ** math.floor(math.log10(value)) if value > 0 else 1
    return next(m * power for m in (1, 2, 5, 10) if m * power >= value)


def _number(value) -> float:
    return float("nan") if value is None else float(value)


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


class LossCurves(LiveCurves):
    """Training and tune loss per epoch of a finished run (the Overfitting page)."""

    def __init__(self, placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(
            placeholder,
            "Training and tune loss curves",
            [("train_loss", "training split", TRAIN_COLOUR), ("tune_loss", "tune split", TUNE_COLOUR)],
            "loss",
            parent=parent,
        )
