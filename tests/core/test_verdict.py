"""Tip 1's verdict, "is deep learning warranted here?", and the paired bootstrap behind it."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import mean_squared_error, roc_auc_score

from guiapp.core.evaluation import verdict
from guiapp.core.evaluation.verdict import assess_before_training
from guiapp.core.evaluation.verdict_card import card_section
from guiapp.core.guidance.checklist import evaluate_checklist
from guiapp.core.models import baselines
from guiapp.core.stats.paired_bootstrap import paired_bootstrap
from guiapp.core.study.errors import TenfoldError


def status(study, item: str) -> str:
    return next(i["status"] for i in evaluate_checklist(study) if i["id"] == item)


def two_models(n=80, seed=1):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    good = np.clip(y * 0.6 + rng.normal(0.2, 0.25, n), 0, 1)
    weak = np.clip(y * 0.2 + rng.normal(0.4, 0.3, n), 0, 1)
    as_proba = lambda p: np.column_stack([1 - p, p])  # noqa: E731
    return y, as_proba(good), as_proba(weak)


def test_the_paired_bootstrap_matches_a_direct_computation():
    y, a, b = two_models()
    result = paired_bootstrap("roc_auc", y, a, b, n_boot=200, seed=7)
    rng = np.random.default_rng(7)
    diffs = []
    for _ in range(200):
        idx = rng.integers(0, len(y), len(y))
        if len(np.unique(y[idx])) == 2:
            diffs.append(roc_auc_score(y[idx], a[idx, 1]) - roc_auc_score(y[idx], b[idx, 1]))
    diffs = np.array(diffs)
    assert result["n_valid"] == len(diffs)
    assert result["difference"] == pytest.approx(roc_auc_score(y, a[:, 1]) - roc_auc_score(y, b[:, 1]))
    assert result["ci"] == pytest.approx(list(np.percentile(diffs, [2.5, 97.5])))
    assert result["p_value"] == pytest.approx(min(1.0, 2 * min(np.mean(diffs <= 0), np.mean(diffs >= 0))))
    assert result["ci"][0] > 0 and result["p_value"] < 0.05  # the good model is clearly better


def test_the_advantage_is_signed_so_positive_means_better_for_errors_too():
    rng = np.random.default_rng(0)
    y = rng.normal(size=60)
    close, far = y + rng.normal(0, 0.1, 60), y + rng.normal(0, 1.0, 60)
    result = paired_bootstrap("rmse", y, close, far, n_boot=200)
    expected = np.sqrt(mean_squared_error(y, far)) - np.sqrt(mean_squared_error(y, close))
    assert result["difference"] == pytest.approx(expected) and result["difference"] > 0
    same = paired_bootstrap("rmse", y, close, close, n_boot=50)
    assert same["difference"] == 0 and same["ci"] == [0, 0] and same["p_value"] == 1.0


def test_few_samples_per_class_make_the_verdict_warn(study_factory):
    study = study_factory(n_samples=120)  # about 60 per class
    study.baselines.models, study.baselines.budget_trials = ["logistic_regression"], 2
    baselines.fit_baselines(study)
    assess_before_training(study)  # the caller records the verdict
    v = study.verdict
    assert v.stage == "before training" and v.level == "doubtful"
    assert v.headline == "Is deep learning warranted here? Doubtful."
    smallest = min(study.data.class_counts.values())
    assert any(f"has only {smallest} samples" in r and "fewer than 100 per class" in r for r in v.reasons)
    assert any("best baseline, Logistic regression (L2) (tuned with 2 trials)" in r for r in v.reasons)
    assert "deep-learning-doubtful" in study.finding_codes()
    assert f"has only {smallest} samples" in verdict.verdict_text(study)
    # advice, not a block: going on needs a reason, which the study and the card keep
    assert status(study, "verdict-recorded") == "open"
    with pytest.raises(TenfoldError, match="why"):
        verdict.record_reason(study, "  ")
    verdict.record_reason(study, "A pilot for a larger cohort next year.")
    assert status(study, "verdict-recorded") == "done"
    card = card_section(study)
    assert card["verdict"]["proceed_reason"] == "A pilot for a larger cohort next year."
    assert card["models"][0]["trials"] == "2 of 2" and "C: log-uniform" in card["models"][0]["space"]
    # every trial goes into the card, not only the best one (Tip 6)
    search = study.baselines.results[0]["search"]
    trials = card["models"][0]["all_trials"]
    assert [t["number"] for t in trials] == [t["number"] for t in search["trials"]] == [0, 1]
    assert [t["best"] for t in trials] == [t["number"] == search["best_trial"] for t in search["trials"]]
    assert trials[0]["params"] == "C=1"  # the first trial is the usual default
    from guiapp.core.export.model_card import render_model_card

    text = render_model_card(study, weights_shared=False, weights_reason="not trained", privacy=[])
    assert "<summary>Every trial of Logistic regression (L2) (2)</summary>" in text
    assert "| 0" in text and "| C=1 |" in text


def test_enough_samples_leave_the_question_to_the_comparison(study_factory):
    study = study_factory(n_samples=600)
    study.baselines.models, study.baselines.budget_trials = ["logistic_regression"], 0  # defaults, no search
    baselines.fit_baselines(study)
    assess_before_training(study)  # the caller records the verdict
    assert study.verdict.level == "uncertain"  # a table: the comparison after training decides
    assert "deep-learning-doubtful" not in study.finding_codes()
    assert status(study, "verdict-recorded") == "done"


def test_after_training_the_network_is_tested_against_the_best_baseline(trained_study):
    comparison = verdict.compare_with_network(trained_study, n_boot=100)
    rows = {r["model"]: r for r in comparison["rows"]}
    assert set(rows) == {"network", "logistic_regression"}
    paired = comparison["paired"]
    assert paired["baseline"] == "logistic_regression" and paired["n"] == len(trained_study.split.tune_idx)
    assert paired["difference"] == pytest.approx(rows["network"]["value"] - rows["logistic_regression"]["value"])
    v = trained_study.verdict
    assert v.stage == "after training"
    assert v.level == ("warranted" if paired["ci"][0] > 0 else "not warranted")
    assert f"{paired['difference']:+.3f}" in v.reasons[0] and "paired bootstrap" in v.reasons[0]
    if v.level == "not warranted":
        assert "network-not-clearly-better" in trained_study.finding_codes()


def test_a_collapsed_paired_interval_is_not_written_as_an_interval(trained_study):
    """Network and baseline equal on every resample (both perfect): no "+0.000 to +0.000"."""
    comparison = verdict.compare_with_network(trained_study, n_boot=100)
    paired = comparison["paired"]
    paired["difference"], paired["ci"], paired["p_value"] = 0.0, [0.0, 0.0], 1.0
    verdict.assess_after_training(trained_study)
    sentence = trained_study.verdict.reasons[0]
    assert "+0.000 to +0.000" not in sentence
    assert "no spread to show: at least 95% of the paired bootstrap resamples" in sentence and "gave +0.000" in sentence
    assert trained_study.verdict.level == "not warranted"


def test_the_finding_agrees_with_the_verdict_on_a_collapsed_paired_interval(trained_study):
    """Both perfect on the tune split: the network-not-clearly-better finding says there is no
    spread, as the verdict does, rather than "95% CI +0.000 to +0.000"."""
    comparison = verdict.compare_with_network(trained_study, n_boot=100)
    paired = comparison["paired"]
    paired["difference"], paired["ci"], paired["p_value"] = 0.0, [0.0, 0.0], 1.0
    verdict.assess_after_training(trained_study)
    finding = next(f for f in trained_study.findings if f.code == "network-not-clearly-better")
    assert "+0.000 to +0.000" not in finding.message
    assert "no spread to show" in finding.message and "gave +0.000" in finding.message
    assert finding.values["low"] == 0.0 and finding.values["high"] == 0.0  # the numbers stay for scripts


def test_a_spread_paired_interval_reads_as_an_interval_in_verdict_and_finding(trained_study):
    comparison = verdict.compare_with_network(trained_study, n_boot=100)
    paired = comparison["paired"]
    paired["difference"], paired["ci"], paired["p_value"] = 0.01, [-0.02, 0.04], 0.4
    verdict.assess_after_training(trained_study)
    finding = next(f for f in trained_study.findings if f.code == "network-not-clearly-better")
    assert "95% CI -0.020 to +0.040; paired bootstrap" in finding.message
    assert "95% CI -0.020 to +0.040; paired bootstrap over" in trained_study.verdict.reasons[0]


def test_a_constant_baseline_is_written_without_an_interval_in_the_verdict(trained_study):
    """The majority baseline's flat interval: its value, and why there is no spread."""
    comparison = verdict.compare_with_network(trained_study, n_boot=100)
    paired = comparison["paired"]
    rows = {r["model"]: r for r in comparison["rows"]}
    paired["baseline"] = "majority"
    rows["logistic_regression"]["model"] = "majority"
    rows["logistic_regression"]["value"], rows["logistic_regression"]["ci"] = 0.5, [0.5, 0.5]
    verdict.assess_after_training(trained_study)
    sentence = trained_study.verdict.reasons[0]
    assert "0.500–0.500" not in sentence
    assert "0.500 (no spread: the majority baseline predicts one class for every sample)" in sentence
