"""The checklist: the ten tips as items ticked from evidence in the study (or attested).

:func:`evaluate_checklist` is one pure function of the study; the side panel, guided mode,
the CLI, ``checklist.json`` and the DOME table of the card and the report all read it. What
each item looks for is in :mod:`guiapp.core.guidance.evidence`.
"""

from __future__ import annotations

from guiapp.core.guidance.checklist_items import DOME_SECTIONS, STUDY_ITEMS, TIP_ADVICE, TIPS, Item
from guiapp.core.guidance.checklist_model_items import MODEL_ITEMS
from guiapp.core.guidance.evidence import ATTESTED, DONE, NOT_APPLICABLE, OPEN, VIOLATED
from guiapp.core.study.blocking import blocking_on_step
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.model import Study
from guiapp.core.study.steps import STEP_IDS, step
from guiapp.core.study.vocabulary import CHECKLIST_ITEM_IDS

__all__ = [
    "ATTESTED",
    "DONE",
    "DOME_SECTIONS",
    "ITEMS",
    "Item",
    "NOT_APPLICABLE",
    "OPEN",
    "TIPS",
    "TIP_ADVICE",
    "VIOLATED",
    "attest",
    "blocking_items",
    "can_leave",
    "checklist_document",
    "evaluate_checklist",
    "leave_message",
    "summary",
    "withdraw",
]

ITEMS = (*STUDY_ITEMS, *MODEL_ITEMS)


def evaluate_checklist(study: Study) -> list[dict]:
    """Every item with its status and evidence, from the study alone."""
    rows = []
    for item in ITEMS:
        status, evidence = item.check(study)
        satisfied_by = "" if status == OPEN else "evidence"
        evidence_at = item.evidence_at
        if status == OPEN and item.id in study.attestations:
            status, evidence, satisfied_by = ATTESTED, study.attestations[item.id], "attestation"
            evidence_at = f"study.json#/attestations/{item.id}"
        rows.append(
            {
                "id": item.id,
                "tip": item.tip,
                "tip_title": TIPS[item.tip],
                "dome": item.dome,
                "step": item.step,
                "text": item.text,
                "why": item.why,
                "status": status,
                "evidence": evidence,
                "evidence_at": evidence_at,
                "satisfied_by": satisfied_by,
                "required": item.required,
            }
        )
    return rows


def blocking_items(study: Study, step_id: str, items: list | None = None) -> list[dict]:
    """Required items of ``step_id`` still open: in guided mode the step cannot be left."""
    items = items if items is not None else evaluate_checklist(study)
    return [i for i in items if i["step"] == step_id and i["required"] and i["status"] == OPEN]


def can_leave(study: Study, step_id: str, items: list | None = None) -> tuple[bool, str]:
    """Whether Next may leave ``step_id``, and why not, in plain words (one line)."""
    if not study.checklist_mode:
        return True, ""

    found = blocking_on_step(study, step_id)
    open_items = blocking_items(study, step_id, items)
    if not open_items and not found:
        return True, ""
    reasons = [
        f"apply a remedy for the finding {code}, or accept it with a reason on this page"
        for code in dict.fromkeys(f.code for f in found)
    ]
    reasons += [f"{i['text'].lower()} (Tip {i['tip']})" for i in open_items]
    return False, "Guided mode: before you go on, " + "; ".join(reasons) + "."


def leave_message(study: Study, step_id: str, items: list | None = None) -> str:
    """What the page says about its open required items: which, and why each matters.

    In guided mode they keep Next disabled; in ordinary mode they are warnings. Empty when
    none is open.
    """
    open_items = blocking_items(study, step_id, items)
    if not open_items:
        return ""
    lines = [f"• {i['text']} (Tip {i['tip']}). {i['why']}" for i in open_items]
    if study.checklist_mode:
        head = (
            f"Guided mode: Next stays off until {'this item is' if len(lines) == 1 else 'these items are'} "
            "done, or attested with a reason in the checklist panel:"
        )
    else:
        head = "Checklist warning: this step still has open items (guided mode is off, so you may go on):"
    return "\n".join([head, *lines])


def step_status(items: list[dict]) -> tuple[str, int]:
    """A step's (or a tip's) status and how many optional items are still open.

    Violated if any item is violated; open while a required item is open; done once every
    required item is done or attested: optional open items do not make a finished step look
    unfinished, they are counted for a small badge instead.
    """
    statuses = {i["status"] for i in items}
    optional_open = sum(1 for i in items if i["status"] == OPEN and not i["required"])
    if VIOLATED in statuses:
        return VIOLATED, optional_open
    if any(i["status"] == OPEN and i["required"] for i in items):
        return OPEN, optional_open
    return DONE, optional_open


def summary(items: list[dict]) -> dict:
    out: dict = {}
    for i in items:
        out[i["status"]] = out.get(i["status"], 0) + 1
    out["total"] = len(items)
    return out


def attest(study: Study, item_id: str, reason: str) -> None:
    """Record the user's word that an item holds, with the reason (evidence still wins)."""
    if not reason.strip():
        raise TenfoldError("Give a reason when you attest a checklist item yourself.")
    if item_id not in {i.id for i in ITEMS}:
        raise KeyError(item_id)
    study.attestations[item_id] = reason.strip()


def withdraw(study: Study, item_id: str) -> None:
    study.attestations.pop(item_id, None)


def checklist_document(study: Study) -> dict:
    """The content of ``checklist.json``: every item, the counts, and the items by DOME section."""
    items = evaluate_checklist(study)
    return {
        "guided_mode": bool(study.checklist_mode),
        "statuses": {
            "done": "the study shows it",
            "attested": "the user says it holds, with a reason",
            "open": "not done yet",
            "violated": "the study shows it was broken",
            "not applicable": "does not apply to this study, with the reason",
        },
        "items": items,
        "summary": summary(items),
        "dome": {section: [i["id"] for i in items if i["dome"] == section] for section in DOME_SECTIONS},
        "tips": {str(t): {"title": TIPS[t], "advice": TIP_ADVICE[t]} for t in TIPS},
    }


assert all(i.step in STEP_IDS and i.dome in DOME_SECTIONS and step(i.step) for i in ITEMS)
assert tuple(i.id for i in ITEMS) == CHECKLIST_ITEM_IDS, "checklist items and vocabulary.CHECKLIST_ITEM_IDS differ"
