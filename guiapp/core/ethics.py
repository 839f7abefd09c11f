"""The ethics register and the sensitivity answer (Tip 10)."""

from __future__ import annotations

import datetime as _dt

from guiapp.core.errors import TenfoldError
from guiapp.core.findings import Findings
from guiapp.core.study import EthicsEntry, now_iso

SHARE_CHOICES = ("auto", "never", "always")


def add_entry(study, concern: str, *, raised_by: str = "", mitigation: str = "",
              status: str = "open") -> dict:
    if not concern.strip():
        raise TenfoldError("Write the concern before adding it to the ethics register.")
    entry = EthicsEntry(concern=concern.strip(), raised_by=raised_by.strip(),
                        date=_dt.date.today().isoformat(), status=status,
                        mitigation=mitigation.strip()).__dict__
    study.ethics.register.append(entry)
    return entry


def resolve_entry(study, index: int, mitigation: str) -> None:
    entry = study.ethics.register[index]
    entry["status"] = "resolved"
    if mitigation.strip():
        entry["mitigation"] = mitigation.strip()


def set_sensitivity(study, sensitive) -> None:
    """Record the user's answer; undeclared (None) is treated as sensitive."""
    study.data.sensitive = sensitive
    others = [f for f in study.findings if f.step == "data" and f.code != "sensitivity-undeclared"]
    if sensitive is None:
        others.append(Findings.sensitivity_undeclared.raise_())
    study.set_findings("data", others)
    study.set_findings("ethics", [Findings.sensitive_data.raise_()] if sensitive else [])


def set_share_weights(study, choice: str, reason: str = "") -> None:
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
        add_entry(study, "Network weights trained on sensitive data are shared without "
                  "differential privacy.", raised_by="Tenfold", mitigation=reason, status="resolved")
