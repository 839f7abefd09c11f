"""Remedies the split applies (Tip 7): copies kept together, batch × label strata, and the
record of each remedy for the study and the card.

- :func:`copy_clusters`: exact and near copies joined into clusters (a copy of a copy is in
  the same cluster); :func:`keep_clusters_together` moves each cluster that a drawn split
  divides to the part holding most of it (ties: training), so no sample is tested against
  its own copy. With the group strategy the clusters join the groups before drawing.
- :func:`batch_label_strata`: the strata of the ``batch-label-stratified`` strategy: every
  batch × label cell in every part, in proportion.
- :func:`record_split_remedies` / :func:`remedy_sentences`: what was done and why, in words,
  for ``study.split.remedies``, the model card and the report. Each record names the finding
  it answers, so the finding can be settled by it.

The group column found from the copies is :mod:`guiapp.core.batch.group_columns`'s; the
page actions that apply a remedy and redraw the split are :mod:`guiapp.core.split.remedy_actions`.
"""

from __future__ import annotations

import numpy as np

from guiapp.core.study.blocking import settle_by_remedy, unsettle
from guiapp.core.study.model import Study
from guiapp.core.study.records import SplitRemedyRecord
from guiapp.core.study.vocabulary import SPLIT_REMEDIES

COPY_REMEDY = "copy-aware-split"
NEAR_SEARCH_CELLS = 20_000_000  # samples × features up to which the split looks for near-copies itself


def copy_clusters(pairs, n: int) -> np.ndarray:
    """Cluster number of each of ``n`` rows: rows joined by copy pairs share one (union-find)."""
    parent = np.arange(n)

    def find(i):
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:
            parent[i], i = root, parent[i]
        return root

    for pr in pairs:
        i, j = int(pr[0]), int(pr[1])
        if i < n and j < n:
            a, b = find(i), find(j)
            if a != b:
                parent[max(a, b)] = min(a, b)
    return np.array([find(i) for i in range(n)])


def cluster_counts(clusters: np.ndarray) -> tuple[int, int]:
    """(clusters of two or more rows, rows in them)."""
    _, counts = np.unique(clusters, return_counts=True)
    big = counts[counts > 1]
    return int(len(big)), int(big.sum())


def groups_with_copies(groups: np.ndarray | None, clusters: np.ndarray) -> np.ndarray:
    """Groups widened so that a copy cluster never spans two groups (union of both relations)."""
    import pandas as pd  # pandas: imported lazily, the window imports the split at open

    if groups is None:
        return clusters.astype(str)
    codes = pd.factorize(pd.Series(groups))[0]
    n = len(codes)
    pairs = [(i, int(first)) for i, first in enumerate(pd.Series(np.arange(n)).groupby(codes).transform("min"))]
    pairs += [(i, int(c)) for i, c in enumerate(clusters)]
    return copy_clusters(pairs, n).astype(str)


def keep_clusters_together(train, tune, test, clusters: np.ndarray, *, fixed_test: bool = False):
    """Move each divided cluster to the part holding most of it (ties: train, then tune).

    With ``fixed_test`` (whole batches form the test set) the test part is left as drawn and
    only training and tune rows move. Returns the three parts, rows moved and clusters still
    divided.
    """
    import pandas as pd  # pandas: imported lazily, the window imports the split at open

    part = np.full(len(clusters), -1)
    for code, idx in enumerate((train, tune, test)):
        part[np.asarray(idx, dtype=int)] = code
    moved = straddling = 0
    frame = pd.DataFrame({"c": clusters, "part": part})
    frame = frame[frame["part"] >= 0]
    spread = frame.groupby("c")["part"].nunique()
    for c in spread[spread > 1].index:
        rows = frame.index[frame["c"] == c].to_numpy()
        parts = part[rows]
        if fixed_test and (parts == 2).any():
            movable = rows[parts != 2]
            if len(np.unique(part[movable])) > 1:  # keep at least train and tune rows together
                target = int(np.bincount(part[movable], minlength=3).argmax())
                moved += int((part[movable] != target).sum())
                part[movable] = target
            straddling += 1
            continue
        target = int(np.bincount(parts, minlength=3).argmax())  # argmax: first (train) on ties
        moved += int((parts != target).sum())
        part[rows] = target
    return (np.flatnonzero(part == 0), np.flatnonzero(part == 1), np.flatnonzero(part == 2), moved, straddling)


def batch_label_strata(batches: np.ndarray, y: np.ndarray, classification: bool) -> np.ndarray:
    """Stratum of each row: its batch × label cell; a cell too small to be divided (under 3
    rows) falls back to its label, and a label too small to its batch."""
    import pandas as pd  # pandas: imported lazily, the window imports the split at open

    batches = np.asarray(batches).astype(str)
    labels = np.asarray(y).astype(str) if classification else np.zeros(len(batches), dtype=str)
    cells = pd.Series(np.char.add(np.char.add(batches, "|"), labels))
    sizes = cells.map(cells.value_counts())
    strata = np.where(sizes >= 3, cells.to_numpy(), np.char.add("label|", labels)).astype(object)
    sizes = pd.Series(strata).map(pd.Series(strata).value_counts()).to_numpy()
    return np.where(sizes >= 2, strata, "rest").astype(str)


# ----- records ---------------------------------------------------------------------------------


def _confounded_text(study: Study, strategy: str) -> str:
    b, s = study.batch, study.split
    v = f" (Cramér's V = {b.cramers_v:.2f})" if b.cramers_v is not None else ""
    why = f"batch `{study.data.batch}` is confounded with the label{v}"
    if strategy == "batch-holdout":
        held = ", ".join(map(str, s.test_batches)) or "drawn batches"
        how = f"Split: leave-batch-out (whole batches {held} held out as the test set) because {why}."
    else:
        how = f"Split: batch × label stratified (each batch and label in every part, in proportion) because {why}."
    return (
        how + " No correction (ComBat included) can undo confounding: where batch and label go "
        "together it cannot tell one from the other, so the scores may still partly reflect the batch."
    )


def record_split_remedies(study: Study) -> list:
    """Rebuild the split's remedy records after a split was drawn; returns them."""
    s, b = study.split, study.batch
    kept = [
        r
        for r in s.remedies
        if r.get("remedy") not in SPLIT_REMEDIES or (r.get("remedy") == "group-split" and s.strategy == "group")
    ]
    out: list[SplitRemedyRecord] = []
    if s.strategy in ("batch-holdout", "batch-label-stratified") and b.confounded:
        out.append({"finding": "batch-confounded", "remedy": s.strategy, "text": _confounded_text(study, s.strategy)})
    elif (
        s.strategy in ("batch-holdout", "batch-label-stratified") and "batch-partly-confounded" in study.finding_codes()
    ):
        out.append(
            {
                "finding": "batch-partly-confounded",
                "remedy": s.strategy,
                "text": _confounded_text(study, s.strategy).replace("is confounded with", "is partly tied to"),
            }
        )
    cc = s.copy_clusters or {}
    if cc.get("clusters"):
        text = (
            f"{cc['clusters']} copy cluster(s) ({cc['samples']} samples) kept together on one side of "
            "the split"
            + (f"; {cc['straddling']} could not be, as whole batches form the test set" if cc.get("straddling") else "")
            + "."
        )
        out.append(SplitRemedyRecord(finding="duplicates-across-splits", remedy=COPY_REMEDY, text=text))
    s.remedies = kept + out
    sync_settled(study)
    return s.remedies


def sync_settled(study: Study) -> None:
    """The findings the applied remedies settle, worked out again from the records each time: a
    remedy undone by a later split (another strategy, copies no longer kept together) makes its
    finding act again. Copies that a batch hold-out could not keep together settle nothing."""
    now = {}
    for r in study.split.remedies:
        straddling = (study.split.copy_clusters or {}).get("straddling")
        if r.get("remedy") == COPY_REMEDY and straddling:
            continue
        now[r["finding"]] = r["text"]
        if r.get("remedy") == COPY_REMEDY:  # the copies themselves no longer inflate the scores
            for code in ("duplicate-samples", "near-duplicate-samples"):
                if code in study.finding_codes():
                    now[code] = r["text"]
    for code, entry in list(study.settled_findings.items()):
        if entry.get("by") == "remedy-record" and code not in now:
            unsettle(study, code)
    for code, text in now.items():
        if study.settled_findings.get(code, {}).get("remedy") != text.strip():
            settle_by_remedy(study, code, text)["by"] = "remedy-record"


def record_remedy(study: Study, finding: str, remedy: str, text: str) -> None:
    """Add (or replace) the record of a remedy for ``finding``."""
    study.split.remedies = [
        r for r in study.split.remedies if not (r.get("finding") == finding and r.get("remedy") == remedy)
    ]
    study.split.remedies.append({"finding": finding, "remedy": remedy, "text": text})
    sync_settled(study)


def remedy_sentences(study: Study) -> list[str]:
    """Each applied remedy in words, for the card and the report."""
    return [r["text"] for r in study.split.remedies]
