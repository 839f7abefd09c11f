"""report.html: one self-contained page with the plots, escaped user text, and partial studies."""

from __future__ import annotations

import json
import re
import socket

import numpy as np
import pytest
from markupsafe import escape
from safetensors.numpy import save_file

from guiapp.core.export.report import render_report, write_report
from guiapp.core.export.svg_charts import grouped_bar_svg, horizontal_bar_svg, line_chart_svg, nice_ticks
from guiapp.core.export.write import write_bundle
from guiapp.core.study.findings import Findings
from guiapp.core.study.model import BaselineResult, EthicsEntry, Study

WEIGHTS = "checkpoints/best.safetensors"


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    """The report is built offline: any connection attempt fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("the report tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def finished_study(folder=None, *, task: str = "classification") -> Study:
    """A study filled by hand as the steps would fill it, through the sealed test evaluation."""
    s = Study()
    s.question.title = "Predict tumour subtype from expression"
    s.question.description = "Can 12 marker genes separate luminal from basal tumours?"
    d = s.data
    d.label, d.batch, d.identifiers, d.sensitive = "subtype", "site", ["patient_id"], False
    d.provenance.path, d.provenance.sha256 = "/home/someone/data/expression.csv", "ab" * 32
    d.provenance.source, d.provenance.version = "TCGA-BRCA extract", "v2"
    d.n_samples, d.n_features = 200, 12
    d.feature_columns = [f"gene_{i}" for i in range(12)]
    s.batch.silhouette, s.batch.explained_variance = 0.04, [0.31, 0.12]
    s.batch.reading = "Batches look well mixed (silhouette 0.04; 0 means mixed, 1 means fully apart)."
    sp = s.split
    sp.seed, sp.sealed, sp.test_uses, sp.test_hash = 7, True, 1, "cd" * 32
    sp.train_idx, sp.tune_idx, sp.test_idx = list(range(120)), list(range(120, 160)), list(range(160, 200))
    if task == "classification":
        s.question.target_metric, s.question.target_value = "roc_auc", 0.85
        d.classes, d.class_counts = ["basal", "luminal"], {"basal": 80, "luminal": 120}
        sp.counts = {
            "train": {"basal": 48, "luminal": 72},
            "tune": {"basal": 16, "luminal": 24},
            "test": {"basal": 16, "luminal": 24},
        }
        lr = {"roc_auc": 0.84, "roc_auc_ci": [0.74, 0.92], "pr_auc": 0.80, "balanced_accuracy": 0.76}
        rf = {"roc_auc": 0.86, "roc_auc_ci": [0.77, 0.93], "pr_auc": 0.83, "balanced_accuracy": 0.78}
        tune = {
            "n": 40,
            "roc_auc": 0.88,
            "roc_auc_ci": [0.80, 0.95],
            "pr_auc": 0.85,
            "balanced_accuracy": 0.79,
            "balanced_accuracy_ci": [0.70, 0.87],
        }
        test = {"n": 40, "roc_auc": 0.871, "roc_auc_ci": [0.78, 0.94], "pr_auc": 0.83, "balanced_accuracy": 0.775}
        baseline_test = {"random_forest": {"roc_auc": 0.853, "roc_auc_ci": [0.75, 0.93]}}
        names = ("logistic_regression", "random_forest")
    else:
        s.question.task, s.question.target_metric, s.question.target_value = "regression", "r2", 0.4
        d.label = "score"
        sp.counts = {"train": {"n": 120}, "tune": {"n": 40}, "test": {"n": 40}}
        lr = {"r2": -0.12, "r2_ci": [-0.4, 0.1], "rmse": 2.1, "mae": 1.7}
        rf = {"r2": 0.41, "rmse": 1.4, "rmse_ci": [1.2, 1.6], "mae": 1.1}
        tune = {"n": 40, "r2": 0.52, "r2_ci": [0.3, 0.7], "rmse": 1.21, "rmse_ci": [1.0, 1.4], "mae": 0.93}
        test = {"n": 40, "r2": 0.47, "r2_ci": [0.25, 0.66], "rmse": 1.33, "mae": 1.02}
        baseline_test = {"ridge": {"r2": 0.1, "rmse": 1.9, "mae": 1.5}}
        names = ("ridge", "random_forest")
    s.baselines.models = list(names)
    s.baselines.results = [
        BaselineResult(names[0], {"C": 0.5}, lr, {}, 0.2).__dict__,
        BaselineResult(names[1], {"n_estimators": 200}, rf, {}, 1.3).__dict__,
    ]
    s.architecture.kind, s.architecture.n_params = "mlp", 5_186
    t = s.train
    t.device_used, t.seed, t.best_epoch, t.seconds, t.status, t.max_epochs = "cpu", 3, 9, 4.2, "done", 12
    t.history = [
        {"epoch": e, "train_loss": 0.7 * 0.85**e, "tune_loss": 0.62 * 0.9**e + 0.004 * e} for e in range(1, 13)
    ]
    o = s.overfitting
    o.metric, o.train_score, o.tune_score, o.gap = s.primary_metric, 0.95, 0.88, 0.07
    o.reading = "The network does clearly better on the samples it was trained on (0.950) than on the tune samples."
    s.evaluation.tune_metrics, s.evaluation.test_metrics = tune, test
    s.evaluation.baseline_test_metrics, s.evaluation.test_evaluated_at = baseline_test, "2024-04-02T10:00:00+00:00"
    s.interpret.metric = s.primary_metric
    s.interpret.importances = [{"feature": f"gene_{i}", "mean": 0.08 / (i + 1) - 0.004, "std": 0.01} for i in range(12)]
    s.ethics.register = [EthicsEntry("Patients from one hospital only").__dict__]
    s.add_finding(Findings.class_imbalance.raise_(ratio=1.5, minority="basal", share=0.4))
    s.add_finding(Findings.identifier_like_column.raise_(column="barcode"))
    if folder is not None:
        s.folder = folder
        (folder / "checkpoints").mkdir(parents=True)
        save_file({"layer.weight": np.arange(24, dtype=np.float32).reshape(4, 6)}, str(folder / WEIGHTS))
        t.weights = WEIGHTS
    return s


@pytest.fixture
def study(tmp_path):
    return finished_study(tmp_path / "study")


def test_write_bundle_writes_the_report_and_lists_it(study, tmp_path):
    out = tmp_path / "export"
    result = write_bundle(study, out)
    assert out / "report.html" in result.files
    manifest = json.loads((out / "manifest.json").read_text())
    assert "report.html" in {f["path"] for f in manifest["files"]}
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    # The export's own decision reaches the page: the withheld/shared line and the register.
    assert "The weights are shared" in page and "still open" in page


def test_report_is_one_self_contained_page(study, tmp_path):
    page = write_report(study, tmp_path).read_text(encoding="utf-8")
    assert 'src="http' not in page and "<link" not in page and "<script" not in page
    assert "://" not in page and "@import" not in page and "url(" not in page
    assert page.count("<style>") == 1


def test_report_has_the_plots_numbers_and_sections(study):
    page = render_report(study)
    assert page.count("<svg") == 3  # loss curves, metric comparison, feature importance
    assert "Training and tune loss per epoch" in page and "best epoch 9" in page
    assert "Metrics on the sealed test set, with 95% intervals" in page
    assert "Top 12 features by permutation importance" in page and "gene_0" in page
    assert "0.871" in page and "[0.780, 0.940]" in page  # network on the test set, with its CI
    assert "0.853" in page and "Random forest" in page  # baseline on the test set
    assert "0.880" in page and "[0.800, 0.950]" in page  # network on the tune split
    assert "ab" * 32 in page and "TCGA-BRCA extract" in page and "expression.csv" in page
    assert "/home/someone" not in page  # the file name, not a path that may name a person
    assert "used exactly <strong>once</strong>" in page
    assert "Batches look well mixed" in page and "0.04" in page
    for f in study.findings:
        assert str(escape(f.message)) in page and f.code in page
    assert 'class="finding-warning"' in page and "badge sev-warning" in page
    assert "Versions, device and seeds are in the manifest" in page  # the checklist
    assert "split 7, training 3" in page and "Deterministic algorithms" in page
    assert "differential privacy" in page


def test_user_text_is_escaped_everywhere(study):
    attack = "<script>alert(1)</script>"
    study.question.title = attack
    study.question.description = f"desc {attack}"
    study.data.class_counts = {attack: 80, "luminal": 120}
    study.split.unseal_reasons = [attack]
    study.interpret.importances[0]["feature"] = f"<img src=x onerror=alert(1)>{attack}"
    study.baselines.results[0]["name"] = attack
    study.add_finding(Findings.identifier_like_column.raise_(column=attack))
    page = render_report(study)
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_study_without_a_test_evaluation_renders(study):
    study.evaluation.test_metrics, study.evaluation.baseline_test_metrics = {}, {}
    study.evaluation.test_evaluated_at, study.split.test_uses = "", 0
    page = render_report(study)
    assert "The sealed test set has not been evaluated yet" in page
    assert "Not evaluated yet: the test set is still sealed." in page
    assert "Metrics on the tune split, with 95% intervals" in page and page.count("<svg") == 3
    assert "0.880" in page


def test_regression_study_renders_one_chart_per_metric(tmp_path):
    study = finished_study(task="regression")
    page = render_report(study)
    assert "R²" in page and "RMSE (lower is better)" in page and "Ridge regression" in page
    assert "0.470" in page and "-0.120" in page  # test r2 and a baseline below zero
    # r2, rmse and mae have different scales: one chart each, plus the loss and importance charts.
    assert page.count("<svg") == 5
    assert "Per class" not in page


def test_a_study_with_nothing_done_yet_renders():
    page = render_report(Study())
    assert page.count("<svg") == 0
    assert "has not been trained yet" in page and "not been evaluated yet" in page
    assert "No test set has been sealed yet" in page


def test_missing_batch_column_and_nan_values_do_not_crash(study):
    study.data.batch, study.batch.silhouette = "", None
    study.batch.reading = "No batch column was chosen, so batch effects cannot be measured."
    study.evaluation.test_metrics["roc_auc"] = float("nan")
    study.train.history[3]["tune_loss"] = float("nan")
    page = render_report(study)
    assert "No batch column was chosen" in page and "none chosen" in page
    assert "n/a" in page


def test_nice_ticks_cover_the_range_with_round_steps():
    assert nice_ticks(0.0, 1.0) == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ticks = nice_ticks(-0.13, 0.87)
    assert ticks[0] <= -0.13 and ticks[-1] >= 0.87 and len(ticks) <= 8
    epochs = nice_ticks(1, 20, 8, integer=True)
    assert epochs[0] <= 1 and epochs[-1] >= 20 and all(float(v).is_integer() for v in epochs)
    assert nice_ticks(1, 3, 8, integer=True) == [1, 2, 3]  # never half an epoch
    assert len(nice_ticks(0.5, 0.5)) >= 2  # a flat series still gets an axis


def test_svg_helpers_draw_what_they_are_given():
    line = line_chart_svg(
        [1, 2, 3],
        [("a", [1.0, None, 0.5]), ("b", [0.9, 0.8, 0.7])],
        title="t",
        x_label="epoch",
        y_label="loss",
        marker=(2, "best"),
    )
    assert line.count("<path") == 2 and "epoch" in line and "best" in line
    bars = horizontal_bar_svg(["x", "y"], [0.2, -0.05], [0.01, 0.0], title="t", x_label="drop")
    assert bars.count("<rect") == 2
    grouped = grouped_bar_svg(
        ["ROC AUC", "PR AUC"],
        [("net", [0.9, 0.8], [(0.85, 0.95), None]), ("lr", [0.7, float("nan")], [None, None])],
        title="t",
        y_range=(0, 1),
    )
    assert grouped.count("<rect") == 3 + 2  # three bars and two legend swatches
    assert "n/a" in grouped and re.search(r'class="err"', grouped)
