"""Interpretation (Tips 8 and 9): which features the network leans on, measured on tune data.

Permutation importance shuffles one feature at a time and measures the drop in the tune
score. It shows what the model uses, not what causes the biology.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from guiapp.core.tasks import ProgressFn, StopFn, check_stop, no_progress

CAVEAT = ("Importance says what this model relies on for these samples, not what drives the "
          "biology. Correlated features share importance, and a batch-linked feature can rank "
          "high for the wrong reason (Tip 9).")


def permutation_importance(study, n_repeats: int = 5, top: int = 20,
                           progress: ProgressFn = no_progress,
                           should_stop: Optional[StopFn] = None) -> list[dict]:
    from guiapp.core.evaluate import require_trained
    from guiapp.core.metrics import HIGHER_IS_BETTER, score
    from guiapp.core.network import load_trained_model, predict
    from guiapp.core.split import train_tune_arrays

    require_trained(study)
    _, _, X, y = train_tune_arrays(study)
    model = load_trained_model(study)
    metric = study.primary_metric
    sign = 1 if HIGHER_IS_BETTER[metric] else -1
    base = score(metric, y, predict(study, X, model=model))
    rng = np.random.default_rng(study.train.seed)
    names = study.data.feature_columns
    drops = np.zeros((len(names), n_repeats))
    for j in range(len(names)):
        check_stop(should_stop)
        progress(j / len(names), f"Shuffling feature {j + 1} of {len(names)}")
        Xp = X.copy()
        for r in range(n_repeats):
            Xp[:, j] = X[rng.permutation(len(X)), j]
            drops[j, r] = sign * (base - score(metric, y, predict(study, Xp, model=model)))
    order = np.argsort(-drops.mean(axis=1))
    result = [{"feature": names[j], "mean": float(drops[j].mean()), "std": float(drops[j].std())}
              for j in order[:top]]
    study.interpret.metric = metric
    study.interpret.importances = result
    progress(1.0, "Importance done")
    return result
