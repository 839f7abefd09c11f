"""Exploring a table (one column's distribution, two columns against each other) and the plain
summaries of expert metrics (batch mixing light, privacy risk): pure functions, no Qt."""

from __future__ import annotations

import numpy as np
import pandas as pd

from guiapp.core.data.exploration import column_distribution, scatter_points
from guiapp.core.guidance.plain_summaries import batch_mixing, privacy_risk


def test_distribution_and_scatter_are_computed_from_the_table():
    table = pd.DataFrame({"x": np.arange(100.0), "y": np.arange(100.0) * 2, "g": ["a", "b"] * 50})
    table.loc[0, "x"] = np.nan
    hist = column_distribution(table, "x", bins=10)
    assert hist["kind"] == "numeric" and sum(hist["counts"]) == 99 and hist["missing"] == 1
    assert column_distribution(table, "g")["counts"] == [50, 50]
    points = scatter_points(table, "x", "y", "g", max_points=40)
    assert points["n"] == 40 and points["n_rows"] == 99 and points["skipped"] == 1
    assert np.allclose(points["xy"][:, 1], 2 * points["xy"][:, 0])


def test_batch_mixing_is_the_worst_light_and_privacy_risk_follows_the_warning_lines():
    assert batch_mixing(["green", None, "amber", "green"])[0] == "amber"
    assert batch_mixing([None])[0] is None
    quiet = {"auc": 0.51, "tpr_at_low_fpr": 0.01, "warn": False}
    assert privacy_risk({"models": {"network": quiet}})[0] == "low"
    assert privacy_risk({"models": {"network": quiet, "knn": dict(quiet, auc=0.58)}})[0] == "medium"
    assert privacy_risk({"models": {"network": dict(quiet, auc=0.7, warn=True)}})[0] == "high"
    assert privacy_risk({})[0] is None
