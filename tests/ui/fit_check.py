"""The fit checks shared by the layout tests: does a page fit the window as it is shown now?

A page fits when it has no horizontal scrollbar, no button narrower than its text, its main
control in view without scrolling, and it is no taller than two views. ``page_problems`` checks
one of the pages from Study to Baselines; ``window_problems`` checks the pages from Architecture
to Export tab by tab, with their folded sections opened. Both answer in words (empty when the
page fits), so a failing test says what does not fit, and the high-DPI test can print them as JSON.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QCheckBox,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QTableWidget,
    QToolButton,
)

from guiapp.ui.page_fit import Collapsible, FitTabs

FIRST_PAGES = ("study", "question", "data", "batch", "split", "baselines")
LATER_PAGES = ("architecture", "train", "overfitting", "evaluate", "interpret", "ethics", "export")
SIZES = ((1280, 800), (1366, 768))


def study_through_baselines(folder):
    """A saved demo study run through the Baselines step (tiny budget); returns ``(study, batch_report)``."""
    from guiapp.core.batch import effects as batch
    from guiapp.core.batch import remedy as batch_remedy
    from guiapp.core.data import demo
    from guiapp.core.evaluation.verdict import assess_before_training
    from guiapp.core.models import baselines
    from guiapp.core.privacy import ethics
    from guiapp.core.split import draw as split
    from guiapp.core.split import remedy_actions

    study = demo.create_demo_study("breast_cancer", folder / "study")
    ethics.set_sensitivity(study, False)
    report = batch.batch_effect_report(study)
    if batch_remedy.remedy_needs_reason(study):
        remedy_actions.choose_remedy(study, "none", "A layout test keeps the batches.")
    split.split_study(study)
    study.baselines.budget_trials = 1
    baselines.fit_baselines(study)
    assess_before_training(study)  # the caller records the verdict
    study.save()
    return study, report


def settle(times: int = 5) -> None:
    for _ in range(times):  # layouts and plots settle over a few event-loop passes
        QApplication.processEvents()


def page_problems(window, step_id: str) -> list[str]:
    """What keeps one page from fitting, in words (empty when it fits)."""
    assert window.go_to(step_id, force=True)
    settle()
    page = window.current_page()
    area = page.findChild(QScrollArea)
    area.verticalScrollBar().setValue(0)
    settle(2)
    problems = []
    content, viewport = area.widget(), area.viewport()
    bar = area.horizontalScrollBar()
    if bar.isVisible() or bar.maximum() > 0:
        problems.append(f"horizontal scrollbar (content {content.width()} px, view {viewport.width()} px)")
    for button in page.findChildren(QAbstractButton):
        if isinstance(button, (QCheckBox, QRadioButton)) or not button.isVisibleTo(page):
            continue
        if button.width() < button.sizeHint().width():
            problems.append(f"button {button.text()!r} is {button.width()} px for {button.sizeHint().width()} px")
    for table in page.findChildren(QTableWidget):  # result tables: readable without sideways scrolling
        if table.isVisibleTo(page) and table.horizontalScrollBar().maximum() > 0:
            problems.append(f"table {table.accessibleName()!r} scrolls sideways")
    main = page.main_action
    assert main.isVisibleTo(page), f"{step_id}: the main control is hidden"
    top = main.mapTo(viewport, main.rect().topLeft()).y()
    bottom = main.mapTo(viewport, main.rect().bottomLeft()).y()
    if top < 0 or bottom > viewport.height():
        problems.append(f"main control at {top}-{bottom} px, the view is {viewport.height()} px tall")
    if content.height() > 2 * viewport.height():
        problems.append(f"content {content.height()} px tall, view {viewport.height()} px")
    return problems


def first_pages_problems(window, sizes=SIZES) -> dict:
    """``page_problems`` for the pages from Study to Baselines at each size: {"page at size": problems}."""
    assert window.checklist.isVisible() and not window.checklist.isFloating()
    failures = {}
    for size in sizes:
        window.resize(*size)
        settle()
        for step_id in FIRST_PAGES:
            problems = page_problems(window, step_id)
            if problems:
                failures[f"{step_id} at {size[0]}×{size[1]}"] = problems
    return failures


def shown_problems(page, where: str) -> list[str]:
    """What does not fit on the page as it is shown now (one tab, one section state)."""
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


def too_tall(page, where: str) -> list[str]:
    area = page.findChild(QScrollArea)
    height, view = area.widget().height(), area.viewport().height()
    return [f"{where}: content {height} px tall, more than two views ({view} px)"] if height > 2 * view else []


def _main_out_of_view(page, where: str) -> list[str]:
    area = page.findChild(QScrollArea)
    main = page.main_action
    top_left = main.mapTo(area.viewport(), QPoint(0, 0))
    if (
        main.isVisible()
        and top_left.y() >= 0
        and top_left.y() + main.height() <= area.viewport().height()
        and top_left.x() >= 0
        and top_left.x() + main.width() <= area.viewport().width()
    ):
        return []
    return [
        f"{where}: the main button {main.text()!r} is not in view at the top "
        f"(at y={top_left.y()}, view {area.viewport().height()} px tall)"
    ]


def window_problems(window, pages=LATER_PAGES) -> list[str]:
    """Each page at the window's size: every tab in turn, every folded section opened."""
    assert window.checklist.isVisible() and not window.checklist.isFloating()
    found = []
    for step_id in pages:
        assert window.go_to(step_id, force=True)
        page = window.current_page()
        settle()
        page.findChild(QScrollArea).verticalScrollBar().setValue(0)
        settle()
        where = f"{step_id} at {window.width()}×{window.height()}"
        found += shown_problems(page, where) + too_tall(page, where) + _main_out_of_view(page, where)
        for tabs in page.findChildren(FitTabs):
            first = tabs.currentIndex()
            for i in range(tabs.count()):
                tabs.setCurrentIndex(i)
                settle()
                tab_where = f"{where}, tab {tabs.tabText(i)!r}"
                found += shown_problems(page, tab_where) + too_tall(page, tab_where)
            tabs.setCurrentIndex(first)
        for section in page.findChildren(Collapsible):
            was_open = section.is_open()
            section.set_open(True)
            settle()
            found += shown_problems(page, f"{where}, {section.title!r} open")
            section.set_open(was_open)
        settle()
    return found
