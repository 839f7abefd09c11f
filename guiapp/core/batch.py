"""Batch effects (Tips 4 and 7): see whether samples cluster by batch rather than biology.

The skeleton computes a PCA of the standardised features and the plain batch silhouette
on the first principal components, with a reading in plain words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from guiapp.core.findings import Findings
from guiapp.core.tasks import ProgressFn, StopFn, check_stop, no_progress

N_COMPONENTS = 10
SILHOUETTE_WARN = 0.1
SILHOUETTE_STRONG = 0.25
MAX_SILHOUETTE_SAMPLES = 5000


@dataclass
class BatchEffectReport:
    coordinates: np.ndarray  # n × 2, the first two PCs, for the scatter
    explained_variance: list
    batch_values: Optional[list]  # per sample, or None when there is no batch column
    label_values: list
    silhouette: Optional[float]
    reading: str
    findings: list = field(default_factory=list)


def pca_embedding(X: np.ndarray, n_components: int = N_COMPONENTS, seed: int = 0):
    """PCA of median-imputed, standardised features; randomized above 2,000 samples."""
    from sklearn.decomposition import PCA
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import StandardScaler

    Xs = StandardScaler().fit_transform(SimpleImputer(strategy="median").fit_transform(X))
    k = max(2, min(n_components, Xs.shape[1], Xs.shape[0] - 1))
    solver = "randomized" if Xs.shape[0] > 2000 else "full"
    pca = PCA(n_components=k, svd_solver=solver, random_state=seed)
    return pca.fit_transform(Xs), pca.explained_variance_ratio_.tolist()


def batch_silhouette(pcs: np.ndarray, batches, seed: int = 0) -> float:
    """Mean silhouette width of batch labels in PC space (0 = mixed, 1 = apart)."""
    from sklearn.metrics import silhouette_score

    batches = np.asarray(batches)
    if len(np.unique(batches)) < 2:
        return 0.0
    n = len(batches)
    sample = min(n, MAX_SILHOUETTE_SAMPLES)
    return float(silhouette_score(pcs, batches, sample_size=sample if sample < n else None,
                                  random_state=seed))


def read_silhouette(s: Optional[float]) -> str:
    if s is None:
        return "No batch column was chosen, so batch effects cannot be measured. If samples came in runs, plates, sites or days, choose that column on the Data page."
    if s >= SILHOUETTE_STRONG:
        return f"Strong batch effect: samples group by batch (silhouette {s:.2f}). A model may learn the batch instead of the biology."
    if s >= SILHOUETTE_WARN:
        return f"Some batch structure (silhouette {s:.2f}): batches are partly apart. Check that batch is not tied to the label."
    return f"Batches look well mixed (silhouette {s:.2f}; 0 means mixed, 1 means fully apart)."


def batch_effect_report(study, progress: ProgressFn = no_progress,
                        should_stop: Optional[StopFn] = None) -> BatchEffectReport:
    """PCA and batch silhouette for the Batch-effects page; records them in the study."""
    from guiapp.core.data import model_frame

    X, _, rows = model_frame(study)
    progress(0.1, "Computing principal components")
    check_stop(should_stop)
    pcs, evr = pca_embedding(X, seed=study.split.seed)
    check_stop(should_stop)
    batch_col = study.data.batch
    batch_values = rows[batch_col].astype(str).tolist() if batch_col else None
    silhouette = None
    findings = []
    if batch_values is not None:
        progress(0.6, "Measuring how far batches stand apart")
        silhouette = batch_silhouette(pcs, batch_values, seed=study.split.seed)
        if silhouette >= SILHOUETTE_WARN:
            findings.append(Findings.batch_effect.raise_(batch=batch_col, silhouette=silhouette))
    reading = read_silhouette(silhouette)
    study.batch.silhouette = silhouette
    study.batch.reading = reading
    study.batch.explained_variance = [round(v, 4) for v in evr]
    study.set_findings("batch", findings)
    progress(1.0, "Batch report done")
    return BatchEffectReport(
        coordinates=pcs[:, :2].astype(np.float32), explained_variance=evr,
        batch_values=batch_values, label_values=rows[study.data.label].astype(str).tolist(),
        silhouette=silhouette, reading=reading, findings=findings,
    )
