"""Train / tune / test split (Tip 7). The test set is sealed the moment it is drawn.

Sealing stores the test indices and a hash of them; :func:`sealed_test_rows` is the only
way to read test rows, and it refuses until the user finalises the study.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from typing import TYPE_CHECKING, cast

import numpy as np

from guiapp.core.batch.combat import correct_rows
from guiapp.core.data.streaming import StreamedRows, exact_copies
from guiapp.core.split import remedies as SR
from guiapp.core.study.errors import SealedTestSetError, TenfoldError
from guiapp.core.study.findings import Findings
from guiapp.core.study.model import SplitState, Study

if TYPE_CHECKING:  # pandas is imported lazily (the window imports this module at open): annotations only
    import pandas as pd
from guiapp.core.study.vocabulary import SPLIT_STRATEGIES

STRATEGIES = SPLIT_STRATEGIES
MIN_GROUPS = 3


def split_study(study: Study) -> None:
    """Draw the split and seal the test set. Refuses to redraw once the test set was used.

    - ``stratified`` / ``random``: samples drawn at random (class shares kept when stratified);
    - ``group``: whole groups (``study.data.group``: donor, patient…) go to one part, with the
      class shares kept where the groups allow (StratifiedGroupKFold); parts come close to,
      not exactly at, the fractions;
    - ``batch-holdout``: whole batches form the test set — ``split.holdout_batches``, or
      batches drawn with the seed until they hold about ``test_fraction`` of the samples; the
      tune part is drawn from the other batches (by group when a group column is set);
    - ``batch-label-stratified``: samples drawn at random with every batch × label cell kept
      in proportion in each part (guiapp.core.split.remedies.batch_label_strata).

    With ``split.keep_copies_together`` (the default) each cluster of exact and near copies
    stays on one side (guiapp.core.split.remedies); the counts go to ``split.copy_clusters``
    and every remedy applied to ``split.remedies``.
    """
    from guiapp.core.data.attach import model_frame  # imports pandas: the window imports this module at open

    s = study.split
    _check_settings(s)
    X, y, rows = model_frame(study)
    idx = np.arange(len(y))
    clusters = _copy_clusters(study, X, rows) if s.keep_copies_together else None
    del X
    if s.strategy in ("stratified", "random", "batch-label-stratified"):
        train, tune, test = _draw_at_random(study, y, rows, idx)
        test_batches: list = []
        n_groups: dict = {}
    else:
        train, tune, test, test_batches, n_groups = _draw_by_group_or_batch(study, y, rows, idx, clusters)
    s.copy_clusters = {}
    if clusters is not None:
        n_clusters, n_rows = SR.cluster_counts(clusters)
        train, tune, test, moved, straddling = SR.keep_clusters_together(
            train, tune, test, clusters, fixed_test=s.strategy == "batch-holdout"
        )
        if n_clusters:
            s.copy_clusters = {"clusters": n_clusters, "samples": n_rows, "moved": moved, "straddling": straddling}
    _check_parts(study, y, train, tune, test)
    s.train_idx, s.tune_idx, s.test_idx = (sorted(map(int, a)) for a in (train, tune, test))
    s.test_batches, s.n_groups = sorted(test_batches), n_groups
    s.test_hash = index_hash(s.test_idx)
    s.sealed = True
    s.counts = {name: _counts(study, y, getattr(s, f"{name}_idx")) for name in ("train", "tune", "test")}
    # A split drawn anew: what was measured on the old one, from the split on, is stale now.
    study.invalidate_after("batch")
    SR.record_split_remedies(study)
    _split_findings(study, rows)


def _check_settings(s: SplitState) -> None:
    """Refuse a redraw after the test set was used, an unknown strategy and fractions that
    leave too little to train on."""
    if s.test_uses > 0:
        raise TenfoldError(
            "The test set has already been used for the final evaluation; drawing a new "
            "split now would hide that. Start a new study to change the split (Tip 7)."
        )
    if s.strategy not in STRATEGIES:
        raise TenfoldError(f"Unknown split strategy {s.strategy!r}; this version offers {', '.join(STRATEGIES)}.")
    if not (
        0.05 <= s.test_fraction <= 0.5 and 0.05 <= s.tune_fraction <= 0.5 and s.test_fraction + s.tune_fraction < 0.8
    ):
        raise TenfoldError(
            "Choose test and tune fractions between 5% and 50% each, leaving at least 20% of the samples for training."
        )


def _tune_share(s: SplitState) -> float:
    """The tune part's share of what is left once the test part is drawn."""
    return s.tune_fraction / (1.0 - s.test_fraction)


def _draw_at_random(study: Study, y: np.ndarray, rows: pd.DataFrame, idx: np.ndarray) -> tuple:
    """``(train, tune, test)`` for the stratified, random and batch × label stratified strategies."""
    from sklearn.model_selection import train_test_split  # sklearn: imported lazily so the window opens fast

    s = study.split
    stratify = y if (s.strategy == "stratified" and study.is_classification) else None
    if s.strategy == "batch-label-stratified":
        if not study.data.batch or study.data.batch not in rows.columns:
            raise TenfoldError(
                "A batch × label stratified split needs a batch column (run, plate, site, day): "
                "choose it on the Data page, or choose another split strategy."
            )
        stratify = SR.batch_label_strata(rows[study.data.batch].to_numpy(), y, study.is_classification)
    try:
        rest, test = train_test_split(idx, test_size=s.test_fraction, random_state=s.seed, stratify=stratify)
        train, tune = train_test_split(
            rest,
            test_size=_tune_share(s),
            random_state=s.seed,
            stratify=None if stratify is None else np.asarray(stratify)[rest],
        )
    except ValueError as exc:
        raise TenfoldError(
            f"The split could not be drawn ({exc}). With very small classes a stratified "
            "split needs at least two samples of each class in every part: collect more "
            "samples, or lower the test and tune fractions."
        ) from None
    return train, tune, test


def _draw_by_group_or_batch(
    study: Study, y: np.ndarray, rows: pd.DataFrame, idx: np.ndarray, clusters: np.ndarray | None
) -> tuple:
    """``(train, tune, test, test batches, groups per part)`` for the group and hold-out-batch
    strategies; copy clusters join the groups so that a cluster never spans two groups."""
    s = study.split
    tune_share = _tune_share(s)
    test_batches: list = []
    n_groups: dict = {}
    groups = _groups(study, rows) if (s.strategy == "group" or study.data.group) else None
    if groups is not None and clusters is not None:  # a copy cluster never spans two groups
        groups = SR.groups_with_copies(groups, clusters)
    if s.strategy == "group":
        rest, test = _hold_out_groups(idx, y, groups, s.test_fraction, s.seed, study.is_classification)
    else:
        rest, test, test_batches = _hold_out_batches(study, rows, idx)
    if groups is not None:
        train, tune = _hold_out_groups(rest, y, groups, tune_share, s.seed, study.is_classification)
        n_groups = {
            name: int(len(np.unique(groups[part]))) for name, part in (("train", train), ("tune", tune), ("test", test))
        }
    else:
        train, tune = _stratified_or_random(rest, y, tune_share, s.seed, study.is_classification)
    return train, tune, test, test_batches, n_groups


def _copy_clusters(study: Study, X, rows: pd.DataFrame) -> np.ndarray:
    """Copy cluster of each row, from the copies the Batch-effects page found, or looked for
    now: exact copies always, near copies when the table is small enough to search quickly."""
    from guiapp.core.data.duplicates import find_duplicates  # imports pandas: the window imports this module at open

    b = study.batch
    if not b.explained_variance and not b.duplicate_pairs:
        if isinstance(X, StreamedRows):  # features on disk: exact copies from row hashes, a chunk at a time
            b.duplicate_pairs = [[i, j, "exact"] for i, j in exact_copies(X)]
            return SR.copy_clusters(b.duplicate_pairs, len(X))
        near = study.data.modality == "table" and X.size <= SR.NEAR_SEARCH_CELLS and len(X) > 2
        b.duplicate_pairs = find_duplicates(X, near=near, seed=study.split.seed).pairs()
    return SR.copy_clusters(b.duplicate_pairs, len(X))


def _groups(study: Study, rows) -> np.ndarray:
    """Each row's group; a row with no group value is a group of its own."""
    col = study.data.group
    if not col:
        raise TenfoldError(
            "A group split needs a group column (donor, patient, animal, cell line): choose it "
            "on the Data page, or choose another split strategy."
        )
    if col not in rows.columns:
        raise TenfoldError(f"The group column {col!r} is not in the data; choose another on the Data page.")
    values = rows[col].astype(object)
    missing = values.isna().to_numpy()
    out = values.astype(str).to_numpy().astype(object)
    out[missing] = [f"__row{i}" for i in np.flatnonzero(missing)]
    return out.astype(str)


def _hold_out_groups(idx, y, groups, fraction, seed, classification):
    """Split ``idx`` into (rest, held out) by whole groups, about ``fraction`` held out."""
    from sklearn.model_selection import GroupShuffleSplit, StratifiedGroupKFold  # sklearn: imported lazily

    idx = np.asarray(idx)
    g = groups[idx]
    n_groups = len(np.unique(g))
    if n_groups < MIN_GROUPS:
        raise TenfoldError(
            f"A group split needs at least {MIN_GROUPS} groups in every part it divides, and "
            f"there are {n_groups}. With so few donors or patients the scores cannot say how a "
            "model does on a new one; collect more, or choose another split strategy."
        )
    k = min(max(2, int(round(1.0 / fraction))), n_groups)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "least populated class has fewer members than n_splits"
        if classification:
            cv = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
            keep, out = next(cv.split(idx, y[idx], g))
        else:
            cv = GroupShuffleSplit(n_splits=1, test_size=fraction, random_state=seed)
            keep, out = next(cv.split(idx, None, g))
    return idx[keep], idx[out]


def _stratified_or_random(idx, y, fraction, seed, classification):
    from sklearn.model_selection import train_test_split  # sklearn: imported lazily so the window opens fast

    try:
        return train_test_split(idx, test_size=fraction, random_state=seed, stratify=y[idx] if classification else None)
    except ValueError:  # a class too small to stratify in these rows: draw at random
        return train_test_split(idx, test_size=fraction, random_state=seed)


def _hold_out_batches(study: Study, rows, idx):
    s, col = study.split, study.data.batch
    if not col or col not in rows.columns:
        raise TenfoldError(
            "A hold-out-batch split needs a batch column (run, plate, site, day): choose it on "
            "the Data page, or choose another split strategy."
        )
    batches = rows[col].astype(str).to_numpy()
    names, counts = np.unique(batches, return_counts=True)
    if len(names) < 2:
        raise TenfoldError(f"A hold-out-batch split needs at least two batches; {col!r} has one.")
    if s.holdout_batches:
        asked = [str(b) for b in s.holdout_batches]
        unknown = sorted(set(asked) - set(names))
        if unknown:
            raise TenfoldError(
                f"Batch(es) {', '.join(map(repr, unknown))} are not in column {col!r}; "
                f"its batches are {', '.join(map(str, names[:12]))}."
            )
        chosen = sorted(set(asked))
    else:
        order = np.random.default_rng(s.seed).permutation(len(names))
        chosen, held = [], 0
        for i in order:
            if chosen and held >= s.test_fraction * len(batches):
                break
            chosen.append(str(names[i]))
            held += counts[i]
    if set(chosen) >= set(names):
        raise TenfoldError("Holding out every batch leaves nothing to train on: hold out fewer batches.")
    out = np.isin(batches, chosen)
    return idx[~out], idx[out], sorted(chosen)


def _check_parts(study: Study, y, train, tune, test) -> None:
    for name, part in (("training", train), ("tune", tune), ("test", test)):
        if len(part) == 0:
            raise TenfoldError(f"The {name} part of this split is empty; change the fractions or the held-out batches.")
    if study.is_classification:
        missing = sorted(set(np.unique(y)) - set(np.unique(y[train])))
        if missing:
            names = ", ".join(repr(str(study.data.classes[m])) for m in missing)
            raise TenfoldError(
                f"The training part of this split holds no sample of {names}: the classes "
                "are tied to the held-out batches or groups (batch confounded with the "
                "label). Hold out other batches, or choose another strategy."
            )


def _split_findings(study: Study, rows: pd.DataFrame) -> None:
    # These import pandas: the window imports this module at open.
    from guiapp.core.batch.confounding import split_leak_findings
    from guiapp.core.data.attach import model_frame
    from guiapp.core.data.duplicates import find_duplicates

    if not study.batch.explained_variance and not study.batch.duplicate_pairs:
        # The Batch-effects page has not looked for copies yet: exact copies are cheap.
        if (study.data.options or {}).get("stream"):  # features on disk: row hashes, a chunk at a time
            streamed = cast(StreamedRows, model_frame(study)[0])  # "stream" set: the features are StreamedRows
            study.batch.duplicate_pairs = [[i, j, "exact"] for i, j in exact_copies(streamed)]
        else:
            X = rows[study.data.feature_columns].to_numpy(dtype=np.float32)
            study.batch.duplicate_pairs = find_duplicates(X, near=False).pairs()
    found = split_leak_findings(study)
    cc = study.split.copy_clusters
    if cc.get("clusters"):
        found.append(Findings.copies_kept_together.raise_(clusters=cc["clusters"], samples=cc["samples"]))
    study.set_findings("split", found)


def _counts(study: Study, y, idx) -> dict:
    if not study.is_classification:
        return {"n": len(idx)}
    values, counts = np.unique(y[idx], return_counts=True)
    return {str(study.data.classes[v]): int(c) for v, c in zip(values, counts, strict=False)}


def index_hash(indices) -> str:
    return hashlib.sha256(json.dumps(sorted(int(i) for i in indices)).encode()).hexdigest()


def require_split(study: Study) -> None:
    if not study.split.sealed or not study.split.train_idx:
        raise TenfoldError("Draw the train / tune / test split on the Split page first.")


def model_rows(study: Study, X, y, rows, idx) -> np.ndarray:
    """Rows ``idx`` of ``X`` as every model sees them: after the study's batch correction.

    With the ComBat remedy the correction is fitted on the training rows and their labels
    only, and applied to any rows without their labels (guiapp.core.batch.combat).
    """
    idx = np.asarray(idx, dtype=int)
    if study.batch.remedy == "combat":
        return correct_rows(study, X, y, rows, idx)
    return X[idx]


def train_tune_arrays(study: Study):
    """Training and tune rows only: ``(X_train, y_train, X_tune, y_tune)``."""
    from guiapp.core.data.attach import model_frame  # imports pandas: the window imports this module at open

    require_split(study)
    X, y, rows = model_frame(study)
    tr, tu = np.asarray(study.split.train_idx), np.asarray(study.split.tune_idx)
    return model_rows(study, X, y, rows, tr), y[tr], model_rows(study, X, y, rows, tu), y[tu]


def sealed_test_rows(study: Study, *, finalising: bool = False):
    """The sealed test rows ``(X_test, y_test)``; only the final evaluation may ask."""
    from guiapp.core.data.attach import model_frame  # imports pandas: the window imports this module at open

    require_split(study)
    if not finalising:
        raise SealedTestSetError(
            "The test set is sealed: it is read once, by the final evaluation on the "
            "Evaluate page, so that its score is an honest estimate (Tip 7)."
        )
    if index_hash(study.split.test_idx) != study.split.test_hash:
        raise SealedTestSetError(
            "The sealed test indices no longer match their hash: study.json was edited. "
            "Restore it, or start a new study."
        )
    X, y, rows = model_frame(study)
    te = np.asarray(study.split.test_idx)
    return model_rows(study, X, y, rows, te), y[te]
