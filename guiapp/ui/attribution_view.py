"""The attribution maps of the Interpret page: for an image study, the mean map and a few tune
samples beside their integrated-gradients and saliency maps; for a sequence study, the
attribution per position and the positions that carry the most. Drawn from what
:mod:`guiapp.core.interpretation.attribution_maps` stored in the study; nothing is computed here but colours."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from guiapp.ui.eval_plots import xy_lines
from guiapp.ui.plots import PlotArea
from guiapp.ui.widgets import ResultTable, value_label

PANEL = 160


def map_pixmap(stored: dict, grey: bool = False) -> QPixmap:
    """A stored (quantised) map as a pixmap, coloured as in report.html, pixels kept sharp."""
    from guiapp.core.export.report_figures import SEQUENTIAL, colour, png_bytes
    from guiapp.core.interpretation.attribution_maps import dequantise

    values = dequantise(stored)
    stops = ((0, 0, 0), (255, 255, 255)) if grey else SEQUENTIAL
    pixmap = QPixmap()
    pixmap.loadFromData(png_bytes(colour(values, stops, 0, values.max() or 1)), "PNG")
    return pixmap.scaled(PANEL, PANEL, Qt.KeepAspectRatio, Qt.FastTransformation)


class AttributionMaps(QWidget):
    """Hidden for tables; ``show_maps(study.interpret.maps)`` fills it."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.reading = value_label("Attribution map reading")
        layout.addWidget(self.reading)
        self.images = QWidget()
        self.grid = QGridLayout(self.images)
        self.grid.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.images)
        self.profile = PlotArea(
            "The attribution per position appears here once measured.", "Attribution per position", min_height=240
        )
        layout.addWidget(self.profile)
        self.positions = ResultTable("Positions that carry the most attribution")
        layout.addWidget(self.positions)
        self.panels: list[QLabel] = []
        self.hide()

    def show_maps(self, maps: dict) -> None:
        kind = (maps or {}).get("kind")
        self.setVisible(kind in ("image", "sequence"))
        self._clear()
        if not kind:
            return
        text = maps.get("reading", "")
        if maps.get("warning"):
            text = f"⚠ {maps['warning']}\n{text}"
        self.reading.setText(text)
        self.images.setVisible(kind == "image")
        self.profile.setVisible(kind == "sequence")
        self.positions.setVisible(kind == "sequence")
        if kind == "image":
            self._images(maps)
        else:
            self._sequence(maps)

    def _clear(self) -> None:
        for label in self.panels:
            self.grid.removeWidget(label)
            label.deleteLater()
        self.panels = []

    def _add(self, row: int, column: int, pixmap: QPixmap | None, text: str) -> None:
        label = QLabel()
        label.setAlignment(Qt.AlignCenter)
        label.setAccessibleName(text)
        label.setToolTip(text)
        if pixmap is not None:
            label.setPixmap(pixmap)
        else:
            label.setText(text)
            label.setWordWrap(True)
        self.grid.addWidget(label, row, column)
        self.panels.append(label)

    def _images(self, maps: dict) -> None:
        self._add(0, 0, None, "Mean |integrated gradients| over the tune split (brighter is more)")
        self._add(0, 1, map_pixmap(maps["mean"]), "mean attribution map")
        for i, ex in enumerate(maps.get("examples") or [], start=1):
            self._add(i, 0, None, f"Tune sample {i}: {ex.get('label', '')}")
            self._add(i, 1, map_pixmap(ex["image"], grey=True), f"tune sample {i}")
            self._add(i, 2, map_pixmap(ex["integrated_gradients"]), f"integrated gradients of sample {i}")
            if ex.get("saliency"):
                self._add(i, 3, map_pixmap(ex["saliency"]), f"saliency of sample {i}")

    def _sequence(self, maps: dict) -> None:
        profile = maps.get("profile") or []
        xy_lines(
            self.profile,
            [("mean |attribution|", list(range(1, len(profile) + 1)), profile)],
            x_label="position",
            y_label="mean |attribution|",
        )
        rows = [
            [
                str(r["position"]),
                r["letter"],
                f"{r['share']:.1%}",
                "pushes the output up" if r["direction"] == "up" else "pushes the output down",
            ]
            for r in maps.get("top_positions") or []
        ]
        self.positions.fill(["position", "letter", "share of attribution", "where the letter is present, it"], rows)
