"""A traffic light and one plain sentence: what a page says about expert metrics by default.

The numbers behind it stay on the page under "Show technical details" (View menu), see
:mod:`guiapp.ui.detail_level`.
"""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from guiapp.ui.batch_panels import light_icon

LEVEL_LIGHTS = {"low": "green", "medium": "amber", "high": "red", "green": "green", "amber": "amber", "red": "red"}
DETAILS_HINT = "The numbers behind this are under View › Show technical details."


class LightSummary(QWidget):
    """A dot coloured green, amber or red (grey when unmeasured) beside a sentence."""

    def __init__(self, accessible_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(accessible_name)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.dot = QLabel()
        self.dot.setFixedSize(18, 18)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setAccessibleName(accessible_name)
        layout.addWidget(self.dot)
        layout.addWidget(self.text, 1)
        self.level: str | None = None

    def show_level(self, level: str | None, sentence: str) -> None:
        """``level``: green/amber/red or low/medium/high; None draws a grey dot."""
        self.level = level
        self.dot.setPixmap(light_icon(LEVEL_LIGHTS.get(level or "")).pixmap(14, 14))
        self.dot.setToolTip(level or "not measured")
        self.text.setText(sentence)
