"""A bootstrap interval that collapses ("1.000–1.000") is replaced by an exact one, and says why."""

from __future__ import annotations

import numpy as np
import pytest

from guiapp.core.stats.exact_intervals import clopper_pearson
from guiapp.core.stats.panel import metric_panel


def perfect_binary(n=36):
    y = np.array([0, 1] * (n // 2))
    output = np.stack([1.0 - y, y.astype(float)], axis=1) * 0.8 + 0.1  # right and confident
    return y, output


def test_clopper_pearson_matches_the_closed_forms():
    # k = n: the lower bound is (alpha/2)^(1/n); k = 0: the upper bound is 1 - (alpha/2)^(1/n)
    assert clopper_pearson(36, 36) == pytest.approx((0.025 ** (1 / 36), 1.0))
    assert clopper_pearson(0, 20) == pytest.approx((0.0, 1 - 0.025 ** (1 / 20)))
    low, high = clopper_pearson(5, 10)  # the textbook value, 0.187–0.813
    assert low == pytest.approx(0.1871, abs=1e-4) and high == pytest.approx(0.8129, abs=1e-4)


def test_a_perfect_test_set_gets_no_collapsed_interval():
    y, output = perfect_binary(36)
    panel = metric_panel("classification", y, output, n_boot=200, details=False)
    names = [k[:-3] for k in panel if k.endswith("_ci")]
    assert {"roc_auc", "balanced_accuracy", "sensitivity", "specificity"} <= set(names)
    for name in names:
        if panel[name] != pytest.approx(1.0):
            continue  # e.g. a calibration error, lower is better
        low, high = panel[f"{name}_ci"]
        assert low < high, (name, panel[f"{name}_ci"])
    assert panel["sensitivity_ci"] == pytest.approx([0.025 ** (1 / 18), 1.0])  # 18 positives
    assert panel["roc_auc_ci"] == pytest.approx([1 - 3 / 36, 1.0])
    notes = panel["ci_notes"]
    assert notes["roc_auc"].startswith(
        "all 200 bootstrap resamples were perfect; the rule of three bounds the error rate at 3/36"
    )
    assert "Clopper–Pearson interval for 18 of 18 positive samples" in notes["sensitivity"]


def test_an_ordinary_interval_is_left_as_the_bootstrap_gave_it():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 80)
    p = np.clip(0.3 * y + rng.uniform(0, 0.7, 80), 0, 1)
    panel = metric_panel("classification", y, np.stack([1 - p, p], axis=1), n_boot=200, details=False)
    assert "ci_notes" not in panel
    assert panel["roc_auc_ci"][0] < panel["roc_auc"] < panel["roc_auc_ci"][1] + 1e-9
