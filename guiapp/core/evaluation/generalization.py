"""Generalizability without external data, and the stability of what the model relies on.

:func:`leave_one_batch_out` trains on all batches but one and scores the held-out one, for
each batch of the development rows (training and tune; the sealed test set stays sealed). It
gives the spread of the score across batches. It is an **estimate**, not external validation:
the batches come from the same study, its protocol and its preprocessing. The cost is bounded:
the best baseline with its tuned settings, and the network with the chosen settings for at most
``network_epochs`` epochs, on at most ``max_batches`` batches.

:func:`attribution_stability` refits the network on bootstrap resamples of the training split
and asks whether the same features come out on top: the Spearman correlation of the
attributions (gradient × input, on the tune rows) over the union of each pair's top-k features.
"""

from __future__ import annotations

import warnings
from itertools import combinations

import numpy as np

from guiapp.core.evaluation.common import baseline_pipeline, require_trained
from guiapp.core.models import retrain
from guiapp.core.models.baselines import model_output
from guiapp.core.models.network import load_trained_model, predict
from guiapp.core.models.retrain import small_table_threads
from guiapp.core.split.draw import model_rows, require_split, train_tune_arrays
from guiapp.core.stats.metrics import HIGHER_IS_BETTER, score
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.model import Study
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext

LOBO_EPOCHS = 20
LOBO_MAX_BATCHES = 12
STABILITY_REFITS = 3
STABILITY_EPOCHS = 30
ESTIMATE_NOTE = (
    "An estimate from the study's own batches (leave one batch out), not external validation: "
    "the batches share the study's protocol, lab and preprocessing. Only an independent cohort "
    "shows how the model travels."
)


def _dev_rows(study: Study):
    from guiapp.core.data.attach import model_frame  # pulls pandas: imported lazily so the window opens fast

    require_split(study)
    X, y, rows = model_frame(study)
    dev = np.sort(np.r_[np.asarray(study.split.train_idx, dtype=int), np.asarray(study.split.tune_idx, dtype=int)])
    return model_rows(study, X, y, rows, dev), y[dev], rows.iloc[dev]


@small_table_threads
def leave_one_batch_out(
    study: Study,
    *,
    network: bool = True,
    network_epochs: int = LOBO_EPOCHS,
    max_batches: int = LOBO_MAX_BATCHES,
    ctx: TaskContext = NO_CONTEXT,
) -> dict:
    """Score each held-out batch with models trained on the other batches; record the spread."""
    col = study.data.batch
    if not col:
        raise TenfoldError("A leave-one-batch-out estimate needs a batch column: choose it on the Data page.")
    X, y, rows = _dev_rows(study)
    batches = rows[col].astype(str).to_numpy()
    names, counts = np.unique(batches, return_counts=True)
    if len(names) < 2:
        raise TenfoldError(
            f"A leave-one-batch-out estimate needs at least two batches; {col!r} has one outside the sealed test set."
        )
    order = np.argsort(-counts, kind="stable")[:max_batches]  # the largest batches when there are many
    names = names[order]
    metric = study.primary_metric
    models = _lobo_models(study, network)
    epochs = max(1, min(int(network_epochs), retrain.chosen_epochs(study)))
    per_batch = []
    for i, b in enumerate(names):
        ctx.check()
        ctx.report(i / len(names), f"Holding out batch {b}")
        held = batches == b
        scores: dict[str, float | None] = {}
        entry = {"batch": str(b), "n": int(held.sum()), "scores": scores}
        if study.is_classification and len(np.unique(y[~held])) < len(np.unique(y)):
            entry["note"] = "the other batches lack a class: not scored"
            per_batch.append(entry)
            continue
        for name, kind in models.items():
            value = _held_out_score(study, name, kind, X, y, held, epochs, ctx=ctx)
            scores[name] = value if np.isfinite(value) else None
        per_batch.append(entry)
    result = {
        "kind": "estimate",
        "method": "leave-one-batch-out",
        "note": ESTIMATE_NOTE,
        "metric": metric,
        "batch_column": col,
        "models": list(models),
        "network_epochs": epochs if "network" in models else None,
        "per_batch": per_batch,
        "summary": _lobo_summary(models, per_batch, metric),
        "rows": "training and tune rows only; the sealed test set is not used",
    }
    study.evaluation.generalization = result
    ctx.report(1.0, "Leave-one-batch-out estimate done")
    return result


def _lobo_models(study: Study, network: bool) -> dict:
    """The models the estimate retrains: the best baseline and, when asked and trained, the network."""
    best = study.baselines.best(study.primary_metric)
    models = {}
    if best is not None:
        models[best["name"]] = "baseline"
    if network and study.train.weights:
        models["network"] = "network"
    if not models:
        raise TenfoldError("Fit the baselines (or train the network) first: the estimate retrains them.")
    return models


def _held_out_score(
    study: Study, name: str, kind: str, X, y, held, epochs: int, *, ctx: TaskContext = NO_CONTEXT
) -> float:
    """One model trained without the held-out batch, scored on it."""
    if kind == "baseline":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pipe = baseline_pipeline(study, name).fit(X[~held], y[~held])
        out = model_output(pipe, X[held], study.question.task)
    else:
        net = retrain.fit_network(study, X[~held], y[~held], seed=study.train.seed, epochs=epochs, ctx=ctx)
        out = predict(study, X[held], model=net)
    return float(score(study.primary_metric, y[held], out, study.evaluation.threshold))


def _lobo_summary(models: dict, per_batch: list, metric: str) -> dict:
    """Per model: the worst, mean and best held-out batch, and the spread."""
    sign = 1 if HIGHER_IS_BETTER.get(metric, True) else -1
    summary = {}
    for name in models:
        values = [e["scores"][name] for e in per_batch if e["scores"].get(name) is not None]
        if values:
            worst = min(values, key=lambda v: sign * v)
            summary[name] = {
                "worst": worst,
                "mean": float(np.mean(values)),
                "best": max(values, key=lambda v: sign * v),
                "spread": float(np.ptp(values)),
                "n_batches": len(values),
                "worst_batch": next(e["batch"] for e in per_batch if e["scores"].get(name) == worst),
            }
    return summary


def estimate_model(result: dict) -> str | None:
    """The model whose held-out-batch scores stand for the study: the network when it was retrained."""
    summary = (result or {}).get("summary") or {}
    if "network" in summary:
        return "network"
    return next(iter(summary), None)


def _gradient_x_input(study: Study, model, X: np.ndarray) -> np.ndarray:
    """Mean |gradient × input| per feature (of the predicted class's output, or the prediction)."""
    import torch  # torch: imported lazily so the window opens fast

    x = torch.as_tensor(X, dtype=torch.float32).requires_grad_(True)
    out = model(x)
    if study.is_classification:
        target = out.gather(1, out.argmax(dim=1, keepdim=True)).sum()
    else:
        target = out.sum()
    (grad,) = torch.autograd.grad(target, x)
    centre = torch.as_tensor(np.nanmean(X, axis=0), dtype=torch.float32)
    return (grad * (torch.nan_to_num(x.detach()) - torch.nan_to_num(centre))).abs().mean(dim=0).numpy()


def top_k_rank_correlation(a: np.ndarray, b: np.ndarray, k: int) -> float:
    """Spearman correlation of two attribution vectors over the union of their top-k features."""
    from scipy.stats import spearmanr  # scipy: imported lazily so the window opens fast

    union = np.union1d(np.argsort(-a, kind="stable")[:k], np.argsort(-b, kind="stable")[:k])
    if len(union) < 3:
        return 1.0 if set(np.argsort(-a)[:k]) == set(np.argsort(-b)[:k]) else 0.0
    rho = spearmanr(a[union], b[union])[0]
    return float(rho) if np.isfinite(rho) else 0.0


@small_table_threads
def attribution_stability(
    study: Study,
    *,
    refits: int = STABILITY_REFITS,
    k: int | None = None,
    epochs: int = STABILITY_EPOCHS,
    ctx: TaskContext = NO_CONTEXT,
) -> dict:
    """Refit the network on bootstrap resamples of the training split; compare their top-k features."""
    require_trained(study)
    k = int(k or study.question.interpretability_top_k or 10)
    k = max(1, min(k, len(study.data.feature_columns)))
    X_tr, y_tr, X_tu, _ = train_tune_arrays(study)
    rng = np.random.default_rng(study.split.seed)
    vectors = [_gradient_x_input(study, load_trained_model(study), X_tu)]
    n_epochs = max(1, min(int(epochs), retrain.chosen_epochs(study)))
    for r in range(int(refits)):
        ctx.check()
        ctx.report(r / max(refits, 1), f"Bootstrap refit {r + 1} of {refits}")
        idx = rng.integers(0, len(X_tr), len(X_tr))
        if study.is_classification and len(np.unique(y_tr[idx])) < len(np.unique(y_tr)):
            idx = np.r_[idx, [np.flatnonzero(y_tr == c)[0] for c in np.unique(y_tr)]]
        net = retrain.fit_network(study, X_tr[idx], y_tr[idx], seed=study.train.seed + r + 1, epochs=n_epochs, ctx=ctx)
        vectors.append(_gradient_x_input(study, net, X_tu))
    pairs = [top_k_rank_correlation(a, b, k) for a, b in combinations(vectors, 2)]
    names = study.data.feature_columns
    tops = [[names[j] for j in np.argsort(-v, kind="stable")[:k]] for v in vectors]
    always = [f for f in tops[0] if all(f in t for t in tops[1:])]
    result = {
        "k": k,
        "refits": int(refits),
        "epochs": n_epochs,
        "mean_rho": float(np.mean(pairs)) if pairs else None,
        "min_rho": float(np.min(pairs)) if pairs else None,
        "pairs": [round(p, 4) for p in pairs],
        "always_top": always,
        "method": "gradient × input on the tune rows; the trained network and "
        f"{refits} networks refitted on bootstrap resamples of the training split",
    }
    study.interpret.stability = result
    ctx.report(1.0, "Attribution stability measured")
    return result
