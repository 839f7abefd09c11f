"""Overfitting check, tune evaluation, the one-time test evaluation, and interpretation."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from guiapp.core.evaluation import overfitting
from guiapp.core.evaluation.overfitting import GAP_WARN, overfitting_check
from guiapp.core.evaluation.sealed_test import finalize_test_evaluation
from guiapp.core.evaluation.sealed_test import test_predictions as predictions_on_test
from guiapp.core.evaluation.tune_evaluation import evaluate_on_tune
from guiapp.core.guidance.checklist import evaluate_checklist
from guiapp.core.interpretation.interpret import permutation_importance
from guiapp.core.models.network import predict
from guiapp.core.split.draw import sealed_test_rows, split_study, train_tune_arrays
from guiapp.core.study.errors import TenfoldError


def checklist_status(study, item_id: str) -> str:
    return next(i for i in evaluate_checklist(study) if i["id"] == item_id)["status"]


# ----- overfitting -------------------------------------------------------------------------


def test_overfitting_check_records_train_tune_and_gap(trained_study):
    result = overfitting_check(trained_study)
    X_tr, y_tr, X_tu, y_tu = train_tune_arrays(trained_study)
    train = roc_auc_score(y_tr, predict(trained_study, X_tr)[:, 1])
    tune = roc_auc_score(y_tu, predict(trained_study, X_tu)[:, 1])
    o = trained_study.overfitting
    assert (o.metric, o.train_score, o.tune_score) == ("roc_auc", pytest.approx(train), pytest.approx(tune))
    assert o.gap == pytest.approx(train - tune) == pytest.approx(result["gap"])
    assert ("overfitting-gap" in trained_study.finding_codes()) == (o.gap > GAP_WARN)
    assert o.reading


def test_a_large_gap_raises_the_overfitting_finding(trained_study, monkeypatch):
    n_train = len(trained_study.split.train_idx)
    monkeypatch.setattr(overfitting, "score", lambda metric, y, out: 1.0 if len(y) == n_train else 0.7)
    overfitting_check(trained_study)
    assert trained_study.overfitting.gap == pytest.approx(0.3)
    assert "overfitting-gap" in trained_study.finding_codes()
    assert "memorises" in trained_study.overfitting.reading
    monkeypatch.setattr(overfitting, "score", lambda metric, y, out: 0.8)
    overfitting_check(trained_study)
    assert "overfitting-gap" not in trained_study.finding_codes()


def test_steps_after_training_refuse_an_untrained_study(tiny_study):
    for step in (overfitting_check, evaluate_on_tune, finalize_test_evaluation, permutation_importance):
        with pytest.raises(TenfoldError, match="Train the network"):
            step(tiny_study)


# ----- tune evaluation ------------------------------------------------------------------------


def test_evaluate_on_tune_records_metrics_with_intervals(trained_study):
    panel = evaluate_on_tune(trained_study)
    _, _, X_tu, y_tu = train_tune_arrays(trained_study)
    assert trained_study.evaluation.tune_metrics == panel
    assert panel["n"] == len(y_tu) == 40
    assert panel["roc_auc"] == pytest.approx(roc_auc_score(y_tu, predict(trained_study, X_tu)[:, 1]))
    low, high = panel["roc_auc_ci"]
    assert low <= panel["roc_auc"] <= high
    assert trained_study.split.test_uses == 0  # the tune evaluation never touches the test set


def test_the_network_is_compared_with_the_best_baseline(trained_study):
    panel = evaluate_on_tune(trained_study)
    baseline = trained_study.baselines.best("roc_auc")["tune_metrics"]["roc_auc"]
    assert ("network-not-better-than-baseline" in trained_study.finding_codes()) == (panel["roc_auc"] <= baseline)
    trained_study.baselines.results[0]["tune_metrics"]["roc_auc"] = 1.0  # an unbeatable baseline
    evaluate_on_tune(trained_study)
    finding = next(f for f in trained_study.findings if f.code == "network-not-better-than-baseline")
    assert finding.values["baseline"] == "logistic_regression"
    assert "baseline, Logistic regression (L2) (" in finding.message  # the name the tables show


def test_a_missed_target_is_raised(trained_study):
    trained_study.question.target_metric, trained_study.question.target_value = "roc_auc", 1.01
    evaluate_on_tune(trained_study)
    finding = next(f for f in trained_study.findings if f.code == "below-target-metric")
    assert finding.values["split"] == "tune"
    trained_study.question.target_value = 0.0
    evaluate_on_tune(trained_study)
    assert "below-target-metric" not in trained_study.finding_codes()


# ----- the sealed test set ----------------------------------------------------------------------


def test_the_final_evaluation_opens_the_test_set_once(trained_study):
    with pytest.raises(TenfoldError):
        sealed_test_rows(trained_study)  # sealed until the final evaluation
    panel = finalize_test_evaluation(trained_study)
    s, e = trained_study.split, trained_study.evaluation
    assert s.test_uses == 1 and s.unseal_reasons == []
    X_te, y_te = sealed_test_rows(trained_study, finalising=True)
    assert panel["n"] == len(y_te) == 40
    assert panel["roc_auc"] == pytest.approx(roc_auc_score(y_te, predict(trained_study, X_te)[:, 1]))
    assert e.test_metrics == panel and e.test_evaluated_at
    assert set(e.baseline_test_metrics) == {"logistic_regression"}
    assert e.baseline_test_metrics["logistic_regression"]["n"] == 40
    assert checklist_status(trained_study, "test-used-once") == "done"
    assert "test-set-reused" not in trained_study.finding_codes()


def test_a_second_look_needs_a_reason_and_is_flagged(trained_study):
    finalize_test_evaluation(trained_study)
    with pytest.raises(TenfoldError, match="already been used once"):
        finalize_test_evaluation(trained_study)
    with pytest.raises(TenfoldError, match="give a reason"):
        finalize_test_evaluation(trained_study, unseal_reason="   ")
    assert trained_study.split.test_uses == 1

    finalize_test_evaluation(trained_study, unseal_reason="Reviewer 2 asked for the new metric")
    s = trained_study.split
    assert s.test_uses == 2
    assert s.unseal_reasons == ["Reviewer 2 asked for the new metric"]
    finding = next(f for f in trained_study.findings if f.code == "test-set-reused")
    assert finding.values == {"uses": 2, "reason": "Reviewer 2 asked for the new metric"}
    item = next(i for i in evaluate_checklist(trained_study) if i["id"] == "test-used-once")
    assert item["status"] == "violated"
    assert "Reviewer 2 asked" in item["evidence"]


def test_a_read_cut_short_counts_as_a_use_and_is_finished_as_that_use(trained_study, monkeypatch):
    """The use is saved before the data are read: a kill during the read leaves it on disk."""
    from guiapp.core.data import attach as data
    from guiapp.core.split import draw as split
    from guiapp.core.study.model import Study

    on_disk = {}
    real_rows = split.sealed_test_rows

    def killed_while_reading(study, **kw):
        on_disk["split"] = Study.open(trained_study.folder).split  # what a kill here would leave
        raise KeyboardInterrupt  # the process dies while the test rows are read

    monkeypatch.setattr(split, "sealed_test_rows", killed_while_reading)
    with pytest.raises(KeyboardInterrupt):
        finalize_test_evaluation(trained_study)
    assert on_disk["split"].test_uses == 1 and on_disk["split"].test_read_pending
    assert trained_study.evaluation.test_metrics in ({}, None)  # no score was stored or shown

    monkeypatch.setattr(split, "sealed_test_rows", real_rows)
    reopened = Study.open(trained_study.folder)
    data.reload_table(reopened)
    panel = finalize_test_evaluation(reopened)  # no reason asked: it is the same, first use
    s = reopened.split
    assert s.test_uses == 1 and not s.test_read_pending and s.unseal_reasons == []
    assert panel == reopened.evaluation.test_metrics and panel["n"] == 40
    assert "test-set-reused" not in reopened.finding_codes()
    assert not Study.open(trained_study.folder).split.test_read_pending  # stored before returning
    with pytest.raises(TenfoldError, match="already been used once"):
        finalize_test_evaluation(reopened)  # a later look is a second use, as always


def test_the_reuse_finding_survives_a_later_tune_evaluation(trained_study):
    finalize_test_evaluation(trained_study)
    finalize_test_evaluation(trained_study, unseal_reason="checking a bug fix")
    evaluate_on_tune(trained_study)
    assert "test-set-reused" in trained_study.finding_codes()


def test_the_split_cannot_be_redrawn_after_the_final_evaluation(trained_study):
    test_before = list(trained_study.split.test_idx)
    finalize_test_evaluation(trained_study)
    trained_study.split.seed = 99
    with pytest.raises(TenfoldError, match="already been used"):
        split_study(trained_study)
    assert trained_study.split.test_idx == test_before


def test_test_predictions_only_after_the_final_evaluation(trained_study):
    assert predictions_on_test(trained_study) is None
    finalize_test_evaluation(trained_study)
    frame = predictions_on_test(trained_study)
    assert frame["row"].tolist() == trained_study.split.test_idx
    assert {"predicted", "p_control", "p_treated", "condition"} <= set(frame.columns)
    assert not set(trained_study.data.feature_columns) & set(frame.columns)
    np.testing.assert_allclose(frame["p_control"] + frame["p_treated"], 1.0, atol=1e-5)


# ----- interpretation -------------------------------------------------------------------------


def test_permutation_importance_is_sorted_and_recorded(trained_study):
    result = permutation_importance(trained_study, n_repeats=2, top=5)
    assert len(result) == 5
    means = [r["mean"] for r in result]
    assert means == sorted(means, reverse=True)
    assert {r["feature"] for r in result} <= set(trained_study.data.feature_columns)
    assert all(r["std"] >= 0 for r in result)
    assert trained_study.interpret.importances == result
    assert trained_study.interpret.metric == "roc_auc"


def test_permutation_importance_is_reproducible(trained_study):
    first = permutation_importance(trained_study, n_repeats=1, top=20)
    assert len(first) == len(trained_study.data.feature_columns)
    assert permutation_importance(trained_study, n_repeats=1, top=20) == first
