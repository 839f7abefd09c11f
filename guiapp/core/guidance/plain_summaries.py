"""Plain-words summaries of expert measurements: batch mixing as one traffic light, the privacy
audit as a risk level. The wizard shows these by default and the numbers behind them on request."""

from __future__ import annotations

from collections.abc import Iterable

LIGHT_ORDER = ("green", "amber", "red")
MIXING_SENTENCES = {
    "green": "The batches are well mixed: samples from different runs sit among each other, so a batch "
    "effect is unlikely to drive the results.",
    "amber": "Some batch effect: samples partly group by run. Check the plot, and consider a remedy below.",
    "red": "Strong batch effect: samples group by run more than by chance. Choose a remedy below before "
    "training, or the network may learn the run instead of the biology.",
}
RISK_SENTENCES = {
    "low": "Privacy risk low: the attack could not tell training samples from unseen ones better than "
    "a coin toss would.",
    "medium": "Privacy risk medium: the attack did a little better than chance, but not clearly so. "
    "Treat shared weights with care.",
    "high": "Privacy risk high: the attack tells training samples from unseen ones. Do not share the "
    "weights of personal data, or retrain with differential privacy.",
}


def batch_mixing(lights: Iterable[str | None]) -> tuple[str | None, str]:
    """The worst traffic light of the batch metrics and a sentence; ``(None, …)`` when unmeasured."""
    measured = [light for light in lights if light in LIGHT_ORDER]
    if not measured:
        return None, "Not measured yet: look for batch effects (needs a batch column)."
    worst = max(measured, key=LIGHT_ORDER.index)
    return worst, MIXING_SENTENCES[worst]


def privacy_risk(membership: dict) -> tuple[str | None, str]:
    """``low``, ``medium`` or ``high`` from the membership audit, and a sentence.

    High when any model crosses a warning line with confidence (the audit's own ``warn``);
    medium when one crosses a line by its point estimate only; low otherwise.
    """
    models = (membership or {}).get("models") or {}
    if not models:
        return None, "Not measured yet: run the membership audit to see the privacy risk."
    auc_line = membership.get("auc_warn", 0.55)
    tpr_line = membership.get("tpr_warn", 0.02)
    if any(r.get("warn") for r in models.values()):
        level = "high"
    elif any(r.get("auc", 0) > auc_line or r.get("tpr_at_low_fpr", 0) > tpr_line for r in models.values()):
        level = "medium"
    else:
        level = "low"
    return level, RISK_SENTENCES[level]
