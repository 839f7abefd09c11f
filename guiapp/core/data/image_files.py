"""Image files: finding them in a folder, and decoding one into float32 pixels of one size and colour.

Shared by :mod:`guiapp.core.data.images` (a folder read into a table) and
:mod:`guiapp.core.data.image_stream` (a folder decoded in DataLoader workers into a cache), so
both give the same pixels.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from guiapp.core.data import errors as E
from guiapp.core.data.formats import IMAGE_SUFFIXES

_COLOUR_MODES = {"RGB", "RGBA", "RGBX", "CMYK", "YCbCr", "LAB", "HSV", "P", "PA"}


def find_images(folder: os.PathLike) -> tuple[list, bool]:
    """(relative path, class or None) of every image; classes are the first-level subfolders."""
    folder = Path(folder)
    found = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith("."):
            rel = path.relative_to(folder)
            found.append((rel.as_posix(), rel.parts[0] if len(rel.parts) > 1 else None))
    by_folder = any(c is not None for _, c in found)
    return found, by_folder


def _open(folder: Path, rel: str, decode: bool = True):
    from PIL import Image, UnidentifiedImageError  # Pillow: imported lazily, only for images

    path = folder / rel
    try:
        img = Image.open(path)
        if decode:
            img.seek(0)
            img.load()
        return img
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as exc:
        raise E.UnreadableImageError(
            f"{rel} in {folder.name} could not be read as an image ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:120] if str(exc) else 'no details'}). Remove it from the folder, "
            "or replace it with a PNG, JPEG or TIFF file."
        ) from None


def _pixels(img, colour: str, size: tuple) -> np.ndarray:
    """One image as float32 (C, H, W) in 0…1."""
    from PIL import Image  # Pillow: imported lazily, only for images

    w, h = size[1], size[0]
    if colour == "rgb":
        if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
            img = Image.fromarray((_scaled(np.asarray(img)) * 255).astype(np.uint8))
        rgb = img.convert("RGB").resize((w, h), Image.Resampling.BILINEAR)
        return np.asarray(rgb, dtype=np.float32).transpose(2, 0, 1) / 255.0
    if img.mode in ("1", "L", "P", "LA", "RGB", "RGBA", "CMYK", "YCbCr", "PA", "RGBX"):
        grey = img.convert("L").resize((w, h), Image.Resampling.BILINEAR)
        return (np.asarray(grey, dtype=np.float32) / 255.0)[None]
    values = _scaled(np.asarray(img))
    if values.ndim == 3:
        values = values.mean(axis=2)
    resized = Image.fromarray(values.astype(np.float32), mode="F").resize((w, h), Image.Resampling.BILINEAR)
    return np.asarray(resized, dtype=np.float32)[None]


def _scaled(values: np.ndarray) -> np.ndarray:
    """Integer pixels over their type's maximum (16-bit TIFFs over 65535); floats as they are."""
    if values.dtype == bool:
        return values.astype(np.float32)
    if np.issubdtype(values.dtype, np.integer):
        top = 65535.0 if values.max(initial=0) <= 65535 else float(np.iinfo(values.dtype).max)
        top = 255.0 if values.dtype == np.uint8 else top
        return values.astype(np.float32) / top
    return np.nan_to_num(values.astype(np.float32))


def pixel_names(shape: tuple, colour: str) -> list[str]:
    c, h, w = shape
    prefixes = ("r", "g", "b") if colour == "rgb" else ("px",)
    return [f"{prefixes[k]}_{y}_{x}" for k in range(c) for y in range(h) for x in range(w)]


def _grey_palette(img) -> bool:
    """A palette image whose colours are all grey is grey."""
    if img.mode not in ("P", "PA"):
        return False
    palette = img.getpalette() or []
    triples = [palette[i : i + 3] for i in range(0, len(palette), 3)]
    return all(r == g == b for r, g, b in triples)
