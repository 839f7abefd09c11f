"""Traditional baselines (Tips 1 and 2): the bar a network has to clear, tuned as hard as it is.

Each baseline is a scikit-learn Pipeline whose preprocessing (median imputation and
standardisation) is fitted on the training split only. Every baseline with something to tune
gets the same number of optuna trials as the network (``[baselines] budget_trials``), each
fitted on the training split and scored on the tune split with the study's metric; the best
settings are refitted on the training split and scored with bootstrap intervals. The majority
class and the mean have nothing to tune: they mark chance level.
"""

from __future__ import annotations

import hashlib
import json
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from guiapp.core.data.streaming import study_cores
from guiapp.core.models.tuning import Dim, log_float
from guiapp.core.stats.metrics import HIGHER_IS_BETTER, score
from guiapp.core.stats.panel import metric_panel
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.model import BaselineResult
from guiapp.core.study.task_context import ProgressFn, StopFn, check_stop, no_progress, sub_progress
from guiapp.core.study.vocabulary import CLASSIFIER_BASELINES, REGRESSOR_BASELINES, baseline_names


@dataclass(frozen=True)
class Baseline:
    """One traditional model: how to build it, what to search, and where to start."""

    title: str
    build: Callable[[int], Any]  # seed -> the unfitted model step
    space: Callable[[int, int], dict] = lambda n_train, n_features: {}  # -> {setting: Dim}
    start: Callable[[int], dict] = lambda n_features: {}  # the usual default settings
    prefix: str = "model__"  # where the searched settings sit in the pipeline
    fixed: dict = field(default_factory=dict)  # settings not searched, and why, for the card
    # How the fit's cost grows with the training samples n, in words for the card and the page.
    cost: str = "about linear in n"
    # Settings that sit elsewhere than ``prefix`` (a nested pipeline): setting -> full path.
    paths: dict = field(default_factory=dict)
    # Why this form was chosen instead of the exact one (empty: the exact form).
    form_note: str = ""

    def path(self, setting: str) -> str:
        return self.paths.get(setting, self.prefix + setting)


# Above these training-set sizes a baseline whose fit grows faster than n would dominate the
# whole study: it switches to a form whose cost grows linearly (Nyström kernel approximation +
# a linear SVM). Random forests draw each tree from at most FOREST_MAX_SAMPLES samples.
KERNEL_EXACT_LIMIT = 5_000
NYSTROEM_COMPONENTS = 300
FOREST_MAX_SAMPLES = 10_000


def _forest_space(n_train: int, n_features: int) -> dict:
    return {
        "max_depth": Dim("int", 2, 32, log=True),
        "min_samples_leaf": Dim("int", 1, 20, log=True),
        "max_features": Dim("float", 0.1, 1.0),
    }


def _knn_space(n_train: int, n_features: int) -> dict:
    return {
        "n_neighbors": Dim("int", 1, max(1, min(50, n_train - 1)), log=True),
        "weights": Dim("choice", choices=("uniform", "distance")),
        "p": Dim("choice", choices=(1, 2)),
    }


def _forest_start(n_features: int) -> dict:
    return {"max_depth": 32, "min_samples_leaf": 1, "max_features": max(n_features**0.5 / max(n_features, 1), 0.1)}


KNN_START = {"n_neighbors": 5, "weights": "uniform", "p": 2}
TREES = {"n_estimators": "200 trees (more trees never overfit; they only cost time)"}
FOREST_COST = "n log n per tree, each tree drawn from at most 10,000 samples"
HGB_SPACE = {
    "learning_rate": (0.01, 0.3),
    "max_leaf_nodes": (8, 128),
    "min_samples_leaf": (5, 100),
    "l2_regularization": (1e-6, 10.0),
}
HGB_START = {"learning_rate": 0.1, "max_leaf_nodes": 31, "min_samples_leaf": 20, "l2_regularization": 1e-6}
HGB_FIXED = {
    "max_iter": "up to 100 boosting rounds (the library default); above 10,000 samples it stops early on 10% of the "
    "training split"
}


def _hgb_space(n_train: int, n_features: int) -> dict:
    lr, leaves, leaf, l2 = (
        HGB_SPACE[k] for k in ("learning_rate", "max_leaf_nodes", "min_samples_leaf", "l2_regularization")
    )
    return {
        "learning_rate": log_float(*lr),
        "max_leaf_nodes": Dim("int", *leaves, log=True),
        "min_samples_leaf": Dim("int", leaf[0], max(leaf[0], min(leaf[1], n_train // 4)), log=True),
        "l2_regularization": log_float(*l2),
    }


def _forest_samples(n_train: int):
    """Each tree's bootstrap size: all samples up to FOREST_MAX_SAMPLES, then that many."""
    return None if n_train <= FOREST_MAX_SAMPLES else FOREST_MAX_SAMPLES


def _kernel_form(exact: Baseline, n_train: int, approximate) -> Baseline:
    """The exact kernel machine for small data; its Nyström + linear form above the limit."""
    if n_train <= KERNEL_EXACT_LIMIT:
        return exact
    return approximate(
        f"{n_train:,} training samples: the exact RBF kernel's fit grows with n² to n³ and would "
        f"dominate the study, so the kernel is approximated by {NYSTROEM_COMPONENTS} Nyström "
        "components and a linear SVM is fitted on them (cost linear in n)"
    )


def _classifiers(n_train: int = 0) -> dict[str, Baseline]:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.dummy import DummyClassifier
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.kernel_approximation import Nystroem
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import GaussianNB
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.svm import SVC, LinearSVC

    cores, samples = study_cores(), _forest_samples(n_train)
    svm_space = lambda n, p: {"C": log_float(1e-2, 1e3), "gamma": log_float(1e-4, 1e1)}  # noqa: E731
    svm_start = lambda p: {"C": 1.0, "gamma": 1.0 / max(p, 1)}  # noqa: E731
    exact_svm = Baseline(
        CLASSIFIERS["svm_rbf"],
        lambda seed: CalibratedClassifierCV(
            SVC(kernel="rbf", random_state=seed), method="sigmoid", cv=3, ensemble=False
        ),
        svm_space,
        svm_start,
        prefix="model__estimator__",
        cost="n² to n³ (exact kernel)",
    )

    def nystroem_svm(note: str) -> Baseline:
        return Baseline(
            CLASSIFIERS["svm_rbf"],
            lambda seed: Pipeline(
                [
                    ("kernel", Nystroem(kernel="rbf", n_components=NYSTROEM_COMPONENTS, random_state=seed)),
                    (
                        "svm",
                        CalibratedClassifierCV(
                            LinearSVC(C=1.0, random_state=seed), method="sigmoid", cv=3, ensemble=False
                        ),
                    ),
                ]
            ),
            svm_space,
            svm_start,
            cost="linear in n (Nyström approximation)",
            paths={"gamma": "model__kernel__gamma", "C": "model__svm__estimator__C"},
            form_note=note,
        )

    return {
        "logistic_regression": Baseline(
            CLASSIFIERS["logistic_regression"],
            lambda seed: LogisticRegression(max_iter=2000, C=1.0),
            lambda n, p: {"C": log_float(1e-3, 1e3)},
            lambda p: {"C": 1.0},
        ),
        "logistic_regression_l1": Baseline(
            CLASSIFIERS["logistic_regression_l1"],
            lambda seed: LogisticRegression(
                l1_ratio=1.0, solver="saga", C=1.0, tol=1e-3, max_iter=2000, random_state=seed
            ),
            lambda n, p: {"C": log_float(1e-2, 1e3)},
            lambda p: {"C": 1.0},
        ),
        "random_forest": Baseline(
            CLASSIFIERS["random_forest"],
            lambda seed: RandomForestClassifier(n_estimators=200, random_state=seed, n_jobs=cores, max_samples=samples),
            _forest_space,
            _forest_start,
            fixed=TREES,
            cost=FOREST_COST,
        ),
        "gradient_boosting": Baseline(
            CLASSIFIERS["gradient_boosting"],
            lambda seed: HistGradientBoostingClassifier(max_iter=100, random_state=seed),
            _hgb_space,
            lambda p: HGB_START,
            fixed=HGB_FIXED,
            cost="n log n (histogram bins)",
        ),
        "knn": Baseline(CLASSIFIERS["knn"], lambda seed: KNeighborsClassifier(), _knn_space, lambda p: KNN_START),
        "naive_bayes": Baseline(
            CLASSIFIERS["naive_bayes"],
            lambda seed: GaussianNB(),
            lambda n, p: {"var_smoothing": log_float(1e-12, 1e-1)},
            lambda p: {"var_smoothing": 1e-9},
        ),
        # Platt scaling on 3 folds gives the SVM probabilities (SVC(probability=True) is deprecated).
        "svm_rbf": _kernel_form(exact_svm, n_train, nystroem_svm),
        "majority": Baseline(CLASSIFIERS["majority"], lambda seed: DummyClassifier(strategy="prior")),
    }


def _regressors(n_train: int = 0) -> dict[str, Baseline]:
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.dummy import DummyRegressor
    from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor
    from sklearn.kernel_approximation import Nystroem
    from sklearn.linear_model import Ridge
    from sklearn.neighbors import KNeighborsRegressor
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVR, LinearSVR

    cores, samples = study_cores(), _forest_samples(n_train)

    def svr_space(n, p):
        return {"C": log_float(1e-2, 1e3), "gamma": log_float(1e-4, 1e1), "epsilon": log_float(1e-3, 1.0)}

    svr_start = lambda p: {"C": 1.0, "gamma": 1.0 / max(p, 1), "epsilon": 0.1}  # noqa: E731
    # The target is standardised for the SVR, so its epsilon means the same on any scale.
    exact_svr = Baseline(
        REGRESSORS["svr"],
        lambda seed: TransformedTargetRegressor(regressor=SVR(kernel="rbf"), transformer=StandardScaler()),
        svr_space,
        svr_start,
        prefix="model__regressor__",
        cost="n² to n³ (exact kernel)",
    )

    def nystroem_svr(note: str) -> Baseline:
        return Baseline(
            REGRESSORS["svr"],
            lambda seed: TransformedTargetRegressor(
                regressor=Pipeline(
                    [
                        ("kernel", Nystroem(kernel="rbf", n_components=NYSTROEM_COMPONENTS, random_state=seed)),
                        ("svr", LinearSVR(random_state=seed, max_iter=5000)),
                    ]
                ),
                transformer=StandardScaler(),
            ),
            svr_space,
            svr_start,
            cost="linear in n (Nyström approximation)",
            paths={
                "gamma": "model__regressor__kernel__gamma",
                "C": "model__regressor__svr__C",
                "epsilon": "model__regressor__svr__epsilon",
            },
            form_note=note,
        )

    return {
        "ridge": Baseline(
            REGRESSORS["ridge"],
            lambda seed: Ridge(alpha=1.0),
            lambda n, p: {"alpha": log_float(1e-3, 1e4)},
            lambda p: {"alpha": 1.0},
        ),
        "random_forest": Baseline(
            REGRESSORS["random_forest"],
            lambda seed: RandomForestRegressor(n_estimators=200, random_state=seed, n_jobs=cores, max_samples=samples),
            _forest_space,
            _forest_start,
            fixed=TREES,
            cost=FOREST_COST,
        ),
        "gradient_boosting": Baseline(
            REGRESSORS["gradient_boosting"],
            lambda seed: HistGradientBoostingRegressor(max_iter=100, random_state=seed),
            _hgb_space,
            lambda p: HGB_START,
            fixed=HGB_FIXED,
            cost="n log n (histogram bins)",
        ),
        "knn": Baseline(REGRESSORS["knn"], lambda seed: KNeighborsRegressor(), _knn_space, lambda p: KNN_START),
        "svr": _kernel_form(exact_svr, n_train, nystroem_svr),
        "mean": Baseline(REGRESSORS["mean"], lambda seed: DummyRegressor(strategy="mean")),
    }


# The baselines' names and words are the study's vocabulary (guiapp.core.study.vocabulary).
CLASSIFIERS = CLASSIFIER_BASELINES
REGRESSORS = REGRESSOR_BASELINES


def available(task: str) -> dict:
    return baseline_names(task)


def baseline(name: str, task: str, n_train: int = 0) -> Baseline:
    """The named baseline in the form that fits ``n_train`` training samples."""
    models = _classifiers(n_train) if task == "classification" else _regressors(n_train)
    if name not in models:
        raise TenfoldError(f"Unknown baseline {name!r} for {task}; choose from {', '.join(models)}.")
    return models[name]


def make_pipeline(name: str, task: str, seed: int = 0, params: dict | None = None, n_train: int = 0):
    """The named baseline as an unfitted Pipeline: impute → scale → model (``params``: its settings).

    ``n_train`` picks the form whose cost fits that many training samples (see :func:`baseline`).
    """
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    spec = baseline(name, task, n_train)
    pipe = Pipeline(
        [("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler()), ("model", spec.build(seed))]
    )
    if params:
        pipe.set_params(**{spec.path(k): v for k, v in params.items()})
    return pipe


def tuned_pipeline(study, name: str, n_train: int | None = None):
    """The baseline ``name`` with the settings its search chose (defaults when it had none)."""
    result = next((r for r in study.baselines.results if r["name"] == name), {})
    n = len(study.split.train_idx or ()) if n_train is None else n_train
    return make_pipeline(
        name, study.question.task, seed=study.split.seed, params=result.get("best_params") or None, n_train=n
    )


def fitted_baseline(study, name: str, X_tr, y_tr):
    """The baseline ``name`` with its tuned settings, fitted on ``X_tr``: fitted once per process.

    The verdict, the sealed-test evaluation and the interpretation all need the same fitted
    model; refitting it for each (a random forest on 35,000 samples takes a minute) was most of
    their cost. The cache is keyed by the settings and a hash of the training arrays, so new
    data, a new split or a new search fit again.
    """
    result = next((r for r in study.baselines.results if r["name"] == name), {})
    key = _fit_key(name, result.get("best_params") or {}, study.split.seed, X_tr, y_tr)
    cache = study.__dict__.setdefault("_fitted_baselines", {})
    if cache.get(name, (None,))[0] != key:
        pipe = tuned_pipeline(study, name, n_train=len(y_tr))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence notes: the scores say enough
            pipe.fit(X_tr, y_tr)
        cache[name] = (key, pipe)
    return cache[name][1]


def remember_fitted(study, name: str, params: dict, X_tr, y_tr, pipe) -> None:
    """Keep a pipeline fitted on the training split for :func:`fitted_baseline`."""
    key = _fit_key(name, params or {}, study.split.seed, X_tr, y_tr)
    study.__dict__.setdefault("_fitted_baselines", {})[name] = (key, pipe)


def _fit_key(name: str, params: dict, seed: int, X, y) -> str:
    import numpy as np

    h = hashlib.blake2b(digest_size=16)
    h.update(json.dumps([name, params, seed], sort_keys=True, default=str).encode())
    for a in (X, y):
        a = np.ascontiguousarray(a)
        h.update(str((a.shape, a.dtype)).encode())
        h.update(a.view(np.uint8).reshape(-1) if a.dtype != object else repr(a.tolist()).encode())
    return h.hexdigest()


def model_output(pipeline, X, task: str):
    model = getattr(pipeline, "named_steps", {}).get("model")
    if getattr(model, "n_jobs", None) not in (None, 1) and hasattr(model, "estimators_"):
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


def fit_baselines(study, progress: ProgressFn = no_progress, should_stop: StopFn | None = None) -> list[dict]:
    """Tune every chosen baseline with the same budget, refit the best, and record the results.

    A search already in the study's tuning storage resumes; a budget of 0 fits the defaults.
    """
    from guiapp.core.evaluation.verdict import assess_before_training
    from guiapp.core.models import tuning
    from guiapp.core.split.draw import train_tune_arrays

    task = study.question.task
    names = [n for n in study.baselines.models if n in available(task)] or list(available(task))
    arrays = train_tune_arrays(study)
    from guiapp.core.data.streaming import bounded, is_streamed

    if is_streamed(arrays[0]):  # features on disk: the baselines fit and score on bounded random samples
        seed = study.split.seed
        arrays = (*bounded(arrays[0], arrays[1], seed=seed), *bounded(arrays[2], arrays[3], seed=seed))
    if int(study.baselines.budget_trials) < 0:
        raise TenfoldError("The tuning budget must be 0 (no search) or more trials.")
    storage = _LazyStorage(study)
    results = []
    try:
        for i, name in enumerate(names):
            check_stop(should_stop)
            part = sub_progress(progress, i / len(names), (i + 1) / len(names))
            results.append(_tune_and_fit(study, name, arrays, storage, part, should_stop))
    finally:
        tuning.close_storage(storage.opened)
    study.baselines.models = names
    study.baselines.results = results
    study.tuning.comparison = {}  # the network must be compared with these new baselines
    assess_before_training(study)
    progress(1.0, "Baselines done")
    return results


class _LazyStorage:
    """The tuning storage, opened when the first search needs it (a budget of 0 never does)."""

    def __init__(self, study) -> None:
        self.study, self.opened, self.url = study, None, ""

    def get(self):
        from guiapp.core.models import tuning

        if self.opened is None:
            self.url = tuning.storage_url(self.study)
            self.opened = tuning.open_storage(self.url, shared=tuning.is_shared(self.study))
        return self.opened


def _tune_and_fit(
    study, name: str, arrays, storage: _LazyStorage, progress: ProgressFn, should_stop: StopFn | None
) -> dict:
    """One baseline: its search, then its best settings refitted on the training split and scored."""
    from guiapp.core.models import tuning

    X_tr, y_tr, X_tu, y_tu = arrays
    task, seed, metric = study.question.task, study.split.seed, study.primary_metric
    budget = int(study.baselines.budget_trials)
    spec, title = baseline(name, task, len(y_tr)), available(task)[name]
    space = spec.space(len(y_tr), X_tr.shape[1])
    search: dict = {}
    if space and budget > 0:
        progress(0.0, f"{title}: opening the tuning storage")
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
            progress=progress,
            should_stop=should_stop,
        )
        if search["best_trial"] is None:
            raise TenfoldError(
                f"Every trial of {title} failed ({tuning.first_error(search)}). Leave it out, "
                "or check the data on the Data page."
            )
    progress(1.0, f"Fitting {title} with its best settings")
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
