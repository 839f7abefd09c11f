"""Built-in data for the demo and the tests: nothing is downloaded.

- ``breast_cancer``: the Wisconsin diagnostic breast-cancer table that ships inside
  scikit-learn (569 samples × 30 features, real data).
- ``simulated_expression``: a seed-controlled expression-like table with known ground
  truth (which genes carry the signal) and a planted batch effect of chosen strength.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.model import Study
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext

if TYPE_CHECKING:  # pandas is imported by the functions that use it: the wizard opens without it
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
    group: str = ""  # the column naming the donor, when the data have one


def breast_cancer() -> DemoData:
    from sklearn import __version__ as sk_version  # sklearn: imported lazily, so the window opens fast
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer(as_frame=True)
    table = bunch.frame.copy()
    table["diagnosis"] = np.where(bunch.target == 1, "benign", "malignant")
    table = table.drop(columns=["target"])
    table.insert(0, "sample_id", [f"WDBC-{i:04d}" for i in range(len(table))])
    return DemoData(
        name="breast_cancer",
        table=table,
        label="diagnosis",
        batch="",
        source="Wisconsin Diagnostic Breast Cancer (UCI), as bundled with scikit-learn",
        version=f"scikit-learn {sk_version}",
        description="Is a breast mass malignant or benign, from 30 features of its cell nuclei?",
    )


def simulated_expression(
    n_samples: int = 600,
    n_genes: int = 200,
    n_informative: int = 10,
    n_batches: int = 3,
    batch_strength: float = 1.0,
    effect_size: float = 1.0,
    seed: int = 0,
    *,
    confounding: float = 0.0,
    n_donors: int = 0,
    donor_strength: float = 0.5,
) -> DemoData:
    """Log-scale expression of ``n_genes`` genes in two conditions, with a batch shift.

    Each batch adds its own random offset (scaled by ``batch_strength``) to every gene;
    the first ``n_informative`` genes differ between conditions by ``effect_size`` (the
    signal strength). ``confounding`` (0 … 1) ties batch to condition: that share of the
    samples is moved into a batch of its condition's half of the runs (control in the first
    half, treated in the second), so at 1 every batch holds a single condition.
    ``n_donors`` > 0 adds a ``donor`` column: each donor has one condition, gives several
    samples and adds its own offset (scaled by ``donor_strength``), so samples of one donor
    are not independent. With the defaults the table is the same as before these knobs.
    """
    import pandas as pd  # pandas: imported lazily, so the window opens without it

    rng = np.random.default_rng(seed)
    condition = rng.integers(0, 2, n_samples)
    batch = rng.integers(0, n_batches, n_samples)
    base = rng.normal(6.0, 1.5, n_genes)
    X = base + rng.normal(0, 1.0, (n_samples, n_genes))
    X[:, :n_informative] += effect_size * condition[:, None]
    offsets = rng.normal(0, 1.0, (n_batches, n_genes)) * batch_strength
    # The new knobs draw from their own streams, so the draws above never change.
    if confounding > 0 and n_batches >= 2:
        crng = np.random.default_rng([seed, 1])
        half = n_batches // 2
        moved = crng.random(n_samples) < confounding
        low = crng.integers(0, half, n_samples)
        high = crng.integers(half, n_batches, n_samples)
        batch = np.where(moved, np.where(condition == 0, low, high), batch)
    X += offsets[batch]
    donors = None
    if n_donors > 0:
        drng = np.random.default_rng([seed, 2])
        per_condition = [np.arange(c, n_donors, 2) for c in (0, 1)]
        if not len(per_condition[1]):
            per_condition[1] = per_condition[0]
        donors = np.array([drng.choice(per_condition[c]) for c in condition])
        X += (drng.normal(0, 1.0, (n_donors, n_genes)) * donor_strength)[donors]
    genes = [f"GENE{i:04d}" for i in range(n_genes)]
    table = pd.DataFrame(X.round(4), columns=genes)
    table.insert(0, "sample_id", [f"S{i:05d}" for i in range(n_samples)])
    table["condition"] = np.where(condition == 1, "treated", "control")
    table["batch"] = [f"run{b + 1}" for b in batch]
    if donors is not None:
        table["donor"] = [f"D{d + 1:03d}" for d in donors]
    version = f"seed={seed}, batch_strength={batch_strength}, effect_size={effect_size}"
    if confounding:
        version += f", confounding={confounding}"
    if n_donors:
        version += f", n_donors={n_donors}, donor_strength={donor_strength}"
    return DemoData(
        name="simulated_expression",
        table=table,
        label="condition",
        batch="batch",
        source="Tenfold simulated expression generator",
        version=version,
        description="Does a gene-expression profile separate treated from control samples?",
        informative=tuple(genes[:n_informative]),
        group="donor" if donors is not None else "",
    )


def another_lab(
    n_samples: int = 200,
    *,
    lab_strength: float = 1.5,
    seed: int = 0,
    study_samples: int = 600,
    n_genes: int = 200,
    n_informative: int = 10,
    n_batches: int = 3,
    effect_size: float = 1.0,
) -> DemoData:
    """An external cohort for :func:`simulated_expression` from "another lab": the same genes, the
    same baseline expression and the same treated-vs-control effect, measured with a batch shift
    of its own (``lab_strength``) that none of the study's runs had.

    The study's baseline profile is drawn again exactly as :func:`simulated_expression` (with
    ``study_samples`` and the same seed) draws it; the cohort's own samples come from a separate stream.
    """
    import pandas as pd  # pandas: imported lazily, so the window opens without it

    rng = np.random.default_rng(seed)
    rng.integers(0, 2, study_samples)  # the study's condition and batch draws, replayed to reach its profile
    rng.integers(0, n_batches, study_samples)
    base = rng.normal(6.0, 1.5, n_genes)
    lab = np.random.default_rng([seed, 3])
    condition = lab.integers(0, 2, n_samples)
    X = base + lab.normal(0, 1.0, (n_samples, n_genes))
    X[:, :n_informative] += effect_size * condition[:, None]
    X += lab.normal(0, 1.0, n_genes) * lab_strength  # the other lab's shift, on every gene
    genes = [f"GENE{i:04d}" for i in range(n_genes)]
    table = pd.DataFrame(X.round(4), columns=genes)
    table.insert(0, "sample_id", [f"LB{i:05d}" for i in range(n_samples)])
    table["condition"] = np.where(condition == 1, "treated", "control")
    table["batch"] = "labB"
    return DemoData(
        name="simulated_expression_lab_b",
        table=table,
        label="condition",
        batch="batch",
        source="Tenfold simulated expression generator (another lab)",
        version=f"seed={seed}, lab_strength={lab_strength}, effect_size={effect_size}",
        description="The same biology measured in another lab, with a batch shift of its own.",
        informative=tuple(genes[:n_informative]),
    )


def load_demo(name: str, **kwargs) -> DemoData:
    if name == "breast_cancer":
        return breast_cancer()
    if name == "simulated_expression":
        return simulated_expression(**kwargs)
    raise TenfoldError(f"There is no built-in dataset called {name!r}. Choose one of: {', '.join(DATASETS)}.")


def write_demo(demo: DemoData, folder: Path) -> Path:
    """Write the demo table as a CSV file, so it has a path and a hash like any user file."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{demo.name}.csv"
    demo.table.to_csv(path, index=False)
    return path


def create_demo_study(name: str, folder, *, ctx: TaskContext = NO_CONTEXT, **kwargs):
    """A new study in ``folder`` with the built-in dataset ``name`` written, loaded and described.

    The sensitivity question is left unanswered on purpose: the user declares it (Tip 10).
    """
    # attach brings pandas and the readers at import: the wizard lists the demos without them
    from guiapp.core.data.attach import AttachRequest, attach_data

    demo = load_demo(name, **kwargs)
    study = Study()
    study.question.title = demo.description
    study.question.description = f"Built-in demo dataset: {demo.source} ({demo.version})."
    study.save(folder)
    path = write_demo(demo, Path(folder) / "data")
    if name == "simulated_expression" and not kwargs:  # a cohort from "another lab", for the Evaluate page
        another_lab().table.to_csv(Path(folder) / "data" / "simulated_expression_lab_b.csv", index=False)
    attach_data(
        study,
        AttachRequest(
            path, label=demo.label, batch=demo.batch, group=demo.group, source=demo.source, version=demo.version
        ),
        ctx=ctx,
    )
    study.data.builtin = demo.name
    study.save()
    return study
