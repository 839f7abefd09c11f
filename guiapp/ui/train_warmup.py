"""Off the GUI thread, before the first training: which devices this computer has, and the
imports the live view and the first epoch need (the Train page runs this on first show)."""

from __future__ import annotations

import importlib
import os

from guiapp.core.study.task_context import NO_CONTEXT, TaskContext

DEVICE_NAMES = {
    "auto": "Automatic (GPU if there is one)",
    "cpu": "CPU",
    "cuda": "NVIDIA GPU (CUDA)",
    "mps": "Apple GPU (MPS)",
}


def probe_devices() -> dict:
    """The devices this computer has, with names and memory (imports torch: not on the GUI thread)."""
    from guiapp.core.models import devices

    has = devices.available_devices()
    found = [d for d in ("cuda", "mps", "cpu") if has.get(d)]
    descriptions = {}
    for d in found:
        try:
            descriptions[d] = devices.device_description(d)
        except Exception:  # a driver that answers "available" but not "what": still offer it
            descriptions[d] = {"name": DEVICE_NAMES[d], "memory_gb": None}
    return {"devices": found, "descriptions": descriptions}


def warm_up_training(*, ctx: TaskContext = NO_CONTEXT) -> dict:
    """The Train page's warm-up, on the worker thread when the page first shows.

    Probes the devices, leaves one CPU core to the window, and imports what the live view and
    the first epoch need (pyqtgraph takes half a second, scipy.stats a few tenths): an import on
    the GUI thread, or a long one beside it, would freeze the window while training starts.
    """
    import torch

    # On a small machine torch's threads spin-wait against the GUI thread for the same cores:
    # the window stutters and training itself slows down. Keep one core for the window.
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    torch.set_num_threads(max(1, min(torch.get_num_threads(), cores - 1)))
    found = probe_devices()
    for name in (
        "pyqtgraph",
        "pyqtgraph.exporters",
        "scipy.stats",
        "safetensors.torch",
        "guiapp.core.stats.metrics",
        "guiapp.core.models.network",
        "guiapp.core.split.draw",
    ):
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    return found
