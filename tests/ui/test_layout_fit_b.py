"""The pages from Architecture to Export fit the window at 1280×800 and 1366×768 with the checklist docked.

For each page, on an empty study and on a finished one: no horizontal scrollbar, no button
narrower than its text, the page's main button in view when the page opens, and the page no
taller than two window heights. Pages in tabs are checked tab by tab; a folded section,
opened, still needs no horizontal scrolling.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QAbstractButton, QApplication, QPushButton, QScrollArea, QToolButton

from guiapp.ui.page_fit import Collapsible, FitTabs

PAGES = ("architecture", "train", "overfitting", "evaluate", "interpret", "ethics", "export")
SIZES = ((1280, 800), (1366, 768))


@pytest.fixture(scope="module")
def finished_study(tmp_path_factory):
    """A small demo study with every step run, built once for the module."""
    from guiapp.core.stats.panel import metric_panel
    from guiapp.ui.screenshots import build_demo_study

    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(metric_panel.__kwdefaults__, "n_boot", 30)
        study, _report = build_demo_study(
            tmp_path_factory.mktemp("fit"), "breast_cancer", epochs=2, trials=2, trial_epochs=2
        )
    return study


def _settle() -> None:
    for _ in range(5):  # layouts and plots settle over a few event-loop passes
        QApplication.processEvents()


def _problems(page, where: str) -> list[str]:
    """What does not fit on the page as it is shown now."""
    area = page.findChild(QScrollArea)
    viewport = area.viewport()
    found = []
    if area.horizontalScrollBar().isVisible():
        found.append(
            f"{where}: horizontal scrollbar (content {area.widget().width()} px wide, view {viewport.width()} px)"
        )
    for button in page.findChildren(QAbstractButton):
        if (
            isinstance(button, (QPushButton, QToolButton))
            and button.isVisible()
            and button.width() < button.sizeHint().width()
        ):
            found.append(
                f"{where}: button {button.text()!r} is {button.width()} px, its text needs "
                f"{button.sizeHint().width()} px"
            )
    return found


def _too_tall(page, where: str) -> list[str]:
    area = page.findChild(QScrollArea)
    height, view = area.widget().height(), area.viewport().height()
    return [f"{where}: content {height} px tall, more than two views ({view} px)"] if height > 2 * view else []


def _check_window(window) -> list[str]:
    assert window.checklist.isVisible() and not window.checklist.isFloating()
    found = []
    for step_id in PAGES:
        assert window.go_to(step_id, force=True)
        page = window.current_page()
        _settle()
        area = page.findChild(QScrollArea)
        area.verticalScrollBar().setValue(0)
        _settle()
        where = f"{step_id} at {window.width()}×{window.height()}"
        found += _problems(page, where) + _too_tall(page, where)
        main = page.main_action
        top_left = main.mapTo(area.viewport(), QPoint(0, 0))
        if not (
            main.isVisible()
            and top_left.y() >= 0
            and top_left.y() + main.height() <= area.viewport().height()
            and top_left.x() >= 0
            and top_left.x() + main.width() <= area.viewport().width()
        ):
            found.append(
                f"{where}: the main button {main.text()!r} is not in view at the top "
                f"(at y={top_left.y()}, view {area.viewport().height()} px tall)"
            )
        for tabs in page.findChildren(FitTabs):
            first = tabs.currentIndex()
            for i in range(tabs.count()):
                tabs.setCurrentIndex(i)
                _settle()
                tab_where = f"{where}, tab {tabs.tabText(i)!r}"
                found += _problems(page, tab_where) + _too_tall(page, tab_where)
            tabs.setCurrentIndex(first)
        for section in page.findChildren(Collapsible):
            was_open = section.is_open()
            section.set_open(True)
            _settle()
            found += _problems(page, f"{where}, {section.title!r} open")
            section.set_open(was_open)
        _settle()
    return found


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_pages_fit_an_empty_study(window, size):
    window.resize(*size)
    assert _check_window(window) == []


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_pages_fit_a_finished_study(make_window, finished_study, size):
    window = make_window(finished_study)
    window.resize(*size)
    assert _check_window(window) == []


def test_a_folded_section_opens_and_a_tab_follows_its_result(qtbot):
    """The helpers: a section starts closed and opens on a click; tabs are as tall as the tab shown."""
    from PySide6.QtWidgets import QLabel, QWidget

    section = Collapsible("Advanced settings")
    inner = QLabel("inside")
    section.body.addWidget(inner)
    qtbot.addWidget(section)
    section.show()
    assert not section.is_open() and not inner.isVisible()
    section.toggle.click()
    assert section.is_open() and inner.isVisible()

    tabs = FitTabs("Sections")
    qtbot.addWidget(tabs)
    short = QLabel("short")
    tabs.add("Short").addWidget(short)
    tall = QWidget()
    tall.setMinimumHeight(900)
    tabs.add("Tall").addWidget(tall)
    tabs.show()
    assert tabs.sizeHint().height() < 900  # the hidden tall tab does not make the short one tall
    tabs.show_widget(tall)
    assert tabs.currentIndex() == 1 and tabs.sizeHint().height() >= 900
