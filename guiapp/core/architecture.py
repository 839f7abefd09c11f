"""Architecture (Tips 5 and 3): a small MLP for tables, sized against the sample count."""

from __future__ import annotations

from guiapp.core.errors import TenfoldError
from guiapp.core.network import count_parameters, n_outputs


def set_architecture(study, *, width: int, depth: int, dropout: float) -> int:
    """Store the MLP's shape and return its parameter count."""
    if not (1 <= depth <= 8 and 2 <= width <= 4096 and 0.0 <= dropout < 1.0):
        raise TenfoldError("Choose 1–8 hidden layers, 2–4096 units per layer and dropout below 1.")
    a = study.architecture
    a.kind, a.width, a.depth, a.dropout = "mlp", int(width), int(depth), float(dropout)
    a.n_params = count_parameters(len(study.data.feature_columns), n_outputs(study), a.width, a.depth)
    return a.n_params


def size_reading(study) -> str:
    a = study.architecture
    n_train = len(study.split.train_idx) or study.data.n_samples
    if not a.n_params or not n_train:
        return ""
    ratio = a.n_params / n_train
    text = f"{a.n_params:,} parameters for {n_train:,} training samples ({ratio:.0f} per sample)."
    if ratio > 100:
        return text + " That is large for this much data: start smaller (Tip 3), and watch the overfitting step."
    return text + " A reasonable start."
