"""ComBat against the equations of Johnson, Li and Rabinovic (2007), and its study wiring."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from guiapp.core.batch import combat
from guiapp.core.batch import effects as batch
from guiapp.core.batch import remedy as batch_remedy
from guiapp.core.batch.combat import ComBat
from guiapp.core.batch.metrics import plain_batch_silhouette
from guiapp.core.data import attach as data
from guiapp.core.data import demo
from guiapp.core.split import draw as split
from guiapp.core.split import remedy_actions
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.model import Study

rng = np.random.default_rng(0)


def batched(n=90, p=25, k=3, seed=0):
    """Features with a per-batch shift and scale, and a label effect on the first five."""
    r = np.random.default_rng(seed)
    b = np.repeat(np.arange(k), n // k)
    label = r.integers(0, 2, len(b))
    X = 5 + r.normal(size=(len(b), p)) * (1 + 0.4 * b[:, None])
    X += r.normal(0, 1.5, (k, p))[b]
    X[:, :5] += 2.0 * label[:, None]
    return X, b.astype(str), label


# ----- the equations ----------------------------------------------------------------------------


def standardised(X, b, covariate=None):
    """Step 1 of the paper by direct least squares: α̂, σ̂ and Z, independently of guiapp."""
    levels = np.unique(b)
    design = np.column_stack(
        [(b == v).astype(float) for v in levels] + ([covariate - covariate.mean()] if covariate is not None else [])
    )
    coef, *_ = np.linalg.lstsq(design, X, rcond=None)
    sizes = np.array([(b == v).sum() for v in levels])
    alpha = sizes @ coef[: len(levels)] / len(b)
    sigma = np.sqrt(((X - design @ coef) ** 2).mean(axis=0))
    extra = design[:, len(levels) :] @ coef[len(levels) :]
    return alpha, sigma, (X - alpha - extra) / sigma


def test_location_and_scale_without_shrinkage_give_every_batch_the_pooled_mean_and_scale():
    X, b, _ = batched()
    model = ComBat(empirical_bayes=False).fit(X, b)
    alpha, sigma, Z = standardised(X, b)
    np.testing.assert_allclose(model.alpha_, alpha)
    np.testing.assert_allclose(model.sigma_, sigma)
    out = model.transform(X, b)
    for v in np.unique(b):
        np.testing.assert_allclose(out[b == v].mean(axis=0), alpha, atol=1e-10)
        np.testing.assert_allclose(out[b == v].std(axis=0, ddof=1), sigma, rtol=1e-10)


def test_gamma_hat_and_delta_hat_are_batch_moments_of_the_standardised_data():
    X, b, label = batched()
    model = ComBat().fit(X, b, covariates=label)
    _, _, Z = standardised(X, b, covariate=label.astype(float))
    for i, v in enumerate(np.unique(b)):
        np.testing.assert_allclose(model.gamma_hat_[i], Z[b == v].mean(axis=0), atol=1e-10)
        np.testing.assert_allclose(model.delta2_hat_[i], Z[b == v].var(axis=0, ddof=1), atol=1e-10)


def test_hyperpriors_are_the_method_of_moments_estimates():
    X, b, _ = batched()
    m = ComBat().fit(X, b)
    for i in range(3):
        g, d = m.gamma_hat_[i], m.delta2_hat_[i]
        V, S2 = d.mean(), d.var(ddof=1)
        assert m.priors_["gamma_bar"][i] == pytest.approx(g.mean())
        assert m.priors_["tau2"][i] == pytest.approx(g.var(ddof=1))
        assert m.priors_["lambda"][i] == pytest.approx((V**2 + 2 * S2) / S2)
        assert m.priors_["theta"][i] == pytest.approx((V**3 + V * S2) / S2)


def test_the_posterior_estimates_solve_the_papers_fixed_point_equations():
    X, b, _ = batched()
    m = ComBat(conv=1e-10).fit(X, b)
    _, _, Z = standardised(X, b)
    for i, v in enumerate(np.unique(b)):
        z, n = Z[b == v], (b == v).sum()
        g_bar, tau2 = m.priors_["gamma_bar"][i], m.priors_["tau2"][i]
        lam, theta = m.priors_["lambda"][i], m.priors_["theta"][i]
        g_star, d_star = m.gamma_[i], m.delta2_[i]
        np.testing.assert_allclose(
            g_star, (n * tau2 * m.gamma_hat_[i] + d_star * g_bar) / (n * tau2 + d_star), rtol=1e-7
        )
        np.testing.assert_allclose(
            d_star, (theta + 0.5 * ((z - g_star) ** 2).sum(axis=0)) / (n / 2 + lam - 1), rtol=1e-7
        )
        # shrinkage: each γ* lies between its own γ̂ and the batch's γ̄
        lo, hi = np.minimum(m.gamma_hat_[i], g_bar), np.maximum(m.gamma_hat_[i], g_bar)
        assert np.all((g_star >= lo - 1e-12) & (g_star <= hi + 1e-12))


def test_the_correction_removes_the_batch_and_keeps_the_label_effect():
    X, b, label = batched(n=300, seed=1)
    out = ComBat().fit_transform(X, b, covariates=label)
    assert plain_batch_silhouette(X, b) > 0.15 and abs(plain_batch_silhouette(out, b)) < 0.03
    shift = out[label == 1, :5].mean() - out[label == 0, :5].mean()
    assert shift == pytest.approx(2.0, abs=0.4)


def combat_model_data(effect=1.5, delta2=(0.6, 1.0, 1.8), n=(60, 80, 100), p=40, seed=0):
    """Data drawn from ComBat's own model: x = α + label·β + σγ_b + σδ_b ε, β = ``effect``
    on the first ten features, each batch with its own scale δ_b² (``delta2``)."""
    r = np.random.default_rng(seed)
    b = np.repeat(np.arange(len(n)), n)
    label = r.integers(0, 2, len(b))
    alpha, sigma = r.normal(5, 1, p), r.uniform(0.5, 1.5, p)
    gamma = r.normal(r.normal(0, 1, len(n))[:, None], 0.3, (len(n), p))
    scale = np.sqrt(np.asarray(delta2))[:, None] * r.uniform(0.9, 1.1, (len(n), p))
    X = (
        alpha
        + effect * label[:, None] * (np.arange(p) < 10)
        + sigma * gamma[b]
        + sigma * scale[b] * r.normal(size=(len(b), p))
    )
    return X, b.astype(str), label


def label_effect_per_batch(X, b, label):
    return {v: X[(b == v) & (label == 1), :10].mean() - X[(b == v) & (label == 0), :10].mean() for v in np.unique(b)}


def test_the_label_effect_keeps_its_true_size_in_every_batch():
    X, b, label = combat_model_data()
    out = ComBat().fit_transform(X, b, covariates=label)
    for v, effect in label_effect_per_batch(out, b, label).items():
        assert effect == pytest.approx(1.5, abs=0.12), v
    # Rescaling the biology by 1/δ_b (the label left inside the standardised data) would
    # give each batch a different effect, far from 1.5 where δ_b² is 0.6 or 1.8.
    m = ComBat().fit(X, b, covariates=label)
    rescaled = (
        m.transform(X, b, covariates=label)
        - m.biology(b, label) * (1 - 1 / np.sqrt(m.delta2_))[np.unique(b, return_inverse=True)[1]]
    )
    far = label_effect_per_batch(rescaled, b, label)
    assert far["0"] > 1.7 and far["2"] < 1.3


def test_the_covariate_effect_is_estimated_jointly_with_the_batch_and_added_back():
    X, b, label = combat_model_data(seed=2)
    m = ComBat(empirical_bayes=False).fit(X, b, covariates=label)
    _, sigma, Z = standardised(X, b, covariate=label.astype(float))
    levels = np.unique(b)
    design = np.column_stack([(b == v).astype(float) for v in levels] + [label - label.mean()])
    coef, *_ = np.linalg.lstsq(design, X, rcond=None)
    np.testing.assert_allclose(m.beta_[0], coef[-1], atol=1e-10)
    out = m.transform(X, b, covariates=label)
    kept = np.outer(label - label.mean(), coef[-1])
    # without shrinkage every batch of the standardised residual gets mean 0 and variance 1
    for v in levels:
        rest = (out - m.alpha_ - kept)[b == v] / sigma
        np.testing.assert_allclose(rest.mean(axis=0), 0, atol=1e-10)
        np.testing.assert_allclose(rest.var(axis=0, ddof=1), 1, rtol=1e-10)


def test_rows_without_labels_keep_their_batchs_mean_label_effect():
    X, b, label = combat_model_data(seed=3)
    m = ComBat().fit(X, b, covariates=label)
    without, with_labels = m.transform(X, b), m.transform(X, b, covariates=label)
    for v in np.unique(b):  # the same batch means, whatever the labels
        np.testing.assert_allclose(without[b == v].mean(axis=0), with_labels[b == v].mean(axis=0), atol=1e-10)
    # within a batch, the label effect of such rows is scaled by 1/δ*_b around the batch mean
    codes = np.unique(b, return_inverse=True)[1]
    own, mean = m.biology(b, label), m.batch_biology_[codes]
    np.testing.assert_allclose(without - with_labels, (mean - own) * (1 - 1 / np.sqrt(m.delta2_[codes])), atol=1e-10)
    with pytest.raises(ValueError, match="1 covariate"):
        m.transform(X, b, covariates=np.c_[label, label])


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # inmoose uses np.matrix
@pytest.mark.parametrize("with_label", [False, True])
@pytest.mark.parametrize("seed", [0, 1])
def test_agrees_with_inmoose_pycombat_norm(with_label, seed):
    """inmoose's pycombat_norm (parametric priors, defaults) is an independent port of
    sva::ComBat; its variances divide by n (numpy's default), hence ``ddof=0`` here."""
    inmoose = pytest.importorskip("inmoose.pycombat")
    X, b, label = combat_model_data(seed=seed, n=(20, 25, 30), p=60)
    covariate = label if with_label else None
    ours = ComBat(ddof=0).fit_transform(X, b, covariates=covariate)
    theirs = np.asarray(
        inmoose.pycombat_norm(X.T, list(b), covar_mod=None if covariate is None else covariate[:, None].astype(float))
    ).T
    np.testing.assert_allclose(ours, theirs, atol=1e-6, rtol=0)
    # The paper's n − 1 (sva's default and ours) is a visible, documented difference.
    assert np.abs(ComBat().fit_transform(X, b, covariates=covariate) - theirs).max() > 1e-3


def test_a_batch_unseen_in_training_is_corrected_from_its_own_features():
    X, b, _ = batched(n=120, k=4)
    train = b != "3"
    model = ComBat().fit(X[train], b[train])
    out = model.transform(X[~train], b[~train])
    np.testing.assert_allclose(out.mean(axis=0), model.alpha_, atol=0.15 * model.sigma_.mean())
    np.testing.assert_allclose(model.transform(X[~train][:1], ["new"]), X[~train][:1])  # one sample: as is


def test_missing_values_stay_missing_and_constant_features_pass_through():
    X, b, _ = batched()
    X[:, 3] = 7.0
    X[4, 0] = np.nan
    out = ComBat().fit(X, b).transform(X, b)
    assert np.isnan(out[4, 0]) and np.isfinite(np.delete(out, 4, axis=0)).all()
    np.testing.assert_array_equal(out[:, 3], 7.0)


def test_fit_refuses_one_batch_and_batches_of_one():
    X = rng.normal(size=(10, 3))
    with pytest.raises(ValueError, match="two batches"):
        ComBat().fit(X, ["a"] * 10)
    with pytest.raises(ValueError, match="two training samples"):
        ComBat().fit(X, ["a"] * 9 + ["b"])


def test_saved_parameters_load_without_pickle_and_transform_the_same(tmp_path):
    X, b, _ = batched()
    model = ComBat().fit(X, b)
    model.save(tmp_path / "c.npz")
    with np.load(tmp_path / "c.npz", allow_pickle=False) as f:
        assert f["batches_"].dtype.kind == "U"
    back = ComBat.load(tmp_path / "c.npz")
    np.testing.assert_array_equal(back.transform(X, b), model.transform(X, b))
    assert back.get_params() == model.get_params()


# ----- the study's correction -------------------------------------------------------------------


def combat_study(folder: Path, **gen) -> Study:
    d = demo.simulated_expression(**{"n_samples": 210, "n_genes": 12, "n_informative": 4, "batch_strength": 1.5, **gen})
    path = demo.write_demo(d, folder / "data")
    study = Study()
    study.save(folder / "study")
    data.attach_data(study, data.AttachRequest(path, label=d.label, batch=d.batch, sensitive=False))
    batch.batch_effect_report(study, n_permutations=3)
    remedy_actions.choose_remedy(study, "combat", "batch shifts every gene")
    split.split_study(study)
    return study


def test_combat_is_fitted_on_the_training_rows_only(tmp_path, monkeypatch):
    study = combat_study(tmp_path)
    seen = []
    original = ComBat.fit

    def spy(self, X, batches, covariates=None):
        seen.append((np.asarray(X).copy(), np.asarray(covariates).copy()))
        return original(self, X, batches, covariates)

    monkeypatch.setattr(ComBat, "fit", spy)
    X, y, _ = data.model_frame(study)
    X_tr, y_tr, X_tu, _ = split.train_tune_arrays(study)
    X_te, _ = split.sealed_test_rows(study, finalising=True)
    assert len(seen) == 1  # fitted once, then loaded from the study folder
    fitted_on, covariates = seen[0]
    np.testing.assert_array_equal(fitted_on, X[study.split.train_idx])
    np.testing.assert_array_equal(covariates[:, 0], y[study.split.train_idx])
    assert study.path(combat.COMBAT_FILE).is_file() and study.batch.combat_train_hash
    assert X_te.shape == (len(study.split.test_idx), X.shape[1]) and X_te.dtype == X.dtype
    assert not np.allclose(X_te, X[study.split.test_idx])  # corrected


def test_training_rows_are_corrected_as_sva_does_with_their_labels(tmp_path):
    study = combat_study(tmp_path)
    X, y, rows = data.model_frame(study)
    tr = np.asarray(study.split.train_idx)
    X_tr, *_ = split.train_tune_arrays(study)
    b = rows[study.data.batch].astype(str).to_numpy()[tr]
    expected = ComBat().fit_transform(X[tr].astype(np.float64), b, covariates=y[tr])
    np.testing.assert_allclose(X_tr, expected.astype(X.dtype), rtol=1e-5, atol=1e-5)


def test_tune_and_test_labels_never_change_the_correction(tmp_path):
    study = combat_study(tmp_path)
    X_te, _ = split.sealed_test_rows(study, finalising=True)
    _, _, X_tu, _ = split.train_tune_arrays(study)
    # Flip every tune and test label in the table and refit from scratch.
    held = np.r_[study.split.tune_idx, study.split.test_idx]
    label = study.data.label
    flipped = study.table[label].to_numpy().copy()
    flipped[held] = np.where(flipped[held] == "treated", "control", "treated")
    study.table[label] = flipped
    study.path(combat.COMBAT_FILE).unlink()
    X_te2, _ = split.sealed_test_rows(study, finalising=True)
    _, _, X_tu2, _ = split.train_tune_arrays(study)
    np.testing.assert_array_equal(X_te, X_te2)
    np.testing.assert_array_equal(X_tu, X_tu2)


def test_a_new_split_refits_and_models_see_corrected_features(tmp_path):
    study = combat_study(tmp_path)
    split.train_tune_arrays(study)
    first = study.batch.combat_train_hash
    study.split.seed = 3
    split.split_study(study)
    X_tr, *_ = split.train_tune_arrays(study)
    assert study.batch.combat_train_hash != first
    batches = study.table[study.data.batch].astype(str).to_numpy()[study.split.train_idx]
    X, _, _ = data.model_frame(study)
    before = plain_batch_silhouette(X[study.split.train_idx], batches)
    assert plain_batch_silhouette(X_tr, batches) < before / 3


def test_remedy_effect_measures_before_and_after_on_the_training_split(tmp_path):
    study = combat_study(tmp_path)
    out = batch_remedy.remedy_effect(study, n_permutations=3)
    assert out["on"] == "training split" and out["n"] == len(study.split.train_idx)
    assert out["after"]["pcr_batch"] < out["before"]["pcr_batch"] / 3
    assert study.batch.after == out
    assert "→" in batch_remedy.remedy_text(study)


def test_combat_without_a_batch_column_is_refused(tmp_path):
    study = Study()
    with pytest.raises(TenfoldError, match="batch column"):
        remedy_actions.choose_remedy(study, "combat")
