"""Findings that act: which block, how acceptance and remedies settle them, and what the card says."""

from __future__ import annotations

import json

import pytest

from guiapp.core.guidance.checklist import can_leave, evaluate_checklist
from guiapp.core.study import blocking
from guiapp.core.study.blocking import (
    accept_finding,
    apply_spec_acceptances,
    caveats,
    headline_caveat,
    settle_by_remedy,
    unresolved_blocking,
    withdraw_acceptance,
)
from guiapp.core.study.errors import BlockingFindings, SpecError, TenfoldError
from guiapp.core.study.findings import Finding, FindingKind, Findings
from guiapp.core.study.model import Study
from guiapp.core.study.spec import load_spec

REASON = "Batches follow the hospitals; reported as a limitation, to be tested on a second cohort."


def confounded() -> Finding:
    return Findings.batch_confounded.raise_(batch="site", cramers_v=0.91, detail="site A holds only cases.")


def copies() -> Finding:
    return Findings.duplicates_across_splits.raise_(count=4, exact=3, near=1)


def shuffle_not_beaten() -> Finding:
    return Findings.label_shuffle_not_beaten.raise_(metric="ROC AUC", shuffled=0.71, real=0.73, low=0.65)


def study_with(*findings) -> Study:
    s = Study()
    for f in findings:
        s.add_finding(f)
    return s


# ----- which kinds block ----------------------------------------------------------------------------


def test_the_flaws_that_undo_a_result_block_and_ordinary_warnings_do_not():
    blocking_codes = {k.code for k in Findings.all() if k.blocks}
    assert {"batch-confounded", "duplicates-across-splits", "label-shuffle-not-beaten"} <= blocking_codes
    assert not {"batch-effect", "class-imbalance", "overfitting-gap", "sensitivity-undeclared"} & blocking_codes
    # A second look at the test set cannot be undone, and needs a written reason before it happens:
    # it heads the card's box instead of blocking.
    assert not Findings.test_set_reused.blocks
    # A single-sample class is bad input (exit 2), not something a reason can accept.
    assert not Findings.class_with_one_sample.blocks
    assert all(k.severity == "error" for k in Findings.all() if k.blocks)  # a blocking kind is an error


def test_a_raised_finding_carries_its_kinds_word_and_round_trips():
    f = confounded()
    assert f.blocks and not Findings.batch_effect.raise_(batch="b", silhouette=0.3).blocks
    assert Finding.from_dict(json.loads(json.dumps(f.to_dict()))) == f


def test_an_older_finding_without_blocks_takes_its_kinds_word():
    old = {k: v for k, v in confounded().to_dict().items() if k != "blocks"}
    assert Finding.from_dict(old).blocks
    old_warning = {
        k: v
        for k, v in Findings.class_imbalance.raise_(ratio=3, minority="a", share=0.2).to_dict().items()
        if k != "blocks"
    }
    assert not Finding.from_dict(old_warning).blocks
    # keys a later version adds are left aside, not a crash
    assert Finding.from_dict({**confounded().to_dict(), "remedy": "x"}).code == "batch-confounded"


def test_blocking_is_decided_by_code_for_kinds_declared_later(monkeypatch):
    leak = FindingKind("possible-label-leak", 7, "error", "data", "Column {column!r} leaks the label.", blocks=True)
    monkeypatch.setattr(Findings, "possible_label_leak", leak, raising=False)
    # a finding saved without the flag still blocks: its kind says so
    stale = Finding("possible-label-leak", 7, "error", "data", "Column 'x' leaks the label.", {"column": "x"}, False)
    s = study_with(stale)
    assert [f.code for f in unresolved_blocking(s)] == ["possible-label-leak"]
    # a code no kind declares keeps the finding's own word
    s = study_with(Finding("a-code-from-a-later-version", 1, "error", "data", "Something.", {}, True))
    assert [f.code for f in unresolved_blocking(s)] == ["a-code-from-a-later-version"]


def test_up_to_step_leaves_later_steps_findings_out():
    s = study_with(confounded(), shuffle_not_beaten())
    assert [f.code for f in unresolved_blocking(s, up_to_step="split")] == ["batch-confounded"]
    assert {f.code for f in unresolved_blocking(s)} == {"batch-confounded", "label-shuffle-not-beaten"}
    assert unresolved_blocking(study_with(Findings.batch_effect.raise_(batch="b", silhouette=0.4))) == []


# ----- accepting and settling -----------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   ", "...", "—", "123", None])
def test_acceptance_needs_a_reason_in_words(reason):
    s = study_with(confounded())
    with pytest.raises(TenfoldError, match="needs a reason in words"):
        accept_finding(s, "batch-confounded", reason)
    assert unresolved_blocking(s) and not s.accepted_findings


def test_acceptance_of_an_unknown_code_names_the_close_ones():
    with pytest.raises(TenfoldError, match="did you mean batch-confounded"):
        accept_finding(Study(), "batch-confunded", REASON)


def test_accepting_unblocks_records_the_reason_and_withdrawing_blocks_again():
    s = study_with(confounded(), copies())
    accept_finding(s, "batch-confounded", REASON)
    assert [f.code for f in unresolved_blocking(s)] == ["duplicates-across-splits"]
    assert s.accepted_findings["batch-confounded"]["reason"] == REASON
    entries = [e for e in s.ethics.register if e["finding"] == "accepted:batch-confounded"]
    assert len(entries) == 1 and REASON in entries[0]["mitigation"]
    accept_finding(s, "batch-confounded", REASON)  # again: still one register entry
    assert len([e for e in s.ethics.register if e["finding"] == "accepted:batch-confounded"]) == 1
    withdraw_acceptance(s, "batch-confounded")
    assert {f.code for f in unresolved_blocking(s)} == {"batch-confounded", "duplicates-across-splits"}
    assert not [e for e in s.ethics.register if e["finding"] == "accepted:batch-confounded"]


def test_accepting_before_the_finding_is_raised_records_it_once_raised():
    from guiapp.core.privacy.ethics import sync_register

    s = Study()
    accept_finding(s, "duplicates-across-splits", "Technical replicates, kept on purpose as a robustness check.")
    assert not s.ethics.register
    s.add_finding(copies())
    assert unresolved_blocking(s) == []
    sync_register(s)
    assert [e["finding"] for e in s.ethics.register] == ["accepted:duplicates-across-splits"]


def test_a_remedy_settles_a_finding_and_moves_it_out_of_the_caveats():
    s = study_with(confounded())
    with pytest.raises(TenfoldError):
        settle_by_remedy(s, "batch-confounded", " ")
    settle_by_remedy(
        s, "batch-confounded", "Leave-batch-out evaluation: each site tested on a model that never saw it."
    )
    assert unresolved_blocking(s) == []
    assert [c["code"] for c in caveats(s)] == []
    assert blocking.settled(s)[0]["remedy"].startswith("Leave-batch-out")
    blocking.unsettle(s, "batch-confounded")
    assert [f.code for f in unresolved_blocking(s)] == ["batch-confounded"]


def test_spec_acceptances_follow_the_spec_and_keep_the_users_own():
    s = study_with(confounded(), copies())
    accept_finding(s, "duplicates-across-splits", "Accepted in the wizard: replicate wells, reported.")
    apply_spec_acceptances(s, {"batch-confounded": REASON})
    assert s.accepted_findings["batch-confounded"]["by"] == blocking.BY_SPEC
    apply_spec_acceptances(s, {})  # the line was removed from the spec
    assert "batch-confounded" not in s.accepted_findings
    assert "duplicates-across-splits" in s.accepted_findings  # the wizard's acceptance stays


def test_acceptances_survive_saving_and_opening(tmp_path):
    s = study_with(confounded(), copies())
    accept_finding(s, "batch-confounded", REASON)
    settle_by_remedy(s, "duplicates-across-splits", "Copy-aware split: each cluster of copies on one side.")
    s.save(tmp_path / "study")
    back = Study.open(tmp_path / "study")
    assert back.accepted_findings == s.accepted_findings and back.settled_findings == s.settled_findings
    assert unresolved_blocking(back) == []


# ----- the headless stop, guided mode and the checklist ---------------------------------------------


def test_the_stop_lists_each_finding_with_the_line_that_accepts_it():
    s = study_with(confounded(), copies())
    with pytest.raises(BlockingFindings) as info:
        blocking.stop_if_blocked(s, "split")
    text = str(info.value)
    assert {f.code for f in info.value.findings} == {"batch-confounded", "duplicates-across-splits"}
    assert '[findings] accept = { batch-confounded = "..." }' in text
    assert '[findings] accept = { duplicates-across-splits = "..." }' in text
    assert '[findings] accept = { batch-confounded = "...", duplicates-across-splits = "..." }' in text
    assert confounded().message in text
    accept_finding(s, "batch-confounded", REASON)
    accept_finding(s, "duplicates-across-splits", "Replicates of one cell line, reported as such.")
    blocking.stop_if_blocked(s, "split")  # nothing left: no exception


def test_guided_mode_keeps_the_raising_step_closed_until_accepted():
    s = study_with(confounded())
    s.checklist_mode = True
    items = []  # no open checklist items: only the finding decides
    ok, why = can_leave(s, "batch", items)
    assert not ok and "batch-confounded" in why
    assert can_leave(s, "data", items)[0] and can_leave(s, "split", items)[0]
    s.checklist_mode = False
    assert can_leave(s, "batch", items) == (True, "")
    s.checklist_mode = True
    accept_finding(s, "batch-confounded", REASON)
    assert can_leave(s, "batch", items) == (True, "")


def test_the_checklist_item_says_what_was_done_about_blocking_findings():
    s = study_with(confounded())
    row = {r["id"]: r for r in evaluate_checklist(s)}["findings-acted-on"]
    assert row["status"] == "violated" and "batch-confounded" in row["evidence"]
    accept_finding(s, "batch-confounded", REASON)
    row = {r["id"]: r for r in evaluate_checklist(s)}["findings-acted-on"]
    assert row["status"] == "done" and REASON in row["evidence"]
    assert {r["id"]: r for r in evaluate_checklist(Study())}["findings-acted-on"]["status"] == "open"


# ----- the top of the card -------------------------------------------------------------------------


def test_caveats_put_unresolved_blocking_first_then_accepted_then_warnings():
    s = study_with(
        Findings.batch_effect.raise_(batch="site", silhouette=0.4),
        confounded(),
        copies(),
        Findings.missing_values.raise_(n_columns=2, share=0.01),
    )
    accept_finding(s, "batch-confounded", REASON)
    rows = caveats(s)
    assert [(r["code"], r["status"]) for r in rows] == [
        ("duplicates-across-splits", "unresolved"),
        ("batch-confounded", "accepted"),
        ("batch-effect", "unresolved"),
    ]
    assert rows[1]["reason"] == REASON  # info-level findings are not caveats
    assert headline_caveat(s).startswith("4 pair(s) of copied samples fall on both sides of the split (not remedied")
    accept_finding(s, "duplicates-across-splits", "Replicates of one cell line, reported as such.")
    s.findings.remove(copies())
    assert headline_caveat(s) == (
        f"batch 'site' is confounded with the label (accepted: “{REASON}”); 1 more finding listed above"
    )
    assert headline_caveat(Study()) == ""


def test_a_caveat_without_a_short_phrase_uses_the_messages_first_sentence():
    f = Findings.class_imbalance.raise_(ratio=4.0, minority="a", share=0.2)
    assert (
        blocking.caveat_phrase(f)
        == "the classes are imbalanced: the largest is 4.0 times the smallest ('a' is 20% of samples)"
    )


def test_spec_acceptances_are_checked_when_the_spec_is_read(tmp_path):
    (tmp_path / "d.csv").write_text("a,y\n1,0\n")

    def spec(accept: str):
        path = tmp_path / "s.toml"
        path.write_text(f'[data]\npath = "d.csv"\nlabel = "y"\n\n[findings]\naccept = {{ {accept} }}\n')
        return path

    assert load_spec(spec(f'batch-confounded = "{REASON}"'))["findings"]["accept"] == {"batch-confounded": REASON}
    with pytest.raises(SpecError, match=r"\[findings\] accept: batch-confounded needs a reason in words"):
        load_spec(spec('batch-confounded = ""'))
    with pytest.raises(SpecError, match=r"\[findings\] accept: duplicates-across-splits needs a reason"):
        load_spec(spec('duplicates-across-splits = "..."'))
    with pytest.raises(
        SpecError, match="'batch-confunded' is not the code of a finding; did you mean batch-confounded"
    ):
        load_spec(spec(f'batch-confunded = "{REASON}"'))


def test_a_blocking_finding_raised_after_training_stops_the_run_before_export(tmp_path, monkeypatch):
    """The label-shuffle control is made to fail; the run stops before Export (exit 3 in the CLI),
    and goes on from its study folder once the spec accepts the finding."""
    from guiapp.core.data import demo
    from guiapp.core.evaluation import shuffle_control
    from guiapp.core.evaluation.guards import replace_findings
    from guiapp.core.pipeline import run_study

    real = shuffle_control.label_shuffle_control

    def failing_control(study, *args, **kwargs):
        result = real(study, *args, **kwargs)
        replace_findings(study, "overfitting", {"label-shuffle-not-beaten"}, [shuffle_not_beaten()])
        return result

    monkeypatch.setattr(shuffle_control, "label_shuffle_control", failing_control)
    table = demo.simulated_expression(n_samples=120, n_genes=8, n_informative=4, effect_size=1.5, seed=1)
    spec = {
        "question": {"title": "t"},
        "data": {
            "path": str(demo.write_demo(table, tmp_path / "data")),
            "label": "condition",
            "identifiers": ["sample_id"],
            "sensitive": False,
        },
        "baselines": {"budget_trials": 1, "models": ["logistic_regression"]},
        "train": {"max_epochs": 2, "device": "cpu", "budget_trials": 1},
        "tuning": {"epochs": 2},
        "evaluate": {"shuffle_repeats": 1, "learning_curve": [0.5, 1.0]},
        "interpret": {"repeats": 1, "integrated_gradients": False},
        "privacy": {"membership_audit": False},
    }
    out = tmp_path / "out"
    with pytest.raises(BlockingFindings) as info:
        run_study(spec, out)
    assert info.value.before == "export" and "stopped before export" in str(info.value)
    assert [f.code for f in info.value.findings] == ["label-shuffle-not-beaten"]
    assert '[findings] accept = { label-shuffle-not-beaten = "..." }' in str(info.value)
    assert not (out / "model_card.md").exists()
    assert Study.open(out.parent / (out.name + ".study")).split.test_uses == 1  # evaluated once, and kept

    reason = "A pilot: the card reports that the network learned nothing beyond noise."
    spec["findings"] = {"accept": {"label-shuffle-not-beaten": reason}}
    result = run_study(spec, out, resume=True)
    assert result.study.split.test_uses == 1
    card = (out / "model_card.md").read_text(encoding="utf-8")
    assert card.index("## Unresolved and accepted findings") < card.index("## Headline result")
    assert reason in card.split("## Headline result")[0]
    assert "but the network does not clearly beat the same network trained on shuffled labels (accepted:" in card


def test_the_register_entry_a_remedied_finding_opened_names_the_remedy_and_stays_open():
    from guiapp.core.privacy.ethics import sync_register

    s = study_with(confounded())
    sync_register(s)
    (entry,) = [e for e in s.ethics.register if e["finding"].startswith("batch-confounded")]
    assert entry["status"] == "open" and entry["mitigation"] == ""
    settle_by_remedy(
        s, "batch-confounded", "Leave-batch-out evaluation: each site tested on a model that never saw it."
    )
    sync_register(s)
    assert entry["mitigation"] == (
        "Remedy applied: Leave-batch-out evaluation: each site tested on a model that never saw it."
    )
    assert entry["status"] == "open"  # confounding is answered, not undone: the user resolves it
    entry["mitigation"] = "My own words."
    sync_register(s)
    assert entry["mitigation"] == "My own words."  # the user's words are kept
