"""One rank of a data-parallel training: what it does differently from a single process.

The training engine (:func:`guiapp.core.models.train_run.run_training`) calls these hooks: the
model under DistributedDataParallel, this rank's part of every batch with its loss weighted, the
all-reduce of the epoch's loss, rank 0's tune loss on every rank, and stop and pause agreed by all.
"""

from __future__ import annotations

import inspect
from typing import Any

RUN, PAUSE, STOP = 0, 1, 2


class Rank:
    """What one process of a data-parallel training does differently from a single process."""

    def __init__(self, rank: int, world: int, device: str, arrays, control, cpu_group=None):
        self.rank, self.world, self.device, self.arrays = rank, world, device, arrays
        self._control, self._group, self._flag = control, cpu_group, RUN
        self._weight, self.rows_per_loss = 1.0, 1.0

    def wrap(self, model):
        """The model under DistributedDataParallel: it starts from rank 0's weights, and every
        backward pass averages the gradients over the ranks."""

        # torch: imported lazily, a heavy library
        from torch.nn.parallel import DistributedDataParallel

        ids = [self.rank] if self.device == "cuda" else None
        # The buffers hold the training split's statistics, the same on every rank: no need to
        # send them before every forward pass (the keyword's name changed in torch 2.x).
        quiet: dict[str, Any] = (
            {"forward_sync_buffers": False}
            if "forward_sync_buffers" in inspect.signature(DistributedDataParallel).parameters
            else {"broadcast_buffers": False}
        )
        return DistributedDataParallel(model, device_ids=ids, **quiet)

    def part(self, idx):
        """This rank's part of one global batch of indices (parts differ by one row at most).

        DistributedDataParallel averages the ranks' gradients, so each part's summed loss is
        weighted by N / (rows in the batch): the average is then the whole batch's mean loss
        gradient, as one process computes it, whatever the remainder.
        """
        rows = len(idx)
        self._weight, self.rows_per_loss = self.world / rows, rows / self.world
        return idx.tensor_split(self.world)[self.rank]

    def batch_loss(self, summed_loss):
        return lambda output, target: summed_loss(output, target) * self._weight

    def sum(self, tensor) -> None:
        """Sum a tensor over the ranks, in place (the epoch's training loss)."""
        # torch: imported lazily, a heavy library
        import torch.distributed as dist

        dist.all_reduce(tensor)

    def from_rank0(self, value: float) -> float:
        """Rank 0's value on every rank."""
        # torch: imported lazily, a heavy library
        import torch
        import torch.distributed as dist

        box = torch.tensor([value], dtype=torch.float64)
        dist.broadcast(box, 0, group=self._group)
        return float(box)

    def seed_epoch(self, seed: int, epoch: int) -> None:
        """Dropout draws of its own for each rank and epoch; a function of both, so a resumed
        run draws the same as an uninterrupted one."""
        # torch: imported lazily, a heavy library
        import torch

        torch.manual_seed((seed * 1_000_003 + epoch * 7_919 + self.rank * 104_729) % 2**63)

    def should_stop(self) -> bool:
        """Whether any rank was told to stop; every rank learns the same, at the same batch."""
        # torch: imported lazily, a heavy library
        import torch
        import torch.distributed as dist

        box = torch.tensor([self._control.value], dtype=torch.int32)
        dist.all_reduce(box, op=dist.ReduceOp.MAX, group=self._group)
        self._flag = int(box)
        return self._flag == STOP

    def should_pause(self) -> bool:
        return self._flag == PAUSE  # agreed by the should_stop just before
