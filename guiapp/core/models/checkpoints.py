"""The training engine's one checkpoint writer: every epoch's checkpoint and new best weights.

Checkpoints are written on a writer thread, so the next epoch starts while the disk works. A
write goes to a temporary file that is then renamed: a crash leaves the previous checkpoint.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from guiapp.core.models.network import save_weights

CHECKPOINT = "checkpoints/last.pt"
BEST_WEIGHTS = "checkpoints/best.safetensors"


def save_checkpoint(path: Path, state: dict) -> None:
    """torch.save to a temp file, then rename: a crash leaves the previous checkpoint."""
    import torch  # torch: imported lazily so the window opens fast

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def host_copy(obj, into=None):
    """A copy of a (nested) state dict with every tensor on the CPU, safe from training.

    ``into``, an earlier copy of the same structure, is reused tensor by tensor: copying into
    memory already allocated costs a tenth of fresh allocations every epoch.
    """
    import torch  # torch: imported lazily so the window opens fast

    if isinstance(obj, torch.Tensor):
        if isinstance(into, torch.Tensor) and into.shape == obj.shape and into.dtype == obj.dtype:
            return into.copy_(obj.detach())
        return obj.detach().to("cpu", copy=True)
    if isinstance(obj, dict):
        into = into if isinstance(into, dict) else {}
        return {k: host_copy(v, into.get(k)) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        into = into if isinstance(into, type(obj)) and len(into) == len(obj) else [None] * len(obj)
        return type(obj)(host_copy(v, w) for v, w in zip(obj, into, strict=False))
    return obj


def write_epoch(ckpt_path: Path, state: dict, best_path: Path, best_weights) -> None:
    """The writer thread's job: new best weights first, then the checkpoint that names them."""
    if best_weights is not None:
        save_weights(best_weights, best_path)
    save_checkpoint(ckpt_path, state)


def finish_quietly(finish: Callable[[], None]) -> None:
    """Wait for checkpoint writes while another error is already on its way to the user."""
    try:
        finish()
    except Exception:  # noqa: BLE001 - the error in flight is the one to report
        pass


class CheckpointWriter:
    """Hands each epoch's checkpoint (and new best weights) to a writer thread: copies now, disk later.

    One write is in flight at most, so every epoch's checkpoint reaches the disk in order and a
    failed write surfaces at the next epoch. ``active=False`` (a data-parallel rank other than 0)
    writes nothing.
    """

    def __init__(self, ckpt_path: Path, best_path: Path, active: bool = True) -> None:
        self.ckpt_path, self.best_path = ckpt_path, best_path
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tenfold-checkpoint") if active else None
        self._in_flight: Future | None = None
        # Two host copies take turns: one may be on its way to the disk while the other is filled.
        self._copies: list = [None, None]

    def write(self, epoch: int, state: dict, improved: bool) -> None:
        """Copy ``state`` to the host and queue it; the model's weights also as the best, if ``improved``."""
        if self._pool is None:
            return
        slot = epoch % 2
        self._copies[slot] = copy = host_copy(state, self._copies[slot])
        self.finish()  # the write of the other copy; this one's last write ended an epoch ago
        best_weights = copy["model"] if improved else None  # the same copy, written twice
        self._in_flight = self._pool.submit(write_epoch, self.ckpt_path, copy, self.best_path, best_weights)

    def finish(self) -> None:
        """Wait for the write in flight; its error, if it failed."""
        if self._in_flight is not None:
            done, self._in_flight = self._in_flight, None
            done.result()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
