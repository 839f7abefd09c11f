"""Saving any plot of the pages as PNG or SVG: a small button in the plot's corner.

The writing itself is :func:`guiapp.ui.plots.export_plot` (pyqtgraph's image exporter for
PNG, Qt's SVG generator for SVG); this module only asks where to save and says what happened.
"""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QToolButton

FORMATS = (("png", "PNG image (*.png)"), ("svg", "SVG vector drawing (*.svg)"))


def file_stem(title: str) -> str:
    """A file name from a plot title: "ROC curve · test split" → "roc-curve-test-split"."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "plot"


def save_button(area) -> QToolButton:
    """The corner button of ``area`` (a PlotArea), with one menu entry per format."""
    button = QToolButton(area)
    button.setText("Save…")
    button.setAccessibleName(f"Save the {area.accessibleName()} plot")
    button.setToolTip("Save this plot as a PNG image or an SVG drawing.")
    button.setPopupMode(QToolButton.InstantPopup)
    menu = QMenu(button)
    for kind, _ in FORMATS:
        action = menu.addAction(f"Save as {kind.upper()}…")
        action.triggered.connect(lambda _=False, k=kind: ask_and_save(area, k))
    button.setMenu(menu)
    button.adjustSize()
    button.move(area.width() - button.width() - 4, 4)
    return button


def ask_and_save(area, kind: str):
    """Ask where to save ``area``'s plot as ``kind`` and write it; the path, or None."""
    pattern = dict(FORMATS)[kind]
    path, _ = QFileDialog.getSaveFileName(
        area, f"Save the plot “{area.title}”", str(Path.home() / f"{file_stem(area.title)}.{kind}"), pattern
    )
    if not path:
        return None
    if not path.lower().endswith(f".{kind}"):
        path += f".{kind}"
    try:
        return area.save_plot(path)
    except (OSError, ValueError) as exc:
        QMessageBox.warning(area, "Plot not saved", f"The plot could not be saved to {path}: {exc}")
        return None
