"""opacus around Tenfold's networks: layers swapped for DP-ready ones, the privacy engine made
with the target ε, and what DP-SGD's optimizer and accountant need from the training engine.
"""

from __future__ import annotations

import copy
import warnings
from importlib import metadata

from guiapp.core.study.errors import TenfoldError

ACCOUNTANT = "rdp"  # Rényi DP (Mironov 2017), opacus's long-standing default


def fix_for_dp(model):
    """A copy of ``model`` with the layers opacus can swap for DP-ready ones swapped (BatchNorm →
    GroupNorm and the like), by opacus's own fixers; layers it cannot fix are left as they are.

    opacus's ``ModuleValidator.fix`` copies the network through ``torch.save``, which cannot copy
    the preprocessing layers Tenfold builds inside its networks; a deep copy does the same job.
    """

    # opacus: imported lazily, a heavy library
    from opacus.utils.module_utils import trainable_modules
    from opacus.validators import ModuleValidator

    model = copy.deepcopy(model)
    for name, layer in [(n, m) for n, m in trainable_modules(model)]:
        fixer = ModuleValidator.FIXERS.get(type(layer))
        if fixer is None:
            continue
        new = fixer(layer).to(next(layer.parameters()).device)
        if not name:
            return new
        parent_name, _, child = name.rpartition(".")
        setattr(model.get_submodule(parent_name) if parent_name else model, child, new)
    return model


def empty_grad_samples(model) -> None:
    """Per-sample gradients of an empty batch (none), so opacus's optimizer can take its step."""
    # torch: imported lazily, a heavy library
    import torch

    for p in model.parameters():
        if p.requires_grad:
            p.grad_sample = torch.zeros((0, *p.shape), dtype=p.dtype, device=p.device)


def counted_steps(engine) -> int:
    """How many noisy steps the accountant has been told of."""
    return int(sum(entry[-1] for entry in engine.accountant.history))


def make_private(model, optimizer, loader, target_epsilon: float, delta: float, epochs: int, max_grad_norm: float):
    """opacus's privacy engine around the model, the optimizer and the loader (Poisson batches)."""
    # opacus: imported lazily, an optional heavy library
    from opacus import PrivacyEngine
    from opacus.validators.errors import UnsupportedModuleError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # opacus warns about secure RNG and full backward hooks
        privacy = PrivacyEngine(accountant=ACCOUNTANT)
        try:
            model, optimizer, loader = privacy.make_private_with_epsilon(
                module=model,
                optimizer=optimizer,
                data_loader=loader,
                target_epsilon=target_epsilon,
                target_delta=delta,
                epochs=epochs,
                max_grad_norm=max_grad_norm,
            )
        except (UnsupportedModuleError, NotImplementedError) as exc:
            raise TenfoldError(
                f"Differential-privacy training cannot handle a layer of this network "
                f"({str(exc).splitlines()[0][:200]}). Choose an MLP or CNN on the "
                "Architecture page, train it, and retrain that with differential "
                "privacy."
            ) from None
    return privacy, model, optimizer, loader


def opacus_version() -> str:

    try:
        return metadata.version("opacus")
    except metadata.PackageNotFoundError:
        return "unknown"
