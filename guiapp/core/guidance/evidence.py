"""What the study itself shows for each checklist item: a status and the evidence, in words.

Every function here takes the study and returns ``(status, evidence)``; it only reads what the
steps recorded (``study.json``), so the checklist ticks an item because the work was done, never
because someone set a flag. :mod:`guiapp.core.guidance.checklist` pairs them with the items.
"""

from __future__ import annotations

from guiapp.core.models.tuning import budget_report, split_key
from guiapp.core.study.blocking import acted_on_evidence
from guiapp.core.study.model import Study

# Status words, as the panel, checklist.json and the card show them (named in the study's vocabulary).
from guiapp.core.study.vocabulary import ATTESTED, DONE, NOT_APPLICABLE, OPEN, VIOLATED  # noqa: F401 (re-exported)


def ok(cond: bool, evidence: str = "") -> tuple:
    return (DONE, evidence) if cond else (OPEN, "")


def _finding(study: Study, code: str):
    return next((f for f in study.findings if f.code == code), None)


def _num(v) -> str:
    return f"{v:.3f}" if isinstance(v, (int, float)) else "—"


# ----- Question and Data ----------------------------------------------------------------------


def samples_per_split(study: Study):
    s = study.split
    if not s.sealed or not s.counts:
        return OPEN, ""
    parts = []
    for name in ("train", "tune", "test"):
        counts = s.counts.get(name, {})
        n = sum(counts.values())
        detail = ", ".join(f"{k} {v}" for k, v in counts.items()) if study.is_classification else ""
        parts.append(f"{name} {n}" + (f" ({detail})" if detail else ""))
    return DONE, "; ".join(parts)


def pii_scanned(study: Study):
    """Done from the scan's own record (when, which columns, what it found); studies saved
    before Tenfold kept that record show the item open until the data are loaded again."""
    scan = study.data.pii_scan
    if not scan or not study.data.provenance.sha256:
        return OPEN, ""
    words = (
        f"Scanned {scan.get('when', '')}: {scan.get('n_columns', 0):,} columns checked for personal identifiers "
        "(HIPAA Safe Harbor)"
    )
    if scan.get("n_not_checked"):
        words += f", {scan['n_not_checked']:,} not checked"
    found = scan.get("found", [])
    if not found:
        return DONE, words + "; none found"
    hits = ", ".join(f"{h['column']} ({h['category']})" for h in found[:5])
    return DONE, words + f"; {len(found)} flagged: {hits}" + (" …" if len(found) > 5 else "")


def identifier_columns(study: Study) -> list:
    """Columns that name a sample or a person rather than measure it."""
    d = study.data
    ids = set(d.identifiers) | {c for c, r in d.roles.items() if r == "identifier"}
    # An age over 89 is a Safe Harbor element, yet a legitimate feature: it stays one.
    ids |= {h["column"] for h in d.pii if h.get("category") != "age"}
    return sorted(ids)


def no_identifier_features(study: Study):
    d = study.data
    if not d.feature_columns:
        return OPEN, ""
    ids = identifier_columns(study)
    used = [c for c in ids if c in set(d.feature_columns)]
    if used:
        return VIOLATED, "used as features: " + ", ".join(used[:5])
    if ids:
        return DONE, f"kept out of the {len(d.feature_columns)} features: " + ", ".join(ids[:5]) + (
            f" and {len(ids) - 5} more" if len(ids) > 5 else ""
        )
    return DONE, f"no identifier column among the {len(d.feature_columns)} features"


def consent_recorded(study: Study):
    d = study.data
    if d.consent_reference or d.dua_reference or d.consent or d.data_use_agreement:
        refs = ", ".join(r for r in (d.consent_reference, d.dua_reference) if r)
        return DONE, "consent / ethics approval / data-use agreement recorded" + (f": {refs}" if refs else "")
    if d.about_humans is False:
        return DONE, "the data are not about people"
    if d.about_humans and d.identifiable is False and d.sensitive is False:
        return DONE, "de-identified data about people, declared not sensitive"
    return OPEN, ""


# ----- Batch effects and Split --------------------------------------------------------------


def batch_checked(study: Study):
    if not study.batch.explained_variance:
        return OPEN, ""
    if study.batch.silhouette is None:
        return DONE, "PCA inspected; no batch column declared"
    return DONE, f"batch silhouette {study.batch.silhouette:.2f}"


def batch_remedy(study: Study):
    b = study.batch
    if not b.explained_variance:
        return OPEN, ""
    problems = [f for f in study.findings if f.code in ("batch-effect", "batch-confounded")]
    if not problems:
        if not study.data.batch:
            return NOT_APPLICABLE, "no batch column declared"
        return NOT_APPLICABLE, "no batch effect or confounding found"
    if b.remedy != "none":
        return DONE, f"remedy: {b.remedy}" + (f" ({b.remedy_reason})" if b.remedy_reason else "")
    if b.remedy_reason:
        return DONE, f"no remedy, because: {b.remedy_reason}"
    return OPEN, "found: " + ", ".join(f.code for f in problems)


def group_aware_split(study: Study):
    s, d = study.split, study.data
    if not s.sealed:
        return OPEN, ""
    spread = _finding(study, "groups-across-splits")
    if spread is not None:
        return VIOLATED, f"{spread.values.get('count')} group(s) of {d.group!r} on more than one side"
    if d.group:
        groups = ", ".join(f"{k} {v}" for k, v in s.n_groups.items())
        return DONE, f"{s.strategy} split; no group of {d.group!r} on two sides" + (
            f" (groups: {groups})" if groups else ""
        )
    if not study.batch.explained_variance:
        return OPEN, "the Batch-effects step has not looked for donor or replicate columns yet"
    if study.batch.group_suggestions:
        cols = ", ".join(g["column"] for g in study.batch.group_suggestions)
        return OPEN, f"no group column chosen, but {cols} may group samples"
    return NOT_APPLICABLE, "no group column (donor, patient, replicate) declared or found: samples taken as independent"


def no_duplicates_across_splits(study: Study):
    s, b = study.split, study.batch
    if not s.sealed:
        return OPEN, ""
    from guiapp.core.batch.confounding import pairs_across_split, split_parts  # pandas: only once there is a split

    part = split_parts(study)
    crossing = pairs_across_split(b.duplicate_pairs, part) if part is not None else []
    looked = "exact and near copies" if b.explained_variance else "exact copies"
    if crossing:
        return VIOLATED, f"{len(crossing)} pair(s) of copies on different sides of the split"
    if b.duplicate_pairs:
        return DONE, f"looked for {looked}: {len(b.duplicate_pairs)} pair(s), each on one side of the split"
    return DONE, f"looked for {looked}: none found"


def findings_acted_on(study: Study):
    """Blocking findings: each settled by a remedy or accepted with a reason (guiapp.core.study.blocking)."""
    return acted_on_evidence(study)


# ----- Baselines, Architecture, Train -------------------------------------------------------


def verdict_recorded(study: Study):
    v = study.verdict
    if not v.stage or not study.baselines.results:  # a new split drops the baselines it rested on
        return OPEN, ""
    if v.level in ("doubtful", "not warranted") and not v.proceed_reason:
        return OPEN, ""  # advice against going on: the user says why they go on anyway
    evidence = f"{v.level}, {v.stage}"
    return DONE, evidence + (f"; going on because: {v.proceed_reason}" if v.proceed_reason else "")


def tuned_equally(study: Study):
    budgets = budget_report(study)
    if budgets["equal"] is None:
        return OPEN, ""
    if budgets["equal"]:
        return DONE, f"{budgets['network']} trials each for {len(budgets['baselines'])} baselines and the network"
    return VIOLATED, budgets["text"]


def network_tuned(study: Study):
    net = study.tuning.network or {}
    if not net.get("n_complete") or net.get("split") != split_key(study):
        return OPEN, ""  # never searched, or searched on a split since redrawn
    best = net.get("best_params") or {}
    settings = ", ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}" for k, v in list(best.items())[:4])
    return DONE, (
        f"{net['n_complete']} of {net.get('budget', net['n_complete'])} trials ({net.get('sampler', '')}); "
        f"best tune {net.get('metric', '')} {_num(net.get('best_value'))}" + (f": {settings}" if settings else "")
    )


def seed_and_determinism(study: Study):
    t = study.train
    if not t.history:
        return OPEN, ""
    if not t.deterministic:
        return VIOLATED, "deterministic algorithms were off"
    return DONE, f"seed {t.seed}, deterministic"


# ----- Overfitting and Evaluate -------------------------------------------------------------


def shuffle_control(study: Study):
    sh = study.overfitting.shuffle or {}
    if not sh:
        return OPEN, ""
    shuffled = ", ".join(_num(v) for v in sh.get("shuffled_tune", []))
    evidence = f"{sh.get('metric')}: real {_num(sh.get('real'))} vs shuffled {shuffled}"
    return (VIOLATED, evidence + " — not clearly above") if sh.get("flagged") else (DONE, evidence)


def learning_curve(study: Study):
    lc = study.overfitting.learning_curve or {}
    if not lc.get("n_train"):
        return OPEN, ""
    return DONE, f"{lc.get('metric')} at {', '.join(map(str, lc['n_train']))} training samples"


def subgroups(study: Study):
    groups = study.evaluation.tune_groups
    if groups:
        flagged = sum(g["flagged"] for r in groups for g in r["groups"])
        return DONE, (
            ", ".join(r["factor"] for r in groups)
            + (f"; {flagged} group(s) clearly worse" if flagged else "; no large gap")
        )
    if study.evaluation.tune_metrics:  # evaluated, and nothing to split by
        return NOT_APPLICABLE, "no batch column or subgroup chosen"
    return OPEN, ""


def calibration(study: Study):
    panel = study.evaluation.test_metrics or study.evaluation.tune_metrics
    if not panel:
        return OPEN, ""
    if not study.is_classification:
        return NOT_APPLICABLE, "regression"
    if panel.get("ece") is None:
        return OPEN, ""
    brier = panel.get("brier")
    evidence = (
        f"ECE {panel['ece']:.3f}" + (f", Brier {brier:.3f}" if brier is not None else "") + "; reliability diagram"
    )
    limit = study.question.max_calibration_error
    if limit is not None and panel["ece"] > limit:
        return VIOLATED, evidence + f" — above the budget {limit:g}"
    return DONE, evidence


def label_proxy(study: Study):
    if not study.evaluation.tune_metrics:
        return OPEN, ""  # the scan runs with the tune evaluation
    f = _finding(study, "label-proxy-feature")
    strong = _finding(study, "strong-single-markers")
    if f is None and strong is not None:
        return OPEN, (f"strong single markers ({strong.values.get('features')}): say they are known before prediction")
    if f is None:
        return DONE, "no single feature gives the label away on the tune split"
    v = f.values
    return OPEN, (
        f"{v.get('count')} feature(s) nearly determine the label alone (best {v.get('feature')!r}, "
        f"{v.get('measure')} {_num(v.get('value'))}): say why none is a leak"
    )


def test_used(study: Study):
    uses = study.split.test_uses
    if uses == 0:
        return OPEN, ""
    if study.split.test_read_pending:
        return OPEN, (
            "a read of the sealed test set was cut short before its scores were stored; run the "
            "final evaluation again to finish it (it counts as the same use)"
        )
    if uses == 1:
        return DONE, f"evaluated once, {study.evaluation.test_evaluated_at}"
    return VIOLATED, f"evaluated {uses} times: " + "; ".join(study.split.unseal_reasons)


# ----- Ethics and privacy -------------------------------------------------------------------


def membership_audited(study: Study):
    models = (study.ethics.membership or {}).get("models") or {}
    if not models:
        return OPEN, ""
    return DONE, "; ".join(f"{k} attack AUC {r['auc']:.2f}" for k, r in models.items())


def dp_recorded(study: Study):
    dp = study.ethics.dp or {}
    if dp.get("weights"):
        return DONE, f"DP-SGD: ε = {dp['epsilon']:.2f}, δ = {dp['delta']:.1g} ({dp['accountant']})"
    if not study.ethics.decided_at:
        return OPEN, ""
    if study.ethics.share_weights == "always" and study.treated_as_sensitive:
        return DONE, "no DP; weights of sensitive data shared by the owner's decision: " + study.ethics.share_reason
    if study.treated_as_sensitive or study.ethics.share_weights == "never":
        return DONE, "no DP; the network's weights are withheld"
    return DONE, "no DP needed: the data are declared not sensitive"


def card_fields(study: Study):
    e = study.ethics
    if e.intended_use.strip() and e.limitations.strip():
        return DONE, f"intended use: {e.intended_use.strip()[:60]}"
    return OPEN, ""
