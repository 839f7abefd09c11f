"""Image data: a folder per class, or a folder of images plus a CSV of labels (PNG, JPEG, TIFF).

Every image is read with Pillow, made grey or RGB, resized to one size and scaled to 0…1.
The images become rows of a table: the file (``image``), its class folder (``class``) and
the pixels flattened channel by channel (so ``input_shape`` [C, H, W] turns a row back into
an image). A file that is not an image stops the loading with its name.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from guiapp.core.data import errors as E
from guiapp.core.data.image_files import (
    _COLOUR_MODES,
    _grey_palette,
    _open,
    _pixels,
    find_images,
    pixel_names,
)
from guiapp.core.data.image_stream import ImageCache, build_image_cache
from guiapp.core.data.streaming import should_stream
from guiapp.core.data.tables import read_table, read_table_columns
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext

LABEL_SUFFIXES = {".csv", ".tsv", ".txt", ".xlsx", ".parquet"}
DEFAULT_SIZE = 64
IMAGE_COLUMN, CLASS_COLUMN = "image", "class"


@dataclass
class ImageSet:
    table: pd.DataFrame
    shape: tuple  # (channels, height, width)
    colour: str  # grey or rgb
    by_folder: bool  # classes from subfolders
    files: list = field(default_factory=list)
    labels_file: str = ""  # a CSV of labels found in the folder
    labels_pick: LabelTablePick | None = None  # which table gave the labels, and those passed over
    cache: ImageCache | None = None  # pixels streamed from disk, not in the table


@dataclass
class LabelTablePick:
    """Which table in a data folder holds the labels, by which column, and the tables passed over."""

    path: Path | None = None
    key: str = ""  # the column whose values name the images (or records)
    matched: int = 0  # how many of the folder's samples it names
    passed_over: list = field(default_factory=list)  # (file name, why) of the other tables

    def passed_over_words(self) -> str:
        """The tables passed over and why, in words ("" when none)."""
        return "; ".join(f"{name} ({why})" for name, why in self.passed_over)


def image_names(found: list) -> set:
    """The ways a label table may name an image: its path in the folder, its file name, its name without extension."""
    names: set[str] = set()
    for rel, _cls in found:
        name = rel.rsplit("/", 1)[-1]
        names.update((rel, name, name.rsplit(".", 1)[0]))
    return names


def pick_labels_file(folder: os.PathLike, names=None) -> LabelTablePick:
    """The table lying in the folder whose column names the most of its samples (a README is passed over).

    ``names``: how the samples may be named (see :func:`image_names`; a FASTA folder gives its
    record names), or a function giving them, called only when the folder holds a table (so a
    folder without one is never read through); by default the folder's images. A table that cannot be read, or that has no
    column naming a sample, is listed in ``passed_over`` with the reason.
    """
    tables = [
        p
        for p in sorted(Path(folder).iterdir())
        if p.is_file() and p.suffix.lower() in LABEL_SUFFIXES and not p.name.startswith(".")
    ]
    pick = LabelTablePick()
    if not tables:
        return pick
    if names is None:
        names = image_names(find_images(folder)[0])
    elif callable(names):
        names = names()
    names = {str(n).strip() for n in names}
    for path in tables:
        try:
            table = read_table(path, min_rows=1)
        except E.DataError as exc:
            pick.passed_over.append((path.name, f"not readable as a table: {str(exc).split('. ')[0]}"))
            continue
        key, matched = "", 0
        for column in table.columns:
            values = table[column]
            if pd.api.types.is_float_dtype(values):
                continue
            hits = len(names & set(values.dropna().astype(str).str.strip()))
            if hits > matched:
                key, matched = str(column), hits
        if matched > pick.matched:
            if pick.path is not None:
                pick.passed_over.append((pick.path.name, f"names fewer samples than {path.name}"))
            pick.path, pick.key, pick.matched = path, key, matched
        elif matched:
            assert pick.path is not None  # a table naming more samples came before this one
            pick.passed_over.append((path.name, f"names fewer samples than {pick.path.name}"))
        else:
            pick.passed_over.append((path.name, "no column names a sample of the folder"))
    return pick


def labels_file_in(folder: os.PathLike, names=None) -> Path | None:
    """The table of labels lying in the folder (used when no sample sheet is given); see :func:`pick_labels_file`."""
    return pick_labels_file(folder, names).path


def with_label_table_columns(folder: os.PathLike, columns: list, names) -> list:
    """``columns`` plus those of the folder's label table (one that names these samples), if any."""
    labels = labels_file_in(folder, names)
    if labels is not None:
        try:
            columns = columns + [c for c in read_table_columns(labels) if c not in columns]
        except E.DataError:
            pass
    return columns


def image_columns(folder: os.PathLike) -> list[str]:
    """The columns an image folder offers: the file, its class folder, and a label file's columns."""
    found, by_folder = find_images(folder)
    return with_label_table_columns(folder, [IMAGE_COLUMN] + ([CLASS_COLUMN] if by_folder else []), image_names(found))


def load_images(
    folder: os.PathLike,
    *,
    size=DEFAULT_SIZE,
    colour: str = "auto",
    cache_dir: os.PathLike | None = None,
    ctx: TaskContext = NO_CONTEXT,
) -> ImageSet:
    """Read every image under ``folder`` into one table (see the module doc).

    With ``cache_dir``, a folder whose pixels as float32 exceed the streaming threshold
    (:mod:`guiapp.core.data.streaming`) is not read into the table: its resized images go to a
    cache file there (:mod:`guiapp.core.data.image_stream`), and the table holds the file and class only.
    """
    folder, size = _checked(folder, size)
    found, by_folder = find_images(folder)
    if not found:
        others = sum(1 for p in folder.rglob("*") if p.is_file())
        raise E.NoImagesError(
            f"{folder.name} holds no PNG, JPEG or TIFF images ({others} other file(s)). Put one subfolder "
            "per class with its images inside, or the images plus a CSV of labels."
        )
    if colour not in ("auto", "grey", "rgb"):
        raise E.DataError(f"Image colour must be 'auto', 'grey' or 'rgb', not {colour!r}.")
    if colour == "auto":
        colour = _colour_of(folder, found, ctx=ctx)
    channels = 3 if colour == "rgb" else 1
    shape = (channels, size[0], size[1])
    if cache_dir is not None and should_stream(len(found), int(np.prod(shape))):
        return _cached_images(folder, found, by_folder, shape, colour, cache_dir, ctx=ctx)
    matrix = np.empty((len(found), channels * size[0] * size[1]), dtype=np.float32)
    for i, (rel, _cls) in enumerate(found):
        ctx.check()
        img = _open(folder, rel)
        matrix[i] = _pixels(img, colour, size).reshape(-1)
        img.close()
        if i % 16 == 0:
            ctx.report(0.2 + 0.8 * i / len(found), f"Reading {rel}")
    table = pd.DataFrame(matrix, columns=pixel_names(shape, colour), copy=False)
    if by_folder:
        table.insert(0, CLASS_COLUMN, [c if c is not None else np.nan for _, c in found])
    table.insert(0, IMAGE_COLUMN, [rel for rel, _ in found])
    labels = pick_labels_file(folder, image_names(found))
    ctx.report(1.0, f"{len(found)} images read")
    return ImageSet(
        table=table,
        shape=shape,
        colour=colour,
        by_folder=by_folder,
        files=[rel for rel, _ in found],
        labels_file=str(labels.path) if labels.path else "",
        labels_pick=labels,
    )


def _checked(folder: os.PathLike, size) -> tuple[Path, tuple[int, int]]:
    """The folder and the image size (height, width), checked: Pillow present, the folder there, 8 to 1024 pixels."""
    try:
        import PIL  # noqa: F401  (Pillow: imported lazily, only to say it is missing)
    except ImportError:
        raise E.UnsupportedFormatError("Reading images needs the Pillow package (pip install Pillow).") from None
    folder = Path(folder)
    if not folder.is_dir():
        raise E.FileMissingError(f"The image folder {folder} does not exist. Choose the folder again.")
    one_number = bool(np.isscalar(size))
    size = (int(size), int(size)) if one_number else (int(size[0]), int(size[1]))
    if min(size) < 1 or max(size) > 1024:
        raise E.DataError(f"An image size of {size[0]} × {size[1]} pixels is not possible; choose 8 to 1024.")
    return folder, size


def _colour_of(folder: Path, found: list, *, ctx: TaskContext = NO_CONTEXT) -> str:
    """grey when every image is grey, else rgb: the modes from the headers only (pixels are decoded later)."""
    modes = []
    for i, (rel, _cls) in enumerate(found):
        ctx.check()
        img = _open(folder, rel, decode=False)
        modes.append(img.mode not in _COLOUR_MODES or _grey_palette(img))
        img.close()
        if i % 64 == 0:
            ctx.report(0.2 * i / len(found), f"Looking at {rel}")
    return "grey" if all(modes) else "rgb"


def _cached_images(
    folder: Path,
    found: list,
    by_folder: bool,
    shape: tuple,
    colour: str,
    cache_dir: os.PathLike,
    *,
    ctx: TaskContext = NO_CONTEXT,
) -> ImageSet:
    """A folder above the streaming threshold: resized once into a cache file; the table holds the files only."""
    modified = str(max(os.stat(folder / rel).st_mtime_ns for rel, _ in found))

    cache = build_image_cache(
        folder,
        [rel for rel, _ in found],
        colour,
        shape[1:],
        cache_dir,
        modified=modified,
        ctx=ctx.sub(0.2, 1.0),
    )
    table = pd.DataFrame({IMAGE_COLUMN: [rel for rel, _ in found]})
    if by_folder:
        table.insert(1, CLASS_COLUMN, [c if c is not None else np.nan for _, c in found])
    labels = pick_labels_file(folder, image_names(found))
    ctx.report(1.0, f"{len(found)} images resized into {cache.path.name}")
    return ImageSet(
        table=table,
        shape=shape,
        colour=colour,
        by_folder=by_folder,
        files=[rel for rel, _ in found],
        labels_file=str(labels.path) if labels.path else "",
        labels_pick=labels,
        cache=cache,
    )


def image_keys(table: pd.DataFrame) -> dict:
    """Ways a label table may name an image: its path, its file name, or its name without extension."""
    paths = table[IMAGE_COLUMN].astype(str)
    return {
        "image": paths,
        "file": paths.map(lambda p: p.rsplit("/", 1)[-1]),
        "stem": paths.map(lambda p: p.rsplit("/", 1)[-1].rsplit(".", 1)[0]),
    }
