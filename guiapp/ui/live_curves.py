"""Curves per epoch: live while a network trains (the Train page), or of a finished run (the
Overfitting page). Drawn in a :class:`guiapp.ui.plots.PlotArea`, so pyqtgraph loads only when
a curve is first drawn.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtWidgets import QWidget

from guiapp.ui.plots import TRAIN_COLOUR, TUNE_COLOUR, PlotArea, pyqtgraph

REDRAW_MS = 100  # curves redraw from a timer, never once per epoch


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
