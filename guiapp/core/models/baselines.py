"""Traditional baselines (Tips 1 and 2): the bar a network has to clear, tuned as hard as it is.

Each baseline is a scikit-learn Pipeline whose preprocessing (median imputation and
standardisation) is fitted on the training split only. Every baseline with something to tune
gets the same number of optuna trials as the network (``[baselines] budget_trials``), each
fitted on the training split and scored on the tune split with the study's metric; the best
settings are refitted on the training split and scored with bootstrap intervals. The majority
class and the mean have nothing to tune: they mark chance level.

The models themselves (forms, search spaces, starting points) are
:mod:`guiapp.core.models.baseline_models`.
"""

from __future__ import annotations

import hashlib
import json
import time
import warnings

import numpy as np

from guiapp.core.data.streaming import bounded, is_streamed
from guiapp.core.models import tuning
from guiapp.core.models.baseline_models import (
    CLASSIFIERS,
    FOREST_MAX_SAMPLES,
    KERNEL_EXACT_LIMIT,
    NYSTROEM_COMPONENTS,
    REGRESSORS,
    Baseline,
    available,
    baseline,
    make_pipeline,
    study_cores,
)
from guiapp.core.split.draw import train_tune_arrays
from guiapp.core.stats.metrics import HIGHER_IS_BETTER, score
from guiapp.core.stats.panel import metric_panel
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.model import BaselineResult, Study
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext

# The baselines' names, as the steps, the pages and the tests know them.
__all__ = [
    "CLASSIFIERS",
    "FOREST_MAX_SAMPLES",
    "KERNEL_EXACT_LIMIT",
    "NYSTROEM_COMPONENTS",
    "REGRESSORS",
    "Baseline",
    "available",
    "baseline",
    "fit_baselines",
    "fitted_baseline",
    "make_pipeline",
    "model_output",
    "remember_fitted",
    "study_cores",
    "tuned_pipeline",
]


def tuned_pipeline(study: Study, name: str, n_train: int | None = None):
    """The baseline ``name`` with the settings its search chose (defaults when it had none)."""
    result: dict = next((r for r in study.baselines.results if r["name"] == name), {})
    n = len(study.split.train_idx or ()) if n_train is None else n_train
    return make_pipeline(
        name, study.question.task, seed=study.split.seed, params=result.get("best_params") or None, n_train=n
    )


def fitted_baseline(study: Study, name: str, X_tr, y_tr):
    """The baseline ``name`` with its tuned settings, fitted on ``X_tr``: fitted once per process.

    The verdict, the sealed-test evaluation and the interpretation all need the same fitted
    model; refitting it for each (a random forest on 35,000 samples takes a minute) was most of
    their cost. The cache is keyed by the settings and a hash of the training arrays, so new
    data, a new split or a new search fit again.
    """
    result: dict = next((r for r in study.baselines.results if r["name"] == name), {})
    key = _fit_key(name, result.get("best_params") or {}, study.split.seed, X_tr, y_tr)
    cache = study.__dict__.setdefault("_fitted_baselines", {})
    if cache.get(name, (None,))[0] != key:
        pipe = tuned_pipeline(study, name, n_train=len(y_tr))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence notes: the scores say enough
            pipe.fit(X_tr, y_tr)
        cache[name] = (key, pipe)
    return cache[name][1]


def remember_fitted(study: Study, name: str, params: dict, X_tr, y_tr, pipe) -> None:
    """Keep a pipeline fitted on the training split for :func:`fitted_baseline`."""
    key = _fit_key(name, params or {}, study.split.seed, X_tr, y_tr)
    study.__dict__.setdefault("_fitted_baselines", {})[name] = (key, pipe)


def _fit_key(name: str, params: dict, seed: int, X, y) -> str:
    h = hashlib.blake2b(digest_size=16)
    h.update(json.dumps([name, params, seed], sort_keys=True, default=str).encode())
    for a in (X, y):
        a = np.ascontiguousarray(a)
        h.update(str((a.shape, a.dtype)).encode())
        h.update(a.view(np.uint8).reshape(-1).data if a.dtype != object else repr(a.tolist()).encode())
    return h.hexdigest()


def model_output(pipeline, X, task: str):
    model = getattr(pipeline, "named_steps", {}).get("model")
    if model is not None and getattr(model, "n_jobs", None) not in (None, 1) and hasattr(model, "estimators_"):
        # A forest fitted on several cores sums its trees' votes in whichever order the threads
        # finish: predicting on one core gives the same bits every run (a resumed run included).
        model.n_jobs = 1
    return pipeline.predict_proba(X) if task == "classification" else pipeline.predict(X)


def _fit_and_score(name, task, seed, params, metric, X_tr, y_tr, X_tu, y_tu) -> float:
    pipe = make_pipeline(name, task, seed=seed, params=params, n_train=len(y_tr))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence notes of a bad setting: its score says enough
        pipe.fit(X_tr, y_tr)
        return score(metric, y_tu, model_output(pipe, X_tu, task))


def fit_baselines(study: Study, *, ctx: TaskContext = NO_CONTEXT) -> list[dict]:
    """Tune every chosen baseline with the same budget, refit the best, and record the results.

    A search already in the study's tuning storage resumes; a budget of 0 fits the defaults.
    The caller records the verdict the results change
    (:func:`guiapp.core.evaluation.verdict.assess_before_training`).
    """
    task = study.question.task
    names = [n for n in study.baselines.models if n in available(task)] or list(available(task))
    arrays = train_tune_arrays(study)
    if is_streamed(arrays[0]):  # features on disk: the baselines fit and score on bounded random samples
        seed = study.split.seed
        arrays = (*bounded(arrays[0], arrays[1], seed=seed), *bounded(arrays[2], arrays[3], seed=seed))
    if int(study.baselines.budget_trials) < 0:
        raise TenfoldError("The tuning budget must be 0 (no search) or more trials.")
    storage = _LazyStorage(study)
    results = []
    try:
        for i, name in enumerate(names):
            ctx.check()
            results.append(
                _tune_and_fit(study, name, arrays, storage, ctx=ctx.sub(i / len(names), (i + 1) / len(names)))
            )
    finally:
        tuning.close_storage(storage.opened)
    study.baselines.models = names
    study.baselines.results = results
    study.tuning.comparison = {}  # the network must be compared with these new baselines
    ctx.report(1.0, "Baselines done")
    return results


class _LazyStorage:
    """The tuning storage, opened when the first search needs it (a budget of 0 never does)."""

    def __init__(self, study: Study) -> None:
        self.study, self.opened, self.url = study, None, ""

    def get(self):
        if self.opened is None:
            self.url = tuning.storage_url(self.study)
            self.opened = tuning.open_storage(self.url, shared=tuning.is_shared(self.study))
        return self.opened


def _tune_and_fit(study: Study, name: str, arrays, storage: _LazyStorage, *, ctx: TaskContext = NO_CONTEXT) -> dict:
    """One baseline: its search, then its best settings refitted on the training split and scored."""
    X_tr, y_tr, X_tu, y_tu = arrays
    task, seed, metric = study.question.task, study.split.seed, study.primary_metric
    budget = int(study.baselines.budget_trials)
    spec, title = baseline(name, task, len(y_tr)), available(task)[name]
    space = spec.space(len(y_tr), X_tr.shape[1])
    search: dict = {}
    if space and budget > 0:
        ctx.report(0.0, f"{title}: opening the tuning storage")
        opened = storage.get()
        space_text = tuning.describe_space(space)
        search = tuning.run_search(
            storage=opened,
            budget=budget,
            space=space,
            direction="maximize" if HIGHER_IS_BETTER.get(metric, True) else "minimize",
            study_name=f"baseline-{name}-" + tuning.fingerprint(study, model=name, space=space_text, seed=seed),
            objective=lambda params, trial: _fit_and_score(name, task, seed, params, metric, X_tr, y_tr, X_tu, y_tu),
            seed=seed,
            sampler=study.tuning.sampler,
            start=spec.start(X_tr.shape[1]),
            shared=tuning.is_shared(study),
            worker=study.tuning.worker,
            label=title,
            storage_text=tuning.storage_text(study) or tuning.redact(storage.url),
            ctx=ctx,
        )
        if search["best_trial"] is None:
            raise TenfoldError(
                f"Every trial of {title} failed ({tuning.first_error(search)}). Leave it out, "
                "or check the data on the Data page."
            )
    ctx.report(1.0, f"Fitting {title} with its best settings")
    best = search.get("best_params", {})
    # made last: the pipeline the study records
    pipe = make_pipeline(name, task, seed=seed, params=best, n_train=len(y_tr))
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe.fit(X_tr, y_tr)
    seconds = time.perf_counter() - t0
    remember_fitted(study, name, best, X_tr, y_tr, pipe)
    params = {
        k: v
        for k, v in pipe.named_steps["model"].get_params().items()
        if isinstance(v, (int, float, str, bool, type(None)))
    }
    return BaselineResult(
        name=name,
        params=params,
        cost=spec.cost,
        form_note=spec.form_note,
        tune_metrics=metric_panel(task, y_tu, model_output(pipe, X_tu, task), seed=seed),
        train_metrics=metric_panel(task, y_tr, model_output(pipe, X_tr, task), n_boot=0),
        fit_seconds=round(seconds, 3),
        search_space=tuning.describe_space(space),
        n_trials=search.get("n_trials", 0),
        best_params=best,
        search=search,
    ).__dict__
