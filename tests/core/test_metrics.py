"""Metrics with bootstrap intervals (Tips 7 and 9), checked against scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    mean_absolute_error,
    mean_squared_error,
    r2_score,
    roc_auc_score,
)

from guiapp.core.stats.metrics import format_metric, score
from guiapp.core.stats.panel import metric_panel


def binary_case(n=150, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    p1 = np.clip(0.3 * y + rng.uniform(0, 0.7, n), 0, 1)
    return y, np.column_stack([1 - p1, p1])


def multiclass_case(n=180, k=3, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k)) + 1.5 * np.eye(k)[y]
    p = np.exp(logits)
    return y, p / p.sum(axis=1, keepdims=True)


def test_binary_panel_equals_sklearn():
    y, p = binary_case()
    panel = metric_panel("classification", y, p, n_boot=0)
    assert panel["n"] == len(y)
    assert panel["roc_auc"] == pytest.approx(roc_auc_score(y, p[:, 1]))
    assert panel["pr_auc"] == pytest.approx(average_precision_score(y, p[:, 1]))
    assert panel["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(y, p.argmax(axis=1)))


def test_multiclass_panel_equals_sklearn():
    y, p = multiclass_case()
    panel = metric_panel("classification", y, p, n_boot=0)
    assert panel["roc_auc"] == pytest.approx(roc_auc_score(y, p, multi_class="ovr", average="macro"))
    assert panel["pr_auc"] == pytest.approx(average_precision_score(y, p, average="macro"))
    assert panel["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(y, p.argmax(axis=1)))


def test_multiclass_with_a_class_absent_scores_the_present_ones():
    y, p = multiclass_case(k=3)
    keep = y != 2
    value = score("roc_auc", y[keep], p[keep])
    onehot = np.eye(3)[y[keep]][:, :2]
    assert value == pytest.approx(roc_auc_score(onehot, p[keep][:, :2], average="macro"))


def test_regression_panel_equals_sklearn():
    rng = np.random.default_rng(0)
    y = rng.normal(size=100)
    pred = y + rng.normal(0, 0.5, 100)
    panel = metric_panel("regression", y, pred, n_boot=50)
    assert panel["r2"] == pytest.approx(r2_score(y, pred))
    assert panel["rmse"] == pytest.approx(np.sqrt(mean_squared_error(y, pred)))
    assert panel["mae"] == pytest.approx(mean_absolute_error(y, pred))


@pytest.mark.parametrize("task, case", [("classification", binary_case), ("classification", multiclass_case)])
def test_intervals_bracket_the_point_estimate(task, case):
    y, p = case()
    panel = metric_panel(task, y, p, n_boot=100)
    for name in ("roc_auc", "pr_auc", "balanced_accuracy"):
        low, high = panel[f"{name}_ci"]
        assert low < panel[name] < high
        assert high - low < 0.5


def test_intervals_narrow_with_more_samples():
    small = metric_panel("classification", *binary_case(n=60), n_boot=50)
    large = metric_panel("classification", *binary_case(n=2000), n_boot=50)
    width = lambda panel: panel["roc_auc_ci"][1] - panel["roc_auc_ci"][0]  # noqa: E731
    assert width(large) < width(small) / 2


def test_the_bootstrap_is_seeded():
    y, p = binary_case()

    def panel(seed):
        return metric_panel("classification", y, p, n_boot=40, seed=seed)

    assert panel(3) == panel(3)
    assert panel(3) != panel(4)


def test_no_bootstrap_means_no_intervals():
    panel = metric_panel("classification", *binary_case(), n_boot=0)
    assert "roc_auc" in panel and not any(k.endswith("_ci") for k in panel)


@pytest.mark.filterwarnings("ignore:A single label was found")
def test_a_single_class_gives_nan_auc_and_no_interval():
    y = np.zeros(30, dtype=int)
    p = np.column_stack([np.full(30, 0.6), np.full(30, 0.4)])
    panel = metric_panel("classification", y, p, n_boot=20)
    assert np.isnan(panel["roc_auc"]) and "roc_auc_ci" not in panel
    assert panel["balanced_accuracy"] == 1.0


def test_format_metric():
    assert format_metric("roc_auc", {"roc_auc": 0.8766, "roc_auc_ci": [0.8, 0.9]}) == "0.877 (95% CI 0.800–0.900)"
    assert format_metric("roc_auc", {}) == "—"


@pytest.mark.parametrize("metric", ["roc_auc", "pr_auc", "balanced_accuracy"])
def test_fast_bootstrap_scores_equal_sklearn_including_ties(metric):
    from guiapp.core.stats.metrics import fast_score, score

    rng = np.random.default_rng(4)
    for n in (7, 40, 300):
        y = rng.integers(0, 2, n)
        p1 = np.round(rng.random(n), 1)  # rounded: many tied scores
        out = np.c_[1 - p1, p1]
        assert fast_score(metric, y, out) == pytest.approx(score(metric, y, out), abs=1e-12, nan_ok=True)


@pytest.mark.parametrize("metric", ["r2", "rmse", "mae"])
def test_fast_regression_scores_equal_sklearn(metric):
    from guiapp.core.stats.metrics import fast_score, score

    rng = np.random.default_rng(5)
    y = rng.normal(size=50)
    pred = y + rng.normal(scale=0.5, size=50)
    assert fast_score(metric, y, pred) == pytest.approx(score(metric, y, pred), abs=1e-12)
