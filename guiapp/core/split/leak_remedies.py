"""The remedy for a feature that gives the label away (Tip 7): set it aside, and record why.

The leak scan itself is :mod:`guiapp.core.data.leaks`; setting features aside is recorded
among the split's remedies (:func:`guiapp.core.split.remedies.record_remedy`), so the model
card says what was set aside and why.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from guiapp.core.data.frame import model_frame
from guiapp.core.data.leaks import scan_before_training, scan_features
from guiapp.core.split.remedies import record_remedy
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.findings import Findings
from guiapp.core.study.model import Study


def set_aside_leaking_features(study: Study, columns: list | None = None) -> list:
    """The remedy for ``possible-label-leak``: the features with a leak signature (or
    ``columns``) stop being features (role "ignore"), and the data are scanned again. Models
    fitted with them become stale; refused once the sealed test set was used. Returns the
    columns set aside; recorded in ``study.split.remedies``."""
    if columns is None:
        found = next((f for f in study.findings if f.code == Findings.possible_label_leak.code), None)
        columns = list(found.values.get("columns", [])) if found is not None else []
    d = study.data
    columns = [c for c in columns if c in d.feature_columns]
    if not columns:
        return []
    if study.split.test_uses > 0:
        raise TenfoldError(
            "The sealed test set has already been used; changing the features now would "
            "hide what it measured. Start a new study (Tip 7)."
        )
    if len(columns) >= len(d.feature_columns):
        raise TenfoldError(
            "Every feature carries a leak signature; setting them all aside leaves nothing to "
            "learn from. Check how the table was made."
        )
    d.feature_columns = [c for c in d.feature_columns if c not in columns]
    d.n_features = len(d.feature_columns)
    for c in columns:
        d.roles[c] = "ignore"
    study.invalidate_after("data")
    scan_before_training(study)
    names = ", ".join(f"'{c}'" for c in columns)
    record_remedy(
        study,
        "possible-label-leak",
        "feature-set-aside",
        f"Feature(s) {names} set aside (not used by any model) because they carried a leak signature.",
    )
    return columns


def record_columns_set_aside(study: Study, columns) -> list:
    """The headless twin of :func:`set_aside_leaking_features`: of the ``columns`` the spec
    sets aside (role "ignore"), those with a leak signature are recorded as the remedy for
    ``possible-label-leak``, so the card says what was set aside and why. Returns them."""
    d, table = study.data, study.table
    if d.modality != "table" or table is None:
        return []
    columns = [c for c in columns if c in table.columns and c not in d.feature_columns and c != d.label]
    if not columns:
        return []
    _, y, rows = model_frame(study)
    X = rows[columns].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    keep = [j for j in range(X.shape[1]) if not np.isnan(X[:, j]).all()]
    if not keep:
        return []
    signals = scan_features(
        [columns[j] for j in keep], X[:, keep], y, task=study.question.task, label=d.label, seed=study.split.seed
    )
    leaking = [s.name for s in signals if s.leak]
    if leaking:
        names = ", ".join(f"'{c}'" for c in leaking)
        record_remedy(
            study,
            "possible-label-leak",
            "feature-set-aside",
            f"Feature(s) {names} set aside by the study spec (not used by any model) because they "
            "carried a leak signature.",
        )
    return leaking
