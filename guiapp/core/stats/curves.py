"""The pictures behind a metric panel: ROC and PR curves, the confusion matrix, the
reliability diagram, per-class results and regression residuals (Tips 7 and 9).

Everything here is plain lists, so it goes into ``study.json`` and ``metrics.json`` as it
is, and the pages and the report draw from it. Curves are thinned to at most
``MAX_POINTS`` points.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from guiapp.core.stats.metrics import (
    RELIABILITY_BINS,
    confusion,
    fast_scores,
    metrics_from_confusion,
    predicted_classes,
)

MAX_POINTS = 200
MAX_RESIDUALS = 500


def _thin(*arrays: np.ndarray, limit: int = MAX_POINTS) -> list:
    n = len(arrays[0])
    if n <= limit:
        keep = np.arange(n)
    else:
        keep = np.unique(np.r_[np.linspace(0, n - 1, limit).round().astype(int), n - 1])
    return [np.round(np.asarray(a)[keep], 5).tolist() for a in arrays]


def roc_points(positive: np.ndarray, s: np.ndarray) -> dict | None:
    from sklearn.metrics import roc_curve  # sklearn: imported lazily so the window opens fast

    if positive.all() or not positive.any():
        return None
    fpr, tpr, _ = roc_curve(positive, s)
    fpr, tpr = _thin(fpr, tpr)
    return {"fpr": fpr, "tpr": tpr}


def pr_points(positive: np.ndarray, s: np.ndarray) -> dict | None:
    from sklearn.metrics import precision_recall_curve  # sklearn: imported lazily

    if not positive.any():
        return None
    precision, recall, _ = precision_recall_curve(positive, s)
    recall, precision = _thin(recall[::-1], precision[::-1])
    return {"recall": recall, "precision": precision, "prevalence": round(float(positive.mean()), 5)}


def reliability(y_true: np.ndarray, output: np.ndarray, bins: int = RELIABILITY_BINS) -> dict:
    """Mean predicted probability vs observed frequency per equal-width bin (non-empty bins only).

    Binary: the positive class's probability and how often the sample is positive; multiclass:
    the top class's probability and how often it is right.
    """
    if output.shape[1] == 2:
        conf, hit, what = output[:, 1], (y_true == 1).astype(float), "positive class"
    else:
        conf, hit, what = output.max(axis=1), (output.argmax(axis=1) == y_true).astype(float), "top class"
    which = np.minimum((conf * bins).astype(int), bins - 1)
    n = np.bincount(which, minlength=bins)
    keep = n > 0
    mean_p = np.bincount(which, conf, bins)[keep] / n[keep]
    observed = np.bincount(which, hit, bins)[keep] / n[keep]
    return {
        "of": what,
        "predicted": np.round(mean_p, 4).tolist(),
        "observed": np.round(observed, 4).tolist(),
        "count": n[keep].astype(int).tolist(),
    }


def panel_details(task: str, y_true, output, *, threshold: float = 0.5, classes: Sequence | None = None) -> dict:
    """The non-metric part of a panel, for plots and tables."""
    y_true, output = np.asarray(y_true), np.asarray(output)
    if task != "classification":
        residual = y_true - output
        predicted, residual = _thin(output, residual, limit=MAX_RESIDUALS)
        return {"residuals": {"predicted": predicted, "residual": residual}}
    k = output.shape[1]
    names = [str(c) for c in classes] if classes is not None and len(classes) == k else [str(i) for i in range(k)]
    pred = predicted_classes(output, threshold)
    c = confusion(y_true, pred, k)
    details: dict = {
        "threshold": float(threshold) if k == 2 else None,
        "classes": names,
        "confusion": c.tolist(),
        "reliability": reliability(y_true, output),
    }
    shares = np.bincount(y_true, minlength=k) / max(len(y_true), 1)
    details["prevalence"] = np.round(shares, 5).tolist()
    curves = []
    for j in [1] if k == 2 else range(k):
        positive = y_true == j
        roc, pr = roc_points(positive, output[:, j]), pr_points(positive, output[:, j])
        if roc or pr:
            curves.append({"class": names[j], "roc": roc, "pr": pr})
    details["curves"] = curves
    if k > 2:
        details["per_class"] = _per_class(y_true, output, pred, names)
    return details


def _per_class(y_true, output, pred, names) -> list:
    """One-vs-rest results per class: what the macro averages hide."""
    rows = []
    for j, name in enumerate(names):
        positive = (y_true == j).astype(np.int64)
        binary_out = np.c_[1 - output[:, j], output[:, j]]
        c = confusion(positive, (pred == j).astype(np.int64), 2)
        values = metrics_from_confusion(c, ("sensitivity", "specificity", "f1"))
        values.update(fast_scores(("roc_auc", "pr_auc"), positive, binary_out))
        rows.append(
            {
                "class": name,
                "n": int(positive.sum()),
                **{key: (round(float(v), 5) if np.isfinite(v) else None) for key, v in values.items()},
            }
        )
    return rows
