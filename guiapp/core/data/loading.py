"""Reading any supported data into one table of one sample per row (Tip 4).

:func:`load_dataset` reads a table, an AnnData file, an image folder or a FASTA file, turns a
genes × samples table, and joins a sample sheet; :class:`LoadedData` is the table and how it
was made. :mod:`guiapp.core.data.attach` then records it in the study.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd

from guiapp.core.data import errors as E
from guiapp.core.data import orientation as O
from guiapp.core.data import sample_sheets as S
from guiapp.core.data.anndata_io import obs_columns, read_h5ad_backed, x_nbytes
from guiapp.core.data.formats import check_path, file_format, modality_of
from guiapp.core.data.images import DEFAULT_SIZE, LabelTablePick, image_keys, load_images, pixel_names
from guiapp.core.data.sample_sheets import SheetReport
from guiapp.core.data.sequences import load_sequences
from guiapp.core.data.streaming import stream_bytes
from guiapp.core.data.tables import check_shape, read_table
from guiapp.core.data.text_format import sniff
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext
from guiapp.core.study.vocabulary import MODALITIES, Modality


@dataclass
class LoadedData:
    """One table of one sample per row, and how it was made."""

    table: pd.DataFrame
    modality: Modality = "table"
    input_shape: list = field(default_factory=list)
    transposed: bool = False
    transpose_reason: str = ""
    sheet: SheetReport | None = None
    options: dict = field(default_factory=dict)
    pixel_columns: int = 0  # leading feature columns made by the loader (images, sequences)
    id_columns: list = field(default_factory=list)  # sample-ID columns the loader made (obs_names, sample_id…)
    meta_columns: list = field(default_factory=list)  # sample metadata that is not a feature unless asked (obs)
    labels_pick: LabelTablePick | None = None  # the label table found in a data folder
    # Features left on disk (guiapp.core.data.streaming): a row source with one row per table row, and their names
    streamed: object | None = None
    streamed_names: list = field(default_factory=list)

    def loader_features(self) -> set:
        """Pixel and one-hot columns: the last ``pixel_columns`` columns before a joined sheet."""
        if not self.pixel_columns or self.streamed is not None:
            return set()
        cols = list(self.table.columns)
        end = len(cols) - (len(self.sheet.columns_added) if self.sheet is not None else 0)
        return set(cols[end - self.pixel_columns : end])


def load_dataset(
    path: os.PathLike,
    *,
    label: str = "",
    samples: str = "",
    sample_id: str = "",
    transposed: bool | None = None,
    options: dict | None = None,
    ctx: TaskContext = NO_CONTEXT,
) -> LoadedData:
    """Read ``path`` (a table, AnnData, FASTA or an image folder) into one table; see the module doc.

    ``transposed`` None turns a table that looks like features × samples (and lacks the
    label column); True or False decide. ``samples`` is a sample sheet joined by sample ID.
    With ``options['cache_dir']``, an image folder or AnnData ``X`` above the streaming
    threshold (:mod:`guiapp.core.data.streaming`) stays on disk: ``LoadedData.streamed``.
    """
    options = dict(options or {})
    cache_dir = options.pop("cache_dir", None)
    for key in ("stream", "stream_cache", "stream_rows"):  # decided again below, from the data's size
        options.pop(key, None)
    path = check_path(path, folder_ok=True)
    modality = _modality(path, options)
    loaded = LoadedData(table=pd.DataFrame(), modality=modality)
    keys = None
    reading = ctx.sub(0, 0.8)
    if modality in ("image", "sequence"):
        if modality == "image":
            table, keys, labels_file = _load_image_folder(path, loaded, options, cache_dir, ctx=reading)
        else:
            table, labels_file = _load_fasta(path, loaded, options, ctx=reading)
        if samples:  # a sample sheet given: the label table found in the folder is not used
            loaded.labels_pick = None
        samples = samples or labels_file
    elif options["format"] == "h5ad" and cache_dir is not None and _backed_h5ad(path):
        table = _load_backed_h5ad(path, loaded, options, ctx=reading)
    else:
        table = _load_table(path, loaded, options, label, samples, transposed, ctx=reading)
    ctx.check()
    if samples:
        table = _join_sheet(table, path, samples, sample_id, keys, loaded, options, ctx=ctx)
    loaded.table, loaded.options = table, options
    return loaded


def _modality(path: Path, options: dict) -> Modality:
    """The modality asked for (or the one the path suggests), checked; recorded in ``options``."""
    modality = options.get("modality") or modality_of(path)
    if modality not in MODALITIES:
        raise E.DataError(f"The modality must be one of {', '.join(MODALITIES)}, not {modality!r}.")
    options["format"] = file_format(path) or "text"
    options["modality"] = modality  # read the same way again after reopening, even a FASTA named .txt
    if modality == "image" and not path.is_dir():
        raise E.UnsupportedFormatError(
            f"{path.name} is a file, and images are read from a folder: choose the folder that holds them "
            "(one subfolder of images per class, or the images plus a CSV of labels), or read the file "
            "as a table or as FASTA sequences."
        )
    return cast(Modality, modality)  # checked against MODALITIES above


def _load_image_folder(
    path: Path, loaded: LoadedData, options: dict, cache_dir, *, ctx: TaskContext = NO_CONTEXT
) -> tuple[pd.DataFrame, dict, str]:
    """An image folder: its table (pixels, or the files only when streamed), the keys that name its
    images, and the label table found in it."""
    images = load_images(
        path,
        size=options.get("image_size", DEFAULT_SIZE),
        colour=options.get("colour", "auto"),
        cache_dir=cache_dir,
        ctx=ctx,
    )
    table, keys = images.table, image_keys(images.table)
    options.update(image_size=list(images.shape[1:]), colour=images.colour)
    if images.cache is not None:
        loaded.streamed, loaded.streamed_names = images.cache, pixel_names(images.shape, images.colour)
        options.update(stream="images", stream_cache=str(images.cache.path), stream_rows=len(table))
    loaded.input_shape, loaded.pixel_columns = list(images.shape), int(np.prod(images.shape))
    loaded.id_columns = ["image"]
    loaded.labels_pick = images.labels_pick
    return table, keys, images.labels_file


def _load_fasta(
    path: Path, loaded: LoadedData, options: dict, *, ctx: TaskContext = NO_CONTEXT
) -> tuple[pd.DataFrame, str]:
    """A FASTA file or folder: one row per record, its letters one-hot encoded; and the label table found."""
    seqs = load_sequences(
        path,
        length=options.get("sequence_length"),
        alphabet=options.get("alphabet", "auto"),
        crop=options.get("crop", "start"),
        ctx=ctx,
    )
    options.update(
        sequence_length=seqs.length,
        alphabet=seqs.alphabet,
        crop=options.get("crop", "start"),
        cropped=seqs.n_cropped,
        padded=seqs.n_padded,
        lengths=seqs.lengths,
    )
    loaded.input_shape, loaded.pixel_columns = list(seqs.shape), seqs.shape[0] * seqs.shape[1]
    loaded.id_columns = ["sample_id"]
    loaded.labels_pick = seqs.labels_pick
    return seqs.table, seqs.labels_file


def _load_backed_h5ad(path: Path, loaded: LoadedData, options: dict, *, ctx: TaskContext = NO_CONTEXT) -> pd.DataFrame:
    """An AnnData file above the streaming threshold: ``obs`` as the table, ``X`` left on disk."""
    ann, X = read_h5ad_backed(path, ctx=ctx)
    loaded.id_columns, loaded.meta_columns = ["obs_names"], list(ann.obs_columns)
    loaded.streamed, loaded.streamed_names = X, list(ann.var_names)
    options.update(stream="h5ad", stream_rows=len(ann.table))
    return ann.table


def _load_table(
    path: Path,
    loaded: LoadedData,
    options: dict,
    label: str,
    samples: str,
    transposed: bool | None,
    *,
    ctx: TaskContext = NO_CONTEXT,
) -> pd.DataFrame:
    """A table file (text, Parquet, Excel, AnnData read whole), turned when it holds samples as columns."""
    table = read_table(path, sheet=options.get("sheet", ""), min_rows=1, ctx=ctx)
    if options["format"] == "text":
        fmt = sniff(path)
        options.update(encoding=fmt.encoding, delimiter=fmt.delimiter)
    elif options["format"] == "h5ad":
        loaded.id_columns = ["obs_names"]
        loaded.meta_columns = obs_columns(path)[1:]
    sheet_ids = _sheet_ids(samples, options) if samples and transposed is None else None
    reason = O.looks_transposed(table, label, sheet_ids) if transposed is None else ""
    if transposed or (transposed is None and reason):
        loaded.transpose_reason = reason or "asked for"
        table = O.transpose_table(table, file_name=path.name)
        loaded.transposed = True
        loaded.id_columns = [O.SAMPLE_ID]
    # any number of samples loads and is profiled; below MIN_ROWS a too-few-samples finding blocks
    check_shape(table, path.name, min_rows=1)
    return table


def _sheet_ids(samples: str, options: dict) -> dict:
    """The sample sheet's candidate IDs by column (its chosen ID column, else its non-float ones)."""
    sheet_table = read_table(check_path(samples), sheet=options.get("samples_sheet", ""), min_rows=1)
    id_keys = (
        [options["sheet_id"]]
        if options.get("sheet_id") in sheet_table.columns
        else [c for c in sheet_table.columns if not pd.api.types.is_float_dtype(sheet_table[c])]
    )
    return {str(k): [str(v) for v in sheet_table[k].dropna()] for k in id_keys}


def _join_sheet(
    table: pd.DataFrame,
    path: Path,
    samples: str,
    sample_id: str,
    keys: dict | None,
    loaded: LoadedData,
    options: dict,
    *,
    ctx: TaskContext = NO_CONTEXT,
) -> pd.DataFrame:
    """The table with the sample sheet's columns joined by sample ID; the report goes to ``loaded.sheet``."""
    ctx.report(0.85, f"Joining the sample sheet {Path(samples).name}")
    sheet_path = check_path(samples)
    sheet = read_table(sheet_path, sheet=options.get("samples_sheet", ""), min_rows=1)
    table, report = S.join_sample_sheet(
        table,
        sheet,
        data_key=sample_id,
        sheet_key=options.get("sheet_id", ""),
        keys=keys,
        data_name=path.name,
        sheet_name=sheet_path.name,
        id_match=options.get("samples_id_match", "auto"),
    )
    report.sheet = str(sheet_path)
    loaded.sheet = report
    return table


def _backed_h5ad(path: Path) -> bool:
    """Whether an AnnData file's ``X`` is above the streaming threshold (read backed, in rows)."""
    return x_nbytes(path) > stream_bytes()
