"""Image folders read lazily: decoded and resized in DataLoader workers, kept in a resized cache on disk.

:class:`ImageFolderDataset` is a map-style dataset for torch's ``DataLoader`` (a plain,
picklable class, so workers may be spawned) that opens, decodes and resizes one image per index, exactly as :func:`guiapp.core.data.images.load_images` does, so its rows equal the
in-memory table's pixel columns. A folder above the streaming threshold
(:mod:`guiapp.core.data.streaming`) is decoded once, by DataLoader workers, into a cache file of
8-bit pixels in the study folder (one row of C×H×W bytes per image, a quarter of float32);
:class:`ImageCache` then reads rows by position with plain file reads, so memory holds a batch,
never the folder. The cache is named by the image list, the size and the colour, and reused.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from guiapp.core.data.image_files import _open, _pixels
from guiapp.core.data.streaming import loader_workers
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.model import Study
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext

CACHE_FOLDER = "cache"
DECODE_BATCH = 64


class ImageFolderDataset:
    """Image ``i`` of ``files`` (paths inside ``folder``) as float32 pixels in 0…1, flattened (C·H·W).

    ``targets`` (optional) are returned beside the pixels. ``as_bytes`` gives the 8-bit pixels
    instead (for the cache). Use it with a torch DataLoader (it is a map-style dataset).
    """

    def __init__(
        self, folder: os.PathLike, files: list, colour: str, size: tuple, targets=None, *, as_bytes: bool = False
    ) -> None:
        self.folder, self.files, self.colour = Path(folder), list(files), colour
        self.size = (int(size[0]), int(size[1]))
        self.targets, self.as_bytes = targets, as_bytes

    def __len__(self) -> int:
        return len(self.files)

    def pixels(self, i: int) -> np.ndarray:
        img = _open(self.folder, self.files[i])
        try:
            return _pixels(img, self.colour, self.size).reshape(-1)
        finally:
            img.close()

    def __getitem__(self, i: int):
        row = self.pixels(int(i))
        if self.as_bytes:
            row = np.rint(row * 255.0).clip(0, 255).astype(np.uint8)
        return row if self.targets is None else (row, self.targets[int(i)])


def cache_key(files: list, colour: str, size: tuple, modified: str = "") -> str:
    digest = hashlib.sha256(json.dumps([list(files), colour, list(size), modified]).encode()).hexdigest()
    return digest[:16]


class ImageCache:
    """A row source (:mod:`guiapp.core.data.streaming`) over a cache file of 8-bit pixel rows."""

    def __init__(self, path: os.PathLike, n: int, n_features: int) -> None:
        self.path, self.shape = Path(path), (int(n), int(n_features))
        self._fd: int | None = None
        self._pid = -1

    def __getstate__(self):  # sent to DataLoader workers: each opens the file itself
        return {"path": self.path, "shape": self.shape}

    def __setstate__(self, state) -> None:
        self.path, self.shape, self._fd, self._pid = state["path"], state["shape"], None, -1

    def _file(self) -> int:
        if self._fd is None or self._pid != os.getpid():
            self._fd, self._pid = os.open(self.path, os.O_RDONLY | getattr(os, "O_BINARY", 0)), os.getpid()
        return self._fd

    def read_bytes(self, rows) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        p = self.shape[1]
        out = np.empty((len(rows), p), dtype=np.uint8)
        fd = self._file()
        k = 0
        while k < len(rows):  # runs of consecutive rows are one read
            j = k + 1
            while j < len(rows) and rows[j] == rows[j - 1] + 1:
                j += 1
            data = os.pread(fd, (j - k) * p, int(rows[k]) * p)
            out[k:j] = np.frombuffer(data, dtype=np.uint8).reshape(j - k, p)
            k = j
        return out

    def read(self, rows) -> np.ndarray:
        return self.read_bytes(rows).astype(np.float32) / np.float32(255.0)


def build_image_cache(
    folder: os.PathLike,
    files: list,
    colour: str,
    size: tuple,
    cache_dir: os.PathLike,
    *,
    modified: str = "",
    workers: int | None = None,
    ctx: TaskContext = NO_CONTEXT,
) -> ImageCache:
    """Decode and resize every image once (in DataLoader workers) into an 8-bit cache file; reuse it after."""
    from torch.utils.data import DataLoader  # torch: imported lazily, so the window opens fast

    c = 3 if colour == "rgb" else 1
    p = c * int(size[0]) * int(size[1])
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    key = cache_key(files, colour, size, modified)
    path = cache_dir / f"images-{key}.u8"
    if path.exists() and path.stat().st_size == len(files) * p:
        return ImageCache(path, len(files), p)
    workers = loader_workers() if workers is None else workers
    dataset = ImageFolderDataset(folder, files, colour, size, as_bytes=True)  # picklable for spawned workers
    extra: dict[str, Any] = {"prefetch_factor": 2} if workers else {}
    loader: DataLoader[Any] = DataLoader(
        dataset,  # type: ignore[arg-type]  # a plain map-style class, not a torch subclass: picklable when spawned
        batch_size=DECODE_BATCH,
        shuffle=False,
        num_workers=workers,
        collate_fn=np.stack,
        **extra,
    )
    tmp = path.with_name(path.name + ".tmp")
    done = 0
    with open(tmp, "wb") as out:
        for block in loader:
            ctx.check()
            out.write(np.ascontiguousarray(block).tobytes())
            done += len(block)
            ctx.report(done / len(files), f"Decoding and resizing images ({done:,} of {len(files):,})")
    os.replace(tmp, path)
    return ImageCache(path, len(files), p)


def streamed_images(study: Study) -> ImageCache | None:
    """The study's image cache when its images are streamed (``data.options['stream_cache']``), else None."""
    opts = study.data.options or {}
    path = opts.get("stream_cache")
    if not path:
        return None
    if not Path(path).exists():
        raise TenfoldError(f"The resized-image cache {path} is missing: load the image folder again on the Data page.")
    c, h, w = study.data.input_shape
    return ImageCache(path, int(opts["stream_rows"]), int(c) * int(h) * int(w))
