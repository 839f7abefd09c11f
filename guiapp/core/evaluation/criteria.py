"""Generalizability, interpretability and efficiency criteria (Tip 4): the measurements.

The Question page and the spec set the criteria (``study.question``); the scoreboard's rows for
them are :mod:`guiapp.core.evaluation.criteria_rows`:

- **Generalizability**: the worst external cohort (or, without one, the worst held-out batch of
  the leave-one-batch-out *estimate*) reaches ``min_generalization``; the drop from the internal
  test set stays within ``max_generalization_drop``.
- **Interpretability**: attributions stable across bootstrap refits (rank correlation of the top-k
  ≥ ``min_attribution_stability``); agreement with the linear baseline's top-k
  (≥ ``min_linear_agreement``); the named ``known_markers`` among the top-k. Calibration (ECE) is
  the scoreboard's own row.
- **Efficiency**: peak inference memory (``max_inference_memory_mb``) and throughput
  (``min_throughput``), beside FLOPs per sample and the performance per FLOP of the baselines.

:func:`measure_efficiency` measures the network's peak inference memory with forward hooks and
estimates each baseline's FLOPs per sample from its fitted form.
"""

from __future__ import annotations

import warnings

import numpy as np

from guiapp.core.evaluation import generalization, scoreboard
from guiapp.core.evaluation.common import baseline_pipeline, replace_findings
from guiapp.core.evaluation.criteria_rows import MEMORY_BATCH, headline_score
from guiapp.core.models.baselines import model_output
from guiapp.core.models.network import load_trained_model
from guiapp.core.models.retrain import small_table_threads
from guiapp.core.split.draw import train_tune_arrays
from guiapp.core.stats.metrics import score
from guiapp.core.study.findings import Findings
from guiapp.core.study.model import Study
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext

# ----- measurements -----------------------------------------------------------------------------


def baseline_flops(pipe, n_features: int) -> int | None:
    """Estimated FLOPs per sample of a fitted baseline pipeline (imputation and scaling included)."""
    model = pipe.named_steps["model"]
    pre = 3 * n_features  # impute check, subtract, divide
    m = model
    if hasattr(model, "calibrated_classifiers_"):  # the SVM inside its Platt scaling
        m = model.calibrated_classifiers_[0].estimator
    elif hasattr(model, "regressor_"):  # the SVR inside its target scaling
        m = model.regressor_
    if hasattr(m, "support_vectors_"):
        return pre + int(len(m.support_vectors_) * (3 * n_features + 2))
    if hasattr(m, "coef_"):
        return pre + 2 * int(np.asarray(m.coef_).size)
    if hasattr(m, "estimators_"):
        trees = np.ravel(m.estimators_)
        return pre + int(sum(t.get_depth() for t in trees) * 2)
    if hasattr(m, "n_samples_fit_"):
        return pre + int(m.n_samples_fit_) * 3 * n_features
    if hasattr(m, "theta_"):
        return pre + 4 * int(np.asarray(m.theta_).size)
    if type(m).__name__.startswith("Dummy"):
        return 0
    return None


def _peak_inference_mb(model, n_features: int, batch: int = MEMORY_BATCH) -> float:
    """Weights plus the largest input + output activations alive during one forward pass."""
    import torch  # torch: imported lazily so the window opens fast

    sizes = []

    def hook(module, inputs, output):
        size_in = sum(t.numel() * t.element_size() for t in inputs if torch.is_tensor(t))
        size_out = output.numel() * output.element_size() if torch.is_tensor(output) else 0
        sizes.append(size_in + size_out)

    leaves = [m for m in model.modules() if not list(m.children())]
    handles = [m.register_forward_hook(hook) for m in leaves]
    try:
        with torch.no_grad():
            model(torch.zeros((batch, n_features), dtype=torch.float32))
    finally:
        for h in handles:
            h.remove()
    weights = sum(p.numel() * p.element_size() for p in model.parameters())
    weights += sum(b.numel() * b.element_size() for b in model.buffers())
    return (weights + max(sizes or [0])) / 2**20


@small_table_threads
def measure_efficiency(study: Study, *, ctx: TaskContext = NO_CONTEXT) -> dict:
    """Peak inference memory of the network; FLOPs per sample and performance per FLOP beside the baselines'."""
    ctx.report(0.0, "Measuring peak inference memory")
    n_features = len(study.data.feature_columns)
    peak = _peak_inference_mb(load_trained_model(study), n_features)
    metric = study.primary_metric
    split, value = headline_score(study)
    flops = int(study.architecture.flops or 0)
    per_flop = [
        {
            "name": "network",
            "flops": flops,
            "score": value,
            "split": split,
            "score_per_mflop": (value / (flops / 1e6)) if value is not None and flops else None,
        }
    ]
    X_tr, y_tr, X_tu, y_tu = train_tune_arrays(study)
    results = study.baselines.results
    for i, r in enumerate(results):
        ctx.check()
        ctx.report(0.2 + 0.8 * i / max(len(results), 1), f"Estimating the FLOPs of {r['name']}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pipe = baseline_pipeline(study, r["name"]).fit(X_tr, y_tr)
        f = baseline_flops(pipe, n_features)
        b_split = "test" if r["name"] in (study.evaluation.baseline_test_metrics or {}) else "tune"
        b_value = (
            (study.evaluation.baseline_test_metrics or {}).get(r["name"], {})
            if b_split == "test"
            else r.get("tune_metrics", {})
        ).get(metric)
        if b_value is None:
            b_value = float(score(metric, y_tu, model_output(pipe, X_tu, study.question.task)))
        per_flop.append(
            {
                "name": r["name"],
                "flops": f,
                "score": b_value,
                "split": b_split,
                "score_per_mflop": (b_value / (f / 1e6)) if b_value is not None and f else None,
            }
        )
    eff = {
        "peak_memory_mb": round(peak, 4),
        "memory_batch": MEMORY_BATCH,
        "metric": metric,
        "memory_method": "weights and buffers plus the largest input + output of a layer, one CPU batch",
        "flops_per_sample": flops,
        "samples_per_second": (study.evaluation.measured or {}).get("samples_per_second"),
        "per_flop": per_flop,
    }
    study.evaluation.efficiency = eff
    ctx.report(1.0, "Efficiency measured")
    return eff


def refresh_findings(study: Study) -> None:
    """The scoreboard's criterion findings again, after a new measurement."""
    replace_findings(study, "evaluate", {Findings.criterion_not_met.code}, scoreboard.scoreboard_findings(study))


def measure_criteria(study: Study, *, stability_refits: int = 3, ctx: TaskContext = NO_CONTEXT) -> list[dict]:
    """The Evaluate page's one click: attribution stability (when asked for) and efficiency,
    then the scoreboard again. Returns the scoreboard's rows."""

    if study.question.min_attribution_stability is not None and stability_refits > 0:
        generalization.attribution_stability(study, refits=stability_refits, ctx=ctx.sub(0.0, 0.7))
    measure_efficiency(study, ctx=ctx.sub(0.7, 1.0))
    refresh_findings(study)
    return scoreboard.scoreboard(study)
