"""The sharing policy and the privacy warnings of an export (Tip 10).

A model trained on sensitive data can give away individual training records (membership
inference; a kNN model even stores them verbatim). So with sensitive data — or undeclared
sensitivity — the ordinary network's weights and the kNN baseline stay home unless the owner
overrides that with a reason; a copy trained with differential privacy may leave. This module
decides (:func:`sharing_plan`) and says it in plain words (:func:`privacy_warnings`,
:func:`privacy_markdown`).
"""

from __future__ import annotations

from dataclasses import dataclass

from guiapp.core.export.card_values import as_dict, model_name, sensitivity_answers, sensitivity_text
from guiapp.core.export.leaving import predictions_text
from guiapp.core.privacy.dp import dp_summary
from guiapp.core.privacy.ethics import SHARE_CHOICES, _identifier_codes
from guiapp.core.privacy.membership import MODEL_NAMES, audit_summary
from guiapp.core.study.model import Study


@dataclass
class SharingPlan:
    """What may leave with the bundle, and why, in the card's words."""

    network: bool  # the ordinary network's weights
    dp: bool  # the copy trained with differential privacy (only when there is one)
    knn: bool  # the kNN baseline, which holds every training sample
    reason: str  # about the network's weights
    knn_reason: str = ""

    @property
    def any_weights(self) -> bool:
        return self.network or self.dp


def dp_trained(study: Study) -> bool:
    return bool((study.ethics.dp or {}).get("weights"))


def _dp_words(study: Study) -> str:
    dp = study.ethics.dp
    return f"differential privacy (ε = {dp['epsilon']:.2f}, δ = {dp['delta']:.1g})"


def sharing_plan(study: Study) -> SharingPlan:
    """Which models may leave with the export bundle."""
    choice = study.ethics.share_weights
    given = study.ethics.share_reason.strip()
    has_dp = dp_trained(study)
    knn_kept = (
        "The kNN baseline is withheld: it stores every training sample verbatim, so sharing "
        "it shares the training data."
    )
    if choice == "never":
        reason = "The study owner chose never to share the weights" + (f": {given}" if given else ".")
        return SharingPlan(False, False, False, reason, knn_kept)
    if choice == "always":
        reason = given or "The study owner chose to share the weights and gave no reason."
        return SharingPlan(True, has_dp, True, reason, "Shared by the owner's decision: " + reason)
    if choice not in SHARE_CHOICES:
        # Refuse to guess what an unknown setting means; withholding is the safe reading.
        reason = f"The weight-sharing setting {choice!r} is not one of {', '.join(SHARE_CHOICES)}."
        return SharingPlan(False, False, False, reason, knn_kept)
    if study.treated_as_sensitive:
        why = (
            "Nobody declared whether the data are sensitive, so Tenfold treats them as sensitive"
            if study.data.sensitive is None
            else "The data are marked sensitive"
        )
        if has_dp:
            reason = (
                f"{why}: the ordinary network's weights could leak individual training records "
                "through membership inference (Tip 10), so they are withheld; the copy trained "
                f"with {_dp_words(study)} is shared instead."
            )
            return SharingPlan(False, True, False, reason, knn_kept)
        reason = (
            f"{why}, and the network was not trained with differential privacy: its weights "
            "could leak individual training records through membership inference (Tip 10)."
        )
        return SharingPlan(False, False, False, reason, knn_kept)
    return SharingPlan(
        True, has_dp, True, "The data are declared not sensitive.", "The data are declared not sensitive."
    )


def weights_decision(study: Study) -> tuple[bool, str]:
    """May network weights (ordinary or DP-trained) leave with the bundle? ``(share, reason)``."""
    plan = sharing_plan(study)
    return plan.any_weights, plan.reason


def privacy_warnings(study: Study, *, plan=None) -> list[str]:
    """The privacy warnings of this study, one plain-words sentence or two each.

    The Ethics page shows them; ``privacy.md`` and the model card carry them. ``plan`` is
    the export's final plan when it differs from :func:`sharing_plan` (no weights file).
    """
    plan = plan or sharing_plan(study)
    return [
        *_sensitivity_warnings(study),
        *_training_warnings(study),
        *_weights_warnings(study, plan),
        *_identifier_warnings(study),
        *_concern_warnings(study),
    ]


def _sensitivity_warnings(study: Study) -> list[str]:
    out = []
    if study.data.sensitive is None:
        out.append(
            "Nobody has declared whether these data are sensitive (about people, identifiable, "
            "or under consent or a data-use agreement). Until someone does, Tenfold treats them "
            "as sensitive. Answer on the Data page."
        )
    elif study.data.sensitive:
        out.append(
            "The data are marked sensitive. Share anything derived from them only under the "
            "terms of the consent or data-use agreement that covers the data."
        )
    else:
        out.append(
            "The data are declared not sensitive. If they describe people or come under a "
            "data-use agreement, change that answer before sharing this bundle."
        )
    return out


def _training_warnings(study: Study) -> list[str]:
    """Differential privacy and the membership-inference audit.

    For data declared not sensitive, only what was done is said (a DP copy, an audit that found
    a leak): the absence of a privacy guarantee there is no warning, only noise.
    """
    out: list[str] = []
    models = (study.ethics.membership or {}).get("models") or {}
    if not study.treated_as_sensitive and not dp_trained(study) and not any(r.get("warn") for r in models.values()):
        return out
    if dp_trained(study):
        out.append(
            dp_summary(study) + " Only that copy carries a formal guarantee against revealing "
            "whether a given sample was in the training data."
        )
    else:
        out.append(
            "The network was not trained with differential privacy, so it offers no formal "
            "guarantee against revealing whether a given sample was in the training data."
        )
    leaking = [MODEL_NAMES.get(k, k) for k, r in models.items() if r.get("warn")]
    if leaking:
        out.append(
            "The membership-inference audit found that the "
            + " and the ".join(leaking)
            + " give away who was in the training data."
        )
    elif not models:
        out.append(
            "No membership-inference audit was run: nobody measured whether the trained models "
            "give away who was in the training data. Run it on the Ethics & privacy page."
        )
    return out


def _weights_warnings(study: Study, plan: SharingPlan) -> list[str]:
    share, reason = plan.any_weights, plan.reason
    out = []
    if plan.network and study.treated_as_sensitive:
        out.append(
            "The weights are shared although the data are treated as sensitive. Anyone with "
            "the weights can try to tell whether a person's record was in the training data "
            f"(membership inference). Reason given: {reason}"
        )
    elif share:
        out.append(f"The weights are shared. {reason}")
    else:
        out.append(f"The weights are withheld. {reason}")
    if plan.knn and study.treated_as_sensitive:
        out.append(
            "The kNN baseline is shared although the data are treated as sensitive: it holds "
            "every training sample verbatim."
        )
    return out


def _identifier_warnings(study: Study) -> list[str]:
    out = []
    if study.data.identifiers:
        out.append(
            "Identifier columns (" + ", ".join(map(str, study.data.identifiers)) + ") are never "
            "used as features. predictions.csv keeps only a sample ID that is not personal, to key "
            "its rows; every other identifier is dropped."
        )

    flagged = sorted(
        {
            str(f.values.get("column"))
            for f in study.findings
            if f.code in _identifier_codes() and f.values.get("column") not in (None, "", *study.data.identifiers)
        }
    )
    if flagged:
        out.append(
            "Column(s) that look like personal or sample identifiers were found: "
            + ", ".join(map(str, flagged))
            + ". They are never features, and no export carries them."
        )
    return out


def _concern_warnings(study: Study) -> list[str]:
    out = []
    entries = [as_dict(e) for e in study.ethics.register]
    open_concerns = [e["concern"] for e in entries if e.get("status", "open") != "resolved"]
    if open_concerns:
        out.append(
            f"{len(open_concerns)} concern(s) in the ethics register are still open: "
            + "; ".join(c.rstrip(". ") for c in open_concerns)
            + "."
        )
    return out


def sharing_rules(study: Study, plan: SharingPlan) -> list[str]:
    rules = ["Share this bundle only with people allowed to see results derived from these data."]
    if study.treated_as_sensitive:
        rules.append(
            "The data are treated as sensitive: do not add the withheld weights or the kNN "
            "baseline to this bundle later. Sharing them needs a recorded decision with a "
            "reason (Ethics & privacy page), which goes into the register and the card."
        )
        if plan.dp:
            rules.append(
                "The DP-trained weights may be shared; their guarantee holds only for the "
                "stated ε and δ, and only for these weights, not for predictions.csv."
            )
    if study.data.consent_reference or study.data.dua_reference:
        refs = ", ".join(r for r in (study.data.consent_reference, study.data.dua_reference) if r)
        rules.append(f"Respect the terms of {refs}: they may forbid some uses, places or recipients.")

    rules.append(predictions_text(study))
    rules.append(
        "Never share the study folder itself: it holds the data, every checkpoint and the fitted kNN baseline."
    )
    return rules


def privacy_markdown(study: Study, warnings: list[str], plan: SharingPlan, *, with_predictions: bool) -> str:
    """``privacy.md``: what is sensitive, the audit, what was withheld and why, DP, and the rules."""
    lines = [
        f"# Privacy warnings — {model_name(study)}",
        "",
        f"Data sensitivity: **{sensitivity_text(study)}**.",
        "",
        f"Model weights: **{'shared' if plan.any_weights else 'withheld'}**. {plan.reason}",
        "",
        "## What is sensitive",
        "",
    ]
    lines += [f"- {a}" for a in sensitivity_answers(study)]
    if study.data.identifiers:
        lines.append("- Identifier columns: " + ", ".join(map(str, study.data.identifiers)))
    lines += ["", "## Membership-inference audit", ""]
    audit = audit_summary(study)
    if audit:
        m = study.ethics.membership
        lines.append(
            f"Loss-threshold attack (Yeom et al. 2018): training samples against an equal number "
            f"of tune samples ({m.get('n_per_side')} each), {m.get('n_boot')} bootstrap rounds "
            f"for the 95% intervals; Tenfold warns at attack AUC > {m.get('auc_warn')} or "
            f"TPR > {m.get('tpr_warn', 0):.0%} at 1% FPR, each only when guessing would rarely "
            "reach it (AUC interval above 0.5; permutation p < 0.05)."
        )
        lines.append("")
        lines += [f"- {a}" for a in audit]
    else:
        lines.append("Not run: nobody measured whether the models give away who was in the training data.")
    lines += ["", "## What was withheld and why", ""]
    lines.append(f"- Network weights: {'shared' if plan.network else 'withheld'}. {plan.reason}")
    if dp_trained(study):
        lines.append(f"- DP-trained weights: {'shared' if plan.dp else 'withheld'}.")
    lines.append(f"- kNN baseline: {'shared' if plan.knn else 'withheld'}. {plan.knn_reason}")
    if study.data.identifiers:
        lines.append(
            "- Identifier columns are dropped from predictions.csv, but for a sample ID that is not "
            "personal, which keys its rows."
        )
    lines += ["", "## Differential privacy", "", dp_summary(study), "", "## Rules for sharing", ""]
    lines += [f"- {r}" for r in sharing_rules(study, plan)]
    lines += ["", "## What to know before sharing this bundle", ""]
    lines += [f"- {w}" for w in warnings]
    bundle = [
        "The model card, metrics.json and checklist.json hold only summary numbers, no individual records.",
        "manifest.json records the data file's path and SHA-256 hash: the hash identifies the "
        "file without revealing its content, but the path may name a person, a project or a "
        "server.",
    ]
    if with_predictions:
        bundle.append(
            "predictions.csv holds one row per sample. Together with the original data it "
            "can be linked back to individuals: share it only under the terms that cover the data."
        )
    lines += ["", "## What this bundle contains", ""] + [f"- {b}" for b in bundle]
    return "\n".join(lines) + "\n"
