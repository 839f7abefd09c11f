"""Small widgets the pages share: findings, message banners, status icons, tables."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from guiapp.core.guidance import checklist

SEVERITY_TITLES = {"info": "Note", "warning": "Warning", "error": "Problem"}

# Status of a checklist item → (colour, glyph). Colours are readable on light and dark themes.
STATUS_STYLE = {
    checklist.DONE: ("#2e7d32", "✓"),
    checklist.ATTESTED: ("#1565c0", "✓"),
    checklist.OPEN: ("#9e9e9e", ""),
    checklist.VIOLATED: ("#c62828", "✕"),
    checklist.NOT_APPLICABLE: ("#bdbdbd", "–"),
}


@cache
def status_icon(status: str, size: int = 16, badge: bool = False) -> QIcon:
    """A round icon for a checklist status, drawn rather than shipped; ``badge`` adds a small
    amber dot: optional items are still open."""
    colour, glyph = STATUS_STYLE.get(status, STATUS_STYLE[checklist.OPEN])
    pixmap = QPixmap(size * 2, size * 2)  # drawn at 2× so it stays sharp on HiDPI screens
    pixmap.setDevicePixelRatio(2.0)
    pixmap.fill(Qt.transparent)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.Antialiasing)
    c = QColor(colour)
    if status == checklist.OPEN:
        p.setPen(QPen(c, 1.6))
        p.setBrush(Qt.NoBrush)
    else:
        p.setPen(Qt.NoPen)
        p.setBrush(c)
    p.drawEllipse(2, 2, size - 4, size - 4)
    if glyph:
        p.setPen(QPen(QColor("white")))
        font = QFont()
        font.setPixelSize(int(size * 0.62))
        font.setBold(True)
        p.setFont(font)
        p.drawText(0, 0, size, size, Qt.AlignCenter, glyph)
    if badge:
        p.setPen(QPen(QColor("white"), 1.0))
        p.setBrush(QColor("#f9a825"))
        d = size * 0.42
        p.drawEllipse(size - d - 0.5, 0.5, d, d)
    p.end()
    return QIcon(pixmap)


class Banner(QLabel):
    """A coloured, word-wrapped message (kind: error, blocked, info, ok); hidden when empty."""

    def __init__(self, kind: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.setProperty("kind", kind)
        self.setWordWrap(True)
        self.setTextFormat(Qt.PlainText)
        self.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Minimum)
        self.setAccessibleName({"error": "Problem", "blocked": "Why you cannot go on yet"}.get(kind, "Message"))
        self.hide()

    def show_message(self, text: str) -> None:
        self.setText(text)
        self.setVisible(bool(text))

    def clear_message(self) -> None:
        self.show_message("")


class FindingsView(QWidget):
    """The findings one step raised, each a coloured box with its tip and message."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Findings for this step")
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(6)
        self.codes: list[str] = []

    def set_findings(self, findings: Iterable) -> None:
        while self._layout.count():
            item = self._layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.codes = []
        order = {"error": 0, "warning": 1, "info": 2}
        for f in sorted(findings, key=lambda f: order.get(f.severity, 3)):
            self.codes.append(f.code)
            box = QLabel(f"{SEVERITY_TITLES.get(f.severity, 'Note')} (Tip {f.tip}): {f.message}")
            box.setObjectName("finding")
            box.setProperty("severity", f.severity)
            box.setWordWrap(True)
            box.setTextFormat(Qt.PlainText)
            box.setTextInteractionFlags(Qt.TextSelectableByMouse)
            box.setToolTip(f"Finding code: {f.code}")
            box.setAccessibleName(f"{SEVERITY_TITLES.get(f.severity, 'Note')}: {f.message}")
            self._layout.addWidget(box)
        self.setVisible(bool(self.codes))

    def texts(self) -> list[str]:
        return [self._layout.itemAt(i).widget().text() for i in range(self._layout.count())]


def heading(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("sectionHeading")
    return label


def note(text: str) -> QLabel:
    """Explanatory text in plain words, word-wrapped and muted."""
    label = QLabel(text)
    label.setObjectName("note")
    label.setWordWrap(True)
    label.setTextFormat(Qt.PlainText)
    return label


def value_label(accessible_name: str) -> QLabel:
    """A label that shows a result; selectable so numbers can be copied."""
    label = QLabel("")
    label.setWordWrap(True)
    label.setTextFormat(Qt.PlainText)
    label.setTextInteractionFlags(Qt.TextSelectableByMouse)
    label.setAccessibleName(accessible_name)
    return label


class ResultTable(QTableWidget):
    """A read-only table sized to its content."""

    def __init__(self, accessible_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(accessible_name)
        self.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.setAlternatingRowColors(True)
        self.verticalHeader().setVisible(False)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.horizontalHeader().setStretchLastSection(True)
        self.setFrameShape(QFrame.StyledPanel)

    def fill(
        self,
        headers: list[str],
        rows: list[list],
        tooltips: list[list] | None = None,
        wrap_column: int | None = None,
    ) -> None:
        """Fill the table; ``wrap_column`` takes the spare width and wraps its long text."""
        self.clear()
        self.setColumnCount(len(headers))
        self.setRowCount(len(rows))
        self.setHorizontalHeaderLabels(headers)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                item = QTableWidgetItem("" if value is None else str(value))
                if tooltips and tooltips[r][c]:
                    item.setToolTip(tooltips[r][c])
                self.setItem(r, c, item)
        header = self.horizontalHeader()
        if wrap_column is not None:
            self.setWordWrap(True)
            header.setStretchLastSection(False)
            for c in range(len(headers)):
                header.setSectionResizeMode(
                    c, QHeaderView.Stretch if c == wrap_column else QHeaderView.ResizeToContents
                )
            self.resizeRowsToContents()
        height = self.horizontalHeader().height() + 2 * self.frameWidth() + 4
        height += sum(self.rowHeight(r) for r in range(len(rows)))
        self.setMinimumHeight(min(height, 360))
        self.setMaximumHeight(max(height, 80) if len(rows) < 12 else 16777215)

    def cell_text(self, row: int, column: int) -> str:
        item = self.item(row, column)
        return item.text() if item else ""
