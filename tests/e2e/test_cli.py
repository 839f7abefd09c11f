"""The commands as a user types them: exit codes, messages and the files they leave."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from guiapp.core.data.demo import simulated_expression, write_demo
from guiapp.core.study.places import default_study_dir

BUNDLE = (
    "model_card.md",
    "model_card.json",
    "privacy.md",
    "metrics.json",
    "manifest.json",
    "checklist.json",
    "ethics_register.json",
    "predictions.csv",
    "report.html",
)
SCHEMA = Path(__file__).parents[2] / "resources" / "schema" / "model_card.schema.v0.0.2.json"


def tenfold(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "guiapp", *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300
    )


@pytest.fixture(scope="module")
def demo_bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    result = tenfold("demo", "--headless", "--out", out, "--epochs", "5")
    assert result.returncode == 0, result.stderr
    return out, result


def test_headless_demo_writes_the_whole_bundle(demo_bundle):
    out, result = demo_bundle
    for name in BUNDLE:
        assert (out / name).is_file(), name
    assert (out / "model" / "model.safetensors").is_file()  # demo data are not sensitive
    assert (default_study_dir(out) / "study.json").is_file()
    # the bundle holds no study folder and no copy of the data: they live beside it
    assert not (out / "study").exists() and not (out / "data").exists()
    assert list(default_study_dir(out).glob("data/*.csv"))
    assert "Traceback" not in result.stderr


def test_the_manifest_hash_is_printed_and_verify_checks_the_bundle_against_it(demo_bundle):
    import hashlib

    out, result = demo_bundle
    digest = hashlib.sha256((out / "manifest.json").read_bytes()).hexdigest()
    assert f"manifest.json SHA-256: {digest}" in result.stdout
    checked = tenfold("verify", out, "--expect-manifest", digest)
    assert checked.returncode == 0, checked.stderr
    assert digest in checked.stdout and "no file is unlisted" in checked.stdout
    wrong = tenfold("verify", out, "--expect-manifest", "0" * 64)
    assert wrong.returncode == 2 and "not the" in wrong.stderr and "Traceback" not in wrong.stderr


def test_card_loads_with_huggingface_hub_and_carries_test_results(demo_bundle):
    from huggingface_hub import ModelCard

    out, _ = demo_bundle
    card = ModelCard.load(out / "model_card.md")
    index = card.data.to_dict()["model-index"]
    metrics = {m["type"]: m["value"] for m in index[0]["results"][0]["metrics"]}
    study = json.loads((default_study_dir(out) / "study.json").read_text())
    assert metrics["roc_auc"] == pytest.approx(study["evaluation"]["test_metrics"]["roc_auc"])
    assert study["split"]["test_uses"] == 1


def test_demo_card_and_report_show_the_evaluation_instruments(demo_bundle):
    """Issue 7's instruments on the built-in demo: scoreboard, shuffle control, intervals and
    interpretation in the card; ROC, PR, calibration (and the privacy plots) in the report."""
    out, _ = demo_bundle
    card = (out / "model_card.md").read_text(encoding="utf-8")
    for text in (
        "### Success criteria",
        "| ROC AUC ≥ 0.9",
        "### Label-shuffle control",
        "clearly above the shuffled runs",
        "95% CI",
        "## Interpretation",
        "integrated gradients",
        "Agreement with the linear baseline",
        "### Over-interpretation guards",
        "Correlation is not causation",
    ):
        assert text in card, text
    study = json.loads((default_study_dir(out) / "study.json").read_text())
    shuffle = study["overfitting"]["shuffle"]
    assert shuffle["repeats"] >= 1 and not shuffle["flagged"]  # real labels clearly beat shuffled ones
    assert shuffle["real_ci"][0] > max(shuffle["shuffled_tune"])
    page = (out / "report.html").read_text(encoding="utf-8")
    for title in (
        "ROC curves on the sealed test set",
        "Precision–recall curves on the sealed test set",
        "Calibration (reliability diagram) on the sealed test set",
        "Top 15 features by integrated gradients",
        "Membership-inference attack: ROC curves",
    ):
        assert title in page, title
    assert "://" not in page and "<script" not in page


def test_card_json_validates_against_the_vendored_schema(demo_bundle):
    import jsonschema

    out, _ = demo_bundle
    card = json.loads((out / "model_card.json").read_text())
    jsonschema.validate(card, json.loads(SCHEMA.read_text()))


def test_metrics_and_manifest_record_what_happened(demo_bundle):
    out, _ = demo_bundle
    metrics = json.loads((out / "metrics.json").read_text())
    manifest = json.loads((out / "manifest.json").read_text())
    assert isinstance(metrics["findings"], list)
    assert 0.5 < metrics["test"]["roc_auc"] <= 1.0
    text = json.dumps(manifest)
    assert "sha256" in text and "torch" in text


@pytest.fixture
def sensitive_spec(tmp_path):
    demo = simulated_expression(n_samples=240, n_genes=30, batch_strength=2.0, seed=3)
    data = write_demo(demo, tmp_path)
    spec = tmp_path / "study.toml"
    spec.write_text(f"""
[question]
title = "Treated vs control"
task = "classification"
target_metric = "pr_auc"
target_value = 0.8

[data]
path = "{data.name}"
label = "condition"
batch = "batch"
identifiers = ["sample_id"]
sensitive = true
source = "simulated"

[split]
seed = 7
cv = "never"  # 240 samples would be cross-validated; this test is about withheld weights

[train]
max_epochs = 20
device = "cpu"

[interpret]
repeats = 2
""")
    return spec


def test_run_from_spec_withholds_weights_of_sensitive_data(sensitive_spec, tmp_path):
    out = tmp_path / "out"
    result = tenfold("run", sensitive_spec, "--out", out)
    assert result.returncode == 0, result.stderr
    assert not (out / "model" / "model.safetensors").exists()
    assert "withheld" in result.stdout
    metrics = json.loads((out / "metrics.json").read_text())
    codes = {f["code"] for f in metrics["findings"]}
    assert {"batch-effect", "weights-withheld"} <= codes
    study = json.loads((default_study_dir(out) / "study.json").read_text())
    assert study["split"]["seed"] == 7 and study["question"]["target_metric"] == "pr_auc"


def test_inspect_json_lists_findings_before_training(tmp_path):
    demo = simulated_expression(n_samples=150, n_genes=20, batch_strength=2.0, seed=1)
    data = write_demo(demo, tmp_path)
    result = tenfold("inspect", data, "--label", "condition", "--batch", "batch", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    codes = {f["code"] for f in report["findings"]}
    assert "batch-effect" in codes and "too-few-samples-per-class" in codes
    assert report["batch_effect"]["silhouette"] > 0.1
    assert report["identifier_columns"] == ["sample_id"]


def test_inspect_text_is_readable(tmp_path):
    data = write_demo(simulated_expression(n_samples=120, n_genes=10), tmp_path)
    result = tenfold("inspect", data, "--label", "condition")
    assert result.returncode == 0, result.stderr
    assert "120 samples × 10 features" in result.stdout


@pytest.mark.parametrize(
    "make_args, words",
    [
        (lambda p: ("inspect", p / "missing.csv", "--label", "y"), "does not exist"),
        (lambda p: ("inspect", p / "data.csv", "--label", "nope"), "no column named 'nope'"),
        (lambda p: ("run", p / "missing.toml", "--out", p / "o"), "does not exist"),
        (lambda p: ("run", p / "typo.toml", "--out", p / "o"), "unknown key 'lable'"),
        (lambda p: ("run", p / "broken.toml", "--out", p / "o"), "not valid TOML"),
        (lambda p: ("open", p), "not a Tenfold study folder"),
        (lambda p: ("demo", "--headless", "--dataset", "mnist", "--out", p / "o"), "no built-in dataset"),
    ],
)
def test_bad_input_exits_2_with_a_message_and_no_traceback(tmp_path, make_args, words):
    write_demo(simulated_expression(n_samples=50, n_genes=5), tmp_path).rename(tmp_path / "data.csv")
    (tmp_path / "typo.toml").write_text('[data]\npath = "data.csv"\nlable = "condition"\n')
    (tmp_path / "broken.toml").write_text('[data\npath = "data.csv"\n')
    result = tenfold(*make_args(tmp_path))
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert words in result.stderr
    assert "Traceback" not in result.stderr


def test_version_and_help():
    assert tenfold("--version").stdout.startswith("tenfold ")
    result = tenfold("--help")
    assert result.returncode == 0 and "inspect" in result.stdout
