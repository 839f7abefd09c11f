"""The sharing policy, the privacy block of the card, privacy.md, the sensitivity questions and the
register entries findings open by themselves."""

from __future__ import annotations

import json

import jsonschema
import numpy as np
import pytest
from huggingface_hub import ModelCard
from test_export import make_study  # the finished study the export tests build by hand

from guiapp.core.export import model_card
from guiapp.core.export.sharing import sharing_plan
from guiapp.core.export.write import write_bundle
from guiapp.core.privacy import ethics
from guiapp.core.privacy.membership import KNN_FILE, loss_threshold_attack
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.findings import Findings


def with_audit(study):
    """Audit results as the audit records them (losses drawn here: the study has no table)."""
    rng = np.random.default_rng(0)
    models = {
        "network": loss_threshold_attack(
            rng.exponential(0.3, 40), rng.exponential(1.0, 40), model="network", n_boot=30
        ).to_dict(),
        "knn": loss_threshold_attack(
            rng.exponential(1.0, 40), rng.exponential(1.0, 40), model="knn", n_boot=30
        ).to_dict(),
    }
    study.ethics.membership = {
        "audited_at": "2024-04-02T10:00:00+00:00",
        "n_per_side": 40,
        "n_boot": 30,
        "auc_warn": 0.55,
        "tpr_warn": 0.02,
        "low_fpr": 0.01,
        "models": models,
        "knn_file": KNN_FILE,
    }
    return study


def with_knn_file(study):
    """A real fitted kNN pipeline in the study folder, saved with skops as the audit saves it."""
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from guiapp.core.privacy.membership import save_knn

    X = np.random.default_rng(1).normal(size=(30, 12))
    pipe = Pipeline([("scale", StandardScaler()), ("model", KNeighborsClassifier(3))]).fit(X, np.arange(30) % 2)
    save_knn(pipe, study.path(KNN_FILE))
    return study


@pytest.fixture
def study(tmp_path):
    return with_knn_file(with_audit(make_study(tmp_path / "study", sensitive=True)))


def test_card_round_trips_with_results_audit_and_owner_fields(study, tmp_path):
    ethics.set_card_fields(
        study,
        intended_use="Ranking tumours for follow-up assays in our lab.",
        limitations="One hospital, one sequencing platform.",
    )
    ethics.set_sensitivity_answers(
        study, about_humans=True, identifiable=True, consent=True, consent_reference="IRB-2023-114"
    )
    write_bundle(study, tmp_path / "export")
    card = ModelCard.load(tmp_path / "export" / "model_card.md")
    results = card.data.to_dict()["model-index"][0]["results"]
    assert {m["type"]: m["value"] for m in results[0]["metrics"]}["roc_auc"] == 0.871
    assert card.data.eval_results[0].dataset_split == "test"
    text = card.text
    assert "Ranking tumours for follow-up assays" in text and "One hospital, one sequencing platform." in text
    assert "### Out-of-scope uses" in text and model_card.NOT_PROVIDED in text  # out-of-scope left empty
    assert "IRB-2023-114" in text and "Identifiable: yes" in text
    assert "### Membership-inference audit" in text and "| kNN baseline |" in text and "| network |" in text
    net = study.ethics.membership["models"]["network"]
    assert f"{net['auc']:.3f}" in text and f"[{net['auc_ci'][0]:.3f}, {net['auc_ci'][1]:.3f}]" in text
    assert "not trained with differential privacy" in text and "## Checklist" in text

    card_json = json.loads((tmp_path / "export" / "model_card.json").read_text())
    jsonschema.Draft7Validator(model_card.load_schema()).validate(card_json)
    sensitive = card_json["model_parameters"]["data"][0]["sensitive"]["sensitive_data"]
    assert any("IRB-2023-114" in s for s in sensitive) and any("patient_id" in s for s in sensitive)
    assert card_json["considerations"]["use_cases"][0]["description"].startswith("Ranking tumours")
    assert card_json["considerations"]["limitations"][0]["description"] == "One hospital, one sequencing platform."
    audit = [m for m in card_json["quantitative_analysis"]["performance_metrics"] if "membership" in m["type"]]
    assert len(audit) == 2 and "confidence_interval" in audit[0]


def test_empty_owner_fields_are_marked_not_provided(tmp_path):
    study = make_study(tmp_path / "study", sensitive=True)  # sensitive: the missing audit is a warning
    write_bundle(study, tmp_path / "export")
    text = (tmp_path / "export" / "model_card.md").read_text()
    assert text.count(model_card.NOT_PROVIDED) == 3  # intended use, out-of-scope, limitations
    assert "No membership-inference audit was run" in text
    limits = json.loads((tmp_path / "export" / "model_card.json").read_text())["considerations"]["limitations"]
    assert model_card.NOT_PROVIDED in limits[0]["description"]


def test_sensitive_without_dp_withholds_network_and_knn(study, tmp_path):
    out = tmp_path / "export"
    result = write_bundle(study, out)
    assert not result.weights_shared and not result.knn_shared and not result.dp_shared
    assert not (out / "model").exists()
    privacy = (out / "privacy.md").read_text()
    for section in (
        "## What is sensitive",
        "## Membership-inference audit",
        "## What was withheld and why",
        "## Differential privacy",
        "## Rules for sharing",
    ):
        assert section in privacy, section
    assert "kNN baseline: withheld" in privacy and "stores every training sample" in privacy
    assert "Network weights: withheld" in privacy and "membership inference" in privacy
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["privacy"]["shared"] == {"network": False, "dp_network": False, "knn": False}
    assert metrics["privacy"]["membership_audit"]["models"]["network"]["auc"] > 0.5


def test_override_needs_a_reason_that_reaches_register_and_card(study, tmp_path):
    with pytest.raises(TenfoldError, match="needs a reason"):
        ethics.set_share_weights(study, "always", "  ")
    reason = "The data access committee approved open release on 2024-04-01."
    ethics.set_share_weights(study, "always", reason)
    entry = study.ethics.register[-1]
    assert entry["mitigation"] == reason and entry["status"] == "resolved" and "kNN" in entry["concern"]
    out = tmp_path / "export"
    result = write_bundle(study, out)
    assert result.weights_shared and result.knn_shared
    assert (out / "model" / "model.safetensors").is_file() and (out / "model" / "knn_baseline.skops").is_file()
    card = (out / "model_card.md").read_text()
    assert reason in card and "shared without differential privacy" in card  # the register row
    assert reason in json.dumps(json.loads((out / "ethics_register.json").read_text()))
    assert "holds every training sample verbatim" in (out / "privacy.md").read_text()


def test_not_sensitive_ships_network_and_knn(tmp_path):
    study = with_knn_file(with_audit(make_study(tmp_path / "study", sensitive=False)))
    plan = sharing_plan(study)
    assert plan.network and plan.knn and not plan.dp
    result = write_bundle(study, tmp_path / "export")
    assert result.knn_shared
    config = json.loads((tmp_path / "export" / "model" / "config.json").read_text())
    assert config["models"] == {"network": "model.safetensors", "dp_network": None, "knn": "knn_baseline.skops"}
    assert config["identifiers"] == ["patient_id"] and config["batch_correction"] == "none"


def test_sensitivity_answers_raise_and_clear_findings(tiny_study):
    s = tiny_study
    ethics.set_sensitivity_answers(s, about_humans=True, identifiable=True)
    assert Findings.consent_unrecorded.code in s.finding_codes()
    assert Findings.sensitivity_inconsistent.code in s.finding_codes()  # tiny_study is declared not sensitive
    assert ethics.suggested_sensitivity(s)[0] is True
    ethics.set_sensitivity_answers(s, consent=True, consent_reference=" IRB-7 ")
    assert s.data.consent_reference == "IRB-7" and Findings.consent_unrecorded.code not in s.finding_codes()
    ethics.set_sensitivity(s, True)
    assert Findings.sensitivity_inconsistent.code not in s.finding_codes()
    assert "identifier-like-column" in s.finding_codes()  # the data step's other findings stay
    with pytest.raises(TenfoldError, match="Unknown sensitivity"):
        ethics.set_sensitivity_answers(s, religion=True)
    with pytest.raises(TenfoldError, match="yes, no or not known"):
        ethics.set_sensitivity_answers(s, about_humans="maybe")


def test_findings_open_register_entries_once(tiny_study):
    s = tiny_study
    s.add_finding(Findings.batch_confounded.raise_(batch="run", cramers_v=0.8, detail="Run 1 holds only controls."))
    s.add_finding(Findings.class_imbalance.raise_(ratio=4.0, minority="a", share=0.2))  # not an ethics concern
    new = ethics.sync_register(s)
    keys = {e["finding"] for e in new}
    assert "batch-confounded:run" in keys
    # an ID-like column already set aside as an identifier is no ethical concern by itself (Tip 4)
    assert "identifier-like-column" in s.finding_codes()
    assert not any(k.startswith("identifier-like-column:") for k in keys)
    assert not any(k.startswith("class-imbalance") for k in keys)
    assert all(e["raised_by"] == ethics.AUTOMATIC and e["status"] == "open" for e in new)
    ethics.edit_entry(s, 0, concern="Batch run confounded: controls all in run 1", mitigation="Batch-holdout split")
    assert ethics.sync_register(s) == []  # reworded or not, the finding has its entry
    assert s.ethics.register[0]["concern"].startswith("Batch run confounded")


def test_edit_and_resolve_check_their_input():
    from guiapp.core.study.model import Study

    s = Study()
    ethics.add_entry(s, "Cohort is 90% of one ancestry")
    with pytest.raises(TenfoldError, match="Select an entry"):
        ethics.edit_entry(s, 3, mitigation="x")
    with pytest.raises(TenfoldError, match="needs its concern"):
        ethics.edit_entry(s, 0, concern=" ")
    with pytest.raises(TenfoldError, match="status"):
        ethics.edit_entry(s, 0, status="pending")
    ethics.edit_entry(s, 0, status="resolved", mitigation="Per-ancestry results in the card")
    assert s.ethics.register[0]["status"] == "resolved"
    assert ethics.card_fields_missing(s) == ["intended use", "out-of-scope uses", "limitations"]


def test_data_declared_not_sensitive_get_no_privacy_guarantee_noise(tmp_path):
    """No DP and no audit are warnings for data that may be sensitive, not for public data."""
    from guiapp.core.export.sharing import privacy_warnings

    study = make_study(tmp_path / "study", sensitive=True)
    text = " ".join(privacy_warnings(study))
    assert "not trained with differential privacy" in text and "No membership-inference audit" in text
    study.data.sensitive = False
    text = " ".join(privacy_warnings(study))
    assert "differential privacy" not in text and "membership-inference audit" not in text
    assert "declared not sensitive" in text  # what the answer means is still said
