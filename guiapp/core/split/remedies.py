"""Remedies the split applies (Tip 7): copies kept together, batch × label strata, a group
column found from the copies, and the record of each remedy for the study and the card.

- :func:`copy_clusters`: exact and near copies joined into clusters (a copy of a copy is in
  the same cluster); :func:`keep_clusters_together` moves each cluster that a drawn split
  divides to the part holding most of it (ties: training), so no sample is tested against
  its own copy. With the group strategy the clusters join the groups before drawing.
- :func:`batch_label_strata`: the strata of the ``batch-label-stratified`` strategy: every
  batch × label cell in every part, in proportion.
- :func:`group_column_from_copies`: a column most copy pairs share a value of — replicates or
  repeated patients — proposed as the group column.
- :func:`record_split_remedies` / :func:`remedy_sentences`: what was done and why, in words,
  for ``study.split.remedies``, the model card and the report. Each record names the finding
  it answers, so the finding can be settled by it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from guiapp.core.study.vocabulary import SPLIT_REMEDIES

COPY_REMEDY = "copy-aware-split"
GROUP_SHARE = 0.8  # share of copy pairs that must share the column's value
GROUP_MIN_PAIRS = 3
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
                target = np.bincount(part[movable], minlength=3).argmax()
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
    batches = np.asarray(batches).astype(str)
    labels = np.asarray(y).astype(str) if classification else np.zeros(len(batches), dtype=str)
    cells = pd.Series(np.char.add(np.char.add(batches, "|"), labels))
    sizes = cells.map(cells.value_counts())
    strata = np.where(sizes >= 3, cells.to_numpy(), np.char.add("label|", labels)).astype(object)
    sizes = pd.Series(strata).map(pd.Series(strata).value_counts()).to_numpy()
    return np.where(sizes >= 2, strata, "rest").astype(str)


def group_column_from_copies(rows: pd.DataFrame, pairs, *, exclude=()) -> dict | None:
    """A column that most copy pairs share a value of (replicates, repeated patients), or None.

    Looked at: columns other than ``exclude`` whose values repeat but are not the same in every
    row; at least :data:`GROUP_MIN_PAIRS` pairs and a share ≥ :data:`GROUP_SHARE` of them.
    """
    pairs = [pr for pr in pairs if int(pr[0]) < len(rows) and int(pr[1]) < len(rows)]
    if len(pairs) < GROUP_MIN_PAIRS:
        return None
    a = np.array([int(pr[0]) for pr in pairs])
    b = np.array([int(pr[1]) for pr in pairs])
    best = None
    for col in rows.columns:
        if col in exclude:
            continue
        values = rows[col]
        n_groups = values.nunique(dropna=True)
        if n_groups < 3 or n_groups >= values.notna().sum() or pd.api.types.is_float_dtype(values):
            continue
        v = values.astype(object).to_numpy()
        same = np.array([x == y and not pd.isna(x) for x, y in zip(v[a], v[b], strict=False)])
        share = float(same.mean())
        if share >= GROUP_SHARE and (best is None or share > best["share"]):
            best = {
                "column": str(col),
                "share": share,
                "n_pairs": len(pairs),
                "n_groups": int(n_groups),
                "reason": f"{same.sum()} of {len(pairs)} pairs of copies share a value of it: replicates "
                "or repeated samples of one donor or patient",
            }
    return best


# ----- records ---------------------------------------------------------------------------------


def _confounded_text(study, strategy: str) -> str:
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


def record_split_remedies(study) -> list:
    """Rebuild the split's remedy records after a split was drawn; returns them."""
    s, b = study.split, study.batch
    kept = [
        r
        for r in s.remedies
        if r.get("remedy") not in SPLIT_REMEDIES or (r.get("remedy") == "group-split" and s.strategy == "group")
    ]
    out = []
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
        out.append({"finding": "duplicates-across-splits", "remedy": COPY_REMEDY, "text": text})
    s.remedies = kept + out
    sync_settled(study)
    return s.remedies


def sync_settled(study) -> None:
    """The findings the applied remedies settle, worked out again from the records each time: a
    remedy undone by a later split (another strategy, copies no longer kept together) makes its
    finding act again. Copies that a batch hold-out could not keep together settle nothing."""
    from guiapp.core.study.blocking import settle_by_remedy, unsettle

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


def record_remedy(study, finding: str, remedy: str, text: str) -> None:
    """Add (or replace) the record of a remedy for ``finding``."""
    study.split.remedies = [
        r for r in study.split.remedies if not (r.get("finding") == finding and r.get("remedy") == remedy)
    ]
    study.split.remedies.append({"finding": finding, "remedy": remedy, "text": text})
    sync_settled(study)


def remedy_sentences(study) -> list[str]:
    """Each applied remedy in words, for the card and the report."""
    return [r["text"] for r in study.split.remedies]


def apply_split_remedy(study, remedy: str, reason: str = "") -> None:
    """The Split page's remedy for a confounded batch: leave-batch-out (``batch-holdout``) or
    ``batch-label-stratified``, recorded as the batch remedy and drawn at once."""
    from guiapp.core.batch.effects import choose_remedy
    from guiapp.core.split.draw import split_study
    from guiapp.core.study.errors import TenfoldError

    if remedy not in ("batch-holdout", "batch-label-stratified"):
        raise TenfoldError(f"{remedy!r} is not a split remedy; choose batch-holdout or batch-label-stratified.")
    redrawn_before = study.split.sealed and study.split.strategy != remedy
    choose_remedy(study, remedy, reason or "batch confounded with the label")
    if not redrawn_before:
        split_study(study)
