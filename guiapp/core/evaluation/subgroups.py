"""The same metrics per batch and per subgroup (site, sex, age band…), with intervals, and
the groups that do clearly worse flagged (Tip 7's hospital example; Tip 10's bias).

A model can score well overall and fail one hospital, one sequencing run or one sex. The
tables here say how each group fares; a gap is flagged when a group of at least
``MIN_GROUP_SIZE`` samples scores more than ``GAP_FLAG`` below the whole split and its own
interval stays below the overall score, so a small noisy group alone does not raise it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pandas is imported by the functions that use it: the wizard opens without it
    import pandas as pd

from guiapp.core.stats.metrics import BOUNDED, DISPLAY_NAMES, HIGHER_IS_BETTER
from guiapp.core.stats.panel import metric_panel
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.findings import Findings
from guiapp.core.study.model import Study

GAP_FLAG = 0.10  # on 0–1 metrics; other metrics: 10% of the overall value
MIN_GROUP_SIZE = 10
MAX_LEVELS = 12  # a column with more distinct values is banded (numbers) or skipped (text)
MAX_FEATURES_SCANNED = 200  # wide tables (genes): features are not offered as subgroups
N_BANDS = 4
GROUP_BOOTSTRAP = 100


def subgroup_candidates(study: Study) -> list[str]:
    """Columns that can sort samples into subgroups: not the label, no identifier, few values.

    Non-feature columns (site, sex, age…) come first; feature columns with a handful of
    values (a 0/1 sex code) after them. Numeric columns with many values are banded.
    """
    table = study.table
    if table is None:
        return []
    import pandas as pd  # pandas: imported lazily, only when this runs

    skip = {study.data.label, *study.data.identifiers}
    features = set(study.data.feature_columns)
    out, later = [], []
    scan_features = len(features) <= MAX_FEATURES_SCANNED
    for col in table.columns:
        if col in skip or (col in features and not scan_features):
            continue
        values = table[col].dropna()
        few = values.nunique() <= MAX_LEVELS
        numeric = pd.api.types.is_numeric_dtype(values)
        if col in features:
            if few and values.nunique() >= 2:
                later.append(str(col))
        elif (few or numeric) and values.nunique() >= 2:
            out.append(str(col))
    return out + later


def group_labels(column: pd.Series) -> np.ndarray:
    """Each sample's group: its value, or for a numeric column with many values its band
    (quartiles of the whole table, e.g. "[40, 55)"). Missing values form the group "missing"."""
    import pandas as pd  # pandas: imported lazily, only when this runs

    values = column
    if pd.api.types.is_numeric_dtype(values) and values.nunique() > MAX_LEVELS:
        edges = np.unique(np.nanquantile(values.to_numpy(dtype=float), np.linspace(0, 1, N_BANDS + 1)))
        which = np.clip(np.searchsorted(edges, values.to_numpy(dtype=float), side="right") - 1, 0, len(edges) - 2)
        names = [
            f"[{_num(edges[i])}, {_num(edges[i + 1])}{']' if i == len(edges) - 2 else ')'}"
            for i in range(len(edges) - 1)
        ]
        out = np.array([names[i] for i in which], dtype=object)
    else:
        out = values.astype(str).to_numpy(dtype=object)
    out[values.isna().to_numpy()] = "missing"
    return out.astype(str)


def _num(v: float) -> str:
    return f"{v:.3g}"


def group_metrics(
    task: str,
    y,
    output,
    groups,
    *,
    factor: str,
    metric: str,
    overall: dict | None = None,
    n_boot: int = GROUP_BOOTSTRAP,
    seed: int = 0,
    threshold: float = 0.5,
    metrics: Sequence[str] | None = None,
) -> dict:
    """Metrics of every group of one factor, with intervals, and which groups fall behind.

    Returns ``{"factor", "metric", "overall", "groups": [{"group", "n", "metrics", "flagged",
    "gap"}]}``; ``metrics`` is a panel without details.
    """
    y, output, groups = np.asarray(y), np.asarray(output), np.asarray(groups).astype(str)
    overall = (
        overall
        if overall is not None
        else metric_panel(task, y, output, n_boot=0, threshold=threshold, metrics=metrics, details=False)
    )
    ref = overall.get(metric)
    rows = []
    for g in sorted(set(groups.tolist())):
        mask = groups == g
        panel = metric_panel(
            task, y[mask], output[mask], n_boot=n_boot, seed=seed, threshold=threshold, metrics=metrics, details=False
        )
        gap, flagged = _gap(metric, panel, ref)
        rows.append({"group": g, "n": int(mask.sum()), "metrics": panel, "gap": gap, "flagged": flagged})
    return {"factor": factor, "metric": metric, "overall": ref, "groups": rows}


def _gap(metric: str, panel: dict, ref) -> tuple:
    value = panel.get(metric)
    if value is None or ref is None or not (np.isfinite(value) and np.isfinite(ref)):
        return None, False
    sign = 1 if HIGHER_IS_BETTER.get(metric, True) else -1
    gap = sign * (ref - value)  # > 0: the group does worse
    limit = GAP_FLAG if metric in BOUNDED else GAP_FLAG * max(abs(ref), 1e-12)
    ci = panel.get(f"{metric}_ci")
    clear = ci is None or (ci[1] < ref if sign > 0 else ci[0] > ref)
    return float(gap), bool(panel["n"] >= MIN_GROUP_SIZE and gap > limit and clear)


def study_factors(study: Study, rows: pd.DataFrame) -> list[tuple[str, np.ndarray]]:
    """(factor, group of every row) for the batch column and each chosen subgroup column."""
    factors = []
    names = ([study.data.batch] if study.data.batch else []) + [
        c for c in getattr(study.data, "subgroups", []) if c != study.data.batch
    ]
    for name in names:
        if name not in rows.columns:
            raise TenfoldError(
                f"The subgroup column {name!r} is not in the data; choose the subgroups again on the Evaluate page."
            )
        factors.append((name, group_labels(rows[name])))
    return factors


def split_group_metrics(study: Study, split: str, idx, y, output, overall: dict) -> list[dict]:
    """Per-batch and per-subgroup metrics of one split (``"tune"`` or ``"test"``)."""
    from guiapp.core.data.attach import model_frame  # pulls pandas: imported lazily so the window opens fast

    _, _, rows = model_frame(study)
    idx = np.asarray(idx, dtype=int)
    out = []
    for factor, labels in study_factors(study, rows):
        result = group_metrics(
            study.question.task,
            y,
            output,
            labels[idx],
            factor=factor,
            metric=study.primary_metric,
            overall=overall,
            seed=study.split.seed,
            threshold=getattr(study.evaluation, "threshold", 0.5),
        )
        result["split"] = split
        out.append(result)
    return out


def gap_findings(results: list[dict]) -> list:
    """One finding per group that does clearly worse than its split as a whole."""
    findings = []
    for r in results:
        for g in r["groups"]:
            if g["flagged"]:
                findings.append(
                    Findings.subgroup_gap.raise_(
                        factor=r["factor"],
                        group=g["group"],
                        n=g["n"],
                        split=r.get("split", "tune"),
                        metric=DISPLAY_NAMES.get(r["metric"], r["metric"]),
                        value=g["metrics"][r["metric"]],
                        overall=r["overall"],
                    )
                )
    return findings
