"""Networks for images and sequences (Tip 5): the study's flattened rows put back on their grid,
then a 1D CNN, a small transformer encoder or a small 2D CNN.

Image and sequence studies keep their samples as table rows (``study.data.input_shape`` turns
a row back). The network a study trains takes those rows as they are: it fills missing values
and standardises with training-split statistics (as the MLP does), places each feature column
at its pixel or letter position — columns dropped at loading, such as constant pixels, stay at
zero — and hands ``(channels, length)`` or ``(channels, height, width)`` tensors to the
convolutions. So prediction, export and attributions work on rows for every architecture.

The study's ``width`` is the CNNs' filters (doubling each layer in the 2D CNN) or the
transformer's model width, and ``depth`` their number of layers.
"""

from __future__ import annotations

import re

import numpy as np

from guiapp.core.models.catalogue import KINDS, NAMES, build, default_config
from guiapp.core.models.mlp import build_mlp, n_outputs
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.model import Study

GRID_KINDS = {"cnn1d": "sequence", "transformer": "sequence", "cnn2d": "image"}
SEQUENCE_KERNEL = 9
_PIXEL = re.compile(r"^(px|r|g|b)_(\d+)_(\d+)$")
_LETTER = re.compile(r"^pos(\d+)_(.+)$")
_CHANNELS = {"px": 0, "r": 0, "g": 1, "b": 2}


def kinds_for(modality: str) -> tuple:
    """The architectures a study of ``modality`` can train, the recommended kind first."""
    if modality == "sequence":
        return ("cnn1d", "transformer", "mlp")
    if modality == "image":
        return ("cnn2d", "mlp")
    return ("mlp",)


def grid_shape(study: Study) -> tuple:
    """One sample as the network sees it: ``(letters, length)`` or ``(channels, height, width)``."""
    d = study.data
    if d.modality == "sequence" and len(d.input_shape) == 2:
        length, letters = d.input_shape
        return int(letters), int(length)
    if d.modality == "image" and len(d.input_shape) == 3:
        return tuple(int(v) for v in d.input_shape)
    return ()


def check_kind(study: Study, kind: str) -> None:
    """Refuse an architecture the study's data cannot feed, saying what would fit."""
    if kind not in KINDS:
        raise TenfoldError(f"Unknown architecture {kind!r}; choose one of {', '.join(KINDS)}.")
    if kind == "mlp":
        return
    modality = study.data.modality or "table"
    if GRID_KINDS[kind] != modality or not grid_shape(study):
        fits = ", ".join(NAMES[k] for k in kinds_for(modality))
        raise TenfoldError(
            f"A {NAMES[kind]} needs {GRID_KINDS[kind]} data, but this study's data are a "
            f"{modality}. For {modality} data choose: {fits}."
        )


def grid_config(study: Study, kind: str, width: int, depth: int, dropout: float) -> dict:
    """The :mod:`guiapp.core.models.catalogue` configuration of ``kind`` for this study."""
    shape = grid_shape(study)
    outputs = max(n_outputs(study), 1)
    if kind == "cnn1d":
        kernel = min(SEQUENCE_KERNEL, shape[1] if shape[1] % 2 else shape[1] - 1)
        return default_config(
            kind, shape, outputs, filters=int(width), depth=int(depth), dropout=float(dropout), kernel=max(kernel, 1)
        )
    if kind == "cnn2d":
        return default_config(kind, shape, outputs, filters=int(width), depth=int(depth), dropout=float(dropout))
    heads = next(h for h in (4, 2, 1) if int(width) % h == 0)
    return default_config(
        kind,
        shape,
        outputs,
        d_model=int(width),
        heads=heads,
        depth=int(depth),
        ff=2 * int(width),
        dropout=float(dropout),
    )


def positions(study: Study) -> np.ndarray:
    """Each feature column's index in the flattened grid of :func:`grid_shape` (channels first)."""
    from guiapp.core.data.sequences import LETTERS  # that module pulls pandas: imported lazily

    d, shape = study.data, grid_shape(study)
    out = np.empty(len(d.feature_columns), dtype=np.int64)
    if d.modality == "image":
        c, h, w = shape
        for i, name in enumerate(d.feature_columns):
            m = _PIXEL.match(name)
            if m is None:
                raise TenfoldError(f"The image column {name!r} is not a pixel: leave only pixels as features.")
            out[i] = _CHANNELS[m.group(1)] * h * w + int(m.group(2)) * w + int(m.group(3))
        return out
    letters, length = shape
    found = [_LETTER.match(name) for name in d.feature_columns]
    if any(m is None for m in found):
        bad = d.feature_columns[[m is None for m in found].index(True)]
        raise TenfoldError(f"The sequence column {bad!r} is not a letter position: leave only those as features.")
    matched = [m for m in found if m is not None]  # every one, checked above
    seen = {m.group(2) for m in matched}
    alphabet = next((a for a in LETTERS.values() if len(a) == letters and seen <= set(a)), None)
    if alphabet is None:
        raise TenfoldError(
            f"The sequence columns use the letters {''.join(sorted(seen))}, which fit no alphabet of {letters} letters."
        )
    for i, m in enumerate(matched):
        out[i] = alphabet.index(m.group(2)) * length + int(m.group(1)) - 1  # (letters, length), channels first
    return out


def build_grid_network(
    study: Study,
    kind: str,
    *,
    center=None,
    scale=None,
    fill=None,
    target_center: float | None = None,
    target_scale: float = 1.0,
):
    """fill and standardise → put on the grid → the ``kind`` network (→ target units)."""
    # torch: imported lazily so the window opens fast
    import torch
    from torch import nn

    a = study.architecture
    check_kind(study, kind)
    n = len(study.data.feature_columns)
    shape = grid_shape(study)
    index = torch.as_tensor(positions(study))

    class OnGrid(nn.Module):
        """Row features → their places in a (channels, …) grid; absent columns are zero."""

        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("index", index, persistent=False)  # from the column names, never from weights

        def forward(self, x):
            grid = x.new_zeros(x.shape[0], int(np.prod(shape)))
            grid[:, self.index] = x
            return grid.reshape(x.shape[0], *shape)

    # The MLP's own preprocessing (and target units), so both networks' buffers mean the same.
    mlp = build_mlp(
        n,
        1,
        2,
        1,
        0.0,
        center=center,
        scale=scale,
        fill=fill,
        regression=target_center is not None,
        target_center=target_center or 0.0,
        target_scale=target_scale,
    )
    layers = [mlp[0], OnGrid(), build(kind, grid_config(study, kind, a.width, a.depth, a.dropout))]
    if target_center is not None:
        layers.append(mlp[-1])
    return nn.Sequential(*layers)
