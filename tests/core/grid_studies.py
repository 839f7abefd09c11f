"""Tiny image and sequence studies for the core tests: generated FASTA records and PNG images,
trained for two epochs on the CPU with a CNN or the small transformer."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from guiapp.core.data import attach as data
from guiapp.core.models.recommend import set_architecture
from guiapp.core.models.train import train_network
from guiapp.core.split import draw as split
from guiapp.core.study.model import Study

MOTIF, MOTIF_AT, LENGTH = "GATA", 8, 20


def motif_fasta(path: Path, n: int = 60, seed: int = 0, gc_rich: bool = False, motif: bool = True) -> Path:
    """DNA records of ``LENGTH`` letters; every other one ('bound') carries GATA at position 9
    and, with ``gc_rich``, is also rich in G and C (a signal a 2-epoch CNN picks up at once).
    Without ``motif`` (and ``gc_rich``) the labels are noise."""
    rng = np.random.default_rng(seed)
    lines = []
    for i in range(n):
        label = "bound" if i % 2 else "unbound"
        p = [0.1, 0.4, 0.4, 0.1] if gc_rich and label == "bound" else None
        seq = list(rng.choice(list("ACGT"), LENGTH, p=p))
        if label == "bound" and motif:
            seq[MOTIF_AT : MOTIF_AT + len(MOTIF)] = list(MOTIF)
        lines.append(f">s{i} label={label}\n{''.join(seq)}\n")
    path.write_text("".join(lines))
    return path


def image_folder(root: Path, n: int = 16, size=(8, 8), colour: bool = False, seed: int = 0) -> Path:
    """One subfolder per class of PNG images: dark 'healthy' and bright 'tumour' tissue."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    for cls, level in (("healthy", 60), ("tumour", 180)):
        (root / cls).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            shape = tuple(size) + ((3,) if colour else ())
            pixels = np.clip(rng.normal(level, 30, shape), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(root / cls / f"{cls}_{i}.png")
    return root


def trained_grid_study(
    folder: Path,
    kind: str,
    *,
    n: int = 60,
    epochs: int = 2,
    width: int = 8,
    learning_rate: float = 1e-3,
    gc_rich: bool = False,
    motif: bool = True,
) -> Study:
    """A split, trained study of ``kind``: cnn1d and transformer on DNA, cnn2d on 8 × 8 grey images."""
    folder.mkdir(parents=True, exist_ok=True)
    study = Study(folder=folder / "study")
    if kind == "cnn2d":
        path, label, options = image_folder(folder / "images", n=n // 2), "class", {"image_size": 8}
    else:
        path, label, options = motif_fasta(folder / "seqs.fa", n=n, gc_rich=gc_rich, motif=motif), "label", {}
    data.attach_data(study, data.AttachRequest(path, label=label, sensitive=False, options=options))
    split.split_study(study)
    set_architecture(study, width=width, depth=1, dropout=0.0, kind=kind)
    t = study.train
    t.device, t.max_epochs, t.batch_size, t.patience, t.learning_rate = "cpu", epochs, 16, 50, learning_rate
    train_network(study)
    return study
