"""The ethics register and the sensitivity answer (Tip 10)."""

from __future__ import annotations

import pytest

from guiapp.core.privacy.ethics import add_entry, resolve_entry, set_sensitivity, set_share_weights
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.model import Study


def test_declaring_sensitive_data_replaces_the_undeclared_finding(tiny_study):
    set_sensitivity(tiny_study, None)
    assert "sensitivity-undeclared" in tiny_study.finding_codes()
    assert "sensitive-data" not in tiny_study.finding_codes()
    set_sensitivity(tiny_study, True)
    assert tiny_study.data.sensitive is True
    assert "sensitive-data" in tiny_study.finding_codes()
    assert "sensitivity-undeclared" not in tiny_study.finding_codes()
    set_sensitivity(tiny_study, False)
    assert not {"sensitive-data", "sensitivity-undeclared"} & tiny_study.finding_codes()
    # the data step's other findings are kept
    assert "identifier-like-column" in tiny_study.finding_codes()


def test_register_entries_are_added_and_resolved():
    study = Study()
    with pytest.raises(TenfoldError, match="Write the concern"):
        add_entry(study, "   ")
    entry = add_entry(study, " Samples from one hospital only ", raised_by="Reviewer")
    assert entry["concern"] == "Samples from one hospital only" and entry["status"] == "open"
    assert entry["date"]
    resolve_entry(study, 0, "Said so in the model card")
    assert study.ethics.register[0]["status"] == "resolved"
    assert study.ethics.register[0]["mitigation"] == "Said so in the model card"


def test_sharing_weights_of_sensitive_data_needs_a_reason():
    study = Study()  # sensitivity undeclared: treated as sensitive
    with pytest.raises(TenfoldError, match="needs a reason"):
        set_share_weights(study, "always")
    assert study.ethics.share_weights == "auto"
    set_share_weights(study, "always", "Participants consented to open release")
    assert study.ethics.share_weights == "always"
    assert study.ethics.register[-1]["status"] == "resolved"
    assert "Participants consented" in study.ethics.register[-1]["mitigation"]


def test_sharing_weights_of_non_sensitive_data_needs_no_reason():
    study = Study()
    study.data.sensitive = False
    set_share_weights(study, "always")
    assert study.ethics.share_weights == "always" and study.ethics.register == []
    with pytest.raises(TenfoldError, match="auto, never, always"):
        set_share_weights(study, "sometimes")


def test_register_and_card_never_say_no_concerns_and_an_open_concern():
    from guiapp.core.export.sharing import privacy_warnings
    from guiapp.core.privacy.ethics import NO_CONCERNS, declare_no_concerns

    s = Study()
    add_entry(s, "Donors from one clinic only")
    with pytest.raises(TenfoldError, match="1 concern\\(s\\) in the register are still open"):
        declare_no_concerns(s)
    s.ethics.register.clear()
    declare_no_concerns(s)
    assert [e["concern"] for e in s.ethics.register] == [NO_CONCERNS]
    add_entry(s, "A batch is confounded with the label")  # raised later: the declaration no longer holds
    assert [e["concern"] for e in s.ethics.register] == ["A batch is confounded with the label"]
    assert any("still open" in w for w in privacy_warnings(s))


def _card(study: Study) -> tuple[str, list[str]]:
    """The Markdown card's ethics register section, and the JSON card's ethical considerations."""
    from guiapp.core.export.model_card import model_card_json, render_model_card

    card = render_model_card(study, weights_shared=False, weights_reason="not shared", privacy=[])
    section = card[card.index("### Ethics register") : card.index("### Sensitivity and privacy")]
    mct = model_card_json(study, weights_shared=False, weights_reason="not shared", privacy=[])
    return section, [c["name"] for c in mct["considerations"]["ethical_considerations"]]


def test_a_finding_that_opens_an_entry_after_no_concerns_makes_the_card_say_it_is_open():
    from guiapp.core.privacy.ethics import NO_CONCERNS, declare_no_concerns, sync_register
    from guiapp.core.study.findings import Findings

    s = Study()
    declare_no_concerns(s)
    assert NO_CONCERNS in _card(s)[0] and "still open" not in _card(s)[0]
    s.add_finding(Findings.batch_confounded.raise_(batch="run", cramers_v=0.9, detail="Run 1 holds every case."))
    assert sync_register(s)  # the finding opens its entry
    section, ethical = _card(s)
    assert NO_CONCERNS not in section and NO_CONCERNS not in ethical
    assert "**1 concern in the ethics register is still open: resolve each on the Ethics & privacy page" in section
    assert "Batch 'run' is confounded with the label" in section


def test_a_concern_reopened_after_no_concerns_withdraws_the_declaration():
    from guiapp.core.privacy.ethics import NO_CONCERNS, declare_no_concerns, edit_entry

    s = Study()
    add_entry(s, "Donors from one clinic only")
    resolve_entry(s, 0, "Stated under limitations")
    declare_no_concerns(s)
    edit_entry(s, 0, status="open")
    assert [(e["concern"], e["status"]) for e in s.ethics.register] == [("Donors from one clinic only", "open")]
    assert NO_CONCERNS not in _card(s)[0]
    with pytest.raises(TenfoldError, match="still open"):
        declare_no_concerns(s)  # refused while the concern is open
    s.ethics.register.clear()
    declare_no_concerns(s)
    with pytest.raises(TenfoldError, match="cannot be reopened"):
        edit_entry(s, 0, status="open")


def test_an_older_study_holding_both_gets_a_card_where_the_open_concern_wins():
    from guiapp.core.privacy.ethics import NO_CONCERNS

    s = Study()
    s.ethics.register[:] = [
        {"concern": NO_CONCERNS, "raised_by": "", "date": "2026-01-01", "status": "resolved", "mitigation": ""},
        {"concern": "Two donors share a family", "raised_by": "PI", "date": "2026-02-01", "status": "open"},
    ]
    section, ethical = _card(s)
    assert NO_CONCERNS not in section and NO_CONCERNS not in ethical
    assert "1 concern in the ethics register is still open" in section and "Two donors share a family" in ethical
    s.ethics.register[1]["status"] = "resolved"
    section, _ = _card(s)
    assert NO_CONCERNS in section and "still open" not in section  # nothing open: the declaration stands
