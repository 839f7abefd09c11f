"""Batch metrics against independent computations, analytic cases and a planted effect."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import silhouette_samples as sk_silhouette_samples
from sklearn.metrics import silhouette_score

from guiapp.core.batch import metrics as bm
from guiapp.core.batch.effects import pca_embedding
from guiapp.core.data.demo import simulated_expression
from guiapp.core.study.errors import Cancelled
from guiapp.core.study.task_context import TaskContext

rng = np.random.default_rng(0)


def tuples(B: int, sites: int = 300, seed: int = 0):
    """Perfectly mixed batches: every site holds one sample of each batch, a hair apart."""
    r = np.random.default_rng(seed)
    centres = r.uniform(0, 10, (sites, 2))
    X = np.repeat(centres, B, axis=0) + r.normal(0, 1e-3, (sites * B, 2))
    return X, np.tile(np.arange(B), sites)


def separated(B: int, per_batch: int = 150, seed: int = 0):
    r = np.random.default_rng(seed)
    X = np.vstack([r.normal(100.0 * b, 1.0, (per_batch, 3)) for b in range(B)])
    return X, np.repeat(np.arange(B), per_batch)


# ----- silhouettes against scikit-learn ------------------------------------------------------


@pytest.mark.parametrize("n, k", [(60, 2), (300, 3), (401, 5)])
def test_silhouette_samples_equal_sklearns(n, k):
    X = rng.normal(size=(n, 4)) * 3 + rng.integers(0, k, n)[:, None]
    labels = rng.integers(0, k, n)
    np.testing.assert_allclose(bm.silhouette_samples(X, labels), sk_silhouette_samples(X, labels), atol=1e-5)


def test_a_cluster_of_one_gets_zero_as_in_sklearn():
    X = rng.normal(size=(30, 2))
    labels = np.array([0] * 15 + [1] * 14 + [2])
    ours = bm.silhouette_samples(X, labels)
    assert ours[-1] == 0.0
    np.testing.assert_allclose(ours, sk_silhouette_samples(X, labels), atol=1e-5)


def test_plain_batch_silhouette_is_sklearns_silhouette_score():
    X, b = rng.normal(size=(200, 3)), rng.choice(["a", "b", "c"], 200)
    assert bm.plain_batch_silhouette(X, b) == pytest.approx(silhouette_score(X, b), abs=1e-6)
    assert bm.plain_batch_silhouette(X, ["a"] * 200) == 0.0


def test_scib_batch_asw_is_one_minus_abs_silhouette_within_labels():
    X = rng.normal(size=(240, 3))
    b, lab = rng.integers(0, 3, 240), rng.integers(0, 2, 240)
    X[:, 0] += b  # some batch structure
    expected = np.mean([np.mean(1 - np.abs(sk_silhouette_samples(X[lab == c], b[lab == c]))) for c in (0, 1)])
    assert bm.scib_batch_asw(X, b, lab) == pytest.approx(expected, abs=1e-6)


def test_scib_batch_asw_skips_labels_held_by_one_batch():
    X = rng.normal(size=(90, 2))
    b = np.array([0] * 30 + [1] * 30 + [2] * 30)
    lab = np.array([0] * 30 + [1] * 60)  # label 0 lives in batch 0 only
    rows = lab == 1
    expected = np.mean(1 - np.abs(sk_silhouette_samples(X[rows], b[rows])))
    assert bm.scib_batch_asw(X, b, lab) == pytest.approx(expected, abs=1e-6)
    assert bm.scib_batch_asw(X, b, np.arange(90) // 30) is None


# ----- principal-component regression against least squares -----------------------------------


def test_pc_regression_equals_direct_least_squares():
    pcs = rng.normal(size=(150, 5)) * [5, 4, 3, 2, 1]
    b = rng.choice(["r1", "r2", "r3", "r4"], 150)
    pcs[:, 1] += (b == "r2") * 3.0
    variance = np.array([0.4, 0.3, 0.15, 0.1, 0.05])
    design = np.column_stack([np.ones(150)] + [(b == v).astype(float) for v in ("r2", "r3", "r4")])
    r2 = []
    for k in range(5):
        coef, *_ = np.linalg.lstsq(design, pcs[:, k], rcond=None)
        resid = pcs[:, k] - design @ coef
        r2.append(1 - resid @ resid / np.sum((pcs[:, k] - pcs[:, k].mean()) ** 2))
    expected = np.sum(variance * np.array(r2)) / variance.sum()
    assert bm.pc_regression(pcs, variance, b) == pytest.approx(expected, rel=1e-10)


# ----- LISI: analytic cases ------------------------------------------------------------------------


def test_perplexity_weights_have_the_asked_entropy():
    d2 = rng.uniform(0, 5, (50, 90)) ** 2
    P = bm.perplexity_weights(d2, 30)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    H = -(P * np.log(P)).sum(axis=1)
    np.testing.assert_allclose(H, np.log(30), atol=1e-4)


@pytest.mark.parametrize("B", [2, 3, 5])
def test_ilisi_of_perfectly_mixed_batches_is_the_number_of_batches(B):
    X, b = tuples(B)
    # Each sample misses itself from its own site, so the value sits a little below B
    # (harmonypy's compute_lisi gives 1.951, 2.897 and 4.788 on this fixture).
    assert B * 0.95 < np.median(bm.lisi(X, b)) < B


@pytest.mark.parametrize("B", [2, 4])
def test_lisi_of_fully_separated_batches_is_one(B):
    X, b = separated(B)
    np.testing.assert_allclose(bm.lisi(X, b), 1.0, atol=1e-9)


def test_inverse_simpson_is_the_mixed_value_for_unequal_batches():
    assert bm.inverse_simpson(["a"] * 50 + ["b"] * 50) == pytest.approx(2.0)
    assert bm.inverse_simpson(["a"] * 90 + ["b"] * 10) == pytest.approx(1 / (0.81 + 0.01))


# ----- kBET ------------------------------------------------------------------------------------------


def test_kbet_rejects_nothing_when_batches_are_perfectly_mixed():
    X, b = tuples(3)
    assert bm.kbet_rejection_rate(X, b) < 0.05


def test_kbet_rejects_about_alpha_when_batches_are_randomly_mixed():
    X, b = rng.normal(size=(1500, 4)), rng.integers(0, 3, 1500)
    assert bm.kbet_rejection_rate(X, b) < 0.15


def test_kbet_rejects_every_neighbourhood_of_separated_batches():
    X, b = separated(3)
    assert bm.kbet_rejection_rate(X, b) == 1.0


# ----- batch predictability ----------------------------------------------------------------------


def test_random_batches_are_not_predictable():
    X, b = rng.normal(size=(300, 5)), rng.integers(0, 3, 300)
    out = bm.batch_predictability(X, b, rng.integers(0, 2, 300), n_permutations=9)
    assert abs(out["score"]) < 0.15 and out["p_value"] > 0.05
    assert out["chance"] == pytest.approx(1 / 3)


def test_separated_batches_are_predicted_within_every_label():
    X, b = separated(3, per_batch=60)
    lab = np.tile([0, 1], 90)
    out = bm.batch_predictability(X, b, lab, n_permutations=9)
    assert out["score"] == pytest.approx(1.0) and out["accuracy"] == pytest.approx(1.0)
    assert out["p_value"] == pytest.approx(1 / 10)


def test_predictability_is_none_when_no_label_has_two_batches():
    X = rng.normal(size=(40, 2))
    out = bm.batch_predictability(X, np.arange(40) // 20, np.arange(40) // 20)
    assert out["score"] is None


# ----- lights, sampling, progress, stop ------------------------------------------------------------


@pytest.mark.parametrize(
    "key, value, light",
    [
        ("pcr_batch", 0.01, "green"),
        ("pcr_batch", 0.05, "green"),
        ("pcr_batch", 0.1, "amber"),
        ("pcr_batch", 0.5, "red"),
        ("batch_asw", 0.95, "green"),
        ("batch_asw", 0.8, "amber"),
        ("batch_asw", 0.5, "red"),
        ("kbet_rejection", 0.05, "green"),
        ("kbet_rejection", 0.9, "red"),
        ("ilisi", None, None),
    ],
)
def test_traffic_lights_follow_the_declared_thresholds(key, value, light):
    assert bm.traffic_light(key, value) == light


def metrics_for(strength: float, seed: int = 0, **kw):
    d = simulated_expression(
        n_samples=300, n_genes=8, n_informative=5, batch_strength=strength, effect_size=1.5, seed=seed
    )
    genes = [c for c in d.table.columns if c.startswith("GENE")]
    pcs, evr = pca_embedding(d.table[genes].to_numpy())
    return bm.measure_batch_effect(pcs, evr, d.table["batch"], d.table["condition"], n_permutations=5, **kw)


# Direction in which each metric moves as the batch effect grows (cLISI: labels get hidden).
WORSE = {
    "silhouette": +1,
    "batch_asw": -1,
    "ilisi": -1,
    "clisi": +1,
    "kbet_rejection": +1,
    "pcr_batch": +1,
    "predictability": +1,
}


@pytest.mark.parametrize("seed", [0, 1])
def test_every_metric_orders_a_planted_batch_effect_by_strength(seed):
    strengths = (0.0, 0.5, 1.0, 2.0)
    runs = [metrics_for(s, seed) for s in strengths]
    assert set(runs[0].results) == set(WORSE)
    for key, sign in WORSE.items():
        values = [sign * r.value(key) for r in runs]
        assert all(a < b for a, b in zip(values, values[1:], strict=False)), (key, values)
    assert runs[0].results["pcr_batch"].light == "green" and runs[-1].results["pcr_batch"].light == "red"
    assert runs[0].results["predictability"].light == "green"


def test_large_data_are_subsampled_and_the_size_is_stated():
    m = metrics_for(1.0, max_samples=120, predict_max_samples=100)
    assert (m.n_points, m.sample_size) == (300, 120)
    assert m.results["predictability"].extra["points"] == 100
    assert m.results["pcr_batch"].extra["points"] == 300  # cheap: every point
    assert metrics_for(1.0).sample_size is None


def test_progress_reaches_the_end_and_stop_is_honoured():
    seen = []
    metrics_for(1.0, ctx=TaskContext(progress=lambda f, m: seen.append(f)))
    assert seen[-1] == 1.0 and seen == sorted(seen)
    with pytest.raises(Cancelled):
        metrics_for(1.0, ctx=TaskContext(should_stop=lambda: True))


def test_without_labels_there_is_no_clisi_and_asw_is_unstratified():
    X, b = rng.normal(size=(120, 3)), rng.integers(0, 2, 120)
    m = bm.measure_batch_effect(X, [0.5, 0.3, 0.2], b, None, n_permutations=3)
    assert "clisi" not in m.results
    assert m.value("batch_asw") == pytest.approx(np.mean(1 - np.abs(sk_silhouette_samples(X, b))), abs=1e-6)
    assert m.to_dict()["metrics"]["ilisi"]["low"] == 1
