"""Leak detection (Tips 7 and 9): one rule for a feature that gives the label away.

The same :func:`scan_features` serves ``tenfold inspect`` and the Data page before training
(:func:`leak_findings`) and the proxy scan after training (``guards.label_proxy_scan``). A
feature carries a *leak signature* — an error-level ``possible-label-leak`` — when:

- **separates**: ordered by the feature, the classes fall into disjoint ranges, every class
  next to the following one with ROC AUC ≥ :data:`LEAK_AUC` *and* a margin: a gap between
  their ranges of at least :data:`MARGIN` pooled within-class standard deviations, or means
  at least :data:`MIN_D` of them apart (a few noisy values may overlap). For two classes
  this is near-perfect separation with a margin; with more classes the feature must order
  *all* of them, as a recorded outcome does. One class cut off from the rest (iris setosa by
  its petals) is strong biology, listed as a strong marker, not a leak;
- **codes the label**: one value per class, different between classes (the encoded label or
  any monotone or other recoding of it);
- **follows the row order**: the rows are sorted by label and the feature runs with the row
  number (|Spearman ρ| with the row ≥ :data:`ORDER_RHO`): a running index of a sorted file;
- **names the outcome**: its name holds a word such as diagnosis, outcome, status, response,
  review, result, label, target, survival (whole words, so 'concave points' is no match).

Separation counts only where the features are too few, for the samples, to separate by
chance (features × chance of a full separation ≤ :data:`CHANCE`).

Regression: |Spearman ρ| with the target ≥ :data:`LEAK_RHO` (a monotone transform of it).
Features with a single-feature ROC AUC (best class against the rest) ≥ :data:`STRONG_AUC`
(|ρ| ≥ :data:`STRONG_RHO`) but no signature are *strong single markers*, listed once at
info level with the advice to confirm they are known before prediction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from math import exp, lgamma

import numpy as np

from guiapp.core.data.streaming import bounded, is_streamed, sample_rows
from guiapp.core.study.findings import Findings
from guiapp.core.study.model import Study

LEAK_AUC = 0.995
MARGIN = 0.5  # gap between neighbouring classes' ranges, in pooled within-class SDs
MIN_D = 4.0  # … or distance of their means, in pooled within-class SDs (Cohen's d)
CHANCE = 0.05  # "separates" only where so many features could not separate by chance
ORDER_RHO = 0.98
SORTED_AUC = 0.95  # the label follows the row order (row number as a score)
LEAK_RHO = 0.99
STRONG_AUC = 0.9
STRONG_RHO = 0.9
MAX_ROWS = 20_000  # rows looked at (a seeded sample beyond) …
MAX_CELLS = 10_000_000  # … and at most this many cells, but never fewer than MIN_ROWS rows
MIN_ROWS = 500
MAX_LISTED = 5
OUTCOME_WORDS = {
    "diagnosis",
    "diagnosed",
    "diagnoses",
    "outcome",
    "outcomes",
    "status",
    "response",
    "responder",
    "review",
    "reviewed",
    "reviewer",
    "result",
    "results",
    "label",
    "labels",
    "target",
    "survival",
    "survived",
    "death",
    "died",
    "deceased",
    "prognosis",
    "relapse",
    "recurrence",
    "verdict",
    "truth",
}
SIGNATURE_WORDS = {
    "separates": "separates the classes almost perfectly, with a gap between them",
    "codes-label": "holds one value per class: it codes the label",
    "row-order": "runs with the row number while the rows are sorted by label",
    "name": "its name says outcome or review",
    "monotone": "is a monotone transform of the target",
}


@dataclass
class FeatureSignal:
    name: str
    score: float  # binary/multiclass: best one-vs-rest ROC AUC; regression: |Spearman ρ|
    signatures: list = field(default_factory=list)

    @property
    def leak(self) -> bool:
        return bool(self.signatures)


def name_says_outcome(name: str, label: str = "") -> bool:
    """Whether a column name holds an outcome or review word (whole words only)."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(name))
    tokens = [t for t in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if t]
    words = OUTCOME_WORDS
    if label:
        label_tokens = [t for t in re.split(r"[^A-Za-z0-9]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", label).lower()) if t]
        if label_tokens and len(tokens) > len(label_tokens) and all(t in tokens for t in label_tokens):
            return True  # e.g. "diagnosis_code" beside the label "diagnosis"
    return any(t in words for t in tokens)


def column_ranks(X: np.ndarray, block: int = 2048) -> np.ndarray:
    """Average ranks (1…n, ties share their mean rank) of every column, a block of columns at a
    time: the same numbers as ``scipy.stats.rankdata(X, axis=0)``, many times faster on wide tables."""
    n, p = X.shape
    out = np.empty((n, p), dtype=np.float64)
    idx = np.arange(n)[:, None]
    for start in range(0, p, block):
        part = X[:, start : start + block]
        order = np.argsort(part, axis=0, kind="stable")
        xs = np.take_along_axis(part, order, axis=0)
        new = np.ones(xs.shape, dtype=bool)
        new[1:] = xs[1:] != xs[:-1]  # a tie group starts here
        end = np.ones(xs.shape, dtype=bool)
        end[:-1] = new[1:]  # … and ends here
        first = np.maximum.accumulate(np.where(new, idx, 0), axis=0)
        last = np.minimum.accumulate(np.where(end, idx, n)[::-1], axis=0)[::-1]
        np.put_along_axis(out[:, start : start + block], order, (first + last) / 2.0 + 1.0, axis=0)
    return out


def _rank_auc(positive: np.ndarray, X: np.ndarray, ranks: np.ndarray | None = None) -> np.ndarray:
    """ROC AUC of every column as a score for ``positive`` (ties count half); ``ranks``: X's column ranks."""
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        return np.full(X.shape[1], np.nan)
    ranks = column_ranks(X) if ranks is None else ranks
    return (ranks[positive].sum(axis=0) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def _spearman(X: np.ndarray, y: np.ndarray, ranks: np.ndarray | None = None) -> np.ndarray:
    from scipy.stats import rankdata  # scipy: imported lazily, only when needed

    rx, ry = (column_ranks(X) if ranks is None else ranks), rankdata(y)
    rx, ry = rx - rx.mean(axis=0), ry - ry.mean()
    denom = np.sqrt((rx**2).sum(axis=0) * (ry**2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        return (rx * ry[:, None]).sum(axis=0) / denom


def _filled(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if np.isnan(X).any():
        fill = np.nan_to_num(np.nanmedian(X, axis=0))
        X = np.where(np.isnan(X), fill, X)
    return X


def ordered_separation(x: np.ndarray, y: np.ndarray) -> list[dict]:
    """Neighbouring classes, ordered by their median on ``x``: each pair's ROC AUC, the gap
    between their ranges and the distance of their means, both in pooled within-class SDs."""
    classes = list(np.unique(y))
    medians = [np.median(x[y == c]) for c in classes]
    order = [classes[i] for i in np.argsort(medians, kind="stable")]
    out = []
    for lo, hi in zip(order, order[1:], strict=False):
        a, b = x[y == lo], x[y == hi]
        both = np.concatenate([a, b])[:, None]
        auc = float(_rank_auc(np.r_[np.zeros(len(a), bool), np.ones(len(b), bool)], both)[0])
        pooled = float(np.sqrt((np.var(a) * len(a) + np.var(b) * len(b)) / (len(a) + len(b))))
        gap, shift = float(np.min(b) - np.max(a)), float(np.mean(b) - np.mean(a))
        out.append(
            {
                "auc": auc,
                "gap": gap / pooled if pooled > 0 else (np.inf if gap > 0 else 0.0),
                "d": shift / pooled if pooled > 0 else (np.inf if shift > 0 else 0.0),
            }
        )
    return out


def chance_separation(counts) -> float:
    """Chance that one random feature orders the classes fully apart: k! · ∏ nᵢ! / n!."""

    counts = [int(c) for c in counts]
    return exp(lgamma(len(counts) + 1) + sum(lgamma(c + 1) for c in counts) - lgamma(sum(counts) + 1))


def separates_with_margin(x: np.ndarray, y: np.ndarray) -> bool:
    """Every neighbouring pair of classes: ROC AUC ≥ :data:`LEAK_AUC` and a margin — a gap of
    at least :data:`MARGIN` SDs between their ranges, or means :data:`MIN_D` SDs apart."""
    pairs = ordered_separation(x, y)
    return bool(pairs) and all(p["auc"] >= LEAK_AUC and (p["gap"] >= MARGIN or p["d"] >= MIN_D) for p in pairs)


def label_follows_row_order(y: np.ndarray, task: str = "classification") -> bool:
    """Whether the rows are sorted by label (the row number nearly separates the classes)."""
    rows = np.arange(len(y), dtype=float)
    if task != "classification":
        return bool(abs(np.nan_to_num(_spearman(rows[:, None], y.astype(float))[0])) >= ORDER_RHO)
    if len(np.unique(y)) < 2:
        return False
    return all(p["auc"] >= SORTED_AUC for p in ordered_separation(rows, y))


def scan_features(
    names, X, y, *, task: str = "classification", label: str = "", row_order: bool = True, seed: int = 0
) -> list[FeatureSignal]:
    """Every feature's single-feature strength and leak signatures, strongest first.

    Only features with a signature or a strong-marker score are returned. ``row_order``
    says whether the rows are in file order (the row-order signature needs it).
    """
    y = np.asarray(y)
    cap = max(MIN_ROWS, min(MAX_ROWS, MAX_CELLS // max(np.shape(X)[1], 1)))
    if len(y) > cap:
        keep = np.sort(np.random.default_rng(seed).choice(len(y), cap, replace=False))
        X, y = np.asarray(X)[keep], y[keep]  # a sorted sample of rows keeps their order
    X = _filled(X)
    ranks = column_ranks(X)  # once, for every class and the row order
    names = [str(n) for n in names]
    out = []
    if task != "classification":
        rho = np.abs(np.nan_to_num(_spearman(X, y.astype(float), ranks)))
        for j, name in enumerate(names):
            sig = (["monotone"] if rho[j] >= LEAK_RHO else []) + (["name"] if name_says_outcome(name, label) else [])
            if sig or rho[j] >= STRONG_RHO:
                out.append(FeatureSignal(name, float(rho[j]), sig))
        return sorted(out, key=lambda s: (not s.leak, -s.score))
    classes = np.unique(y)
    if len(classes) < 2:
        return []
    best = np.zeros(X.shape[1])
    for c in classes:  # one class against the rest, in whichever direction
        auc = _rank_auc(y == c, X, ranks)
        best = np.maximum(best, np.nan_to_num(np.maximum(auc, 1 - auc)))
    # With few samples and many features some separate by chance: then separation alone is no
    # signature (20,000 random genes over 5 + 5 samples give dozens), a coded label still is.
    can_separate = X.shape[1] * chance_separation([np.sum(y == c) for c in classes]) <= CHANCE
    sorted_rows = row_order and label_follows_row_order(y)
    row_rho = np.abs(np.nan_to_num(_spearman(X, np.arange(len(y), dtype=float), ranks))) if sorted_rows else None
    del ranks
    for j, name in enumerate(names):
        x = X[:, j]
        sig = []
        if best[j] >= LEAK_AUC or (row_rho is not None and row_rho[j] >= ORDER_RHO):
            values = [np.unique(x[y == c]) for c in classes]
            if all(len(v) == 1 for v in values) and len({float(v[0]) for v in values}) == len(classes):
                sig.append("codes-label")
            else:
                if can_separate and separates_with_margin(x, y):
                    sig.append("separates")
            if row_rho is not None and row_rho[j] >= ORDER_RHO and "codes-label" not in sig:
                sig.append("row-order")
        if name_says_outcome(name, label):
            sig.append("name")
        if sig or best[j] >= STRONG_AUC:
            out.append(FeatureSignal(name, float(best[j]), sig))
    return sorted(out, key=lambda s: (not s.leak, -s.score))


def _listed(signals: list, with_why: bool) -> str:
    parts = []
    for s in signals[:MAX_LISTED]:
        why = "; ".join(SIGNATURE_WORDS[k] for k in s.signatures)
        parts.append(f"{s.name!r} ({why})" if with_why and why else f"{s.name} ({s.score:.3f})")
    if len(signals) > MAX_LISTED:
        parts.append(f"and {len(signals) - MAX_LISTED} more")
    return ", ".join(parts)


def findings_from_signals(signals: list, *, measure: str, step: str, where: str) -> list:
    """``possible-label-leak`` for signatures and one ``strong-single-markers`` for the rest."""
    leaks = [s for s in signals if s.leak]
    strong = [s for s in signals if not s.leak]
    out = []
    if leaks:
        f = Findings.possible_label_leak.raise_(
            count=len(leaks),
            features=_listed(leaks, True),
            where=where,
            feature=leaks[0].name,
            columns=[s.name for s in leaks],
        )
        out.append(_at(f, step))
    if strong:
        f = Findings.strong_single_markers.raise_(
            count=len(strong),
            features=_listed(strong, False),
            measure=measure,
            where=where,
            feature=strong[0].name,
            value=strong[0].score,
        )
        out.append(_at(f, step))
    return out


def _at(finding, step: str):
    return finding if finding.step == step else replace(finding, step=step)


LEAK_CODES = ("possible-label-leak", "strong-single-markers")


def leak_findings(study: Study, X=None, y=None, *, step: str = "data") -> list:
    """The leak scan of the loaded data, before any split or model (inspect, Data page)."""
    if study.data.modality != "table" or not study.data.feature_columns:
        return []
    if X is None:
        from guiapp.core.data.frame import model_frame  # imports pandas: the window imports this module at open

        X, y, _ = model_frame(study)
    if is_streamed(X):  # features on disk: a random sample of rows (the scan holds several copies of it)
        X, y = bounded(X, y, n=sample_rows(X.shape[1]) // 4, seed=study.split.seed)
    signals = scan_features(
        study.data.feature_columns, X, y, task=study.question.task, label=study.data.label, seed=study.split.seed
    )
    measure = "ROC AUC" if study.is_classification else "|Spearman ρ|"
    return findings_from_signals(signals, measure=measure, step=step, where="all labelled samples")


def scan_before_training(study: Study) -> list:
    """Replace the data step's leak findings with a fresh scan; returns them."""
    found = leak_findings(study)
    study.findings = [f for f in study.findings if not (f.step == "data" and f.code in LEAK_CODES)] + found
    return found
