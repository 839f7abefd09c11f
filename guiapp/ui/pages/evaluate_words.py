"""The Evaluate page's words: the sealed-test questions, the imbalance note and the threshold's tooltips."""

from __future__ import annotations

FIRST_TIME = (
    "The test set has been sealed since the split. Opening it now gives the one honest "
    "estimate of how the network will do on new samples.\n\n"
    "Do this once, at the very end: after you have seen the test score, any change you make "
    "to the data, the settings or the network is tuned to the test set, and its score is no "
    "longer honest (Tip 7).\n\nEvaluate on the sealed test set now?"
)
AGAIN = (
    "The test set was already used for the final evaluation. Looking again makes its score "
    "optimistic. The reason you give is recorded, and the model card and the checklist will "
    "show that the test set was used more than once.\n\nWhy do you need to evaluate again?"
)
IMBALANCE_LEAD = (
    "PR AUC leads here: with a minority class this rare, accuracy and ROC AUC can look "
    "good while most minority samples are missed (Tip 7)."
)


THRESHOLD_TIP = (
    "A sample is called positive when its predicted probability is above this. "
    "Sensitivity, specificity, F1, MCC and balanced accuracy depend on it."
)


def threshold_off_reason(study) -> str:
    """Why the decision threshold is greyed out, in words (the tooltip of the disabled box)."""
    if not study.is_classification:
        return (
            "Off: a decision threshold turns a probability into one of two classes, and this study "
            "predicts a number (regression)."
        )
    n = len(study.data.classes)
    if n < 2:
        return "Off until the data are loaded with a label of two classes."
    return (
        f"Off: a decision threshold needs exactly two classes, and this study has {n}. Each sample is "
        "called the class with the highest predicted probability."
    )


SCORE_LEGEND = (
    "★ marks the best model on each metric (the lowest for the Brier score and the calibration "
    "error). Point at a score for its 95% interval."
)


# Column titles of the models × metrics tables: short lines, so that every metric fits side by side
# with the model names readable (the full name is the title's tooltip).
SCORE_HEADERS = {
    "sensitivity": "Sensi-\ntivity",
    "specificity": "Speci-\nficity",
    "ece": "Calib-\nration\nerror",
}


def score_header(metric: str, name: str) -> str:
    """A metric's column title on short lines ("Balanced\naccuracy")."""
    return SCORE_HEADERS.get(metric) or name.replace(" ", "\n", 1)
