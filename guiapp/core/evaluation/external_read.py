"""An external cohort read and checked as ``tenfold predict`` checks new samples: the study's
features by name (missing ones are named and refused), the same label set, the study's log
transform; then the study's own preprocessing, fitted on the training split only (the training
split's most frequent values, and the study's ComBat fit, which treats the cohort as a batch it
has not seen).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from guiapp.core.batch.combat import study_batches, study_correction
from guiapp.core.data import transform
from guiapp.core.study.errors import DataError, TenfoldError
from guiapp.core.study.model import Study
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext, no_progress

if TYPE_CHECKING:
    import pandas as pd

# the [data] options that say how a file is read; a cohort is read the same way
READ_OPTIONS = ("modality", "sheet", "image_size", "colour", "sequence_length", "alphabet", "crop", "sheet_id")


@dataclass
class Cohort:
    """One cohort's rows as the study's models take them."""

    name: str
    path: str
    label: str
    samples: str = ""
    # The arrays are None until read_cohort fills them (hence the type: ignore on each default).
    # X: features in the study's order, float32; y: class codes (study's order) or values.
    X: np.ndarray = field(default=None, repr=False)  # type: ignore[arg-type]
    y: np.ndarray = field(default=None, repr=False)  # type: ignore[arg-type]
    batches: np.ndarray = field(default=None, repr=False)  # type: ignore[arg-type]
    n: int = 0
    dropped_unlabelled: int = 0
    extra_columns: list = field(default_factory=list)  # columns the study does not use; left aside
    sha256: str = ""


def read_cohort(
    study: Study, path, *, label: str, name: str, samples: str = "", ctx: TaskContext = NO_CONTEXT
) -> Cohort:
    """Read and check a cohort; a :class:`DataError` names what is missing or different."""
    # These read tables with pandas: imported when a cohort is read, so the window opens fast.
    from guiapp.core.data.attach import file_provenance, load_dataset
    from guiapp.core.data.feature_check import check_features

    _check_request(study, label, name)
    path = Path(path).expanduser()
    options = {k: v for k, v in (study.data.options or {}).items() if k in READ_OPTIONS}
    loaded = load_dataset(
        path,
        label=label,
        samples=samples or "",
        transposed=study.data.transposed or None,
        options=options,
        ctx=ctx.with_progress(no_progress),
    )
    table = loaded.table
    if label not in table.columns:
        shown = ", ".join(map(str, list(table.columns)[:12]))
        raise DataError(
            f"The external cohort {name!r} ({path.name}) has no label column {label!r}. Its "
            f"columns include: {shown}. Give the column that holds "
            f"{'the classes' if study.is_classification else 'the value to predict'}."
        )
    features = check_features(
        table, list(study.data.feature_columns), by_name=True, file_name=f"The external cohort {name!r} ({path.name})"
    )
    labelled = table[table[label].notna()].reset_index(drop=True)
    cohort = Cohort(
        name=str(name).strip(),
        path=str(path),
        label=label,
        samples=str(samples or ""),
        dropped_unlabelled=int(len(table) - len(labelled)),
    )
    if len(labelled) < 2:
        raise DataError(
            f"The external cohort {name!r} has {len(labelled)} labelled sample(s) in {label!r}; "
            "a cohort needs labelled samples to be scored."
        )
    cohort.y = _label_codes(study, labelled[label], label, name)
    used = set(features) | {
        label,
        study.data.batch,
        study.data.group,
        *study.data.identifiers,
        *loaded.id_columns,
        *loaded.meta_columns,
    }
    cohort.extra_columns = [str(c) for c in table.columns if c not in used]
    cohort.X = _features(study, labelled, features, name)
    batch = study.data.batch
    cohort.batches = (
        labelled[batch].astype(str).to_numpy()
        if batch and batch in labelled.columns
        else np.array([f"external: {cohort.name}"] * len(labelled))
    )
    cohort.n = int(len(labelled))
    cohort.sha256 = file_provenance(path).sha256 if path.is_file() else ""
    return cohort


def _check_request(study: Study, label: str, name: str) -> None:
    if not name or not str(name).strip():
        raise TenfoldError(
            'Give the external cohort a name, e.g. "Hospital B, 2024": the card and the report name each cohort.'
        )
    if not label or not str(label).strip():
        raise TenfoldError(f"Name the label column of the external cohort {name!r}.")
    if not study.data.feature_columns:
        raise TenfoldError("Load the study's data first: a cohort is checked against its features.")


def _label_codes(study: Study, labels: pd.Series, label: str, name: str) -> np.ndarray:
    """The cohort's labels as the study codes them: its class codes, or numbers."""
    import pandas as pd  # pandas: imported lazily so the window opens fast

    from guiapp.core.data.profile import label_values  # reads labels with pandas: lazily too

    if study.is_classification:
        values = label_values(labels).astype(str)
        classes = [str(c) for c in study.data.classes]
        lookup = {c: i for i, c in enumerate(classes)}
        unknown = sorted(set(values) - set(classes))
        if unknown:
            raise DataError(
                f"The external cohort {name!r} uses another label set in {label!r}: "
                f"{', '.join(map(repr, unknown[:8]))} {'is' if len(unknown) == 1 else 'are'} not among the study's "
                f"classes ({', '.join(map(repr, classes))}). Recode the cohort's labels to the study's classes "
                "(the same spelling), or drop the samples of other classes."
            )
        return values.map(lookup).to_numpy().astype(np.int64)
    y = pd.to_numeric(labels, errors="coerce")
    if y.isna().any():
        bad = labels[y.isna()].iloc[0]
        raise DataError(
            f"The external cohort {name!r} has a non-numeric value {bad!r} in {label!r}; this study predicts a number."
        )
    return y.to_numpy(dtype=np.float32)


def _features(study: Study, labelled: pd.DataFrame, features: list[str], name: str) -> np.ndarray:
    """The cohort's features in the study's order, through the study's log transform, alike."""
    transform.check_columns(
        labelled,
        [c for c in transform.log1p_columns(study.data.transform) if c in features],
        file_name=f"the external cohort {name!r}",
    )
    return transform.apply(
        labelled[features].to_numpy(dtype=np.float32, na_value=np.nan),
        list(study.data.feature_columns),
        study.data.transform,
    )


def prepared_rows(study: Study, cohort: Cohort) -> np.ndarray:
    """The cohort's rows after the study's own preprocessing, fitted on the training split only."""
    from guiapp.core.data.attach import model_frame  # pulls pandas: imported lazily so the window opens fast

    X = cohort.X.copy()
    needs_fill = getattr(study.data, "missing", "median") == "most-frequent" and np.isnan(X).any()
    if not needs_fill and study.batch.remedy != "combat":
        return X  # the networks and baselines fill and scale inside, with training-split values
    X_all, y_all, rows = model_frame(study)
    train = np.asarray(study.split.train_idx, dtype=int)
    if needs_fill:
        for j in np.flatnonzero(np.isnan(X).any(axis=0)):
            values = X_all[train, j]
            values = values[~np.isnan(values)]
            if len(values):
                uniq, counts = np.unique(values, return_counts=True)
                X[np.isnan(X[:, j]), j] = uniq[np.argmax(counts)]
            else:
                X[np.isnan(X[:, j]), j] = 0.0
    if study.batch.remedy == "combat":
        batches = study_batches(study, rows)
        model = study_correction(study, X_all[train], y_all[train], batches[train])
        X = model.transform(X, cohort.batches).astype(np.float32)
    return X
