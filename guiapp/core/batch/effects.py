"""Batch effects (Tips 4 and 7): see whether samples group by batch rather than biology.

:func:`batch_effect_report` computes a PCA of the standardised features, every batch metric
of :mod:`guiapp.core.batch.metrics` on the first principal components, the batch × label
confounding, group-column suggestions (:mod:`guiapp.core.batch.group_columns`) and copies of
samples (:mod:`guiapp.core.batch.confounding`), records them in the study and raises the
findings. What the user does about it — a group split, whole batches held out as the test
set, ComBat fitted on the training split, or nothing — is :mod:`guiapp.core.batch.remedy`
(its words and measured effect) and :mod:`guiapp.core.split.remedy_actions` (applying it).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from guiapp.core.batch.embedding_store import store_embedding
from guiapp.core.batch.metrics import (
    AMBER,
    PREDICT_PERMUTATIONS,
    RED,
    BatchMetrics,
    measure_batch_effect,
    plain_batch_silhouette,
    subsample,
)
from guiapp.core.data.streaming import StreamedRows, exact_copies, streamed_pca
from guiapp.core.study.findings import Finding, Findings
from guiapp.core.study.model import BatchState, Study
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext

if TYPE_CHECKING:  # pandas is imported lazily (the window imports this module at open): annotations only
    import pandas as pd

    from guiapp.core.batch.confounding import ConfoundingReport, DuplicateReport

N_COMPONENTS = 10
SILHOUETTE_WARN = 0.1
SILHOUETTE_STRONG = 0.25
MAX_SILHOUETTE_SAMPLES = 5000


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
    confounding: ConfoundingReport | None = None  # None without a batch column
    group_suggestions: list = field(default_factory=list)
    duplicates: DuplicateReport | None = None
    duplicates_across_split: list = field(default_factory=list)  # [i, j, kind]; empty before a split

    def to_dict(self) -> dict:
        """Everything but the per-sample arrays, as plain JSON values (``inspect --json``)."""
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
    from guiapp.core.batch.confounding import standardise  # imports pandas: the window imports this module at open

    return pca_of_standardised(standardise(X), n_components, seed)


def pca_of_standardised(Xs: np.ndarray, n_components: int = N_COMPONENTS, seed: int = 0):
    """PCA of features already standardised by :func:`guiapp.core.batch.confounding.standardise`."""
    from sklearn.decomposition import PCA  # sklearn: imported lazily so the window opens fast

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
    study: Study, *, n_permutations: int = PREDICT_PERMUTATIONS, ctx: TaskContext = NO_CONTEXT
) -> BatchEffectReport:
    """PCA, batch metrics, confounding, groups and copies for the Batch-effects page.

    Records everything in ``study.batch`` and replaces the findings of the batch step (and,
    once a split is drawn, the split's copies-across-parts findings).
    """
    # These import pandas: the window imports this module at open.
    from guiapp.core.batch import confounding as cf
    from guiapp.core.data.attach import model_frame

    X, _, rows = model_frame(study)
    ctx.report(0.02, "Computing principal components")
    ctx.check()
    seed = study.split.seed
    standardised, pcs, evr = _principal_components(X, seed, ctx=ctx)
    ctx.check()
    batch_col, label_col = study.data.batch, study.data.label
    batch_values = rows[batch_col].astype(str).tolist() if batch_col else None
    label_values = rows[label_col].astype(str).tolist()
    metrics, conf, silhouette, findings = _measure(
        study, rows, pcs, evr, batch_values, label_values, n_permutations, ctx=ctx
    )
    ctx.report(0.8, "Looking for donors, patients and copies of samples")
    ctx.check()
    if isinstance(X, StreamedRows):  # features on disk: exact copies only
        dup = cf.DuplicateReport(exact_pairs=exact_copies(X))
    else:
        dup = cf.find_duplicates(X, embedding=pcs, standardised=standardised, seed=seed, ctx=ctx)
    del standardised
    suggestions, copy_findings = _groups_and_copies(study, rows, dup)
    findings += copy_findings
    b = study.batch
    _record(b, metrics, conf, evr, silhouette)
    if study.folder is not None:  # the page draws a reopened study's plot from these
        store_embedding(study, "pca", pcs[:, :2], evr)
    b.group_suggestions = suggestions
    b.duplicate_pairs = dup.pairs()
    b.reading = reading = _reading(silhouette, metrics, conf)
    study.set_findings("batch", findings)
    across = []
    part = cf.split_parts(study)
    if part is not None:
        across = cf.pairs_across_split(b.duplicate_pairs, part)
        study.set_findings("split", cf.split_leak_findings(study))
    ctx.report(1.0, "Batch report done")
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


def _principal_components(X, seed: int, *, ctx: TaskContext = NO_CONTEXT) -> tuple[np.ndarray | None, np.ndarray, list]:
    """``(standardised features, PCs, explained variance)``; features on disk get an
    incremental PCA over chunks of rows and no standardised copy (None)."""
    from guiapp.core.batch.confounding import standardise  # imports pandas: the window imports this module at open

    if isinstance(X, StreamedRows):
        pcs, evr = streamed_pca(X, N_COMPONENTS, ctx=ctx)
        return None, pcs, evr
    standardised = standardise(X)
    pcs, evr = pca_of_standardised(standardised, seed=seed)
    return standardised, pcs, evr


def _measure(
    study: Study,
    rows: pd.DataFrame,
    pcs: np.ndarray,
    evr: list,
    batch_values: list | None,
    label_values: list,
    n_permutations: int,
    *,
    ctx: TaskContext = NO_CONTEXT,
) -> tuple[BatchMetrics | None, ConfoundingReport | None, float | None, list[Finding]]:
    """The batch metrics, the batch × label confounding and their findings; nothing without a
    batch column."""
    from guiapp.core.batch import confounding as cf  # imports pandas: the window imports this module at open

    if batch_values is None:
        return None, None, None, []
    findings = []
    batch_col, label_col = study.data.batch, study.data.label
    metrics = measure_batch_effect(
        pcs,
        evr,
        batch_values,
        label_values if study.is_classification else None,
        seed=study.split.seed,
        n_permutations=n_permutations,
        ctx=ctx.sub(0.15, 0.75),
    )
    silhouette = metrics.value("silhouette")
    if silhouette is not None and silhouette >= SILHOUETTE_WARN:
        findings.append(Findings.batch_effect.raise_(batch=batch_col, silhouette=silhouette))
    conf = cf.batch_label_confounding(batch_values, rows[label_col].to_numpy(), task=study.question.task)
    finding = cf.confounding_finding(batch_col, conf)
    if finding is not None:
        findings.append(finding)
    return metrics, conf, silhouette, findings


def _groups_and_copies(study: Study, rows: pd.DataFrame, dup: DuplicateReport) -> tuple[list, list[Finding]]:
    """Group-column suggestions (a column the copies share comes first) and the findings for
    them and for near-copies."""
    # imports pandas: the window imports this module at open
    from guiapp.core.batch.group_columns import group_column_from_copies, suggest_group_columns

    d = study.data
    exclude = {d.label, d.batch, d.group}
    suggestions = suggest_group_columns(rows, exclude=exclude)
    from_copies = (
        None
        if d.group
        else group_column_from_copies(rows, dup.pairs(), exclude=exclude | set(d.feature_columns) | set(d.identifiers))
    )
    if from_copies is not None:  # the copies say which column groups the samples: it comes first
        suggestions = [{**from_copies, "from_copies": True}] + [
            g for g in suggestions if g["column"] != from_copies["column"]
        ]
    findings = []
    if suggestions and not d.group:
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
    return suggestions, findings


def _reading(silhouette: float | None, metrics: BatchMetrics | None, conf: ConfoundingReport | None) -> str:
    reading = read_silhouette(silhouette)
    if metrics is not None:
        reading += " " + read_metrics(metrics)
    if conf is not None:
        reading += " " + conf.reading
    return reading


def near_copy_advice(study: Study, rows: pd.DataFrame, pairs, from_copies: dict | None) -> str:
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


def _record(
    b: BatchState, metrics: BatchMetrics | None, conf: ConfoundingReport | None, evr: list, silhouette: float | None
) -> None:
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


def pairs_across_current_split(study: Study) -> list:
    """Copies of samples (``[i, j, "exact" | "near"]``) that the drawn split puts in two parts."""
    # imports pandas: the window imports this module at open
    from guiapp.core.batch.confounding import pairs_across_split, split_parts

    part = split_parts(study)
    return [] if part is None else pairs_across_split(study.batch.duplicate_pairs, part)
