"""External cohorts' recorded results read back: one cohort's summary for ``metrics.json``, the
worst cohort (the generalizability criterion reads it), and ``metrics.json``'s section for the
cohorts, the leave-one-batch-out estimate and the new criteria's measurements.
"""

from __future__ import annotations

import numpy as np

from guiapp.core.stats.metrics import HIGHER_IS_BETTER
from guiapp.core.study.model import Study


def summary(record: dict, *, embedding: bool = False) -> dict:
    """One cohort's result for ``metrics.json``: the panels without their curve details."""
    out = {k: v for k, v in record.items() if k not in ("metrics", "baselines", "shift")}
    out["metrics"] = {k: v for k, v in record.get("metrics", {}).items() if k != "details"}
    out["calibration"] = ((record.get("metrics") or {}).get("details") or {}).get("reliability")
    out["baselines"] = {
        k: {m: v for m, v in p.items() if m != "details"} for k, p in record.get("baselines", {}).items()
    }
    shift = dict(record.get("shift") or {})
    if not embedding:
        shift.pop("embedding", None)
    out["shift"] = shift
    return out


def worst_cohort(study: Study) -> dict | None:
    """The cohort with the worst primary-metric score, or None without cohorts."""
    metric = study.primary_metric
    scored = [
        r
        for r in study.evaluation.external
        if r.get("metrics", {}).get(metric) is not None and np.isfinite(r["metrics"][metric])
    ]
    if not scored:
        return None
    sign = 1 if HIGHER_IS_BETTER.get(metric, True) else -1
    return min(scored, key=lambda r: sign * r["metrics"][metric])


def metrics_section(study: Study) -> dict:
    """``metrics.json``'s keys for this module's results and the new criteria's measurements."""
    e = study.evaluation
    return {
        "external": [summary(r) for r in e.external],
        "generalization_estimate": e.generalization or None,
        "efficiency": e.efficiency or None,
        "attribution_stability": study.interpret.stability or None,
    }
