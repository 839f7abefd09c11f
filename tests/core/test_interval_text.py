"""A flat interval (a constant predictor scores the same on every resample) is never printed as
"0.500–0.500": the value, and why there is no spread, on the pages, in sentences and in the card."""

from __future__ import annotations

import numpy as np

from guiapp.core.export.card_values import MetricValue
from guiapp.core.stats.interval_text import (
    ci_cell,
    ci_clause,
    difference_cell,
    interval_range,
    is_flat,
    value_cell,
    value_with_ci,
)
from guiapp.core.stats.metrics import format_metric
from guiapp.core.stats.panel import metric_panel
from guiapp.core.study.model import Study


def constant_panel() -> dict:
    """The majority baseline's panel: one class predicted, with the same probability, for every sample."""
    y = np.array([0, 1] * 20)
    output = np.column_stack([np.full(40, 0.6), np.full(40, 0.4)])
    return metric_panel("classification", y, output, n_boot=50, details=False)


def test_a_constant_predictors_panel_is_formatted_without_a_collapsed_interval():
    panel = constant_panel()
    assert is_flat(panel["balanced_accuracy_ci"]) and is_flat(panel["roc_auc_ci"])
    assert format_metric("balanced_accuracy", panel) == "0.500 (constant)"
    assert format_metric("roc_auc", panel) == "0.500 (constant)"
    assert format_metric("pr_auc", panel).startswith("0.500 (95% CI 0.")  # a spread interval is untouched


def test_a_flat_interval_in_a_sentence_says_why_there_is_no_spread():
    assert (
        value_with_ci(0.5, [0.5, 0.5], model="majority")
        == "0.500 (no spread: the majority baseline predicts one class for every sample)"
    )
    assert ci_clause([0.5, 0.5]) == " (no spread: every bootstrap resample gave the same score)"
    assert ci_clause([0.4, 0.6]) == " (95% CI 0.400–0.600)"
    assert ci_clause(None) == "" and ci_clause([None, 0.5]) == "" and value_with_ci(None, None) == "—"


def test_cells_and_ranges():
    assert value_cell(0.731, [0.65, 0.802]) == "0.731 (95% CI 0.650–0.802)"
    assert ci_cell([0.5, 0.5], brackets=True) == "none (constant)"
    assert ci_cell([0.381, 0.619], brackets=True) == "[0.381, 0.619]"
    assert ci_cell(None) == ""
    assert difference_cell(0.0, [0.0, 0.0]) == "+0.000 (constant)"
    assert difference_cell(0.01, [-0.02, 0.04]) == "+0.010 (-0.020 to +0.040)"
    # narrower than the printed digits but not empty: more digits, so the ends still differ
    assert interval_range([0.50012, 0.50041]) == "0.5001–0.5004"
    assert interval_range([0.0001, 0.0004], signed=True) == "+0.0001 to +0.0004"


def test_the_card_values_of_a_flat_interval():
    m = MetricValue("balanced_accuracy", 0.5, (0.5, 0.5))
    assert m.ci_text == "none (constant)" and m.with_ci == "0.500 (constant)"
    assert m.ci_clause == " (no spread: every bootstrap resample gave the same score)"
    spread = MetricValue("roc_auc", 0.8, (0.7, 0.9))
    assert spread.ci_text == "[0.700, 0.900]" and spread.ci_clause == " (95% CI [0.700, 0.900])"


def test_model_card_and_report_print_no_collapsed_interval():
    from guiapp.core.export.model_card import render_model_card
    from guiapp.core.export.report import render_report

    study = Study()
    study.evaluation.tune_metrics = constant_panel()
    study.baselines.results = [{"name": "majority", "tune_metrics": constant_panel()}]
    card = render_model_card(study, weights_shared=False, weights_reason="not shared", privacy=[])
    assert "0.500–0.500" not in card and "[0.500, 0.500]" not in card
    assert "**ROC AUC = 0.500** (no spread: every bootstrap resample gave the same score)." in card
    assert "| balanced accuracy | 0.500 | none (constant) |" in card
    report = render_report(study)
    assert "0.500–0.500" not in report
    assert "Balanced accuracy: 0.500 (no spread: every bootstrap resample gave the same score)" in report
    assert '<span class="ci">none (constant)</span>' in report  # the network-and-baselines table
    assert "No spread: every bootstrap resample gave the same score" in report  # the headline box
