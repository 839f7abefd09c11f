"""Repeated nested cross-validation when one split leaves parts too small to judge (Tips 1, 7):
on scikit-learn's wine data (178 samples, tune and test parts of 36), every model is tuned inside
each outer training part, scored on the outer fold, and reported as fold means with intervals."""

from __future__ import annotations

import numpy as np
import pytest

from guiapp.core.data import attach as data
from guiapp.core.evaluation import cross_validation as CV
from guiapp.core.evaluation.cross_validation_card import card_section
from guiapp.core.export.card_json import model_card_json, validate_model_card_json
from guiapp.core.export.model_card import render_model_card
from guiapp.core.export.report import render_report
from guiapp.core.models import baselines
from guiapp.core.models import recommend as architecture
from guiapp.core.split import draw as split
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.model import Study


def wine_study(folder, **split_settings) -> Study:
    from sklearn.datasets import load_wine

    wine = load_wine(as_frame=True)
    table = wine.frame.drop(columns=["target"])
    table["cultivar"] = [str(wine.target_names[i]) for i in wine.target]
    path = folder / "wine.csv"
    table.to_csv(path, index=False)
    study = Study()
    study.save(folder / "study")
    data.attach_data(study, data.AttachRequest(path, label="cultivar", sensitive=False))
    for key, value in split_settings.items():
        setattr(study.split, key, value)
    split.split_study(study)
    return study


def test_auto_cross_validates_only_when_a_part_is_too_small(tmp_path):
    study = wine_study(tmp_path)
    assert (len(study.split.tune_idx), len(study.split.test_idx)) == (36, 36)
    assert "fewer than 50" in CV.cv_reason(study)
    study.split.cv = "never"
    assert CV.cv_reason(study) == ""
    study.split.cv = "sometimes"
    with pytest.raises(TenfoldError, match="cv must be one of"):
        CV.cv_reason(study)
    big = Study()
    big.split.tune_idx, big.split.test_idx = list(range(60)), list(range(60, 120))
    assert CV.cv_reason(big) == ""
    big.split.cv = "always"
    assert "always" in CV.cv_reason(big)


def test_the_corrected_interval_is_wider_than_the_plain_t_interval():
    from scipy.stats import t

    values = [0.90, 0.94, 0.88, 0.92]
    ci, note = CV.corrected_interval(values, n_train=100, n_test=50, metric="roc_auc", n_tested=150)
    sd = np.std(values, ddof=1)
    plain = t.ppf(0.975, 3) * sd / 2
    corrected = t.ppf(0.975, 3) * sd * np.sqrt(1 / 4 + 50 / 100)
    assert note == "" and ci == pytest.approx([np.mean(values) - corrected, min(np.mean(values) + corrected, 1)])
    assert corrected > plain


def test_perfect_folds_get_the_rule_of_three_not_a_collapsed_interval():
    ci, note = CV.corrected_interval([1.0, 1.0, 1.0, 1.0], n_train=100, n_test=50, metric="roc_auc", n_tested=142)
    assert ci == pytest.approx([1 - 3 / 142, 1.0])
    assert "rule of three" in note and "3/142" in note


def test_wine_is_judged_by_nested_repeated_cross_validation(tmp_path, monkeypatch):
    study = wine_study(tmp_path, cv_folds=2, cv_repeats=2)
    architecture.set_architecture(study, width=16, depth=1, dropout=0.1)
    study.baselines.models = ["logistic_regression", "majority"]
    study.baselines.budget_trials, study.train.budget_trials = 2, 2
    study.train.max_epochs, study.tuning.epochs = 2, 2
    sealed = set(study.split.test_idx)
    seen = []
    real_fit = baselines.fit_baselines

    def spy(fold, **kw):  # the split each fold's tuning saw
        seen.append((set(fold.split.train_idx), set(fold.split.tune_idx), set(fold.split.test_idx)))
        return real_fit(fold, **kw)

    monkeypatch.setattr(baselines, "fit_baselines", spy)
    cv = CV.cross_validate(study)
    assert cv["ran"] and (cv["folds"], cv["repeats"]) == (2, 2)
    assert len(cv["per_fold"]) == 4 and len(seen) == 4
    for train, tune, test in seen:  # tuning nested: the outer test fold never guides a choice
        assert not (train & tune) and not (train & test) and not (tune & test)
        assert not (sealed & (train | tune | test))  # the sealed test set stays out
        assert len(train | tune | test) == 142
    for r in range(2):  # each repeat tests every development sample once
        tested = [t for (_, _, t), p in zip(seen, cv["per_fold"], strict=False) if p["repeat"] == r]
        assert set().union(*tested) == set(study.split.train_idx) | set(study.split.tune_idx)
    for model in ("network", "logistic_regression", "majority"):
        m = cv["summary"][model]["roc_auc"]
        assert m["n_folds"] == 4
        assert m["mean"] == pytest.approx(np.mean([p["scores"][model]["roc_auc"] for p in cv["per_fold"]]))
    lr = cv["summary"]["logistic_regression"]["roc_auc"]
    assert lr["ci"][0] < lr["mean"] <= lr["ci"][1] and lr["ci"][0] < lr["ci"][1]
    assert study.split.test_uses == 0  # cross-validation never reads the sealed test set

    card = render_model_card(study, weights_shared=False, weights_reason="test", privacy=[])
    assert "### Repeated cross-validation" in card and "2 folds × 2 repeats" in card
    assert "| Logistic regression (L2) | " in card and "Nadeau & Bengio" in card
    assert "1.000–1.000" not in card
    report = render_report(study)
    assert "Repeated cross-validation" in report and "1.000–1.000" not in report
    mct = model_card_json(study, weights_shared=False, weights_reason="test", privacy=[])
    validate_model_card_json(mct)
    slices = [m for m in mct["quantitative_analysis"]["performance_metrics"] if "cross-validation" in m["slice"]]
    assert len(slices) == 3 and all("confidence_interval" in m for m in slices if "Majority" not in m["type"])


def test_combat_studies_say_why_they_are_not_cross_validated(tmp_path):
    study = wine_study(tmp_path)
    study.batch.remedy = "combat"
    cv = CV.cross_validate(study)
    assert cv["ran"] is False and "ComBat" in cv["not_run"]
    assert "not run" in card_section(study)["text"]


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_outer_folds_keep_each_group_on_one_side_and_reshuffle_each_repeat(task):
    study = Study()
    study.question.task = task
    study.split.cv_folds, study.split.cv_repeats = 3, 2
    rng = np.random.default_rng(0)
    groups = np.array([f"donor{i // 4}" for i in range(96)])
    y = np.repeat(rng.integers(0, 2, 24), 4) if task == "classification" else rng.normal(size=96)
    idx = np.arange(96)
    folds = list(CV._outer_folds(study, y, idx, groups))
    assert len(folds) == 6
    for _, _, train, test in folds:
        assert not set(groups[train]) & set(groups[test])
    for r in range(2):
        tested = np.concatenate([test for rr, _, _, test in folds if rr == r])
        assert sorted(tested) == list(idx)  # each repeat tests every sample once
    first = [set(test) for rr, _, _, test in folds if rr == 0]
    second = [set(test) for rr, _, _, test in folds if rr == 1]
    assert first != second


def test_the_spec_refuses_impossible_fold_settings():
    from guiapp.core.study.errors import SpecError
    from guiapp.core.study.spec import check_spec

    base = {"data": {"path": "x.csv", "label": "y"}}
    check_spec({**base, "split": {"cv": "always", "cv_folds": 2, "cv_repeats": 1}})
    with pytest.raises(SpecError, match="cv_folds = 1: must be a whole number from 2 to 20"):
        check_spec({**base, "split": {"cv_folds": 1}})
    with pytest.raises(SpecError, match="cv"):
        check_spec({**base, "split": {"cv": "sometimes"}})
