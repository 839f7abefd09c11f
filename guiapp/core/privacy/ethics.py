"""The ethics register, the sensitivity answers and the card fields only the owner can write (Tip 10).

The register holds the concerns about a study: who raised them, when, and what was done.
Some findings are ethical concerns in themselves (a column that identifies people, a batch
confounded with the label, a subgroup the model serves worse, a model that leaks who was in
its training data); :func:`sync_register` opens one entry for each, once.
"""

from __future__ import annotations

from guiapp.core.study.blocking import record_in_register
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.ethics_register import NO_CONCERNS, STATUSES, add_entry, open_entries, withdraw_no_concerns
from guiapp.core.study.findings import Findings
from guiapp.core.study.model import Study, now_iso
from guiapp.core.study.records import EthicsRecord

SHARE_CHOICES = ("auto", "never", "always")
AUTOMATIC = "Tenfold (automatic)"

# Findings that open a register entry by themselves: personal identifiers (the PII scan's
# findings, by prefix), batch confounded with the label, a subgroup the model serves
# worse, a failed label-shuffle control, a model that leaks membership, missing consent.
# An ID-like column already set aside as an identifier is no concern by itself (Tip 4).
REGISTER_CODES = {
    Findings.batch_confounded.code,
    "subgroup-performance-gap",
    "label-shuffle-not-beaten",
    "personal-identifier",
    Findings.membership_leak.code,
    Findings.consent_unrecorded.code,
}
REGISTER_PREFIXES = ("pii",)


def _identifier_codes() -> set:
    """Codes of findings that say a column identifies samples or people (the PII scan's too)."""
    codes = {Findings.identifier_like_column.code, "personal-identifier"}
    kind = getattr(Findings, "personal_identifier", None)  # the PII scan of the Data step
    return codes | ({kind.code} if kind is not None else set())


# The answers of the Data page's sensitivity questions, as study fields.
ANSWERS = ("about_humans", "identifiable", "consent", "consent_reference", "data_use_agreement", "dua_reference")
CARD_FIELDS = ("intended_use", "out_of_scope", "limitations")
_SENSITIVITY_CODES = {
    Findings.sensitivity_undeclared.code,
    Findings.consent_unrecorded.code,
    Findings.sensitivity_inconsistent.code,
}


# ----- the register ---------------------------------------------------------------------------


def declare_no_concerns(study: Study, raised_by: str = "") -> EthicsRecord:
    """Record that the study raises no ethical concern; refused while a concern is open, so the
    register and the card never say both "no concerns" and "a concern is still open"."""
    open_ = [e["concern"] for e in open_entries(study)]
    if open_:
        raise TenfoldError(
            f"{len(open_)} concern(s) in the register are still open ("
            + "; ".join(c.rstrip(". ") for c in open_[:3])
            + "): resolve each with how it was addressed before declaring no concerns."
        )
    return add_entry(study, NO_CONCERNS, raised_by=raised_by, status="resolved")


def _entry(study: Study, index: int) -> EthicsRecord:
    if not 0 <= index < len(study.ethics.register):
        raise TenfoldError("Select an entry of the ethics register first.")
    return study.ethics.register[index]


def edit_entry(study: Study, index: int, *, concern=None, raised_by=None, mitigation=None, status=None) -> EthicsRecord:
    """Change the given fields of one entry; ``None`` leaves a field as it is."""
    entry = _entry(study, index)
    if concern is not None and not concern.strip():
        raise TenfoldError("An entry needs its concern; write it, or resolve the entry instead.")
    if status is not None and status not in STATUSES:
        raise TenfoldError(f"An entry's status is one of {', '.join(STATUSES)}, not {status!r}.")
    if status == "open" and entry.get("concern") == NO_CONCERNS:
        raise TenfoldError("The no-concerns declaration cannot be reopened: add the concern as a new entry.")
    if concern is not None:
        entry["concern"] = concern.strip()
    if raised_by is not None:
        entry["raised_by"] = raised_by.strip()
    if mitigation is not None:
        entry["mitigation"] = mitigation.strip()
    if status is not None:
        entry["status"] = status.strip()
        if entry["status"] == "open":
            withdraw_no_concerns(study)  # a reopened concern makes "no concerns" untrue
    return entry


def resolve_entry(study: Study, index: int, mitigation: str) -> None:
    entry = _entry(study, index)
    entry["status"] = "resolved"
    if mitigation.strip():
        entry["mitigation"] = mitigation.strip()


def opens_entry(finding) -> bool:
    """Whether a finding is an ethical concern the register records by itself."""
    if finding.severity not in ("warning", "error"):
        return False
    return finding.code in REGISTER_CODES | _identifier_codes() or finding.code.startswith(REGISTER_PREFIXES)


def finding_key(finding) -> str:
    """``code:detail``: one entry per column, batch, subgroup or model, never one per rerun."""
    values = finding.values or {}
    detail = "=".join(
        str(values[k]) for k in ("column", "batch", "factor", "group", "model") if values.get(k) not in (None, "")
    )
    return f"{finding.code}:{detail}"


def sync_register(study: Study) -> list[EthicsRecord]:
    """Open an entry for each finding that is an ethical concern and has none yet.

    Idempotent: an entry remembers the finding that opened it, so a rerun (or an entry the
    user resolved or reworded) never brings a second one. Returns the new entries.
    """
    known = {e.get("finding") for e in study.ethics.register if e.get("finding")}
    new = []
    for f in study.findings:
        if not opens_entry(f):
            continue
        key = finding_key(f)
        if key in known:
            continue
        known.add(key)
        new.append(add_entry(study, f.message, raised_by=AUTOMATIC, finding=key))
    return new + record_in_register(study)  # accepted findings, with their reasons


# ----- sensitivity ------------------------------------------------------------------------------


def set_sensitivity(study: Study, sensitive) -> None:
    """Record the user's answer; undeclared (None) is treated as sensitive."""
    study.data.sensitive = sensitive
    _update_sensitivity_findings(study)
    others = [f for f in study.findings if f.step == "ethics" and f.code != Findings.sensitive_data.code]
    study.set_findings("ethics", others + ([Findings.sensitive_data.raise_()] if sensitive else []))


def set_sensitivity_answers(study: Study, **answers) -> None:
    """Store answers to the sensitivity questions (about humans, identifiable, consent / IRB
    with its reference, data-use agreement with its reference); other answers are kept."""
    unknown = set(answers) - set(ANSWERS)
    if unknown:
        raise TenfoldError(f"Unknown sensitivity question(s): {', '.join(sorted(unknown))}.")
    d = study.data
    for key, value in answers.items():
        if key.endswith("_reference"):
            value = (value or "").strip()
        elif value is not None and not isinstance(value, bool):
            raise TenfoldError(f"Answer {key!r} with yes, no or not known.")
        setattr(d, key, value)
    _update_sensitivity_findings(study)


def consent_recorded(study: Study) -> bool:
    d = study.data
    return bool(d.consent or d.consent_reference or d.data_use_agreement or d.dua_reference)


def sensitivity_findings(study: Study) -> list:
    """The data step's findings about the sensitivity answers."""
    d = study.data
    out = []
    if d.sensitive is None:
        out.append(Findings.sensitivity_undeclared.raise_())
    # De-identified data declared not sensitive (a public cohort) need no consent on record here.
    personal = d.about_humans and not (d.identifiable is False and d.sensitive is False)
    if personal and not consent_recorded(study):
        out.append(Findings.consent_unrecorded.raise_())
    if d.sensitive is False:
        why = [
            text
            for flag, text in (
                (d.about_humans and d.identifiable, "they identify people"),
                (d.consent, "they are under consent or ethics approval"),
                (d.data_use_agreement, "a data-use agreement covers them"),
            )
            if flag
        ]
        if why:
            out.append(Findings.sensitivity_inconsistent.raise_(why=" and ".join(why)))
    return out


def _update_sensitivity_findings(study: Study) -> None:
    others = [f for f in study.findings if f.step == "data" and f.code not in _SENSITIVITY_CODES]
    study.set_findings("data", others + sensitivity_findings(study))


def suggested_sensitivity(study: Study) -> tuple:
    """``(True | False | None, why)``: what the answers and the identifier scan suggest."""
    d = study.data
    ids = sorted(
        {
            str(f.values.get("column"))
            for f in study.findings
            if f.code in _identifier_codes() or f.code.startswith(REGISTER_PREFIXES)
        }
        | set(map(str, d.identifiers))
    )
    if d.about_humans and d.identifiable:
        return True, "the data are about identifiable people"
    if d.consent or d.data_use_agreement:
        return True, "consent, ethics approval or a data-use agreement covers the data"
    if d.about_humans and ids:
        return True, f"the data are about people and column(s) {', '.join(ids)} look like identifiers"
    if d.about_humans is False:
        return False, "the data are not about people"
    if ids:
        return None, (
            f"column(s) {', '.join(ids)} look like identifiers: if they point to people, the data are sensitive"
        )
    return None, ""


# ----- decisions and the card's own fields -------------------------------------------------------


def set_share_weights(study: Study, choice: str, reason: str = "") -> None:
    if choice not in SHARE_CHOICES:
        raise TenfoldError(f"Choose how to share weights: {', '.join(SHARE_CHOICES)}.")
    if choice == "always" and study.treated_as_sensitive and not reason.strip():
        raise TenfoldError(
            "The data are (or may be) sensitive: sharing the network's weights anyway needs a "
            "reason, which goes into the ethics register and the model card (Tip 10)."
        )
    study.ethics.share_weights, study.ethics.share_reason = choice, reason.strip()
    study.ethics.decided_at = now_iso()
    if choice == "always" and study.treated_as_sensitive:
        add_entry(
            study,
            "Network weights (and the kNN baseline) trained on sensitive data are shared without differential privacy.",
            raised_by="Tenfold",
            mitigation=reason,
            status="resolved",
        )


def set_card_fields(study: Study, **fields) -> None:
    """The intended use, out-of-scope uses and limitations, in the owner's words."""
    unknown = set(fields) - set(CARD_FIELDS)
    if unknown:
        raise TenfoldError(f"Unknown model-card field(s): {', '.join(sorted(unknown))}.")
    for key, value in fields.items():
        setattr(study.ethics, key, (value or "").strip())


def card_fields_missing(study: Study) -> list[str]:
    """The user-written card fields still empty, in the card's words."""
    names = {"intended_use": "intended use", "out_of_scope": "out-of-scope uses", "limitations": "limitations"}
    return [names[k] for k in CARD_FIELDS if not getattr(study.ethics, k, "").strip()]
