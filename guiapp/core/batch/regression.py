"""How much of the principal components batch explains and predicts (Tips 4 and 7).

- :func:`pc_regression`: the share of the PCs' variance that batch explains;
- :func:`batch_predictability`: a cross-validated linear classifier predicting batch from the
  PCs within each label, against chance, with a permutation p-value.

:mod:`guiapp.core.batch.metrics` wraps them with ranges and traffic lights.
"""

from __future__ import annotations

import numpy as np

from guiapp.core.batch.neighbourhoods import category_codes
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext

PREDICT_FOLDS = 5
PREDICT_PERMUTATIONS = 19  # the smallest p-value is 1 / (1 + 19) = 0.05


def pc_regression(pcs: np.ndarray, variance, batches) -> float:
    """Share of the PCs' variance explained by batch: Σ var_k · R²_k / Σ var_k.

    R²_k of PC k on the batch indicators is its between-batch share of variance.
    """
    codes = category_codes(batches)
    pcs = np.asarray(pcs, dtype=np.float64)
    variance = np.asarray(variance, dtype=np.float64)[: pcs.shape[1]]
    counts = np.bincount(codes).astype(np.float64)
    sums = np.zeros((len(counts), pcs.shape[1]))
    np.add.at(sums, codes, pcs)
    means = sums / counts[:, None]
    centred = pcs - pcs.mean(axis=0)
    total = np.einsum("ij,ij->j", centred, centred)
    between = (counts[:, None] * (means - pcs.mean(axis=0)) ** 2).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(total > 0, between / total, 0.0)
    return float(np.sum(variance * r2) / np.sum(variance))


def batch_predictability(
    pcs: np.ndarray,
    batches,
    labels=None,
    *,
    folds: int = PREDICT_FOLDS,
    n_permutations: int = PREDICT_PERMUTATIONS,
    seed: int = 0,
    ctx: TaskContext = NO_CONTEXT,
) -> dict:
    """How well a linear classifier predicts batch from the PCs, within each label, vs chance.

    Returns balanced ``accuracy``, ``chance`` (1 / number of batches, weighted over label
    strata), ``score`` = (accuracy − chance) / (1 − chance), and the permutation ``p_value``
    (batches shuffled within each stratum). ``score`` is None when no stratum has two batches.
    """
    # sklearn: imported lazily so the window opens fast
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    bcodes = category_codes(batches)
    strata_codes = np.zeros(len(bcodes), dtype=int) if labels is None else category_codes(labels)
    rng = np.random.default_rng(seed)
    strata = []
    for s in np.unique(strata_codes):
        rows = np.flatnonzero(strata_codes == s)
        present, counts = np.unique(bcodes[rows], return_counts=True)
        rows = rows[np.isin(bcodes[rows], present[counts >= 2])]  # a batch needs two samples
        if len(np.unique(bcodes[rows])) >= 2:
            strata.append(rows)
    if not strata:
        return {
            "score": None,
            "accuracy": None,
            "chance": None,
            "p_value": None,
            "classifier": "linear discriminant analysis",
            "folds": folds,
        }

    def score(b):
        acc, chance, weight = 0.0, 0.0, 0
        for rows in strata:
            ctx.check()
            y = b[rows]
            k = min(folds, int(np.bincount(y)[np.unique(y)].min()))
            cv = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
            pred = cross_val_predict(LinearDiscriminantAnalysis(), pcs[rows], y, cv=cv)
            acc += len(rows) * balanced_accuracy_score(y, pred)
            chance += len(rows) / len(np.unique(y))
            weight += len(rows)
        return acc / weight, chance / weight

    accuracy, chance = score(bcodes)
    null = []
    for _ in range(n_permutations):
        shuffled = bcodes.copy()
        for rows in strata:
            shuffled[rows] = bcodes[rng.permutation(rows)]
        null.append(score(shuffled)[0])
    p = (1 + sum(v >= accuracy for v in null)) / (1 + n_permutations) if n_permutations else None
    return {
        "score": float((accuracy - chance) / (1 - chance)),
        "accuracy": float(accuracy),
        "chance": float(chance),
        "p_value": p,
        "classifier": "linear discriminant analysis",
        "folds": folds,
        "permutations": n_permutations,
    }
