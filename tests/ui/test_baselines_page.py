"""The Baselines page runs a tiny tuning through the task runner, shows the comparison and the
verdict, records the user's reason, and can be stopped mid-search."""

from __future__ import annotations

import pytest

from guiapp.core.data import attach as data
from guiapp.core.data import demo
from guiapp.core.evaluation.verdict import assess_before_training, refresh_findings
from guiapp.core.split import draw as split
from guiapp.core.study.model import Study
from guiapp.ui.pages.baselines import BaselinesPage
from guiapp.ui.session import Session

TIMEOUT_MS = 60_000


@pytest.fixture
def page(qtbot, tmp_path):
    """The page alone on a split study of 120 simulated samples (about 60 per class)."""
    table = demo.simulated_expression(n_samples=120, n_genes=12, n_informative=4, effect_size=1.5)
    study = Study()
    study.save(tmp_path / "study")
    data.attach_data(
        study,
        data.AttachRequest(
            demo.write_demo(table, tmp_path / "data"), label=table.label, batch=table.batch, sensitive=False
        ),
    )
    split.split_study(study)
    session = Session(study)
    page = BaselinesPage(session)
    qtbot.addWidget(page)
    page.show()
    yield page
    session.runner.shutdown()


def choose(page, *names):
    for name, box in page.model_boxes.items():
        box.setChecked(name in names)


def test_a_tiny_tuning_fills_the_table_the_plot_and_the_verdict(qtbot, page):
    study = page.study
    page.budget.setValue(2)
    assert study.baselines.budget_trials == study.train.budget_trials == 2  # one budget for every model
    choose(page, "logistic_regression", "knn", "majority")
    with qtbot.waitSignal(page.task_finished, timeout=TIMEOUT_MS):
        page.fit.click()
    assert not page.error.isVisibleTo(page), page.error.text()
    assert [r["name"] for r in study.baselines.results] == ["logistic_regression", "knn", "majority"]
    assert [r["n_trials"] for r in study.baselines.results] == [2, 2, 0]
    assert study.path("tuning.sqlite3").is_file()
    headers = [page.table.horizontalHeaderItem(c).text() for c in range(page.table.columnCount())]
    assert headers[1] == "ROC AUC" and "trials" in headers
    assert "95% CI" in page.table.cell_text(0, 1)
    assert page.table.cell_text(0, headers.index("trials")) == "2 of 2"
    assert page.table.cell_text(2, headers.index("trials")) == "nothing to tune"
    assert page.plot.drawn  # drawn behind its folded section
    assert page.progress.value() == 1000
    assert page.verdict.text().startswith("Is deep learning warranted here? Doubtful.")
    assert "fewer than 100 per class" in page.evidence.text()  # the points, behind a folded section
    assert page.evidence_section.toggle.text() == f"The evidence ({len(study.verdict.reasons)} points)"
    assert "deep-learning-doubtful" in page.findings.codes
    assert not page.compare.isEnabled()  # nothing trained yet

    page.reason.setText("A pilot for the larger cohort.")
    page.record_reason.click()
    assert study.verdict.proceed_reason == "A pilot for the larger cohort."
    assert "You go on because: A pilot for the larger cohort." in page.verdict.text()


def test_cancel_stops_the_search_and_keeps_its_trials(qtbot, page):
    study = page.study
    page.budget.setValue(500)
    choose(page, "logistic_regression")
    with qtbot.waitSignal(page.session.runner.progress, timeout=TIMEOUT_MS):
        page.fit.click()
    assert page.cancel_button.isEnabled() and not page.fit.isEnabled()
    with qtbot.waitSignal(page.task_finished, timeout=TIMEOUT_MS):
        page.cancel_button.click()
    assert "Stopped" in page.status.text()
    assert study.baselines.results == []
    assert page.fit.isEnabled() and not page.cancel_button.isEnabled()
    import optuna

    names = optuna.get_all_study_names(f"sqlite:///{study.path('tuning.sqlite3')}")
    assert len(names) == 1 and names[0].startswith("baseline-logistic_regression-")


def test_compare_scores_the_trained_network_against_equally_tuned_baselines(qtbot, page):
    """After training, one click puts the network beside the baselines and updates the verdict."""
    from guiapp.core.models import baselines, network_search, train
    from guiapp.core.models import recommend as architecture

    study = page.study
    study.baselines.models = ["logistic_regression", "majority"]
    study.baselines.budget_trials = study.train.budget_trials = 2
    baselines.fit_baselines(study)
    assess_before_training(study)  # the caller records the verdict
    architecture.set_architecture(study, width=8, depth=1, dropout=0.0)
    study.train.device, study.train.max_epochs, study.tuning.epochs = "cpu", 2, 2
    network_search.tune_network(study)
    refresh_findings(study)  # the caller refreshes the verdict's findings
    train.train_network(study)
    page.refresh()
    assert page.compare.isEnabled()
    assert page.budget_text.text().startswith("Equal tuning: each of the 1 tunable baselines and the network got 2")
    with qtbot.waitSignal(page.task_finished, timeout=TIMEOUT_MS):
        page.compare.click()
    assert not page.error.isVisibleTo(page), page.error.text()
    rows = study.tuning.comparison["rows"]
    assert [r["model"] for r in rows] == ["network", "logistic_regression", "majority"]
    assert study.tuning.comparison["paired"]["baseline"] == "logistic_regression"
    assert page.plot.drawn
    assert study.verdict.stage == "after training"
    assert page.verdict.text().startswith(study.verdict.headline)
    assert "paired bootstrap" in page.evidence.text()


def test_the_usual_reason_is_offered_and_recorded_only_by_the_click(qtbot, page):
    """The advisor says the baselines may be enough: the field offers the first usual reason, the
    study records nothing until the user's one click on 'Record my reason', and the card shows it."""
    from guiapp.core.evaluation.verdict import verdict_text
    from guiapp.ui.pages.baselines import SUGGESTED_REASONS

    study = page.study
    assert page.reason.text() == ""  # nothing to go on against yet
    page.budget.setValue(1)
    choose(page, "logistic_regression", "majority")
    with qtbot.waitSignal(page.task_finished, timeout=TIMEOUT_MS):
        page.fit.click()
    assert study.verdict.level == "doubtful"  # 60 samples per class: the baselines may be enough
    assert [page.suggestions.itemText(i) for i in range(page.suggestions.count())] == list(SUGGESTED_REASONS)
    assert page.reason.text() == SUGGESTED_REASONS[0]
    assert study.verdict.proceed_reason == ""  # offered, not recorded
    page.refresh()
    assert page.reason.text() == SUGGESTED_REASONS[0] and study.verdict.proceed_reason == ""

    page.record_reason.click()
    assert study.verdict.proceed_reason == SUGGESTED_REASONS[0]
    assert f"The study goes on because: {SUGGESTED_REASONS[0]}" in verdict_text(study)

    page.suggestions.setCurrentIndex(2)  # the user picks another usual reason from the list
    page.suggestions.activated.emit(2)
    assert page.reason.text() == SUGGESTED_REASONS[2]
    assert study.verdict.proceed_reason == SUGGESTED_REASONS[0]  # still the recorded one until the click
    page.record_reason.click()
    assert study.verdict.proceed_reason == SUGGESTED_REASONS[2]


def test_own_words_are_kept_over_the_suggestion(qtbot, page):
    page.budget.setValue(0)
    choose(page, "majority")
    page.reason.setFocus()
    qtbot.keyClicks(page.reason, "A pilot")  # typed before the fit: a refresh keeps it
    with qtbot.waitSignal(page.task_finished, timeout=TIMEOUT_MS):
        page.fit.click()
    assert page.reason.text() == "A pilot" and page.study.verdict.proceed_reason == ""
