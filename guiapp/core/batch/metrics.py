"""Batch-effect metrics (Tips 4 and 7): how strongly samples group by batch, in the field's numbers.

Every metric works on an embedding (the first principal components) and comes back as a
:class:`MetricResult` with its value, its range, what it means in plain words and a traffic
light. The definitions follow the single-cell integration benchmark (scib, Luecken et al.
2022) and the papers that introduced them:

- batch silhouette, scib form: 1 − |s| of the batch silhouette within each label, averaged
  over labels (1 = batches mixed); the plain batch silhouette when there is no label;
- iLISI and cLISI (Korsunsky et al. 2019): the effective number of batches (labels) in each
  sample's neighbourhood — inverse Simpson index of kernel weights exp(−β·distance) over 90
  neighbours, β calibrated to perplexity 30 (harmonypy's and scib-metrics' kernel); the
  median is also given scaled as scib does: (iLISI − 1) / (batches − 1) and
  (labels − cLISI) / (labels − 1);
- kBET rejection rate (Büttner et al. 2019): how often a chi-square test rejects that a
  neighbourhood has the global batch composition;
- principal-component regression: the share of the PCs' variance that batch explains;
- batch predictability: a cross-validated classifier predicting batch from the PCs within
  each label, against chance, with a permutation p-value.

The pairwise and neighbourhood metrics use a seeded sample of at most :data:`MAX_SAMPLES`
points on large data; the result says how many.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from guiapp.core.batch.neighbourhoods import (  # the constants too: one place to read them  # noqa: F401  (part of this module's public face)
    KBET_ALPHA,
    KBET_NEIGHBORS,
    KBET_TESTS,
    LISI_NEIGHBORS,
    PERPLEXITY,
    inverse_simpson,
    kbet_rejection_rate,
    lisi,
    neighbours,
    perplexity_weights,
)
from guiapp.core.study.task_context import ProgressFn, StopFn, check_stop, no_progress

MAX_SAMPLES = 10_000  # silhouettes, LISI and kBET: a seeded sample of at most this many points
PREDICT_MAX_SAMPLES = 5_000  # the batch classifier and its permutations
PREDICT_FOLDS = 5
PREDICT_PERMUTATIONS = 19  # the smallest p-value is 1 / (1 + 19) = 0.05
PREDICT_ALPHA = 0.05

GREEN, AMBER, RED = "green", "amber", "red"
# key -> (direction, green bound, amber bound): "higher" is good when higher values mean better
# mixing. A value on the good side of the green bound is green, of the amber bound amber,
# otherwise red.
LIGHTS = {
    "silhouette": ("lower", 0.10, 0.25),
    "batch_asw": ("higher", 0.90, 0.75),
    # LISI is judged on its share of the perfectly mixed value (the inverse Simpson index of
    # the batch sizes), which unequal batches keep below the scib scaling's 1.
    "ilisi": ("higher", 0.80, 0.50),
    "clisi": ("higher", 0.50, 0.20),  # 1 = labels apart
    "kbet_rejection": ("lower", 0.25, 0.50),
    "pcr_batch": ("lower", 0.05, 0.20),
    "predictability": ("lower", 0.10, 0.40),  # green also whenever p ≥ PREDICT_ALPHA
}


@dataclass
class MetricResult:
    """One metric: the number, where it lives, what it says, and a traffic light."""

    key: str
    name: str
    value: float | None
    low: float
    high: float
    meaning: str
    light: str | None = None  # green, amber, red; None when it could not be measured
    normalised: float | None = None  # 0 … 1 where the raw range depends on the data
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class BatchMetrics:
    results: dict  # key -> MetricResult, in display order
    n_points: int
    sample_size: int | None = None  # points the sampled metrics used; None when all were

    def value(self, key: str) -> float | None:
        r = self.results.get(key)
        return None if r is None else r.value

    def to_dict(self) -> dict:
        return {
            "n_points": self.n_points,
            "sample_size": self.sample_size,
            "metrics": {k: r.to_dict() for k, r in self.results.items()},
        }


def traffic_light(key: str, value: float | None) -> str | None:
    if value is None or not np.isfinite(value):
        return None
    direction, green, amber = LIGHTS[key]
    if direction == "higher":
        return GREEN if value >= green else AMBER if value >= amber else RED
    return GREEN if value <= green else AMBER if value <= amber else RED


def _codes(values) -> tuple[np.ndarray, np.ndarray]:
    uniques, codes = np.unique(np.asarray(values).astype(str), return_inverse=True)
    return uniques, codes.ravel()


def subsample(n: int, size: int, seed: int = 0) -> np.ndarray | None:
    """Sorted indices of a seeded sample of ``size`` of ``n`` points; None when all are kept."""
    if n <= size:
        return None
    return np.sort(np.random.default_rng(seed).choice(n, size, replace=False))


# ----- silhouettes ----------------------------------------------------------------------------


def silhouette_samples(X: np.ndarray, labels, *, chunk: int = 512, should_stop: StopFn | None = None) -> np.ndarray:
    """Silhouette width of every point, as ``sklearn.metrics.silhouette_samples`` (Euclidean).

    Squared distances come in row blocks as one matrix product of augmented rows
    ``[x, |x|², 1] · [-2y, 1, |y|²]``, in float32 on centred data (within 1e-6 of
    scikit-learn's float64), and each block's per-cluster distance sums are one more product
    with the cluster indicator matrix: no Python loop over points. Points alone in their
    cluster get 0, as in scikit-learn.
    """
    X = np.asarray(X, dtype=np.float64)
    X = X - X.mean(axis=0)
    _, codes = _codes(labels)
    n = len(codes)
    k = int(codes.max()) + 1 if n else 0
    if k < 2 or k >= n:
        raise ValueError(f"silhouette needs 2 to n - 1 clusters, got {k} for {n} points")
    counts = np.bincount(codes, minlength=k).astype(np.float64)
    sq = np.einsum("ij,ij->i", X, X)
    ones = np.ones((n, 1))
    left = np.hstack([X, sq[:, None], ones]).astype(np.float32)
    right = np.ascontiguousarray(np.hstack([-2.0 * X, ones, sq[:, None]]).astype(np.float32).T)
    indicator = np.zeros((n, k), dtype=np.float32)
    indicator[np.arange(n), codes] = 1.0
    sums = np.empty((n, k))
    for start in range(0, n, chunk):
        check_stop(should_stop)
        stop = min(start + chunk, n)
        d = left[start:stop] @ right
        np.maximum(d, 0.0, out=d)
        np.sqrt(d, out=d)
        d[np.arange(stop - start), np.arange(start, stop)] = 0.0
        sums[start:stop] = d @ indicator
    own = counts[codes]
    rows = np.arange(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = sums[rows, codes] / (own - 1.0)
        means = sums / counts
    means[rows, codes] = np.inf
    b = means.min(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = (b - a) / np.maximum(a, b)
    s[(own <= 1) | ~np.isfinite(s)] = 0.0
    return s


def plain_batch_silhouette(X: np.ndarray, batches, **kw) -> float:
    """Mean batch silhouette: 0 = mixed, 1 = batches fully apart, below 0 = interleaved."""
    _, codes = _codes(batches)
    if len(np.unique(codes)) < 2:
        return 0.0
    return float(silhouette_samples(X, codes, **kw).mean())


def scib_batch_asw(X: np.ndarray, batches, labels, **kw) -> float | None:
    """scib's batch ASW: per label, the mean of 1 − |s| of the batch silhouette, averaged.

    Labels whose samples come from a single batch are skipped (there is nothing to mix);
    None when no label has two batches.
    """
    _, bcodes = _codes(batches)
    _, lcodes = _codes(labels)
    per_label = []
    for lab in np.unique(lcodes):
        rows = np.flatnonzero(lcodes == lab)
        present = np.unique(bcodes[rows])
        if len(present) < 2 or len(present) >= len(rows):
            continue
        s = silhouette_samples(X[rows], bcodes[rows], **kw)
        per_label.append(float(np.mean(1.0 - np.abs(s))))
    return float(np.mean(per_label)) if per_label else None


# ----- regression and prediction -----------------------------------------------------------------


def pc_regression(pcs: np.ndarray, variance, batches) -> float:
    """Share of the PCs' variance explained by batch: Σ var_k · R²_k / Σ var_k.

    R²_k of PC k on the batch indicators is its between-batch share of variance.
    """
    _, codes = _codes(batches)
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
    should_stop: StopFn | None = None,
) -> dict:
    """How well a linear classifier predicts batch from the PCs, within each label, vs chance.

    Returns balanced ``accuracy``, ``chance`` (1 / number of batches, weighted over label
    strata), ``score`` = (accuracy − chance) / (1 − chance), and the permutation ``p_value``
    (batches shuffled within each stratum). ``score`` is None when no stratum has two batches.
    """
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    _, bcodes = _codes(batches)
    strata_codes = np.zeros(len(bcodes), dtype=int) if labels is None else _codes(labels)[1]
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
            check_stop(should_stop)
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


# ----- all of them -------------------------------------------------------------------------------

NAMES = {
    "silhouette": "batch silhouette",
    "batch_asw": "batch ASW (scib)",
    "ilisi": "iLISI",
    "clisi": "cLISI",
    "kbet_rejection": "kBET rejection rate",
    "pcr_batch": "PC regression (batch)",
    "predictability": "batch predictability",
}

MEANINGS = {
    "silhouette": "How far batches stand apart in the main components: 0 means mixed, 1 fully apart.",
    "batch_asw": "Within each label, how mixed the batches are (scib): 1 means mixed, 0 means apart.",
    "ilisi": "How many batches a sample's neighbourhood holds on average; the most is the number of batches (perfectly mixed).",
    "clisi": "How many labels a sample's neighbourhood holds; 1 means the labels stay apart, which is good.",
    "kbet_rejection": "Share of neighbourhoods whose batch make-up differs from the whole; about 0.05 when mixed, 1 when apart.",
    "pcr_batch": "Share of the variation in the main components that batch explains: 0 none, 1 all.",
    "predictability": "How much better than chance a classifier tells the batch from the main components, within each label: 0 chance, 1 always right.",
}


def measure_batch_effect(
    pcs: np.ndarray,
    explained_variance,
    batches,
    labels=None,
    *,
    seed: int = 0,
    max_samples: int = MAX_SAMPLES,
    predict_max_samples: int = PREDICT_MAX_SAMPLES,
    n_permutations: int = PREDICT_PERMUTATIONS,
    progress: ProgressFn = no_progress,
    should_stop: StopFn | None = None,
) -> BatchMetrics:
    """Every batch metric on ``pcs`` (``labels`` None for regression: no strata, no cLISI)."""
    pcs = np.asarray(pcs, dtype=np.float64)
    batches = np.asarray(batches).astype(str)
    labels = None if labels is None else np.asarray(labels).astype(str)
    n = len(pcs)
    pick = subsample(n, max_samples, seed)
    X, b = (pcs, batches) if pick is None else (pcs[pick], batches[pick])
    lab = None if labels is None else (labels if pick is None else labels[pick])
    n_batches = len(np.unique(batches))
    out: dict = {}

    def add(key, value, low, high, **kw):
        judged = kw.get("normalised", value)
        light = kw.pop("light", None) or traffic_light(key, judged)
        out[key] = MetricResult(
            key, NAMES[key], None if value is None else float(value), low, high, MEANINGS[key], light, **kw
        )

    progress(0.05, "Batch silhouette")
    check_stop(should_stop)
    add("silhouette", plain_batch_silhouette(X, b, should_stop=should_stop), -1, 1)
    asw = scib_batch_asw(X, b, lab, should_stop=should_stop) if lab is not None else None
    if asw is None:  # no label, or no label with two batches: scib's form without labels
        asw = float(np.mean(1 - np.abs(silhouette_samples(X, b, should_stop=should_stop))))
    add("batch_asw", asw, 0, 1)
    progress(0.3, "Neighbourhoods: iLISI, cLISI, kBET")
    check_stop(should_stop)
    knn = neighbours(X, LISI_NEIGHBORS)
    ilisi = float(np.median(lisi(X, b, knn=knn)))
    mixed = inverse_simpson(b)
    share = _unit((ilisi - 1) / (mixed - 1))
    add(
        "ilisi",
        ilisi,
        1,
        n_batches,
        normalised=scib_scaled_ilisi(ilisi, len(np.unique(b))),
        light=traffic_light("ilisi", share),
        extra={
            "perfectly_mixed": mixed,
            "share_of_mixed": share,
            "scaled": SCALED["ilisi"],
            "perplexity": PERPLEXITY,
            "neighbors": knn[1].shape[1],
        },
    )
    if lab is not None and len(np.unique(lab)) >= 2:
        clisi = float(np.median(lisi(X, lab, knn=knn)))
        label_mix = inverse_simpson(lab)
        apart = _unit(1 - (clisi - 1) / (label_mix - 1))
        add(
            "clisi",
            clisi,
            1,
            len(np.unique(labels)),
            normalised=scib_scaled_clisi(clisi, len(np.unique(lab))),
            light=traffic_light("clisi", apart),
            extra={
                "perfectly_mixed": label_mix,
                "share_apart": apart,
                "scaled": SCALED["clisi"],
                "perplexity": PERPLEXITY,
            },
        )
    check_stop(should_stop)
    kbet = kbet_rejection_rate(X, b, seed=seed)
    add(
        "kbet_rejection",
        kbet,
        0,
        1,
        extra={"alpha": KBET_ALPHA, "neighbors": min(KBET_NEIGHBORS, len(X) - 1), "tested": min(KBET_TESTS, len(X))},
    )
    progress(0.5, "Principal-component regression")
    add(
        "pcr_batch",
        pc_regression(pcs, explained_variance, batches),
        0,
        1,
        extra={"components": pcs.shape[1], "points": n},
    )
    progress(0.6, "Predicting the batch from the components")
    check_stop(should_stop)
    ppick = subsample(n, predict_max_samples, seed)
    pr = batch_predictability(
        pcs if ppick is None else pcs[ppick],
        batches if ppick is None else batches[ppick],
        None if labels is None else (labels if ppick is None else labels[ppick]),
        n_permutations=n_permutations,
        seed=seed,
        should_stop=should_stop,
    )
    light = None
    if pr["score"] is not None and pr["p_value"] is not None and pr["p_value"] > PREDICT_ALPHA:
        light = GREEN
    add(
        "predictability",
        pr["score"],
        0,
        1,
        light=light,
        extra={**{k: v for k, v in pr.items() if k != "score"}, "points": n if ppick is None else len(ppick)},
    )
    progress(1.0, "Batch metrics done")
    return BatchMetrics(results=out, n_points=n, sample_size=None if pick is None else len(pick))


SCALED = {"ilisi": "scaled iLISI (scib)", "clisi": "scaled cLISI (scib)"}


def scib_scaled_ilisi(ilisi: float, n_batches: int) -> float:
    """scib's scaled iLISI, (iLISI − 1) / (batches − 1): 0 batches apart, 1 all batches mixed."""
    return _unit((ilisi - 1) / (n_batches - 1)) if n_batches > 1 else float("nan")


def scib_scaled_clisi(clisi: float, n_labels: int) -> float:
    """scib's scaled cLISI, (labels − cLISI) / (labels − 1): 1 labels apart, 0 all mixed."""
    return _unit((n_labels - clisi) / (n_labels - 1)) if n_labels > 1 else float("nan")


def _unit(x: float) -> float:
    return float(min(max(x, 0.0), 1.0)) if np.isfinite(x) else float("nan")
