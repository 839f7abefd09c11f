"""The traditional baselines Tenfold offers (Tip 1): each model's form, what its search tunes,
where the search starts, and how its fit's cost grows with the training samples.

Each baseline is a scikit-learn Pipeline whose preprocessing (median imputation and
standardisation) is fitted on the training split only. The majority class and the mean have
nothing to tune: they mark chance level. Fitting and tuning them is :mod:`guiapp.core.models.baselines`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from guiapp.core.data.streaming import study_cores  # noqa: F401  (re-exported: the cores a baseline may use)
from guiapp.core.models.search_space import Dim, log_float
from guiapp.core.study.errors import TenfoldError
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


def _svm_classifier(n_train: int) -> Baseline:
    """The RBF-kernel SVM in the form that fits ``n_train`` samples: exact, or Nyström + linear."""
    # sklearn: imported lazily, a heavy library
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.kernel_approximation import Nystroem
    from sklearn.pipeline import Pipeline
    from sklearn.svm import SVC, LinearSVC

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

    # Platt scaling on 3 folds gives the SVM probabilities (SVC(probability=True) is deprecated).
    return _kernel_form(exact_svm, n_train, nystroem_svm)


def _classifiers(n_train: int = 0) -> dict[str, Baseline]:
    # sklearn: imported lazily, a heavy library
    from sklearn.dummy import DummyClassifier
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import GaussianNB
    from sklearn.neighbors import KNeighborsClassifier

    cores, samples = study_cores(), _forest_samples(n_train)
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
        "svm_rbf": _svm_classifier(n_train),
        "majority": Baseline(CLASSIFIERS["majority"], lambda seed: DummyClassifier(strategy="prior")),
    }


def _regressors(n_train: int = 0) -> dict[str, Baseline]:
    # sklearn: imported lazily, a heavy library
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
    # sklearn: imported lazily, a heavy library
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
