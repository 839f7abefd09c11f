"""Training the network (Tips 3 and 6): one seed, deterministic algorithms, early stopping,
a checkpoint every epoch, cancel within one batch, and resume after a crash.

The loop knows nothing about Qt: it reports through ``progress`` and ``on_epoch``
callbacks and stops when ``should_stop()`` says so.
"""

from __future__ import annotations

import math
import os
import random
import time
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from guiapp.core.errors import Cancelled, TenfoldError
from guiapp.core.findings import Findings
from guiapp.core.tasks import ProgressFn, StopFn, no_progress

CHECKPOINT = "checkpoints/last.pt"
BEST_WEIGHTS = "checkpoints/best.safetensors"
EpochFn = Callable[[dict], None]


def seed_everything(seed: int, deterministic: bool = True) -> None:
    """One seed for Python, NumPy and torch; deterministic algorithms when asked (Tip 3)."""
    import torch

    if deterministic:
        # cuBLAS needs this set before its first use to be deterministic.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(deterministic, warn_only=False)
    torch.backends.cudnn.benchmark = not deterministic
    torch.backends.cudnn.deterministic = deterministic


def pick_device(requested: str = "auto") -> str:
    """CUDA, then Apple MPS, then CPU; an explicit choice that is missing is an error."""
    import torch

    has = {"cuda": torch.cuda.is_available(),
           "mps": getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available(),
           "cpu": True}
    if requested in (None, "", "auto"):
        return next(d for d in ("cuda", "mps", "cpu") if has[d])
    if requested not in has:
        raise TenfoldError(f"Unknown device {requested!r}: choose auto, cuda, mps or cpu.")
    if not has[requested]:
        raise TenfoldError(f"This computer has no usable {requested.upper()} device; choose 'auto' or 'cpu'.")
    return requested


def _loss_fn(study):
    from torch import nn

    return nn.CrossEntropyLoss() if study.is_classification else nn.MSELoss()


def _target(study, y, device):
    import torch

    if study.is_classification:
        return torch.as_tensor(y, dtype=torch.long, device=device)
    return torch.as_tensor(y, dtype=torch.float32, device=device).unsqueeze(1)


def _save_checkpoint(path: Path, state: dict) -> None:
    """torch.save to a temp file, then rename: a crash leaves the previous checkpoint."""
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def train_network(study, progress: ProgressFn = no_progress, should_stop: Optional[StopFn] = None,
                  on_epoch: Optional[EpochFn] = None, resume: bool = True) -> dict:
    """Train the study's network on the training split, choosing epochs on the tune split.

    Returns a summary dict. A cancel keeps the best weights so far and marks the run
    ``cancelled``; a later call with ``resume=True`` continues from the last checkpoint.
    """
    import torch

    from guiapp.core.metrics import score
    from guiapp.core.network import model_for_study, save_weights
    from guiapp.core.split import train_tune_arrays

    t = study.train
    if study.folder is None:
        raise TenfoldError("Save the study in a folder before training: checkpoints go there.")
    X_tr, y_tr, X_tu, y_tu = train_tune_arrays(study)
    device = pick_device(t.device)
    seed_everything(t.seed, t.deterministic)
    model = model_for_study(study, X_tr).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=t.learning_rate, weight_decay=t.weight_decay)
    ckpt_path = study.path(CHECKPOINT)
    start_epoch, history, best = 0, [], (math.inf, None)
    generator = torch.Generator().manual_seed(t.seed)
    if resume and ckpt_path.exists() and t.status in ("running", "cancelled", "failed"):
        state = torch.load(ckpt_path, map_location=device, weights_only=False)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        generator.set_state(state["generator"])
        torch.set_rng_state(state["torch_rng"])
        start_epoch, history = state["epoch"], state["history"]
        best = (state["best_loss"], state["best_epoch"])
        progress(start_epoch / t.max_epochs, f"Resuming after epoch {start_epoch}")
    elif ckpt_path.exists():
        ckpt_path.unlink()

    # The data fit on the device: move them once and batch by index.
    Xtr, Xtu = (torch.as_tensor(a, device=device) for a in (X_tr, X_tu))
    ytr, ytu = _target(study, y_tr, device), _target(study, y_tu, device)
    loss_fn = _loss_fn(study)
    metric = study.primary_metric
    n = len(Xtr)
    t.status, t.device_used, t.message = "running", device, ""
    study.set_findings("train", [] if t.deterministic else [Findings.nondeterministic.raise_()])
    study.save()
    started = time.perf_counter() - t.seconds if start_epoch else time.perf_counter()
    since_best = (start_epoch - best[1]) if best[1] else 0
    epoch = start_epoch
    try:
        for epoch in range(start_epoch + 1, t.max_epochs + 1):
            model.train()
            order = torch.randperm(n, generator=generator).to(device)
            total = 0.0
            for i in range(0, n, t.batch_size):
                if should_stop is not None and should_stop():
                    raise Cancelled()
                idx = order[i:i + t.batch_size]
                optimizer.zero_grad(set_to_none=True)
                loss = loss_fn(model(Xtr[idx]), ytr[idx])
                loss.backward()
                optimizer.step()
                total += float(loss.detach()) * len(idx)
            train_loss = total / n
            model.eval()
            with torch.no_grad():
                tune_out = model(Xtu)
                tune_loss = float(loss_fn(tune_out, ytu))
                tune_pred = torch.softmax(tune_out, dim=1) if study.is_classification else tune_out.squeeze(1)
            # The last step of an epoch can diverge with a finite training loss: check both.
            if not (math.isfinite(train_loss) and math.isfinite(tune_loss)):
                which, value = ("training", train_loss) if not math.isfinite(train_loss) else ("tune", tune_loss)
                raise TenfoldError(
                    f"The {which} loss became {value} at epoch {epoch}: the network "
                    f"diverged. Lower the learning rate (now {t.learning_rate:g}) and train again."
                )
            tune_score = score(metric, y_tu, tune_pred.float().cpu().numpy())
            elapsed = time.perf_counter() - started
            per_epoch = elapsed / (epoch - start_epoch) if epoch > start_epoch else 0.0
            record = {"epoch": epoch, "train_loss": train_loss, "tune_loss": tune_loss,
                      f"tune_{metric}": tune_score, "seconds": round(elapsed, 3),
                      "eta_seconds": round(per_epoch * (t.max_epochs - epoch), 1),
                      "samples_per_second": round(n * (epoch - start_epoch) / max(elapsed, 1e-9), 1),
                      "learning_rate": optimizer.param_groups[0]["lr"]}
            history.append(record)
            if tune_loss < best[0]:
                best, since_best = (tune_loss, epoch), 0
                save_weights(model, study.path(BEST_WEIGHTS))
            else:
                since_best += 1
            t.history, t.best_epoch, t.seconds = history, best[1], round(elapsed, 3)
            t.weights = BEST_WEIGHTS
            _save_checkpoint(ckpt_path, {
                "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "generator": generator.get_state(), "torch_rng": torch.get_rng_state(),
                "epoch": epoch, "history": history, "best_loss": best[0], "best_epoch": best[1]})
            # study.json is written at start and end only: the checkpoint carries the history,
            # so a killed run loses at most the epoch in flight and stays cheap per epoch.
            if on_epoch is not None:
                on_epoch(record)
            progress(epoch / t.max_epochs,
                     f"Epoch {epoch}/{t.max_epochs} · tune loss {tune_loss:.4f} · about {_eta(record['eta_seconds'])} left")
            if since_best >= t.patience:
                t.message = f"Stopped early at epoch {epoch}: the tune loss had not improved for {t.patience} epochs."
                break
    except Cancelled:
        t.status = "cancelled"
        t.message = f"Cancelled during epoch {epoch}; the best weights so far (epoch {best[1]}) are kept."
        if best[1]:
            study.add_finding(Findings.training_cancelled.raise_(epoch=epoch - 1, max_epochs=t.max_epochs))
        study.save()
        raise
    except BaseException:
        t.status = "failed"
        study.save()
        raise
    t.status = "done"
    if not t.message:
        t.message = f"Trained {epoch} epochs; best tune loss at epoch {best[1]}."
    study.save()
    return {"epochs": epoch, "best_epoch": best[1], "device": device, "seconds": t.seconds}


def _eta(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min"
