"""Reading a data table, recording where it came from, and profiling what is in it (Tip 4).

The walking skeleton reads CSV and TSV tables with one sample per row. Every problem with
a file becomes a :class:`DataError` naming the file, the row or column, and what to do.
"""

from __future__ import annotations

import csv
import datetime as _dt
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd

from guiapp.core.errors import DataError
from guiapp.core.findings import Finding, Findings
from guiapp.core.study import Provenance
from guiapp.core.tasks import ProgressFn, StopFn, check_stop, no_progress

MIN_SAMPLES_PER_CLASS = 100
IMBALANCE_RATIO = 3.0
TABLE_SUFFIXES = {".csv": ",", ".tsv": "\t", ".txt": None, ".tab": "\t"}
_SEPARATOR_NAMES = {",": "comma", "\t": "tab", ";": "semicolon"}


def file_provenance(path: os.PathLike, *, source: str = "", version: str = "",
                    downloaded: str = "", progress: ProgressFn = no_progress,
                    should_stop: Optional[StopFn] = None) -> Provenance:
    """Path, size, SHA-256 and modification time of a file, plus what the user says of it."""
    path = Path(path)
    size = path.stat().st_size
    digest = hashlib.sha256()
    done = 0
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
            done += len(chunk)
            progress(done / max(size, 1), f"Hashing {path.name}")
            check_stop(should_stop)
    modified = _dt.datetime.fromtimestamp(path.stat().st_mtime, _dt.timezone.utc)
    return Provenance(
        path=str(path.resolve()), size_bytes=size, sha256=digest.hexdigest(),
        modified=modified.replace(microsecond=0).isoformat(),
        source=source, version=version, downloaded=downloaded,
    )


def read_table(path: os.PathLike) -> pd.DataFrame:
    """Read a CSV/TSV table with a header row; sniff the delimiter for ``.txt``.

    Raises :class:`DataError` with the file name and what to do on any problem.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"The file {path} does not exist. Check the path, or choose the file again.")
    if path.is_dir():
        raise DataError(f"{path} is a folder, not a table. Choose a .csv or .tsv file inside it.")
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise DataError(
            f"{path.name}: Tenfold reads tables as .csv, .tsv or .txt (one sample per row, "
            f"a header row with column names); '{suffix or 'no extension'}' is not one of "
            "them. Save the table as CSV from your spreadsheet program and load that."
        )
    if path.stat().st_size == 0:
        raise DataError(f"{path.name} is empty. Choose the file that holds your samples.")
    sep = TABLE_SUFFIXES[suffix]
    try:
        with path.open("r", encoding="utf-8-sig", errors="strict") as fh:
            head = fh.read(64 * 1024)
    except UnicodeDecodeError:
        raise DataError(
            f"{path.name} is not a text table in UTF-8 (is it a spreadsheet or a binary "
            "file?). Export it as CSV (UTF-8) and load that."
        ) from None
    if sep is None:
        try:
            sep = csv.Sniffer().sniff(head, delimiters=",\t;").delimiter
        except csv.Error:
            sep = ","
    try:
        table = pd.read_csv(path, sep=sep, encoding="utf-8-sig")
    except pd.errors.ParserError as exc:
        raise DataError(
            f"{path.name} could not be read as a {_SEPARATOR_NAMES.get(sep, repr(sep))}-"
            f"separated table: {_parser_detail(exc)}. Check that every row has the same "
            "number of columns as the header."
        ) from None
    except (pd.errors.EmptyDataError, ValueError) as exc:
        raise DataError(f"{path.name} has no rows Tenfold can read ({exc}).") from None
    if table.shape[1] < 2:
        raise DataError(
            f"{path.name} has a single column. Tenfold needs one column per feature plus a "
            "label column; check the separator (comma for .csv, tab for .tsv)."
        )
    if len(table) < 10:
        raise DataError(f"{path.name} has only {len(table)} rows; a study needs at least 10 samples.")
    return table


def _parser_detail(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[-1]
    return text.rstrip(".")


def check_label(table: pd.DataFrame, label: str, *, file_name: str = "the table") -> None:
    if not label:
        raise DataError(f"Choose the label column: the column of {file_name} that the model should predict.")
    if label not in table.columns:
        close = [c for c in table.columns if str(c).lower() == label.lower()]
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise DataError(
            f"{file_name} has no column named {label!r}.{hint} Its columns are: "
            f"{', '.join(map(str, list(table.columns)[:12]))}{'…' if table.shape[1] > 12 else ''}."
        )


def check_batch(table: pd.DataFrame, batch: str, *, file_name: str = "the table") -> None:
    if batch and batch not in table.columns:
        raise DataError(f"{file_name} has no batch column named {batch!r}. Choose one of its columns or none.")


def check_group(table: pd.DataFrame, group: str, *, file_name: str = "the table") -> None:
    if group and group not in table.columns:
        raise DataError(f"{file_name} has no group column named {group!r}. Choose the column that "
                        "names the donor, patient, animal or cell line, or none.")


def feature_columns(table: pd.DataFrame, label: str, batch: str = "",
                    identifiers: Optional[list] = None, group: str = "") -> list[str]:
    """Numeric columns that may be used as features: never the label, batch, group or identifiers."""
    excluded = {label, batch, group, *(identifiers or [])}
    cols = [c for c in table.columns if c not in excluded and pd.api.types.is_numeric_dtype(table[c])]
    return [str(c) for c in cols]


def looks_like_identifier(series: pd.Series) -> bool:
    """A column with a distinct, non-numeric (or integer running) value in every row."""
    n = len(series)
    if n < 10 or series.nunique(dropna=True) != n:
        return False
    if pd.api.types.is_float_dtype(series):
        return False
    if pd.api.types.is_integer_dtype(series):
        values = np.sort(series.to_numpy())
        return bool(np.all(np.diff(values) == 1))
    return True


@dataclass
class DataProfile:
    """What is in the table, in numbers the Data page shows and findings cite."""

    n_samples: int
    n_features: int
    feature_columns: list
    classes: list = field(default_factory=list)
    class_counts: dict = field(default_factory=dict)
    missing_by_column: dict = field(default_factory=dict)
    constant_columns: list = field(default_factory=list)
    duplicate_rows: int = 0
    identifier_columns: list = field(default_factory=list)
    non_numeric_columns: list = field(default_factory=list)
    unlabelled: int = 0
    findings: list = field(default_factory=list)


def profile_table(table: pd.DataFrame, label: str, *, task: str = "classification",
                  batch: str = "", identifiers: Optional[list] = None, file_name: str = "the table",
                  progress: ProgressFn = no_progress,
                  should_stop: Optional[StopFn] = None, group: str = "") -> DataProfile:
    """Profile a table for the Data page and raise the findings it can already see."""
    check_label(table, label, file_name=file_name)
    check_batch(table, batch, file_name=file_name)
    check_group(table, group, file_name=file_name)
    progress(0.1, "Looking at the columns")
    identifiers = list(identifiers or [])
    suspected_ids = [str(c) for c in table.columns
                     if c not in (label, batch, group) and c not in identifiers and looks_like_identifier(table[c])]
    features = [c for c in feature_columns(table, label, batch, identifiers + suspected_ids, group)]
    if not features:
        raise DataError(
            f"{file_name} has no numeric feature columns besides the label. Tenfold's table "
            "models need numbers; convert text columns or choose another file."
        )
    non_numeric = [str(c) for c in table.columns
                   if c not in (label, batch, group) and str(c) not in features and str(c) not in identifiers + suspected_ids]
    check_stop(should_stop)
    findings: list[Finding] = []
    labelled = table[table[label].notna()]
    unlabelled = len(table) - len(labelled)
    if unlabelled:
        findings.append(Findings.label_missing.raise_(count=unlabelled, label=label))
    classes: list = []
    counts: dict = {}
    if task == "classification":
        vc = labelled[label].value_counts()
        if len(vc) < 2:
            found = f"a single value ({vc.index[0]!r})" if len(vc) else "no values at all"
            raise DataError(
                f"The label column {label!r} of {file_name} has {found}. "
                "A classifier needs at least two classes."
            )
        if len(vc) > max(50, len(labelled) // 5):
            raise DataError(
                f"The label column {label!r} has {len(vc)} different values in "
                f"{len(labelled)} samples: it looks continuous. Choose 'regression' as the "
                "task on the Question page, or choose another label column."
            )
        classes = sorted(vc.index.tolist(), key=str)
        counts = {str(k): int(v) for k, v in vc.items()}
        smallest = vc.idxmin()
        if vc.min() < MIN_SAMPLES_PER_CLASS:
            findings.append(Findings.too_few_samples_per_class.raise_(
                label_value=str(smallest), count=int(vc.min()), minimum=MIN_SAMPLES_PER_CLASS))
        ratio = vc.max() / vc.min()
        if ratio >= IMBALANCE_RATIO:
            findings.append(Findings.class_imbalance.raise_(
                ratio=float(ratio), minority=str(smallest), share=float(vc.min() / vc.sum())))
    elif not pd.api.types.is_numeric_dtype(labelled[label]):
        raise DataError(
            f"The label column {label!r} holds text, but the task is regression. Choose "
            "'classification' on the Question page, or a numeric label column."
        )
    progress(0.4, "Counting missing values")
    check_stop(should_stop)
    X = labelled[features]
    missing = X.isna().sum()
    missing_by_column = {str(c): int(n) for c, n in missing.items() if n > 0}
    if missing_by_column:
        findings.append(Findings.missing_values.raise_(
            n_columns=len(missing_by_column), share=float(missing.sum() / X.size)))
    progress(0.6, "Looking for constant features and duplicates")
    nunique = X.nunique(dropna=True)
    constant = [str(c) for c, n in nunique.items() if n <= 1]
    if constant:
        findings.append(Findings.constant_features.raise_(
            n_columns=len(constant), examples=", ".join(constant[:5])))
    check_stop(should_stop)
    dup = int(X.duplicated(keep="first").sum())
    if dup:
        findings.append(Findings.duplicate_samples.raise_(count=dup))
    for col in suspected_ids:
        findings.append(Findings.identifier_like_column.raise_(column=col))
    progress(1.0, "Profile done")
    return DataProfile(
        n_samples=len(labelled), n_features=len(features), feature_columns=features,
        classes=[_plain(c) for c in classes], class_counts=counts,
        missing_by_column=missing_by_column, constant_columns=constant, duplicate_rows=dup,
        identifier_columns=suspected_ids, non_numeric_columns=non_numeric,
        unlabelled=unlabelled, findings=findings,
    )


def _plain(v):
    return v.item() if hasattr(v, "item") else v


def model_frame(study) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Features ``X`` (float32), label ``y`` and the labelled rows, in table order.

    Class labels become integer codes in the order of ``study.data.classes``.
    """
    table = study.table
    if table is None:
        raise DataError("No data are loaded for this study: load a table on the Data page.")
    label = study.data.label
    rows = table[table[label].notna()].reset_index(drop=True)
    X = rows[study.data.feature_columns].to_numpy(dtype=np.float32)
    if study.is_classification:
        lookup = {str(c): i for i, c in enumerate(study.data.classes)}
        y = rows[label].astype(str).map(lookup).to_numpy()
        if np.isnan(y.astype(float)).any():
            raise DataError(f"The label column {label!r} holds values that were not seen when the data were profiled; load the data again.")
        y = y.astype(np.int64)
    else:
        y = rows[label].to_numpy(dtype=np.float32)
    return X, y, rows


def attach_data(study, path: os.PathLike, *, label: str, batch: str = "",
                identifiers: Optional[list] = None, sensitive: Optional[bool] = None,
                source: str = "", version: str = "", downloaded: str = "",
                progress: ProgressFn = no_progress, should_stop: Optional[StopFn] = None,
                group: str = "") -> DataProfile:
    """Load a table into the study: read, hash, profile, and record it all (Tip 4).

    ``group`` names the column whose samples belong together (donor, patient, animal, cell
    line); it is never a feature, and the group split keeps each group in one part.
    """
    path = Path(path)
    progress(0.0, f"Reading {path.name}")
    table = read_table(path)
    check_stop(should_stop)
    provenance = file_provenance(path, source=source, version=version, downloaded=downloaded,
                                 progress=lambda f, m: progress(0.2 + 0.3 * f, m),
                                 should_stop=should_stop)
    profile = profile_table(table, label, task=study.question.task, batch=batch,
                            identifiers=identifiers, file_name=path.name, group=group,
                            progress=lambda f, m: progress(0.5 + 0.5 * f, m),
                            should_stop=should_stop)
    d = study.data
    d.label, d.batch, d.sensitive, d.provenance = label, batch, sensitive, provenance
    d.group = group
    d.identifiers = sorted(set(identifiers or []) | set(profile.identifier_columns))
    d.n_samples, d.n_features = profile.n_samples, profile.n_features
    d.feature_columns, d.classes, d.class_counts = profile.feature_columns, profile.classes, profile.class_counts
    study.table = table
    findings = list(profile.findings)
    if sensitive is None:
        findings.append(Findings.sensitivity_undeclared.raise_())
    study.set_findings("data", findings)
    return profile


def reload_table(study) -> pd.DataFrame:
    """Read the study's table again (after reopening), and warn if the file changed."""
    prov = study.data.provenance
    if not prov.path:
        raise DataError("This study has no data file yet: load one on the Data page.")
    path = Path(prov.path)
    table = read_table(path)
    now = file_provenance(path)
    if prov.sha256 and now.sha256 != prov.sha256:
        raise DataError(
            f"{path} has changed since it was loaded into this study (its SHA-256 differs). "
            "Results would no longer match the data: load the file again on the Data page "
            "(the later steps will be redone), or restore the original file."
        )
    study.table = table
    return table
