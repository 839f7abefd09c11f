"""Intervals that do not collapse: when every bootstrap resample scores the same (say, all are
perfect), the percentile interval reads "1.000–1.000", which looks like certainty. Then a
proportion (accuracy, sensitivity, specificity) gets its exact Clopper–Pearson interval from the
counts, and a ranking or composite metric that is perfect (ROC AUC, PR AUC, F1, MCC, balanced
accuracy) gets the rule of three: with no error seen among n samples, the error rate is below
3/n with 95% confidence (Hanley & Lippman-Hand, 1983). Each replacement says why, in words.
"""

from __future__ import annotations

import numpy as np

from guiapp.core.stats.metrics import HIGHER_IS_BETTER, predicted_classes

PROPORTIONS = ("accuracy", "sensitivity", "specificity")
RULE_OF_THREE = ("roc_auc", "pr_auc", "f1", "mcc", "balanced_accuracy", "accuracy", "sensitivity", "specificity")


def clopper_pearson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """The exact (Clopper–Pearson) interval of a proportion ``k`` of ``n``."""
    from scipy.stats import beta  # scipy: imported lazily, only when an interval collapses

    alpha = 1 - level
    low = 0.0 if k == 0 else float(beta.ppf(alpha / 2, k, n - k + 1))
    high = 1.0 if k == n else float(beta.ppf(1 - alpha / 2, k + 1, n - k))
    return low, high


def _proportion_counts(name: str, y, output, threshold: float) -> tuple[int, int, str] | None:
    """(successes, trials, what the trials are) of a proportion metric, or None."""
    if np.asarray(output).ndim != 2:
        return None
    y = np.asarray(y)
    pred = predicted_classes(np.asarray(output), threshold)
    if name == "accuracy":
        return int(np.sum(pred == y)), len(y), "samples"
    if np.asarray(output).shape[1] != 2:
        return None
    positive = y == 1
    if name == "sensitivity":
        return int(np.sum(pred[positive] == 1)), int(positive.sum()), "positive samples"
    if name == "specificity":
        return int(np.sum(pred[~positive] == 0)), int((~positive).sum()), "negative samples"
    return None


def replace_collapsed(
    panel: dict, names, y, output, *, n_boot: int, threshold: float = 0.5, level: float = 0.95
) -> dict:
    """Replace each collapsed interval (low == high) of ``panel`` in place; returns ``{name: note}``.

    The notes also go to ``panel["ci_notes"]`` so the card can say why an interval is not a
    bootstrap one.
    """
    notes: dict = {}
    n = len(np.asarray(y))
    for name in names:
        ci = panel.get(f"{name}_ci")
        value = panel.get(name)
        if not ci or value is None or not np.isfinite(value) or abs(ci[1] - ci[0]) > 1e-12:
            continue
        perfect = HIGHER_IS_BETTER.get(name, True) and abs(value - 1.0) < 1e-12
        why = f"all {n_boot} bootstrap resamples {'were perfect' if perfect else f'gave {value:.3f}'}"
        counts = _proportion_counts(name, y, output, threshold) if name in PROPORTIONS else None
        if counts is not None and counts[1] > 0:
            k, trials, what = counts
            low, high = clopper_pearson(k, trials, level)
            panel[f"{name}_ci"] = [low, high]
            notes[name] = (
                f"{why}; the exact Clopper–Pearson interval for {k} of {trials} {what} is {low:.3f}–{high:.3f}"
            )
        elif perfect and name in RULE_OF_THREE and n > 3:
            low = 1.0 - 3.0 / n
            panel[f"{name}_ci"] = [low, 1.0]
            notes[name] = f"{why}; the rule of three bounds the error rate at 3/{n}, so the interval is {low:.3f}–1.000"
    if notes:
        panel["ci_notes"] = {**panel.get("ci_notes", {}), **notes}
    return notes
