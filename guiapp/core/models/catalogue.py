"""Architectures chosen by the data's modality (Tip 5), and what each costs (Tip 3).

The MLP for tables is built in :mod:`guiapp.core.models.network`; this module adds a 1D CNN for
one-hot sequences, a small 2D CNN for images and a small transformer encoder for sequences.
Every kind has a builder (torch, imported on first use) and torch-free counts — trainable
parameters, forward FLOPs per sample and an estimate of training memory — so a page can
update them while the user types. FLOPs count each multiply-add of a linear layer, a
convolution or attention as 2, as ``torch.utils.flop_counter`` does; activations, norms and
pooling are left out (they are small next to those).

Sequences and images arrive as ``(batch, channels, length)`` and ``(batch, channels, height,
width)``: a one-hot DNA sequence has 4 channels.
"""

from __future__ import annotations

from dataclasses import dataclass

from guiapp.core.models.mlp import build_mlp
from guiapp.core.study.errors import TenfoldError

KINDS = ("mlp", "cnn1d", "cnn2d", "transformer")
MODALITIES = ("table", "sequence", "image")
NAMES = {
    "mlp": "multilayer perceptron (MLP)",
    "cnn1d": "1D convolutional network",
    "cnn2d": "small 2D convolutional network",
    "transformer": "small transformer encoder",
}
BYTES_PER_VALUE = 4  # float32
# weights, their gradients and Adam's two moments: four copies of every parameter
COPIES_PER_PARAMETER = 4
PARAMS_PER_SAMPLE_WARN = 100  # "far more parameters than samples" (Tip 3)
TRANSFORMER_MIN_SAMPLES = 50_000  # below this a 1D CNN is the better first try on sequences


@dataclass(frozen=True)
class Recommendation:
    kind: str
    reason: str
    config: dict
    alternatives: tuple = ()  # ((kind, when it fits), ...)


def recommend(modality: str, *, n_samples: int, input_shape: tuple, n_outputs: int) -> Recommendation:
    """The architecture to start with for ``modality``, with the reason in plain words.

    ``input_shape`` is one sample's shape: ``(n_features,)`` for a table, ``(channels, length)``
    for a one-hot sequence, ``(channels, height, width)`` for an image.
    """
    if modality not in MODALITIES:
        raise TenfoldError(f"Unknown data modality {modality!r}; Tenfold knows {', '.join(MODALITIES)}.")
    if modality == "table":
        width = 32 if n_samples < 1000 else 64
        return Recommendation(
            "mlp",
            "A table's features have no order or neighbourhood for a network to exploit: a "
            "multilayer perceptron, whose units each combine all features, is the fitting choice. "
            f"Start small: two hidden layers of {width} units.",
            default_config("mlp", input_shape, n_outputs, width=width),
        )
    if modality == "sequence":
        transformer = (
            "transformer",
            f"with tens of thousands of sequences (≥ {TRANSFORMER_MIN_SAMPLES:,}) "
            "and interactions between distant positions",
        )
        cnn = ("cnn1d", "fewer samples, or motifs that act locally")
        if n_samples >= TRANSFORMER_MIN_SAMPLES:
            return Recommendation(
                "transformer",
                f"With {n_samples:,} sequences there is enough data for a small transformer "
                "encoder, whose attention relates distant positions directly.",
                default_config("transformer", input_shape, n_outputs),
                (cnn,),
            )
        return Recommendation(
            "cnn1d",
            "One-hot sequences hold short patterns (motifs) that can sit anywhere: a 1D "
            "convolutional network scans every position with the same few filters, so it needs few "
            f"parameters for {n_samples:,} sequences.",
            default_config("cnn1d", input_shape, n_outputs),
            (transformer,),
        )
    return Recommendation(
        "cnn2d",
        "Images have local structure at every position: a small 2D convolutional network "
        "shares its filters across the image, so it needs far fewer parameters than a network on "
        "the raw pixels.",
        default_config("cnn2d", input_shape, n_outputs),
    )


def default_config(kind: str, input_shape: tuple, n_outputs: int, **overrides) -> dict:
    """A small starting configuration of ``kind`` for inputs of ``input_shape``."""
    if kind == "mlp":
        config = {"n_features": int(input_shape[0]), "width": 64, "depth": 2, "dropout": 0.1}
    elif kind == "cnn1d":
        config = {
            "channels": int(input_shape[0]),
            "length": int(input_shape[1]),
            "filters": 32,
            "depth": 2,
            "kernel": 9,
            "dropout": 0.1,
        }
    elif kind == "cnn2d":
        config = {
            "channels": int(input_shape[0]),
            "image_height": int(input_shape[1]),
            "image_width": int(input_shape[2]),
            "filters": 16,
            "depth": 3,
            "dropout": 0.1,
        }
    elif kind == "transformer":
        config = {
            "channels": int(input_shape[0]),
            "length": int(input_shape[1]),
            "d_model": 32,
            "heads": 4,
            "depth": 2,
            "ff": 64,
            "dropout": 0.1,
        }
    else:
        raise TenfoldError(f"Unknown architecture {kind!r}; choose one of {', '.join(KINDS)}.")
    config.update(n_outputs=int(n_outputs), **overrides)
    return config


# ----- builders (torch) ---------------------------------------------------------------------------


def build(kind: str, config: dict):
    """The untrained network of ``kind``; an MLP standardises its inputs (see mlp.build_mlp)."""
    _check(kind, config)
    if kind == "mlp":
        return build_mlp(config["n_features"], config["n_outputs"], config["width"], config["depth"], config["dropout"])
    return {"cnn1d": _build_cnn1d, "cnn2d": _build_cnn2d, "transformer": _build_transformer}[kind](config)


def _build_cnn1d(c: dict):
    # torch: imported lazily, a heavy library
    from torch import nn

    layers, channels, length = [], c["channels"], c["length"]
    for _ in range(c["depth"]):
        layers += [nn.Conv1d(channels, c["filters"], c["kernel"], padding=c["kernel"] // 2), nn.ReLU()]
        if length >= 2:
            layers.append(nn.MaxPool1d(2))
            length //= 2
        layers.append(nn.Dropout(c["dropout"]))
        channels = c["filters"]
    layers += [nn.AdaptiveMaxPool1d(1), nn.Flatten(), nn.Linear(channels, c["n_outputs"])]
    return nn.Sequential(*layers)


def _build_cnn2d(c: dict):
    # torch: imported lazily, a heavy library
    from torch import nn

    layers, channels, h, w, filters = [], c["channels"], c["image_height"], c["image_width"], c["filters"]
    for _ in range(c["depth"]):
        layers += [nn.Conv2d(channels, filters, 3, padding=1), nn.ReLU()]
        if h >= 2 and w >= 2:
            layers.append(nn.MaxPool2d(2))
            h, w = h // 2, w // 2
        channels, filters = filters, filters * 2
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(c["dropout"]), nn.Linear(channels, c["n_outputs"])]
    return nn.Sequential(*layers)


def _build_transformer(c: dict):
    # torch: imported lazily, a heavy library
    import torch
    from torch import nn

    class SmallTransformer(nn.Module):
        """One-hot positions → embedding + learned positions → encoder layers → mean → output."""

        def __init__(self) -> None:
            super().__init__()
            d = c["d_model"]
            self.embed = nn.Linear(c["channels"], d)
            self.position = nn.Parameter(torch.zeros(1, c["length"], d))
            nn.init.normal_(self.position, std=0.02)
            layer = nn.TransformerEncoderLayer(d, c["heads"], c["ff"], c["dropout"], batch_first=True)
            self.encoder = nn.TransformerEncoder(layer, c["depth"], enable_nested_tensor=False)
            self.head = nn.Linear(d, c["n_outputs"])

        def forward(self, x):  # (batch, channels, length), like the 1D CNN's input
            h = self.embed(x.transpose(1, 2)) + self.position
            return self.head(self.encoder(h).mean(dim=1))

    return SmallTransformer()


def _check(kind: str, c: dict) -> None:
    if kind not in KINDS:
        raise TenfoldError(f"Unknown architecture {kind!r}; choose one of {', '.join(KINDS)}.")
    if kind == "cnn1d" and c["kernel"] % 2 == 0:
        raise TenfoldError(
            "Choose an odd kernel size for the 1D CNN, so each position sits in the middle of its window."
        )
    if kind == "transformer" and c["d_model"] % c["heads"]:
        raise TenfoldError(f"The transformer's width ({c['d_model']}) must be a multiple of its heads ({c['heads']}).")


# ----- sizes without torch --------------------------------------------------------------------------


def _layers(kind: str, c: dict) -> list[tuple[int, int, int]]:
    """(parameters, forward FLOPs, output values) of each layer that has weights, per sample."""
    out = []
    k = c["n_outputs"]
    if kind == "mlp":
        size = c["n_features"]
        for _ in range(c["depth"]):
            out.append((size * c["width"] + c["width"], 2 * size * c["width"], c["width"]))
            size = c["width"]
        out.append((size * k + k, 2 * size * k, k))
    elif kind == "cnn1d":
        channels, length, f, kern = c["channels"], c["length"], c["filters"], c["kernel"]
        for _ in range(c["depth"]):
            out.append((channels * f * kern + f, 2 * channels * kern * f * length, f * length))
            length = length // 2 if length >= 2 else length
            channels = f
        out.append((channels * k + k, 2 * channels * k, k))
    elif kind == "cnn2d":
        channels, h, w, f = c["channels"], c["image_height"], c["image_width"], c["filters"]
        for _ in range(c["depth"]):
            out.append((channels * f * 9 + f, 2 * channels * 9 * f * h * w, f * h * w))
            if h >= 2 and w >= 2:
                h, w = h // 2, w // 2
            channels, f = f, f * 2
        out.append((channels * k + k, 2 * channels * k, k))
    else:
        d, ff, n, ch = c["d_model"], c["ff"], c["length"], c["channels"]
        out.append((ch * d + d + n * d, 2 * n * ch * d, n * d))  # embedding and positions
        for _ in range(c["depth"]):
            params = 4 * d * d + 2 * d * ff + 9 * d + ff  # attention, feed-forward, two layer norms
            flops = 2 * n * d * 3 * d + 2 * 2 * n * n * d + 2 * n * d * d + 2 * 2 * n * d * ff
            out.append((params, flops, 6 * n * d + n * ff + c["heads"] * n * n))
        out.append((d * k + k, 2 * d * k, k))
    return out


def count_parameters(kind: str, config: dict) -> int:
    _check(kind, config)
    return int(sum(p for p, _, _ in _layers(kind, config)))


def flops_per_sample(kind: str, config: dict) -> int:
    """Forward FLOPs for one sample (2 per multiply-add); training costs about 3 times this."""
    _check(kind, config)
    return int(sum(f for _, f, _ in _layers(kind, config)))


def memory_mb(kind: str, config: dict, batch_size: int) -> float:
    """A rough training-memory estimate: four copies of the weights (weights, gradients, Adam's
    two moments) plus each layer's outputs for a batch, kept for the backward pass (×2 for the
    activation functions and pooling around them)."""
    layers = _layers(kind, config)
    params = sum(p for p, _, _ in layers)
    activations = 2 * sum(a for _, _, a in layers) * max(int(batch_size), 1)
    return (COPIES_PER_PARAMETER * params + activations) * BYTES_PER_VALUE / 2**20


def size_summary(kind: str, config: dict, *, n_train: int, batch_size: int = 64) -> dict:
    """Parameters, FLOPs and memory with a reading against the number of training samples."""
    n_params = count_parameters(kind, config)
    ratio = n_params / max(n_train, 1)
    return {
        "kind": kind,
        "n_params": n_params,
        "flops": flops_per_sample(kind, config),
        "memory_mb": round(memory_mb(kind, config, batch_size), 3),
        "n_train": int(n_train),
        "params_per_sample": round(ratio, 2),
        "too_large": bool(n_train and ratio > PARAMS_PER_SAMPLE_WARN),
    }


def human_count(n: float) -> str:
    """1234 → '1.2 thousand', 3.4e6 → '3.4 million': numbers a biologist reads at a glance."""
    for size, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million"), (1e3, "thousand")):
        if n >= size:
            return f"{n / size:.1f} {word}"
    return f"{n:.0f}"
