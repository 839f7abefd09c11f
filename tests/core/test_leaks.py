"""Leak detection before training (Tip 7): one rule for inspect, the Data step and the proxy scan
after training; true positives for each signature, true negatives on real tables."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import datasets

from guiapp.core.data import attach as data
from guiapp.core.data.leaks import chance_separation, name_says_outcome, scan_features
from guiapp.core.evaluation.guards import label_proxy_scan
from guiapp.core.study.model import Study

rng = np.random.default_rng(0)


def leaks(names, X, y, **kw) -> dict:
    return {s.name: s.signatures for s in scan_features(names, X, y, **kw) if s.leak}


def strong(names, X, y) -> list:
    return [s.name for s in scan_features(names, X, y) if not s.leak]


# ----- real tables: strong biology is not a leak -------------------------------------------------


@pytest.mark.parametrize("loader", [datasets.load_breast_cancer, datasets.load_wine, datasets.load_iris])
def test_real_tables_raise_no_leak(loader):
    d = loader()
    assert leaks(d.feature_names, d.data, d.target) == {}
    order = np.argsort(d.target, kind="stable")  # a file sorted by label, with no index column
    assert leaks(d.feature_names, d.data[order], d.target[order]) == {}


def test_breast_cancer_markers_are_listed_as_strong_single_markers():
    d = datasets.load_breast_cancer()
    found = scan_features(d.feature_names, d.data, d.target)
    assert found[0].name == "worst perimeter" and 0.97 < found[0].score < 0.98
    assert {"worst perimeter", "worst radius", "mean concave points"} <= set(strong(d.feature_names, d.data, d.target))


def test_iris_petals_cut_off_one_class_but_do_not_order_all_three():
    d = datasets.load_iris()
    petal = {s.name: s for s in scan_features(d.feature_names, d.data, d.target)}["petal length (cm)"]
    assert petal.score == 1.0 and not petal.leak  # setosa apart; versicolor and virginica overlap


# ----- planted leaks: each signature -----------------------------------------------------------


def cancer_with(column: np.ndarray, name: str = "planted"):
    d = datasets.load_breast_cancer()
    return list(d.feature_names) + [name], np.c_[d.data, column], d.target


def test_the_label_plus_small_noise_separates_with_a_margin():
    y = datasets.load_breast_cancer().target
    for sd in (0.1, 0.2):
        assert leaks(*cancer_with(y + rng.normal(0, sd, len(y)))) == {"planted": ["separates"]}
    assert leaks(*cancer_with(y + rng.normal(0, 0.4, len(y)))) == {}  # a noisy marker: strong, not a leak


def test_a_coded_label_and_a_monotone_transform_of_it_are_found():
    y = datasets.load_breast_cancer().target
    assert leaks(*cancer_with(np.where(y == 1, 7.0, 3.0))) == {"planted": ["codes-label"]}
    assert leaks(*cancer_with(np.log1p(5.0 * y))) == {"planted": ["codes-label"]}
    w = datasets.load_wine()
    assert leaks(list(w.feature_names) + ["cultivar_code"], np.c_[w.data, w.target * 2 + 1.0], w.target) == {
        "cultivar_code": ["codes-label"]
    }


def test_a_running_index_of_a_file_sorted_by_label_follows_the_row_order():
    names, X, y = cancer_with(np.arange(569.0), "row_number")
    order = np.argsort(y, kind="stable")
    X = X[order]
    X[:, -1] = np.arange(len(y))  # the index written after sorting
    assert leaks(names, X, y[order]) == {"row_number": ["row-order"]}
    assert leaks(names, X, y[order], row_order=False) == {}


@pytest.mark.parametrize(
    "name", ["diagnosis_code", "Outcome", "reviewStatus", "survival_months", "label_2", "final result"]
)
def test_a_name_that_says_outcome_or_review_is_a_signature(name):
    assert name_says_outcome(name, "diagnosis")


@pytest.mark.parametrize(
    "name", ["concave points", "mean radius", "responsiveness", "resultant_force", "worst concavity"]
)
def test_ordinary_names_are_not_outcomes(name):
    assert not name_says_outcome(name, "diagnosis")


def test_many_genes_over_few_samples_do_not_separate_by_chance():
    X = rng.normal(size=(10, 20_000))
    y = np.r_[np.zeros(5, int), np.ones(5, int)]
    assert chance_separation([5, 5]) == pytest.approx(2 / 252)
    assert leaks([f"g{i}" for i in range(20_000)], X, y) == {}
    X[:, 0] = y  # a coded label is found all the same
    assert leaks([f"g{i}" for i in range(20_000)], X, y) == {"g0": ["codes-label"]}


def test_a_regression_target_transformed_is_a_leak():
    d = datasets.load_diabetes()
    names = list(d.feature_names) + ["log_progression"]
    X = np.c_[d.data, np.log(d.target)]
    assert leaks(names, X, d.target, task="regression") == {"log_progression": ["monotone"]}


# ----- the same rule at the Data step and after training ----------------------------------------


def cancer_study(tmp_path, extra: dict | None = None) -> Study:
    d = datasets.load_breast_cancer(as_frame=True)
    table = d.frame.rename(columns={"target": "diagnosis"})
    for k, v in (extra or {}).items():
        table[k] = v
    path = tmp_path / "cancer.csv"
    table.to_csv(path, index=False)
    study = Study()
    data.attach_data(study, data.AttachRequest(path, label="diagnosis", sensitive=False))
    return study


def test_the_data_step_raises_an_error_for_a_planted_leak_and_info_for_markers(tmp_path):
    y = datasets.load_breast_cancer().target
    study = cancer_study(tmp_path, {"pathology_score": y * 3 + rng.normal(0, 0.2, len(y))})
    (leak,) = [f for f in study.findings if f.code == "possible-label-leak"]
    assert leak.severity == "error" and leak.step == "data" and leak.tip == 7
    assert "'pathology_score'" in leak.message and "separates the classes" in leak.message
    (markers,) = [f for f in study.findings if f.code == "strong-single-markers"]
    assert markers.severity == "info" and "worst perimeter" in markers.message
    assert "known before prediction" in markers.message


def test_the_clean_table_raises_no_leak_and_lists_markers_once(tmp_path):
    from guiapp.core.split import draw as split
    from guiapp.core.split.draw import train_tune_arrays

    study = cancer_study(tmp_path)
    assert "possible-label-leak" not in study.finding_codes()
    split.split_study(study)
    found = label_proxy_scan(study, *train_tune_arrays(study))
    assert found == []  # no leak, and the markers were listed by the data step already
    assert [f.code for f in study.findings].count("strong-single-markers") == 1


def test_the_proxy_scan_after_training_uses_the_same_rule(tmp_path):
    from guiapp.core.split import draw as split
    from guiapp.core.split.draw import train_tune_arrays

    y = datasets.load_breast_cancer().target
    study = cancer_study(tmp_path, {"days_to_surgery": np.where(y == 1, 40.0, 10.0) + rng.normal(0, 1, len(y))})
    split.split_study(study)
    found = {f.code: f for f in label_proxy_scan(study, *train_tune_arrays(study))}
    assert found["label-proxy-feature"].values["feature"] == "days_to_surgery"
    assert "worst perimeter" not in found["label-proxy-feature"].message  # real markers are not called proxies


def test_column_ranks_match_scipy_with_ties():
    from scipy.stats import rankdata

    from guiapp.core.data.leaks import column_ranks

    X = np.round(rng.normal(size=(300, 40)), 1)
    X[:, 3] = 1.0
    assert np.allclose(column_ranks(X, block=7), rankdata(X, axis=0))


def test_setting_leaking_features_aside_is_recorded_and_refused_after_the_test(tmp_path):
    from guiapp.core.split.leak_remedies import set_aside_leaking_features
    from guiapp.core.study.errors import TenfoldError

    y = datasets.load_breast_cancer().target
    study = cancer_study(tmp_path, {"pathology_score": np.where(y == 1, 5.0, 1.0)})
    assert set_aside_leaking_features(study) == ["pathology_score"]
    assert "pathology_score" not in study.data.feature_columns and study.data.n_features == 30
    assert "possible-label-leak" not in study.finding_codes()
    (record,) = study.split.remedies
    assert record["finding"] == "possible-label-leak" and "'pathology_score' set aside" in record["text"]
    study.split.test_uses = 1
    with pytest.raises(TenfoldError, match="already been used"):
        set_aside_leaking_features(study, ["worst perimeter"])


def test_a_column_the_spec_sets_aside_is_recorded_only_when_it_leaks(tmp_path):
    from guiapp.core.split.leak_remedies import record_columns_set_aside

    y = datasets.load_breast_cancer().target
    d = datasets.load_breast_cancer(as_frame=True)
    table = d.frame.rename(columns={"target": "diagnosis"})
    table["pathology_score"] = np.where(y == 1, 5.0, 1.0)
    table.to_csv(tmp_path / "cancer.csv", index=False)
    study = Study()
    data.attach_data(
        study,
        data.AttachRequest(
            tmp_path / "cancer.csv",
            label="diagnosis",
            sensitive=False,
            roles={"pathology_score": "ignore", "mean radius": "ignore"},
        ),
    )
    assert "possible-label-leak" not in study.finding_codes()
    assert record_columns_set_aside(study, ["pathology_score", "mean radius", "no such column"]) == ["pathology_score"]
    (record,) = study.split.remedies
    assert record["finding"] == "possible-label-leak" and record["remedy"] == "feature-set-aside"
    assert "'pathology_score' set aside by the study spec" in record["text"] and "mean radius" not in record["text"]
    # an ordinary marker set aside is not a leak remedy
    study.split.remedies = []
    assert record_columns_set_aside(study, ["mean radius"]) == [] and study.split.remedies == []
