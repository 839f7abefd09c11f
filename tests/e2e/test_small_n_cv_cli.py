"""`tenfold run` on a 178-sample study (scikit-learn's wine table): the single split leaves tune
and test parts of 36, so the study is judged by repeated cross-validation with tuning nested in
the folds; the bundle reports fold means with intervals, and no interval reads "1.000–1.000"."""

from __future__ import annotations

import json
import re

from tests.e2e.test_findings_act import tenfold

SPEC = """[question]
title = "Wine cultivar"

[data]
path = "wine.csv"
label = "cultivar"
sensitive = false

[split]
cv_folds = 2
cv_repeats = 2

[train]
max_epochs = 2
device = "cpu"
budget_trials = 1

[baselines]
budget_trials = 1
models = ["logistic_regression"]

[tuning]
epochs = 2

[evaluate]
shuffle_repeats = 1
learning_curve = [0.5, 1.0]

[interpret]
repeats = 1
integrated_gradients = false

[privacy]
membership_audit = false
"""
COLLAPSED = re.compile(r"1\.000\s*(–|-|to)\s*1\.000")


def collapsed_intervals(node) -> list:
    if isinstance(node, dict):
        ci = node.get("confidence_interval")
        own = [node] if ci and ci.get("lower_bound") == ci.get("upper_bound") else []
        return own + [x for v in node.values() for x in collapsed_intervals(v)]
    if isinstance(node, list):
        return [x for v in node for x in collapsed_intervals(v)]
    return []


def test_a_178_sample_study_is_judged_by_nested_repeated_cv_with_no_collapsed_interval(tmp_path):
    from sklearn.datasets import load_wine

    wine = load_wine(as_frame=True)
    table = wine.frame.drop(columns=["target"])
    table["cultivar"] = [str(wine.target_names[i]) for i in wine.target]
    table.to_csv(tmp_path / "wine.csv", index=False)
    (tmp_path / "study.toml").write_text(SPEC, encoding="utf-8")
    out = tmp_path / "out"
    result = tenfold("run", tmp_path / "study.toml", "--out", out)
    assert result.returncode == 0, result.stderr
    assert "Cross-validated (2 folds × 2 repeats, tuning nested in each fold)" in result.stdout
    study = json.loads((tmp_path / "out.study" / "study.json").read_text())
    assert len(study["split"]["test_idx"]) < 50 and study["evaluation"]["cv"]
    card = (out / "model_card.md").read_text(encoding="utf-8")
    assert "### Repeated cross-validation" in card
    assert re.search(r"ROC AUC \d\.\d{3} \(95% CI \d\.\d{3}–\d\.\d{3}\) for the network", card)
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Repeated cross-validation" in page
    for text in (card, page, result.stdout):
        assert not COLLAPSED.search(text)
    mct = json.loads((out / "model_card.json").read_text())
    folds = [
        m
        for m in mct["quantitative_analysis"]["performance_metrics"]
        if m["slice"].startswith("repeated cross-validation, fold mean of 2 folds × 2 repeats")
    ]
    assert {m["type"] for m in folds} >= {"ROC AUC — network"} and all(m["confidence_interval"] for m in folds)
    assert collapsed_intervals(mct) == []
