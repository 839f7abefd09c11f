"""ComBat batch correction (Johnson, Li and Rabinovic 2007), fitted on the training split only.

:class:`ComBat` is a scikit-learn-style estimator: ``fit(X, batches, covariates=None)``
learns, per feature, the grand mean α, the pooled scale σ and, per batch, the empirical-Bayes
location γ* and scale δ*² (parametric priors: normal for γ, inverse gamma for δ²);
``transform(X, batches)`` standardises with α and σ and removes each batch's γ* and δ*:

    x* = σ / δ*_b · ((x − α) / σ − γ*_b) + α

``transform`` never takes labels. Covariates (the training labels) may be given to ``fit``
so that γ and δ are estimated net of the biology; they are not added back at transform time,
so training, tune and test rows are all corrected the same way. A batch that was not in the
training split gets its γ* and δ*² from its own samples' features, with the same per-batch
priors (ComBat's priors are estimated per batch across features), never from its labels.

We implement it rather than depend on a library: the maintained Python ports either lack a
fit/transform split (pyComBat), pull in plotting and numba stacks (combatlearn), or pin old
numpy and pandas (neuroHarmonize).

:func:`correct_rows` wires it to a study: fitted on the training rows (and their labels),
stored in the study folder, applied to any rows without their labels.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Optional

import numpy as np

COMBAT_FILE = "artifacts/combat.npz"
CONVERGENCE = 1e-4
MAX_ITER = 1000


def _one_hot(codes: np.ndarray, k: int) -> np.ndarray:
    out = np.zeros((len(codes), k))
    out[np.arange(len(codes)), codes] = 1.0
    return out


def eb_hyperpriors(gamma_hat: np.ndarray, delta2_hat: np.ndarray) -> dict:
    """Per-batch priors across features: γ ~ N(γ̄, τ̄²), δ² ~ InvGamma(λ̄, θ̄) by moments."""
    gamma_bar = gamma_hat.mean(axis=-1)
    tau2 = gamma_hat.var(axis=-1, ddof=1)
    v = delta2_hat.mean(axis=-1)
    s2 = delta2_hat.var(axis=-1, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        lam = (v ** 2 + 2 * s2) / s2
        theta = (v ** 3 + v * s2) / s2
    return {"gamma_bar": gamma_bar, "tau2": tau2, "lambda": lam, "theta": theta}


def eb_posterior(Z: np.ndarray, gamma_hat, delta2_hat, prior: dict, *, conv: float = CONVERGENCE,
                 max_iter: int = MAX_ITER) -> tuple[np.ndarray, np.ndarray]:
    """Iterate the posterior means of one batch's γ and δ² (all features at once) to a fixed point.

    γ* = (n τ̄² γ̂ + δ*² γ̄) / (n τ̄² + δ*²);  δ*² = (θ̄ + ½ Σ_j (z_j − γ*)²) / (n/2 + λ̄ − 1)
    """
    n = np.sum(~np.isnan(Z), axis=0)
    g_bar, tau2, lam, theta = prior["gamma_bar"], prior["tau2"], prior["lambda"], prior["theta"]
    if not (np.isfinite(tau2) and tau2 > 0):
        gamma = np.full_like(gamma_hat, g_bar) if np.isfinite(g_bar) else gamma_hat.copy()
    else:
        gamma = gamma_hat.copy()
    use_scale_prior = np.isfinite(lam) and np.isfinite(theta) and lam > 0
    delta2 = delta2_hat.copy()
    for _ in range(max_iter):
        if np.isfinite(tau2) and tau2 > 0:
            new_gamma = (n * tau2 * gamma_hat + delta2 * g_bar) / (n * tau2 + delta2)
        else:
            new_gamma = gamma
        if use_scale_prior:
            ss = np.nansum((Z - new_gamma) ** 2, axis=0)
            new_delta2 = (theta + 0.5 * ss) / (n / 2.0 + lam - 1.0)
        else:
            new_delta2 = delta2
        with np.errstate(divide="ignore", invalid="ignore"):
            change = max(np.nanmax(np.abs(new_gamma - gamma) / np.maximum(np.abs(gamma), 1e-12)),
                         np.nanmax(np.abs(new_delta2 - delta2) / np.maximum(delta2, 1e-12)))
        gamma, delta2 = new_gamma, new_delta2
        if change < conv:
            break
    return gamma, np.maximum(delta2, 1e-12)


class ComBat:
    """Empirical-Bayes batch correction with a fit / transform split (see the module text).

    Parameters: ``empirical_bayes`` (False: use each batch's own mean and variance, no
    shrinkage), ``conv`` (relative change that ends the posterior iteration).
    Learned: ``batches_``, ``alpha_``, ``sigma_``, ``gamma_`` and ``delta2_`` (batches ×
    features), ``beta_`` (covariate effects, not used by ``transform``), ``priors_``.
    """

    def __init__(self, empirical_bayes: bool = True, conv: float = CONVERGENCE):
        self.empirical_bayes = empirical_bayes
        self.conv = conv

    def get_params(self, deep: bool = True) -> dict:
        return {"empirical_bayes": self.empirical_bayes, "conv": self.conv}

    def fit(self, X, batches, covariates=None) -> "ComBat":
        X = np.asarray(X, dtype=np.float64)
        batches = np.asarray(batches).astype(str)
        if np.isnan(X).any():  # the training medians stand in while the parameters are learned
            X = np.where(np.isnan(X), np.nan_to_num(np.nanmedian(X, axis=0)), X)
        self.batches_, codes = np.unique(batches, return_inverse=True)
        codes = codes.ravel()
        k, n = len(self.batches_), len(X)
        sizes = np.bincount(codes, minlength=k)
        if k < 2:
            raise ValueError("ComBat needs at least two batches in the training rows")
        if sizes.min() < 2:
            raise ValueError(f"ComBat needs at least two training samples in every batch; "
                             f"{self.batches_[sizes.argmin()]!r} has {sizes.min()}")
        design = _one_hot(codes, k)
        if covariates is not None:
            C = np.asarray(covariates, dtype=np.float64).reshape(n, -1)
            design = np.hstack([design, C - C.mean(axis=0)])
        coef, *_ = np.linalg.lstsq(design, X, rcond=None)
        self.alpha_ = (sizes / n) @ coef[:k]
        self.beta_ = coef[k:]
        resid = X - design @ coef
        sigma = np.sqrt(np.mean(resid ** 2, axis=0))
        constant = sigma <= 1e-10 * (1.0 + np.abs(self.alpha_))  # rounding noise of a constant
        self.sigma_ = np.where(constant, 1.0, sigma)
        Z = (X - self.alpha_ - design[:, k:] @ self.beta_) / self.sigma_
        gamma_hat = np.stack([Z[codes == b].mean(axis=0) for b in range(k)])
        delta2_hat = np.stack([Z[codes == b].var(axis=0, ddof=1) for b in range(k)])
        self.gamma_hat_, self.delta2_hat_ = gamma_hat, delta2_hat
        self.priors_ = eb_hyperpriors(gamma_hat, delta2_hat)
        self.gamma_, self.delta2_ = gamma_hat.copy(), np.maximum(delta2_hat, 1e-12)
        if self.empirical_bayes and X.shape[1] > 1:
            for b in range(k):
                prior = {key: value[b] for key, value in self.priors_.items()}
                self.gamma_[b], self.delta2_[b] = eb_posterior(Z[codes == b], gamma_hat[b],
                                                               delta2_hat[b], prior, conv=self.conv)
        self.unchanged_ = constant  # constant features pass through
        return self

    def _unseen(self, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """γ*, δ*² of a batch the training rows did not hold, from its own features only."""
        if len(Z) < 2:
            return np.zeros(Z.shape[1]), np.ones(Z.shape[1])
        g, d = np.nanmean(Z, axis=0), np.maximum(np.nanvar(Z, axis=0, ddof=1), 1e-12)
        if not self.empirical_bayes or Z.shape[1] < 2:
            return g, d
        prior = {key: value[()] for key, value in eb_hyperpriors(g, d).items()}
        return eb_posterior(Z, g, d, prior, conv=self.conv)

    def transform(self, X, batches) -> np.ndarray:
        """Corrected copy of ``X``; missing values stay missing. No labels are needed."""
        X = np.asarray(X, dtype=np.float64)
        batches = np.asarray(batches).astype(str)
        Z = (X - self.alpha_) / self.sigma_
        out = np.empty_like(X)
        lookup = {b: i for i, b in enumerate(self.batches_)}
        for b in np.unique(batches):
            rows = batches == b
            if b in lookup:
                gamma, delta2 = self.gamma_[lookup[b]], self.delta2_[lookup[b]]
            else:
                gamma, delta2 = self._unseen(Z[rows])
            out[rows] = self.sigma_ / np.sqrt(delta2) * (Z[rows] - gamma) + self.alpha_
        out[:, self.unchanged_] = X[:, self.unchanged_]
        return out

    def fit_transform(self, X, batches, covariates=None) -> np.ndarray:
        return self.fit(X, batches, covariates).transform(X, batches)

    # ----- storage: plain arrays, no pickle -----
    _ARRAYS = ("batches_", "alpha_", "sigma_", "gamma_", "delta2_", "unchanged_")

    def save(self, path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, empirical_bayes=self.empirical_bayes, conv=self.conv,
                 **{name: getattr(self, name) for name in self._ARRAYS})
        tmp.replace(path)

    @classmethod
    def load(cls, path) -> "ComBat":
        with np.load(path, allow_pickle=False) as f:
            model = cls(empirical_bayes=bool(f["empirical_bayes"]), conv=float(f["conv"]))
            for name in cls._ARRAYS:
                setattr(model, name, f[name])
        return model


# ----- the study's correction --------------------------------------------------------------------


def fit_key(study) -> str:
    """What the fitted correction depends on: training rows, batch column, features, data file."""
    s, d = study.split, study.data
    blob = json.dumps([sorted(map(int, s.train_idx)), d.batch, d.feature_columns, d.label,
                       d.provenance.sha256])
    return hashlib.sha256(blob.encode()).hexdigest()


def _covariates(study, y_train: np.ndarray) -> np.ndarray:
    if study.is_classification:
        k = max(len(study.data.classes), int(y_train.max()) + 1)
        return _one_hot(y_train.astype(int), k)[:, 1:]
    return y_train.reshape(-1, 1).astype(np.float64)


def study_correction(study, X_train: np.ndarray, y_train: np.ndarray,
                     batches_train: np.ndarray) -> ComBat:
    """The study's ComBat fitted on the training rows (loaded from the folder when current).

    It is handed the training rows and their labels only, so tune and test labels cannot
    reach it.
    """
    from guiapp.core.errors import TenfoldError

    key = fit_key(study)
    b = study.batch
    path = study.path(COMBAT_FILE) if study.folder is not None else None
    if path is not None and b.combat_train_hash == key and path.is_file():
        return ComBat.load(path)
    try:
        model = ComBat().fit(X_train, batches_train, covariates=_covariates(study, y_train))
    except ValueError as exc:
        raise TenfoldError(f"ComBat cannot be fitted on the training split: {exc}. Choose another "
                           "remedy on the Batch-effects page, or merge very small batches.") from None
    if path is not None:
        model.save(path)
        b.combat_file, b.combat_train_hash = COMBAT_FILE, key
    return model


def study_batches(study, rows) -> np.ndarray:
    from guiapp.core.errors import TenfoldError

    if not study.data.batch or study.data.batch not in rows.columns:
        raise TenfoldError("ComBat needs a batch column: choose one on the Data page, or choose "
                           "another remedy on the Batch-effects page.")
    return rows[study.data.batch].astype(str).to_numpy()


def correct_rows(study, X: np.ndarray, y: np.ndarray, rows, idx) -> np.ndarray:
    """Rows ``idx`` of ``X`` after the study's ComBat; only training labels ever reach the fit."""
    batches = study_batches(study, rows)
    train = np.asarray(study.split.train_idx, dtype=int)
    model = study_correction(study, X[train], y[train], batches[train])
    idx = np.asarray(idx, dtype=int)
    return model.transform(X[idx], batches[idx]).astype(X.dtype)


def correction_active(study) -> bool:
    return study.batch.remedy == "combat"


def correction_summary(model: Optional[ComBat]) -> dict:
    if model is None:
        return {}
    return {"batches": model.batches_.tolist(), "features": int(len(model.alpha_)),
            "empirical_bayes": bool(model.empirical_bayes)}
