"""The network (Tip 5: start small): an MLP for tables, with its preprocessing built in.

torch is imported inside functions only, so opening the window never pays for it.
The preprocessing (training-split medians, means and scales) lives in the model as
buffers, so exported weights carry everything needed to score a new sample.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import numpy as np

from guiapp.core.data.streaming import column_statistics, is_streamed, predict_in_batches, training_statistics
from guiapp.core.models.checkpoint_transfer import apply_pretrained
from guiapp.core.models.grid_networks import build_grid_network
from guiapp.core.models.mlp import build_mlp, count_parameters, n_outputs
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.model import Study

# The MLP's builders, as the callers and the bundle reader know them here.
__all__ = [
    "build_mlp",
    "count_parameters",
    "load_trained_model",
    "model_config",
    "model_for_study",
    "n_outputs",
    "predict",
    "save_weights",
    "training_statistics",
    "write_config",
]


def model_for_study(study: Study, X_train: np.ndarray | None = None, y_train: np.ndarray | None = None):
    a = study.architecture
    stats = (
        (None, None, None)
        if X_train is None
        else (column_statistics(cast(Any, X_train)) if is_streamed(X_train) else training_statistics(X_train))
    )
    target: dict[str, float] = {}
    if not study.is_classification and y_train is not None:
        target = {"target_center": float(np.mean(y_train)), "target_scale": float(np.std(y_train)) or 1.0}
    if a.kind != "mlp":  # images and sequences: the rows put back on their grid (grid_networks)
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
        center, scale, fill = stats
        model = build_mlp(
            len(study.data.feature_columns),
            n_outputs(study),
            a.width,
            a.depth,
            a.dropout,
            center,
            scale,
            fill,
            regression=not study.is_classification,
            target_center=target.get("target_center", 0.0),
            target_scale=target.get("target_scale", 1.0),
        )
    if a.pretrained and X_train is not None:  # a network about to train starts from the checkpoint
        apply_pretrained(study, model)
    return model


def save_weights(model, path: Path) -> None:
    """Weights (of a model, or a state dict) as safetensors, written atomically."""
    # safetensors (pulls torch): imported lazily, a heavy library
    from safetensors.torch import save_file

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    state = model if isinstance(model, dict) else model.state_dict()
    save_file({k: v.detach().cpu().contiguous() for k, v in state.items()}, str(tmp))
    tmp.replace(path)


def load_trained_model(study: Study):
    """The study's best network, on the CPU, in eval mode."""
    from safetensors.torch import load_file  # safetensors pulls torch: imported lazily

    if not study.train.weights:
        raise TenfoldError("The network has not been trained yet: train it on the Train page.")
    model = model_for_study(study)
    model.load_state_dict(load_file(str(study.path(study.train.weights))))
    model.eval()
    return model


def predict(study: Study, X: np.ndarray, model=None) -> np.ndarray:
    """Class probabilities (n × k) or predictions (n,) from the trained network."""
    # torch: imported lazily, a heavy library
    import torch

    model = model if model is not None else load_trained_model(study)

    model = model.cpu().eval()
    with torch.no_grad():
        out = (
            predict_in_batches(model, cast(Any, X))
            if is_streamed(X)
            else model(torch.as_tensor(X, dtype=torch.float32))
        )
        if study.is_classification:
            return torch.softmax(out, dim=1).numpy()
        return out.squeeze(1).numpy()


def model_config(study: Study) -> dict:
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


def write_config(study: Study, path: Path) -> None:
    Path(path).write_text(json.dumps(model_config(study), indent=2), encoding="utf-8")
