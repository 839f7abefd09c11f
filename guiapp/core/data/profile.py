"""The data profile (Tip 4): what is in the table, in numbers and plain words, before any model.

Samples, features, samples per class (flagged under 100, Tip 1), imbalance, missing values per
column, constant and near-constant features, exact and near-duplicate samples, ID-like
columns, the value range and whether the values look like raw counts or log-scaled. The
numbers per feature come from :mod:`guiapp.core.data.feature_stats`, a block of columns at a
time, so a 20,000-gene table is profiled without a second copy of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from guiapp.core.data import errors as E
from guiapp.core.data.duplicates import find_duplicates
from guiapp.core.data.feature_stats import feature_statistics, table_statistics
from guiapp.core.study.column_names import missing_column_words
from guiapp.core.study.findings import Finding, Findings
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext

MIN_SAMPLES_PER_CLASS = 100
IMBALANCE_RATIO = 3.0
NEAR_DUPLICATE_FEATURES = 2000  # features (a seeded sample) the near-copy search looks at


def check_label(table: pd.DataFrame, label: str, *, file_name: str = "the table") -> None:
    if not label:
        raise E.LabelMissingError(f"Choose the label column: the column of {file_name} that the model should predict.")
    if label not in table.columns:
        raise E.LabelMissingError(
            f"{file_name} has no column named {label!r}.{missing_column_words(label, table.columns)}"
        )


def check_batch(table: pd.DataFrame, batch: str, *, file_name: str = "the table") -> None:
    if batch and batch not in table.columns:
        raise E.ColumnMissingError(
            f"{file_name} has no batch column named {batch!r}."
            f"{missing_column_words(batch, table.columns)} Choose one of its columns or none."
        )


def check_group(table: pd.DataFrame, group: str, *, file_name: str = "the table") -> None:
    if group and group not in table.columns:
        raise E.ColumnMissingError(
            f"{file_name} has no group column named {group!r}."
            f"{missing_column_words(group, table.columns)} Choose the column that "
            "names the donor, patient, animal or cell line, or none."
        )


def is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def feature_columns(
    table: pd.DataFrame, label: str, batch: str = "", identifiers: list | None = None, group: str = ""
) -> list[str]:
    """Numeric columns that may be used as features: never the label, batch, group or identifiers."""
    excluded = {label, batch, group, *(identifiers or [])}
    return [str(c) for c in table.columns if c not in excluded and pd.api.types.is_numeric_dtype(table[c])]


def looks_like_identifier(series: pd.Series) -> bool:
    """A column with a distinct, non-numeric (or integer running) value in every row."""
    n = len(series)
    if n < 10 or isinstance(series.dtype, pd.SparseDtype) or pd.api.types.is_float_dtype(series):
        return False
    if pd.api.types.is_bool_dtype(series) or series.nunique(dropna=True) != n:
        return False
    if pd.api.types.is_integer_dtype(series):
        values = np.sort(series.to_numpy())
        return bool(np.all(np.diff(values) == 1))
    return True


def label_values(series: pd.Series) -> pd.Series:
    """Class labels as read, but whole-number floats (1.0: a 0/1 column with a gap, or read as
    float32) become the integers they stand for, so classes are named 0 and 1, not 0.0 and 1.0."""
    if isinstance(series.dtype, pd.SparseDtype):
        series = series.sparse.to_dense()
    values = series.dropna()
    if (
        pd.api.types.is_float_dtype(series)
        and len(values)
        and np.all(np.mod(values.to_numpy(), 1) == 0)
        and np.all(np.abs(values.to_numpy()) < 2**53)
    ):  # whole numbers a float holds exactly
        return series.astype("Int64").astype(object).where(series.notna())
    return series


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
    # added by the full profile
    small_classes: list = field(default_factory=list)  # classes under MIN_SAMPLES_PER_CLASS
    imbalance_ratio: float | None = None
    missing_share: float = 0.0
    near_constant_columns: list = field(default_factory=list)
    near_duplicate_pairs: int | None = None  # None: not looked for (too many samples)
    value_min: float | None = None
    value_max: float | None = None
    integer_share: float | None = None
    scale: str = ""  # counts, log, standardised, proportions, wide, mixed
    scale_words: str = ""

    def summary(self, limit: int = 100) -> dict:
        """The numbers the Data page shows again after reopening (long lists cut to ``limit``)."""
        missing = sorted(self.missing_by_column.items(), key=lambda kv: -kv[1])[:limit]
        return {
            "n_samples": self.n_samples,
            "n_features": self.n_features,
            "class_counts": self.class_counts,
            "small_classes": self.small_classes,
            "imbalance_ratio": self.imbalance_ratio,
            "unlabelled": self.unlabelled,
            "missing_share": self.missing_share,
            "n_missing_columns": len(self.missing_by_column),
            "missing_by_column": dict(missing),
            "constant_columns": self.constant_columns[:limit],
            "n_constant": len(self.constant_columns),
            "near_constant_columns": self.near_constant_columns[:limit],
            "n_near_constant": len(self.near_constant_columns),
            "duplicate_rows": self.duplicate_rows,
            "near_duplicate_pairs": self.near_duplicate_pairs,
            "identifier_columns": self.identifier_columns,
            "non_numeric_columns": self.non_numeric_columns[:limit],
            "value_min": self.value_min,
            "value_max": self.value_max,
            "integer_share": self.integer_share,
            "scale": self.scale,
            "scale_words": self.scale_words,
            "words": profile_words(self),
        }


def _classes(labelled: pd.DataFrame, label: str, task: str, file_name: str, findings: list, strict: bool = False):
    if task != "classification":
        if not is_numeric(labelled[label]):
            raise E.LabelKindError(
                f"The label column {label!r} of {file_name} holds text, but the task is regression. Choose "
                "'classification' on the Question page, or a numeric label column."
            )
        return [], {}, [], None
    values = label_values(labelled[label])
    vc = values.value_counts()
    if len(vc) < 2:
        found = f"a single value ({vc.index[0]!r})" if len(vc) else "no values at all"
        raise E.SingleClassError(
            f"The label column {label!r} of {file_name} has {found}. A classifier needs at least two "
            "classes: choose another label column, or add samples of the other classes."
        )
    if len(vc) > max(50, len(labelled) // 5):
        raise E.LabelKindError(
            f"The label column {label!r} of {file_name} has {len(vc)} different values in {len(labelled)} samples: it "
            "looks continuous. Choose 'regression' as the task on the Question page, or choose another "
            "label column."
        )
    singles = vc[vc == 1]
    if len(singles):
        cls = singles.index[0]
        row = int(np.flatnonzero(values.to_numpy() == cls)[0])
        values_ = dict(label_value=str(cls), label=label, row=row + 1, file=file_name, others=len(singles) - 1)
        if strict:
            raise E.SingletonClassError(Findings.class_with_one_sample.raise_(**values_).message)
        findings.append(Findings.class_with_one_sample.raise_(**values_))
    classes = sorted(vc.index.tolist(), key=str)
    counts = {str(k): int(v) for k, v in vc.items()}
    smallest = vc.idxmin()
    small = sorted(str(k) for k, v in vc.items() if v < MIN_SAMPLES_PER_CLASS)
    if vc.min() < MIN_SAMPLES_PER_CLASS:
        findings.append(
            Findings.too_few_samples_per_class.raise_(
                label_value=str(smallest), count=int(vc.min()), minimum=MIN_SAMPLES_PER_CLASS
            )
        )
    ratio = float(vc.max() / vc.min())
    if ratio >= IMBALANCE_RATIO:
        findings.append(
            Findings.class_imbalance.raise_(ratio=ratio, minority=str(smallest), share=float(vc.min() / vc.sum()))
        )
    return classes, counts, small, ratio


def profile_table(
    table: pd.DataFrame,
    label: str,
    *,
    task: str = "classification",
    batch: str = "",
    identifiers: list | None = None,
    file_name: str = "the table",
    group: str = "",
    roles: dict | None = None,
    near_duplicates: bool = True,
    missing: str = "median",
    strict: bool = False,
    streamed=None,
    ctx: TaskContext = NO_CONTEXT,
) -> DataProfile:
    """Profile a table for the Data page and raise the findings it can already see.

    ``roles`` (column → role) chooses the features: numeric columns with the role
    ``feature``. Without it every numeric column but the label, batch, group and identifiers
    is a feature. ID-like columns are never features. A class with a single sample is an
    error-severity finding (the split then cannot be drawn); ``strict`` makes it a
    :class:`~guiapp.core.data.errors.SingletonClassError`.
    ``streamed`` is ``(StreamedRows, names)``: features left on disk (one row per table row,
    :mod:`guiapp.core.data.streaming`), profiled in chunks of rows; the table's own columns are then
    never features.
    """
    check_label(table, label, file_name=file_name)
    check_batch(table, batch, file_name=file_name)
    check_group(table, group, file_name=file_name)
    ctx.report(0.05, "Looking at the columns")
    features, suspected_ids, non_numeric = _columns(table, label, batch, group, identifiers, roles, streamed, file_name)
    ctx.check()
    findings: list[Finding] = []
    labelled_mask = table[label].notna().to_numpy()
    labelled = table[labelled_mask] if not labelled_mask.all() else table
    unlabelled = int((~labelled_mask).sum())
    if unlabelled:
        findings.append(Findings.label_missing.raise_(count=unlabelled, label=label))
    classes, counts, small, ratio = _classes(labelled, label, task, file_name, findings, strict)
    if streamed is not None:
        stats = feature_statistics(streamed[0].subset(labelled_mask), features, file_name, ctx=ctx)
    else:
        stats = table_statistics(labelled, features, file_name, ctx=ctx)
    missing_by_column = stats["missing"]
    n_cells = len(labelled) * len(features)
    missing_share = float(sum(missing_by_column.values()) / n_cells) if n_cells else 0.0
    findings += _feature_findings(stats, missing_share, suspected_ids, missing)
    near = _near_duplicates(labelled, features, streamed is None and near_duplicates, ctx=ctx)
    ctx.report(1.0, "Profile done")
    return DataProfile(
        n_samples=len(labelled),
        n_features=len(features),
        feature_columns=features,
        classes=[_plain(c) for c in classes],
        class_counts=counts,
        missing_by_column=missing_by_column,
        constant_columns=stats["constant"],
        duplicate_rows=stats["duplicates"],
        identifier_columns=suspected_ids,
        non_numeric_columns=non_numeric,
        unlabelled=unlabelled,
        findings=findings,
        small_classes=small,
        imbalance_ratio=ratio,
        missing_share=missing_share,
        near_constant_columns=stats["near_constant"],
        near_duplicate_pairs=near,
        value_min=stats["min"],
        value_max=stats["max"],
        integer_share=stats["integer_share"],
        scale=stats["scale"],
        scale_words=stats["scale_words"],
    )


def _columns(
    table: pd.DataFrame,
    label: str,
    batch: str,
    group: str,
    identifiers: list | None,
    roles: dict | None,
    streamed,
    file_name: str,
) -> tuple[list, list, list]:
    """The feature columns, the ID-like columns suspected, and the columns that are neither."""
    identifiers = list(identifiers or [])
    special = {label, batch, group}
    if roles:
        candidates = [
            c
            for c in table.columns
            if roles.get(str(c), "feature") == "feature" and c not in special and c not in identifiers
        ]
        identifiers += [c for c, r in roles.items() if r == "identifier" and c not in identifiers]
    else:
        candidates = [c for c in table.columns if c not in special and c not in identifiers]
    suspected_ids = [str(c) for c in candidates if looks_like_identifier(table[c])]
    features = [str(c) for c in candidates if str(c) not in suspected_ids and is_numeric(table[c])]
    if streamed is not None:
        features = list(streamed[1])
    if not features:
        raise E.NoNumericFeatureError(
            f"{file_name} has no numeric feature columns besides the label. Tenfold's models need "
            "numbers: convert text columns to numbers, mark the measurement columns as features, or "
            "choose another file."
        )
    ignored = {c for c, r in (roles or {}).items() if r != "feature"}
    known = set(features) | set(identifiers) | set(suspected_ids)  # a set: tables have 20,000 genes
    non_numeric = [str(c) for c in table.columns if c not in special and str(c) not in known and str(c) not in ignored]
    return features, suspected_ids, non_numeric


def _feature_findings(stats: dict, missing_share: float, suspected_ids: list, missing: str) -> list[Finding]:
    """Missing values, constant and near-constant features, copies, ID-like columns and counts."""
    findings = []
    if stats["missing"]:
        kind = Findings.missing_values_most_frequent if missing == "most-frequent" else Findings.missing_values
        findings.append(kind.raise_(n_columns=len(stats["missing"]), share=missing_share))
    if stats["constant"]:
        findings.append(
            Findings.constant_features.raise_(
                n_columns=len(stats["constant"]), examples=", ".join(stats["constant"][:5])
            )
        )
    if stats["near_constant"]:
        findings.append(
            Findings.near_constant_features.raise_(
                n_columns=len(stats["near_constant"]), examples=", ".join(stats["near_constant"][:5])
            )
        )
    if stats["duplicates"]:
        findings.append(Findings.duplicate_samples.raise_(count=stats["duplicates"]))
    for col in suspected_ids:
        findings.append(Findings.identifier_like_column.raise_(column=col))
    if stats["scale"] == "counts":
        findings.append(Findings.values_look_like_counts.raise_(maximum=stats["max"]))
    return findings


def _plain(v):
    return v.item() if hasattr(v, "item") else v


def _near_duplicates(rows: pd.DataFrame, features: list, wanted: bool, *, ctx: TaskContext = NO_CONTEXT) -> int | None:
    """Pairs of near-copies among the samples; None when not looked for (streamed, or too many samples)."""
    if not wanted or len(rows) <= 2 or len(rows) * min(len(features), NEAR_DUPLICATE_FEATURES) > 20_000_000:
        return None
    ctx.report(0.85, "Looking for near-copies of samples")
    cols = features
    if len(cols) > NEAR_DUPLICATE_FEATURES:
        pick = np.sort(np.random.default_rng(0).choice(len(cols), NEAR_DUPLICATE_FEATURES, replace=False))
        cols = [features[i] for i in pick]
    X = rows[cols].to_numpy(dtype=np.float32, na_value=np.nan)
    return len(find_duplicates(X, near=True, ctx=ctx).near_pairs)


def profile_words(p: DataProfile) -> list[str]:
    """The profile in plain sentences, for the Data page and ``inspect``."""
    words = [f"{p.n_samples:,} samples with {p.n_features:,} numeric features."]
    if p.class_counts:
        words.append(
            f"{len(p.class_counts)} classes; the largest is {p.imbalance_ratio:.1f} times the smallest."
            if p.imbalance_ratio
            else f"{len(p.class_counts)} classes."
        )
        if p.small_classes:
            words.append(
                f"Under {MIN_SAMPLES_PER_CLASS} samples: {', '.join(p.small_classes[:6])} — a deep "
                "network rarely beats a simple model on so few (Tip 1)."
            )
    if p.unlabelled:
        words.append(f"{p.unlabelled:,} samples have no label and are left out.")
    if p.missing_by_column:
        words.append(f"{len(p.missing_by_column):,} features have missing values ({p.missing_share:.1%} of cells).")
    else:
        words.append("No missing values.")
    if p.constant_columns or p.near_constant_columns:
        words.append(
            f"{len(p.constant_columns):,} constant and {len(p.near_constant_columns):,} near-constant features."
        )
    if p.duplicate_rows or p.near_duplicate_pairs:
        near = "" if p.near_duplicate_pairs is None else f" and {p.near_duplicate_pairs:,} pairs of near-copies"
        words.append(f"{p.duplicate_rows:,} exact copies of samples{near}.")
    if p.identifier_columns:
        words.append("ID-like columns (never features): " + ", ".join(p.identifier_columns[:6]) + ".")
    if p.scale_words:
        words.append(p.scale_words)
    return words
