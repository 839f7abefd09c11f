"""Study design (Tips 4 and 7): batch tied to the label, and samples that are not independent.

- :func:`batch_label_confounding`: the batch × label table, Cramér's V, the chi-square p and
  the batches that hold a single label. Batch counts as *confounded* with the label when
  Cramér's V ≥ :data:`CONFOUNDED_V` (0.5), or when a batch of at least
  :data:`SINGLE_LABEL_MIN_SAMPLES` (10) samples holds one label only — then a model can
  score well by recognising the batch.
- Columns that name a group (donor, patient…) are suggested by :mod:`guiapp.core.batch.group_columns`.
- :func:`find_duplicates`: exact copies and near-copies of samples (standardised features
  that differ by less than :data:`NEAR_DUPLICATE_RMS` standard deviations on average), and
  :func:`split_leak_findings`: copies and groups that the current split puts on both sides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from guiapp.core.data.attach import model_frame
from guiapp.core.study.findings import Finding, Findings
from guiapp.core.study.model import Study
from guiapp.core.study.task_context import StopFn, check_stop

CONFOUNDED_V = 0.5
PARTLY_CONFOUNDED_V = 0.3
SINGLE_LABEL_MIN_SAMPLES = 10
ETA_SQUARED_CONFOUNDED = 0.25  # regression: share of the label's variance explained by batch
NEAR_DUPLICATE_RMS = 0.1  # standard deviations per feature, root-mean-square
DUPLICATE_MAX_QUERIES = 20_000  # near-copies are searched around at most this many samples
DUPLICATE_CANDIDATES = 10  # nearest neighbours checked per sample
CANDIDATE_COMPONENTS = 5  # candidates are neighbours in the first few PCs, then checked in full
MAX_PAIRS_KEPT = 1_000

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


# ----- duplicates ------------------------------------------------------------------------------


@dataclass
class DuplicateReport:
    exact_pairs: list = field(default_factory=list)  # [(i, j)], i < j, row order
    near_pairs: list = field(default_factory=list)
    threshold: float = NEAR_DUPLICATE_RMS
    searched: int = 0  # samples around which near-copies were looked for

    def pairs(self) -> list:
        return ([[i, j, "exact"] for i, j in self.exact_pairs] + [[i, j, "near"] for i, j in self.near_pairs])[
            :MAX_PAIRS_KEPT
        ]


def standardise(X: np.ndarray) -> np.ndarray:
    """Median-imputed features scaled to mean 0 and standard deviation 1 (constant ones to 0)."""
    X = np.asarray(X, dtype=np.float32)
    if np.isnan(X).any():
        fill = np.nan_to_num(np.nanmedian(X, axis=0))
        X = np.where(np.isnan(X), fill, X)
    centred = X - X.mean(axis=0, dtype=np.float64).astype(np.float32)
    std = np.sqrt(np.einsum("ij,ij->j", centred, centred, dtype=np.float64) / max(len(X), 1))
    centred /= np.where(std > 0, std, 1.0).astype(np.float32)
    return centred


def find_duplicates(
    X: np.ndarray,
    *,
    embedding: np.ndarray | None = None,
    standardised: np.ndarray | None = None,
    threshold: float = NEAR_DUPLICATE_RMS,
    max_queries: int = DUPLICATE_MAX_QUERIES,
    near: bool = True,
    seed: int = 0,
    should_stop: StopFn | None = None,
) -> DuplicateReport:
    """Exact copies (identical feature rows) and near-copies of samples, with bounded work.

    Near-copies are pairs whose standardised features differ by at most ``threshold``
    standard deviations (root mean square). ``embedding`` is an orthogonal projection of the
    standardised features (the PCs): a projection never lengthens a distance, so a near-copy
    is also near there; each searched sample's 10 nearest neighbours in the first five PCs
    are the candidates, checked on every feature. At most ``max_queries`` samples are
    searched around (``searched`` says how many).
    """
    from sklearn.neighbors import NearestNeighbors  # sklearn: imported lazily, only when copies are looked for

    X = np.asarray(X, dtype=np.float32)
    n, p = X.shape
    # Exact copies: rows with the same bytes (missing values compare equal), via a hash per row.
    same_bytes = np.ascontiguousarray(np.nan_to_num(X, nan=np.inf))
    keys = np.fromiter((hash(r.tobytes()) for r in same_bytes), dtype=np.int64, count=n)
    order = np.argsort(keys, kind="stable")  # copies side by side, each group in row order
    same = keys[order][1:] == keys[order][:-1]
    exact = [
        (int(a), int(b))
        for a, b in zip(order[:-1][same], order[1:][same], strict=False)
        if np.array_equal(same_bytes[a], same_bytes[b])
    ]
    exact_rows = {i for pair in exact for i in pair}
    if not near:
        return DuplicateReport(exact_pairs=exact, threshold=threshold)
    check_stop(should_stop)
    Z = standardise(X) if standardised is None else standardised
    if embedding is None:
        from sklearn.decomposition import PCA  # sklearn: imported lazily

        embedding = PCA(n_components=min(10, p, n - 1), random_state=seed).fit_transform(Z) if n > 2 else Z
    queries = (
        np.arange(n) if n <= max_queries else np.sort(np.random.default_rng(seed).choice(n, max_queries, replace=False))
    )
    k = min(DUPLICATE_CANDIDATES + 1, n)
    radius = threshold * np.sqrt(p)
    space = np.asarray(embedding)[:, :CANDIDATE_COMPONENTS]  # few dimensions: a fast k-d tree
    dist, idx = NearestNeighbors(n_neighbors=k).fit(space).kneighbors(space[queries])
    q, c = np.nonzero((dist <= radius) & (idx != queries[:, None]))
    a, b = queries[q], idx[q, c]
    pairs = np.unique(np.sort(np.stack([a, b], axis=1), axis=1), axis=0) if len(a) else np.empty((0, 2), int)
    near = []
    exact_set = set(exact)
    for start in range(0, len(pairs), 4096):
        check_stop(should_stop)
        chunk = pairs[start : start + 4096]
        rms = np.sqrt(np.mean((Z[chunk[:, 0]] - Z[chunk[:, 1]]) ** 2, axis=1))
        near += [
            (int(i), int(j))
            for (i, j), r in zip(chunk, rms, strict=False)
            if r <= threshold
            and (int(i), int(j)) not in exact_set
            and not (i in exact_rows and j in exact_rows and np.array_equal(same_bytes[i], same_bytes[j]))
        ]
    return DuplicateReport(exact_pairs=exact, near_pairs=near, threshold=threshold, searched=len(queries))


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
