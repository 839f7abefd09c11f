"""The study object and its folder: round trip, atomic writes, helpful errors."""

from __future__ import annotations

import json
import os

import pytest

from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.findings import Finding, Findings
from guiapp.core.study.model import STUDY_FILE, BaselineResult, EthicsEntry, Provenance, Study


def filled_study() -> Study:
    """A study with every nested part moved away from its defaults."""
    s = Study()
    s.question.title, s.question.task = "Treated vs control", "classification"
    s.question.target_metric, s.question.target_value = "pr_auc", 0.8
    s.data.label, s.data.batch, s.data.identifiers, s.data.sensitive = "condition", "batch", ["sample_id"], True
    s.data.provenance = Provenance(
        path="/data/x.csv",
        size_bytes=42,
        sha256="ab" * 32,
        modified="2024-01-01T00:00:00+00:00",
        source="lab",
        version="v3",
    )
    s.data.feature_columns, s.data.classes = ["g1", "g2"], ["control", "treated"]
    s.data.class_counts, s.data.n_samples, s.data.n_features = {"control": 5, "treated": 7}, 12, 2
    s.batch.silhouette, s.batch.explained_variance = 0.31, [0.5, 0.2]
    s.split.train_idx, s.split.tune_idx, s.split.test_idx = [0, 1, 2], [3], [4]
    s.split.sealed, s.split.test_uses, s.split.unseal_reasons = True, 2, ["reviewer asked"]
    s.split.counts = {"train": {"control": 1, "treated": 2}}
    s.baselines.results = [
        BaselineResult(
            "random_forest", {"n_estimators": 200}, {"roc_auc": 0.9, "roc_auc_ci": [0.8, 0.95]}, {"roc_auc": 1.0}, 0.5
        ).__dict__
    ]
    s.architecture.width, s.architecture.depth, s.architecture.n_params = 32, 3, 1234
    s.train.status, s.train.best_epoch, s.train.history = "done", 2, [{"epoch": 1, "train_loss": 0.5}]
    s.overfitting.gap, s.overfitting.metric = 0.12, "roc_auc"
    s.evaluation.tune_metrics = {"n": 1, "roc_auc": 0.7}
    s.interpret.importances = [{"feature": "g1", "mean": 0.1, "std": 0.01}]
    s.ethics.register = [EthicsEntry("Consent scope", "me", "2024-01-02").__dict__]
    s.ethics.share_weights = "never"
    s.export.exported_at = "2024-01-03T00:00:00+00:00"
    s.checklist_mode = False
    s.attestations = {"ethics-register": "discussed with the board"}
    s.add_finding(Findings.class_imbalance.raise_(ratio=3.5, minority="control", share=0.22))
    s.add_finding(Findings.test_set_reused.raise_(uses=2, reason="reviewer asked"))
    return s


def test_save_open_round_trip_keeps_everything(tmp_path):
    original = filled_study()
    original.save(tmp_path / "study")
    reopened = Study.open(tmp_path / "study")

    assert reopened.to_dict() == original.to_dict()
    assert reopened == original
    assert reopened.folder == tmp_path / "study"
    assert isinstance(reopened.data.provenance, Provenance)
    assert reopened.data.provenance.sha256 == "ab" * 32
    assert all(isinstance(f, Finding) for f in reopened.findings)
    assert reopened.finding_codes() == {"class-imbalance", "test-set-reused"}
    assert reopened.findings[0].values["ratio"] == 3.5
    assert reopened.split.unseal_reasons == ["reviewer asked"]
    assert reopened.checklist_mode is False


def test_round_trip_of_a_real_study(tiny_study):
    tiny_study.save()
    reopened = Study.open(tiny_study.folder)
    assert reopened.to_dict() == tiny_study.to_dict()
    assert reopened.split.test_hash == tiny_study.split.test_hash
    assert reopened.table is None  # the table is reloaded from the data file, never stored


def test_study_json_is_plain_json_with_a_format_version(tmp_path):
    path = filled_study().save(tmp_path)
    d = json.loads(path.read_text(encoding="utf-8"))
    assert d["format_version"] == 1
    assert "folder" not in d and "table" not in d
    assert d["data"]["provenance"]["size_bytes"] == 42


def test_unknown_keys_from_a_newer_version_are_ignored(tmp_path):
    d = filled_study().to_dict()
    d["data"]["provenance"]["future_field"] = 1
    d["train"]["future_field"] = 2
    d["future_section"] = {}
    s = Study.from_dict(d)
    assert s.train.best_epoch == 2
    assert s.data.provenance.size_bytes == 42


def _only_study_file(folder):
    return sorted(p.name for p in folder.iterdir()) == [STUDY_FILE]


def test_failed_json_dump_keeps_the_old_file(tmp_path, monkeypatch):
    study = filled_study()
    path = study.save(tmp_path)
    before = path.read_bytes()

    def half_written(obj, fh, **kwargs):
        fh.write('{"question": {"title": "half')
        raise OSError("disk full")

    study.question.title = "A new title"
    monkeypatch.setattr(json, "dump", half_written)
    with pytest.raises(OSError, match="disk full"):
        study.save()
    monkeypatch.undo()

    assert path.read_bytes() == before
    assert _only_study_file(tmp_path)
    assert Study.open(tmp_path).question.title == "Treated vs control"


def test_failed_rename_keeps_the_old_file(tmp_path, monkeypatch):
    study = filled_study()
    path = study.save(tmp_path)
    before = path.read_bytes()

    def no_rename(src, dst):
        raise OSError("rename refused")

    study.question.title = "A new title"
    monkeypatch.setattr(os, "replace", no_rename)
    with pytest.raises(OSError, match="rename refused"):
        study.save()
    monkeypatch.undo()

    assert path.read_bytes() == before
    assert _only_study_file(tmp_path)


def test_opening_a_folder_without_study_json_says_what_to_do(tmp_path):
    with pytest.raises(TenfoldError, match="not a Tenfold study folder") as info:
        Study.open(tmp_path)
    assert STUDY_FILE in str(info.value)
    assert "New study" in str(info.value)


def test_opening_a_missing_folder_is_a_tenfold_error(tmp_path):
    with pytest.raises(TenfoldError, match=STUDY_FILE):
        Study.open(tmp_path / "nowhere")


def test_opening_corrupt_json_says_which_file_and_what_to_do(tmp_path):
    (tmp_path / STUDY_FILE).write_text('{"question": {"title": "cut off', encoding="utf-8")
    with pytest.raises(TenfoldError, match="cannot be read") as info:
        Study.open(tmp_path)
    message = str(info.value)
    assert str(tmp_path / STUDY_FILE) in message
    assert "restore" in message
    assert info.value.__cause__ is None  # one paragraph for the user, no chained traceback


@pytest.mark.parametrize("text", ["[]", '{"question": "not a section"}', '{"findings": [{"code": "x"}]}'])
def test_opening_json_of_the_wrong_shape_is_a_tenfold_error(tmp_path, text):
    (tmp_path / STUDY_FILE).write_text(text, encoding="utf-8")
    with pytest.raises(TenfoldError, match="not a study file") as info:
        Study.open(tmp_path)
    assert "restore" in str(info.value)


def test_saving_without_a_folder_asks_for_one():
    with pytest.raises(TenfoldError, match="study folder"):
        Study().save()
    with pytest.raises(TenfoldError, match="no folder"):
        Study().path("checkpoints")


def test_set_findings_replaces_only_that_steps_findings():
    s = Study()
    s.set_findings("data", [Findings.missing_values.raise_(n_columns=1, share=0.1)])
    s.set_findings("batch", [Findings.batch_effect.raise_(batch="run", silhouette=0.4)])
    s.set_findings("data", [Findings.duplicate_samples.raise_(count=2)])
    assert s.finding_codes() == {"duplicate-samples", "batch-effect"}
    s.add_finding(Findings.duplicate_samples.raise_(count=2))
    assert len(s.findings) == 2


@pytest.mark.parametrize("answer, treated", [(None, True), (True, True), (False, False)])
def test_undeclared_sensitivity_counts_as_sensitive(answer, treated):
    s = Study()
    s.data.sensitive = answer
    assert s.treated_as_sensitive is treated


def test_primary_metric_follows_the_task_when_the_target_metric_does_not_fit():
    s = Study()
    assert s.primary_metric == "roc_auc"
    s.question.target_metric = "balanced_accuracy"
    assert s.primary_metric == "balanced_accuracy"
    s.question.task = "regression"  # the target metric is still a classification one
    assert s.primary_metric == "r2"
    s.question.target_metric = "mae"
    assert s.primary_metric == "mae"
