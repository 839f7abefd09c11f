"""One row of the success-criteria scoreboard (Tip 4) and its three status words, shared by the
scoreboard's own criteria and the generalizability, interpretability and efficiency ones.
"""

from __future__ import annotations

MET, NOT_MET, UNKNOWN = "met", "not met", "not measured yet"


def criterion_row(criterion: str, target: str, measured: str, ok: bool | None, detail: str = "") -> dict:
    return {
        "criterion": criterion,
        "target": target,
        "measured": measured,
        "status": UNKNOWN if ok is None else (MET if ok else NOT_MET),
        "detail": detail,
    }
