"""Metrics that survive class imbalance, each with a bootstrap 95% interval (Tips 7 and 9)."""

from __future__ import annotations

import numpy as np

CLASSIFICATION_METRICS = ("roc_auc", "pr_auc", "balanced_accuracy")
REGRESSION_METRICS = ("r2", "rmse", "mae")
HIGHER_IS_BETTER = {"roc_auc": True, "pr_auc": True, "balanced_accuracy": True,
                    "r2": True, "rmse": False, "mae": False}
DISPLAY_NAMES = {"roc_auc": "ROC AUC", "pr_auc": "PR AUC", "balanced_accuracy": "Balanced accuracy",
                 "r2": "R²", "rmse": "RMSE", "mae": "MAE"}


def metric_names(task: str) -> tuple:
    return CLASSIFICATION_METRICS if task == "classification" else REGRESSION_METRICS


def score(metric: str, y_true: np.ndarray, output: np.ndarray) -> float:
    """One metric. ``output`` is class probabilities (n × k) or regression predictions."""
    from sklearn import metrics as m

    if metric == "balanced_accuracy":
        return float(m.balanced_accuracy_score(y_true, np.argmax(output, axis=1)))
    if metric in ("roc_auc", "pr_auc"):
        k = output.shape[1]
        present = np.unique(y_true)
        if len(present) < 2:
            return float("nan")
        if k == 2:
            s = output[:, 1]
            return float(m.roc_auc_score(y_true, s) if metric == "roc_auc"
                         else m.average_precision_score(y_true, s))
        onehot = np.eye(k)[y_true][:, present]
        probs = output[:, present]
        if metric == "roc_auc":
            return float(m.roc_auc_score(onehot, probs, average="macro"))
        return float(m.average_precision_score(onehot, probs, average="macro"))
    if metric == "r2":
        return float(m.r2_score(y_true, output))
    if metric == "rmse":
        return float(np.sqrt(m.mean_squared_error(y_true, output)))
    if metric == "mae":
        return float(m.mean_absolute_error(y_true, output))
    raise KeyError(metric)


def fast_score(metric: str, y_true: np.ndarray, output: np.ndarray) -> float:
    """The same value as :func:`score`, without sklearn's argument checks.

    The bootstrap calls a metric hundreds of times on small arrays, where those checks cost
    more than the arithmetic. Multiclass AUCs fall back to :func:`score`.
    """
    if metric == "balanced_accuracy":
        pred = np.argmax(output, axis=1)
        present = np.unique(y_true)
        return float(np.mean([np.mean(pred[y_true == c] == c) for c in present]))
    if metric in ("roc_auc", "pr_auc") and output.ndim == 2 and output.shape[1] == 2:
        positive = y_true == 1
        n_pos = int(positive.sum())
        n_neg = len(y_true) - n_pos
        if n_pos == 0 or n_neg == 0:
            return float("nan")
        s = output[:, 1]
        if metric == "roc_auc":
            from scipy.stats import rankdata

            ranks = rankdata(s)
            return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
        order = np.argsort(-s, kind="mergesort")
        s_sorted, pos_sorted = s[order], positive[order]
        # One threshold per distinct score: the last index of each run of equal scores.
        ends = np.r_[np.flatnonzero(np.diff(s_sorted)), len(s_sorted) - 1]
        tps = np.cumsum(pos_sorted)[ends]
        precision = tps / (ends + 1)
        recall = tps / n_pos
        return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))
    if metric == "r2":
        ss_res = np.sum((y_true - output) ** 2)
        ss_tot = np.sum((y_true - y_true.mean()) ** 2)
        return float(1 - ss_res / ss_tot) if ss_tot > 0 else float("nan")
    if metric == "rmse":
        return float(np.sqrt(np.mean((y_true - output) ** 2)))
    if metric == "mae":
        return float(np.mean(np.abs(y_true - output)))
    return score(metric, y_true, output)


def metric_panel(task: str, y_true, output, *, n_boot: int = 200, seed: int = 0) -> dict:
    """Every metric of the task, with ``<name>_ci`` = bootstrap 95% interval [low, high]."""
    y_true = np.asarray(y_true)
    output = np.asarray(output)
    rng = np.random.default_rng(seed)
    panel: dict = {"n": int(len(y_true))}
    boots = [rng.integers(0, len(y_true), len(y_true)) for _ in range(n_boot)]
    for name in metric_names(task):
        panel[name] = score(name, y_true, output)
        values = []
        for b in boots:
            v = fast_score(name, y_true[b], output[b])
            if np.isfinite(v):
                values.append(v)
        if len(values) >= max(10, n_boot // 4):
            panel[f"{name}_ci"] = [float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))]
    return panel


def format_metric(name: str, panel: dict) -> str:
    value = panel.get(name)
    if value is None:
        return "—"
    text = f"{value:.3f}"
    ci = panel.get(f"{name}_ci")
    if ci:
        text += f" (95% CI {ci[0]:.3f}–{ci[1]:.3f})"
    return text
