"""Every page renders a finished study without error: here a regression study, to PNG files."""

from __future__ import annotations

import numpy as np

from guiapp.core.batch import effects as batch
from guiapp.core.data import attach as data
from guiapp.core.data import demo
from guiapp.core.evaluation import overfitting, sealed_test, tune_evaluation
from guiapp.core.evaluation.verdict import assess_before_training
from guiapp.core.interpretation import interpret
from guiapp.core.models import baselines, train
from guiapp.core.models import recommend as architecture
from guiapp.core.split import draw as split
from guiapp.core.study.model import Study
from guiapp.core.study.steps import STEP_IDS


def finished_regression_study(folder) -> tuple:
    d = demo.simulated_expression(n_samples=160, n_genes=12, n_informative=4, seed=3)
    table = d.table.drop(columns=["condition"])
    table["score"] = table[list(d.informative)].sum(axis=1) + np.random.default_rng(3).normal(0, 0.5, len(table))
    path = folder / "regression.csv"
    table.to_csv(path, index=False)
    study = Study()
    study.question.title, study.question.task, study.question.target_metric = "Predict the score", "regression", "r2"
    study.save(folder / "study")
    data.attach_data(study, data.AttachRequest(path, label="score", batch="batch", sensitive=True))
    report = batch.batch_effect_report(study)
    split.split_study(study)
    study.baselines.budget_trials = 2  # tiny settings: the search is tested in tests/core/test_tuning.py
    baselines.fit_baselines(study)
    assess_before_training(study)  # the caller records the verdict
    architecture.set_architecture(study, width=8, depth=1, dropout=0.0)
    study.train.device, study.train.max_epochs = "cpu", 2
    train.train_network(study)
    overfitting.overfitting_check(study)
    tune_evaluation.evaluate_on_tune(study)
    sealed_test.finalize_test_evaluation(study)
    interpret.permutation_importance(study, n_repeats=1, top=5)
    return study, report


def test_render_all_pages_of_a_regression_study(qtbot, tmp_path):
    from guiapp.ui.screenshots import render_all_pages

    study, report = finished_regression_study(tmp_path)
    paths = render_all_pages(study, tmp_path / "shots", batch_report=report)
    assert [p.name.split("-", 1)[1] for p in paths] == [f"{s}.png" for s in STEP_IDS]
    assert all(p.stat().st_size > 10_000 for p in paths)


def test_the_readme_demo_shows_equal_budgets_the_comparison_and_the_verdict(qtbot, tmp_path):
    """The study the README screenshots are made from: every baseline and the network tuned with
    the same number of trials, the network compared with them, and the verdict recorded."""
    from guiapp.core.models import tuning
    from guiapp.ui.screenshots import build_demo_study, render_all_pages

    study, report = build_demo_study(tmp_path, "breast_cancer", epochs=2, trials=2, trial_epochs=2)
    budgets = tuning.budget_report(study)
    assert budgets["equal"] is True and budgets["network"] == 2
    assert set(budgets["baselines"]) == {
        "logistic_regression",
        "logistic_regression_l1",
        "random_forest",
        "gradient_boosting",
        "knn",
        "naive_bayes",
        "svm_rbf",
    }
    rows = study.tuning.comparison["rows"]
    assert rows[0]["model"] == "network" and {r["n_trials"] for r in rows if r["model"] != "majority"} == {2}
    assert study.tuning.comparison["paired"] and study.verdict.stage == "after training"
    (path,) = render_all_pages(study, tmp_path / "shots", batch_report=report, steps=("baselines",))
    assert path.name == "06-baselines.png" and path.stat().st_size > 10_000
