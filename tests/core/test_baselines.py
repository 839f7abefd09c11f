"""Traditional baselines (Tips 1 and 2): fitted on train only, scored on tune."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import r2_score, roc_auc_score

from guiapp.core import baselines
from guiapp.core.data import model_frame
from guiapp.core.errors import TenfoldError
from guiapp.core.split import train_tune_arrays


@pytest.fixture
def fitted_pipelines(monkeypatch):
    """Keep every pipeline fit_baselines builds, to look inside them afterwards."""
    made = {}
    real = baselines.make_pipeline

    def keep(name, task, seed=0):
        made[name] = real(name, task, seed=seed)
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


def test_results_carry_tune_metrics_with_intervals(tiny_study, fitted_pipelines):
    results = baselines.fit_baselines(tiny_study)
    assert [r["name"] for r in results] == ["logistic_regression", "random_forest"]
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
    assert results[1]["params"]["n_estimators"] == 200
    assert results[1]["params"]["random_state"] == tiny_study.split.seed
    # the signal is real: both baselines find it
    assert min(r["tune_metrics"]["roc_auc"] for r in results) > 0.7
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


def test_models_that_do_not_fit_the_task_are_replaced(regression_study):
    regression_study.baselines.models = ["logistic_regression"]
    results = baselines.fit_baselines(regression_study)
    assert [r["name"] for r in results] == ["ridge", "random_forest"]


def test_an_unknown_baseline_is_a_tenfold_error():
    with pytest.raises(TenfoldError, match="Unknown baseline 'svm'"):
        baselines.make_pipeline("svm", "classification")


def test_baselines_need_a_split(study_factory):
    study = study_factory(do_split=False)
    with pytest.raises(TenfoldError, match="Draw the train / tune / test split"):
        baselines.fit_baselines(study)
