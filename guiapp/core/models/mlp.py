"""The multilayer perceptron for tables, with its preprocessing built in, and the sizes every
network kind shares (how many outputs a study's task needs).

torch is imported inside functions only, so opening the window never pays for it.
"""

from __future__ import annotations

from guiapp.core.study.model import Study


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
    # torch: imported lazily so the window opens fast
    import torch
    from torch import nn

    class Standardize(nn.Module):
        """Fill missing values with training medians, then standardise with training stats."""

        fill: torch.Tensor
        center: torch.Tensor
        scale: torch.Tensor

        def __init__(self, n):
            super().__init__()
            self.register_buffer("fill", torch.zeros(n))
            self.register_buffer("center", torch.zeros(n))
            self.register_buffer("scale", torch.ones(n))

        def forward(self, x):
            x = torch.where(torch.isnan(x), self.fill, x)
            return (x - self.center) / self.scale

    standardize = Standardize(n_features)
    layers: list = [standardize]
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
            standardize.center.copy_(torch.as_tensor(center, dtype=torch.float32))
        if scale is not None:
            standardize.scale.copy_(torch.as_tensor(scale, dtype=torch.float32))
        if fill is not None:
            standardize.fill.copy_(torch.as_tensor(fill, dtype=torch.float32))
    return model


def count_parameters(n_features: int, n_outputs: int, width: int, depth: int) -> int:
    """Trainable parameters of the MLP, computed without torch (the page updates live)."""
    total, size = 0, n_features
    for _ in range(depth):
        total += size * width + width
        size = width
    return total + size * n_outputs + n_outputs


def n_outputs(study: Study) -> int:
    return len(study.data.classes) if study.is_classification else 1
