"""ComBat batch correction (Johnson, Li and Rabinovic 2007), fitted on the training split only.

:class:`ComBat` is a scikit-learn-style estimator: ``fit(X, batches, covariates=None)``
learns, per feature, the grand mean α, the pooled scale σ and, per batch, the empirical-Bayes
location γ* and scale δ*² (parametric priors: normal for γ, inverse gamma for δ²);
``transform(X, batches, covariates=None)`` follows sva::ComBat: the covariates' effect Cβ
(estimated jointly with the batch means by least squares) is taken out before standardising,
each batch's γ* and δ* are removed, and Cβ is added back:

    x* = σ / δ*_b · ((x − α − Cβ) / σ − γ*_b) + α + Cβ

so the biology keeps its size in every batch rather than being rescaled by 1/δ*_b.

Covariates are the training labels; tune, test and new rows are corrected without their
labels. For such a row Cβ is replaced by its expectation in the row's batch (the mean of Cβ
over that batch's training rows; zero for a batch unseen in training), so within a batch the
label effect of these rows is scaled by 1/δ*_b around the batch's training class mix, the
only label-free form of the same map. Without covariates both forms are the same.
A batch that was not in the training split gets its γ* and δ*² from its own samples'
features, with the same per-batch priors (ComBat's priors are estimated per batch across
features), never from its labels.

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

import numpy as np

from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.model import Study

COMBAT_FILE = "artifacts/combat.npz"
FORMAT = "combat-2: covariate effect kept"
CONVERGENCE = 1e-4
MAX_ITER = 1000


def _one_hot(codes: np.ndarray, k: int) -> np.ndarray:
    out = np.zeros((len(codes), k))
    out[np.arange(len(codes)), codes] = 1.0
    return out


def eb_hyperpriors(gamma_hat: np.ndarray, delta2_hat: np.ndarray, ddof: int = 1) -> dict:
    """Per-batch priors across features: γ ~ N(γ̄, τ̄²), δ² ~ InvGamma(λ̄, θ̄) by moments."""
    gamma_bar = gamma_hat.mean(axis=-1)
    tau2 = gamma_hat.var(axis=-1, ddof=ddof)
    v = delta2_hat.mean(axis=-1)
    s2 = delta2_hat.var(axis=-1, ddof=ddof)
    with np.errstate(divide="ignore", invalid="ignore"):
        lam = (v**2 + 2 * s2) / s2
        theta = (v**3 + v * s2) / s2
    return {"gamma_bar": gamma_bar, "tau2": tau2, "lambda": lam, "theta": theta}


def eb_posterior(
    Z: np.ndarray, gamma_hat, delta2_hat, prior: dict, *, conv: float = CONVERGENCE, max_iter: int = MAX_ITER
) -> tuple[np.ndarray, np.ndarray]:
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
        # sva's stopping rule, divisor signed as there, so the result agrees with sva::ComBat
        # and its ports to rounding (a negative γ's change is watched through its δ²'s).
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios = np.r_[np.abs(new_gamma - gamma) / gamma, np.abs(new_delta2 - delta2) / delta2]
        ratios = ratios[np.isfinite(ratios)]
        change = ratios.max() if ratios.size else 0.0
        gamma, delta2 = new_gamma, new_delta2
        if change < conv:
            break
    return gamma, np.maximum(delta2, 1e-12)


class ComBat:
    """Empirical-Bayes batch correction with a fit / transform split (see the module text).

    Parameters: ``empirical_bayes`` (False: use each batch's own mean and variance, no
    shrinkage), ``conv`` (relative change that ends the posterior iteration), ``ddof`` (the
    variances' divisor n − ddof: 1 as in the paper and sva::ComBat; 0 as pyComBat and
    inmoose's ``pycombat_norm``, whose numpy variances differ there, pyComBat issue #31).
    Learned: ``batches_``, ``alpha_``, ``sigma_``, ``gamma_`` and ``delta2_`` (batches ×
    features), ``beta_`` (covariate effects, covariates × features), ``covariate_mean_``,
    ``batch_biology_`` (the mean covariate effect of each batch's training rows), ``priors_``.
    """

    def __init__(self, empirical_bayes: bool = True, conv: float = CONVERGENCE, ddof: int = 1):
        self.empirical_bayes = empirical_bayes
        self.conv = conv
        self.ddof = ddof

    def get_params(self, deep: bool = True) -> dict:
        return {"empirical_bayes": self.empirical_bayes, "conv": self.conv, "ddof": self.ddof}

    def fit(self, X, batches, covariates=None) -> ComBat:
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
            raise ValueError(
                f"ComBat needs at least two training samples in every batch; "
                f"{self.batches_[sizes.argmin()]!r} has {sizes.min()}"
            )
        design = _one_hot(codes, k)
        C = np.zeros((n, 0))
        if covariates is not None:
            C = np.asarray(covariates, dtype=np.float64).reshape(n, -1)
        self.covariate_mean_ = C.mean(axis=0)
        # Batch and covariates are fitted jointly (sva's B̂); centring the covariates makes
        # the batch-size-weighted batch coefficients the grand mean α at the average covariate.
        design = np.hstack([design, C - self.covariate_mean_])
        coef, *_ = np.linalg.lstsq(design, X, rcond=None)
        self.alpha_ = (sizes / n) @ coef[:k]
        self.beta_ = coef[k:]
        resid = X - design @ coef
        sigma = np.sqrt(np.mean(resid**2, axis=0))
        constant = sigma <= 1e-10 * (1.0 + np.abs(self.alpha_))  # rounding noise of a constant
        self.sigma_ = np.where(constant, 1.0, sigma)
        biology = design[:, k:] @ self.beta_
        self.batch_biology_ = np.stack([biology[codes == b].mean(axis=0) for b in range(k)])
        Z = (X - self.alpha_ - biology) / self.sigma_
        gamma_hat = np.stack([Z[codes == b].mean(axis=0) for b in range(k)])
        delta2_hat = np.stack([Z[codes == b].var(axis=0, ddof=self.ddof) for b in range(k)])
        self.gamma_hat_, self.delta2_hat_ = gamma_hat, delta2_hat
        self.priors_ = eb_hyperpriors(gamma_hat, delta2_hat, self.ddof)
        self.gamma_, self.delta2_ = gamma_hat.copy(), np.maximum(delta2_hat, 1e-12)
        if self.empirical_bayes and X.shape[1] > 1:
            for b in range(k):
                prior = {key: value[b] for key, value in self.priors_.items()}
                self.gamma_[b], self.delta2_[b] = eb_posterior(
                    Z[codes == b], gamma_hat[b], delta2_hat[b], prior, conv=self.conv
                )
        self.unchanged_ = constant  # constant features pass through
        return self

    def _unseen(self, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """γ*, δ*² of a batch the training rows did not hold, from its own features only."""
        if len(Z) < 2:
            return np.zeros(Z.shape[1]), np.ones(Z.shape[1])
        g, d = np.nanmean(Z, axis=0), np.maximum(np.nanvar(Z, axis=0, ddof=self.ddof), 1e-12)
        if not self.empirical_bayes or Z.shape[1] < 2:
            return g, d
        prior = {key: value[()] for key, value in eb_hyperpriors(g, d, self.ddof).items()}
        return eb_posterior(Z, g, d, prior, conv=self.conv)

    def biology(self, batches, covariates=None) -> np.ndarray:
        """The covariate effect Cβ kept through the correction, one row per sample.

        From the rows' own covariates when given; otherwise the mean effect of the training
        rows of the row's batch (zero for a batch unseen in training).
        """
        batches = np.asarray(batches).astype(str)
        if covariates is not None:
            C = np.asarray(covariates, dtype=np.float64).reshape(len(batches), -1)
            if C.shape[1] != len(self.covariate_mean_):
                raise ValueError(
                    f"ComBat was fitted with {len(self.covariate_mean_)} covariate columns; {C.shape[1]} were given"
                )
            return (C - self.covariate_mean_) @ self.beta_
        out = np.zeros((len(batches), len(self.alpha_)))
        for i, b in enumerate(self.batches_):
            out[batches == b] = self.batch_biology_[i]
        return out

    def transform(self, X, batches, covariates=None) -> np.ndarray:
        """Corrected copy of ``X``; missing values stay missing.

        ``covariates`` (the rows' labels, as given to ``fit``) are for the training rows;
        rows without them keep their batch's expected covariate effect (module text).
        """
        X = np.asarray(X, dtype=np.float64)
        batches = np.asarray(batches).astype(str)
        kept = self.biology(batches, covariates)
        Z = (X - self.alpha_ - kept) / self.sigma_
        out = np.empty_like(X)
        lookup = {b: i for i, b in enumerate(self.batches_)}
        for b in np.unique(batches):
            rows = batches == b
            if b in lookup:
                gamma, delta2 = self.gamma_[lookup[b]], self.delta2_[lookup[b]]
            else:
                gamma, delta2 = self._unseen(Z[rows])
            out[rows] = self.sigma_ / np.sqrt(delta2) * (Z[rows] - gamma) + self.alpha_ + kept[rows]
        out[:, self.unchanged_] = X[:, self.unchanged_]
        return out

    def fit_transform(self, X, batches, covariates=None) -> np.ndarray:
        return self.fit(X, batches, covariates).transform(X, batches, covariates)

    # ----- storage: plain arrays, no pickle -----
    _ARRAYS = (
        "batches_",
        "alpha_",
        "sigma_",
        "gamma_",
        "delta2_",
        "unchanged_",
        "beta_",
        "covariate_mean_",
        "batch_biology_",
    )

    def save(self, path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(
            tmp,
            empirical_bayes=self.empirical_bayes,
            conv=self.conv,
            ddof=self.ddof,
            **{name: getattr(self, name) for name in self._ARRAYS},
        )
        tmp.replace(path)

    @classmethod
    def load(cls, path) -> ComBat:
        with np.load(path, allow_pickle=False) as f:
            model = cls(empirical_bayes=bool(f["empirical_bayes"]), conv=float(f["conv"]), ddof=int(f["ddof"]))
            for name in cls._ARRAYS:
                setattr(model, name, f[name])
        return model


# ----- the study's correction --------------------------------------------------------------------


def fit_key(study: Study) -> str:
    """What the fitted correction depends on: training rows, batch column, features, data file."""
    s, d = study.split, study.data
    # FORMAT names what the stored file holds, so a correction saved before the covariate
    # effect was kept is fitted again.
    blob = json.dumps([sorted(map(int, s.train_idx)), d.batch, d.feature_columns, d.label, d.provenance.sha256, FORMAT])
    return hashlib.sha256(blob.encode()).hexdigest()


def _covariates(study: Study, y_train: np.ndarray, width: int | None = None) -> np.ndarray:
    """The label as ComBat's covariates: one column per class after the first (or the value).

    ``width`` pins the number of columns to the fitted model's.
    """
    if study.is_classification:
        k = max(len(study.data.classes), int(y_train.max()) + 1)
        if width is not None:
            k = max(k, width + 1)
        out = _one_hot(y_train.astype(int), k)[:, 1:]
        return out if width is None else out[:, :width]
    return y_train.reshape(-1, 1).astype(np.float64)


def study_correction(study: Study, X_train: np.ndarray, y_train: np.ndarray, batches_train: np.ndarray) -> ComBat:
    """The study's ComBat fitted on the training rows (loaded from the folder when current).

    It is handed the training rows and their labels only, so tune and test labels cannot
    reach it.
    """
    key = fit_key(study)
    b = study.batch
    path = study.path(COMBAT_FILE) if study.folder is not None else None
    if path is not None and b.combat_train_hash == key and path.is_file():
        return ComBat.load(path)
    try:
        model = ComBat().fit(X_train, batches_train, covariates=_covariates(study, y_train))
    except ValueError as exc:
        raise TenfoldError(
            f"ComBat cannot be fitted on the training split: {exc}. Choose another "
            "remedy on the Batch-effects page, or merge very small batches."
        ) from None
    if path is not None:
        model.save(path)
        b.combat_file, b.combat_train_hash = COMBAT_FILE, key
    return model


def study_batches(study: Study, rows) -> np.ndarray:
    if not study.data.batch or study.data.batch not in rows.columns:
        raise TenfoldError(
            "ComBat needs a batch column: choose one on the Data page, or choose "
            "another remedy on the Batch-effects page."
        )
    return rows[study.data.batch].astype(str).to_numpy()


def correct_rows(study: Study, X: np.ndarray, y: np.ndarray, rows, idx) -> np.ndarray:
    """Rows ``idx`` of ``X`` after the study's ComBat; only training labels ever reach it.

    Training rows are corrected as sva::ComBat does, with their labels' effect added back;
    tune and test rows without their labels (see :meth:`ComBat.transform`).
    """
    batches = study_batches(study, rows)
    train = np.asarray(study.split.train_idx, dtype=int)
    model = study_correction(study, X[train], y[train], batches[train])
    idx = np.asarray(idx, dtype=int)
    out = np.empty((len(idx), X.shape[1]), dtype=X.dtype)
    is_train = np.isin(idx, train)
    if (~is_train).any():
        held = idx[~is_train]
        out[~is_train] = model.transform(X[held], batches[held])
    if is_train.any():
        own = idx[is_train]
        cov = _covariates(study, y[own], width=model.beta_.shape[0])
        out[is_train] = model.transform(X[own], batches[own], cov)
    return out


def correction_active(study: Study) -> bool:
    return study.batch.remedy == "combat"


def correction_summary(model: ComBat | None) -> dict:
    if model is None:
        return {}
    return {
        "batches": model.batches_.tolist(),
        "features": int(len(model.alpha_)),
        "empirical_bayes": bool(model.empirical_bayes),
    }
