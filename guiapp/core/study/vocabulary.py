"""The words a study is written in: every fixed set of choices, named once.

The spec reader (:mod:`guiapp.core.study.spec`), the CLI's ``choices=`` and the wizard's combo
boxes all read their allowed values here, so they cannot drift apart. Each set is a
``Literal`` type (for the type checker) and a tuple of its values in the order the user sees
them (``get_args`` of the ``Literal``). Besides the choices: the metrics' names, directions and
display names, the baselines' names, the checklist's item ids and its status words.

This module imports nothing from Tenfold: every other package may import it.
"""

from __future__ import annotations

from typing import Literal, get_args

# ----- the question ----------------------------------------------------------------------------

Task = Literal["classification", "regression"]
TASKS: tuple[Task, ...] = get_args(Task)

# ----- data in -----------------------------------------------------------------------------------

# What a column is to the study (the Data page's role column, [data] roles in a spec).
Role = Literal["feature", "label", "batch", "group", "subgroup", "identifier", "ignore"]
ROLES: tuple[Role, ...] = get_args(Role)

# How the data are read: a table, images, or sequences.
Modality = Literal["table", "image", "sequence"]
MODALITIES: tuple[Modality, ...] = get_args(Modality)

# What happens to missing feature values: imputed on the training split, or dropped.
MissingStrategy = Literal["median", "most-frequent", "drop-rows", "drop-columns"]
MISSING_STRATEGIES: tuple[MissingStrategy, ...] = get_args(MissingStrategy)

# ----- batch effects and the split -----------------------------------------------------------------

# The Batch-effects step's remedies ("none" needs a reason in words).
BatchRemedy = Literal["none", "group-split", "batch-holdout", "batch-label-stratified", "combat"]
BATCH_REMEDIES: tuple[BatchRemedy, ...] = get_args(BatchRemedy)

SplitStrategy = Literal["stratified", "random", "group", "batch-holdout", "batch-label-stratified"]
SPLIT_STRATEGIES: tuple[SplitStrategy, ...] = get_args(SplitStrategy)

# Remedies the split applies, each recorded with the finding it answers (study.split.remedies).
SplitRemedy = Literal["batch-holdout", "batch-label-stratified", "copy-aware-split", "group-split"]
SPLIT_REMEDIES: tuple[SplitRemedy, ...] = get_args(SplitRemedy)

# When repeated nested cross-validation runs: when the parts are too small to judge, always, never.
CvMode = Literal["auto", "always", "never"]
CV_MODES: tuple[CvMode, ...] = get_args(CvMode)

# ----- training ----------------------------------------------------------------------------------------

LrSchedule = Literal["none", "cosine", "plateau"]
LR_SCHEDULES: tuple[LrSchedule, ...] = get_args(LrSchedule)

# Where the Train step stands; "not started" until the first epoch (guiapp.core.models.train).
TrainStatus = Literal["not started", "running", "cancelled", "done", "failed"]
TRAIN_STATUSES: tuple[TrainStatus, ...] = get_args(TrainStatus)

# A hyperparameter trial's state, as a search record stores it (optuna's state name, lower case).
TrialState = Literal["running", "complete", "pruned", "fail", "waiting"]
TRIAL_STATES: tuple[TrialState, ...] = get_args(TrialState)

# ----- metrics --------------------------------------------------------------------------------------------

MetricName = Literal[
    "roc_auc",
    "pr_auc",
    "balanced_accuracy",
    "mcc",
    "f1",
    "sensitivity",
    "specificity",
    "brier",
    "ece",
    "r2",
    "rmse",
    "mae",
    "pearson",
    "spearman",
]
METRIC_NAMES: tuple[MetricName, ...] = get_args(MetricName)

CLASSIFICATION_METRICS: tuple[MetricName, ...] = (
    "roc_auc",
    "pr_auc",
    "balanced_accuracy",
    "mcc",
    "f1",
    "sensitivity",
    "specificity",
    "brier",
)
REGRESSION_METRICS: tuple[MetricName, ...] = ("r2", "rmse", "mae", "pearson", "spearman")
# Reported in every panel, but not offered as the success metric: calibration has its own criterion.
EXTRA_METRICS: dict[str, tuple[MetricName, ...]] = {"classification": ("ece",), "regression": ()}
HIGHER_IS_BETTER: dict[str, bool] = {
    "roc_auc": True,
    "pr_auc": True,
    "balanced_accuracy": True,
    "mcc": True,
    "f1": True,
    "sensitivity": True,
    "specificity": True,
    "brier": False,
    "ece": False,
    "r2": True,
    "rmse": False,
    "mae": False,
    "pearson": True,
    "spearman": True,
}
DISPLAY_NAMES: dict[str, str] = {
    "roc_auc": "ROC AUC",
    "pr_auc": "PR AUC",
    "balanced_accuracy": "Balanced accuracy",
    "mcc": "MCC",
    "f1": "F1",
    "sensitivity": "Sensitivity",
    "specificity": "Specificity",
    "brier": "Brier score",
    "ece": "Calibration error (ECE)",
    "r2": "R²",
    "rmse": "RMSE",
    "mae": "MAE",
    "pearson": "Pearson r",
    "spearman": "Spearman ρ",
}


def metric_names(task: str) -> tuple[MetricName, ...]:
    """The metrics a success criterion can be stated in, for ``task``."""
    return CLASSIFICATION_METRICS if task == "classification" else REGRESSION_METRICS


def panel_metric_names(task: str) -> tuple[MetricName, ...]:
    """Every metric a panel reports."""
    return metric_names(task) + EXTRA_METRICS.get(task, ())


# ----- baselines -----------------------------------------------------------------------------------------

# name -> what the user reads; the models themselves are in guiapp.core.models.baselines.
CLASSIFIER_BASELINES: dict[str, str] = {
    "logistic_regression": "Logistic regression (L2)",
    "logistic_regression_l1": "Logistic regression (L1)",
    "random_forest": "Random forest",
    "gradient_boosting": "Gradient-boosted trees (histogram)",
    "knn": "k-nearest neighbours",
    "naive_bayes": "Naive Bayes (Gaussian)",
    "svm_rbf": "SVM (RBF kernel)",
    "majority": "Majority class (chance level)",
}
REGRESSOR_BASELINES: dict[str, str] = {
    "ridge": "Ridge regression",
    "random_forest": "Random forest",
    "gradient_boosting": "Gradient-boosted trees (histogram)",
    "knn": "k-nearest neighbours",
    "svr": "Support vector regression (RBF kernel)",
    "mean": "Mean of the training targets (chance level)",
}


def baseline_names(task: str) -> dict[str, str]:
    """The baselines of ``task``: name -> the words the user reads."""
    return CLASSIFIER_BASELINES if task == "classification" else REGRESSOR_BASELINES


# ----- the checklist ---------------------------------------------------------------------------------------

# The ids of the checklist's items, in order (the items themselves: guiapp.core.guidance.checklist,
# which checks at import that its items carry exactly these ids, in this order).
CHECKLIST_ITEM_IDS: tuple[str, ...] = (
    "question-stated",
    "success-criteria",
    "provenance-recorded",
    "samples-per-class",
    "sensitivity-declared",
    "pii-scan-run",
    "no-identifier-features",
    "consent-recorded",
    "batch-effects-checked",
    "batch-remedy-chosen",
    "test-set-sealed",
    "samples-per-split",
    "group-aware-split",
    "no-duplicates-across-splits",
    "preprocessing-train-only",
    "baselines-same-split",
    "verdict-recorded",
    "architecture-small",
    "network-tuned",
    "baselines-tuned-equally",
    "seed-and-determinism",
    "training-curves",
    "overfitting-checked",
    "label-shuffle-control",
    "learning-curve",
    "imbalance-aware-metrics",
    "intervals-reported",
    "compared-with-baselines",
    "subgroup-results",
    "calibration-checked",
    "label-proxy-checked",
    "test-used-once",
    "interpretation-run",
    "ethics-register",
    "weights-decision",
    "membership-audit",
    "dp-recorded",
    "card-fields-written",
    "findings-acted-on",
    "versions-recorded",
)

# Status words of an item, as the panel, checklist.json and the card show them.
EvidenceStatus = Literal["done", "attested", "open", "violated", "not applicable"]
DONE: EvidenceStatus = "done"
ATTESTED: EvidenceStatus = "attested"
OPEN: EvidenceStatus = "open"
VIOLATED: EvidenceStatus = "violated"
NOT_APPLICABLE: EvidenceStatus = "not applicable"
EVIDENCE_STATUSES: tuple[EvidenceStatus, ...] = get_args(EvidenceStatus)

# ----- the ethics register ------------------------------------------------------------------------------------

EntryStatus = Literal["open", "resolved"]
ENTRY_STATUSES: tuple[EntryStatus, ...] = get_args(EntryStatus)
