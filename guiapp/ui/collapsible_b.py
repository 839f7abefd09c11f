"""Helpers that keep a long page short: sections closed by default and tabs as tall as their current tab.

A page builds into ``self.body``; :func:`building_into` points it at a section's or a tab's own
layout for a while, so the page's existing build code moves there unchanged.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, Optional

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QAbstractButton, QSizePolicy, QTabWidget, QToolButton, QVBoxLayout, QWidget


class Collapsible(QWidget):
    """A titled section that opens and closes with one click; closed by default."""

    def __init__(self, title: str, *, opened: bool = False, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.title = title
        self.toggle = QToolButton()
        self.toggle.setText(title)
        self.toggle.setCheckable(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        self.toggle.setAutoRaise(True)
        self.toggle.setAccessibleName(f"Show or hide: {title}")
        self.content = QWidget()
        self.body = QVBoxLayout(self.content)
        self.body.setContentsMargins(16, 4, 0, 4)
        self.body.setSpacing(10)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addWidget(self.toggle, 0, Qt.AlignLeft)
        box.addWidget(self.content)
        self.toggle.toggled.connect(self.set_open)
        self.set_open(opened)

    def set_open(self, opened: bool) -> None:
        if self.toggle.isChecked() != opened:
            self.toggle.setChecked(opened)  # comes back here through toggled
            return
        self.toggle.setArrowType(Qt.DownArrow if opened else Qt.RightArrow)
        self.toggle.setToolTip(f"Hide {self.title.lower()}." if opened else f"Show {self.title.lower()}.")
        self.content.setVisible(opened)

    def is_open(self) -> bool:
        return self.toggle.isChecked()


class FitTabs(QTabWidget):
    """Tabs whose height is that of the tab shown, not of the tallest one."""

    def __init__(self, name: str, parent: Optional[QWidget] = None) -> None:
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
