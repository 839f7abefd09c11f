"""The metric panel's additions (Tips 7 and 9): MCC, F1, sensitivity and specificity at the
chosen threshold, Brier score, calibration, Pearson and Spearman, the curves behind them, and
bootstrap intervals that cover the truth at about their nominal rate."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sklearn import metrics as sk

from guiapp.core.stats.bootstrap import bootstrap_intervals, resample_weights, resampled_scores
from guiapp.core.stats.metrics import (
    CLASSIFICATION_METRICS,
    REGRESSION_METRICS,
    fast_scores,
    panel_metric_names,
    predicted_classes,
    score,
)
from guiapp.core.stats.panel import metric_panel


def probabilities(n, k, seed, rounded=False):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k)) + 1.2 * np.eye(k)[y]
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    if rounded:  # many tied scores
        p = np.round(p, 1) + 1e-9
        p /= p.sum(axis=1, keepdims=True)
    return y, p


@pytest.mark.parametrize("threshold", [0.5, 0.3])
def test_binary_threshold_metrics_equal_sklearn_at_the_chosen_threshold(threshold):
    y, p = probabilities(200, 2, seed=1)
    pred = (p[:, 1] > threshold).astype(int)
    tn, fp, fn, tp = sk.confusion_matrix(y, pred).ravel()
    panel = metric_panel("classification", y, p, n_boot=0, threshold=threshold)
    assert panel["mcc"] == pytest.approx(sk.matthews_corrcoef(y, pred))
    assert panel["f1"] == pytest.approx(sk.f1_score(y, pred))
    assert panel["sensitivity"] == pytest.approx(tp / (tp + fn))
    assert panel["specificity"] == pytest.approx(tn / (tn + fp))
    assert panel["balanced_accuracy"] == pytest.approx(sk.balanced_accuracy_score(y, pred))
    assert panel["brier"] == pytest.approx(sk.brier_score_loss(y, p[:, 1]))
    assert panel["details"]["confusion"] == [[tn, fp], [fn, tp]]
    assert panel["details"]["threshold"] == threshold


def test_a_lower_threshold_trades_specificity_for_sensitivity():
    y, p = probabilities(300, 2, seed=2)
    high = metric_panel("classification", y, p, n_boot=0, threshold=0.7)
    low = metric_panel("classification", y, p, n_boot=0, threshold=0.3)
    assert low["sensitivity"] > high["sensitivity"] and low["specificity"] < high["specificity"]
    assert low["roc_auc"] == high["roc_auc"]  # the ranking does not depend on the threshold


def test_multiclass_metrics_are_macro_one_vs_rest():
    y, p = probabilities(240, 3, seed=3)
    pred = p.argmax(axis=1)
    panel = metric_panel("classification", y, p, n_boot=0, classes=["a", "b", "c"])
    assert panel["f1"] == pytest.approx(sk.f1_score(y, pred, average="macro"))
    assert panel["mcc"] == pytest.approx(sk.matthews_corrcoef(y, pred))
    assert panel["sensitivity"] == pytest.approx(sk.recall_score(y, pred, average="macro"))
    mcm = sk.multilabel_confusion_matrix(y, pred)
    assert panel["specificity"] == pytest.approx(np.mean(mcm[:, 0, 0] / (mcm[:, 0, 0] + mcm[:, 0, 1])))
    assert panel["brier"] == pytest.approx(np.mean(np.sum((p - np.eye(3)[y]) ** 2, axis=1)))
    per_class = panel["details"]["per_class"]
    assert [r["class"] for r in per_class] == ["a", "b", "c"]
    for j, row in enumerate(per_class):
        assert row["roc_auc"] == pytest.approx(sk.roc_auc_score(y == j, p[:, j]), abs=1e-5)
        assert row["n"] == int((y == j).sum())
    assert len(panel["details"]["curves"]) == 3  # one-vs-rest curves


def test_regression_adds_pearson_spearman_and_residuals():
    rng = np.random.default_rng(4)
    y = rng.normal(size=120)
    pred = y + rng.normal(0, 0.7, 120)
    panel = metric_panel("regression", y, pred, n_boot=50)
    assert panel["pearson"] == pytest.approx(stats.pearsonr(y, pred)[0])
    assert panel["spearman"] == pytest.approx(stats.spearmanr(y, pred)[0])
    assert {"pearson_ci", "spearman_ci", "r2_ci", "rmse_ci", "mae_ci"} <= set(panel)
    res = panel["details"]["residuals"]
    np.testing.assert_allclose(res["residual"], np.round(y - pred, 5), atol=1e-5)


def test_calibration_error_and_reliability_diagram():
    rng = np.random.default_rng(5)
    p1 = rng.uniform(size=5000)
    y = (rng.uniform(size=5000) < p1).astype(int)  # perfectly calibrated
    out = np.c_[1 - p1, p1]
    good = metric_panel("classification", y, out, n_boot=0)
    bad = metric_panel("classification", y, np.c_[1 - p1**3, p1**3], n_boot=0)  # overconfident low
    assert good["ece"] < 0.03 < bad["ece"]
    rel = good["details"]["reliability"]
    assert sum(rel["count"]) == 5000 and len(rel["predicted"]) == 10
    np.testing.assert_allclose(rel["observed"], rel["predicted"], atol=0.05)


def test_curves_match_sklearn_and_carry_the_prevalence():
    y, p = probabilities(150, 2, seed=6)
    curves = metric_panel("classification", y, p, n_boot=0)["details"]["curves"]
    assert len(curves) == 1
    fpr, tpr, _ = sk.roc_curve(y, p[:, 1])
    assert sk.auc(curves[0]["roc"]["fpr"], curves[0]["roc"]["tpr"]) == pytest.approx(sk.auc(fpr, tpr), abs=1e-4)
    assert curves[0]["pr"]["prevalence"] == pytest.approx(y.mean(), abs=1e-5)


@pytest.mark.parametrize("k, threshold, rounded", [(2, 0.5, False), (2, 0.35, True), (3, 0.5, True)])
def test_fast_scores_equal_the_reference(k, threshold, rounded):
    names = CLASSIFICATION_METRICS + ("ece",)
    for n in (9, 80):
        y, p = probabilities(n, k, seed=n + k, rounded=rounded)
        fast = fast_scores(names, y, p, threshold)
        for name in names:
            assert fast[name] == pytest.approx(score(name, y, p, threshold), abs=1e-12, nan_ok=True), name


@pytest.mark.parametrize("k", [2, 3, None])
def test_all_resamples_at_once_equal_scoring_each_resample(k):
    """The vectorised bootstrap gives exactly the metric of the resampled rows."""
    rng = np.random.default_rng(7)
    if k is None:
        y = np.round(rng.normal(size=40), 1)
        out, names = y + np.round(rng.normal(size=40), 1), REGRESSION_METRICS
    else:
        y, out = probabilities(25, k, seed=8, rounded=True)
        names = CLASSIFICATION_METRICS + ("ece",)
    idx = rng.integers(0, len(y), (40, len(y)))
    W = np.stack([np.bincount(row, minlength=len(y)) for row in idx]).astype(float)
    together = resampled_scores(names, y, out, W, threshold=0.4)
    for b, row in enumerate(idx):
        one = fast_scores(names, y[row], out[row], 0.4)
        for name in names:
            assert together[name][b] == pytest.approx(one[name], abs=1e-9, nan_ok=True), (name, b)


def test_resample_weights_are_draws_with_replacement():
    W = resample_weights(30, 50, np.random.default_rng(0))
    assert W.shape == (50, 30) and (W.sum(axis=1) == 30).all() and (W >= 0).all()


def test_bootstrap_intervals_cover_the_true_value_at_about_their_nominal_rate():
    """200 simulated studies with a known ROC AUC (binormal scores): the 95% intervals
    should contain it about 95% of the time."""
    rng = np.random.default_rng(2024)
    d = 1.0
    true_auc = stats.norm.cdf(d / np.sqrt(2))
    covered = 0
    for i in range(200):
        y = rng.integers(0, 2, 150)
        s = rng.normal(size=150) + d * y
        low, high = bootstrap_intervals(("roc_auc",), y, np.c_[1 - s, s], n_boot=200, seed=i)["roc_auc"]
        covered += low <= true_auc <= high
    assert 0.88 <= covered / 200 <= 0.99


def test_regression_intervals_cover_the_true_error_too():
    rng = np.random.default_rng(11)
    true_mae = np.sqrt(2 / np.pi)  # mean |N(0, 1)|
    covered = 0
    for i in range(200):
        err = rng.normal(size=120)
        low, high = bootstrap_intervals(("mae",), err, np.zeros(120), n_boot=200, seed=i)["mae"]
        covered += low <= true_mae <= high
    assert 0.88 <= covered / 200 <= 0.99


def test_the_panel_can_be_asked_for_some_metrics_only():
    y, p = probabilities(60, 2, seed=9)
    panel = metric_panel("classification", y, p, n_boot=20, metrics=("mcc",), details=False)
    assert set(panel) == {"n", "mcc", "mcc_ci"}
    assert set(panel_metric_names("classification")) == set(CLASSIFICATION_METRICS) | {"ece"}


def test_ties_at_the_threshold_follow_the_most_probable_class():
    out = np.array([[0.5, 0.5], [0.4, 0.6], [0.7, 0.3]])
    assert predicted_classes(out).tolist() == np.argmax(out, axis=1).tolist() == [0, 1, 0]
