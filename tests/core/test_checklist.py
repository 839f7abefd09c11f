"""The checklist: items ticked from evidence in the study, guided mode, attestations."""

from __future__ import annotations

import pytest

from guiapp.core import data, demo
from guiapp.core.baselines import fit_baselines
from guiapp.core.batch import batch_effect_report
from guiapp.core.checklist import ITEMS, TIPS, attest, blocking_items, can_leave, evaluate_checklist, summary
from guiapp.core.errors import TenfoldError
from guiapp.core.ethics import add_entry, set_card_fields, set_sensitivity_answers, set_share_weights
from guiapp.core.evaluate import evaluate_on_tune, finalize_test_evaluation, overfitting_check
from guiapp.core.interpret import permutation_importance
from guiapp.core.learning_curve import learning_curve
from guiapp.core.shuffle_control import label_shuffle_control
from guiapp.core.split import split_study
from guiapp.core.steps import STEP_IDS
from guiapp.core.study import Study
from guiapp.core.network_search import tune_network
from guiapp.core.train import train_network
from guiapp.core.verdict import record_reason


def statuses(study) -> dict:
    return {i["id"]: i["status"] for i in evaluate_checklist(study)}


def done(study) -> set:
    return {k for k, v in statuses(study).items() if v == "done"}


def test_the_items_are_well_formed():
    ids = [i.id for i in ITEMS]
    assert len(ids) == len(set(ids))
    assert all(i.tip in TIPS and i.step in STEP_IDS for i in ITEMS)
    assert {i.tip for i in ITEMS} == set(range(1, 11))  # every tip has at least one item


def test_a_fresh_study_has_every_item_open():
    rows = evaluate_checklist(Study())
    assert {r["status"] for r in rows} == {"open"}
    assert len(rows) == len(ITEMS)
    assert {"question-stated", "test-set-sealed", "test-used-once", "ethics-register"} <= {r["id"] for r in rows}
    assert summary(rows) == {"open": len(ITEMS), "total": len(ITEMS)}


def test_each_step_ticks_its_own_items(tmp_path, quick_training):
    study = Study()
    study.save(tmp_path / "study")
    seen: set = set()

    def newly_done() -> set:
        nonlocal seen
        now = done(study)
        assert seen <= now, "an item went back to open"
        new, seen = now - seen, now
        return new

    assert newly_done() == set()

    study.question.title = "Treated vs control"
    study.question.target_metric, study.question.target_value = "roc_auc", 0.7
    assert newly_done() == {"question-stated", "success-criteria"}

    d = demo.simulated_expression(n_samples=200, n_genes=20, n_informative=5, effect_size=1.5)
    data.attach_data(study, demo.write_demo(d, tmp_path / "data"), label="condition", batch="batch",
                     sensitive=False)
    assert newly_done() == {"provenance-recorded", "samples-per-class", "sensitivity-declared"}

    batch_effect_report(study)
    assert newly_done() == {"batch-effects-checked"}

    split_study(study)
    assert newly_done() == {"test-set-sealed", "preprocessing-train-only"}

    study.baselines.models = ["logistic_regression"]
    study.baselines.budget_trials = study.train.budget_trials = 2
    fit_baselines(study)
    assert newly_done() == {"baselines-same-split"}
    assert statuses(study)["verdict-recorded"] == "open"  # fewer than 100 per class: doubtful
    record_reason(study, "To compare with the baselines on this pilot.")
    assert newly_done() == {"verdict-recorded"}

    quick_training(study, epochs=2)
    assert newly_done() == {"architecture-small"}
    study.tuning.epochs = 2
    tune_network(study)
    assert newly_done() == {"baselines-tuned-equally"}

    train_network(study)
    assert newly_done() == {"seed-and-determinism", "training-curves"}

    overfitting_check(study)
    assert newly_done() == {"overfitting-checked"}

    learning_curve(study, fractions=(0.5, 1.0))
    assert newly_done() == {"learning-curve"}

    label_shuffle_control(study, repeats=2)
    assert newly_done() == {"label-shuffle-control"}

    evaluate_on_tune(study)  # with a batch column: per-batch results; a classifier: calibration
    assert newly_done() == {"imbalance-aware-metrics", "intervals-reported", "compared-with-baselines",
                            "subgroup-results", "calibration-checked"}

    finalize_test_evaluation(study)
    assert newly_done() == {"test-used-once"}

    permutation_importance(study, n_repeats=1, top=3)
    assert newly_done() == {"interpretation-run"}

    add_entry(study, "None of the samples come from people.", raised_by="PI")
    assert newly_done() == {"ethics-register"}

    # leaving sharing on "auto" is a decision only once the user records it; with data declared
    # not sensitive that decision also records why no differential privacy is needed
    set_share_weights(study, "auto")
    assert newly_done() == {"weights-decision", "dp-recorded"}

    set_sensitivity_answers(study, about_humans=False)
    assert newly_done() == {"consent-recorded"}

    from guiapp.core.membership import membership_inference_audit

    membership_inference_audit(study, n_boot=10)
    assert newly_done() == {"membership-audit"}

    set_card_fields(study, intended_use="Teaching the workflow", limitations="Simulated data only")
    assert newly_done() == {"card-fields-written"}

    # only the export (another module's job) is left
    assert {k for k, v in statuses(study).items() if v != "done"} == {"versions-recorded"}


def test_guided_mode_keeps_the_question_step_until_it_is_stated():
    study = Study()
    assert study.checklist_mode is True
    ok, why = can_leave(study, "question")
    assert not ok
    assert "scientific question is stated" in why and "Tip 4" in why

    study.question.title = "Treated vs control"
    ok, why = can_leave(study, "question")
    assert not ok and "success criterion" in why and "question is stated" not in why

    study.question.target_value = 0.8
    assert can_leave(study, "question") == (True, "")


def test_ordinary_mode_never_blocks():
    study = Study()
    study.checklist_mode = False
    assert all(can_leave(study, step) == (True, "") for step in STEP_IDS)


def test_optional_items_never_block():
    study = Study()
    assert [i["id"] for i in blocking_items(study, "export")] == []
    assert can_leave(study, "export") == (True, "")


def test_attesting_needs_a_reason_and_unblocks_the_step():
    study = Study()
    with pytest.raises(TenfoldError, match="reason"):
        attest(study, "success-criteria", "  ")
    with pytest.raises(KeyError):
        attest(study, "no-such-item", "because")

    study.question.title = "Treated vs control"
    attest(study, "success-criteria", "  Exploratory study: no target set in advance. ")
    item = next(i for i in evaluate_checklist(study) if i["id"] == "success-criteria")
    assert item["status"] == "attested"
    assert item["evidence"] == "Exploratory study: no target set in advance."
    assert can_leave(study, "question") == (True, "")
    assert summary(evaluate_checklist(study))["attested"] == 1


def test_evidence_wins_over_an_attestation():
    study = Study()
    attest(study, "question-stated", "said so at the meeting")
    assert statuses(study)["question-stated"] == "attested"
    study.question.title = "Treated vs control"
    item = next(i for i in evaluate_checklist(study) if i["id"] == "question-stated")
    assert (item["status"], item["evidence"]) == ("done", "Treated vs control")


def test_turning_determinism_off_violates_the_seed_item():
    study = Study()
    study.train.history = [{"epoch": 1}]
    assert statuses(study)["seed-and-determinism"] == "done"
    study.train.deterministic = False
    assert statuses(study)["seed-and-determinism"] == "violated"


def test_sharing_weights_always_needs_a_reason_to_count():
    from guiapp.core.errors import TenfoldError

    study = Study()  # sensitivity undeclared: treated as sensitive
    with pytest.raises(TenfoldError, match="needs a reason"):
        set_share_weights(study, "always")
    assert statuses(study)["weights-decision"] == "open"
    set_share_weights(study, "always", "consented for open release")
    assert statuses(study)["weights-decision"] == "done"
