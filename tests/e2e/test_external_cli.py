"""`tenfold run` with [[external]] cohorts: per-cohort results in metrics.json, both cards and
report.html; one model-index result per cohort that huggingface_hub parses; bad cohorts exit 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from guiapp.core.data.demo import another_lab, simulated_expression, write_demo

COHORTS = ("Hospital B, 2024", "Lab C")


def tenfold(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "guiapp", *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300
    )


def write_spec(folder, external: str) -> None:
    demo = simulated_expression(n_samples=240, n_genes=30, n_informative=5, effect_size=1.5, seed=3)
    write_demo(demo, folder)
    kw = dict(study_samples=240, n_genes=30, n_informative=5, effect_size=1.5, seed=3)
    another_lab(80, **kw).table.to_csv(folder / "lab_b.csv", index=False)
    another_lab(60, lab_strength=0.3, **kw).table.to_csv(folder / "lab_c.csv", index=False)
    (folder / "study.toml").write_text(
        f"""
[question]
title = "Treated vs control"
task = "classification"
target_metric = "roc_auc"
target_value = 0.8
min_generalization = 0.7
max_generalization_drop = 0.2
min_linear_agreement = 0.3
known_markers = ["GENE0000", "GENE0001"]

[data]
path = "simulated_expression.csv"
label = "condition"
batch = "batch"
identifiers = ["sample_id"]
sensitive = false

[baselines]
models = ["logistic_regression"]
budget_trials = 1

[train]
max_epochs = 3
device = "cpu"
budget_trials = 0

[evaluate]
shuffle_repeats = 1
learning_curve = [0.5, 1.0]
leave_one_batch_out = false

[interpret]
repeats = 1

[privacy]
membership_audit = false
{external}
""",
        encoding="utf-8",
    )


@pytest.fixture(scope="module")
def run_with_cohorts(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ext")
    write_spec(
        folder,
        f"""
[[external]]
path = "lab_b.csv"
label = "condition"
name = "{COHORTS[0]}"

[[external]]
path = "lab_c.csv"
label = "condition"
name = "{COHORTS[1]}"
""",
    )
    out = folder / "out"
    result = tenfold("run", folder / "study.toml", "--out", out)
    assert result.returncode == 0, result.stderr
    return out


def test_metrics_json_holds_each_cohort(run_with_cohorts):
    metrics = json.loads((run_with_cohorts / "metrics.json").read_text())
    assert [c["name"] for c in metrics["external"]] == list(COHORTS)
    for c in metrics["external"]:
        assert c["uses"] == 1 and c["n"] in (80, 60)
        assert {"roc_auc", "roc_auc_ci", "ece"} <= set(c["metrics"]) and "details" not in c["metrics"]
        assert c["calibration"]["count"] and set(c["baselines"]) == {"logistic_regression"}
        assert c["change"]["metric"] == "roc_auc" and len(c["change"]["difference_ci"]) == 2
        assert 0.5 <= c["shift"]["domain_auc"] <= 1.0
    rows = {r["criterion"] for r in metrics["scoreboard"]}
    assert {
        "Generalizability",
        "Generalizability (drop)",
        "Interpretability: agreement",
        "Interpretability: known markers",
    } <= rows


def test_both_cards_and_the_report_have_an_external_validation_section(run_with_cohorts):
    card = (run_with_cohorts / "model_card.md").read_text(encoding="utf-8")
    report = (run_with_cohorts / "report.html").read_text(encoding="utf-8")
    assert "## External validation" in card and "External validation</h2>" in report
    for name in COHORTS:
        assert f"### {name}" in card and f"<h3>{name}</h3>" in report
    for name in COHORTS:  # the shift figure: each cohort drawn on the training split's PCA
        assert f"<title>{name} on the study&#x27;s embedding" in report
    limits = json.loads((run_with_cohorts / "model_card.json").read_text())["considerations"]["limitations"]
    assert sum(d["description"].startswith("External validation — ") for d in limits) == 2


def test_the_model_index_has_one_result_per_cohort(run_with_cohorts):
    from huggingface_hub import ModelCard

    card = ModelCard.load(run_with_cohorts / "model_card.md")
    results = card.data.to_dict()["model-index"][0]["results"]
    external = [r for r in results if r["dataset"].get("split") == "external"]
    assert [r["dataset"]["name"] for r in external] == list(COHORTS)
    metrics = json.loads((run_with_cohorts / "metrics.json").read_text())
    for r, c in zip(external, metrics["external"], strict=False):
        values = {m["type"]: m["value"] for m in r["metrics"]}
        assert values["roc_auc"] == pytest.approx(c["metrics"]["roc_auc"])
    parsed = {e.dataset_name for e in card.data.eval_results if e.dataset_split == "external"}
    assert parsed == set(COHORTS)


@pytest.mark.parametrize(
    "change, words",
    [
        ("drop", ["lacks 2 of the model's 30 feature column(s): GENE0002, GENE0007"]),
        ("relabel", ["another label set", "'case'", "'control', 'treated'"]),
    ],
)
def test_a_mismatched_cohort_exits_2_before_training(tmp_path, change, words):
    write_spec(tmp_path, '\n[[external]]\npath = "bad.csv"\nlabel = "condition"\nname = "Bad lab"\n')
    lab = another_lab(40, study_samples=240, n_genes=30, n_informative=5, seed=3).table
    if change == "drop":
        lab = lab.drop(columns=["GENE0002", "GENE0007"])
    else:
        lab["condition"] = lab["condition"].replace({"treated": "case"})
    lab.to_csv(tmp_path / "bad.csv", index=False)
    result = tenfold("run", tmp_path / "study.toml", "--out", tmp_path / "out")
    assert result.returncode == 2, result.stderr
    for w in words:
        assert w in result.stderr
    assert "Traceback" not in result.stderr
    assert "  Data: done" in result.stderr and "  Baselines: " not in result.stderr  # refused before any fitting
