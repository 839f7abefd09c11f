"""How the model card, the report and the cross-validation summary name each metric in running
text ("balanced accuracy", "Matthews correlation"), keyed by what the evaluation step stores.

The wizard's short column titles are :data:`guiapp.core.stats.metrics.DISPLAY_NAMES`.
"""

from __future__ import annotations

# Display names in the user's words; keys are what the evaluation step stores.
METRIC_NAMES = {
    "roc_auc": "ROC AUC",
    "pr_auc": "PR AUC (average precision)",
    "balanced_accuracy": "balanced accuracy",
    "accuracy": "accuracy",
    "f1": "F1 score",
    "f1_macro": "macro F1 score",
    "mcc": "Matthews correlation",
    "log_loss": "log loss",
    "brier": "Brier score",
    "ece": "expected calibration error",
    "sensitivity": "sensitivity",
    "specificity": "specificity",
    "rmse": "RMSE",
    "mae": "MAE",
    "mse": "MSE",
    "r2": "R²",
    "pearson": "Pearson r",
    "spearman": "Spearman ρ",
}


def metric_display_name(key: str) -> str:
    return METRIC_NAMES.get(key, key.replace("_", " "))
