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
    if status == "open":  # a concern raised after "no concerns" makes that declaration untrue
        study.ethics.register[:] = [e for e in study.ethics.register if e.get("concern") != NO_CONCERNS]
    study.ethics.register.append(entry)
    return entry
