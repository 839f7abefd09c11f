"""The Batch-effects plot's 2-D positions, kept in the study folder.

The positions (PCA always; UMAP when ``umap-learn`` is installed) are kept as plain arrays
(:data:`EMBEDDING_FILE`, no pickle) with a key of the data, features and seed they came
from, so a reopened study draws its plot without computing it again; a changed table or
feature set makes the stored positions stale and they are computed anew.
"""

from __future__ import annotations

import hashlib
import json
import os

import numpy as np

from guiapp.core.study.model import Study

EMBEDDING_FILE = "artifacts/batch_embedding.npz"
VIEWS = ("pca", "umap")


def embedding_key(study: Study) -> str:
    """What the positions depend on: the data file, label, features, sample count and seed."""
    d = study.data
    blob = json.dumps([d.provenance.sha256, d.label, list(d.feature_columns), d.n_samples, study.split.seed])
    return hashlib.sha256(blob.encode()).hexdigest()


def _read_store(study: Study) -> dict:
    if study.folder is None:
        return {}
    path = study.path(EMBEDDING_FILE)
    if not path.is_file():
        return {}
    try:
        with np.load(path, allow_pickle=False) as f:
            stored = {k: f[k] for k in f.files}
    except (OSError, ValueError):
        return {}
    if str(stored.get("key", "")) != embedding_key(study):
        return {}
    return stored


def stored_embedding(study: Study, kind: str = "pca") -> tuple | None:
    """``(coordinates, explained_variance)`` stored for the current data, or None."""
    stored = _read_store(study)
    if kind not in stored:
        return None
    return stored[kind], stored.get(f"{kind}_variance", np.zeros(0)).tolist()


def has_stored_embedding(study: Study, kind: str = "pca") -> bool:
    return stored_embedding(study, kind) is not None


def store_embedding(study: Study, kind: str, coordinates, explained_variance=()) -> bool:
    """Keep the 2-D positions in the study folder (other views of the same data are kept)."""
    if study.folder is None or kind not in VIEWS:
        return False
    stored = _read_store(study)
    stored.update(
        {
            "key": np.array(embedding_key(study)),
            kind: np.asarray(coordinates, dtype=np.float32)[:, :2],
            f"{kind}_variance": np.asarray(list(explained_variance), dtype=np.float64),
        }
    )
    path = study.path(EMBEDDING_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, **stored)
    os.replace(tmp, path)
    return True
