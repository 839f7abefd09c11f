"""Helpers that keep a long page short: sections closed by default (built into, see
:mod:`guiapp.ui.collapsible`) and tabs as tall as their current tab; and a narrow one, with
choice lists that do not widen the page to their longest choice.

A page builds into ``self.body``; :func:`building_into` points it at a section's or a tab's own
layout for a while, so the page's existing build code moves there unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QAbstractButton, QComboBox, QSizePolicy, QTabWidget, QVBoxLayout, QWidget

from guiapp.ui import collapsible


class Collapsible(collapsible.Collapsible):
    """A titled section closed by default, with its own layout ``body`` to build into."""

    def __init__(self, title: str, *, opened: bool = False, parent: QWidget | None = None) -> None:
        self.title = title
        self.content = QWidget()
        self.body = QVBoxLayout(self.content)
        self.body.setContentsMargins(16, 4, 0, 4)
        self.body.setSpacing(10)
        super().__init__(title, self.content, open_=opened, parent=parent)


class FitTabs(QTabWidget):
    """Tabs whose height is that of the tab shown, not of the tallest one."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(name)
        self.setDocumentMode(True)
        self.currentChanged.connect(self._fit)

    def add(self, title: str) -> QVBoxLayout:
        """A new tab; returns its layout to build into."""
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 10, 0, 0)
        layout.setSpacing(10)
        self.addTab(page, title)
        self._fit(self.currentIndex())
        return layout

    def follow_buttons(self) -> None:
        """A button pressed in a tab (also from a shortcut or a script) brings its tab to the front,
        so the result it makes shows where it is drawn."""
        for i in range(self.count()):
            page = self.widget(i)
            for button in page.findChildren(QAbstractButton):
                button.clicked.connect(lambda _=False, page=page: self.setCurrentWidget(page))

    def show_widget(self, widget: QWidget) -> None:
        """Bring the tab that holds ``widget`` to the front (a result just shown there)."""
        for i in range(self.count()):
            if self.widget(i).isAncestorOf(widget):
                self.setCurrentIndex(i)
                return

    # QTabWidget asks every tab for its size; these ask only the tab shown.
    def _bar_height(self) -> int:
        return self.tabBar().sizeHint().height()

    def sizeHint(self) -> QSize:
        current = self.currentWidget()
        if current is None:
            return super().sizeHint()
        return QSize(super().sizeHint().width(), self._bar_height() + current.sizeHint().height())

    def minimumSizeHint(self) -> QSize:
        current = self.currentWidget()
        if current is None:
            return super().minimumSizeHint()
        return QSize(super().minimumSizeHint().width(), self._bar_height() + current.minimumSizeHint().height())

    def hasHeightForWidth(self) -> bool:
        current = self.currentWidget()
        return current is not None and current.hasHeightForWidth()

    def heightForWidth(self, width: int) -> int:
        current = self.currentWidget()
        if current is None or not current.hasHeightForWidth():
            return super().heightForWidth(width)
        return self._bar_height() + current.heightForWidth(width)

    def _fit(self, index: int) -> None:
        for i in range(self.count()):
            policy = QSizePolicy.Preferred if i == index else QSizePolicy.Ignored
            self.widget(i).setSizePolicy(policy, policy)
        self.updateGeometry()


@contextmanager
def building_into(page, layout: QVBoxLayout) -> Iterator[QVBoxLayout]:
    """Let the page's build code add to ``layout`` instead of its body, then point back."""
    body = page.body
    page.body = layout
    try:
        yield layout
    finally:
        page.body = body


def cap_height(height: int, *widgets: QWidget) -> None:
    """Keep plots from growing past ``height`` (a drawn plot asks for about 480 px)."""
    for widget in widgets:
        widget.setMaximumHeight(max(height, widget.minimumHeight()))


def shrinkable(combo: QComboBox, chars: int = 24) -> QComboBox:
    """A choice list that may be as narrow as ``chars`` characters however long its choices: it
    still grows with the window and its list opens as wide as the longest choice. With larger
    fonts (display scaling that grows the text, not the window) the page keeps within the window."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(chars)
    combo.setSizePolicy(QSizePolicy.Policy.Expanding, combo.sizePolicy().verticalPolicy())
    return combo
