"""The route a statistician would take instead of deep learning on a study's data, in plain words:
named by the Data step's too-few-samples finding and by the verdict (Tip 1).
"""

from __future__ import annotations

from guiapp.core.study.findings import Findings


def looks_like_counts(study) -> bool:
    """Whether the data step saw whole-number counts (a values-look-like-counts finding)."""
    return any(f.code == Findings.values_look_like_counts.code for f in study.findings)


def classical_alternative(study, *, counts: bool | None = None, n_samples: int | None = None) -> str:
    """The route a statistician would take instead of deep learning on these data, in plain words."""
    counts = looks_like_counts(study) if counts is None else counts
    n = study.data.n_samples if n_samples is None else n_samples
    if counts and study.is_classification:
        return (
            "For a table of counts with a few samples per condition, the classical route is a "
            "differential-expression test (a negative-binomial model with shared dispersions, as in "
            "DESeq2 or edgeR), which is built for exactly this design."
        )
    if n < 10:
        return (
            "With this few samples, a simple statistical test or a regularised linear model judged by "
            "leave-one-out cross-validation is the classical route; or collect more samples."
        )
    return (
        "The classical route is the tuned baselines (regularised linear models, tree ensembles), judged "
        "by repeated cross-validation rather than one small test set."
    )
