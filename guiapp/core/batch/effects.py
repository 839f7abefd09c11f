"""Batch effects (Tips 4 and 7): see whether samples group by batch rather than biology, and act.

:func:`batch_effect_report` computes a PCA of the standardised features, every batch metric
of :mod:`guiapp.core.batch.metrics` on the first principal components, the batch × label
confounding, group-column suggestions and copies of samples (:mod:`guiapp.core.batch.confounding`),
records them in the study and raises the findings. :func:`choose_remedy` records what the
user does about it — a group split, whole batches held out as the test set, ComBat fitted on
the training split (:mod:`guiapp.core.batch.combat`), or nothing, with the risk in the card — and
:func:`remedy_effect` measures the metrics on the training split before and after ComBat.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from guiapp.core.batch.metrics import (
    AMBER,
    GREEN,
    PREDICT_PERMUTATIONS,
    RED,
    BatchMetrics,
    measure_batch_effect,
    plain_batch_silhouette,
    subsample,
)
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.findings import Findings
from guiapp.core.study.task_context import ProgressFn, StopFn, check_stop, no_progress, sub_progress
from guiapp.core.study.vocabulary import BATCH_REMEDIES

N_COMPONENTS = 10
SILHOUETTE_WARN = 0.1
SILHOUETTE_STRONG = 0.25
MAX_SILHOUETTE_SAMPLES = 5000
REMEDIES = BATCH_REMEDIES
REMEDY_WORDS = {
    "none": "no correction",
    "group-split": "a group-aware split (each donor, patient or animal in one part)",
    "batch-holdout": "whole batches held out as the test set",
    "batch-label-stratified": "a batch × label stratified split (each batch and label in every part)",
    "combat": "ComBat batch correction fitted on the training split only",
}


@dataclass
class BatchEffectReport:
    coordinates: np.ndarray  # n × 2, the first two PCs, for the scatter
    explained_variance: list
    batch_values: list | None  # per sample, or None when there is no batch column
    label_values: list
    silhouette: float | None
    reading: str
    findings: list = field(default_factory=list)
    metrics: BatchMetrics | None = None  # None without a batch column
    confounding: object = None  # confounding.ConfoundingReport, or None without a batch column
    group_suggestions: list = field(default_factory=list)
    duplicates: object = None  # confounding.DuplicateReport
    duplicates_across_split: list = field(default_factory=list)  # [i, j, kind]; empty before a split

    def to_dict(self) -> dict:
        """Everything but the per-sample arrays, as plain JSON values (``inspect --json``)."""
        from dataclasses import asdict

        dup = self.duplicates
        return {
            "silhouette": self.silhouette,
            "reading": self.reading,
            "explained_variance": [float(v) for v in self.explained_variance],
            "metrics": {k: r.to_dict() for k, r in self.metrics.results.items()} if self.metrics else None,
            "n_points": len(self.label_values),
            "metrics_sample_size": self.metrics.sample_size if self.metrics else None,
            "confounding": asdict(self.confounding) if self.confounding is not None else None,
            "group_suggestions": self.group_suggestions,
            "duplicates": None
            if dup is None
            else {
                "exact_pairs": len(dup.exact_pairs),
                "near_pairs": len(dup.near_pairs),
                "near_threshold_sd": dup.threshold,
                "searched": dup.searched,
                "pairs": dup.pairs()[:50],
                "across_split": self.duplicates_across_split[:50],
            },
        }


def pca_embedding(X: np.ndarray, n_components: int = N_COMPONENTS, seed: int = 0):
    """PCA of median-imputed, standardised features; randomized above 2,000 samples."""
    from guiapp.core.batch.confounding import standardise

    return pca_of_standardised(standardise(X), n_components, seed)


def pca_of_standardised(Xs: np.ndarray, n_components: int = N_COMPONENTS, seed: int = 0):
    """PCA of features already standardised by :func:`guiapp.core.batch.confounding.standardise`."""
    from sklearn.decomposition import PCA

    k = max(2, min(n_components, Xs.shape[1], Xs.shape[0] - 1))
    solver = "randomized" if Xs.shape[0] > 2000 else "full"
    if solver == "full":
        Xs = Xs.astype(np.float64)
    pca = PCA(n_components=k, svd_solver=solver, random_state=seed)
    return pca.fit_transform(Xs).astype(np.float64), pca.explained_variance_ratio_.tolist()


def batch_silhouette(pcs: np.ndarray, batches, seed: int = 0) -> float:
    """Mean silhouette width of batch labels in PC space (0 = mixed, 1 = apart)."""
    batches = np.asarray(batches).astype(str)
    if len(np.unique(batches)) < 2:
        return 0.0
    pick = subsample(len(batches), MAX_SILHOUETTE_SAMPLES, seed)
    if pick is not None:
        pcs, batches = pcs[pick], batches[pick]
    return plain_batch_silhouette(pcs, batches)


def read_silhouette(s: float | None) -> str:
    if s is None:
        return "No batch column was chosen, so batch effects cannot be measured. If samples came in runs, plates, sites or days, choose that column on the Data page."
    if s >= SILHOUETTE_STRONG:
        return f"Strong batch effect: samples group by batch (silhouette {s:.2f}). A model may learn the batch instead of the biology."
    if s >= SILHOUETTE_WARN:
        return f"Some batch structure (silhouette {s:.2f}): batches are partly apart. Check that batch is not tied to the label."
    return f"Batches look well mixed (silhouette {s:.2f}; 0 means mixed, 1 means fully apart)."


def read_metrics(metrics: BatchMetrics) -> str:
    lights = [r.light for r in metrics.results.values() if r.light]
    red, amber = lights.count(RED), lights.count(AMBER)
    text = f"Of {len(lights)} batch metrics, {red} are red and {amber} amber."
    if metrics.sample_size:
        text += f" Neighbourhood and silhouette metrics used a random sample of {metrics.sample_size:,} of {metrics.n_points:,} samples."
    return text


def batch_effect_report(
    study,
    progress: ProgressFn = no_progress,
    should_stop: StopFn | None = None,
    *,
    n_permutations: int = PREDICT_PERMUTATIONS,
) -> BatchEffectReport:
    """PCA, batch metrics, confounding, groups and copies for the Batch-effects page.

    Records everything in ``study.batch`` and replaces the findings of the batch step (and,
    once a split is drawn, the split's copies-across-parts findings).
    """
    from guiapp.core.batch import confounding as cf
    from guiapp.core.data.attach import model_frame
    from guiapp.core.data.streaming import is_streamed, streamed_pca

    X, _, rows = model_frame(study)
    progress(0.02, "Computing principal components")
    check_stop(should_stop)
    seed = study.split.seed
    streamed = is_streamed(X)
    if streamed:  # features on disk: an incremental PCA over chunks of rows, exact copies only
        standardised = None
        pcs, evr = streamed_pca(X, N_COMPONENTS, should_stop=should_stop)
    else:
        standardised = cf.standardise(X)
        pcs, evr = pca_of_standardised(standardised, seed=seed)
    check_stop(should_stop)
    batch_col, label_col = study.data.batch, study.data.label
    batch_values = rows[batch_col].astype(str).tolist() if batch_col else None
    label_values = rows[label_col].astype(str).tolist()
    b = study.batch
    findings = []
    metrics = conf = None
    silhouette = None
    if batch_values is not None:
        metrics = measure_batch_effect(
            pcs,
            evr,
            batch_values,
            label_values if study.is_classification else None,
            seed=seed,
            n_permutations=n_permutations,
            progress=sub_progress(progress, 0.15, 0.75),
            should_stop=should_stop,
        )
        silhouette = metrics.value("silhouette")
        if silhouette >= SILHOUETTE_WARN:
            findings.append(Findings.batch_effect.raise_(batch=batch_col, silhouette=silhouette))
        conf = cf.batch_label_confounding(batch_values, rows[label_col].to_numpy(), task=study.question.task)
        finding = cf.confounding_finding(batch_col, conf)
        if finding is not None:
            findings.append(finding)
    progress(0.8, "Looking for donors, patients and copies of samples")
    check_stop(should_stop)
    exclude = {label_col, batch_col, study.data.group}
    suggestions = cf.suggest_group_columns(rows, exclude=exclude)
    if streamed:
        from guiapp.core.data.streaming import exact_copies

        dup = cf.DuplicateReport(exact_pairs=exact_copies(X))
    else:
        dup = cf.find_duplicates(X, embedding=pcs, standardised=standardised, seed=seed, should_stop=should_stop)
    del standardised
    from guiapp.core.split.remedies import group_column_from_copies

    from_copies = (
        None
        if study.data.group
        else group_column_from_copies(
            rows, dup.pairs(), exclude=exclude | set(study.data.feature_columns) | set(study.data.identifiers)
        )
    )
    if from_copies is not None:  # the copies say which column groups the samples: it comes first
        suggestions = [{**from_copies, "from_copies": True}] + [
            g for g in suggestions if g["column"] != from_copies["column"]
        ]
    if suggestions and not study.data.group:
        findings.append(
            Findings.group_column_suggested.raise_(column=suggestions[0]["column"], reason=suggestions[0]["reason"])
        )
    if dup.near_pairs:
        findings.append(
            Findings.near_duplicate_samples.raise_(
                count=len(dup.near_pairs),
                threshold=dup.threshold,
                advice=near_copy_advice(study, rows, dup.near_pairs, from_copies),
            )
        )

    _record(b, metrics, conf, evr, silhouette)
    if study.folder is not None:  # the page draws a reopened study's plot from these
        from guiapp.core.batch.views import store_embedding

        store_embedding(study, "pca", pcs[:, :2], evr)
    b.group_suggestions = suggestions
    b.duplicate_pairs = dup.pairs()
    reading = read_silhouette(silhouette)
    if metrics is not None:
        reading += " " + read_metrics(metrics)
    if conf is not None:
        reading += " " + conf.reading
    b.reading = reading
    study.set_findings("batch", findings)
    across = []
    part = cf.split_parts(study)
    if part is not None:
        across = cf.pairs_across_split(b.duplicate_pairs, part)
        study.set_findings("split", cf.split_leak_findings(study))
    progress(1.0, "Batch report done")
    return BatchEffectReport(
        coordinates=pcs[:, :2].astype(np.float32),
        explained_variance=evr,
        batch_values=batch_values,
        label_values=label_values,
        silhouette=silhouette,
        reading=reading,
        findings=findings,
        metrics=metrics,
        confounding=conf,
        group_suggestions=suggestions,
        duplicates=dup,
        duplicates_across_split=across,
    )


def near_copy_advice(study, rows, pairs, from_copies: dict | None) -> str:
    """What to do about near-copies, given the group column already set (or proposed)."""
    group = study.data.group
    if group and group in rows.columns:
        values = rows[group].astype(object).to_numpy()
        apart = sum(1 for i, j in pairs if values[i] != values[j])
        if not apart:
            return (
                f"Every pair shares a value of the group column {group!r}, so the group split "
                "already keeps them together."
            )
        return (
            f"{apart} of the pairs fall in different groups of {group!r}: the copy-aware split "
            "(on by default) keeps each cluster of copies on one side; check whether they are "
            "the same donor or sample under two names."
        )
    if from_copies is not None:
        return (
            f"Most pairs share a value of {from_copies['column']!r}: use it as the group column "
            "(the copy-aware split, on by default, keeps each cluster of copies together meanwhile)."
        )
    return (
        "The copy-aware split (on by default) keeps each cluster of copies on one side; if they "
        "are replicates of one donor or patient, mark a group column, or remove the copies."
    )


def _record(b, metrics: BatchMetrics | None, conf, evr, silhouette) -> None:
    b.silhouette = silhouette
    b.explained_variance = [round(v, 4) for v in evr]
    r = metrics.results if metrics is not None else {}

    def value(key):
        return r[key].value if key in r else None

    b.batch_asw, b.kbet_rejection, b.pcr_batch = value("batch_asw"), value("kbet_rejection"), value("pcr_batch")
    b.ilisi, b.clisi = value("ilisi"), value("clisi")
    b.ilisi_norm = r["ilisi"].normalised if "ilisi" in r else None
    b.clisi_norm = r["clisi"].normalised if "clisi" in r else None
    b.predictability = value("predictability")
    extra = r["predictability"].extra if "predictability" in r else {}
    b.predictability_accuracy = extra.get("accuracy")
    b.predictability_chance = extra.get("chance")
    b.predictability_p = extra.get("p_value")
    b.lights = {k: m.light for k, m in r.items() if m.light}
    b.metrics_sample_size = metrics.sample_size if metrics is not None else None
    b.contingency = conf.table if conf is not None else {}
    b.cramers_v = conf.cramers_v if conf is not None else None
    b.confounding_p = conf.p_value if conf is not None else None
    b.single_label_batches = conf.single_label_batches if conf is not None else []
    b.confounded = bool(conf.confounded) if conf is not None else False


def pairs_across_current_split(study) -> list:
    """Copies of samples (``[i, j, "exact" | "near"]``) that the drawn split puts in two parts."""
    from guiapp.core.batch.confounding import pairs_across_split, split_parts

    part = split_parts(study)
    return [] if part is None else pairs_across_split(study.batch.duplicate_pairs, part)


# ----- remedies ------------------------------------------------------------------------------


def choose_remedy(study, remedy: str, reason: str = "", *, holdout_batches=None) -> None:
    """Record the user's remedy; a group or hold-out-batch remedy sets the split strategy.

    A split already drawn is drawn again with the new strategy (refused once the test set
    was used); a change to or from ComBat makes the fitted models stale.
    """
    if remedy not in REMEDIES:
        raise TenfoldError(f"Unknown remedy {remedy!r}; choose one of {', '.join(REMEDIES)}.")
    s, b, d = study.split, study.batch, study.data
    if s.test_uses > 0 and remedy != b.remedy:
        raise TenfoldError(
            "The sealed test set has already been used; changing the remedy now would "
            "hide what the test score was measured on. Start a new study (Tip 7)."
        )
    if remedy == "group-split" and not d.group:
        raise TenfoldError(
            "A group split needs a group column (donor, patient, animal, cell line): choose it on the Data page first."
        )
    if remedy in ("batch-holdout", "batch-label-stratified", "combat") and not d.batch:
        raise TenfoldError("This remedy needs a batch column: choose it on the Data page first.")
    previous = b.remedy
    b.remedy, b.remedy_reason = remedy, reason.strip()
    b.after = {}
    strategy = {
        "group-split": "group",
        "batch-holdout": "batch-holdout",
        "batch-label-stratified": "batch-label-stratified",
    }.get(remedy, s.strategy)
    if holdout_batches is not None:
        s.holdout_batches = [str(x) for x in holdout_batches]
    if s.sealed and (strategy != s.strategy or holdout_batches is not None):
        from guiapp.core.split.draw import split_study

        s.strategy = strategy
        split_study(study)
    else:
        s.strategy = strategy
        if s.sealed and "combat" in (remedy, previous) and remedy != previous:
            study.invalidate_after("batch")


def remedy_effect(
    study, progress: ProgressFn = no_progress, should_stop: StopFn | None = None, *, n_permutations: int = 9
) -> dict:
    """Batch metrics on the training split before and after ComBat (fitted on those rows).

    Stored in ``study.batch.after``; an empty dict when the remedy is not ComBat or the split
    is not drawn yet. Only training rows are used: the tune and test rows stay unseen.
    """
    from guiapp.core.batch.combat import correct_rows
    from guiapp.core.data.attach import model_frame

    b = study.batch
    if b.remedy != "combat" or not study.split.train_idx:
        b.after = {}
        return {}
    X, y, rows = model_frame(study)
    train = np.asarray(study.split.train_idx)
    batches = rows[study.data.batch].astype(str).to_numpy()[train]
    labels = rows[study.data.label].astype(str).to_numpy()[train] if study.is_classification else None
    out = {"on": "training split", "n": int(len(train))}
    for i, (name, features) in enumerate((("before", X[train]), ("after", correct_rows(study, X, y, rows, train)))):
        check_stop(should_stop)
        pcs, evr = pca_embedding(features, seed=study.split.seed)
        m = measure_batch_effect(
            pcs,
            evr,
            batches,
            labels,
            seed=study.split.seed,
            n_permutations=n_permutations,
            progress=sub_progress(progress, 0.5 * i, 0.5 * (i + 1)),
            should_stop=should_stop,
        )
        out[name] = {k: r.value for k, r in m.results.items()}
        out[f"{name}_lights"] = {k: r.light for k, r in m.results.items()}
    b.after = out
    progress(1.0, "Remedy measured")
    return out


REASON_NEEDED = (
    "A batch effect or confounding was found: say why no correction is needed "
    "(for example, every batch will also be present when the model is used). The "
    "reason goes into the model card (Tips 4 and 7)."
)


def remedy_needs_reason(study) -> bool:
    """Whether choosing no remedy needs a written reason: something was measured as a problem."""
    b = study.batch
    return bool(
        b.confounded
        or any(v in (RED, AMBER) for v in b.lights.values())
        or (b.silhouette is not None and b.silhouette >= SILHOUETTE_WARN)
    )


def apply_remedy(
    study,
    remedy: str,
    reason: str = "",
    *,
    holdout_batches=None,
    progress: ProgressFn = no_progress,
    should_stop: StopFn | None = None,
    n_permutations: int = 9,
) -> dict:
    """The page's remedy action: :func:`choose_remedy`, then :func:`remedy_effect` for ComBat.

    "none" needs a reason when :func:`remedy_needs_reason` (:data:`REASON_NEEDED`).
    Returns the before/after metrics (empty unless ComBat on a drawn split).
    """
    if remedy == "none" and not reason.strip() and remedy_needs_reason(study):
        raise TenfoldError(REASON_NEEDED)
    progress(0.05, "Recording the remedy")
    choose_remedy(study, remedy, reason, holdout_batches=holdout_batches)
    check_stop(should_stop)
    return remedy_effect(study, sub_progress(progress, 0.1, 1.0), should_stop, n_permutations=n_permutations)


def use_group_column(study, column: str) -> None:
    """Make ``column`` the group column (donor, patient…): its samples stay on one side of the split.

    A column that was a feature stops being one (the models fitted with it become stale).
    The batch step's group suggestion is withdrawn and a drawn split is checked for groups
    on both sides; redraw it with the group strategy to keep them apart.
    """
    from guiapp.core.batch.confounding import split_leak_findings
    from guiapp.core.data.attach import check_group

    d, table = study.data, study.table
    if table is None:
        raise TenfoldError("No data are loaded for this study: load a table on the Data page.")
    check_group(table, column)
    if column in (d.label, d.batch):
        raise TenfoldError(
            f"{column!r} is the {'label' if column == d.label else 'batch'} column; "
            "a group column names the donor, patient, animal or cell line."
        )
    if column in d.feature_columns:
        if study.split.test_uses > 0:
            raise TenfoldError(
                "The sealed test set has already been used; changing the features "
                "now would hide what it measured. Start a new study (Tip 7)."
            )
        d.feature_columns = [c for c in d.feature_columns if c != column]
        d.n_features = len(d.feature_columns)
        study.invalidate_after("batch")
    d.group = column
    _refresh_for_group(study, column)
    study.set_findings("batch", [f for f in study.findings if f.step == "batch" and f.code != "group-column-suggested"])
    if study.split.train_idx:
        study.set_findings("split", split_leak_findings(study))


def apply_group_remedy(study, column: str, *, automatic: bool = False) -> None:
    """The remedy for ``group-column-suggested``: ``column`` becomes the group column and the
    split is drawn by group (a drawn split is drawn again). Recorded in ``study.split.remedies``.

    The Batch-effects page's "Use as group column" and the headless run (``automatic``: when
    the copies name the column and the spec sets no group or strategy) both call it.
    """
    from guiapp.core.split.remedies import record_remedy

    why = next((g.get("reason", "") for g in study.batch.group_suggestions if g.get("column") == column), "")
    use_group_column(study, column)
    text = (
        f"Split: group split by `{column}`"
        + (f" because {why}" if why else "")
        + (
            "; applied by the headless run because the spec set no group column or split strategy "
            "(set [data] group or [split] strategy to choose otherwise)"
            if automatic
            else ""
        )
        + "."
    )
    record_remedy(study, "group-column-suggested", "group-split", text)
    s = study.split
    if s.strategy != "batch-holdout" and study.batch.remedy in ("none", "group-split"):
        choose_remedy(study, "group-split", study.batch.remedy_reason or why or f"`{column}` groups the samples")
        return
    # Whole batches stay the test set (tune is then drawn by group), or ComBat stays the correction.
    s.strategy = s.strategy if s.strategy == "batch-holdout" else "group"
    if s.sealed:
        from guiapp.core.split.draw import split_study

        split_study(study)


def _refresh_for_group(study, column: str) -> None:
    """A new group column changes two messages: a personal column is kept as the group (not
    removed), and the near-copy advice counts the pairs the group already keeps together."""
    from guiapp.core.data.attach import model_frame

    swapped = []
    for f in study.findings:
        if f.code == Findings.personal_identifier.code and f.values.get("column") == column:
            f = Findings.personal_group_column.raise_(**{k: f.values[k] for k in ("column", "kind", "evidence")})
        swapped.append(f)
    study.findings = swapped
    near = [(int(i), int(j)) for i, j, kind in study.batch.duplicate_pairs if kind == "near"]
    old = next((f for f in study.findings if f.code == Findings.near_duplicate_samples.code), None)
    if old is None or not near or study.table is None:
        return
    _, _, rows = model_frame(study)
    fresh = Findings.near_duplicate_samples.raise_(
        count=old.values.get("count", len(near)),
        threshold=old.values.get("threshold", 0.1),
        advice=near_copy_advice(study, rows, near, None),
    )
    study.findings = [fresh if f is old else f for f in study.findings]


def remedy_text(study) -> str:
    """One paragraph for the model card: what was measured, what was done, what remains."""
    b, d, s = study.batch, study.data, study.split
    if not d.batch:
        return (
            "No batch column was declared, so batch effects were not measured; if samples came "
            "in runs, plates, sites or days, scores may partly reflect them (Tips 4 and 7)."
        )
    parts = []
    if b.silhouette is not None:
        lights = ", ".join(f"{k} {v}" for k, v in b.lights.items())
        parts.append(
            f"Batch column `{d.batch}`: batch silhouette {b.silhouette:.2f}"
            + (f", PC regression {b.pcr_batch:.2f}" if b.pcr_batch is not None else "")
            + (
                f", iLISI {b.ilisi:.2f} (scaled iLISI (scib) {b.ilisi_norm:.2f})"
                if b.ilisi is not None and b.ilisi_norm is not None
                else ""
            )
            + (f" (traffic lights: {lights})" if lights else "")
            + "."
        )
    if b.cramers_v is not None:
        parts.append(f"Batch vs label: Cramér's V {b.cramers_v:.2f}" + (" — confounded." if b.confounded else "."))
    parts.append(
        f"Remedy: {REMEDY_WORDS.get(b.remedy, b.remedy)}" + (f" ({b.remedy_reason})" if b.remedy_reason else "") + "."
    )
    if b.remedy == "batch-holdout" or s.strategy == "batch-holdout":
        held = s.test_batches or s.holdout_batches
        where = f"({', '.join(held)})" if held else "(drawn when the split is made)"
        parts.append(f"The test set holds whole batches {where}, so its score estimates performance on a new batch.")
    if b.remedy == "batch-label-stratified" or s.strategy == "batch-label-stratified":
        parts.append(
            "Every batch × label cell is kept in proportion in each part of the split, so each "
            "part holds the same mix of batches and labels."
        )
    if b.remedy == "group-split" or s.strategy == "group":
        parts.append(f"Samples of one `{d.group}` are never on both sides of the split.")
    if b.confounded:
        parts.append(
            "Batch and label are confounded: no correction (ComBat included) can undo that, "
            "because where they go together it cannot tell the batch from the biology. The "
            "scores may still partly reflect the batch; the design itself is a limitation."
        )
    if b.remedy == "combat" and b.after.get("before"):
        before, after = b.after["before"], b.after["after"]
        parts.append(
            f"On the training split, batch silhouette {before['silhouette']:.2f} → "
            f"{after['silhouette']:.2f} and PC regression {before['pcr_batch']:.2f} → "
            f"{after['pcr_batch']:.2f} after correction."
        )
    risky = b.confounded or any(v == RED for v in b.lights.values())
    if b.remedy == "none" and risky:
        parts.append(
            "Risk: a batch effect or confounding was measured and not corrected; the scores "
            "may partly reflect the batch rather than the biology."
        )
    elif b.remedy == "none" and b.lights and all(v == GREEN for v in b.lights.values()):
        parts.append("All batch metrics were green, so no remedy was needed.")
    return " ".join(parts)
