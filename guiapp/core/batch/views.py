"""What the Batch-effects page shows: where each sample lies, what colours and names it, and
the stored metrics as rows.

The 2-D positions (PCA always; UMAP when ``umap-learn`` is installed) are computed once and
kept in the study folder by :mod:`guiapp.core.batch.embedding_store`.

Colouring columns are coded once, here: a text column becomes categories (the
:data:`MAX_CATEGORIES` − 1 most common values and "other"), a numeric column with many values
becomes :data:`NUMERIC_BINS` equal ranges. The page then only indexes colours by the codes.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from guiapp.core.batch.effects import batch_effect_report, pca_embedding
from guiapp.core.batch.embedding_store import VIEWS, store_embedding, stored_embedding
from guiapp.core.batch.metrics import MEANINGS, NAMES, MetricResult
from guiapp.core.study.errors import DataError, TenfoldError
from guiapp.core.study.model import Study
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext

if TYPE_CHECKING:  # pandas is imported lazily: annotations only
    import pandas as pd

MAX_CATEGORIES = 12  # distinct colours a legend can hold and a reader can tell apart
NUMERIC_BINS = 6
UMAP_NEIGHBORS = 15
MISSING = "(missing)"


# ----- coded columns ---------------------------------------------------------------------------


@dataclass
class ColourColumn:
    """One column coded for colouring: ``categories[codes[i]]`` is sample i's legend entry."""

    name: str
    categories: list
    counts: list
    codes: np.ndarray  # int32, one per sample
    ordered: bool = False  # numeric ranges, low to high: a sequential colour map fits
    muted: list = field(default_factory=list)  # indices of "other" and "(missing)": drawn grey


def _natural_key(text: str):
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", text)]


def _number(x: float) -> str:
    return f"{x:.3g}"


def colour_column(values: pd.Series, name: str) -> ColourColumn:
    """Code ``values`` as at most :data:`MAX_CATEGORIES` legend entries (see the module text)."""
    missing = values.isna().to_numpy()
    n = len(values)
    codes = np.empty(n, dtype=np.int32)
    present = values[~missing]
    import pandas as pd  # lazily: the wizard imports this module before any table is open

    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if numeric and present.nunique() > MAX_CATEGORIES:
        v = present.to_numpy(dtype=float)
        edges = np.linspace(v.min(), v.max(), NUMERIC_BINS + 1)
        codes[~missing] = np.clip(np.searchsorted(edges, v, side="right") - 1, 0, NUMERIC_BINS - 1)
        categories = [f"{_number(lo)} – {_number(hi)}" for lo, hi in zip(edges[:-1], edges[1:], strict=False)]
        ordered = True
    else:
        text = present.astype(str)
        counts = text.value_counts()
        if len(counts) <= MAX_CATEGORIES:
            kept = sorted(counts.index, key=_natural_key)
        else:
            kept = sorted(counts.index[: MAX_CATEGORIES - 1], key=_natural_key)
        every = pd.Categorical(text)
        place = {k: i for i, k in enumerate(kept)}  # the rest go to "other", after the kept ones
        lookup = np.array([place.get(c, len(kept)) for c in every.categories], dtype=np.int32)
        coded = lookup[every.codes]
        categories = list(kept)
        if len(counts) > len(kept):
            categories.append(f"other ({len(counts) - len(kept)} values)")
        codes[~missing] = coded
        ordered = False
    muted = [i for i, c in enumerate(categories) if c.startswith("other (")]
    if missing.any():
        codes[missing] = len(categories)
        muted.append(len(categories))
        categories.append(MISSING)
    counts = np.bincount(codes, minlength=len(categories)).tolist()
    return ColourColumn(name, categories, counts, codes, ordered, muted)


@dataclass
class SampleView:
    """Everything the scatter draws: positions, coded columns, and what a hover shows."""

    kind: str  # "pca" | "umap"
    coordinates: np.ndarray  # n × 2, float32
    axis_labels: tuple
    columns: dict  # column name -> ColourColumn; batch, label and group first
    names: np.ndarray  # per sample: identifier value, or "row i"
    identifier: str  # the identifier column, "" when none
    batch: str
    label: str
    batch_values: np.ndarray | None
    label_values: np.ndarray

    @property
    def n(self) -> int:
        return len(self.coordinates)

    def describe(self, i: int) -> str:
        """A hovered sample in words: its name, batch and label."""
        lines = [str(self.names[i])]
        if self.batch_values is not None:
            lines.append(f"batch ({self.batch}): {self.batch_values[i]}")
        lines.append(f"label ({self.label}): {self.label_values[i]}")
        return "\n".join(lines)


def colour_choice(study: Study) -> str:
    """What the Batch-effects plot is coloured by: ``"batch"``, ``"label"`` or a column.

    The batch column colours the plot whenever one is set, unless the user chose otherwise for
    this very batch column; a new batch column brings the batch colouring back. Without a batch
    column the plot shows the label, but the study keeps its choice so that setting a batch
    column later colours by it.
    """
    d, state = study.data, study.batch
    if not d.batch:
        return "label" if state.color_by == "batch" else state.color_by
    if state.color_batch != d.batch:
        state.color_by, state.color_batch = "batch", d.batch
    return state.color_by


def choose_colour(study: Study, key: str) -> None:
    """The user colours the plot by ``key``, for the current batch column."""
    study.batch.color_by, study.batch.color_batch = key, study.data.batch


def metadata_columns(study: Study) -> list:
    """The table's non-feature columns that can colour the plot: batch, label, group first.

    Identifier columns (a different value in every row) name samples; they colour nothing.
    """
    d, table = study.data, study.table
    if table is None:
        return []
    features = set(d.feature_columns)
    first = [c for c in (d.batch, d.label, d.group) if c and c in table.columns]
    rest = [
        str(c)
        for c in table.columns
        if c not in features and c not in first and c not in d.identifiers and not _names_every_row(table[c])
    ]
    return list(dict.fromkeys(first + rest))


def _names_every_row(values: pd.Series) -> bool:
    """A text column with a different value in every row: it identifies, it does not group."""
    import pandas as pd  # lazily: the wizard imports this module before any table is open

    return not pd.api.types.is_numeric_dtype(values) and values.nunique(dropna=True) == len(values) > 1


def _identifier_column(study: Study, rows: pd.DataFrame) -> str:
    for c in study.data.identifiers:
        if c in rows.columns:
            return str(c)
    return ""


def _labelled_rows(study: Study, columns: list) -> pd.DataFrame:
    table = study.table
    if table is None:
        raise DataError("No data are loaded for this study: load a table on the Data page.")
    keep = table[study.data.label].notna()
    return table.loc[keep, list(dict.fromkeys(columns))].reset_index(drop=True)


def sample_view(study: Study, kind: str, coordinates, explained_variance=()) -> SampleView:
    """Code the study's metadata columns around given 2-D positions of its labelled samples."""
    d = study.data
    colour_names = metadata_columns(study)
    rows = _labelled_rows(study, colour_names + [c for c in d.identifiers if c in study.table.columns])
    ident = _identifier_column(study, rows)
    coordinates = np.asarray(coordinates, dtype=np.float32)[:, :2]
    if len(coordinates) != len(rows):
        raise TenfoldError("The stored plot was drawn for other data: look for batch effects again.")
    columns = {}
    for c in colour_names:
        if c != ident:
            columns[c] = colour_column(rows[c], c)
    names = (
        rows[ident].astype(str).to_numpy(dtype=object)
        if ident
        else np.array([f"row {i + 1}" for i in range(len(rows))], dtype=object)
    )
    if kind == "pca":
        ev = list(explained_variance) + [float("nan")] * 2
        axes = tuple(f"PC{k + 1}" + (f" ({ev[k]:.1%} of variance)" if np.isfinite(ev[k]) else "") for k in range(2))
    else:
        axes = ("UMAP 1", "UMAP 2")
    return SampleView(
        kind=kind,
        coordinates=coordinates,
        axis_labels=axes,
        columns=columns,
        names=names,
        identifier=ident,
        batch=d.batch,
        label=d.label,
        batch_values=rows[d.batch].astype(str).to_numpy(dtype=object) if d.batch else None,
        label_values=rows[d.label].astype(str).to_numpy(dtype=object),
    )


# ----- computing them --------------------------------------------------------------------------


def umap_available() -> bool:
    """Whether the optional ``umap-learn`` package can be imported."""
    return importlib.util.find_spec("umap") is not None


UMAP_HINT = (
    "UMAP is an optional extra: install it with  pip install umap-learn  "
    '(or  pip install "tenfold[umap]") and restart Tenfold.'
)


def umap_embedding(pcs: np.ndarray, seed: int = 0) -> np.ndarray:
    """A 2-D UMAP of the principal components (McInnes et al. 2018), seeded."""
    if not umap_available():
        raise TenfoldError(UMAP_HINT)
    import umap  # optional and heavy: imported only when a UMAP is asked for

    k = min(UMAP_NEIGHBORS, len(pcs) - 1)
    return umap.UMAP(n_components=2, n_neighbors=k, random_state=seed).fit_transform(pcs)


def draw_samples(study: Study, kind: str = "pca", *, ctx: TaskContext = NO_CONTEXT) -> SampleView:
    """The positions of the samples for the page: stored ones, else computed and stored."""
    from guiapp.core.data.attach import model_frame  # imports pandas: the window imports this module at open

    if kind not in VIEWS:
        raise TenfoldError(f"Unknown view {kind!r}; choose one of {', '.join(VIEWS)}.")
    stored = stored_embedding(study, kind)
    if stored is None:
        ctx.report(0.05, "Computing principal components")
        X, _, _ = model_frame(study)
        ctx.check()
        pcs, evr = pca_embedding(X, seed=study.split.seed)
        del X
        ctx.check()
        if kind == "umap":
            ctx.report(0.3, f"Computing a UMAP of {len(pcs):,} samples (this can take minutes)")
            coords, evr = umap_embedding(pcs, seed=study.split.seed), []
        else:
            coords = pcs[:, :2]
        store_embedding(study, kind, coords, evr)
        stored = (coords, evr)
    ctx.report(0.9, "Preparing the plot")
    ctx.check()
    view = sample_view(study, kind, *stored)
    ctx.report(1.0, "Plot ready")
    return view


def look_for_batch_effects(study: Study, *, n_permutations: int | None = None, ctx: TaskContext = NO_CONTEXT):
    """The page's one task: :func:`guiapp.core.batch.effects.batch_effect_report` and its PCA view."""
    kw = {} if n_permutations is None else {"n_permutations": n_permutations}
    report = batch_effect_report(study, **kw, ctx=ctx.sub(0.0, 0.95))
    view = sample_view(study, "pca", report.coordinates, report.explained_variance)
    ctx.report(1.0, "Batch report done")
    return report, view


# ----- the stored report as rows ---------------------------------------------------------------


def stored_metrics(study: Study) -> list:
    """The batch metrics recorded in ``study.batch``, as :class:`MetricResult` rows (no recompute)."""
    b = study.batch
    if not b.lights and b.silhouette is None:
        return []
    n_batches = max(len(b.contingency), 2)
    n_labels = max(len(study.data.classes), 2)
    extra_pred = {
        "accuracy": b.predictability_accuracy,
        "chance": b.predictability_chance,
        "p_value": b.predictability_p,
    }
    spec: tuple[tuple[str, float | None, float, float, float | None, dict], ...] = (
        ("silhouette", b.silhouette, -1, 1, None, {}),
        ("batch_asw", b.batch_asw, 0, 1, None, {}),
        ("ilisi", b.ilisi, 1, n_batches, b.ilisi_norm, {}),
        ("clisi", b.clisi, 1, n_labels, b.clisi_norm, {}),
        ("kbet_rejection", b.kbet_rejection, 0, 1, None, {}),
        ("pcr_batch", b.pcr_batch, 0, 1, None, {}),
        ("predictability", b.predictability, 0, 1, None, extra_pred),
    )
    out = []
    for key, value, low, high, norm, extra in spec:
        if value is None and key not in b.lights and key != "predictability":
            continue
        out.append(MetricResult(key, NAMES[key], value, low, high, MEANINGS[key], b.lights.get(key), norm, extra))
    return out


def describe_pairs(study: Study, pairs, limit: int = 50) -> list:
    """Copies of samples as rows for a table: both names, the kind and the parts they are in."""
    from guiapp.core.batch.confounding import split_parts  # imports pandas: the window imports this module at open

    if not pairs or study.table is None:
        return []
    pairs = list(pairs)[:limit]
    probe = _labelled_rows(study, [c for c in study.data.identifiers if c in study.table.columns] + [study.data.label])
    ident = _identifier_column(study, probe)
    names = probe[ident].astype(str).to_numpy() if ident else None
    part = split_parts(study)
    words = {0: "train", 1: "tune", 2: "test", -1: "—"}

    def name(i):
        return names[i] if names is not None and i < len(names) else f"row {i + 1}"

    def where(i):
        return words.get(int(part[i]), "—") if part is not None and i < len(part) else "—"

    return [{"a": name(i), "b": name(j), "kind": kind, "parts": f"{where(i)} / {where(j)}"} for i, j, kind in pairs]


def batch_sizes(study: Study) -> dict:
    """Samples per batch among the labelled rows, in natural order of the batch names."""
    d = study.data
    if not d.batch or study.table is None or d.batch not in study.table.columns:
        return {}
    values = study.table.loc[study.table[d.label].notna(), d.batch].astype(str).value_counts()
    return {k: int(values[k]) for k in sorted(values.index, key=_natural_key)}


def batches_per_split(study: Study) -> dict:
    """For a drawn split: part ("train", "tune", "test") -> {batch: samples}, natural order."""
    d, s = study.data, study.split
    if not d.batch or study.table is None or not s.train_idx or d.batch not in study.table.columns:
        return {}
    values = study.table.loc[study.table[d.label].notna(), d.batch].astype(str).to_numpy()
    out = {}
    for part in ("train", "tune", "test"):
        idx = np.asarray(getattr(s, f"{part}_idx"), dtype=int)
        names, counts = np.unique(values[idx[idx < len(values)]], return_counts=True)
        out[part] = {
            str(k): int(c) for k, c in sorted(zip(names, counts, strict=False), key=lambda t: _natural_key(t[0]))
        }
    return out
