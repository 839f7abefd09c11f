"""The versions a bundle was made with: Python, Tenfold, the libraries, and the GPU runtime."""

from __future__ import annotations

import platform
import sys
from importlib import metadata

from guiapp import __version__
from guiapp.core.models.devices import runtime_versions


def versions() -> dict:
    """The versions of Python, Tenfold and the libraries a bundle was made with."""
    # importlib.metadata instead of importing: torch alone takes seconds to import.
    versions: dict[str, str | None] = {
        "python": sys.version.split()[0],
        "tenfold": __version__,
        "platform": platform.platform(),
        "machine": platform.machine(),
    }
    for name, dist in (
        ("torch", "torch"),
        ("numpy", "numpy"),
        ("pandas", "pandas"),
        ("sklearn", "scikit-learn"),
        ("safetensors", "safetensors"),
    ):
        try:
            versions[name] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[name] = None
    if "torch" in sys.modules:  # already loaded by training: CUDA, cuDNN and driver are worth recording
        versions.update({k: v for k, v in runtime_versions().items() if k in ("cuda", "cudnn", "gpu", "driver")})
    return versions
