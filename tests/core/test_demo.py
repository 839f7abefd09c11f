"""Built-in data: the real breast-cancer table and the seed-controlled simulation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from guiapp.core.batch.effects import batch_silhouette, pca_embedding
from guiapp.core.data import attach as data
from guiapp.core.data import demo
from guiapp.core.study.errors import TenfoldError


def test_breast_cancer_is_569_samples_of_30_features():
    d = demo.breast_cancer()
    assert d.table.shape == (569, 32)
    assert d.table.columns[0] == "sample_id"
    assert d.label == "diagnosis" and d.batch == ""
    assert d.table["diagnosis"].value_counts().to_dict() == {"benign": 357, "malignant": 212}
    profile = data.profile_table(d.table, d.label)
    assert profile.n_features == 30
    assert profile.identifier_columns == ["sample_id"]
    assert profile.duplicate_rows == 0 and not profile.missing_by_column


def test_simulated_expression_has_the_requested_shape():
    d = demo.simulated_expression(n_samples=120, n_genes=15, n_informative=4, n_batches=2)
    assert d.table.shape == (120, 15 + 3)
    assert list(d.table.columns[:2]) == ["sample_id", "GENE0000"]
    assert d.informative == ("GENE0000", "GENE0001", "GENE0002", "GENE0003")
    assert set(d.table["condition"]) == {"treated", "control"}
    assert set(d.table["batch"]) == {"run1", "run2"}


def test_simulated_expression_is_determined_by_its_seed():
    a = demo.simulated_expression(n_samples=100, n_genes=10, seed=7)
    b = demo.simulated_expression(n_samples=100, n_genes=10, seed=7)
    c = demo.simulated_expression(n_samples=100, n_genes=10, seed=8)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert not a.table.equals(c.table)


def test_only_the_informative_genes_carry_the_signal():
    d = demo.simulated_expression(n_samples=2000, n_genes=20, n_informative=5, effect_size=2.0, batch_strength=0.0)
    treated = d.table["condition"] == "treated"
    genes = [c for c in d.table.columns if c.startswith("GENE")]
    shift = d.table.loc[treated, genes].mean() - d.table.loc[~treated, genes].mean()
    assert shift[list(d.informative)].to_numpy() == pytest.approx(2.0, abs=0.15)
    others = shift.drop(list(d.informative)).to_numpy()
    assert np.abs(others).max() < 0.15


def silhouette_of(batch_strength: float) -> float:
    d = demo.simulated_expression(n_samples=200, n_genes=20, batch_strength=batch_strength, seed=0)
    genes = [c for c in d.table.columns if c.startswith("GENE")]
    pcs, _ = pca_embedding(d.table[genes].to_numpy())
    return batch_silhouette(pcs, d.table["batch"])


def test_the_planted_batch_effect_grows_with_its_strength():
    none, some, strong = (silhouette_of(s) for s in (0.0, 0.5, 2.0))
    assert none < some < strong
    assert abs(none) < 0.05
    assert strong > 0.3


def test_write_demo_writes_a_csv_that_reads_back(tmp_path):
    d = demo.simulated_expression(n_samples=50, n_genes=5)
    path = demo.write_demo(d, tmp_path / "data")
    assert path.name == "simulated_expression.csv"
    pd.testing.assert_frame_equal(data.read_table(path), d.table)


def test_load_demo_by_name_and_unknown_names():
    assert demo.load_demo("simulated_expression", n_samples=30, n_genes=4).table.shape == (30, 7)
    with pytest.raises(TenfoldError, match="breast_cancer, simulated_expression"):
        demo.load_demo("iris")
