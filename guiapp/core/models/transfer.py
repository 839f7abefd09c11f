"""Transfer learning from a local checkpoint (Tip 5): the Architecture step's choice of a
checkpoint to start from, and which layers it fills.

Reading a checkpoint and loading its matching layers is :mod:`guiapp.core.models.checkpoint_transfer`.
Nothing is downloaded: the path is a file on this machine.
"""

from __future__ import annotations

from pathlib import Path

from guiapp.core.models.checkpoint_transfer import (
    OWN_STATISTICS,
    SAFETENSORS_SUFFIXES,
    TransferReport,
    apply_pretrained,
    read_checkpoint,
    transfer_weights,
)
from guiapp.core.models.network import model_for_study
from guiapp.core.models.recommend import refresh_findings
from guiapp.core.study.model import Study

# The checkpoint's names, as the Architecture page and the tests know them.
__all__ = [
    "OWN_STATISTICS",
    "SAFETENSORS_SUFFIXES",
    "TransferReport",
    "apply_pretrained",
    "read_checkpoint",
    "set_pretrained",
    "transfer_weights",
]


def set_pretrained(study: Study, path: str, *, freeze: bool = False) -> dict:
    """Choose a checkpoint to start from (empty path: none), and record which layers it fills."""
    a = study.architecture
    if not str(path).strip():
        a.pretrained, a.freeze, a.transfer = "", False, {}
        refresh_findings(study)
        return {}
    resolved = str(Path(path).expanduser().resolve())
    state = read_checkpoint(resolved)  # a bad file is refused before anything is recorded
    report = transfer_weights(model_for_study(study), state, freeze=freeze, checkpoint=resolved)
    a.pretrained, a.freeze, a.transfer = resolved, bool(freeze), report.to_dict()
    refresh_findings(study)
    return a.transfer
