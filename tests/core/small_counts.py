"""A pasilla-like study, written at test time: genes × samples integer counts for 7 samples and
a sample sheet whose IDs carry a file suffix ('treated1fb' for the data's 'treated1') and
technical columns (lanes, read counts, exon counts)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SAMPLES = ["untreated1", "untreated2", "untreated3", "untreated4", "treated1", "treated2", "treated3"]


def write_small_counts(folder: Path, n_genes: int = 2000, suffix: str = "fb") -> tuple[Path, Path]:
    rng = np.random.default_rng(0)
    mu = rng.gamma(0.5, 200, size=n_genes)
    counts = rng.poisson(mu[:, None] * np.ones((1, len(SAMPLES))))
    table = pd.DataFrame(counts, columns=SAMPLES)
    table.insert(0, "gene_id", [f"FBgn{i:07d}" for i in range(n_genes)])
    data = Path(folder) / "counts.tsv"
    table.to_csv(data, sep="\t", index=False)
    sheet = pd.DataFrame(
        {
            "file": [s + suffix for s in SAMPLES],
            "condition": ["untreated"] * 4 + ["treated"] * 3,
            "type": [
                "single-read",
                "single-read",
                "paired-end",
                "paired-end",
                "single-read",
                "paired-end",
                "paired-end",
            ],
            "number of lanes": [2, 2, 2, 2, 5, 2, 2],
            "total number of reads": [13102371, 12050123, 11293481, 12543678, 10989712, 9876543, 11234567],
            "exon counts": [15679615, 14891234, 12345678, 13456789, 11234567, 10987654, 12876543],
        }
    )
    path = Path(folder) / "sample_sheet.csv"
    sheet.to_csv(path, index=False)
    return data, path
