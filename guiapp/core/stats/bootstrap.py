"""Every metric on every bootstrap resample at once (Tips 7 and 9).

A resample is a row of multiplicities ``W[b, i]`` (how often sample ``i`` was drawn). Each
metric is a weighted sum over samples, or over groups of tied scores, so all resamples are
scored with a few matrix operations instead of a Python loop over hundreds of resamples. The
values equal the metric computed on the resampled rows themselves (tests pin that).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from guiapp.core.stats.metrics import RELIABILITY_BINS, THRESHOLD_METRICS, predicted_classes


def resample_weights(n: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """``n_boot`` × ``n`` multiplicities of ``n`` draws with replacement."""
    idx = rng.integers(0, n, (n_boot, n))
    offsets = (np.arange(n_boot) * n)[:, None]
    return np.bincount((idx + offsets).ravel(), minlength=n_boot * n).reshape(n_boot, n).astype(float)


def _grouped(W: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sum the columns of ``W`` over equal ``keys``: (B × U sums, sort order, group of each sorted column)."""
    order = np.argsort(keys, kind="mergesort")
    sorted_keys = keys[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_keys)) + 1]
    return np.add.reduceat(W[:, order], starts, axis=1), order, starts


def _binary_aucs(W: np.ndarray, positive: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ROC AUC and average precision of score ``s`` for every resample (NaN without both classes)."""
    pos_w, neg_w = W * positive, W * ~positive
    P, order, starts = _grouped(pos_w, s)
    N = np.add.reduceat(neg_w[:, order], starts, axis=1)
    n_pos, n_neg = P.sum(axis=1), N.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        below = np.cumsum(N, axis=1) - N  # negatives with a lower score (ascending groups)
        auc = np.sum(P * (below + 0.5 * N), axis=1) / (n_pos * n_neg)
        tp, fp = np.cumsum(P[:, ::-1], axis=1), np.cumsum(N[:, ::-1], axis=1)  # descending thresholds
        precision = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        ap = np.sum(P[:, ::-1] * precision, axis=1) / n_pos
    bad = (n_pos == 0) | (n_neg == 0)
    auc[bad] = np.nan
    ap[bad] = np.nan  # as metrics.score: one class alone has no ranking to judge
    return auc, ap


def _confusion_metrics(W: np.ndarray, y: np.ndarray, pred: np.ndarray, k: int, names) -> dict:
    codes = y.astype(np.int64) * k + pred
    flat = np.zeros((W.shape[0], k * k))
    for j in np.unique(codes):
        flat[:, j] = W[:, codes == j].sum(axis=1)
    C = flat.reshape(-1, k, k)
    support, predicted = C.sum(axis=2), C.sum(axis=1)
    total = C.sum(axis=(1, 2))
    tp = np.diagonal(C, axis1=1, axis2=2)
    out = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = tp / support
        tn = total[:, None] - support - predicted + tp
        spec = tn / (tn + predicted - tp)
        f1 = 2 * tp / (support + predicted)
        present = support > 0
        mean_recall = np.nansum(np.where(present, recall, 0), axis=1) / present.sum(axis=1)
        if "balanced_accuracy" in names:
            out["balanced_accuracy"] = mean_recall
        if k == 2:
            out["sensitivity"], out["specificity"] = recall[:, 1], spec[:, 1]
            out["f1"] = np.where(support[:, 1] + predicted[:, 1] > 0, f1[:, 1], 0.0)
        else:
            seen = present | (predicted > 0)
            out["sensitivity"] = mean_recall
            valid = present & np.isfinite(spec)
            out["specificity"] = np.sum(np.where(valid, spec, 0), axis=1) / valid.sum(axis=1)
            out["f1"] = np.sum(np.where(seen, np.nan_to_num(f1), 0), axis=1) / seen.sum(axis=1)
        trace = np.trace(C, axis1=1, axis2=2)
        cov_ytyp = trace * total - np.sum(predicted * support, axis=1)
        cov_ypyp = total**2 - np.sum(predicted**2, axis=1)
        cov_ytyt = total**2 - np.sum(support**2, axis=1)
        denom = np.sqrt(cov_ytyt * cov_ypyp)
        out["mcc"] = np.where(denom > 0, cov_ytyp / np.where(denom > 0, denom, 1), 0.0)
    return {name: v for name, v in out.items() if name in names}


def _weighted_ranks(W: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Each sample's average rank within every resample (ties share their average rank)."""
    G, order, starts = _grouped(W, values)
    before = np.cumsum(G, axis=1) - G
    group = np.empty(len(values), dtype=np.int64)
    group[order] = np.cumsum(np.isin(np.arange(len(values)), starts)) - 1
    return before[:, group] + (G[:, group] + 1) / 2.0


def _weighted_corr(W: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson correlation of ``a`` and ``b`` (B × n or n) weighted by ``W``."""
    n = W.sum(axis=1)
    ma, mb = np.sum(W * a, axis=1) / n, np.sum(W * b, axis=1) / n
    da, db = a - ma[:, None], b - mb[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.sum(W * da * db, axis=1) / np.sqrt(np.sum(W * da * da, axis=1) * np.sum(W * db * db, axis=1))
    return r


def resampled_scores(names: Sequence[str], y, output, W: np.ndarray, threshold: float = 0.5) -> dict:
    """``{name: array over resamples}`` for every metric of :mod:`guiapp.core.stats.metrics`."""
    y, output = np.asarray(y), np.asarray(output)
    n = W.sum(axis=1)
    out: dict = {}
    names = tuple(names)
    if output.ndim == 2:  # classification
        k = output.shape[1]
        if set(names) & set(THRESHOLD_METRICS):
            out.update(_confusion_metrics(W, y, predicted_classes(output, threshold), k, names))
        if {"roc_auc", "pr_auc"} & set(names):
            if k == 2:
                out["roc_auc"], out["pr_auc"] = _binary_aucs(W, y == 1, output[:, 1])
            else:
                per = [_binary_aucs(W, y == j, output[:, j]) for j in range(k)]
                present = np.stack([W[:, y == j].sum(axis=1) > 0 for j in range(k)], axis=1)
                several = present.sum(axis=1) >= 2
                for m, name in enumerate(("roc_auc", "pr_auc")):
                    vals = np.stack([p[m] for p in per], axis=1)
                    with np.errstate(invalid="ignore"):
                        macro = np.nansum(np.where(present, vals, 0), axis=1) / present.sum(axis=1)
                    out[name] = np.where(several, macro, np.nan)
        if "brier" in names:
            err = (output[:, 1] - (y == 1)) ** 2 if k == 2 else np.sum((output - np.eye(k)[y]) ** 2, axis=1)
            out["brier"] = W @ err / n
        if "ece" in names:
            if k == 2:
                conf, hit = output[:, 1], (y == 1).astype(float)
            else:
                conf, hit = output.max(axis=1), (output.argmax(axis=1) == y).astype(float)
            which = np.minimum((conf * RELIABILITY_BINS).astype(int), RELIABILITY_BINS - 1)
            gaps = np.zeros(W.shape[0])
            for j in np.unique(which):
                cols = which == j
                gaps += np.abs(W[:, cols] @ conf[cols] - W[:, cols] @ hit[cols])
            out["ece"] = gaps / n
    else:
        y, output = y.astype(float), output.astype(float)
        err = y - output
        if "r2" in names:
            my = W @ y / n
            ss_tot = W @ (y**2) - n * my**2
            with np.errstate(invalid="ignore", divide="ignore"):
                out["r2"] = np.where(ss_tot > 1e-12 * np.maximum(W @ (y**2), 1), 1 - (W @ err**2) / ss_tot, np.nan)
        if "rmse" in names:
            out["rmse"] = np.sqrt(W @ err**2 / n)
        if "mae" in names:
            out["mae"] = W @ np.abs(err) / n
        if "pearson" in names:
            out["pearson"] = _weighted_corr(W, y, output)
        if "spearman" in names:
            out["spearman"] = _weighted_corr(W, _weighted_ranks(W, y), _weighted_ranks(W, output))
    return {name: out[name] for name in names if name in out}


def bootstrap_intervals(
    names: Sequence[str],
    y_true,
    output,
    *,
    n_boot: int = 200,
    seed: int = 0,
    threshold: float = 0.5,
    level: float = 0.95,
) -> dict:
    """Percentile bootstrap intervals ``{name: [low, high]}``, resampling samples with replacement.

    A metric gets no interval when fewer than a quarter of the resamples (at least 10) give a
    finite value, e.g. an AUC on a tiny tune split that often holds a single class.
    """
    y_true, output = np.asarray(y_true), np.asarray(output)
    if n_boot <= 0 or len(y_true) < 2:
        return {}
    rng = np.random.default_rng(seed)
    tail = 100 * (1 - level) / 2
    out: dict = {}
    # In chunks: the resample matrix is n_boot × n numbers.
    chunk = max(1, min(n_boot, 2_000_000 // max(len(y_true), 1)))
    values: dict = {name: [] for name in names}
    for start in range(0, n_boot, chunk):
        W = resample_weights(len(y_true), min(chunk, n_boot - start), rng)
        for name, v in resampled_scores(names, y_true, output, W, threshold).items():
            values[name].append(v[np.isfinite(v)])
    for name, parts in values.items():
        v = np.concatenate(parts) if parts else np.array([])
        if len(v) >= max(10, n_boot // 4):
            out[name] = [float(np.percentile(v, tail)), float(np.percentile(v, 100 - tail))]
    return out
