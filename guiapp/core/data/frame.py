"""The numbers the later steps learn from: the study's features, label and labelled rows.

:func:`model_frame` turns the loaded table (or features left on disk,
:mod:`guiapp.core.data.streaming`) into ``X``, ``y`` and the labelled rows, in table order.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd

from guiapp.core.data import errors as E
from guiapp.core.data.anndata_io import BackedX
from guiapp.core.data.image_stream import ImageCache, streamed_images
from guiapp.core.data.missing import fill_most_frequent
from guiapp.core.data.profile import label_values
from guiapp.core.data.streaming import StreamedRows
from guiapp.core.data.transform import apply as apply_transform
from guiapp.core.study.errors import DataError
from guiapp.core.study.model import Study


def model_frame(study: Study) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Features ``X`` (float32), label ``y`` and the labelled rows, in table order.

    Class labels become integer codes in the order of ``study.data.classes``. Image and
    sequence studies give their pixels and one-hot letters flattened, one row per sample
    (``study.data.input_shape`` turns a row back). With the missing-value choice
    "most-frequent", missing cells are filled with the training split's most frequent value
    once the split exists; otherwise the models' own imputers fill them (median).
    """
    table = study.table
    if table is None:
        raise DataError("No data are loaded for this study: load a table on the Data page.")
    label = study.data.label
    labelled = table[label].notna().to_numpy()
    rows = table[labelled].reset_index(drop=True)
    source = streamed_source(study)
    if source is not None:  # features left on disk: read by rows when a step asks (guiapp.core.data.streaming)
        if source.shape[0] != len(table):
            raise E.FileChangedError("The streamed features no longer match the study's samples: load the data again.")
        # StreamedRows stands in for the matrix: it reads rows when indexed (guiapp.core.data.streaming)
        X = cast(np.ndarray, StreamedRows(source, np.flatnonzero(labelled)))
    else:
        X = rows[study.data.feature_columns].to_numpy(dtype=np.float32, na_value=np.nan)
        X = apply_transform(X, study.data.feature_columns, getattr(study.data, "transform", {}))
    if study.is_classification:
        lookup = {str(c): i for i, c in enumerate(study.data.classes)}
        y = label_values(rows[label]).astype(str).map(lookup).to_numpy()
        if np.isnan(y.astype(float)).any():
            raise DataError(
                f"The label column {label!r} holds values that were not seen when the data were profiled; load the data again."
            )
        y = y.astype(np.int64)
    else:
        y = rows[label].to_numpy(dtype=np.float32)
    if (
        source is None
        and getattr(study.data, "missing", "median") == "most-frequent"
        and study.split.train_idx
        and np.isnan(X).any()
    ):
        X = fill_most_frequent(X, np.asarray(study.split.train_idx))
    return X, y, rows


def streamed_source(study: Study) -> ImageCache | BackedX | None:
    """The row source of a study whose features stay on disk (see :func:`guiapp.core.data.loading.load_dataset`), else None."""
    kind = (study.data.options or {}).get("stream")
    if kind == "images":
        return streamed_images(study)
    if kind == "h5ad":
        return BackedX(study.data.provenance.path)
    return None
