"""Retraining the network with differential privacy (DP-SGD, opacus) for a target ε (Tip 10).

DP-SGD clips each sample's gradient and adds Gaussian noise, so no single training record can
change the weights much: whoever holds the weights learns little about any one person, with a
guarantee measured by (ε, δ). opacus calibrates the noise for the target ε over a fixed number
of epochs with Poisson-sampled batches, and its accountant reports the ε actually spent.

The DP network is stored apart from the ordinary one (``checkpoints/dp.safetensors``); the
sharing policy may let it leave with the export when the ordinary weights may not. Its utility
cost is measured on the tune split against the non-private network; the sealed test set is
never read here.
"""

from __future__ import annotations

import math
import time
import warnings

import numpy as np

from guiapp.core.evaluation.common import require_trained
from guiapp.core.models import engine
from guiapp.core.models.catalogue import NAMES
from guiapp.core.models.devices import pick_device, seed_everything
from guiapp.core.models.network import model_for_study, predict, save_weights
from guiapp.core.privacy.dp_opacus import (
    ACCOUNTANT,
    counted_steps,
    empty_grad_samples,
    fix_for_dp,
    make_private,
    opacus_version,
)
from guiapp.core.split.draw import train_tune_arrays
from guiapp.core.stats.metrics import HIGHER_IS_BETTER, score
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.findings import Findings
from guiapp.core.study.model import Study, now_iso
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext

# fix_for_dp and ACCOUNTANT are read from here by the bundle reader and the tests.
__all__ = [
    "ACCOUNTANT",
    "DEFAULT_EPOCHS",
    "DEFAULT_MAX_GRAD_NORM",
    "DP_WEIGHTS",
    "UNFIT_KINDS",
    "default_delta",
    "dp_summary",
    "fix_for_dp",
    "load_dp_model",
    "refuse_unfit_architecture",
    "train_with_dp",
]

DP_WEIGHTS = "checkpoints/dp.safetensors"
DEFAULT_EPOCHS = 30
DEFAULT_MAX_GRAD_NORM = 1.0


def default_delta(n: int) -> float:
    """δ well below 1/n: the chance that the guarantee fails must be far below one record in n."""
    if n < 1:
        raise TenfoldError("Differential privacy needs training samples.")
    return float(min(1e-5, 0.1 / n))


# Architectures DP-SGD cannot train here: opacus has no per-sample gradient rule for their layers.
UNFIT_KINDS = ("transformer",)


def refuse_unfit_architecture(study: Study, model=None) -> None:
    """Refuse, before any training, a network whose layers DP-SGD cannot train, saying what to do.

    `tenfold run` asks this right after the Architecture step, so a spec that asks for both is
    refused in seconds rather than after the whole training.
    """
    kind = study.architecture.kind
    attention = False
    if model is not None:
        from torch import nn  # torch: imported lazily so the window opens fast

        attention = any(isinstance(m, nn.MultiheadAttention) for m in model.modules())
    if kind in UNFIT_KINDS or attention:
        fits = "the 1D CNN" if study.data.modality == "sequence" else "a CNN or an MLP"
        raise TenfoldError(
            f"Differential-privacy training cannot train the {NAMES.get(kind, kind)}: opacus clips and "
            "noises each sample's gradient layer by layer, and it has no such rule for the transformer's "
            "attention layers and learned positions (its own replacement attention does not fit "
            f"PyTorch's encoder layers). To share a model trained with differential privacy, choose {fits} "
            'on the Architecture page ([model] architecture = "cnn1d" in a study spec), train it, then '
            "retrain it with differential privacy. Or keep this network without differential privacy (in a "
            "study spec, leave [privacy] dp_epsilon out): its weights then follow the sharing policy."
        )


def _dp_model(study: Study, X_tr, y_tr):
    """The study's network, made fit for DP-SGD: layers opacus cannot handle are replaced."""
    from opacus.validators import ModuleValidator  # opacus: imported lazily, an optional heavy library

    model = model_for_study(study, X_tr, y_tr)
    refuse_unfit_architecture(study, model)
    problems = ModuleValidator.validate(model, strict=False)
    fixed = sorted({type(p).__name__ + ": " + str(p) for p in problems})
    if problems:
        # fix_for_dp swaps BatchNorm for GroupNorm and the like; an MLP or a CNN of Tenfold's needs none of it.
        model = fix_for_dp(model)
        remaining = ModuleValidator.validate(model, strict=False)
        if remaining:
            raise TenfoldError(
                "This network has layers differential-privacy training cannot handle ("
                + "; ".join(str(r).splitlines()[0][:200] for r in remaining)
                + "). Choose a smaller MLP or CNN on the Architecture page, train it, "
                "and retrain that with differential privacy."
            )
    return model, fixed


def train_with_dp(
    study: Study,
    target_epsilon: float,
    *,
    delta: float | None = None,
    epochs: int | None = None,
    max_grad_norm: float = DEFAULT_MAX_GRAD_NORM,
    ctx: TaskContext = NO_CONTEXT,
) -> dict:
    """Train the study's architecture with DP-SGD for ``target_epsilon``; record ε, δ and the cost.

    Training runs exactly ``epochs`` epochs (default 30): the noise is calibrated for that
    many steps, so stopping early would only spend less ε. A cancel keeps nothing.
    """
    _check_opacus()
    _check_epsilon(target_epsilon)
    require_trained(study)  # the utility cost is measured against the trained network
    if study.folder is None:
        raise TenfoldError("Save the study in a folder first: the DP weights are stored there.")
    X_tr, y_tr, X_tu, y_tu = train_tune_arrays(study)
    n = len(y_tr)
    delta = _check_delta(delta, n)
    epochs = int(epochs or DEFAULT_EPOCHS)
    if epochs < 1:
        raise TenfoldError("Differential-privacy training needs at least one epoch.")
    run = _train_private(study, X_tr, y_tr, float(target_epsilon), delta, epochs, max_grad_norm, ctx=ctx)
    record = {
        "target_epsilon": float(target_epsilon),
        "epsilon": run["epsilon"],
        "delta": delta,
        "accountant": ACCOUNTANT,
        "noise_multiplier": run["noise"],
        "max_grad_norm": float(max_grad_norm),
        "epochs": epochs,
        "batch_size": int(min(study.train.batch_size, n)),
        "sample_rate": run["sample_rate"],
        "steps": run["steps"],
        "empty_batches": run["empty"],
        "steps_counted": run["steps_counted"],
        "n_train": int(n),
        "optimizer": "Adam",
        "learning_rate": study.train.learning_rate,
    }
    _record(study, record, run, X_tu, y_tu)
    epsilon = run["epsilon"]
    ctx.report(1.0, f"Trained with differential privacy: ε = {epsilon:.2f}, δ = {delta:.1g}")
    return study.ethics.dp


def _check_opacus() -> None:
    """A TenfoldError that says how to install opacus, when it is missing."""
    try:
        import opacus  # noqa: F401 - opacus: imported lazily, an optional heavy library
    except ImportError:
        raise TenfoldError(
            "Differential-privacy training needs the opacus package, which this "
            "installation lacks: install it with 'pip install opacus'."
        ) from None


def _check_epsilon(target_epsilon) -> None:
    if not (isinstance(target_epsilon, (int, float)) and math.isfinite(target_epsilon) and target_epsilon > 0):
        raise TenfoldError(
            f"The target ε must be a positive number, not {target_epsilon!r}; "
            "1 to 10 is usual (smaller is more private)."
        )


def _check_delta(delta: float | None, n: int) -> float:
    """δ as asked, or the default for ``n`` training samples; refused unless 0 < δ < 1/n."""
    delta = default_delta(n) if delta is None else float(delta)
    if not 0 < delta < 1 / n:
        raise TenfoldError(
            f"δ must be above 0 and below 1/n = {1 / n:.2g} (n = {n} training samples); "
            f"{delta:g} is not. Leave it empty for {default_delta(n):.1g}."
        )
    return delta


def _train_private(
    study: Study, X_tr, y_tr, target_epsilon, delta, epochs, max_grad_norm, *, ctx: TaskContext = NO_CONTEXT
):
    """DP-SGD through the training engine: opacus's optimizer steps, its accountant counts."""
    import torch  # torch: imported lazily so the window opens fast

    t = study.train
    n = len(y_tr)
    device = pick_device(t.device)
    if device == "mps":
        device = "cpu"  # opacus's per-sample gradients are not supported on Apple's MPS
    seed_everything(t.seed, t.deterministic)
    model, fixed = _dp_model(study, X_tr, y_tr)
    model = model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=t.learning_rate)
    generator = torch.Generator().manual_seed(t.seed)
    dataset = torch.utils.data.TensorDataset(torch.as_tensor(X_tr), engine.targets(study, np.asarray(y_tr)))
    loader = torch.utils.data.DataLoader(dataset, batch_size=min(t.batch_size, n), generator=generator)
    privacy, model, optimizer, loader = make_private(
        model, optimizer, loader, target_epsilon, delta, epochs, max_grad_norm
    )
    noise = float(optimizer.noise_multiplier)
    # Poisson sampling can draw an empty batch. It is still a step of DP-SGD: the optimizer adds
    # noise to a zero gradient and the accountant counts the step, or the ε reported would be
    # below the ε spent.
    trainer = engine.Engine(model, optimizer, engine.loss_fn(study), on_empty_batch=lambda: empty_grad_samples(model))

    def batches(epoch: int):
        for xb, yb in loader:
            yield (xb, yb, 0.0) if len(xb) == 0 else (xb.to(device), yb.to(device), float(len(xb)))

    def end_epoch(epoch: int, total) -> bool:
        # No ε per epoch: the RDP accountant takes a good fraction of a second per reading.
        ctx.report(
            epoch / epochs,
            f"DP-SGD epoch {epoch}/{epochs} (target ε {target_epsilon:g}, noise multiplier {noise:.2f})",
        )
        return False  # the noise is calibrated for all the epochs: no early stop

    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer.fit(range(1, epochs + 1), batches, end_epoch, before_batch=ctx.check)
    epsilon = float(privacy.get_epsilon(delta))
    return {
        "model": model._module.to("cpu").eval(),  # the module inside opacus's wrapper
        "fixed": fixed,
        "started": started,
        "epsilon": epsilon,
        "noise": noise,
        "sample_rate": float(loader.sample_rate),
        "steps": trainer.steps,
        "empty": trainer.empty_steps,
        "steps_counted": counted_steps(privacy),
    }


def _record(study: Study, record: dict, run: dict, X_tu, y_tu) -> None:
    """Save the DP weights; record ε, δ and the utility cost on the tune split, and its finding."""
    import torch  # torch: imported lazily so the window opens fast

    plain = run["model"]
    if not all(torch.isfinite(p).all() for p in plain.parameters()):
        raise TenfoldError(
            "Differential-privacy training diverged (the weights are not finite). "
            "Lower the learning rate or raise ε, and try again."
        )
    save_weights(plain, study.path(DP_WEIGHTS))
    metric = study.primary_metric
    private = score(metric, y_tu, predict(study, X_tu, plain))
    non_private = score(metric, y_tu, predict(study, X_tu))
    sign = 1 if HIGHER_IS_BETTER[metric] else -1
    cost = sign * (non_private - private)
    # Every run is kept, so the report can plot utility against ε across the user's tries.
    earlier = study.ethics.dp or {}
    history = list(earlier.get("history") or ([_run(earlier)] if earlier.get("weights") else []))
    study.ethics.dp = {
        **record,
        "metric": metric,
        "dp_tune": private,
        "non_private_tune": non_private,
        "utility_cost": cost,
        "fixed_layers": run["fixed"],
        "weights": DP_WEIGHTS,
        "seconds": round(time.perf_counter() - run["started"], 2),
        "trained_at": now_iso(),
        "library": f"opacus {opacus_version()}",
    }
    study.ethics.dp["history"] = history + [_run(study.ethics.dp)]
    epsilon = record["epsilon"]
    others = [f for f in study.findings if f.step == "ethics" and f.code != Findings.dp_utility_cost.code]
    study.set_findings(
        "ethics",
        others
        + [
            Findings.dp_utility_cost.raise_(
                epsilon=epsilon, cost=cost, metric=metric, private=private, non_private=non_private
            )
        ],
    )
    study.save()


def _run(dp: dict) -> dict:
    """One DP run in the history: its ε and what it cost."""
    return {
        k: dp.get(k)
        for k in (
            "target_epsilon",
            "epsilon",
            "delta",
            "epochs",
            "metric",
            "dp_tune",
            "non_private_tune",
            "utility_cost",
            "trained_at",
        )
    }


def load_dp_model(study: Study):
    """The DP network from the study folder, on the CPU, in eval mode (safetensors: no pickle)."""
    from safetensors.torch import load_file  # safetensors pulls torch: imported lazily

    dp = study.ethics.dp or {}
    if not dp.get("weights"):
        raise TenfoldError("No network was trained with differential privacy yet: do it on the Ethics & privacy page.")
    model = model_for_study(study)
    if dp.get("fixed_layers"):
        model = fix_for_dp(model)
    model.load_state_dict(load_file(str(study.path(dp["weights"]))))
    return model.eval()


def dp_summary(study: Study) -> str:
    """The DP record in one sentence, or why there is none."""
    dp = study.ethics.dp or {}
    if not dp.get("weights"):
        return "The network was not trained with differential privacy."
    return (
        f"A copy of the network was trained with differential privacy (DP-SGD, opacus): "
        f"ε = {dp['epsilon']:.2f} (target {dp['target_epsilon']:g}), δ = {dp['delta']:.1g}, "
        f"{dp['accountant'].upper()} accountant, noise multiplier {dp['noise_multiplier']:.2f}, "
        f"gradients clipped at {dp['max_grad_norm']:g}, {dp['epochs']} epochs. On the tune split it "
        f"scores {dp['dp_tune']:.3f} {dp['metric']} against {dp['non_private_tune']:.3f} without "
        f"DP (utility cost {dp['utility_cost']:.3f})."
    )
