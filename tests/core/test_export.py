"""The export bundle: every file, the two model cards, and the weight-sharing privacy rule."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest
from huggingface_hub import ModelCard
from safetensors.numpy import save_file

from guiapp.core.export import model_card
from guiapp.core.export.write import privacy_warnings, weights_decision, write_bundle
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.findings import Findings
from guiapp.core.study.model import BaselineResult, EthicsEntry, Study
from guiapp.core.study.task_context import TaskContext

WEIGHTS = "checkpoints/best.safetensors"
EVERY_FILE = [
    "model_card.md",
    "model_card.json",
    "privacy.md",
    "report.html",
    "metrics.json",
    "manifest.json",
    "checklist.json",
    "ethics_register.json",
    "predictions.csv",
    "model/model.safetensors",
    "model/config.json",
]


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    """Exporting must never reach the network: any connection attempt fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("the export tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def make_study(folder, *, sensitive=False) -> Study:
    """A finished classification study, filled by hand as the steps would fill it."""
    s = Study()
    s.question.title = "Predict tumour subtype from expression"
    s.question.description = "Can 12 marker genes separate luminal from basal tumours?"
    s.question.target_metric, s.question.target_value = "roc_auc", 0.85
    d = s.data
    d.label, d.batch, d.identifiers, d.sensitive = "subtype", "site", ["patient_id"], sensitive
    d.provenance.path, d.provenance.size_bytes = "data/expression.csv", 12345
    d.provenance.sha256, d.provenance.source = "ab" * 32, "TCGA-BRCA extract"
    d.provenance.version, d.provenance.downloaded = "v2", "2024-03-01"
    d.n_samples, d.n_features = 200, 12
    d.feature_columns = [f"gene_{i}" for i in range(12)]
    d.classes, d.class_counts = ["basal", "luminal"], {"basal": 80, "luminal": 120}
    sp = s.split
    sp.strategy, sp.seed, sp.sealed, sp.test_uses = "stratified", 7, True, 1
    sp.train_idx, sp.tune_idx, sp.test_idx = list(range(120)), list(range(120, 160)), list(range(160, 200))
    sp.test_hash = "cd" * 32
    s.baselines.results = [
        BaselineResult(
            "logistic_regression",
            {"C": 0.5},
            {"roc_auc": 0.84, "pr_auc": 0.80, "balanced_accuracy": 0.76},
            {"roc_auc": 0.90},
            0.2,
        ).__dict__,
        BaselineResult(
            "random_forest",
            {"n_estimators": 200, "max_depth": 6},
            {"roc_auc": 0.86, "pr_auc": 0.83, "balanced_accuracy": 0.78},
            {"roc_auc": 1.0},
            1.3,
        ).__dict__,
    ]
    s.architecture.kind, s.architecture.n_params = "mlp", 5_186
    t = s.train
    t.device_used, t.seed, t.best_epoch, t.seconds, t.status = "cpu", 3, 2, 4.2, "done"
    t.history = [
        {"epoch": e, "train_loss": 0.7 - 0.1 * e, "tune_loss": 0.6 - 0.05 * e, "tune_roc_auc": 0.8 + 0.02 * e}
        for e in (1, 2, 3)
    ]
    t.weights = WEIGHTS
    s.overfitting.metric, s.overfitting.train_score, s.overfitting.tune_score = "roc_auc", 0.95, 0.88
    s.overfitting.gap = 0.07
    s.evaluation.tune_metrics = {
        "n": 40,
        "roc_auc": 0.88,
        "roc_auc_ci": [0.80, 0.95],
        "pr_auc": 0.85,
        "balanced_accuracy": 0.79,
        "balanced_accuracy_ci": [0.70, 0.87],
    }
    s.evaluation.test_metrics = {
        "n": 40,
        "roc_auc": 0.871,
        "roc_auc_ci": [0.78, 0.94],
        "pr_auc": 0.83,
        "balanced_accuracy": 0.775,
    }
    s.evaluation.test_evaluated_at = "2024-04-02T10:00:00+00:00"
    s.evaluation.baseline_test_metrics = {"random_forest": {"roc_auc": 0.85}}
    s.ethics.register = [
        EthicsEntry(
            "Patients from one hospital only", "A. Reviewer", "2024-04-01", "open", "Say so in the card"
        ).__dict__
    ]
    s.add_finding(Findings.class_imbalance.raise_(ratio=1.5, minority="basal", share=0.4))
    s.add_finding(Findings.identifier_like_column.raise_(column="barcode"))
    s.folder = folder
    (folder / "checkpoints").mkdir(parents=True)
    save_file({"layer.weight": np.arange(24, dtype=np.float32).reshape(4, 6)}, str(folder / WEIGHTS))
    return s


def predictions_table() -> pd.DataFrame:
    return pd.DataFrame(
        {"patient_id": ["P1", "P2"], "sample": [160, 161], "true": ["basal", "luminal"], "p_luminal": [0.2, 0.9]}
    )


@pytest.fixture
def study(tmp_path):
    return make_study(tmp_path / "study")


def test_every_bundle_file_is_written(study, tmp_path):
    out = tmp_path / "export"
    result = write_bundle(study, out, predictions=predictions_table())
    for name in EVERY_FILE:
        assert (out / name).is_file(), name
    assert {p.relative_to(out).as_posix() for p in result.files} == set(EVERY_FILE)
    assert result.weights_shared and result.out_dir == out
    assert study.export.last_dir == str(out) and study.export.exported_at


def test_card_loads_with_huggingface_hub_and_carries_test_metrics(study, tmp_path):
    write_bundle(study, tmp_path / "export")
    card = ModelCard.load(tmp_path / "export" / "model_card.md")
    meta = card.data.to_dict()
    assert meta["license"] == "other" and meta["library_name"] == "pytorch"
    assert {"tenfold", "biology", "tabular-classification"} <= set(meta["tags"])
    (entry,) = meta["model-index"]
    (result,) = entry["results"]
    assert result["task"]["type"] == "tabular-classification"
    assert result["dataset"]["split"] == "test"
    values = {m["type"]: m["value"] for m in result["metrics"]}
    test = study.evaluation.test_metrics
    assert values == {k: test[k] for k in ("roc_auc", "pr_auc", "balanced_accuracy")}
    assert {r.metric_type: r.metric_value for r in card.data.eval_results} == values
    for section in (
        "Model details",
        "Intended use",
        "Out-of-scope",
        "Factors",
        "Metrics",
        "Evaluation data",
        "Training data",
        "Quantitative analyses",
        "Ethical considerations",
        "Caveats and recommendations",
        "Findings",
        "How this model was built",
    ):
        assert f"# {section}" in card.text or f"## {section}" in card.text, section
    for f in study.findings:
        assert f.code in card.text
    assert "Patients from one hospital only" in card.text
    assert "random_forest" in card.text and "n_estimators=200" in card.text
    assert "[0.780, 0.940]" in card.text  # the test CI is shown; balanced accuracy has none


def test_card_marks_tune_metrics_when_the_test_set_is_unopened(study, tmp_path):
    study.evaluation.test_metrics, study.evaluation.test_evaluated_at = {}, ""
    write_bundle(study, tmp_path / "export")
    card = ModelCard.load(tmp_path / "export" / "model_card.md")
    (result,) = card.data.to_dict()["model-index"][0]["results"]
    assert result["dataset"]["split"] == "tune"
    assert all("tune split" in m["name"] for m in result["metrics"])
    assert card.data.eval_results[0].metric_value == 0.88
    assert "has not been evaluated" in card.text


def test_regression_study_exports_as_tabular_regression(study, tmp_path):
    study.question.task, study.question.target_metric, study.data.classes = "regression", "r2", []
    study.evaluation.tune_metrics = {"r2": 0.5, "rmse": 1.2}
    study.evaluation.test_metrics = {"r2": 0.45, "rmse": 1.3, "rmse_ci": [1.1, 1.5]}
    write_bundle(study, tmp_path / "export")
    card = ModelCard.load(tmp_path / "export" / "model_card.md")
    assert card.data.eval_results[0].task_type == "tabular-regression"
    assert {r.metric_type: r.metric_value for r in card.data.eval_results} == {"r2": 0.45, "rmse": 1.3}


def test_json_card_is_valid_against_the_vendored_schema(study, tmp_path):
    write_bundle(study, tmp_path / "export")
    card = json.loads((tmp_path / "export" / "model_card.json").read_text())
    jsonschema.Draft7Validator(model_card.load_schema()).validate(card)
    test_auc = next(
        m
        for m in card["quantitative_analysis"]["performance_metrics"]
        if m["type"] == "ROC AUC" and m["slice"].startswith("test")
    )
    assert test_auc["value"] == "0.871"
    assert test_auc["confidence_interval"] == {"lower_bound": "0.780", "upper_bound": "0.940"}
    names = [r["name"] for r in card["considerations"]["ethical_considerations"]]
    assert "Patients from one hospital only" in names


@pytest.mark.parametrize(
    "breakage",
    [
        lambda c: c.update(unexpected="not in the schema"),
        lambda c: c["quantitative_analysis"]["performance_metrics"][0].update(value=0.9),
        lambda c: c["model_details"].update(licenses=[{}]),
    ],
)
def test_schema_check_rejects_a_broken_card(study, breakage):
    card = model_card.model_card_json(study, weights_shared=True, weights_reason="ok", privacy=[])
    model_card.validate_model_card_json(card)
    breakage(card)
    with pytest.raises(jsonschema.ValidationError):
        model_card.validate_model_card_json(card)


def test_an_invalid_card_is_never_written(study, tmp_path, monkeypatch):
    real = model_card.model_card_json
    monkeypatch.setattr(model_card, "model_card_json", lambda *a, **k: {**real(*a, **k), "extra": 1})
    with pytest.raises(jsonschema.ValidationError):
        write_bundle(study, tmp_path / "export")
    assert not (tmp_path / "export" / "model_card.json").exists()


@pytest.mark.parametrize("sensitive", [True, None])
def test_sensitive_or_undeclared_data_withhold_the_weights(tmp_path, sensitive):
    study = make_study(tmp_path / "study", sensitive=sensitive)
    out = tmp_path / "export"
    result = write_bundle(study, out)
    assert not result.weights_shared
    assert not (out / "model" / "model.safetensors").exists()
    assert "membership inference" in result.reason
    assert result.reason in (out / "model_card.md").read_text()
    assert result.reason in (out / "privacy.md").read_text()
    assert "withheld" in (out / "privacy.md").read_text()
    assert Findings.weights_withheld.code in study.finding_codes()
    metrics = json.loads((out / "metrics.json").read_text())
    assert Findings.weights_withheld.code in {f["code"] for f in metrics["findings"]}
    assert "path" not in json.loads((out / "model_card.json").read_text())["model_details"]


def test_non_sensitive_weights_are_copied_byte_for_byte(study, tmp_path):
    out = tmp_path / "export"
    write_bundle(study, out)
    assert (out / "model" / "model.safetensors").read_bytes() == study.path(WEIGHTS).read_bytes()
    config = json.loads((out / "model" / "config.json").read_text())
    assert config["feature_columns"] == study.data.feature_columns
    assert config["classes"] == ["basal", "luminal"] and config["architecture"]["kind"] == "mlp"
    assert Findings.weights_withheld.code not in study.finding_codes()


def test_always_overrides_sensitivity_and_the_reason_is_shown(tmp_path):
    study = make_study(tmp_path / "study", sensitive=True)
    study.ethics.share_weights = "always"
    study.ethics.share_reason = "Approved by the data access committee on 2024-04-01."
    out = tmp_path / "export"
    result = write_bundle(study, out)
    assert result.weights_shared and (out / "model" / "model.safetensors").is_file()
    assert study.ethics.share_reason in (out / "model_card.md").read_text()
    assert "membership inference" in (out / "privacy.md").read_text()


@pytest.mark.parametrize(
    "choice, sensitive, reason, share",
    [
        ("auto", False, "", True),
        ("auto", True, "", False),
        ("auto", None, "", False),
        ("never", False, "Commercial partner", False),
        ("always", True, "DAC approval", True),
        ("sometimes", False, "", False),
    ],
)
def test_weights_decision(choice, sensitive, reason, share):
    study = Study()
    study.data.sensitive, study.ethics.share_weights, study.ethics.share_reason = sensitive, choice, reason
    decided, why = weights_decision(study)
    assert decided is share and why
    assert reason in why


def test_privacy_warnings_name_undeclared_sensitivity_and_identifiers(tmp_path):
    study = make_study(tmp_path / "study", sensitive=None)
    text = " ".join(privacy_warnings(study))
    assert "Nobody has declared" in text and "patient_id" in text and "barcode" in text
    assert "differential privacy" in text and "still open" in text


def test_predictions_drop_identifier_columns(study, tmp_path):
    write_bundle(study, tmp_path / "export", predictions=predictions_table())
    written = pd.read_csv(tmp_path / "export" / "predictions.csv")
    assert list(written.columns) == ["sample", "true", "p_luminal"]
    assert "predictions.csv holds one row per sample" in (tmp_path / "export" / "privacy.md").read_text()


def test_re_export_after_withholding_removes_the_old_weights(study, tmp_path):
    out = tmp_path / "export"
    write_bundle(study, out, predictions=predictions_table())
    study.ethics.share_weights = "never"
    result = write_bundle(study, out)
    assert not (out / "model").exists() and not (out / "predictions.csv").exists()
    assert not result.weights_shared
    withheld = [f for f in study.findings if f.code == Findings.weights_withheld.code]
    assert len(withheld) == 1 and "never" in withheld[0].message
    study.ethics.share_weights = "auto"
    write_bundle(study, out)  # shared again: the withheld finding goes
    assert Findings.weights_withheld.code not in study.finding_codes()


def test_missing_weights_file_is_reported_not_crashed(study, tmp_path):
    study.path(WEIGHTS).unlink()
    result = write_bundle(study, tmp_path / "export")
    assert not result.weights_shared and "no trained weights" in result.reason
    assert "no trained weights" in (tmp_path / "export" / "privacy.md").read_text()


def test_metrics_manifest_checklist_and_register(study, tmp_path):
    out = tmp_path / "export"
    write_bundle(study, out)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test"] == study.evaluation.test_metrics and metrics["tune"] == study.evaluation.tune_metrics
    assert metrics["primary_metric"] == "roc_auc" and metrics["test_uses"] == 1
    assert metrics["training"]["best"]["epoch"] == 2 and metrics["training"]["epochs_run"] == 3
    assert metrics["baselines"][1]["test_metrics"] == {"roc_auc": 0.85}
    assert {f["code"] for f in metrics["findings"]} == study.finding_codes()

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seeds"] == {"split": 7, "train": 3} and manifest["deterministic"] is True
    assert manifest["test_hash"] == "cd" * 32 and manifest["data"]["sha256"] == "ab" * 32
    assert manifest["device"]["used"] == "cpu" and manifest["versions"]["numpy"] == np.__version__
    assert "test_idx" not in manifest["spec"]["split"] and manifest["spec"]["split"]["seed"] == 7
    hashes = {f["path"]: f["sha256"] for f in manifest["files"]}
    assert "model/model.safetensors" in hashes and "manifest.json" not in hashes

    checklist = json.loads((out / "checklist.json").read_text())
    assert checklist["summary"]["total"] == len(checklist["items"]) > 0
    versions = next(i for i in checklist["items"] if i["id"] == "versions-recorded")
    assert versions["status"] != "open"  # the export is recorded before the checklist is read
    assert json.loads((out / "ethics_register.json").read_text())[0]["concern"] == "Patients from one hospital only"


def test_progress_is_reported_up_to_done(study, tmp_path):
    calls = []
    write_bundle(study, tmp_path / "export", ctx=TaskContext(progress=lambda f, msg: calls.append((f, msg))))
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert all(isinstance(m, str) and m for _, m in calls)


def test_exporting_into_the_study_folder_is_refused(study):
    with pytest.raises(TenfoldError, match="is the study folder itself"):
        write_bundle(study, study.folder)
    assert study.path(WEIGHTS).is_file()


def test_the_bundle_never_lies_inside_the_study_folder_nor_holds_it(study):
    """The bundle is shared; the study folder (checkpoints, tuning database, data) stays in the lab."""
    inside = Path(study.folder) / "export"
    with pytest.raises(TenfoldError, match="lies inside the study folder"):
        write_bundle(study, inside)
    with pytest.raises(TenfoldError, match="holds the study folder"):
        write_bundle(study, Path(study.folder).parent)
    assert not inside.exists()


def test_licence_can_be_set(study, tmp_path):
    write_bundle(study, tmp_path / "export", license="cc-by-4.0")
    assert ModelCard.load(tmp_path / "export" / "model_card.md").data.license == "cc-by-4.0"
    card = json.loads((tmp_path / "export" / "model_card.json").read_text())
    assert card["model_details"]["licenses"] == [{"identifier": "cc-by-4.0"}]


def test_core_export_does_not_import_qt():
    # In a fresh interpreter: pytest-qt has already loaded Qt into this one.
    code = (
        "import sys, guiapp.core.export.write, guiapp.core.export.model_card; "
        "sys.exit(any(m.startswith(('PySide6', 'guiapp.ui')) for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_card_and_report_open_with_the_conclusion(study, tmp_path):
    from guiapp.core.evaluation.conclusion import conclusion

    write_bundle(study, tmp_path / "export")
    card = (tmp_path / "export" / "model_card.md").read_text(encoding="utf-8")
    report = (tmp_path / "export" / "report.html").read_text(encoding="utf-8")
    words = conclusion(study)
    assert "ROC AUC 0.871 (95% CI 0.780–0.940), ahead of the best tuned baseline, Random forest, at 0.850" in words
    assert "cannot tell them apart" in words
    # right under the headline, before the model details
    assert card.index("## Headline result") < card.index(words) < card.index("## Model details")
    assert "| Network | **0.871 ★** |" in card
    from markupsafe import escape

    assert str(escape(words)) in report
    assert "<strong>0.871 ★</strong>" in report
