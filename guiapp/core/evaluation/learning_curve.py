"""The learning curve (Tip 7): training and tune score against the size of the training set,
for the network and for the best baseline.

Each point retrains on a seeded, class-stratified share of the training split (the network
with the study's configuration and early stopping on the tune split, the baseline with its
own pipeline) and scores it on that share and on the whole tune split. A tune score still
rising at the right end says more samples would likely help; a wide, lasting train/tune gap
says the model memorises.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from guiapp.core.evaluation.common import baseline_pipeline, require_trained
from guiapp.core.models import retrain
from guiapp.core.models.baselines import model_output
from guiapp.core.models.network import predict
from guiapp.core.models.retrain import small_table_threads
from guiapp.core.split.draw import train_tune_arrays
from guiapp.core.stats.metrics import DISPLAY_NAMES, HIGHER_IS_BETTER, score
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.model import Study
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext

DEFAULT_FRACTIONS = (0.25, 0.5, 1.0)
STILL_RISING = 0.01  # tune score gained over the last step that counts as "still improving"
MIN_ROWS = 10


def training_subset(y: np.ndarray, fraction: float, seed: int, classification: bool) -> np.ndarray:
    """Indices of a ``fraction`` of the training rows, keeping the class shares where it can."""
    n = len(y)
    if fraction >= 1.0:
        return np.arange(n)
    size = max(MIN_ROWS, int(round(fraction * n)))
    if size >= n:
        return np.arange(n)
    from sklearn.model_selection import train_test_split  # sklearn: imported lazily so the window opens fast

    idx = np.arange(n)
    try:
        keep, _ = train_test_split(idx, train_size=size, random_state=seed, stratify=y if classification else None)
    except ValueError:  # a class too small to stratify at this size
        keep, _ = train_test_split(idx, train_size=size, random_state=seed)
    return np.sort(keep)


@small_table_threads
def learning_curve(
    study: Study,
    fractions: Sequence[float] = DEFAULT_FRACTIONS,
    *,
    baseline: bool = True,
    ctx: TaskContext = NO_CONTEXT,
) -> dict:
    """Score vs training-set share for the network and the best baseline; recorded on the study."""
    require_trained(study)
    fractions = sorted({float(f) for f in fractions})
    if not fractions or fractions[0] <= 0 or fractions[-1] > 1:
        raise TenfoldError("Learning-curve shares must lie between 0 and 1 (e.g. 0.25, 0.5, 1).")
    X_tr, y_tr, X_tu, y_tu = train_tune_arrays(study)
    metric, task = study.primary_metric, study.question.task
    threshold = study.evaluation.threshold
    best = _best_baseline(study, metric) if baseline else None
    net: dict[str, list[float]] = {"train": [], "tune": []}
    base_scores: dict[str, list[float]] = {"train": [], "tune": []}
    sizes = []
    steps = len(fractions) * (2 if best else 1)
    done = 0
    for f in fractions:
        keep = training_subset(y_tr, f, study.split.seed, study.is_classification)
        if study.is_classification and len(np.unique(y_tr[keep])) < 2:
            raise TenfoldError(
                f"A {f:.0%} share of the training split holds a single class; "
                "choose larger shares for the learning curve."
            )
        sizes.append(int(len(keep)))
        ctx.check()
        ctx.report(done / steps, f"Network on {len(keep)} training samples ({f:.0%})")
        model = retrain.fit_network(study, X_tr[keep], y_tr[keep], X_tu, y_tu, seed=study.train.seed, ctx=ctx)
        net["train"].append(score(metric, y_tr[keep], predict(study, X_tr[keep], model=model), threshold))
        net["tune"].append(score(metric, y_tu, predict(study, X_tu, model=model), threshold))
        done += 1
        if best:
            ctx.check()
            ctx.report(done / steps, f"Baseline {best} on {len(keep)} training samples")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # convergence notes on a small share
                pipe = baseline_pipeline(study, best).fit(X_tr[keep], y_tr[keep])
            base_scores["train"].append(score(metric, y_tr[keep], model_output(pipe, X_tr[keep], task), threshold))
            base_scores["tune"].append(score(metric, y_tu, model_output(pipe, X_tu, task), threshold))
            done += 1
    base = {"name": best, **base_scores} if best else None
    result = {"metric": metric, "fractions": fractions, "n_train": sizes, "network": net, "baseline": base}
    result["reading"] = reading(result)
    study.overfitting.learning_curve = result
    ctx.report(1.0, "Learning curve done")
    return result


def _best_baseline(study: Study, metric: str) -> str | None:
    scored = [
        r
        for r in study.baselines.results
        if r["tune_metrics"].get(metric) is not None and np.isfinite(r["tune_metrics"][metric])
    ]
    if not scored:
        return None
    sign = 1 if HIGHER_IS_BETTER.get(metric, True) else -1
    return max(scored, key=lambda r: sign * r["tune_metrics"][metric])["name"]


def reading(result: dict) -> str:
    """The curve in words: still rising, flat, and the gap at full size."""
    name = DISPLAY_NAMES.get(result["metric"], result["metric"])
    sign = 1 if HIGHER_IS_BETTER.get(result["metric"], True) else -1
    tune, train = result["network"]["tune"], result["network"]["train"]
    if len(tune) < 2:
        trend = "Only one training size was scored, so the curve shows no trend."
    else:
        gain = sign * (tune[-1] - tune[-2])
        trend = (
            f"The network's tune {name} still rises from {result['n_train'][-2]} to "
            f"{result['n_train'][-1]} training samples ({tune[-2]:.3f} → {tune[-1]:.3f}): more "
            "samples would likely help."
            if gain > STILL_RISING
            else f"The network's tune {name} has levelled off ({tune[-2]:.3f} → {tune[-1]:.3f}): more "
            "samples of the same kind are unlikely to help much."
        )
    gap = sign * (train[-1] - tune[-1])
    text = f"{trend} At full size the train/tune gap is {gap:.3f}."
    base = result.get("baseline")
    if base and base["tune"]:
        text += f" The baseline ({base['name']}) reaches {base['tune'][-1]:.3f} on the tune split at full size."
    return text
