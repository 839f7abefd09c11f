"""How far an external cohort lies from the training data: a domain classifier (training rows vs
cohort rows, cross-validated logistic regression) and the cohort drawn on the study's PCA
embedding.
"""

from __future__ import annotations

import warnings

import numpy as np

from guiapp.core.study.model import Study

MAX_SHIFT_ROWS = 1000  # rows of each side the domain classifier and the embedding use
MAX_EMBEDDING_POINTS = 300
SHIFT_WARN_AUC = 0.8  # a domain classifier this good: the cohort clearly differs from the training data


def shift_check(study: Study, X_train: np.ndarray, X_cohort: np.ndarray) -> dict:
    """How different the cohort is from the training rows.

    A domain classifier (logistic regression on the training split's standardised features,
    5-fold cross-validated) tells training rows from cohort rows: ROC AUC 0.5 means it cannot,
    1.0 means every cohort sample is recognisable. The cohort is also drawn on the first two
    principal components of the training rows (the batch step's embedding, fitted on training only).
    """
    # sklearn: imported lazily so the window opens fast
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    rng = np.random.default_rng(study.split.seed)
    a = X_train if len(X_train) <= MAX_SHIFT_ROWS else X_train[rng.choice(len(X_train), MAX_SHIFT_ROWS, replace=False)]
    b = (
        X_cohort
        if len(X_cohort) <= MAX_SHIFT_ROWS
        else X_cohort[rng.choice(len(X_cohort), MAX_SHIFT_ROWS, replace=False)]
    )
    fill = np.nan_to_num(np.nanmedian(a, axis=0)) if np.isnan(a).any() else np.median(a, axis=0)
    center = np.nanmean(np.where(np.isnan(a), fill, a), axis=0)
    scale = np.nanstd(np.where(np.isnan(a), fill, a), axis=0)
    scale = np.where(scale > 1e-12, scale, 1.0)

    def standard(M):
        return ((np.where(np.isnan(M), fill, M) - center) / scale).astype(np.float64)

    A, B = standard(a), standard(b)
    Z = np.vstack([A, B])
    d = np.r_[np.zeros(len(A)), np.ones(len(B))].astype(int)
    folds = int(min(5, len(A), len(B)))
    auc = None
    if folds >= 2:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clf = LogisticRegression(C=0.1, max_iter=500)
            p = cross_val_predict(
                clf,
                Z,
                d,
                cv=StratifiedKFold(folds, shuffle=True, random_state=study.split.seed),
                method="predict_proba",
            )[:, 1]
        auc = float(roc_auc_score(d, p))
    pca = PCA(n_components=2, random_state=study.split.seed).fit(A) if A.shape[1] >= 2 else None
    embedding = {}
    if pca is not None:
        pa, pb = pca.transform(A), pca.transform(B)
        ka = rng.choice(len(pa), min(len(pa), MAX_EMBEDDING_POINTS), replace=False)
        kb = rng.choice(len(pb), min(len(pb), MAX_EMBEDDING_POINTS), replace=False)
        embedding = {
            "training": np.round(pa[np.sort(ka)], 3).tolist(),
            "cohort": np.round(pb[np.sort(kb)], 3).tolist(),
            "explained_variance": [round(float(v), 4) for v in pca.explained_variance_ratio_],
        }
    if auc is None:
        reading = "Too few samples to train a domain classifier."
    elif auc >= SHIFT_WARN_AUC:
        reading = (
            f"A classifier tells the cohort from the training data with ROC AUC {auc:.2f}: the cohort differs "
            "clearly (another lab, instrument or population). Its score says how the model travels."
        )
    elif auc >= 0.6:
        reading = f"A classifier tells the cohort from the training data with ROC AUC {auc:.2f}: a modest shift."
    else:
        reading = f"A classifier barely tells the cohort from the training data (ROC AUC {auc:.2f}): little shift."
    return {
        "domain_auc": auc,
        "method": f"logistic regression, {folds}-fold cross-validated, training vs cohort",
        "n_training": int(len(A)),
        "n_cohort": int(len(B)),
        "embedding": embedding,
        "reading": reading,
    }
