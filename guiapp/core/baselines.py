"""Traditional baselines (Tips 1 and 2): the bar a network has to clear.

Each baseline is a scikit-learn Pipeline whose preprocessing (median imputation and
standardisation) is fitted on the training split only, and scored on the tune split.
"""

from __future__ import annotations

import time
from typing import Optional

from guiapp.core.errors import TenfoldError
from guiapp.core.metrics import metric_panel
from guiapp.core.study import BaselineResult
from guiapp.core.tasks import ProgressFn, StopFn, check_stop, no_progress

CLASSIFIERS = {
    "logistic_regression": "Logistic regression (L2)",
    "random_forest": "Random forest",
}
REGRESSORS = {
    "ridge": "Ridge regression",
    "random_forest": "Random forest",
}


def available(task: str) -> dict:
    return CLASSIFIERS if task == "classification" else REGRESSORS


def make_pipeline(name: str, task: str, seed: int = 0):
    """The named baseline as an unfitted Pipeline: impute → scale → model."""
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    if task == "classification":
        from sklearn.ensemble import RandomForestClassifier
        from sklearn.linear_model import LogisticRegression

        models = {
            "logistic_regression": lambda: LogisticRegression(max_iter=2000, C=1.0),
            "random_forest": lambda: RandomForestClassifier(n_estimators=200, random_state=seed, n_jobs=1),
        }
    else:
        from sklearn.ensemble import RandomForestRegressor
        from sklearn.linear_model import Ridge

        models = {
            "ridge": lambda: Ridge(alpha=1.0),
            "random_forest": lambda: RandomForestRegressor(n_estimators=200, random_state=seed, n_jobs=1),
        }
    if name not in models:
        raise TenfoldError(f"Unknown baseline {name!r} for {task}; choose from {', '.join(models)}.")
    return Pipeline([("impute", SimpleImputer(strategy="median")),
                     ("scale", StandardScaler()), ("model", models[name]())])


def model_output(pipeline, X, task: str):
    return pipeline.predict_proba(X) if task == "classification" else pipeline.predict(X)


def fit_baselines(study, progress: ProgressFn = no_progress,
                  should_stop: Optional[StopFn] = None) -> list[dict]:
    """Fit every chosen baseline on train, score on tune, and record the results."""
    from guiapp.core.split import train_tune_arrays

    task = study.question.task
    names = [n for n in study.baselines.models if n in available(task)] or list(available(task))
    X_tr, y_tr, X_tu, y_tu = train_tune_arrays(study)
    results = []
    for i, name in enumerate(names):
        check_stop(should_stop)
        progress(i / len(names), f"Fitting {available(task)[name]}")
        pipe = make_pipeline(name, task, seed=study.split.seed)
        t0 = time.perf_counter()
        pipe.fit(X_tr, y_tr)
        seconds = time.perf_counter() - t0
        params = {k: v for k, v in pipe.named_steps["model"].get_params().items()
                  if isinstance(v, (int, float, str, bool, type(None)))}
        results.append(BaselineResult(
            name=name, params=params,
            tune_metrics=metric_panel(task, y_tu, model_output(pipe, X_tu, task), seed=study.split.seed),
            train_metrics=metric_panel(task, y_tr, model_output(pipe, X_tr, task), n_boot=0),
            fit_seconds=round(seconds, 3),
        ).__dict__)
    study.baselines.models = names
    study.baselines.results = results
    progress(1.0, "Baselines done")
    return results
