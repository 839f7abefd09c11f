"""The pages from Architecture to Export fit the window at 1280×800 and 1366×768 with the checklist docked.

For each page, on an empty study and on a finished one: no horizontal scrollbar, no button
narrower than its text, the page's main button in view when the page opens, and the page no
taller than two window heights. Pages in tabs are checked tab by tab; a folded section,
opened, still needs no horizontal scrolling.
"""

from __future__ import annotations

import pytest

from guiapp.core.study.steps import STEP_IDS
from guiapp.ui.page_fit import Collapsible, FitTabs
from tests.ui.fit_check import SIZES, window_problems


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


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_pages_fit_an_empty_study(window, size):
    window.resize(*size)
    assert window_problems(window) == []


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_pages_fit_a_finished_study(make_window, finished_study, size):
    window = make_window(finished_study)
    window.resize(*size)
    # Every page, the first six too: after training, the Baselines verdict grows.
    assert window_problems(window, pages=STEP_IDS) == []


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
