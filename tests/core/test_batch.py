"""Batch effects (Tips 4 and 7): PCA and the batch silhouette."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler

from guiapp.core.batch.effects import SILHOUETTE_WARN, batch_effect_report, batch_silhouette


def test_batch_silhouette_matches_sklearn_on_independent_pcs(tiny_study):
    report = batch_effect_report(tiny_study)
    table = tiny_study.table
    X = table[tiny_study.data.feature_columns].to_numpy(dtype=float)
    pcs = PCA(n_components=10, svd_solver="full").fit_transform(StandardScaler().fit_transform(X))
    expected = silhouette_score(pcs, table["batch"].astype(str))
    assert report.silhouette == pytest.approx(expected, abs=1e-4)
    assert tiny_study.batch.silhouette == report.silhouette


def test_batch_silhouette_of_a_single_batch_is_zero():
    pcs = np.random.default_rng(0).normal(size=(30, 3))
    assert batch_silhouette(pcs, ["a"] * 30) == 0.0


def test_batch_silhouette_of_separated_groups_is_near_one():
    rng = np.random.default_rng(0)
    pcs = np.vstack([rng.normal(0, 0.1, (20, 2)), rng.normal(10, 0.1, (20, 2))])
    assert batch_silhouette(pcs, ["a"] * 20 + ["b"] * 20) > 0.95


def test_a_strong_batch_effect_raises_the_finding(study_factory):
    study = study_factory(batch_strength=2.0)
    report = batch_effect_report(study)
    assert report.silhouette >= 0.25
    assert "batch-effect" in study.finding_codes()
    assert [f.code for f in report.findings] == ["batch-effect"]
    assert report.reading.startswith("Strong batch effect")


def test_no_batch_effect_raises_no_finding(study_factory):
    study = study_factory(batch_strength=0.0)
    report = batch_effect_report(study)
    assert report.silhouette < SILHOUETTE_WARN
    assert "batch-effect" not in study.finding_codes()
    assert report.reading.startswith("Batches look well mixed")


def test_rerunning_replaces_the_batch_finding(study_factory):
    study = study_factory(batch_strength=2.0)
    batch_effect_report(study)
    study.data.batch = ""
    report = batch_effect_report(study)
    assert report.silhouette is None and report.batch_values is None
    assert "batch-effect" not in study.finding_codes()
    assert "No batch column" in study.batch.reading


def test_the_report_records_pca_for_the_scatter(tiny_study):
    report = batch_effect_report(tiny_study)
    n = tiny_study.data.n_samples
    assert report.coordinates.shape == (n, 2)
    assert len(report.batch_values) == len(report.label_values) == n
    evr = tiny_study.batch.explained_variance
    assert len(evr) == 10 and evr == sorted(evr, reverse=True) and sum(evr) <= 1.0
