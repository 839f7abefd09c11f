"""Pages 1-6 fit the window: 1280×800 and 1366×768 with the checklist docked, empty and with data.

No horizontal scrollbar, no button narrower than its text, the page's main control in view
without scrolling, and the page no taller than two views.
"""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QAbstractButton, QApplication, QCheckBox, QRadioButton, QScrollArea, QTableWidget

from guiapp.core.batch import effects as batch
from guiapp.core.batch import remedy as batch_remedy
from guiapp.core.data import demo
from guiapp.core.evaluation.verdict import assess_before_training
from guiapp.core.models import baselines
from guiapp.core.privacy import ethics
from guiapp.core.split import draw as split
from guiapp.core.split import remedy_actions

PAGES = ("study", "question", "data", "batch", "split", "baselines")
SIZES = ((1280, 800), (1366, 768))


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """One study run through the Baselines step (tiny budget), shared by the module."""
    study = demo.create_demo_study("breast_cancer", tmp_path_factory.mktemp("fit") / "study")
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
    for _ in range(times):
        QApplication.processEvents()


def fit_problems(window, step_id: str) -> list[str]:
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


def check_all(window) -> dict:
    assert window.checklist.isVisible() and not window.checklist.isFloating()
    failures = {}
    for size in SIZES:
        window.resize(*size)
        settle()
        for step_id in PAGES:
            problems = fit_problems(window, step_id)
            if problems:
                failures[f"{step_id} at {size[0]}×{size[1]}"] = problems
    return failures


def test_pages_fit_on_an_empty_study(window):
    assert check_all(window) == {}


def test_pages_fit_with_a_loaded_table_and_finished_steps(make_window, finished):
    study, report = finished
    window = make_window(study)
    window.page("batch").set_report(report)
    assert window.page("baselines").table.isVisibleTo(window.page("baselines"))
    assert check_all(window) == {}


def test_folded_sections_open_and_close(make_window, finished):
    window = make_window(finished[0])
    page = window.page("baselines")
    assert window.go_to("baselines", force=True)
    section = page.plot_section
    assert not section.is_open() and page.plot.isHidden()  # closed by default
    section.toggle.click()
    assert section.is_open() and page.plot.isVisibleTo(page)
    section.toggle.click()
    assert page.plot.isHidden()


def test_the_data_tabs_say_when_the_sensitivity_is_still_open(window):
    page = window.page("data")
    assert window.go_to("data", force=True)
    index = page.tabs.indexOf(page.about_tab)
    assert page.study.data.sensitive is None and page.tabs.tabText(index) == "Sensitivity and source (to answer)"
    page.sensitivity.buttons()[1].click()  # "Not sensitive"
    assert page.study.data.sensitive is False and page.tabs.tabText(index) == "Sensitivity and source"
