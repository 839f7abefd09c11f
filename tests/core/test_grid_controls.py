"""The overfitting controls (Tip 7) and the membership-inference audit (Tip 10) on a sequence
study trained with the 1D CNN: they retrain and attack the CNN itself, never an MLP stand-in."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from grid_studies import trained_grid_study

from guiapp.core.evaluation.learning_curve import learning_curve
from guiapp.core.evaluation.shuffle_control import label_shuffle_control
from guiapp.core.evaluation.verdict import assess_before_training
from guiapp.core.models.baselines import fit_baselines
from guiapp.core.privacy.membership import membership_inference_audit
from guiapp.core.study.findings import Findings


def weights_hash(study) -> str:
    return hashlib.sha256(study.path(study.train.weights).read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def cnn_study(tmp_path_factory):
    """120 DNA records whose label shows in their G/C content (and a GATA motif), 3 epochs."""
    study = trained_grid_study(
        tmp_path_factory.mktemp("cnn1d"), "cnn1d", n=120, epochs=3, learning_rate=0.01, gc_rich=True
    )
    study.baselines.models, study.baselines.budget_trials = ["logistic_regression"], 0
    fit_baselines(study)
    assess_before_training(study)  # the caller records the verdict
    return study


def test_the_controls_retrain_a_1d_cnn(cnn_study, monkeypatch):
    from guiapp.core.models import retrain

    built = []
    fit = retrain.fit_network
    monkeypatch.setattr(retrain, "fit_network", lambda *a, **k: built.append(fit(*a, **k)) or built[-1])
    label_shuffle_control(cnn_study, repeats=1, epochs=1)
    assert built and all(any(type(m).__name__ == "Conv1d" for m in net.modules()) for net in built)


def test_the_shuffle_control_passes_a_1d_cnn_that_learned(cnn_study):
    before = weights_hash(cnn_study)
    result = label_shuffle_control(cnn_study, repeats=2)
    assert result["metric"] == "roc_auc" and result["real"] > 0.85
    assert not result["flagged"], result
    assert result["real_ci"][0] > max(result["shuffled_tune"]) and len(result["shuffled_train"]) == 2
    assert "label-shuffle-not-beaten" not in cnn_study.finding_codes()
    assert weights_hash(cnn_study) == before and cnn_study.split.test_uses == 0


def test_the_shuffle_control_flags_a_1d_cnn_trained_on_noise(tmp_path):
    study = trained_grid_study(tmp_path, "cnn1d", n=60, epochs=2, motif=False)
    result = label_shuffle_control(study, repeats=2)
    assert result["flagged"] and "label-shuffle-not-beaten" in study.finding_codes()


def test_the_learning_curve_of_a_1d_cnn_against_the_baseline(cnn_study):
    result = learning_curve(cnn_study, (0.5, 1.0))
    n_train = len(cnn_study.split.train_idx)
    assert result["n_train"][0] < result["n_train"][1] == n_train
    assert result["baseline"]["name"] == "logistic_regression"
    for scores in (result["network"]["train"], result["network"]["tune"], result["baseline"]["tune"]):
        assert len(scores) == 2 and all(0.0 <= s <= 1.0 for s in scores)
    assert result["network"]["tune"][-1] > 0.8 and result["reading"]
    assert cnn_study.overfitting.learning_curve == result and cnn_study.split.test_uses == 0


def test_the_membership_audit_attacks_the_1d_cnn_its_dp_copy_and_the_knn(cnn_study):
    from guiapp.core.privacy.dp import train_with_dp

    train_with_dp(cnn_study, 4.0, epochs=1)
    audit = membership_inference_audit(cnn_study, n_boot=20)
    assert set(audit["models"]) == {"network", "dp_network", "knn"}
    n = min(len(cnn_study.split.train_idx), len(cnn_study.split.tune_idx))
    assert audit["n_per_side"] == n and audit["knn_file"]
    for name, r in audit["models"].items():
        assert 0.0 <= r["auc"] <= 1.0 and np.isfinite(r["tpr_at_low_fpr"]), name
        assert isinstance(r["warn"], bool) and r["auc_ci"][0] <= r["auc"] <= r["auc_ci"][1]
    leaks = [f for f in cnn_study.findings if f.code == Findings.membership_leak.code]
    assert len(leaks) == sum(r["warn"] for r in audit["models"].values())
