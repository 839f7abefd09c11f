"""Small studies for the core tests: generated data, a few hundred rows, two or three epochs."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import numpy as np
import pytest

from guiapp.core.data import attach as data
from guiapp.core.data import demo
from guiapp.core.evaluation.verdict import assess_before_training
from guiapp.core.models.recommend import set_architecture
from guiapp.core.split import draw as split
from guiapp.core.study.model import Study

N_SAMPLES, N_GENES = 200, 20


def _quick_training(study: Study, epochs: int = 3, seed: int = 0) -> Study:
    """Tiny, CPU-only training settings so a run takes well under a second."""
    set_architecture(study, width=16, depth=1, dropout=0.1)
    t = study.train
    t.device, t.max_epochs, t.batch_size, t.seed, t.patience = "cpu", epochs, 32, seed, 50
    return study


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread():
    """The networks here are tiny: one thread is faster than several fighting for 2 cores."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(autouse=True)
def fewer_bootstrap_rounds(monkeypatch):
    """30 bootstrap rounds instead of 200 wherever the core uses the default: the intervals
    keep their meaning and the suite stays fast. Tests that pass ``n_boot`` are unaffected."""
    from guiapp.core.stats.panel import metric_panel

    monkeypatch.setitem(metric_panel.__kwdefaults__, "n_boot", 30)


@pytest.fixture
def quick_training():
    """``quick_training(study, epochs=3, seed=0)`` sets tiny CPU-only training settings."""
    return _quick_training


@pytest.fixture
def study_factory(tmp_path):
    """Build a study on the simulated expression table; each call gets its own folder."""
    counter = iter(range(1000))

    def _make(
        *,
        batch_strength: float = 1.0,
        seed: int = 0,
        sensitive=False,
        do_split: bool = True,
        n_samples: int = N_SAMPLES,
        n_genes: int = N_GENES,
        effect_size: float = 1.5,
    ) -> Study:
        root = Path(tmp_path) / f"s{next(counter)}"
        table = demo.simulated_expression(
            n_samples=n_samples,
            n_genes=n_genes,
            n_informative=5,
            batch_strength=batch_strength,
            effect_size=effect_size,
            seed=seed,
        )
        path = demo.write_demo(table, root / "data")
        study = Study()
        study.save(root / "study")
        data.attach_data(study, data.AttachRequest(path, label=table.label, batch=table.batch, sensitive=sensitive))
        if do_split:
            split.split_study(study)
        study.save()
        return study

    return _make


@pytest.fixture
def tiny_study(study_factory) -> Study:
    """A saved, profiled and split classification study (200 samples × 20 genes)."""
    return study_factory()


@pytest.fixture(scope="module")
def _trained_template(tmp_path_factory) -> Study:
    """One trained study per test module; ``trained_study`` hands out copies of it."""
    from guiapp.core.models.baselines import fit_baselines
    from guiapp.core.models.train import train_network

    root = tmp_path_factory.mktemp("trained")
    d = demo.simulated_expression(n_samples=N_SAMPLES, n_genes=N_GENES, n_informative=5, effect_size=1.5)
    study = Study()
    study.save(root / "study")
    data.attach_data(
        study, data.AttachRequest(demo.write_demo(d, root / "data"), label=d.label, batch=d.batch, sensitive=False)
    )
    split.split_study(study)
    study.baselines.models = ["logistic_regression"]
    fit_baselines(study)
    assess_before_training(study)  # the caller records the verdict
    _quick_training(study)
    train_network(study)
    return study


@pytest.fixture
def trained_study(_trained_template, tmp_path) -> Study:
    """A split study with a logistic-regression baseline and a 3-epoch network (a fresh copy)."""
    study = copy.deepcopy(_trained_template)
    study.folder = tmp_path / "trained_study"
    shutil.copytree(_trained_template.folder, study.folder)
    return study


@pytest.fixture
def regression_study(tmp_path) -> Study:
    """A split regression study: a continuous score driven by the informative genes."""
    d = demo.simulated_expression(n_samples=N_SAMPLES, n_genes=N_GENES, n_informative=5, seed=3)
    table = d.table.drop(columns=["condition"])
    rng = np.random.default_rng(3)
    table["score"] = table[list(d.informative)].sum(axis=1) + rng.normal(0, 0.5, len(table))
    path = tmp_path / "regression.csv"
    table.to_csv(path, index=False)
    study = Study()
    study.question.task, study.question.target_metric = "regression", "r2"
    study.save(tmp_path / "regression_study")
    data.attach_data(study, data.AttachRequest(path, label="score", batch="batch", sensitive=False))
    split.split_study(study)
    study.save()
    return study
