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
points on large data; the result says how many. Each metric is computed in its own module
(:mod:`~guiapp.core.batch.silhouettes`, :mod:`~guiapp.core.batch.neighbourhoods`,
:mod:`~guiapp.core.batch.regression`) and can be imported from here too.
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
from guiapp.core.batch.regression import (  # part of this module's public face, as the neighbourhood metrics
    PREDICT_PERMUTATIONS,
    batch_predictability,
    pc_regression,
)
from guiapp.core.batch.silhouettes import plain_batch_silhouette, scib_batch_asw, silhouette_samples
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext

MAX_SAMPLES = 10_000  # silhouettes, LISI and kBET: a seeded sample of at most this many points
PREDICT_MAX_SAMPLES = 5_000  # the batch classifier and its permutations
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


def subsample(n: int, size: int, seed: int = 0) -> np.ndarray | None:
    """Sorted indices of a seeded sample of ``size`` of ``n`` points; None when all are kept."""
    if n <= size:
        return None
    return np.sort(np.random.default_rng(seed).choice(n, size, replace=False))


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
    ctx: TaskContext = NO_CONTEXT,
) -> BatchMetrics:
    """Every batch metric on ``pcs`` (``labels`` None for regression: no strata, no cLISI)."""
    pcs = np.asarray(pcs, dtype=np.float64)
    batches = np.asarray(batches).astype(str)
    labels = None if labels is None else np.asarray(labels).astype(str)
    n = len(pcs)
    pick = subsample(n, max_samples, seed)
    X, b = (pcs, batches) if pick is None else (pcs[pick], batches[pick])
    lab = None if labels is None else (labels if pick is None else labels[pick])
    out: dict = {}
    ctx.report(0.05, "Batch silhouette")
    ctx.check()
    _silhouettes(out, X, b, lab, ctx=ctx)
    ctx.report(0.3, "Neighbourhoods: iLISI, cLISI, kBET")
    ctx.check()
    _neighbourhood_metrics(
        out,
        X,
        b,
        lab,
        n_batches=len(np.unique(batches)),
        n_labels=0 if labels is None else len(np.unique(labels)),
        seed=seed,
        ctx=ctx,
    )
    ctx.report(0.5, "Principal-component regression")
    out["pcr_batch"] = _result(
        "pcr_batch",
        pc_regression(pcs, explained_variance, batches),
        0,
        1,
        extra={"components": pcs.shape[1], "points": n},
    )
    ctx.report(0.6, "Predicting the batch from the components")
    ctx.check()
    out["predictability"] = _predictability(pcs, batches, labels, predict_max_samples, n_permutations, seed, ctx=ctx)
    ctx.report(1.0, "Batch metrics done")
    return BatchMetrics(results=out, n_points=n, sample_size=None if pick is None else len(pick))


def _result(key: str, value, low: float, high: float, **kw) -> MetricResult:
    """A :class:`MetricResult` with its name, meaning and traffic light (judged on the
    normalised value when there is one, unless ``light`` is given)."""
    judged = kw.get("normalised", value)
    light = kw.pop("light", None) or traffic_light(key, judged)
    return MetricResult(key, NAMES[key], None if value is None else float(value), low, high, MEANINGS[key], light, **kw)


def _silhouettes(
    out: dict, X: np.ndarray, b: np.ndarray, lab: np.ndarray | None, *, ctx: TaskContext = NO_CONTEXT
) -> None:
    """The plain batch silhouette and scib's batch ASW, into ``out``."""
    out["silhouette"] = _result("silhouette", plain_batch_silhouette(X, b, ctx=ctx), -1, 1)
    asw = scib_batch_asw(X, b, lab, ctx=ctx) if lab is not None else None
    if asw is None:  # no label, or no label with two batches: scib's form without labels
        asw = float(np.mean(1 - np.abs(silhouette_samples(X, b, ctx=ctx))))
    out["batch_asw"] = _result("batch_asw", asw, 0, 1)


def _neighbourhood_metrics(
    out: dict,
    X: np.ndarray,
    b: np.ndarray,
    lab: np.ndarray | None,
    *,
    n_batches: int,
    n_labels: int,
    seed: int,
    ctx: TaskContext = NO_CONTEXT,
) -> None:
    """iLISI, cLISI (with labels) and the kBET rejection rate on the sampled points, into ``out``."""
    knn = neighbours(X, LISI_NEIGHBORS)
    ilisi = float(np.median(lisi(X, b, knn=knn)))
    mixed = inverse_simpson(b)
    share = _unit((ilisi - 1) / (mixed - 1))
    out["ilisi"] = _result(
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
        out["clisi"] = _result(
            "clisi",
            clisi,
            1,
            n_labels,
            normalised=scib_scaled_clisi(clisi, len(np.unique(lab))),
            light=traffic_light("clisi", apart),
            extra={
                "perfectly_mixed": label_mix,
                "share_apart": apart,
                "scaled": SCALED["clisi"],
                "perplexity": PERPLEXITY,
            },
        )
    ctx.check()
    kbet = kbet_rejection_rate(X, b, seed=seed)
    out["kbet_rejection"] = _result(
        "kbet_rejection",
        kbet,
        0,
        1,
        extra={"alpha": KBET_ALPHA, "neighbors": min(KBET_NEIGHBORS, len(X) - 1), "tested": min(KBET_TESTS, len(X))},
    )


def _predictability(
    pcs: np.ndarray,
    batches: np.ndarray,
    labels: np.ndarray | None,
    predict_max_samples: int,
    n_permutations: int,
    seed: int,
    *,
    ctx: TaskContext = NO_CONTEXT,
) -> MetricResult:
    """Batch predictability on a seeded sample of at most ``predict_max_samples`` points; green
    whenever the permutation test finds no more than chance."""
    n = len(pcs)
    ppick = subsample(n, predict_max_samples, seed)
    pr = batch_predictability(
        pcs if ppick is None else pcs[ppick],
        batches if ppick is None else batches[ppick],
        None if labels is None else (labels if ppick is None else labels[ppick]),
        n_permutations=n_permutations,
        seed=seed,
        ctx=ctx,
    )
    light = None
    if pr["score"] is not None and pr["p_value"] is not None and pr["p_value"] > PREDICT_ALPHA:
        light = GREEN
    return _result(
        "predictability",
        pr["score"],
        0,
        1,
        light=light,
        extra={**{k: v for k, v in pr.items() if k != "score"}, "points": n if ppick is None else len(ppick)},
    )


SCALED = {"ilisi": "scaled iLISI (scib)", "clisi": "scaled cLISI (scib)"}


def scib_scaled_ilisi(ilisi: float, n_batches: int) -> float:
    """scib's scaled iLISI, (iLISI − 1) / (batches − 1): 0 batches apart, 1 all batches mixed."""
    return _unit((ilisi - 1) / (n_batches - 1)) if n_batches > 1 else float("nan")


def scib_scaled_clisi(clisi: float, n_labels: int) -> float:
    """scib's scaled cLISI, (labels − cLISI) / (labels − 1): 1 labels apart, 0 all mixed."""
    return _unit((n_labels - clisi) / (n_labels - 1)) if n_labels > 1 else float("nan")


def _unit(x: float) -> float:
    return float(min(max(x, 0.0), 1.0)) if np.isfinite(x) else float("nan")
