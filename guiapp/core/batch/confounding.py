"""Study design (Tips 4 and 7): batch tied to the label, and samples that are not independent.

- :func:`batch_label_confounding`: the batch × label table, Cramér's V, the chi-square p and
  the batches that hold a single label. Batch counts as *confounded* with the label when
  Cramér's V ≥ :data:`CONFOUNDED_V` (0.5), or when a batch of at least
  :data:`SINGLE_LABEL_MIN_SAMPLES` (10) samples holds one label only — then a model can
  score well by recognising the batch.
- Columns that name a group (donor, patient…) are suggested by :mod:`guiapp.core.batch.group_columns`.
- :func:`~guiapp.core.data.duplicates.find_duplicates` (in :mod:`guiapp.core.data.duplicates`):
  exact copies and near-copies of samples, and
  :func:`split_leak_findings`: copies and groups that the current split puts on both sides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from guiapp.core.data.duplicates import (  # noqa: F401  (kept importable from here: cf.find_duplicates)
    DuplicateReport,
    find_duplicates,
    standardise,
)
from guiapp.core.data.frame import model_frame
from guiapp.core.study.findings import Finding, Findings
from guiapp.core.study.model import Study

CONFOUNDED_V = 0.5
PARTLY_CONFOUNDED_V = 0.3
SINGLE_LABEL_MIN_SAMPLES = 10
ETA_SQUARED_CONFOUNDED = 0.25  # regression: share of the label's variance explained by batch

# ----- batch × label ----------------------------------------------------------------------------


@dataclass
class ConfoundingReport:
    table: dict  # batch -> {label: count}
    cramers_v: float | None  # classification
    p_value: float | None
    single_label_batches: list  # [{batch, label, n}]
    confounded: bool
    reading: str
    eta_squared: float | None = None  # regression: share of label variance explained by batch


def cramers_v(table: np.ndarray) -> tuple[float, float]:
    """Cramér's V and the chi-square p of a contingency table (no continuity correction)."""
    from scipy.stats import chi2_contingency  # scipy: imported lazily, only when a batch is measured

    table = np.asarray(table, dtype=float)
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    r, c = table.shape
    if min(r, c) < 2:
        return 0.0, 1.0
    chi2, p, _, _ = chi2_contingency(table, correction=False)
    return float(np.sqrt(chi2 / (table.sum() * (min(r, c) - 1)))), float(p)


def batch_label_confounding(batches, labels, *, task: str = "classification") -> ConfoundingReport:
    """How strongly batch and label go together; see the module text for the rule."""
    batches = pd.Series(np.asarray(batches).astype(str), name="batch")
    if task != "classification":
        from scipy.stats import f_oneway  # scipy: imported lazily, only when a batch is measured

        y = pd.Series(np.asarray(labels, dtype=float))
        groups = [y[batches.to_numpy() == b].to_numpy() for b in sorted(batches.unique())]
        total = ((y - y.mean()) ** 2).sum()
        between = sum(len(g) * (g.mean() - y.mean()) ** 2 for g in groups)
        eta2 = float(between / total) if total > 0 else 0.0
        p = float(f_oneway(*groups).pvalue) if len(groups) > 1 and all(len(g) > 1 for g in groups) else None
        confounded = eta2 >= ETA_SQUARED_CONFOUNDED
        table = {
            b: {"n": int(len(g)), "mean": float(g.mean())}
            for b, g in zip(sorted(batches.unique()), groups, strict=False)
        }
        reading = f"Batch explains {eta2:.0%} of the label's variance" + (
            ": batch is confounded with the label." if confounded else "."
        )
        return ConfoundingReport(table, None, p, [], confounded, reading, eta_squared=eta2)
    labels = pd.Series(np.asarray(labels).astype(str), name="label")
    crosstab = pd.crosstab(batches, labels)
    v, p = cramers_v(crosstab.to_numpy())
    sizes = crosstab.sum(axis=1)
    single: list[dict[str, Any]] = [
        {"batch": str(b), "label": str(crosstab.columns[row.to_numpy().argmax()]), "n": int(sizes[b])}
        for b, row in crosstab.iterrows()
        if (row > 0).sum() == 1 and crosstab.shape[1] > 1
    ]
    big_single = [s for s in single if s["n"] >= SINGLE_LABEL_MIN_SAMPLES]
    confounded = crosstab.shape[0] > 1 and crosstab.shape[1] > 1 and (v >= CONFOUNDED_V or bool(big_single))
    if confounded:
        reading = f"Batch is confounded with the label (Cramér's V = {v:.2f})."
    elif v >= PARTLY_CONFOUNDED_V:
        reading = f"Batch and label are partly tied (Cramér's V = {v:.2f}); read per-batch results with care."
    else:
        reading = (
            f"Batch and label are not tied (Cramér's V = {v:.2f}; 0 means independent, 1 means one decides the other)."
        )
    table = {str(b): {str(k): int(n) for k, n in row.items()} for b, row in crosstab.iterrows()}
    return ConfoundingReport(table, v, p, single, confounded, reading)


# A partial tie is a finding only when the chi-square test also says it is not chance.
PARTLY_CONFOUNDED_P = 0.01


def confounding_finding(batch: str, report: ConfoundingReport) -> Finding | None:
    if report.cramers_v is None:
        return None
    if not report.confounded:
        if (
            report.cramers_v >= PARTLY_CONFOUNDED_V
            and report.p_value is not None
            and report.p_value < PARTLY_CONFOUNDED_P
        ):
            return Findings.batch_partly_confounded.raise_(batch=batch, cramers_v=report.cramers_v, p=report.p_value)
        return None
    if report.single_label_batches:
        shown = "; ".join(
            f"{s['batch']} holds only {s['label']!r} ({s['n']} samples)" for s in report.single_label_batches[:4]
        )
        more = len(report.single_label_batches) - 4
        detail = shown + (f"; and {more} more batch(es)" if more > 0 else "") + "."
    else:
        detail = "the share of each label differs strongly between batches."
    return Findings.batch_confounded.raise_(batch=batch, cramers_v=report.cramers_v, detail=detail)


# ----- what the split puts on both sides ---------------------------------------------------------


def split_parts(study: Study) -> np.ndarray | None:
    """Each labelled row's part of the split (0 train, 1 tune, 2 test; -1 none), or None."""
    s = study.split
    if not s.train_idx:
        return None
    part = np.full(study.data.n_samples or (len(s.train_idx) + len(s.tune_idx) + len(s.test_idx)), -1)
    for code, idx in enumerate((s.train_idx, s.tune_idx, s.test_idx)):
        part[np.asarray(idx, dtype=int)] = code
    return part


def pairs_across_split(pairs, part: np.ndarray) -> list:
    """The pairs ``[i, j, kind]`` whose two samples are in different parts."""
    return [
        pr
        for pr in pairs
        if pr[0] < len(part)
        and pr[1] < len(part)
        and part[pr[0]] != part[pr[1]]
        and part[pr[0]] >= 0
        and part[pr[1]] >= 0
    ]


def groups_across_split(groups, part: np.ndarray) -> list:
    """Group values with samples in more than one part of the split."""
    frame = pd.DataFrame({"g": np.asarray(groups), "part": part})
    frame = frame[(frame["part"] >= 0) & frame["g"].notna()]
    spread = frame.groupby("g")["part"].nunique()
    return [str(g) for g in spread[spread > 1].index]


def split_leak_findings(study: Study) -> list:
    """Findings for copies and groups that the current split puts on both sides (Tip 7)."""
    part = split_parts(study)
    if part is None:
        return []
    findings = []
    crossing = pairs_across_split(study.batch.duplicate_pairs, part)
    if crossing:
        exact = sum(1 for pr in crossing if pr[2] == "exact")
        findings.append(
            Findings.duplicates_across_splits.raise_(count=len(crossing), exact=exact, near=len(crossing) - exact)
        )
    group = study.data.group
    if group and study.table is not None and group in study.table.columns:
        _, _, rows = model_frame(study)
        spread = groups_across_split(rows[group].to_numpy(), part)
        if spread:
            findings.append(
                Findings.groups_across_splits.raise_(column=group, count=len(spread), examples=", ".join(spread[:5]))
            )
    return findings
