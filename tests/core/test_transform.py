"""The log transform's spec forms, its suggestion and its refusal of negative values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from guiapp.core.data import transform
from guiapp.core.study.errors import TenfoldError


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
    table = pd.DataFrame(
        {
            "reads": rng.poisson(np.exp(rng.normal(4, 1.5, 80))),
            "ph": rng.normal(7, 0.2, 80),
            "delta": rng.normal(0, 1, 80),
        }
    )
    assert transform.suggest_log1p(table, list(table.columns)) == ["reads"]
    assert transform.suggest_log1p(table, list(table.columns), already=["reads"]) == []
    X = table.to_numpy(dtype=np.float32)
    out = transform.apply(X, list(table.columns), {"log1p": ["reads"]})
    assert np.allclose(out[:, 0], np.log1p(X[:, 0])) and np.array_equal(out[:, 1:], X[:, 1:])
    with pytest.raises(TenfoldError, match="Column 'delta' of the data holds a negative value"):
        transform.check_columns(table, ["delta"])


def test_a_wide_table_whose_words_advise_a_log_gets_the_control_for_every_feature(tmp_path):
    from guiapp.core.data import attach as data
    from guiapp.core.study.model import Study

    rng = np.random.default_rng(2)
    table = pd.DataFrame(
        {
            "sample_id": [f"W{i}" for i in range(40)],
            "cultivar": ["a", "b"] * 20,
            "proline": rng.uniform(280, 1680, 40),
            "hue": rng.uniform(0.5, 1.7, 40),
        }
    )
    table.to_csv(tmp_path / "wine.csv", index=False)
    s = Study()
    s.save(tmp_path / "study")
    data.attach_data(
        s, data.AttachRequest(tmp_path / "wine.csv", label="cultivar", identifiers=["sample_id"], sensitive=False)
    )
    assert "log transform usually helps: apply log1p on the Data page" in s.data.profile["scale_words"]
    assert s.data.profile["log1p_suggested"] == ["proline", "hue"]
