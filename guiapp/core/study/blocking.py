"""Findings that act: which findings block a study, and how the user settles them.

A finding blocks when its kind says so (``FindingKind.blocks``): the study's result cannot be
trusted until the user acts. It stays unresolved until a remedy settles it
(:func:`settle_by_remedy`, called by the step that applies the remedy) or the user accepts it
with a written reason (:func:`accept_finding`; in a spec, ``[findings] accept = { code = "why" }``).
:func:`unresolved_blocking` is the one pure function that guided mode, ``tenfold run``,
``tenfold inspect`` and the tests ask. :func:`caveats` lists what the top of the card and the
report must say: every warning and error not settled by a remedy, with the user's reasons.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from guiapp.core.study.errors import BlockingFindings, TenfoldError
from guiapp.core.study.ethics_register import add_entry
from guiapp.core.study.findings import Finding, Findings
from guiapp.core.study.model import Study, now_iso
from guiapp.core.study.records import Acceptance, EthicsRecord, Settlement
from guiapp.core.study.steps import STEP_IDS, step
from guiapp.core.study.vocabulary import DONE, OPEN, VIOLATED

BY_SPEC = "study spec"
BY_USER = "study owner"
# The ethics register entry an acceptance opens remembers it by this prefix and the code.
REGISTER_PREFIX = "accepted:"
PLACEHOLDER = "..."
_SEVERITY_ORDER = {"error": 0, "warning": 1}


# ----- which findings block -------------------------------------------------------------------


def _kind(code: str):
    try:
        return Findings.by_code(code)
    except KeyError:
        return None


def is_blocking(finding: Finding) -> bool:
    """By code: the kind's declaration wins, so a kind declared later still blocks (or stops
    blocking) in studies saved before; a code no kind declares keeps the finding's own word."""
    kind = _kind(finding.code)
    return bool(kind.blocks) if kind is not None else bool(getattr(finding, "blocks", False))


def is_accepted(study: Study, code: str) -> bool:
    return code in study.accepted_findings


def is_settled(study: Study, code: str) -> bool:
    return code in study.settled_findings


def is_resolved(study: Study, code: str) -> bool:
    return is_accepted(study, code) or is_settled(study, code)


def unresolved_blocking(study: Study, up_to_step: str | None = None) -> list[Finding]:
    """Blocking findings neither settled by a remedy nor accepted with a reason.

    With ``up_to_step``, only those raised by that step or an earlier one (a run stops before
    training on what the steps before training raised).
    """
    limit = STEP_IDS.index(up_to_step) if up_to_step is not None else None
    out = []
    for f in study.findings:
        if not is_blocking(f) or is_resolved(study, f.code):
            continue
        if limit is not None and f.step in STEP_IDS and STEP_IDS.index(f.step) > limit:
            continue
        if f not in out:
            out.append(f)
    return out


def blocking_on_step(study: Study, step_id: str) -> list[Finding]:
    """The unresolved blocking findings ``step_id`` raised: in guided mode they keep Next off there."""
    return [f for f in unresolved_blocking(study) if f.step == step_id]


# ----- acting on them -----------------------------------------------------------------------------


def check_reason(code: str, reason) -> str:
    """A reason in words: empty text, or a placeholder such as "...", is no reason."""
    text = reason.strip() if isinstance(reason, str) else ""
    if not re.search(r"[^\W\d_]", text):
        raise TenfoldError(
            f"Accepting the finding {code} needs a reason in words: say why the result still holds "
            "despite it (it goes into the model card, the report and the ethics register)."
        )
    return text


def accept_finding(study: Study, code: str, reason: str, *, by: str = BY_USER) -> Acceptance:
    """Record that the user accepts ``code`` with ``reason``; it no longer blocks the study, and
    the card, the report, the checklist and the ethics register carry the reason."""
    if _kind(code) is None:
        raise TenfoldError(f"{code!r} is not the code of a finding Tenfold raises; {_closest(code)}")
    reason = check_reason(code, reason)
    old = study.accepted_findings.get(code)
    at = old["at"] if old and old.get("reason") == reason else _now()
    entry = Acceptance(reason=reason, at=at, by=by)
    study.accepted_findings[code] = entry
    record_in_register(study)
    return entry


def withdraw_acceptance(study: Study, code: str) -> None:
    """Take an acceptance back: the finding blocks again (its register entry goes too)."""
    study.accepted_findings.pop(code, None)
    study.ethics.register[:] = [e for e in study.ethics.register if e.get("finding") != REGISTER_PREFIX + code]


def settle_by_remedy(study: Study, code: str, remedy_text: str) -> Settlement:
    """A remedy applied by its step settles ``code``: it no longer blocks, and it leaves the
    card's box of caveats for the list of remedies. ``remedy_text`` says what was done."""
    if not isinstance(remedy_text, str) or not remedy_text.strip():
        raise TenfoldError(f"Say which remedy settles the finding {code}.")
    entry = Settlement(remedy=remedy_text.strip(), at=_now())
    study.settled_findings[code] = entry
    return entry


def unsettle(study: Study, code: str) -> None:
    """The remedy was undone (another split, another choice): the finding acts again."""
    study.settled_findings.pop(code, None)


def apply_spec_acceptances(study: Study, accept: dict) -> None:
    """Make the study's acceptances from the spec match ``[findings] accept``: new ones are
    recorded, changed reasons replace old ones, and lines removed from the spec are withdrawn
    (acceptances the user made in the wizard are kept)."""
    for code, entry in list(study.accepted_findings.items()):
        if entry.get("by") == BY_SPEC and code not in accept:
            withdraw_acceptance(study, code)
    for code, reason in accept.items():
        accept_finding(study, code, reason, by=BY_SPEC)


def record_in_register(study: Study) -> list[EthicsRecord]:
    """One ethics-register entry per accepted finding the study has raised (idempotent)."""
    known = {e.get("finding") for e in study.ethics.register}
    new = []
    for f in study.findings:
        entry = study.accepted_findings.get(f.code)
        if entry is None or REGISTER_PREFIX + f.code in known:
            continue
        known.add(REGISTER_PREFIX + f.code)
        new.append(
            add_entry(
                study,
                f"Finding {f.code} accepted without a remedy: {f.message}",
                raised_by=f"Tenfold ({entry.get('by', BY_USER)} accepted it)",
                mitigation=f"Accepted with the reason: {entry['reason']} Reported at the top of the "
                "model card and the report.",
                finding=REGISTER_PREFIX + f.code,
            )
        )
    # An entry the finding opened by itself says which remedy answers it (the user still resolves it).
    for e in study.ethics.register:
        code = str(e.get("finding", "")).split(":")[0]
        remedy = study.settled_findings.get(code, {}).get("remedy")
        if remedy and not e.get("mitigation") and not str(e.get("finding", "")).startswith(REGISTER_PREFIX):
            e["mitigation"] = f"Remedy applied: {remedy}"
    return new


# ----- what a stopped run says ----------------------------------------------------------------------


def accept_line(codes, reason: str = PLACEHOLDER) -> str:
    """The spec line that accepts ``codes`` (one code or several)."""
    codes = [codes] if isinstance(codes, str) else list(dict.fromkeys(codes))
    inner = ", ".join(f'{c} = "{reason}"' for c in codes)
    return f"[findings] accept = {{ {inner} }}"


def blocking_message(findings: list[Finding], before: str = "training") -> str:
    n = len(findings)
    lines = [
        f"The study stopped before {before}: {n} finding{'s' if n != 1 else ''} "
        f"{'block' if n != 1 else 'blocks'} it, so its result could not be trusted. Apply a remedy, "
        "or accept each finding in the spec with your reason in words (replace ... with why the "
        "result still holds); the model card will carry the reason."
    ]
    for f in findings:
        title = step(f.step).title if f.step in STEP_IDS else f.step
        lines.append(f"  • {f.code} (Tip {f.tip}, {title} step): {f.message}")
        lines.append(f"    accept it with: {accept_line(f.code)}")
    if len({f.code for f in findings}) > 1:
        lines.append(f"  To accept them all, one line under [findings]: {accept_line([f.code for f in findings])}")
    return "\n".join(lines)


def stop_if_blocked(study: Study, up_to_step: str | None = None, before: str = "training") -> None:
    """Raise :class:`BlockingFindings` when unresolved blocking findings remain."""
    found = unresolved_blocking(study, up_to_step)
    if found:
        raise BlockingFindings(blocking_message(found, before), found, before)


# ----- what the card and the report say at the top ----------------------------------------------------


def caveat_phrase(finding: Finding) -> str:
    """The finding in a few words, for the headline sentence."""
    kind = _kind(finding.code)
    if kind is not None and kind.caveat:
        try:
            return kind.caveat.format(**(finding.values or {}))
        except (KeyError, IndexError, ValueError):
            pass
    first = re.split(r"(?<=[.!?])\s+", finding.message.strip(), maxsplit=1)[0].rstrip(".")
    if len(first) > 1 and first[0].isupper() and not first[1].isupper():
        first = first[0].lower() + first[1:]
    return first if len(first) <= 200 else first[:197].rstrip() + "…"


def caveats(study: Study) -> list[dict[str, Any]]:
    """Every warning and error not settled by a remedy: unresolved blocking ones first, then
    accepted ones, then the other errors and warnings; each with the user's reason if accepted."""
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for f in study.findings:
        if f.severity not in _SEVERITY_ORDER or is_settled(study, f.code) or f.message in seen:
            continue
        seen.add(f.message)
        accepted = study.accepted_findings.get(f.code)
        blocks = is_blocking(f)
        rows.append(
            {
                "code": f.code,
                "tip": f.tip,
                "severity": f.severity,
                "step": f.step,
                "message": f.message,
                "blocks": blocks,
                "caveat": caveat_phrase(f),
                "status": "accepted" if accepted else "unresolved",
                "reason": accepted["reason"] if accepted else "",
                "accepted_by": accepted.get("by", "") if accepted else "",
            }
        )
    order = {(True, "unresolved"): 0, (True, "accepted"): 1}
    rows.sort(
        key=lambda r: (
            order.get((r["blocks"], r["status"]), 2),
            _SEVERITY_ORDER[r["severity"]],
            r["status"] != "accepted",
            r["tip"],
        )
    )
    return rows


def settled(study: Study) -> list[dict]:
    """The findings a remedy settled, with the remedy in words."""
    out, seen = [], set()
    for f in study.findings:
        entry = study.settled_findings.get(f.code)
        if entry is not None and f.code not in seen:
            seen.add(f.code)
            out.append({"code": f.code, "message": f.message, "remedy": entry["remedy"]})
    return out


def caveat_text(row: dict) -> str:
    """One caveat as the box and the JSON card word it."""
    if row["status"] == "accepted":
        return (
            f"[{row['code']}] accepted by the {row['accepted_by'] or BY_USER} with the reason "
            f"“{row['reason']}” — {row['message']}"
        )
    state = "unresolved: not remedied and not accepted" if row["blocks"] else f"unresolved {row['severity']}"
    return f"[{row['code']}] {state} — {row['message']}"


def headline_caveat(study: Study) -> str:
    """The main caveat, for the headline sentence ("… — but batch 'run' is confounded with the
    label (accepted: …)"); empty when no warning or error stands."""
    rows = caveats(study)
    if not rows:
        return ""
    top = rows[0]
    phrase = top["caveat"]
    if top["status"] == "accepted":
        phrase += f" (accepted: “{top['reason']}”)"
    elif top["blocks"]:
        phrase += " (not remedied, not accepted)"
    more = len(rows) - 1
    if more:
        phrase += f"; {more} more finding{'s' if more > 1 else ''} listed above"
    return phrase


def acted_on_evidence(study: Study) -> tuple:
    """The checklist's word on blocking findings: ``(status, evidence)``."""
    open_ = unresolved_blocking(study)
    if open_:
        return VIOLATED, "not remedied or accepted: " + ", ".join(dict.fromkeys(f.code for f in open_))
    acted = [f for f in study.findings if is_blocking(f) and is_resolved(study, f.code)]
    if acted:
        words = []
        for code in dict.fromkeys(f.code for f in acted):
            if is_settled(study, code):
                words.append(f"{code} settled by a remedy: {study.settled_findings[code]['remedy']}")
            else:
                words.append(f"{code} accepted with the reason: {study.accepted_findings[code]['reason']}")
        return DONE, "; ".join(words)
    if study.split.test_uses >= 1:
        return DONE, "no finding blocks the study"
    return OPEN, ""


def _closest(code: str) -> str:
    near = difflib.get_close_matches(code, [k.code for k in Findings.all()], n=5, cutoff=0.5)
    return (
        f"did you mean {', '.join(near)}?"
        if near
        else "the codes are listed in each finding (for example batch-confounded)."
    )


def _now() -> str:
    return now_iso()
