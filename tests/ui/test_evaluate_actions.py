"""The Evaluate page on a trained study with every baseline: both evaluation buttons in view when the
page opens (no scrolling, no tab click), each result brought to the front when it is done, and the
models × metrics tables readable without sideways scrolling at 1280×800 with the checklist docked."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QApplication, QMessageBox, QScrollArea

from guiapp.core.data import demo
from guiapp.core.models import baselines
from tests.ui.conftest import study_copy, trained_study


@pytest.fixture(scope="module")
def _trained(tmp_path_factory):
    """A small study trained, with every classification baseline fitted (no tuning)."""
    root = tmp_path_factory.mktemp("evaluate_actions")
    d = demo.simulated_expression(n_samples=160, n_genes=12, n_informative=4, effect_size=1.5)
    return trained_study(root, d.table, models=baselines.available("classification"), epochs=10)


@pytest.fixture
def trained(_trained, tmp_path):
    return study_copy(_trained, tmp_path)


def _settle() -> None:
    for _ in range(5):
        QApplication.processEvents()


def _open_evaluate(make_window, study):
    window = make_window(study)
    window.resize(1280, 800)
    _settle()
    assert window.checklist.isVisible() and not window.checklist.isFloating()
    assert window.go_to("evaluate", force=True)
    _settle()
    page = window.current_page()
    return window, page, page.findChild(QScrollArea)


def _in_view(widget, area) -> bool:
    top_left = widget.mapTo(area.viewport(), QPoint(0, 0))
    return (
        widget.isVisible()
        and top_left.y() >= 0
        and top_left.y() + widget.height() <= area.viewport().height()
        and top_left.x() >= 0
        and top_left.x() + widget.width() <= area.viewport().width()
    )


def test_both_evaluations_are_in_view_and_bring_their_results_forward(make_window, run_and_wait, trained, monkeypatch):
    window, page, area = _open_evaluate(make_window, trained)
    tune_tab = page.tabs.currentIndex()
    assert page.tabs.tabText(tune_tab) == "Tune split"
    assert area.verticalScrollBar().value() == 0
    assert _in_view(page.final_button, area) and _in_view(page.tune_button, area)
    assert not page.final_button.isEnabled()  # the tune split comes first
    assert page.final_button.toolTip() == "Evaluate on the tune split first."
    page.tabs.setCurrentIndex(page.tabs.count() - 1)  # the user reads the external cohorts meanwhile
    run_and_wait(window, page.tune_button)
    _settle()
    assert page.tabs.currentIndex() == tune_tab and page.tune_table.isVisible()
    # Without scrolling and on the tune tab, the final evaluation is one click away, its look kept.
    assert area.verticalScrollBar().value() == 0 and _in_view(page.final_button, area)
    assert page.final_button.isEnabled() and page.final_button.objectName() == "danger"
    asked = []

    def answer(*args, **kwargs):
        asked.append(args[1])
        return QMessageBox.Yes

    monkeypatch.setattr(QMessageBox, "question", staticmethod(answer))
    run_and_wait(window, page.final_button)
    _settle()
    assert asked == ["Open the sealed test set?"]  # the confirmation still comes first
    assert page.tabs.tabText(page.tabs.currentIndex()) == "Sealed test"
    assert page.test_table.isVisible() and page.conclusion.isVisible()
    assert page.final_button.text() == "Evaluate on the test set again…"


def test_score_tables_fit_the_page_with_every_baseline(make_window, run_and_wait, trained, monkeypatch):
    window, page, area = _open_evaluate(make_window, trained)
    run_and_wait(window, page.tune_button)
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.Yes))
    run_and_wait(window, page.final_button)
    names = list(baselines.available("classification").values())
    assert len(names) >= 6
    for table, tab in ((page.tune_table, "Tune split"), (page.test_table, "Sealed test")):
        page.tabs.setCurrentIndex([page.tabs.tabText(i) for i in range(page.tabs.count())].index(tab))
        _settle()
        assert table.isVisible()
        # Models down (the network, then every baseline), metrics across.
        assert [table.cell_text(r, 0) for r in range(table.rowCount())] == ["Network"] + names
        headers = [table.horizontalHeaderItem(c).text().replace("\n", " ") for c in range(1, table.columnCount())]
        assert "ROC AUC" in headers and "MCC" in headers and len(headers) == 9
        # Each metric's best score is marked, with its interval a pointer away.
        for c in range(1, table.columnCount()):
            assert any("★" in table.cell_text(r, c) for r in range(table.rowCount())), headers[c - 1]
        assert "95% CI" in table.item(0, 1).toolTip()
        # Readable without sideways scrolling, inside the table or on the page.
        assert table.horizontalScrollBar().maximum() == 0, f"{tab}: the table scrolls sideways"
        assert not table.horizontalScrollBar().isVisible()
        assert table.verticalScrollBar().maximum() == 0, f"{tab}: the table hides rows below its edge"
        assert not area.horizontalScrollBar().isVisible()
        right = table.mapTo(area.viewport(), QPoint(table.width(), 0)).x()
        assert right <= area.viewport().width()
        for c in range(1, table.columnCount()):  # no metric column squeezed below its header or scores
            assert table.columnWidth(c) >= table.horizontalHeader().sectionSizeHint(c), headers[c - 1]
