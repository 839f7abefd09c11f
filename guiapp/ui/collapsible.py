"""A section that folds: an arrow button with a title over a widget, closed by default.

Secondary material (reading options, provenance, plots behind a table) goes in one so that a
page fits the window; the title says what is inside, so nothing is hidden without a word.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSizePolicy, QToolButton, QVBoxLayout, QWidget


class Collapsible(QWidget):
    """``title`` on an arrow button; clicking it shows or hides ``widget``."""

    def __init__(self, title: str, widget: QWidget, *, open_: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.widget = widget
        self.toggle = QToolButton()
        self.toggle.setText(title)
        self.toggle.setAccessibleName(title)
        self.toggle.setCheckable(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        self.toggle.setAutoRaise(True)
        self.toggle.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Fixed)
        self.toggle.toggled.connect(self.set_open)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.toggle, 0, Qt.AlignLeft)
        layout.addWidget(widget)
        self.set_open(open_)

    def is_open(self) -> bool:
        return self.toggle.isChecked()

    def set_open(self, on: bool) -> None:
        if self.toggle.isChecked() != on:
            self.toggle.setChecked(on)  # comes back here through toggled
            return
        self.toggle.setArrowType(Qt.DownArrow if on else Qt.RightArrow)
        self.toggle.setToolTip(("Hide" if on else "Show") + f": {self.toggle.text()}")
        self.widget.setVisible(on)


def collapsible(title: str, widget: QWidget, open_: bool = False) -> Collapsible:
    """A :class:`Collapsible` section around ``widget``, closed unless ``open_``."""
    return Collapsible(title, widget, open_=open_)
