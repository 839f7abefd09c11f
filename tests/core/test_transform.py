"""The log transform's spec forms, its suggestion and its refusal of negative values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from guiapp.core import transform
from guiapp.core.errors import TenfoldError


def test_spec_forms_name_the_columns():
    features = ["a", "b", "c"]
    assert transform.columns_from_spec("log1p", features) == features
    assert transform.columns_from_spec({"log1p": ["b"]}, features) == ["b"]
    assert transform.columns_from_spec(None, features) == []
    with pytest.raises(TenfoldError, match="'label'.*not among the feature columns"):
        transform.columns_from_spec({"log1p": ["label"]}, features)
    with pytest.raises(TenfoldError, match='must be "log1p"'):
        transform.columns_from_spec("log2", features)


def test_counts_are_suggested_and_transformed_alone():
    rng = np.random.default_rng(1)
    table = pd.DataFrame({"reads": rng.poisson(np.exp(rng.normal(4, 1.5, 80))), "ph": rng.normal(7, 0.2, 80),
                          "delta": rng.normal(0, 1, 80)})
    assert transform.suggest_log1p(table, list(table.columns)) == ["reads"]
    assert transform.suggest_log1p(table, list(table.columns), already=["reads"]) == []
    X = table.to_numpy(dtype=np.float32)
    out = transform.apply(X, list(table.columns), {"log1p": ["reads"]})
    assert np.allclose(out[:, 0], np.log1p(X[:, 0])) and np.array_equal(out[:, 1:], X[:, 1:])
    with pytest.raises(TenfoldError, match="Column 'delta' of the data holds a negative value"):
        transform.check_columns(table, ["delta"])
