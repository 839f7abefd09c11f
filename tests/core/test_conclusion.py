"""The study's answer in words after the sealed test, and the compact model × metric table."""

from __future__ import annotations

from guiapp.core.evaluation import conclusion
from guiapp.core.study.model import Study


def _study(network: float, logistic: float) -> Study:
    s = Study()
    s.question.task, s.question.target_metric, s.question.target_value = "classification", "balanced_accuracy", 0.9
    s.evaluation.test_metrics = {
        "balanced_accuracy": network,
        "balanced_accuracy_ci": [network - 0.05, min(network + 0.02, 1.0)],
        "roc_auc": 0.99,
        "roc_auc_ci": [0.97, 1.0],
    }
    s.evaluation.baseline_test_metrics = {
        "logistic_regression": {
            "balanced_accuracy": logistic,
            "balanced_accuracy_ci": [logistic - 0.04, 1.0],
            "roc_auc": 1.0,
        },
        "majority": {"balanced_accuracy": 0.333, "roc_auc": 0.5},
    }
    return s


def test_no_conclusion_before_the_sealed_test():
    s = _study(0.9, 0.9)
    s.evaluation.test_metrics = {}
    assert conclusion.conclusion(s) == ""


def test_baseline_wins_says_so_with_the_interval_and_what_to_do():
    text = conclusion.conclusion(_study(0.976, 1.0))
    assert text.startswith("The success criterion was met (Balanced accuracy ≥ 0.9)")
    assert (
        "0.976 (95% CI 0.926–0.996) and did not beat the best tuned baseline, Logistic regression (L2), "
        "at 1.000 (95% CI 0.960–1.000)" in text
    )
    assert "Next: prefer the simpler Logistic regression (L2)" in text
    assert "No warning or error stands" in text
    assert text.count(". ") <= 3  # two or three sentences


def test_network_wins_beyond_its_interval():
    text = conclusion.conclusion(_study(0.95, 0.80))
    assert "beating the best tuned baseline, Logistic regression (L2), at 0.800" in text
    assert "Next: confirm the result on an independent cohort" in text
    text = conclusion.conclusion(_study(0.95, 0.92))  # inside the network's interval
    assert "cannot tell them apart" in text


def test_criterion_not_met_is_said():
    text = conclusion.conclusion(_study(0.85, 0.80))
    assert text.startswith("The success criterion was not met: Balanced accuracy ≥ 0.9 (measured 0.850")


def test_table_marks_the_best_of_each_column():
    table = conclusion.baseline_table(_study(0.976, 1.0))
    assert [name for _, name in table["columns"]] == ["Balanced accuracy", "ROC AUC"]
    assert [r["model"] for r in table["rows"]] == [
        "Network",
        "Logistic regression (L2)",
        "Majority class (chance level)",
    ]
    assert table["rows"][1]["cells"] == [("1.000", True), ("1.000", True)]
    assert table["rows"][0]["cells"] == [("0.976", False), ("0.990", False)]
    assert "**1.000 ★**" in conclusion.table_markdown(table)


def test_split_table_has_every_model_down_and_every_scored_metric_across():
    from guiapp.core.evaluation import score_table

    s = _study(0.976, 1.0)
    s.evaluation.tune_metrics = {"roc_auc": 0.95, "roc_auc_ci": [0.9, 0.99], "brier": 0.08, "n": 40}
    s.baselines.results = [
        {"name": "logistic_regression", "tune_metrics": {"roc_auc": 0.97, "brier": 0.10}},
        {"name": "random_forest", "tune_metrics": {"roc_auc": 0.93, "brier": 0.07}},
    ]
    tune = score_table.split_table(s, "tune", ["brier"])
    assert [name for _, name in tune["columns"]] == ["Brier score", "ROC AUC"]  # the order asked, then the panel
    assert [r["model"] for r in tune["rows"]] == ["Network", "Logistic regression (L2)", "Random forest"]
    assert [r["cells"] for r in tune["rows"]] == [
        [("0.080", False), ("0.950", False)],
        [("0.100", False), ("0.970", True)],
        [("0.070", True), ("0.930", False)],  # the lowest Brier score is the best
    ]
    assert tune["rows"][0]["intervals"] == ["", "0.900–0.990"] and tune["n"] == 40
    test = score_table.split_table(s, "test")
    assert [k for k, _ in test["columns"]] == ["roc_auc", "balanced_accuracy"]
    assert [r["model"] for r in test["rows"]][-1] == "Majority class (chance level)"
