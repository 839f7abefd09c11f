"""The network (Tip 5: start small): an MLP for tables, with its preprocessing built in.

torch is imported inside functions only, so opening the window never pays for it.
The preprocessing (training-split medians, means and scales) lives in the model as
buffers, so exported weights carry everything needed to score a new sample.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from guiapp.core.data.streaming import training_statistics


def build_mlp(
    n_features: int,
    n_outputs: int,
    width: int,
    depth: int,
    dropout: float,
    center=None,
    scale=None,
    fill=None,
    regression: bool = False,
    target_center: float = 0.0,
    target_scale: float = 1.0,
):
    """An MLP: standardise → [Linear → ReLU → Dropout] × depth → Linear (→ target units).

    For regression the last layer predicts a standardised target, mapped back to the
    target's units with training-split statistics, so targets in the thousands train as
    well as targets near zero.
    """
    import torch
    from torch import nn

    class Standardize(nn.Module):
        """Fill missing values with training medians, then standardise with training stats."""

        def __init__(self, n):
            super().__init__()
            self.register_buffer("fill", torch.zeros(n))
            self.register_buffer("center", torch.zeros(n))
            self.register_buffer("scale", torch.ones(n))

        def forward(self, x):
            x = torch.where(torch.isnan(x), self.fill, x)
            return (x - self.center) / self.scale

    layers: list = [Standardize(n_features)]
    size = n_features
    for _ in range(depth):
        layers += [nn.Linear(size, width), nn.ReLU(), nn.Dropout(dropout)]
        size = width
    layers.append(nn.Linear(size, n_outputs))

    class TargetUnits(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("center", torch.tensor([float(target_center)]))
            self.register_buffer("scale", torch.tensor([float(target_scale)]))

        def forward(self, z):
            return z * self.scale + self.center

    if regression:
        layers.append(TargetUnits())
    model = nn.Sequential(*layers)
    with torch.no_grad():
        if center is not None:
            model[0].center.copy_(torch.as_tensor(center, dtype=torch.float32))
        if scale is not None:
            model[0].scale.copy_(torch.as_tensor(scale, dtype=torch.float32))
        if fill is not None:
            model[0].fill.copy_(torch.as_tensor(fill, dtype=torch.float32))
    return model


def count_parameters(n_features: int, n_outputs: int, width: int, depth: int) -> int:
    """Trainable parameters of the MLP, computed without torch (the page updates live)."""
    total, size = 0, n_features
    for _ in range(depth):
        total += size * width + width
        size = width
    return total + size * n_outputs + n_outputs


def n_outputs(study) -> int:
    return len(study.data.classes) if study.is_classification else 1


def model_for_study(study, X_train: np.ndarray | None = None, y_train: np.ndarray | None = None):
    a = study.architecture
    from guiapp.core.data.streaming import column_statistics, is_streamed

    stats = (
        (None, None, None)
        if X_train is None
        else (column_statistics(X_train) if is_streamed(X_train) else training_statistics(X_train))
    )
    target = {}
    if not study.is_classification and y_train is not None:
        target = {"target_center": float(np.mean(y_train)), "target_scale": float(np.std(y_train)) or 1.0}
    if a.kind != "mlp":  # images and sequences: the rows put back on their grid (grid_networks)
        from guiapp.core.models.grid_networks import build_grid_network

        center, scale, fill = stats
        model = build_grid_network(
            study,
            a.kind,
            center=center,
            scale=scale,
            fill=fill,
            target_center=None if study.is_classification else target.get("target_center", 0.0),
            target_scale=target.get("target_scale", 1.0),
        )
    else:
        model = build_mlp(
            len(study.data.feature_columns),
            n_outputs(study),
            a.width,
            a.depth,
            a.dropout,
            *stats,
            regression=not study.is_classification,
            **target,
        )
    if a.pretrained and X_train is not None:  # a network about to train starts from the checkpoint
        from guiapp.core.models.transfer import apply_pretrained

        apply_pretrained(study, model)
    return model


def save_weights(model, path: Path) -> None:
    """Weights (of a model, or a state dict) as safetensors, written atomically."""
    from safetensors.torch import save_file

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    state = model if isinstance(model, dict) else model.state_dict()
    save_file({k: v.detach().cpu().contiguous() for k, v in state.items()}, str(tmp))
    tmp.replace(path)


def load_trained_model(study):
    """The study's best network, on the CPU, in eval mode."""
    from safetensors.torch import load_file

    from guiapp.core.study.errors import TenfoldError

    if not study.train.weights:
        raise TenfoldError("The network has not been trained yet: train it on the Train page.")
    model = model_for_study(study)
    model.load_state_dict(load_file(str(study.path(study.train.weights))))
    model.eval()
    return model


def predict(study, X: np.ndarray, model=None) -> np.ndarray:
    """Class probabilities (n × k) or predictions (n,) from the trained network."""
    import torch

    model = model if model is not None else load_trained_model(study)
    from guiapp.core.data.streaming import is_streamed, predict_in_batches

    model = model.cpu().eval()
    with torch.no_grad():
        out = predict_in_batches(model, X) if is_streamed(X) else model(torch.as_tensor(X, dtype=torch.float32))
        if study.is_classification:
            return torch.softmax(out, dim=1).numpy()
        return out.squeeze(1).numpy()


def model_config(study) -> dict:
    a = study.architecture
    return {
        "architecture": a.kind,
        "width": a.width,
        "depth": a.depth,
        "dropout": a.dropout,
        "modality": study.data.modality,
        "input_shape": list(study.data.input_shape),
        "n_features": len(study.data.feature_columns),
        "n_outputs": n_outputs(study),
        "feature_columns": study.data.feature_columns,
        "classes": study.data.classes,
        "task": study.question.task,
        "preprocessing": "missing values → training medians; standardised with training means and scales (buffers in the weights)",
    }


def write_config(study, path: Path) -> None:
    Path(path).write_text(json.dumps(model_config(study), indent=2), encoding="utf-8")
