"""The Evaluate page's external cohorts: add one, evaluate it on the worker thread, find the
generalizability and interpretability rows of the scoreboard; the Question page's new criteria."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QInputDialog

from guiapp.core.data import demo
from guiapp.core.evaluation import sealed_test, tune_evaluation
from tests.ui.conftest import study_copy, trained_study

KW = dict(study_samples=160, n_genes=12, n_informative=4, effect_size=1.5)


@pytest.fixture(scope="module")
def _sealed(tmp_path_factory):
    root = tmp_path_factory.mktemp("external_page")
    d = demo.simulated_expression(n_samples=160, n_genes=12, n_informative=4, effect_size=1.5)
    demo.another_lab(60, **KW).table.to_csv(root / "lab_b.csv", index=False)
    study = trained_study(root, d.table, models=["logistic_regression"], epochs=10)
    tune_evaluation.evaluate_on_tune(study)
    sealed_test.finalize_test_evaluation(study)
    study.save()
    return study


@pytest.fixture
def sealed(_sealed, tmp_path):
    return study_copy(_sealed, tmp_path)


def test_question_page_sets_the_new_criteria(make_window, sealed):
    window = make_window(sealed)
    assert window.go_to("question", force=True)
    panel = window.current_page().criteria
    assert panel.min_generalization.text() == "not set"
    panel.min_generalization.setValue(0.75)
    panel.max_drop.setValue(0.1)
    panel.min_agreement.setValue(0.5)
    panel.markers.setText("GENE0000, GENE0001")
    panel.max_memory.setValue(2)
    q = window.study.question
    assert (q.min_generalization, q.max_generalization_drop, q.min_linear_agreement) == (0.75, 0.1, 0.5)
    assert q.known_markers == ["GENE0000", "GENE0001"] and q.max_inference_memory_mb == 2
    panel.min_generalization.setValue(0)
    assert q.min_generalization is None


def test_evaluate_page_adds_and_evaluates_an_external_cohort(make_window, run_and_wait, sealed, monkeypatch):
    q = sealed.question
    q.min_generalization, q.min_linear_agreement, q.known_markers = 0.7, 0.5, ["GENE0000"]
    window = make_window(sealed)
    assert window.go_to("evaluate", force=True)
    page = window.current_page()
    panel = page.external
    assert panel.label.text() == "condition"
    from pathlib import Path

    panel.path.setText(str(Path(sealed.data.provenance.path).parent / "lab_b.csv"))
    panel.name.setText("Lab B")
    run_and_wait(window, panel.evaluate_button)
    assert not page.error.text()
    (record,) = window.study.evaluation.external
    assert record["name"] == "Lab B" and record["n"] == 60 and record["uses"] == 1
    assert panel.cohort_table.cell_text(0, 0) == "Lab B" and panel.shift_plot.has_plot
    rows = {
        page.scoreboard_table.cell_text(i, 0): page.scoreboard_table.cell_text(i, 3)
        for i in range(page.scoreboard_table.rowCount())
    }
    assert rows["Generalizability"] in ("met", "not met")
    assert "Interpretability: agreement" in rows and "Interpretability: known markers" in rows
    # a second look asks for a reason; none given, nothing runs
    monkeypatch.setattr(QInputDialog, "getMultiLineText", staticmethod(lambda *a, **k: ("", True)))
    panel.evaluate_button.click()
    assert "needs a reason" in page.error.text() and not window.runner.busy
    monkeypatch.setattr(QInputDialog, "getMultiLineText", staticmethod(lambda *a, **k: ("new files", True)))
    run_and_wait(window, panel.evaluate_button)
    assert window.study.evaluation.external[0]["uses"] == 2
    assert panel.cohort_table.cell_text(0, 5) == "2"


def test_evaluate_page_runs_the_estimate_and_the_measurements(make_window, run_and_wait, sealed):
    sealed.question.max_inference_memory_mb = 50.0
    window = make_window(sealed)
    assert window.go_to("evaluate", force=True)
    page = window.current_page()
    run_and_wait(window, page.external.lobo_button)
    g = window.study.evaluation.generalization
    assert g["kind"] == "estimate" and page.external.estimate_table.rowCount() == len(g["per_batch"])
    assert "not external validation" in page.external.estimate_note.text()
    run_and_wait(window, page.external.measure_button)
    assert window.study.evaluation.efficiency["peak_memory_mb"] > 0
    rows = {
        page.scoreboard_table.cell_text(i, 0): page.scoreboard_table.cell_text(i, 3)
        for i in range(page.scoreboard_table.rowCount())
    }
    assert rows["Efficiency: inference memory"] == "met"
