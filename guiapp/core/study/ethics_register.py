"""Writing one entry into the study's ethics register (Tip 10).

The register itself, the sensitivity answers and the entries findings open are
:mod:`guiapp.core.privacy.ethics`; this is the one writer both it and the study's own
acceptances (:mod:`guiapp.core.study.blocking`) use.
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING

from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.records import EthicsRecord
from guiapp.core.study.vocabulary import ENTRY_STATUSES

if TYPE_CHECKING:
    from guiapp.core.study.model import Study

STATUSES = ENTRY_STATUSES
NO_CONCERNS = "No ethical concerns were identified for this study."


def add_entry(
    study: Study, concern: str, *, raised_by: str = "", mitigation: str = "", status: str = "open", finding: str = ""
) -> EthicsRecord:
    if not concern.strip():
        raise TenfoldError("Write the concern before adding it to the ethics register.")
    if status not in STATUSES:
        raise TenfoldError(f"An entry's status is one of {', '.join(STATUSES)}, not {status!r}.")
    # the fields of EthicsEntry, in its order
    entry = EthicsRecord(
        concern=concern.strip(),
        raised_by=raised_by.strip(),
        date=_dt.date.today().isoformat(),
        status=status,
        mitigation=mitigation.strip(),
        finding=finding,
    )
    if status == "open":
        withdraw_no_concerns(study)
    study.ethics.register.append(entry)
    return entry


def withdraw_no_concerns(study: Study) -> None:
    """A concern raised or reopened after "no concerns" makes that declaration untrue: it goes."""
    study.ethics.register[:] = [e for e in study.ethics.register if e.get("concern") != NO_CONCERNS]


def open_entries(study: Study) -> list:
    """The entries still open (an entry without a status counts as open)."""
    return [e for e in study.ethics.register if e.get("status", "open") == "open"]


def register_for_card(study: Study) -> tuple[list, str]:
    """The register as the model card states it, and a sentence above it: an open entry wins, so
    the card never says "no ethical concerns" beside a concern still open (a study saved before
    the declaration was withdrawn on reopening may hold both)."""
    still_open = open_entries(study)
    if not still_open:
        return list(study.ethics.register), ""
    entries = [e for e in study.ethics.register if e.get("concern") != NO_CONCERNS]
    n = len(still_open)
    return entries, (
        f"{n} concern{'s' if n != 1 else ''} in the ethics register {'are' if n != 1 else 'is'} still open: "
        "resolve each on the Ethics & privacy page with how it was addressed."
    )
