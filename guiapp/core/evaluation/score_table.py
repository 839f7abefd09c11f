"""The models × metrics table of one split: the network and each baseline down, the metrics across,
the best score of each metric marked, each score's 95% interval beside it.

Models down keeps the table narrow however many baselines the study fits. The Evaluate page shows
it for the tune split and the test set; the conclusion's compact table (the model card's) is the
test set's first few columns.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from guiapp.core.models.baselines import CLASSIFIERS, REGRESSORS
from guiapp.core.stats.interval_text import ci_cell
from guiapp.core.stats.metrics import DISPLAY_NAMES, HIGHER_IS_BETTER, panel_metric_names
from guiapp.core.study.model import Study

NETWORK = "Network"
SPLITS = ("tune", "test")


def model_name(name: str) -> str:
    """The words the user reads for a baseline's name."""
    return CLASSIFIERS.get(name) or REGRESSORS.get(name) or name


def value(panel: dict, metric: str) -> float | None:
    """The panel's score for ``metric``; None when it is missing or not a finite number."""
    v = (panel or {}).get(metric)
    return float(v) if isinstance(v, (int, float)) and math.isfinite(v) else None


def interval(panel: dict, metric: str) -> str:
    """The 95% interval of ``metric`` in words ("0.850–0.960", "none (constant)"), or "" when the panel has none."""
    return ci_cell((panel or {}).get(f"{metric}_ci"))


def marked_rows(models: list[tuple[str, dict]], keys: Sequence[str]) -> list[dict]:
    """``[{"model", "cells": [(text, best)]}]``: each model's scores on ``keys``, the best of each
    column marked (the highest, or the lowest where lower is better; ties all marked)."""
    best = {}
    for k in keys:
        present = [v for v in (value(p, k) for _, p in models) if v is not None]
        if present:
            best[k] = max(present) if HIGHER_IS_BETTER.get(k, True) else min(present)
    rows = []
    for model, panel in models:
        cells = []
        for k in keys:
            v = value(panel, k)
            cells.append(("—" if v is None else f"{v:.3f}", v is not None and abs(v - best.get(k, math.nan)) < 1e-12))
        rows.append({"model": model, "cells": cells})
    return rows


def split_models(study: Study, split: str) -> list[tuple[str, dict]]:
    """``[(model, panel)]`` of one split: the network first, then each baseline in the study's order."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    ev = study.evaluation
    if split == "tune":
        network = ev.tune_metrics or {}
        panels = {r["name"]: r.get("tune_metrics") or {} for r in study.baselines.results}
    else:
        network = ev.test_metrics or {}
        panels = dict(ev.baseline_test_metrics or {})
    return [(NETWORK, network)] + [(model_name(n), p) for n, p in panels.items()]


def split_table(study: Study, split: str, order: Sequence[str] | None = None) -> dict:
    """The models × metrics table of ``split`` ("tune" or "test") with every metric of the panel.

    ``{"columns": [(key, name)], "rows": [{"model", "cells": [(text, best)], "intervals": [text]}],
    "n": samples, "target": key}``; ``order`` puts those metrics first (the page's lead metric).
    """
    models = split_models(study, split)
    network = models[0][1]
    names = list(panel_metric_names(study.question.task))
    keys = [k for k in (order or []) if k in names] + [k for k in names if k not in (order or [])]
    keys = [k for k in keys if any(value(p, k) is not None for _, p in models)]
    rows = marked_rows(models, keys)
    for row, (_, panel) in zip(rows, models, strict=True):
        row["intervals"] = [interval(panel, k) for k in keys]
    return {
        "columns": [(k, DISPLAY_NAMES.get(k, k)) for k in keys],
        "rows": rows,
        "n": network.get("n"),
        "target": study.question.target_metric,
    }
