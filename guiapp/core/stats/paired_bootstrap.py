"""How much better one model scores than another on the same samples, with its uncertainty: a
paired bootstrap, each resample scoring both models on the same draw (the verdict's comparison
of the network with the best tuned baseline, Tip 1).
"""

from __future__ import annotations

import numpy as np

from guiapp.core.stats.metrics import HIGHER_IS_BETTER, fast_score
from guiapp.core.study.errors import TenfoldError


def paired_bootstrap(
    metric: str,
    y_true,
    output_a,
    output_b,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    threshold: float = 0.5,
    level: float = 0.95,
) -> dict:
    """How much better model A scores than model B on the same samples, with its uncertainty.

    Each resample draws the samples once and scores both models on it, so the difference keeps
    the pairing. ``difference`` is A's advantage: positive when A is better, for metrics where
    lower is better too. ``ci`` is the percentile interval; ``p_value`` the two-sided bootstrap
    p-value of no difference (2 × the smaller share of resamples on either side of 0), so that
    p < 1 − level exactly when the interval excludes 0.
    """
    y, a, b = np.asarray(y_true), np.asarray(output_a), np.asarray(output_b)
    if not (len(y) == len(a) == len(b)) or len(y) < 2:
        raise TenfoldError("The paired bootstrap needs both models' outputs on the same two or more samples.")
    sign = 1.0 if HIGHER_IS_BETTER.get(metric, True) else -1.0
    score_a, score_b = fast_score(metric, y, a, threshold), fast_score(metric, y, b, threshold)
    rng = np.random.default_rng(seed)
    diffs = []
    for _ in range(n_boot):
        idx = rng.integers(0, len(y), len(y))
        d = sign * (fast_score(metric, y[idx], a[idx], threshold) - fast_score(metric, y[idx], b[idx], threshold))
        if np.isfinite(d):
            diffs.append(d)
    out = {
        "metric": metric,
        "score_a": score_a,
        "score_b": score_b,
        "difference": float(sign * (score_a - score_b)),
        "n": int(len(y)),
        "n_boot": int(n_boot),
        "n_valid": len(diffs),
        "level": level,
        "ci": None,
        "p_value": None,
    }
    if len(diffs) < max(10, n_boot // 4):
        return out  # the metric is undefined on most resamples (a tune split with one class)
    values = np.asarray(diffs)
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(values, [tail, 100 - tail])
    out["ci"] = [float(low), float(high)]
    out["p_value"] = float(min(1.0, 2 * min(float(np.mean(values <= 0)), float(np.mean(values >= 0)))))
    return out
