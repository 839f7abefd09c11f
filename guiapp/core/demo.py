"""Built-in data for the demo and the tests: nothing is downloaded.

- ``breast_cancer``: the Wisconsin diagnostic breast-cancer table that ships inside
  scikit-learn (569 samples × 30 features, real data).
- ``simulated_expression``: a seed-controlled expression-like table with known ground
  truth (which genes carry the signal) and a planted batch effect of chosen strength.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

DATASETS = ("breast_cancer", "simulated_expression")


@dataclass
class DemoData:
    name: str
    table: pd.DataFrame
    label: str
    batch: str
    source: str
    version: str
    description: str
    informative: tuple = ()


def breast_cancer() -> DemoData:
    from sklearn import __version__ as sk_version
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer(as_frame=True)
    table = bunch.frame.copy()
    table["diagnosis"] = np.where(bunch.target == 1, "benign", "malignant")
    table = table.drop(columns=["target"])
    table.insert(0, "sample_id", [f"WDBC-{i:04d}" for i in range(len(table))])
    return DemoData(
        name="breast_cancer", table=table, label="diagnosis", batch="",
        source="Wisconsin Diagnostic Breast Cancer (UCI), as bundled with scikit-learn",
        version=f"scikit-learn {sk_version}",
        description="Is a breast mass malignant or benign, from 30 features of its cell nuclei?",
    )


def simulated_expression(n_samples: int = 600, n_genes: int = 200, n_informative: int = 10,
                         n_batches: int = 3, batch_strength: float = 1.0,
                         effect_size: float = 1.0, seed: int = 0) -> DemoData:
    """Log-scale expression of ``n_genes`` genes in two conditions, with a batch shift.

    Each batch adds its own random offset (scaled by ``batch_strength``) to every gene;
    the first ``n_informative`` genes differ between conditions by ``effect_size``.
    """
    rng = np.random.default_rng(seed)
    condition = rng.integers(0, 2, n_samples)
    batch = rng.integers(0, n_batches, n_samples)
    base = rng.normal(6.0, 1.5, n_genes)
    X = base + rng.normal(0, 1.0, (n_samples, n_genes))
    X[:, :n_informative] += effect_size * condition[:, None]
    offsets = rng.normal(0, 1.0, (n_batches, n_genes)) * batch_strength
    X += offsets[batch]
    genes = [f"GENE{i:04d}" for i in range(n_genes)]
    table = pd.DataFrame(X.round(4), columns=genes)
    table.insert(0, "sample_id", [f"S{i:05d}" for i in range(n_samples)])
    table["condition"] = np.where(condition == 1, "treated", "control")
    table["batch"] = [f"run{b + 1}" for b in batch]
    return DemoData(
        name="simulated_expression", table=table, label="condition", batch="batch",
        source="Tenfold simulated expression generator",
        version=f"seed={seed}, batch_strength={batch_strength}, effect_size={effect_size}",
        description="Does a gene-expression profile separate treated from control samples?",
        informative=tuple(genes[:n_informative]),
    )


def load_demo(name: str, **kwargs) -> DemoData:
    if name == "breast_cancer":
        return breast_cancer()
    if name == "simulated_expression":
        return simulated_expression(**kwargs)
    from guiapp.core.errors import TenfoldError

    raise TenfoldError(f"There is no built-in dataset called {name!r}. Choose one of: {', '.join(DATASETS)}.")


def write_demo(demo: DemoData, folder: Path) -> Path:
    """Write the demo table as a CSV file, so it has a path and a hash like any user file."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{demo.name}.csv"
    demo.table.to_csv(path, index=False)
    return path


def create_demo_study(name: str, folder, *, progress=None, should_stop=None, **kwargs):
    """A new study in ``folder`` with the built-in dataset ``name`` written, loaded and described.

    The sensitivity question is left unanswered on purpose: the user declares it (Tip 10).
    """
    from guiapp.core.data import attach_data
    from guiapp.core.study import Study
    from guiapp.core.tasks import no_progress

    demo = load_demo(name, **kwargs)
    study = Study()
    study.question.title = demo.description
    study.question.description = f"Built-in demo dataset: {demo.source} ({demo.version})."
    study.save(folder)
    path = write_demo(demo, Path(folder) / "data")
    attach_data(study, path, label=demo.label, batch=demo.batch, source=demo.source,
                version=demo.version, progress=progress or no_progress, should_stop=should_stop)
    study.data.builtin = demo.name
    study.save()
    return study
