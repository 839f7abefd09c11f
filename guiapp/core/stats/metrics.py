"""Metrics that survive class imbalance, each with a bootstrap 95% interval (Tips 7 and 9).

Classification scores take class probabilities (n × k); the threshold-dependent metrics
(balanced accuracy, MCC, F1, sensitivity, specificity) read a binary task at the chosen
threshold on the probability of the second class (the positive one), and a multiclass task
at the most probable class, averaged over classes (macro, one-vs-rest). Curves, the
confusion matrix and the reliability diagram come from :mod:`guiapp.core.stats.curves`, the
intervals from :mod:`guiapp.core.stats.bootstrap`, and the whole panel from
:mod:`guiapp.core.stats.panel`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from guiapp.core.stats.interval_text import value_cell

# The metrics' names, directions and display names are the study's vocabulary; re-exported here
# for the code that scores with them.
from guiapp.core.study.vocabulary import (  # noqa: F401
    CLASSIFICATION_METRICS,
    DISPLAY_NAMES,
    EXTRA_METRICS,
    HIGHER_IS_BETTER,
    REGRESSION_METRICS,
    metric_names,
    panel_metric_names,
)

# Metrics that read the predicted class, so depend on the threshold.
THRESHOLD_METRICS = ("balanced_accuracy", "mcc", "f1", "sensitivity", "specificity")
# Bounded to [0, 1] (MCC, Pearson and Spearman to [-1, 1]): a fixed margin means the same everywhere.
BOUNDED = {
    "roc_auc",
    "pr_auc",
    "balanced_accuracy",
    "mcc",
    "f1",
    "sensitivity",
    "specificity",
    "brier",
    "ece",
    "pearson",
    "spearman",
}
RELIABILITY_BINS = 10


def predicted_classes(output: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """The predicted class: binary at ``threshold`` on the positive class, else the most probable."""
    output = np.asarray(output)
    if output.ndim == 2 and output.shape[1] == 2:
        # ">" keeps ties with the most-probable-class rule at 0.5.
        return (output[:, 1] > threshold).astype(np.int64)
    return np.argmax(output, axis=1)


def confusion(y_true: np.ndarray, pred: np.ndarray, k: int) -> np.ndarray:
    """k × k counts: rows are the true class, columns the predicted one."""
    return np.bincount(np.asarray(y_true, dtype=np.int64) * k + pred, minlength=k * k).reshape(k, k)


def metrics_from_confusion(c: np.ndarray, names: Sequence[str]) -> dict:
    """Threshold metrics from a confusion matrix (binary: class 1 is positive; else macro)."""
    out: dict = {}
    k = c.shape[0]
    support, predicted = c.sum(axis=1), c.sum(axis=0)
    total = c.sum()
    tp = np.diag(c).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = tp / support
        tn = total - support - predicted + tp
        spec = tn / (tn + predicted - tp)
        f1 = 2 * tp / (support + predicted)
    present = support > 0
    if "balanced_accuracy" in names:
        out["balanced_accuracy"] = float(np.mean(recall[present])) if present.any() else float("nan")
    if k == 2:
        values = {
            "sensitivity": recall[1],
            "specificity": spec[1] if (tn[1] + c[0, 1]) else np.nan,
            "f1": f1[1] if (support[1] + predicted[1]) else 0.0,
        }
    else:
        seen = present | (predicted > 0)
        values = {
            "sensitivity": np.mean(recall[present]) if present.any() else np.nan,
            "specificity": np.mean(spec[present & np.isfinite(spec)])
            if (present & np.isfinite(spec)).any()
            else np.nan,
            "f1": np.mean(np.nan_to_num(f1[seen])) if seen.any() else np.nan,
        }
    for name in ("sensitivity", "specificity", "f1"):
        if name in names:
            out[name] = float(values[name])
    if "mcc" in names:
        # The multiclass MCC of Gorodkin (2004), as scikit-learn computes it; 0 when undefined.
        cov_ytyp = np.trace(c) * total - np.dot(predicted, support)
        cov_ypyp = total**2 - np.dot(predicted, predicted)
        cov_ytyt = total**2 - np.dot(support, support)
        denom = np.sqrt(float(cov_ytyt) * float(cov_ypyp))
        out["mcc"] = float(cov_ytyp / denom) if denom > 0 else 0.0
    return out


def brier(y_true: np.ndarray, output: np.ndarray) -> float:
    """scikit-learn's Brier score: binary on the positive class, multiclass summed over classes."""
    k = output.shape[1]
    if k == 2:
        return float(np.mean((output[:, 1] - (y_true == 1)) ** 2))
    return float(np.mean(np.sum((output - np.eye(k)[y_true]) ** 2, axis=1)))


def expected_calibration_error(y_true: np.ndarray, output: np.ndarray, bins: int = RELIABILITY_BINS) -> float:
    """Σ over equal-width bins of (share of samples) × |mean predicted − observed|.

    Binary: the predicted probability of the positive class; multiclass: the top class's.
    """
    if output.shape[1] == 2:
        conf, hit = output[:, 1], (y_true == 1).astype(float)
    else:
        conf, hit = output.max(axis=1), (output.argmax(axis=1) == y_true).astype(float)
    which = np.minimum((conf * bins).astype(int), bins - 1)
    n = np.bincount(which, minlength=bins)
    gap = np.abs(np.bincount(which, conf, bins) - np.bincount(which, hit, bins))
    return float(gap.sum() / max(len(conf), 1)) if n.sum() else float("nan")


def average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1…n, ties sharing their average rank (scipy's rankdata, with less overhead)."""
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    return (ends - (counts - 1) / 2.0)[inverse.ravel()]


def _binary_auc(y_true, s, metric: str) -> float:
    positive = y_true == 1
    n_pos = int(positive.sum())
    n_neg = len(y_true) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    if metric == "roc_auc":
        ranks = average_ranks(s)
        return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
    order = np.argsort(-s, kind="mergesort")
    s_sorted, pos_sorted = s[order], positive[order]
    # One threshold per distinct score: the last index of each run of equal scores.
    ends = np.r_[np.flatnonzero(np.diff(s_sorted)), len(s_sorted) - 1]
    tps = np.cumsum(pos_sorted)[ends]
    precision = tps / (ends + 1)
    recall = tps / n_pos
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    denom = np.sqrt(np.sum(a * a) * np.sum(b * b))
    return float(np.sum(a * b) / denom) if denom > 0 else float("nan")


def score(metric: str, y_true: np.ndarray, output: np.ndarray, threshold: float = 0.5) -> float:
    """One metric, through scikit-learn and scipy (the reference the fast path is tested against)."""
    from sklearn import metrics as m  # sklearn and scipy: imported lazily so the window opens fast

    y_true, output = np.asarray(y_true), np.asarray(output)
    if metric in THRESHOLD_METRICS:
        pred = predicted_classes(output, threshold)
        if metric == "balanced_accuracy":
            return float(m.balanced_accuracy_score(y_true, pred))
        if metric == "mcc":
            return float(m.matthews_corrcoef(y_true, pred))
        binary = output.shape[1] == 2
        if metric == "f1":
            return float(m.f1_score(y_true, pred, average="binary" if binary else "macro", zero_division=0))
        present = np.unique(y_true)
        if metric == "sensitivity":
            if binary:
                return float(m.recall_score(y_true, pred, pos_label=1, zero_division=np.nan))
            return float(m.recall_score(y_true, pred, labels=present, average="macro", zero_division=np.nan))
        # specificity: true negatives / all negatives, of the positive class or each present class
        per_class = m.multilabel_confusion_matrix(y_true, pred, labels=np.arange(output.shape[1]))
        with np.errstate(invalid="ignore", divide="ignore"):
            spec = per_class[:, 0, 0] / (per_class[:, 0, 0] + per_class[:, 0, 1])
        return float(spec[1]) if binary else float(np.nanmean(spec[present]))
    if metric in ("roc_auc", "pr_auc"):
        k = output.shape[1]
        present = np.unique(y_true)
        if len(present) < 2:
            return float("nan")
        if k == 2:
            s = output[:, 1]
            return float(m.roc_auc_score(y_true, s) if metric == "roc_auc" else m.average_precision_score(y_true, s))
        onehot = np.eye(k)[y_true][:, present]
        probs = output[:, present]
        if metric == "roc_auc":
            return float(m.roc_auc_score(onehot, probs, average="macro"))
        return float(m.average_precision_score(onehot, probs, average="macro"))
    if metric == "brier":
        k = output.shape[1]
        if k == 2:
            return float(m.brier_score_loss(y_true, output[:, 1], pos_label=1))
        return brier(y_true, output)
    if metric == "ece":
        return expected_calibration_error(y_true, output)
    if metric == "r2":
        return float(m.r2_score(y_true, output))
    if metric == "rmse":
        return float(np.sqrt(m.mean_squared_error(y_true, output)))
    if metric == "mae":
        return float(m.mean_absolute_error(y_true, output))
    if metric in ("pearson", "spearman"):
        from scipy import stats  # scipy: imported lazily, only when this runs

        if np.ptp(output) == 0 or np.ptp(y_true) == 0:
            return float("nan")
        fn = stats.pearsonr if metric == "pearson" else stats.spearmanr
        return float(fn(y_true, output)[0])
    raise KeyError(metric)


def fast_score(metric: str, y_true: np.ndarray, output: np.ndarray, threshold: float = 0.5) -> float:
    """The same value as :func:`score`, without sklearn's argument checks.

    The bootstrap calls a metric hundreds of times on small arrays, where those checks cost
    more than the arithmetic. Multiclass AUCs fall back to :func:`score`.
    """
    return fast_scores((metric,), y_true, output, threshold)[metric]


def fast_scores(names: Sequence[str], y_true: np.ndarray, output: np.ndarray, threshold: float = 0.5) -> dict:
    """Several metrics at once; the confusion matrix is counted once for all of them."""
    out: dict = {}
    wanted = set(names)
    if wanted & set(THRESHOLD_METRICS):
        k = output.shape[1]
        out.update(metrics_from_confusion(confusion(y_true, predicted_classes(output, threshold), k), names))
    for name in names:
        if name in out:
            continue
        if name in ("roc_auc", "pr_auc") and output.ndim == 2 and output.shape[1] == 2:
            out[name] = _binary_auc(y_true, output[:, 1], name)
        elif name == "brier":
            out[name] = brier(y_true, output)
        elif name == "ece":
            out[name] = expected_calibration_error(y_true, output)
        elif name == "r2":
            ss_res = np.sum((y_true - output) ** 2)
            ss_tot = np.sum((y_true - y_true.mean()) ** 2)
            out[name] = float(1 - ss_res / ss_tot) if ss_tot > 0 else float("nan")
        elif name == "rmse":
            out[name] = float(np.sqrt(np.mean((y_true - output) ** 2)))
        elif name == "mae":
            out[name] = float(np.mean(np.abs(y_true - output)))
        elif name == "pearson":
            out[name] = _correlation(np.asarray(y_true, float), np.asarray(output, float))
        elif name == "spearman":
            out[name] = _correlation(average_ranks(y_true), average_ranks(output))
        else:
            out[name] = score(name, y_true, output, threshold)
    return out


def is_better(metric: str, a: float, b: float) -> bool:
    """Whether score ``a`` is better than ``b`` for ``metric``."""
    return a > b if HIGHER_IS_BETTER.get(metric, True) else a < b


def format_metric(name: str, panel: dict) -> str:
    """A table cell: "0.731 (95% CI 0.650–0.802)", or "0.500 (constant)" where the interval is flat."""
    return value_cell(panel.get(name), panel.get(f"{name}_ci"))
