"""Applying an exported model to new samples: ``tenfold predict BUNDLE DATA --out preds.csv``.

The new table must hold the model's feature columns by name, in the order the model was
trained on; any mismatch is an error that lists what is missing or out of place, never a
silent reshuffle (``by_name=True`` takes the columns by name when the order differs). The
bundle is opened by :mod:`guiapp.core.bundle`, which never unpickles anything.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd

from guiapp.core.bundle import MODEL_KINDS, BundleError, load_knn, load_network, open_bundle
from guiapp.core.errors import DataError, TenfoldError
from guiapp.core.tasks import ProgressFn, StopFn, check_stop, no_progress


def check_features(table: pd.DataFrame, features: list, *, by_name: bool = False,
                   file_name: str = "the table") -> list[str]:
    """The model's feature columns as they appear in ``table``; a :class:`DataError` on mismatch."""
    columns = [str(c) for c in table.columns]
    missing = [f for f in features if f not in columns]
    if missing:
        shown = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
        raise DataError(f"{file_name} lacks {len(missing)} of the model's {len(features)} feature "
                        f"column(s): {shown}. The model needs every feature it was trained on, with "
                        "the same names (see model/config.json in the bundle).")
    present = [c for c in columns if c in set(features)]
    if present != list(features) and not by_name:
        k = next(i for i, (a, b) in enumerate(zip(present, features)) if a != b)
        raise DataError(f"{file_name} has the model's feature columns in another order: position "
                        f"{k + 1} is {present[k]!r}, the model expects {features[k]!r}. Put the columns "
                        "in the order of model/config.json, or pass --by-name to take them by name.")
    for f in features:
        if not pd.api.types.is_numeric_dtype(table[f]):
            bad = table[f][pd.to_numeric(table[f], errors="coerce").isna() & table[f].notna()]
            raise DataError(f"Feature column {f!r} of {file_name} holds text (e.g. {bad.iloc[0]!r}); "
                            "the model needs numbers.")
    return list(features)


def predict_table(bundle_dir, table: pd.DataFrame, *, model: str = "auto", by_name: bool = False,
                  file_name: str = "the table", progress: ProgressFn = no_progress,
                  should_stop: Optional[StopFn] = None) -> pd.DataFrame:
    """Predictions for every row of ``table``: the identifier columns, ``predicted`` and, for a
    classifier, ``p_<class>`` per class (rounded as in the bundle's predictions.csv)."""
    progress(0.0, "Checking the bundle")
    bundle = open_bundle(bundle_dir)
    c = bundle.config
    if c.get("batch_correction", "none") != "none":
        raise BundleError(f"This model was trained on {c['batch_correction']}-corrected data, and the "
                          "correction is not part of the bundle: Tenfold cannot apply it to new samples "
                          "yet. Predict inside the study instead.")
    kind = c.get("default_model") if model == "auto" else model
    if kind not in MODEL_KINDS:
        raise TenfoldError(f"Choose the model to apply: auto, {', '.join(MODEL_KINDS)}; not {model!r}.")
    if kind not in bundle.available:
        raise BundleError(f"The bundle has no {kind.replace('_', ' ')} model (withheld at export); it "
                          f"has: {', '.join(bundle.available)}.")
    features = check_features(table, c["feature_columns"], by_name=by_name, file_name=file_name)
    X = np.array(table[features].to_numpy(dtype=np.float32), copy=True)  # writable: torch wants to own it
    check_stop(should_stop)
    progress(0.3, f"Applying the {kind.replace('_', ' ')} to {len(X)} samples")
    classification = c["task"] == "classification"
    if kind == "knn":
        pipe = load_knn(bundle)
        if classification:
            proba = pipe.predict_proba(X)
            out = np.zeros((len(X), len(c["classes"])))
            out[:, np.asarray(pipe.classes_, dtype=int)] = proba
        else:
            out = pipe.predict(X)
    else:
        import torch

        net = load_network(bundle, kind)
        with torch.no_grad():
            raw = net(torch.as_tensor(X))
            out = (torch.softmax(raw, dim=1) if classification else raw.squeeze(1)).numpy()
    keep = [col for col in c.get("identifiers", []) if col in table.columns]
    frame = table[keep].copy().reset_index(drop=True)
    frame.insert(0, "row", np.arange(len(table)))
    if classification:
        classes = c["classes"]
        frame["predicted"] = [classes[i] for i in out.argmax(axis=1)]
        for k, cls in enumerate(classes):
            frame[f"p_{cls}"] = out[:, k].round(6)
    else:
        frame["predicted"] = out
    frame.attrs["model"] = kind
    progress(1.0, "Predictions done")
    return frame


def predict_file(bundle_dir, data_path, out_path, *, model: str = "auto", by_name: bool = False,
                 progress: ProgressFn = no_progress, should_stop: Optional[StopFn] = None) -> pd.DataFrame:
    """Read ``data_path`` (CSV/TSV, as on the Data page), predict, write ``out_path`` as CSV."""
    from guiapp.core.data import read_table

    data_path = Path(data_path)
    table = read_table(data_path)
    frame = predict_table(bundle_dir, table, model=model, by_name=by_name, file_name=data_path.name,
                          progress=progress, should_stop=should_stop)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out_path, index=False)
    return frame
