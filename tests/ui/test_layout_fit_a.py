"""Pages 1-6 fit the window: 1280×800 and 1366×768 with the checklist docked, empty and with data.

No horizontal scrollbar, no button narrower than its text, the page's main control in view
without scrolling, and the page no taller than two views.
"""

from __future__ import annotations

import pytest

from tests.ui.fit_check import first_pages_problems, study_through_baselines


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """One study run through the Baselines step (tiny budget), shared by the module."""
    return study_through_baselines(tmp_path_factory.mktemp("fit"))


def test_pages_fit_on_an_empty_study(window):
    assert first_pages_problems(window) == {}


def test_pages_fit_with_a_loaded_table_and_finished_steps(make_window, finished):
    study, report = finished
    window = make_window(study)
    window.page("batch").set_report(report)
    assert window.page("baselines").table.isVisibleTo(window.page("baselines"))
    assert first_pages_problems(window) == {}


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
