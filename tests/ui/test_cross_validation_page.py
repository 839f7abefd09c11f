"""The Evaluate page's repeated cross-validation: recommended when the parts are small, run on the
worker thread with tiny settings, and its fold means with intervals shown in a table."""

from __future__ import annotations

from tests.ui.test_evaluation_pages import _trained, trained  # noqa: F401  (the fixtures)


def test_the_evaluate_page_recommends_and_runs_cross_validation(make_window, run_and_wait, trained):  # noqa: F811
    trained.split.cv_folds, trained.split.cv_repeats = 2, 1
    trained.baselines.budget_trials, trained.train.budget_trials = 0, 0
    trained.train.max_epochs = 2
    window = make_window(trained)
    assert window.go_to("evaluate", force=True)
    page = window.current_page()
    assert page.cv_note.text().startswith("Recommended: the single split leaves")
    assert not page.cv_table.isVisible()
    run_and_wait(window, page.cv_button)
    cv = window.study.evaluation.cv
    assert cv["ran"] and cv["folds"] == 2 and len(cv["per_fold"]) == 2
    assert page.cv_table.isVisible()
    models = {page.cv_table.cell_text(r, 0) for r in range(page.cv_table.rowCount())}
    assert models == {"network", "Logistic regression (L2)"}
    assert page.cv_note.text().startswith("Cross-validated (2 folds × 1 repeat,")
    assert window.study.split.test_uses == 0
