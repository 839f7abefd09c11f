"""LISI against its published formula (Korsunsky et al. 2019) and the reference implementations.

For each point i, the weights of its neighbours j are p_ij ∝ exp(−β_i·d_ij) on plain
distances, with β_i such that the entropy −Σ_j p_ij log p_ij equals log(perplexity); LISI is
1 / Σ_c (Σ_{j in c} p_ij)². scib scales the median iLISI as (iLISI − 1) / (batches − 1).
"""

from __future__ import annotations

import numpy as np
import pytest

from guiapp.core.batch import metrics as bm
from guiapp.core.batch.neighbourhoods import lisi, perplexity_weights

# Eight points in the plane, two batches; every point's neighbours are the seven others.
POINTS = np.array([[0.0, 0.0], [1.0, 0.2], [0.3, 1.1], [2.0, 2.0], [2.5, 1.4], [4.0, 0.5], [0.8, 3.0], [3.1, 3.3]])
BATCH = np.array(["a", "a", "b", "a", "b", "b", "a", "b"])


def by_hand(X, groups, perplexity):
    """The formula point by point: β from a root finder (not bisection), all other points."""
    from scipy.optimize import brentq

    out = []
    for i in range(len(X)):
        d = np.delete(np.linalg.norm(X - X[i], axis=1), i)
        g = np.delete(groups, i)

        def weights(beta, d=d):
            w = np.exp(-beta * (d - d.min()))
            return w / w.sum()

        def excess_entropy(log_beta):
            p = weights(np.exp(log_beta))
            return -np.sum(p[p > 0] * np.log(p[p > 0])) - np.log(perplexity)

        p = weights(np.exp(brentq(excess_entropy, -10, 6, xtol=1e-14)))
        out.append(1.0 / sum(p[g == c].sum() ** 2 for c in np.unique(groups)))
    return np.array(out)


def test_lisi_matches_the_formula_on_a_small_fixture():
    expected = by_hand(POINTS, BATCH, perplexity=2)
    got = lisi(POINTS, BATCH, perplexity=2, n_neighbors=7)
    # bisection stops within 1e-5 of the entropy; the LISI moves much less than that
    np.testing.assert_allclose(got, expected, atol=1e-4)
    assert got.min() > 1.0 and got.max() < 2.0 and np.ptp(got) > 0.3  # a fixture with spread


def test_equidistant_neighbours_give_the_inverse_simpson_of_their_groups():
    # The seven vertices of a regular simplex: every point's six neighbours are equally far,
    # so the weights are 1/6 whatever β is. 4 of "a" and 3 of "b":
    # an "a" point sees 3 a + 3 b → 1 / (0.5² + 0.5²) = 2;
    # a "b" point sees 4 a + 2 b → 1 / ((4/6)² + (2/6)²) = 1.8.
    X = np.eye(7)
    groups = np.array(list("aaaabbb"))
    got = lisi(X, groups, perplexity=2, n_neighbors=6)
    np.testing.assert_allclose(got, [2.0] * 4 + [1.8] * 3, rtol=1e-12)


def test_the_kernel_weighs_plain_distances_not_squared_ones():
    d = np.array([[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]])
    P = perplexity_weights(d, 3)
    steps = np.diff(np.log(P[0]))  # log p = −β d + const: equal steps for equal distance steps
    np.testing.assert_allclose(steps, steps[0], rtol=1e-10)
    H = -np.sum(P * np.log(P))
    assert H == pytest.approx(np.log(3), abs=1e-5)


def test_scib_scaling_of_the_median():
    assert bm.scib_scaled_ilisi(1.0, 4) == 0.0 and bm.scib_scaled_ilisi(4.0, 4) == 1.0
    assert bm.scib_scaled_ilisi(2.5, 4) == pytest.approx(0.5)
    assert bm.scib_scaled_clisi(1.0, 3) == 1.0 and bm.scib_scaled_clisi(2.0, 3) == pytest.approx(0.5)


def test_the_report_gives_scibs_scaled_ilisi_and_judges_unequal_batches_on_their_mixed_value():
    # Perfectly mixed sites of 7 "a" and 3 "b": the best reachable iLISI is 1 / (0.7² + 0.3²)
    # ≈ 1.72, so scib's scaling stays below 0.8 while the light judges the share of that best.
    r = np.random.default_rng(0)
    centres = r.uniform(0, 10, (100, 2))
    X = np.repeat(centres, 10, axis=0) + r.normal(0, 1e-3, (1000, 2))
    b = np.tile(list("aaaaaaabbb"), 100)
    m = bm.measure_batch_effect(X, [0.6, 0.4], b, n_permutations=0).results["ilisi"]
    assert m.normalised == pytest.approx((m.value - 1) / (2 - 1))
    assert m.extra["scaled"] == "scaled iLISI (scib)"
    # judged on the scib scaling it would not be green (below 0.8); on its share of mixed it is
    assert m.normalised < 0.8 and m.extra["share_of_mixed"] > 0.8 and m.light == bm.GREEN


def test_agrees_with_harmonypy():
    harmonypy = pytest.importorskip("harmonypy")
    import pandas as pd

    r = np.random.default_rng(1)
    X = r.normal(size=(300, 4))
    b = r.choice(["x", "y", "z"], 300)
    X[b == "x"] += 0.7
    theirs = harmonypy.compute_lisi(X, pd.DataFrame({"batch": b}), ["batch"])[:, 0]
    np.testing.assert_allclose(lisi(X, b), theirs, rtol=1e-9)
