"""Train / tune / test split (Tip 7). The test set is sealed the moment it is drawn.

Sealing stores the test indices and a hash of them; :func:`sealed_test_rows` is the only
way to read test rows, and it refuses until the user finalises the study.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np

from guiapp.core.errors import SealedTestSetError, TenfoldError

STRATEGIES = ("stratified", "random")


def split_study(study) -> None:
    """Draw the split and seal the test set. Refuses to redraw once the test set was used."""
    from sklearn.model_selection import train_test_split

    from guiapp.core.data import model_frame

    s = study.split
    if s.test_uses > 0:
        raise TenfoldError(
            "The test set has already been used for the final evaluation; drawing a new "
            "split now would hide that. Start a new study to change the split (Tip 7)."
        )
    if s.strategy not in STRATEGIES:
        raise TenfoldError(f"Unknown split strategy {s.strategy!r}; this version offers {', '.join(STRATEGIES)}.")
    if not (0.05 <= s.test_fraction <= 0.5 and 0.05 <= s.tune_fraction <= 0.5
            and s.test_fraction + s.tune_fraction < 0.8):
        raise TenfoldError(
            "Choose test and tune fractions between 5% and 50% each, leaving at least 20% "
            "of the samples for training."
        )
    _, y, _ = model_frame(study)
    idx = np.arange(len(y))
    stratify = y if (s.strategy == "stratified" and study.is_classification) else None
    try:
        rest, test = train_test_split(idx, test_size=s.test_fraction, random_state=s.seed,
                                      stratify=stratify)
        tune_share = s.tune_fraction / (1.0 - s.test_fraction)
        train, tune = train_test_split(rest, test_size=tune_share, random_state=s.seed,
                                       stratify=None if stratify is None else y[rest])
    except ValueError as exc:
        raise TenfoldError(
            f"The split could not be drawn ({exc}). With very small classes a stratified "
            "split needs at least two samples of each class in every part: collect more "
            "samples, or lower the test and tune fractions."
        ) from None
    s.train_idx, s.tune_idx, s.test_idx = (sorted(map(int, a)) for a in (train, tune, test))
    s.test_hash = index_hash(s.test_idx)
    s.sealed = True
    s.counts = {name: _counts(study, y, getattr(s, f"{name}_idx"))
                for name in ("train", "tune", "test")}
    # Everything downstream of the split is stale now.
    study.baselines.results = []
    study.train.status, study.train.history, study.train.weights = "not started", [], ""
    study.evaluation.tune_metrics = {}


def _counts(study, y, idx) -> dict:
    if not study.is_classification:
        return {"n": len(idx)}
    values, counts = np.unique(y[idx], return_counts=True)
    return {str(study.data.classes[v]): int(c) for v, c in zip(values, counts)}


def index_hash(indices) -> str:
    return hashlib.sha256(json.dumps(sorted(int(i) for i in indices)).encode()).hexdigest()


def require_split(study) -> None:
    if not study.split.sealed or not study.split.train_idx:
        raise TenfoldError("Draw the train / tune / test split on the Split page first.")


def train_tune_arrays(study):
    """Training and tune rows only: ``(X_train, y_train, X_tune, y_tune)``."""
    from guiapp.core.data import model_frame

    require_split(study)
    X, y, _ = model_frame(study)
    tr, tu = np.asarray(study.split.train_idx), np.asarray(study.split.tune_idx)
    return X[tr], y[tr], X[tu], y[tu]


def sealed_test_rows(study, *, finalising: bool = False):
    """The sealed test rows ``(X_test, y_test)``; only the final evaluation may ask."""
    from guiapp.core.data import model_frame

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
    X, y, _ = model_frame(study)
    te = np.asarray(study.split.test_idx)
    return X[te], y[te]
