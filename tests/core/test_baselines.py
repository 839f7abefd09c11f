"""Traditional baselines (Tips 1 and 2): fitted on train only, scored on tune."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import r2_score, roc_auc_score

from guiapp.core.data.attach import model_frame
from guiapp.core.models import baseline_models, baselines
from guiapp.core.split.draw import train_tune_arrays
from guiapp.core.study.errors import TenfoldError


@pytest.fixture(autouse=True)
def small_budget(request):
    """Two tuning trials per model keep these tests quick; the search itself is tested in test_tuning."""
    for name in ("tiny_study", "regression_study"):
        if name in request.fixturenames:
            request.getfixturevalue(name).baselines.budget_trials = 2


@pytest.fixture
def scaler_fits(monkeypatch):
    """Every feature matrix any StandardScaler is fitted on, in every trial and every final fit."""
    from sklearn.preprocessing import StandardScaler

    seen = []
    real_fit = StandardScaler.fit

    def spy(self, X, y=None, **kw):
        seen.append(np.asarray(X).copy())
        return real_fit(self, X, y, **kw)

    monkeypatch.setattr(StandardScaler, "fit", spy)
    return seen


def assert_only_training_rows(study, seen, n_models):
    """A test that fails if any scaler saw a tune or test row (the SVR's target scaler sees a column)."""
    X_tr, _, _, _ = train_tune_arrays(study)
    feature_fits = [X for X in seen if X.ndim == 2 and X.shape[1] == X_tr.shape[1]]
    assert len(feature_fits) >= n_models
    for X in feature_fits:
        assert X.shape == X_tr.shape and np.allclose(np.nan_to_num(X), np.nan_to_num(X_tr))


@pytest.fixture
def fitted_pipelines(monkeypatch):
    """Keep every pipeline fit_baselines builds, to look inside them afterwards."""
    made = {}
    real = baselines.make_pipeline

    def keep(name, task, seed=0, **kw):
        made[name] = real(name, task, seed=seed, **kw)
        return made[name]

    monkeypatch.setattr(baselines, "make_pipeline", keep)
    return made


def test_preprocessing_is_fitted_on_the_training_rows_only(tiny_study, fitted_pipelines):
    tiny_study.baselines.models = ["logistic_regression"]
    baselines.fit_baselines(tiny_study)
    pipe = fitted_pipelines["logistic_regression"]
    X_tr, _, _, _ = train_tune_arrays(tiny_study)
    X_all, _, _ = model_frame(tiny_study)
    scaler, imputer = pipe.named_steps["scale"], pipe.named_steps["impute"]
    np.testing.assert_allclose(scaler.mean_, X_tr.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(imputer.statistics_, np.median(X_tr, axis=0), rtol=1e-6)
    assert not np.allclose(scaler.mean_, X_all.mean(axis=0), rtol=1e-5)
    assert scaler.n_samples_seen_ == len(tiny_study.split.train_idx)


def test_results_carry_tune_metrics_with_intervals(tiny_study, fitted_pipelines, scaler_fits):
    results = baselines.fit_baselines(tiny_study)
    assert [r["name"] for r in results] == list(baselines.CLASSIFIERS)
    assert_only_training_rows(tiny_study, scaler_fits, len(results))
    assert tiny_study.baselines.results == results
    _, _, X_tu, y_tu = train_tune_arrays(tiny_study)
    for r in results:
        m = r["tune_metrics"]
        assert m["n"] == len(tiny_study.split.tune_idx)
        expected = roc_auc_score(y_tu, fitted_pipelines[r["name"]].predict_proba(X_tu)[:, 1])
        assert m["roc_auc"] == pytest.approx(expected)
        for name in ("roc_auc", "pr_auc", "balanced_accuracy"):
            low, high = m[f"{name}_ci"]
            assert low <= m[name] <= high
        assert r["train_metrics"]["n"] == len(tiny_study.split.train_idx)
        assert not any(k.endswith("_ci") for k in r["train_metrics"])
        assert r["fit_seconds"] >= 0
    forest = next(r for r in results if r["name"] == "random_forest")
    assert forest["params"]["n_estimators"] == 200
    assert forest["params"]["random_state"] == tiny_study.split.seed
    # the signal is real: every model finds it, and the majority class sits at chance
    assert min(r["tune_metrics"]["roc_auc"] for r in results if r["name"] != "majority") > 0.7
    assert next(r for r in results if r["name"] == "majority")["tune_metrics"]["roc_auc"] == pytest.approx(0.5)
    # tuned with the same budget: the settings the search chose are the ones fitted
    for r in results:
        if r["search_space"]:
            assert r["n_trials"] == 2 and r["search"]["best_params"] == r["best_params"]
            prefix = baselines.baseline(r["name"], "classification").prefix
            params = fitted_pipelines[r["name"]].get_params()
            assert all(params[prefix + k] == v for k, v in r["best_params"].items())
        else:
            assert r["n_trials"] == 0 and r["best_params"] == {}
    best = tiny_study.baselines.best("roc_auc")
    assert best["tune_metrics"]["roc_auc"] == max(r["tune_metrics"]["roc_auc"] for r in results)


def test_regression_baselines(regression_study, fitted_pipelines):
    regression_study.baselines.models = ["ridge", "random_forest"]
    results = baselines.fit_baselines(regression_study)
    assert [r["name"] for r in results] == ["ridge", "random_forest"]
    _, _, X_tu, y_tu = train_tune_arrays(regression_study)
    for r in results:
        m = r["tune_metrics"]
        assert set(m) >= {"r2", "rmse", "mae", "r2_ci"}
        assert m["r2"] == pytest.approx(r2_score(y_tu, fitted_pipelines[r["name"]].predict(X_tu)), rel=1e-5)
    # the score is a linear sum of genes: ridge should nearly nail it
    assert results[0]["tune_metrics"]["r2"] > 0.9


def test_models_that_do_not_fit_the_task_are_replaced(regression_study, scaler_fits):
    regression_study.baselines.models = ["logistic_regression"]
    results = baselines.fit_baselines(regression_study)
    assert [r["name"] for r in results] == list(baselines.REGRESSORS)
    assert_only_training_rows(regression_study, scaler_fits, len(results))


def test_lower_is_better_metrics_pick_the_lowest_as_best(regression_study):
    regression_study.question.target_metric = "rmse"
    regression_study.baselines.models = ["ridge", "mean"]
    results = baselines.fit_baselines(regression_study)
    assert results[0]["tune_metrics"]["rmse"] < results[1]["tune_metrics"]["rmse"]
    assert regression_study.baselines.best("rmse")["name"] == "ridge"


def test_the_tuned_pipeline_reproduces_the_recorded_score(tiny_study):
    tiny_study.baselines.models = ["svm_rbf"]
    (r,) = baselines.fit_baselines(tiny_study)
    X_tr, y_tr, X_tu, y_tu = train_tune_arrays(tiny_study)
    pipe = baselines.tuned_pipeline(tiny_study, "svm_rbf").fit(X_tr, y_tr)
    assert roc_auc_score(y_tu, pipe.predict_proba(X_tu)[:, 1]) == pytest.approx(r["tune_metrics"]["roc_auc"])


def test_an_unknown_baseline_is_a_tenfold_error():
    with pytest.raises(TenfoldError, match="Unknown baseline 'svm'"):
        baselines.make_pipeline("svm", "classification")


def test_baselines_need_a_split(study_factory):
    study = study_factory(do_split=False)
    with pytest.raises(TenfoldError, match="Draw the train / tune / test split"):
        baselines.fit_baselines(study)


# ----- scale: gradient boosting, scalable forms, fitted models reused (issue: scale) -------------


def test_gradient_boosting_is_a_tuned_baseline_for_both_tasks(tiny_study, regression_study):
    for study in (tiny_study, regression_study):
        study.baselines.models = ["gradient_boosting"]
        [result] = baselines.fit_baselines(study)
        assert result["name"] == "gradient_boosting"
        assert result["n_trials"] == 2  # the same budget as every other baseline
        assert set(result["search_space"]) == {
            "learning_rate",
            "max_leaf_nodes",
            "min_samples_leaf",
            "l2_regularization",
        }
        assert "n log n" in result["cost"] and result["form_note"] == ""


def test_above_the_limit_the_kernel_svm_becomes_nystroem_plus_linear(tiny_study, monkeypatch):
    from sklearn.kernel_approximation import Nystroem
    from sklearn.svm import SVC

    n_train = len(tiny_study.split.train_idx)
    exact = baselines.make_pipeline("svm_rbf", "classification", n_train=n_train)
    assert isinstance(exact.named_steps["model"].estimator, SVC)
    monkeypatch.setattr(baseline_models, "KERNEL_EXACT_LIMIT", n_train - 1)
    monkeypatch.setattr(baseline_models, "NYSTROEM_COMPONENTS", 10)
    tiny_study.baselines.models = ["svm_rbf"]
    [result] = baselines.fit_baselines(tiny_study)
    assert f"{n_train:,} training samples" in result["form_note"] and "Nyström" in result["form_note"]
    assert result["cost"].startswith("linear in n")
    approx = baselines.tuned_pipeline(tiny_study, "svm_rbf")
    kernel = approx.named_steps["model"].named_steps["kernel"]
    assert isinstance(kernel, Nystroem)
    assert kernel.gamma == pytest.approx(result["best_params"]["gamma"])  # the searched gamma lands
    assert result["tune_metrics"]["roc_auc"] > 0.5


def test_random_forest_trees_are_bounded_and_use_the_cores(monkeypatch):
    monkeypatch.setattr(baseline_models, "study_cores", lambda: 3)
    small = baselines.make_pipeline("random_forest", "classification", n_train=500).named_steps["model"]
    large = baselines.make_pipeline("random_forest", "regression", n_train=50_000).named_steps["model"]
    assert small.max_samples is None and large.max_samples == baselines.FOREST_MAX_SAMPLES
    assert small.n_jobs == large.n_jobs == 3


def test_the_fitted_baseline_is_reused_not_refitted(tiny_study, monkeypatch):
    tiny_study.baselines.models = ["logistic_regression"]
    baselines.fit_baselines(tiny_study)
    X_tr, y_tr, _, _ = train_tune_arrays(tiny_study)
    first = baselines.fitted_baseline(tiny_study, "logistic_regression", X_tr, y_tr)

    def no_refit(*a, **kw):
        raise AssertionError("a fitted baseline was fitted again")

    monkeypatch.setattr(baselines, "tuned_pipeline", no_refit)
    assert baselines.fitted_baseline(tiny_study, "logistic_regression", X_tr, y_tr) is first
    monkeypatch.undo()
    # other training rows (a new split): fitted again, on those rows
    other = baselines.fitted_baseline(tiny_study, "logistic_regression", X_tr[:-3], y_tr[:-3])
    assert other is not first and other.named_steps["scale"].n_samples_seen_ == len(y_tr) - 3
