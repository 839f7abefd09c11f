"""Weights from a local checkpoint (Tip 5): load the layers that match, report the rest.

A checkpoint is a safetensors file, or a torch state dict read with ``weights_only=True`` (never
an arbitrary pickle). Tensors are matched to the network's parameters by name and shape; the
network's preprocessing buffers (training-split medians, means and scales) are never taken from
a checkpoint, since they belong to this study's data. With ``freeze`` the loaded layers stay
fixed and only the rest (usually the new output layer) is trained; without it every layer is
fine-tuned from its loaded start. Nothing is downloaded: the path is a file on this machine.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.model import Study

SAFETENSORS_SUFFIXES = (".safetensors",)
OWN_STATISTICS = "preprocessing statistics come from this study's training split"


@dataclass
class TransferReport:
    checkpoint: str
    loaded: list = field(default_factory=list)  # parameter names taken from the checkpoint
    skipped: list = field(default_factory=list)  # [{name, reason}]: checkpoint tensors not used
    fresh: list = field(default_factory=list)  # network parameters the checkpoint did not provide
    frozen: list = field(default_factory=list)  # loaded parameters kept fixed while training
    n_loaded_values: int = 0

    def text(self) -> str:
        if not self.loaded:
            return (
                f"No layer of {Path(self.checkpoint).name} matches this network by name and shape; "
                "it trains from a fresh start."
            )
        words = (
            f"Loaded {len(self.loaded)} tensor(s) ({self.n_loaded_values:,} values) from "
            f"{Path(self.checkpoint).name}: {', '.join(self.loaded[:8])}"
            f"{' …' if len(self.loaded) > 8 else ''}."
        )
        if self.skipped:
            more = "; …" if len(self.skipped) > 5 else ""
            words += (
                f" Skipped {len(self.skipped)}: "
                + "; ".join(f"{s['name']} ({s['reason']})" for s in self.skipped[:5])
                + more
                + "."
            )
        if self.fresh:
            words += f" Fresh start for {', '.join(self.fresh[:5])}{' …' if len(self.fresh) > 5 else ''}."
        words += (
            " The loaded layers are frozen; the others are trained." if self.frozen else " Every layer is fine-tuned."
        )
        return words

    def to_dict(self) -> dict:
        return {**asdict(self), "text": self.text()}


def read_checkpoint(path) -> dict:
    """The tensors of a local checkpoint, by name, on the CPU."""
    # torch: imported lazily, a heavy library
    import torch

    path = Path(path).expanduser()
    if not path.is_file():
        raise TenfoldError(f"The checkpoint {path} does not exist. Choose a .safetensors or .pt file on this computer.")
    if path.suffix.lower() in SAFETENSORS_SUFFIXES:
        from safetensors import SafetensorError  # safetensors: imported lazily, only when this runs
        from safetensors.torch import load_file  # safetensors: imported lazily, only when this runs

        try:
            return dict(load_file(str(path)))
        except (SafetensorError, OSError, ValueError) as exc:
            raise TenfoldError(f"{path.name} is not a readable safetensors file ({exc}).") from None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)  # never unpickle arbitrary objects
    except Exception as exc:  # an arbitrary pickle is refused here, and so is a broken file
        raise TenfoldError(
            f"{path.name} cannot be read as a plain torch state dict ({type(exc).__name__}). Tenfold "
            "loads only tensors (weights_only=True); save the weights with "
            "torch.save(model.state_dict(), path) or as safetensors."
        ) from None
    if isinstance(state, dict) and isinstance(state.get("model"), dict):
        state = state["model"]  # a Tenfold training checkpoint keeps the weights under "model"
    elif isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]  # a PyTorch Lightning checkpoint
    if not isinstance(state, dict):
        raise TenfoldError(f"{path.name} holds no state dict of named tensors.")
    tensors = {str(k): v for k, v in state.items() if isinstance(v, torch.Tensor)}
    if not tensors:
        raise TenfoldError(f"{path.name} holds no tensors.")
    return tensors


def transfer_weights(model, state: dict, *, freeze: bool = False, checkpoint: str = "") -> TransferReport:
    """Copy the tensors of ``state`` whose name and shape match a parameter of ``model``."""
    # torch: imported lazily, a heavy library
    import torch

    params = dict(model.named_parameters())
    buffers = {name for name, _ in model.named_buffers()}
    report = TransferReport(checkpoint=str(checkpoint))
    with torch.no_grad():
        for name, tensor in state.items():
            if name in buffers:
                report.skipped.append({"name": name, "reason": OWN_STATISTICS})
            elif name not in params:
                report.skipped.append({"name": name, "reason": "no layer of that name here"})
            elif tuple(tensor.shape) != tuple(params[name].shape):
                report.skipped.append(
                    {"name": name, "reason": f"shape {tuple(tensor.shape)} there, {tuple(params[name].shape)} here"}
                )
            else:
                params[name].copy_(tensor.to(params[name].dtype))
                report.loaded.append(name)
                report.n_loaded_values += int(tensor.numel())
    loaded = set(report.loaded)
    report.loaded = [n for n in params if n in loaded]  # in the network's own layer order
    report.fresh = [n for n in params if n not in loaded]
    if freeze:
        for name in report.loaded:
            params[name].requires_grad_(False)
        report.frozen = list(report.loaded)
    return report


def apply_pretrained(study: Study, model) -> TransferReport:
    """Start ``model`` from the study's checkpoint (``architecture.pretrained``), if it has one."""
    a = study.architecture
    return transfer_weights(model, read_checkpoint(a.pretrained), freeze=a.freeze, checkpoint=a.pretrained)
