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
