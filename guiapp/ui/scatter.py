"""A scatter of up to hundreds of thousands of samples, coloured by a coded column (pyqtgraph).

One ScatterPlotItem draws every point from its pre-rendered symbol atlas (``pxMode``,
``useCache``). Colours are one brush per category, indexed by the column's codes; each
category's place in the atlas is looked up once and spread over the points with the same
index, where pyqtgraph's own per-point path takes over a second at 100,000 points. Hovering
finds the nearest point in screen pixels with one vectorised distance, so no per-point
Python object is ever made. The legend, with counts, sits beside the plot: it never hides
points and is part of the exported PNG or SVG.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QLabel, QSizePolicy, QToolTip, QVBoxLayout, QWidget

from guiapp.ui.plots import QUALITATIVE, pyqtgraph

MUTED_COLOUR = "#b0b0b0"
HOVER_RADIUS_PX = 6
_item_class = None


def point_style(n: int) -> tuple[int, str]:
    """Point size in pixels and fill alpha (hex) for ``n`` points: smaller and lighter when dense."""
    if n <= 2_000:
        return 7, "c0"
    if n <= 20_000:
        return 5, "a0"
    return 3, "80"


def category_colours(n_categories: int, ordered: bool, muted=()) -> list[str]:
    """A colour per category: a sequential map for ordered ranges, else the qualitative palette."""
    if ordered:
        pg = pyqtgraph()
        cmap = pg.colormap.get("viridis")
        colours = [cmap.map(t, mode="qcolor").name() for t in np.linspace(0.0, 0.9, max(n_categories, 1))]
    else:
        colours = [QUALITATIVE[i % len(QUALITATIVE)] for i in range(n_categories)]
    return [MUTED_COLOUR if i in set(muted) else c for i, c in enumerate(colours)]


def category_scatter_item():
    """The ScatterPlotItem subclass (made on first use: pyqtgraph is imported lazily)."""
    global _item_class
    if _item_class is not None:
        return _item_class
    pg = pyqtgraph()

    class CategoryScatterItem(pg.ScatterPlotItem):
        """A ScatterPlotItem whose per-point brushes come from a few categories."""

        _codes: np.ndarray | None = None
        _brushes: np.ndarray | None = None

        def set_points(self, x, y, codes, brushes, size: int) -> None:
            self._codes = np.asarray(codes, dtype=np.intp)
            self._brushes = np.asarray(brushes, dtype=object)
            self.fragmentAtlas.clear()
            self.setData(x=x, y=y, size=size, pen=None, symbol="o")

        def set_categories(self, codes, brushes) -> None:
            self._codes = np.asarray(codes, dtype=np.intp)
            self._brushes = np.asarray(brushes, dtype=object)
            self.fragmentAtlas.clear()
            self.updateSpots()

        def updateSpots(self, dataSet=None):  # noqa: N802 (pyqtgraph's name)
            data = self.data if dataSet is None else dataSet
            if (
                self._codes is None
                or len(data) != len(self.data)
                or len(data) != len(self._codes)
                or not (self.opts["pxMode"] and self.opts["useCache"])
            ):
                return super().updateSpots(dataSet)
            o = self.opts
            coords = self.fragmentAtlas[[(o["symbol"], o["size"], o["pen"], b) for b in self._brushes]]
            rects = np.array([tuple(c) for c in coords], dtype=self.data.dtype["sourceRect"])
            self.data["sourceRect"] = rects[self._codes]
            self.data["brush"] = self._brushes[self._codes]  # references to a few brushes
            self._updateMaxSpotSizes(data=self.data)
            self.invalidate()

        def mouseClickEvent(self, ev):  # noqa: N802 — pyqtgraph would make an object per point
            ev.ignore()

    _item_class = CategoryScatterItem
    return _item_class


class SampleScatter(QWidget):
    """Samples on two axes, coloured by one of a :class:`SampleView`'s columns, with a legend."""

    hovered = Signal(int)  # the sample under the mouse (row index), for tests and status lines

    def __init__(
        self, placeholder: str, accessible_name: str, min_height: int = 380, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setAccessibleName(accessible_name)
        self.setMinimumHeight(min_height)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._placeholder = QLabel(placeholder)
        self._placeholder.setObjectName("plotPlaceholder")
        self._placeholder.setAlignment(Qt.AlignCenter)
        self._placeholder.setWordWrap(True)
        self._layout.addWidget(self._placeholder)
        self.view = None  # the SampleView drawn
        self.column = ""
        self.hover_text = ""
        self._canvas = None
        self._order = self._x = self._y = None

    # ----- state ---------------------------------------------------------------------------
    @property
    def has_plot(self) -> bool:
        return self._canvas is not None and self._canvas.isVisible() and self.view is not None

    def legend_entries(self) -> list[str]:
        if self._canvas is None:
            return []
        return [label.text for _sample, label in self._legend.items]

    def show_placeholder(self, text: str | None = None) -> None:
        if text is not None:
            self._placeholder.setText(text)
        if self._canvas is not None:
            self._canvas.hide()
        self.view = None
        self._placeholder.show()

    # ----- drawing -------------------------------------------------------------------------
    def _ensure_canvas(self) -> None:
        if self._canvas is not None:
            return
        pg = pyqtgraph()
        self._canvas = pg.GraphicsLayoutWidget()
        self._canvas.setAccessibleName(self.accessibleName())
        self._plot = self._canvas.addPlot(row=0, col=0)
        self._plot.setMenuEnabled(False)
        self._plot.hideButtons()
        for side in ("left", "bottom"):
            self._plot.getAxis(side).enableAutoSIPrefix(False)
        self._plot.showGrid(x=True, y=True, alpha=0.15)
        self._item = category_scatter_item()(pxMode=True, useCache=True)
        self._plot.addItem(self._item)
        # A LegendItem places itself at (0, 0) of its parent, so it lives in a box of its own
        # beside the plot, sized to it after every fill. (No anchor: an anchored legend
        # outlives its parent box at teardown and complains.)
        self._legend_box = self._canvas.addViewBox(row=0, col=1, enableMouse=False)
        self._legend = pg.LegendItem(labelTextSize="9pt", verSpacing=-4)
        self._legend.setParentItem(self._legend_box)
        self._legend.setPos(0, 28)
        self._canvas.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self._layout.addWidget(self._canvas)

    def set_view(self, view, column: str) -> None:
        """Draw ``view`` coloured by ``column`` (a key of ``view.columns``)."""
        self._ensure_canvas()
        self.view = view
        n = view.n
        # A fixed random drawing order: no batch sits on top of the others everywhere.
        self._order = np.random.default_rng(0).permutation(n)
        xy = view.coordinates[self._order]
        self._x, self._y = xy[:, 0].astype(np.float64), xy[:, 1].astype(np.float64)
        self._plot.setLabel("bottom", view.axis_labels[0])
        self._plot.setLabel("left", view.axis_labels[1])
        size, _alpha = point_style(n)
        self.column = column if column in view.columns else next(iter(view.columns), "")
        codes, brushes = self._coding(self.column)
        self._item.set_points(self._x, self._y, codes, brushes, size)
        self._plot.enableAutoRange()
        self._fill_legend()
        self._placeholder.hide()
        self._canvas.show()

    def colour_by(self, column: str) -> None:
        """Recolour the drawn points (no new positions): a brush index per point, nothing else."""
        if self.view is None or column not in self.view.columns:
            return
        self.column = column
        codes, brushes = self._coding(column)
        self._item.set_categories(codes, brushes)
        self._fill_legend()

    def _coding(self, column: str):
        pg = pyqtgraph()
        _size, alpha = point_style(self.view.n)
        if not column:
            return np.zeros(self.view.n, dtype=np.intp), [pg.mkBrush(QUALITATIVE[0] + alpha)]
        col = self.view.columns[column]
        colours = category_colours(len(col.categories), col.ordered, col.muted)
        brushes = [pg.mkBrush(c + alpha) for c in colours]
        return col.codes[self._order], brushes

    def _fill_legend(self) -> None:
        pg = pyqtgraph()
        self._legend.clear()
        view = self.view
        role = {view.batch: "batch", view.label: "label"}.get(self.column, "")
        named = f"{role} ('{self.column}')" if role and role != self.column else f"'{self.column}'"
        self._plot.setTitle(f"{view.n:,} samples, coloured by {named}" if self.column else f"{view.n:,} samples")
        if not self.column:
            return
        col = view.columns[self.column]
        colours = category_colours(len(col.categories), col.ordered, col.muted)
        for name, count, colour in zip(col.categories, col.counts, colours, strict=False):
            sample = pg.ScatterPlotItem(size=10, pen=None, brush=pg.mkBrush(colour), symbol="o")
            self._legend.addItem(sample, f"{name} ({count:,})")
        self._legend.updateSize()
        self._legend_box.setFixedWidth(self._legend.boundingRect().width() + 8)

    # ----- hover ---------------------------------------------------------------------------
    def sample_at(self, x: float, y: float) -> int | None:
        """The sample nearest to the data point (x, y) within a few pixels, or None."""
        if self.view is None or self._x is None or not len(self._x):
            return None
        sx, sy = self._plot.getViewBox().viewPixelSize()
        if not sx or not sy:
            return None
        d2 = ((self._x - x) / sx) ** 2 + ((self._y - y) / sy) ** 2
        i = int(np.argmin(d2))
        if d2[i] > HOVER_RADIUS_PX**2:
            return None
        return int(self._order[i])

    def _on_mouse_moved(self, scene_pos) -> None:
        vb = self._plot.getViewBox()
        if self.view is None or not vb.sceneBoundingRect().contains(scene_pos):
            return
        p = vb.mapSceneToView(scene_pos)
        i = self.sample_at(p.x(), p.y())
        text = "" if i is None else self.view.describe(i)
        if text != self.hover_text:
            self.hover_text = text
            if text:
                QToolTip.showText(QCursor.pos(), text, self._canvas)
                self.hovered.emit(i)
            else:
                QToolTip.hideText()

    # ----- export --------------------------------------------------------------------------
    def export(self, path) -> Path:
        """Save the plot and its legend as PNG (twice the screen size) or SVG, by the suffix."""
        import pyqtgraph.exporters as exporters

        path = Path(path)
        if self._canvas is None or self.view is None:
            raise ValueError("There is no plot to save yet.")
        if path.suffix.lower() == ".svg":
            self._export_svg(path)
            return path
        if path.suffix.lower() != ".png":
            path = path.with_suffix(".png")
        exporter = exporters.ImageExporter(self._canvas.ci)
        exporter.parameters()["width"] = int(self._canvas.ci.boundingRect().width() * 2)
        exporter.export(str(path))
        return path

    def _export_svg(self, path: Path) -> None:
        # pyqtgraph's SVGExporter cannot parse the path data of Qt >= 6.10's SVG generator, so
        # the scene is painted into a QSvgGenerator directly, with the items in export mode
        # (vector symbols instead of the pixmap atlas).
        import pyqtgraph.exporters as exporters
        from PySide6.QtCore import QRectF
        from PySide6.QtGui import QColor, QPainter
        from PySide6.QtSvg import QSvgGenerator

        source = self._canvas.ci.sceneBoundingRect()
        target = QRectF(0, 0, source.width(), source.height())
        generator = QSvgGenerator()
        generator.setFileName(str(path))
        generator.setSize(source.size().toSize())
        generator.setViewBox(target)
        generator.setResolution(self.logicalDpiX())  # 72 dpi by default: text and axes would shrink
        generator.setTitle(self._plot.titleLabel.text or "Tenfold samples")
        helper = exporters.ImageExporter(self._canvas.ci)
        painter = QPainter(generator)
        try:
            painter.fillRect(target, QColor("white"))
            painter.setRenderHint(QPainter.Antialiasing, True)
            helper.setExportMode(
                True, {"antialias": True, "background": QColor("white"), "painter": painter, "resolutionScale": 1.0}
            )
            helper.render(painter, target, source)
        finally:
            helper.setExportMode(False)
            painter.end()
