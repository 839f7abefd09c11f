"""A metric panel: every metric of a task with its bootstrap 95% interval, exact intervals where
the bootstrap collapses, and the curves behind the numbers (Tips 7 and 9)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from guiapp.core.stats.bootstrap import bootstrap_intervals
from guiapp.core.stats.curves import panel_details
from guiapp.core.stats.exact_intervals import replace_collapsed
from guiapp.core.stats.metrics import panel_metric_names, score


def metric_panel(
    task: str,
    y_true,
    output,
    *,
    n_boot: int = 200,
    seed: int = 0,
    threshold: float = 0.5,
    metrics: Sequence[str] | None = None,
    details: bool = True,
    classes: Sequence | None = None,
) -> dict:
    """Every metric of the task, with ``<name>_ci`` = bootstrap 95% interval [low, high].

    An interval that collapses (every resample scores the same) is replaced by an exact one
    (:mod:`guiapp.core.stats.exact_intervals`), and ``ci_notes`` says why, per metric.

    ``details`` adds a ``details`` dict (not a metric): the threshold, the prevalence, the
    confusion matrix, ROC and PR curves, the reliability diagram and per-class results, or
    for regression the residuals (see :func:`guiapp.core.stats.curves.panel_details`).
    """
    y_true = np.asarray(y_true)
    output = np.asarray(output)
    names = tuple(metrics) if metrics is not None else panel_metric_names(task)
    panel: dict = {"n": int(len(y_true))}
    for name in names:
        panel[name] = score(name, y_true, output, threshold)
    for name, ci in bootstrap_intervals(names, y_true, output, n_boot=n_boot, seed=seed, threshold=threshold).items():
        panel[f"{name}_ci"] = ci
    replace_collapsed(panel, names, y_true, output, n_boot=n_boot, threshold=threshold)
    if details and len(y_true):
        panel["details"] = panel_details(task, y_true, output, threshold=threshold, classes=classes)
    return panel
