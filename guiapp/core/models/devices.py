"""Which device trains the network, what it is, and how much memory it has (Tip 3)."""

from __future__ import annotations

import os
import platform
import random
import subprocess
import sys
from typing import Any

import numpy as np

from guiapp.core.study.errors import TenfoldError

DEVICE_CHOICES = ("auto", "cuda", "mps", "cpu")


def available_devices() -> dict:
    # torch: imported lazily, a heavy library
    import torch

    return {
        "cuda": torch.cuda.is_available(),
        "mps": getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available(),
        "cpu": True,
    }


def pick_device(requested: str = "auto") -> str:
    """CUDA, then Apple MPS, then CPU; an explicit choice that is missing is an error."""
    has = available_devices()
    if requested in (None, "", "auto"):
        return next(d for d in ("cuda", "mps", "cpu") if has[d])
    if requested not in has:
        raise TenfoldError(f"Unknown device {requested!r}: choose auto, cuda, mps or cpu.")
    if not has[requested]:
        raise TenfoldError(f"This computer has no usable {requested.upper()} device; choose 'auto' or 'cpu'.")
    return requested


def device_description(device: str) -> dict:
    """Name and memory of a device, for the Train page and the manifest."""
    # torch: imported lazily, a heavy library
    import torch

    if device == "cuda":
        props = torch.cuda.get_device_properties(0)
        return {"name": props.name, "memory_gb": round(props.total_memory / 2**30, 1)}
    if device == "mps":
        return {"name": f"Apple GPU ({platform.machine()})", "memory_gb": None}
    try:
        import psutil  # optional

        mem = round(psutil.virtual_memory().total / 2**30, 1)
    except Exception:
        mem = None
    return {"name": f"CPU ({platform.processor() or platform.machine()}, {os.cpu_count()} cores)", "memory_gb": mem}


def memory_in_use_mb(device: str):
    """Memory the training holds on a GPU right now, or None on the CPU."""
    # torch: imported lazily, a heavy library
    import torch

    if device == "cuda":
        return round(torch.cuda.memory_allocated() / 2**20, 1)
    if device == "mps" and hasattr(torch, "mps"):
        return round(torch.mps.current_allocated_memory() / 2**20, 1)
    return None


def free_memory_bytes(device: str):
    # torch: imported lazily, a heavy library
    import torch

    if device == "cuda":
        return torch.cuda.mem_get_info()[0]
    return None


def seed_everything(seed: int, deterministic: bool = True) -> None:
    """One seed for Python, NumPy and torch; deterministic algorithms when asked (Tip 3)."""
    # torch: imported lazily, a heavy library
    import torch

    if deterministic:
        # cuBLAS needs this set before its first use to be deterministic.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(deterministic)
    torch.backends.cudnn.benchmark = not deterministic
    torch.backends.cudnn.deterministic = deterministic


def runtime_versions() -> dict:
    """Python, torch, CUDA, cuDNN and driver versions for the manifest."""
    info: dict[str, Any] = {"python": sys.version.split()[0], "platform": platform.platform()}
    try:
        # torch: imported lazily, a heavy library
        import torch
    except ImportError:
        return info
    info["torch"] = torch.__version__
    info["cuda"] = torch.version.cuda
    info["cudnn"] = torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None
    if torch.cuda.is_available():
        try:
            info["gpu"] = torch.cuda.get_device_name(0)
            info["driver"] = _nvidia_driver()
        except Exception:
            pass
    return info


def _nvidia_driver():
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=5,
        )
        return out.stdout.strip().splitlines()[0] if out.returncode == 0 else None
    except Exception:
        return None
