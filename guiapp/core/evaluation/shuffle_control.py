"""The label-shuffle control (Tip 7; Chuang & Keiser 2018): how well does the same network
configuration do when the training labels carry no information at all?

The chosen configuration (architecture, optimiser settings and the number of epochs the
real network trained to its best weights) is retrained ``repeats`` times on training rows
whose labels are randomly permuted, and scored on the untouched tune split. A network that
learned something real scores clearly above all of them; the control is flagged when the
lower end of the real tune score's 95% bootstrap interval does not clear the best shuffled
score, i.e. when the real result cannot be told apart from memorised noise.
"""

from __future__ import annotations

import numpy as np

from guiapp.core.evaluation.common import require_trained
from guiapp.core.evaluation.guards import replace_findings
from guiapp.core.models import retrain
from guiapp.core.models.network import predict
from guiapp.core.models.retrain import small_table_threads
from guiapp.core.split.draw import train_tune_arrays
from guiapp.core.stats.metrics import DISPLAY_NAMES, HIGHER_IS_BETTER, score
from guiapp.core.stats.panel import metric_panel
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.findings import Findings
from guiapp.core.study.model import Study
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext

DEFAULT_REPEATS = 3
MARGIN = 0.02  # without an interval, the real score must beat the best shuffled one by this much


def control_metric(study: Study) -> str:
    """The primary metric when higher is better, else ROC AUC or R² (a fixed margin needs one)."""
    metric = study.primary_metric
    if HIGHER_IS_BETTER.get(metric, True):
        return metric
    return "roc_auc" if study.is_classification else "r2"


@small_table_threads
def label_shuffle_control(
    study: Study,
    repeats: int = DEFAULT_REPEATS,
    *,
    epochs: int | None = None,
    ctx: TaskContext = NO_CONTEXT,
) -> dict:
    """Retrain on shuffled training labels ``repeats`` times; record and judge real vs shuffled."""
    require_trained(study)
    if repeats < 1:
        raise TenfoldError("The label-shuffle control needs at least one repeat; three or more are better.")
    X_tr, y_tr, X_tu, y_tu = train_tune_arrays(study)
    metric = control_metric(study)
    threshold = study.evaluation.threshold
    ctx.report(0.02, "Scoring the real network on the tune split")
    real_out = predict(study, X_tu)
    real = metric_panel(
        study.question.task,
        y_tu,
        real_out,
        seed=study.split.seed,
        threshold=threshold,
        metrics=(metric,),
        details=False,
    )
    epochs = int(epochs or retrain.chosen_epochs(study))
    rng = np.random.default_rng([study.split.seed, 7])
    shuffled_tune, shuffled_train = [], []
    for r in range(repeats):
        ctx.check()
        ctx.report(0.05 + 0.9 * r / repeats, f"Training on shuffled labels, repeat {r + 1} of {repeats}")
        y_fake = rng.permutation(y_tr)
        model = retrain.fit_network(study, X_tr, y_fake, seed=study.train.seed + 1000 + r, epochs=epochs, ctx=ctx)
        shuffled_tune.append(score(metric, y_tu, predict(study, X_tu, model=model), threshold))
        shuffled_train.append(score(metric, y_fake, predict(study, X_tr, model=model), threshold))
    result = judge(metric, real.get(metric), real.get(f"{metric}_ci"), shuffled_tune)
    result.update({"repeats": repeats, "epochs": epochs, "shuffled_train": shuffled_train, "n_tune": int(len(y_tu))})
    result["reading"] = reading(result)
    study.overfitting.shuffle = result
    findings = []
    if result["flagged"]:
        findings.append(
            Findings.label_shuffle_not_beaten.raise_(
                metric=DISPLAY_NAMES.get(metric, metric),
                shuffled=result["shuffled_max"],
                real=result["real"],
                low=result["real_ci"][0] if result["real_ci"] else result["real"],
            )
        )
    replace_findings(study, "overfitting", {Findings.label_shuffle_not_beaten.code}, findings)
    ctx.report(1.0, "Label-shuffle control done")
    return result


def judge(metric: str, real, real_ci, shuffled: list) -> dict:
    """Whether the real score stands clearly above the shuffled ones (see the module doc)."""
    finite = [s for s in shuffled if s is not None and np.isfinite(s)]
    best = max(finite) if finite else float("nan")
    mean = float(np.mean(finite)) if finite else float("nan")
    if real is None or not np.isfinite(real):
        flagged = True
    elif real_ci:
        flagged = not (real_ci[0] > best) if finite else False
    else:
        flagged = not (real > best + MARGIN) if finite else False
    return {
        "metric": metric,
        "real": real,
        "real_ci": real_ci,
        "shuffled_tune": list(shuffled),
        "shuffled_mean": mean,
        "shuffled_max": best,
        "flagged": bool(flagged),
    }


def reading(result: dict) -> str:
    name = DISPLAY_NAMES.get(result["metric"], result["metric"])
    real = result["real"]
    shuffled = ", ".join(f"{s:.3f}" for s in result["shuffled_tune"])
    memorised = result.get("shuffled_train") or []
    memo = (
        f" On their own shuffled training labels those networks reach {np.mean(memorised):.3f}: "
        "that much the configuration can memorise."
        if memorised
        else ""
    )
    if result["flagged"]:
        return (
            f"Not clearly above chance: the real network scores {name} {real:.3f} on the tune split, "
            f"and the same configuration trained on shuffled labels scores {shuffled}. The real "
            f"result cannot be told apart from learning noise.{memo}"
        )
    return (
        f"The real network ({name} {real:.3f} on the tune split) is clearly above the same "
        f"configuration trained on shuffled labels ({shuffled}): it learned more than noise.{memo}"
    )
