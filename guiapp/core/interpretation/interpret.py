"""Interpretation (Tips 8 and 9): which features the network leans on, measured on tune data,
checked against the linear baseline, with the over-interpretation guards beside it.

- Permutation importance shuffles one feature at a time and measures the drop in the tune
  score (model-agnostic). Image studies shuffle square patches and sequence studies whole
  positions (all letters together, so a one-hot position stays one letter): thousands of
  single pixels would take hours and each says little.
- Integrated gradients (captum) attribute each tune prediction to the features, from the
  training means (the network's own standardisation centre) to the sample.
- The linear baseline (logistic or ridge regression on standardised features, refitted on
  the training split) gives a second, simpler ranking; the overlap of the two top lists says
  how much a ranking depends on the model.

For image and sequence studies the integrated gradients are also put back in place as maps
(:mod:`guiapp.core.interpretation.attribution_maps`): a heat map over the image, a profile over the sequence.
All of it shows what the model uses, not what causes the biology.
"""

from __future__ import annotations

from importlib.util import find_spec
from typing import cast

import numpy as np

from guiapp.core.evaluation import guards
from guiapp.core.evaluation.common import require_trained
from guiapp.core.interpretation import attribution_maps
from guiapp.core.models.baselines import fitted_baseline
from guiapp.core.models.network import load_trained_model, predict, training_statistics
from guiapp.core.models.retrain import small_table_threads
from guiapp.core.split.draw import train_tune_arrays
from guiapp.core.stats.metrics import HIGHER_IS_BETTER, score
from guiapp.core.study.findings import Findings
from guiapp.core.study.model import Study
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext

CAVEAT = (
    "Importance says what this model relies on for these samples, not what drives the "
    "biology. Correlated features share importance, and a batch-linked feature can rank "
    "high for the wrong reason (Tip 9)."
)
IG_STEPS = 32
AGREEMENT_K = 10
KEEP = 50  # features kept in the study per ranking


@small_table_threads
def permutation_importance(
    study: Study,
    n_repeats: int = 5,
    top: int = 20,
    *,
    ctx: TaskContext = NO_CONTEXT,
) -> list[dict]:
    require_trained(study)
    result = _permutation_drops(study, n_repeats, ctx=ctx)
    rows = _importance_rows(result, top)
    study.interpret.metric = result["metric"]
    study.interpret.importances = rows
    ctx.report(1.0, "Importance done")
    return rows


def _importance_rows(result: dict, top: int) -> list[dict]:
    order = np.argsort(-result["mean"])
    return [
        {"feature": result["names"][g], "mean": float(result["mean"][g]), "std": float(result["std"][g])}
        for g in order[:top]
    ]


def _permutation_drops(study: Study, n_repeats: int, *, ctx: TaskContext = NO_CONTEXT) -> dict:
    """Score drops when each group of columns is shuffled (one feature, an image patch, a
    sequence position), and the drop spread over each group's features (``per_feature``)."""
    _, _, X, y = train_tune_arrays(study)
    model = load_trained_model(study)
    metric = study.primary_metric
    threshold = study.evaluation.threshold
    sign = 1 if HIGHER_IS_BETTER[metric] else -1
    base = score(metric, y, predict(study, X, model=model), threshold)
    rng = np.random.default_rng(study.train.seed)
    groups = attribution_maps.feature_groups(study)
    n = len(X)
    drops = np.zeros((len(groups), n_repeats))
    for g, (_, columns) in enumerate(groups):
        ctx.check()
        ctx.report(g / len(groups), f"Shuffling {'feature' if len(columns) == 1 else 'group'} {g + 1} of {len(groups)}")
        # All repeats of one group in one forward pass: the per-call overhead dominates small tables.
        stacked = np.repeat(X[None], n_repeats, axis=0)
        for r in range(n_repeats):
            # one permutation for the whole group, so a patch or a one-hot position stays whole
            stacked[r][:, columns] = X[rng.permutation(n)][:, columns]
        out = predict(study, stacked.reshape(n_repeats * n, -1), model=model)
        for r in range(n_repeats):
            drops[g, r] = sign * (base - score(metric, y, out[r * n : (r + 1) * n], threshold))
    mean = drops.mean(axis=1)
    per_feature = np.zeros(X.shape[1])
    for g, (_, columns) in enumerate(groups):
        per_feature[columns] = mean[g] / len(columns)
    return {
        "metric": metric,
        "mean": mean,
        "std": drops.std(axis=1),
        "names": [name for name, _ in groups],
        "per_feature": per_feature,
    }


def captum_available() -> bool:
    """Whether captum is installed, without importing it (that would import torch)."""
    return find_spec("captum") is not None


def integrated_gradients(study: Study, n_steps: int = IG_STEPS, *, ctx: TaskContext = NO_CONTEXT) -> dict:
    """Integrated gradients of the network on the tune rows, per feature.

    Classification attributes the probability of the positive class (binary) or of each
    sample's predicted class (multiclass); regression the prediction. Returns
    ``{"target", "mean_abs": array, "mean": array, "direction": array}`` over the feature
    columns; ``direction`` is the correlation of a feature's value with its attribution
    (> 0: higher values push the output up). ``attributions`` and ``inputs`` keep the
    per-sample values, and ``forward`` and ``target`` what captum attributed, for the maps of
    image and sequence studies.
    """
    # torch and captum: imported lazily so the window opens fast
    import torch
    from captum.attr import IntegratedGradients

    X_tr, _, X, _ = train_tune_arrays(study)
    model = load_trained_model(study)
    # The baseline input is the training mean: the network's own standardisation centre.
    first = model[0] if isinstance(model, torch.nn.Sequential) else None
    if first is not None and hasattr(first, "center") and hasattr(first, "fill"):
        fill, centre = cast(torch.Tensor, first.fill), cast(torch.Tensor, first.center)  # the layer's buffers
    else:
        centre, _, fill = (torch.as_tensor(a) for a in training_statistics(X_tr))
    x = torch.as_tensor(X, dtype=torch.float32)
    x = torch.where(torch.isnan(x), fill, x)  # gradients need finite inputs
    baseline = centre.expand_as(x).clone()
    if study.is_classification:

        def forward(inputs):
            return torch.softmax(model(inputs), dim=1)

        with torch.no_grad():
            probs = forward(x)
        if probs.shape[1] == 2:
            target, what = 1, f"probability of {study.data.classes[1]!r}"
        else:
            target, what = probs.argmax(dim=1), "probability of the predicted class"
    else:

        def forward(inputs):
            return model(inputs).squeeze(1)

        target, what = None, "the predicted value"
    ig = IntegratedGradients(forward)
    chunks = []
    # captum evaluates n_steps copies of each row at once: keep a chunk near 4 million values
    # (an image of 64 × 64 pixels gets 32 rows a chunk, a table of 30 features 512).
    step = int(max(1, min(512, 2**22 // max(1, x.shape[1] * n_steps))))
    for i in range(0, len(x), step):
        ctx.check()
        ctx.report(i / max(len(x), 1), "Integrated gradients")
        t = target if not isinstance(target, torch.Tensor) else target[i : i + step]
        attr = ig.attribute(x[i : i + step], baselines=baseline[i : i + step], target=t, n_steps=n_steps)
        chunks.append(attr.detach().numpy())
    attr = np.concatenate(chunks) if chunks else np.zeros((0, x.shape[1]))
    xv = x.numpy() - x.numpy().mean(axis=0)
    av = attr - attr.mean(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        direction = (xv * av).sum(axis=0) / np.sqrt((xv**2).sum(axis=0) * (av**2).sum(axis=0))
    return {
        "target": what,
        "mean_abs": np.abs(attr).mean(axis=0),
        "mean": attr.mean(axis=0),
        "direction": np.nan_to_num(direction),
        "attributions": attr,
        "inputs": x.numpy(),
        "forward": forward,
        "target_index": target,
    }


def linear_coefficients(study: Study) -> np.ndarray:
    """Coefficients of the linear baseline (its tuned settings, when it was tuned) refitted on the
    training split, on standardised features.

    Binary: toward the second class; multiclass: mean absolute coefficient over classes.
    """
    X_tr, y_tr, _, _ = train_tune_arrays(study)
    name = "logistic_regression" if study.is_classification else "ridge"
    pipe = fitted_baseline(study, name, X_tr, y_tr)
    coef = np.atleast_2d(pipe.named_steps["model"].coef_)
    return coef[0] if coef.shape[0] == 1 else np.abs(coef).mean(axis=0)


def agreement(network: np.ndarray, linear: np.ndarray, names: list, k: int = AGREEMENT_K) -> dict:
    """Overlap of the top-k features of two rankings, and their rank correlation over all features."""
    from scipy.stats import spearmanr  # scipy: imported lazily so the window opens fast

    k = max(1, min(k, len(names) // 2 or 1))
    top_net = [names[j] for j in np.argsort(-network, kind="stable")[:k]]
    top_lin = [names[j] for j in np.argsort(-np.abs(linear), kind="stable")[:k]]
    shared = [f for f in top_net if f in top_lin]
    rho = float(spearmanr(network, np.abs(linear))[0]) if len(names) > 2 and np.ptp(network) > 0 else None
    return {
        "k": k,
        "overlap": len(shared) / k,
        "shared_count": len(shared),
        "shared": shared,
        "network_top": top_net,
        "linear_top": top_lin,
        "spearman": rho if rho is None or np.isfinite(rho) else None,
    }


@small_table_threads
def interpret_model(
    study: Study,
    n_repeats: int = 5,
    top: int = 20,
    attributions: bool = True,
    *,
    ctx: TaskContext = NO_CONTEXT,
) -> dict:
    """The Interpret step: permutation importance, integrated gradients, agreement with the
    linear baseline, and the over-interpretation guards (findings and caveats)."""
    require_trained(study)
    names = study.data.feature_columns
    it = study.interpret
    drops = _permutation_drops(study, n_repeats, ctx=ctx.sub(0.0, 0.6))
    it.metric = drops["metric"]
    it.importances = _importance_rows(drops, top)
    network_rank = drops["per_feature"]
    it.attributions, it.attribution_note, it.maps = [], "", {}
    if attributions and captum_available():
        ig = integrated_gradients(study, ctx=ctx.sub(0.6, 0.8))
        keep = np.argsort(-ig["mean_abs"])[: max(top, KEEP)]
        it.attributions = [
            {
                "feature": names[j],
                "mean_abs": float(ig["mean_abs"][j]),
                "mean": float(ig["mean"][j]),
                "direction": round(float(ig["direction"][j]), 4),
            }
            for j in keep
        ]
        it.attribution_note = f"Integrated gradients of the {ig['target']}, from the training means, {IG_STEPS} steps."
        network_rank = ig["mean_abs"]
        ctx.report(0.8, "Drawing the attribution maps")
        it.maps = attribution_maps.build_maps(
            study, ig["attributions"], ig["inputs"], forward=ig["forward"], target=ig["target_index"]
        )
    elif attributions:
        it.attribution_note = (
            "Integrated gradients need the captum package, which is not installed; "
            "permutation importance is shown alone"
            + (", without attribution maps." if attribution_maps.modality(study) else ".")
        )
    ctx.check()
    ctx.report(0.85, "Comparing with the linear baseline")
    coef = linear_coefficients(study)
    keep = np.argsort(-np.abs(coef))[: max(top, KEEP)]
    it.linear = [{"feature": names[j], "coef": float(coef[j])} for j in keep]
    it.agreement = agreement(network_rank, coef, names)
    it.agreement["network_measure"] = "integrated gradients" if it.attributions else "permutation importance"
    ctx.report(0.95, "Looking for batch-linked features")
    top_names = [names[j] for j in np.argsort(-network_rank)[: guards.TOP_FOR_BATCH]]
    associations = guards.batch_associated_features(study, top_names)
    it.agreement["batch_eta2"] = associations
    guards.replace_findings(
        study,
        "interpret",
        {Findings.top_features_batch_associated.code},
        guards.batch_findings(study, associations, len(top_names)),
    )
    it.guards = guards.guard_texts(study)
    ctx.report(1.0, "Interpretation done")
    return {
        "importances": it.importances,
        "attributions": it.attributions,
        "agreement": it.agreement,
        "guards": it.guards,
        "maps": it.maps,
    }
