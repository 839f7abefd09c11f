"""Over-interpretation guards, imbalance, subgroups, the scoreboard and the sealed test set
(Tips 4, 7, 9 and 10)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import balanced_accuracy_score, roc_auc_score

from guiapp.core.data import attach as data
from guiapp.core.data import demo
from guiapp.core.evaluation.criterion_status import MET, NOT_MET, UNKNOWN
from guiapp.core.evaluation.guards import CAUSATION, guard_texts, label_proxy_scan, near_perfect_findings
from guiapp.core.evaluation.scoreboard import scoreboard
from guiapp.core.evaluation.sealed_test import finalize_test_evaluation
from guiapp.core.evaluation.sealed_test import test_predictions as predictions_on_test
from guiapp.core.evaluation.subgroups import GAP_FLAG, group_labels, group_metrics
from guiapp.core.evaluation.tune_evaluation import evaluate_on_tune, minority_findings, set_threshold
from guiapp.core.evaluation.verdict import assess_before_training
from guiapp.core.guidance.checklist import evaluate_checklist
from guiapp.core.models.baselines import fit_baselines
from guiapp.core.models.network import predict
from guiapp.core.models.train import train_network
from guiapp.core.split import draw as split
from guiapp.core.split.draw import train_tune_arrays
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.findings import Findings
from guiapp.core.study.model import Study


def status(study, item_id):
    return next(i for i in evaluate_checklist(study) if i["id"] == item_id)["status"]


def study_from_table(
    tmp_path, table: pd.DataFrame, *, label="condition", batch="batch", train=True, quick_training=None
) -> Study:
    path = tmp_path / "table.csv"
    table.to_csv(path, index=False)
    study = Study()
    study.save(tmp_path / "study")
    data.attach_data(
        study, data.AttachRequest(path, label=label, batch=batch, identifiers=["sample_id"], sensitive=False)
    )
    split.split_study(study)
    study.baselines.models, study.baselines.budget_trials = ["logistic_regression"], 0
    fit_baselines(study)
    assess_before_training(study)  # the caller records the verdict
    if train:
        quick_training(study)
        train_network(study)
    return study


# ----- one feature that gives the label away ----------------------------------------------------


def test_a_planted_label_proxy_is_flagged(tmp_path, quick_training):
    d = demo.simulated_expression(n_samples=200, n_genes=20, n_informative=5, effect_size=1.0)
    table = d.table.copy()
    rng = np.random.default_rng(0)
    # e.g. a "days in hospital" column recorded after the diagnosis
    table.insert(3, "LEAKED", (table["condition"] == "treated") * 5.0 + rng.normal(0, 0.5, len(table)))
    study = study_from_table(tmp_path, table, quick_training=quick_training)
    evaluate_on_tune(study)
    finding = next(f for f in study.findings if f.code == Findings.label_proxy.code)
    assert finding.values["feature"] == "LEAKED" and finding.values["value"] >= 0.95
    assert finding.step == "evaluate"
    assert any("LEAKED" in t for t in guard_texts(study))


def test_ordinary_informative_genes_are_not_called_proxies(trained_study):
    assert label_proxy_scan(trained_study) == []
    evaluate_on_tune(trained_study)
    assert Findings.label_proxy.code not in trained_study.finding_codes()


def test_a_reversed_proxy_and_a_regression_proxy_are_found_too(regression_study):
    X_tr, y_tr, X_tu, y_tu = train_tune_arrays(regression_study)
    X_tr, X_tu = X_tr.copy(), X_tu.copy()
    X_tr[:, 4], X_tu[:, 4] = -y_tr, -y_tu  # a feature that is the negated target
    found = label_proxy_scan(regression_study, X_tr, y_tr, X_tu, y_tu)
    assert found and found[0].values["feature"] == regression_study.data.feature_columns[4]
    assert found[0].values["measure"] == "Spearman ρ"


# ----- near-perfect scores on few samples, imbalance ---------------------------------------------


def test_near_perfect_on_a_small_study_is_a_warning(trained_study):
    assert near_perfect_findings(trained_study, {"roc_auc": 0.995, "n": 40}, "tune")
    assert not near_perfect_findings(trained_study, {"roc_auc": 0.93, "n": 40}, "tune")
    trained_study.data.n_samples = 50_000
    assert not near_perfect_findings(trained_study, {"roc_auc": 0.995, "n": 10_000}, "tune")


def test_a_rare_minority_class_says_lead_with_pr_auc():
    study = Study()
    study.data.class_counts = {"healthy": 950, "disease": 50}
    (finding,) = minority_findings(study)
    assert finding.code == "rare-minority-class" and "PR AUC" in finding.message and "5.0%" in finding.message
    study.data.class_counts = {"healthy": 800, "disease": 200}
    assert minority_findings(study) == []


# ----- per batch and per subgroup ----------------------------------------------------------------


def test_subgroup_metrics_match_a_direct_computation():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 300)
    p1 = np.clip(0.35 * y + rng.uniform(0, 0.65, 300), 0, 1)
    out = np.c_[1 - p1, p1]
    site = rng.choice(["Leeds", "Oslo", "Lyon"], 300)
    result = group_metrics("classification", y, out, site, factor="site", metric="roc_auc", n_boot=50)
    assert [g["group"] for g in result["groups"]] == ["Leeds", "Lyon", "Oslo"]
    for g in result["groups"]:
        mask = site == g["group"]
        assert g["n"] == mask.sum()
        assert g["metrics"]["roc_auc"] == pytest.approx(roc_auc_score(y[mask], p1[mask]))
        assert g["metrics"]["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(y[mask], p1[mask] > 0.5))
        low, high = g["metrics"]["roc_auc_ci"]
        assert low <= g["metrics"]["roc_auc"] <= high
    assert result["overall"] == pytest.approx(roc_auc_score(y, p1))


def test_a_group_the_model_fails_is_flagged_and_a_noisy_one_is_not():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 400)
    p1 = np.clip(0.6 * y + rng.uniform(0, 0.4, 400), 0, 1)
    site = np.array(["A"] * 200 + ["B"] * 180 + ["C"] * 20)
    p1[200:380] = rng.uniform(size=180)  # the model knows nothing at hospital B
    result = group_metrics("classification", y, np.c_[1 - p1, p1], site, factor="site", metric="roc_auc", n_boot=100)
    flags = {g["group"]: g["flagged"] for g in result["groups"]}
    assert flags == {"A": False, "B": True, "C": False}
    b = next(g for g in result["groups"] if g["group"] == "B")
    assert b["gap"] > GAP_FLAG


def test_tune_evaluation_reports_batches_and_chosen_subgroups(tmp_path, quick_training):
    d = demo.simulated_expression(n_samples=200, n_genes=20, n_informative=5, effect_size=1.5)
    table = d.table.copy()
    table["sex"] = np.where(np.arange(len(table)) % 2, "F", "M")
    table["age"] = np.random.default_rng(3).uniform(20, 80, len(table)).round(1)
    study = study_from_table(tmp_path, table, quick_training=quick_training)
    assert status(study, "subgroup-results") == "open"
    study.data.subgroups = ["sex", "age"]
    panel = evaluate_on_tune(study)
    factors = [r["factor"] for r in study.evaluation.tune_groups]
    assert factors == ["batch", "sex", "age"]
    sex = study.evaluation.tune_groups[1]
    _, _, X_tu, y_tu = train_tune_arrays(study)
    out = predict(study, X_tu)
    sexes = table["sex"].to_numpy()[study.split.tune_idx]
    for g in sex["groups"]:
        mask = sexes == g["group"]
        assert g["metrics"]["roc_auc"] == pytest.approx(roc_auc_score(y_tu[mask], out[mask, 1]))
    assert sex["overall"] == panel["roc_auc"]
    assert len(study.evaluation.tune_groups[2]["groups"]) == 4  # age in quartile bands
    assert status(study, "subgroup-results") == "done"
    study.data.subgroups = ["no_such_column"]
    with pytest.raises(TenfoldError, match="no_such_column"):
        evaluate_on_tune(study)


def test_numeric_columns_with_many_values_are_banded():
    labels = group_labels(pd.Series([float(v) for v in range(100)] + [np.nan]))
    assert len(set(labels)) == 5 and labels[-1] == "missing"


# ----- the success-criteria scoreboard ------------------------------------------------------------


def test_the_scoreboard_checks_each_budget_against_a_measurement(trained_study):
    q = trained_study.question
    q.target_metric, q.target_value = "roc_auc", 0.5
    q.max_parameters, q.max_latency_ms, q.max_training_minutes, q.max_calibration_error = 10, 1000.0, 60.0, 0.5
    assert {r["criterion"]: r["status"] for r in scoreboard(trained_study)}["Inference latency"] == UNKNOWN
    evaluate_on_tune(trained_study)
    board = {r["criterion"]: r for r in scoreboard(trained_study)}
    assert board["Target metric"]["status"] == MET and "tune split" in board["Target metric"]["measured"]
    assert board["Model size"]["status"] == NOT_MET  # 10 parameters is far too few
    measured = trained_study.evaluation.measured
    assert measured["n_params"] == trained_study.architecture.n_params
    assert measured["latency_ms"] > 0 and board["Inference latency"]["status"] == MET
    assert board["Training time"]["status"] == MET and board["Calibration"]["status"] == MET
    finding = next(f for f in trained_study.findings if f.code == "success-criterion-not-met")
    assert finding.values["criterion"] == "Model size"
    q.max_parameters = 10**9
    evaluate_on_tune(trained_study)
    assert "success-criterion-not-met" not in trained_study.finding_codes()
    finalize_test_evaluation(trained_study)
    assert "test set" in {r["criterion"]: r for r in scoreboard(trained_study)}["Target metric"]["measured"]


def test_no_criteria_no_rows():
    assert scoreboard(Study()) == []


# ----- threshold, the sealed test set, predictions ---------------------------------------------


def test_the_threshold_is_checked_and_used(trained_study):
    with pytest.raises(TenfoldError, match="between 0 and 1"):
        set_threshold(trained_study, 1.0)
    set_threshold(trained_study, 0.2)
    low = evaluate_on_tune(trained_study)
    set_threshold(trained_study, 0.8)
    high = evaluate_on_tune(trained_study)
    assert low["sensitivity"] >= high["sensitivity"] and low["details"]["threshold"] == 0.2


def test_a_second_look_at_the_test_set_is_recorded_in_card_checklist_and_findings(trained_study):
    from guiapp.core.export.model_card import render_model_card

    evaluate_on_tune(trained_study)
    finalize_test_evaluation(trained_study)
    with pytest.raises(TenfoldError, match="already been used once"):
        finalize_test_evaluation(trained_study)
    assert trained_study.split.test_uses == 1
    finalize_test_evaluation(trained_study, unseal_reason="Checked a fixed label file")
    assert trained_study.split.test_uses == 2
    assert status(trained_study, "test-used-once") == "violated"
    card = render_model_card(trained_study, weights_shared=False, weights_reason="test", privacy=[])
    assert "evaluated 2 times" in card and "Checked a fixed label file" in card
    # A later tune evaluation keeps the violation and the test-set groups.
    evaluate_on_tune(trained_study)
    assert "test-set-reused" in trained_study.finding_codes()


def test_predictions_are_keyed_by_the_sample_id_and_leave_out_other_identifiers_and_features(trained_study):
    trained_study.data.identifiers = ["sample_id", "batch"]
    finalize_test_evaluation(trained_study)
    frame = predictions_on_test(trained_study)
    assert list(frame.columns[:2]) == ["row", "sample_id"]  # a sample ID that is not personal keys the rows
    assert "batch" not in frame.columns  # another identifier does not leave
    assert not set(trained_study.data.feature_columns) & set(frame.columns)
    assert {"row", "predicted", "condition"} <= set(frame.columns)


# ----- the card and the report of a fully evaluated study ----------------------------------------


def test_card_and_report_carry_the_evaluation_instruments(trained_study, tmp_path):
    from guiapp.core.evaluation.learning_curve import learning_curve
    from guiapp.core.evaluation.overfitting import overfitting_check
    from guiapp.core.evaluation.shuffle_control import label_shuffle_control
    from guiapp.core.export.write import write_bundle
    from guiapp.core.interpretation.interpret import interpret_model

    trained_study.question.target_value, trained_study.question.max_parameters = 0.7, 100_000
    overfitting_check(trained_study)
    learning_curve(trained_study, fractions=(0.5, 1.0))
    label_shuffle_control(trained_study, repeats=2)
    evaluate_on_tune(trained_study)
    finalize_test_evaluation(trained_study)
    result = interpret_model(trained_study, n_repeats=1, top=5)
    assert result["agreement"]["k"] == 10 and result["guards"][-1] == CAUSATION
    write_bundle(trained_study, tmp_path / "out", predictions=predictions_on_test(trained_study))
    card = (tmp_path / "out" / "model_card.md").read_text(encoding="utf-8")
    for text in (
        "### Success criteria",
        "| Model size | ≤ 100,000 parameters",
        "### Label-shuffle control",
        "clearly above the shuffled runs",
        "### Learning curve",
        "## Interpretation",
        "### Over-interpretation guards",
        "Correlation is not causation",
        "95% CI",
        "Agreement with the linear baseline",
    ):
        assert text in card, text
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    for title in (
        "ROC curves on the sealed test set",
        "Precision–recall curves on the sealed test set",
        "Calibration (reliability diagram)",
        "Learning curve: score against training-set size",
    ):
        assert title in page, title
