"""The overfitting controls of Tip 7: the label-shuffle control and the learning curve."""

from __future__ import annotations

import hashlib

import pytest

from guiapp.core.evaluation.learning_curve import learning_curve, training_subset
from guiapp.core.evaluation.shuffle_control import judge, label_shuffle_control
from guiapp.core.evaluation.verdict import assess_before_training
from guiapp.core.guidance.checklist import evaluate_checklist
from guiapp.core.models.baselines import fit_baselines
from guiapp.core.models.train import train_network
from guiapp.core.study.errors import Cancelled, TenfoldError
from guiapp.core.study.task_context import TaskContext


def status(study, item_id):
    return next(i for i in evaluate_checklist(study) if i["id"] == item_id)["status"]


def weights_hash(study) -> str:
    return hashlib.sha256(study.path(study.train.weights).read_bytes()).hexdigest()


@pytest.fixture
def noise_study(study_factory, quick_training):
    """Pure noise: the label has nothing to do with the features."""
    study = study_factory(effect_size=0.0)
    study.baselines.models = ["logistic_regression"]
    study.baselines.budget_trials = 0  # defaults: no search, the control is about the network
    fit_baselines(study)
    assess_before_training(study)  # the caller records the verdict
    quick_training(study)
    train_network(study)
    return study


def test_the_shuffle_control_flags_a_network_trained_on_noise(noise_study):
    result = label_shuffle_control(noise_study, repeats=3)
    assert result["flagged"]
    assert len(result["shuffled_tune"]) == 3 and len(result["shuffled_train"]) == 3
    assert "label-shuffle-not-beaten" in noise_study.finding_codes()
    assert noise_study.overfitting.shuffle == result
    assert "Not clearly above chance" in result["reading"]
    assert status(noise_study, "label-shuffle-control") == "violated"


def test_the_shuffle_control_passes_a_network_that_learned(trained_study):
    """Demo-like simulated data: five informative genes, a clear effect."""
    before = weights_hash(trained_study)
    result = label_shuffle_control(trained_study, repeats=3)
    assert not result["flagged"], result
    assert result["real_ci"][0] > max(result["shuffled_tune"])
    assert result["epochs"] == trained_study.train.best_epoch  # the chosen configuration's length
    assert "label-shuffle-not-beaten" not in trained_study.finding_codes()
    assert status(trained_study, "label-shuffle-control") == "done"
    # The control only measures: the study's own network and its sealed test set are untouched.
    assert weights_hash(trained_study) == before
    assert trained_study.split.test_uses == 0


def test_a_later_passing_control_clears_the_old_flag(trained_study, monkeypatch):
    from guiapp.core.evaluation import shuffle_control

    monkeypatch.setattr(shuffle_control, "score", lambda *a, **k: 0.99)  # shuffled runs as good as real
    assert label_shuffle_control(trained_study, repeats=1)["flagged"]
    assert "label-shuffle-not-beaten" in trained_study.finding_codes()
    monkeypatch.undo()
    label_shuffle_control(trained_study, repeats=2)
    assert "label-shuffle-not-beaten" not in trained_study.finding_codes()


def test_the_verdict_rule():
    assert not judge("roc_auc", 0.9, [0.85, 0.95], [0.5, 0.62, 0.55])["flagged"]
    assert judge("roc_auc", 0.9, [0.6, 0.97], [0.5, 0.62, 0.55])["flagged"]  # interval reaches a shuffled run
    assert judge("roc_auc", 0.64, None, [0.5, 0.62])["flagged"]  # no interval: needs a margin
    assert judge("roc_auc", float("nan"), None, [0.5])["flagged"]


def test_the_shuffle_control_needs_a_trained_network_and_a_repeat(tiny_study, trained_study):
    with pytest.raises(TenfoldError, match="Train the network"):
        label_shuffle_control(tiny_study)
    with pytest.raises(TenfoldError, match="at least one repeat"):
        label_shuffle_control(trained_study, repeats=0)


def test_the_shuffle_control_stops_when_asked(trained_study):
    with pytest.raises(Cancelled):
        label_shuffle_control(trained_study, repeats=3, ctx=TaskContext(should_stop=lambda: True))


def test_learning_curve_for_the_network_and_the_best_baseline(trained_study):
    before = weights_hash(trained_study)
    seen = []
    result = learning_curve(trained_study, fractions=(1.0, 0.5), ctx=TaskContext(progress=lambda f, m: seen.append(f)))
    n_train = len(trained_study.split.train_idx)
    assert result["fractions"] == [0.5, 1.0]
    assert result["n_train"] == [n_train // 2, n_train]
    assert len(result["network"]["train"]) == len(result["network"]["tune"]) == 2
    assert result["baseline"]["name"] == "logistic_regression" and len(result["baseline"]["tune"]) == 2
    assert result["metric"] == "roc_auc" and result["reading"]
    assert all(0.0 <= v <= 1.0 for v in result["network"]["tune"] + result["baseline"]["tune"])
    assert trained_study.overfitting.learning_curve == result
    assert status(trained_study, "learning-curve") == "done"
    assert seen[-1] == 1.0
    assert weights_hash(trained_study) == before and trained_study.split.test_uses == 0


def test_learning_curve_shares_keep_the_classes(trained_study):
    import numpy as np

    from guiapp.core.split.draw import train_tune_arrays

    _, y, _, _ = train_tune_arrays(trained_study)
    keep = training_subset(y, 0.25, seed=0, classification=True)
    assert abs(y[keep].mean() - y.mean()) < 0.05 and len(np.unique(keep)) == len(keep)
    with pytest.raises(TenfoldError, match="between 0 and 1"):
        learning_curve(trained_study, fractions=(0.0, 1.0))
