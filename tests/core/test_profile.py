"""The data profile, column roles and the missing-value choice (Tip 4)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from guiapp.core.data import attach as data
from guiapp.core.data import errors as data_errors
from guiapp.core.data import roles
from guiapp.core.data.feature_stats import scale_hint
from guiapp.core.data.profile import MIN_SAMPLES_PER_CLASS, label_values, profile_table, profile_words
from guiapp.core.study.model import Study


def table(n: int = 120, p: int = 6, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = pd.DataFrame(rng.normal(8, 2, (n, p)).round(3), columns=[f"g{j}" for j in range(p)])
    t["condition"] = np.where(np.arange(n) % 3 == 0, "case", "control")
    return t


def codes(profile) -> set:
    return {f.code for f in profile.findings}


def test_small_classes_imbalance_and_words():
    t = table(n=120)
    p = profile_table(t, "condition")
    assert p.class_counts == {"case": 40, "control": 80}
    assert p.small_classes == ["case", "control"] and p.imbalance_ratio == pytest.approx(2.0)
    words = profile_words(p)
    assert words[0] == "120 samples with 6 numeric features."
    assert any(f"Under {MIN_SAMPLES_PER_CLASS} samples: case, control" in w for w in words)
    summary = p.summary()
    assert summary["n_samples"] == 120 and summary["words"] == words


def test_near_constant_features_are_flagged_but_constant_ones_apart():
    t = table()
    t["mostly_zero"] = 0.0
    t.loc[:2, "mostly_zero"] = 5.0  # 3 of 120 differ: 117 ≥ 19 × 3
    t["flat"] = 1.0
    t["rare_but_varied"] = np.where(np.arange(120) < 20, np.arange(120), 0.0)  # 100 zeros vs 20 singletons
    p = profile_table(t, "condition")
    assert p.constant_columns == ["flat"]
    assert p.near_constant_columns == ["mostly_zero"]
    assert "near-constant-features" in codes(p)


def test_exact_and_near_duplicates_are_counted():
    t = table(n=120, p=8)
    feats = [f"g{j}" for j in range(8)]
    t.loc[10, feats] = t.loc[3, feats].to_numpy()
    t.loc[20, feats] = t.loc[4, feats].to_numpy() + 0.001
    p = profile_table(t, "condition")
    assert p.duplicate_rows == 1
    assert p.near_duplicate_pairs >= 1


@pytest.mark.parametrize(
    "values, scale",
    [
        (lambda rng: rng.poisson(40, (60, 5)).astype(float), "counts"),
        (lambda rng: rng.normal(7, 2, (60, 5)).clip(0, 16), "log"),
        (lambda rng: rng.random((60, 5)), "proportions"),
        (lambda rng: rng.normal(0, 1, (60, 5)), "standardised"),
        (lambda rng: rng.lognormal(8, 2, (60, 5)), "wide"),
    ],
)
def test_the_scale_hint(values, scale):
    rng = np.random.default_rng(3)
    t = pd.DataFrame(values(rng), columns=list("abcde"))
    t["y"] = ["x", "z"] * 30
    p = profile_table(t, "y")
    assert p.scale == scale, p.scale_words
    assert ("values-look-like-counts" in codes(p)) is (scale == "counts")


def test_scale_hint_without_values():
    assert scale_hint(None, None, None, np.array([]), np.array([])) == ("", "")


def test_whole_number_float_labels_are_named_as_integers():
    s = pd.Series([0.0, 1.0, np.nan, 1.0])
    assert list(label_values(s)[:2]) == [0, 1]
    t = table(n=60)
    t["status"] = np.where(np.arange(60) % 2 == 0, 0.0, 1.0)
    t.loc[5, "status"] = np.nan
    p = profile_table(t.drop(columns="condition"), "status")
    assert p.classes == [0, 1] and p.class_counts == {"0": 30, "1": 29}


def test_a_class_with_one_sample_is_an_error_finding_or_a_strict_error():
    t = table(n=60)
    t.loc[7, "condition"] = "rare"
    p = profile_table(t, "condition", file_name="x.csv")
    f = next(f for f in p.findings if f.code == "class-with-one-sample")
    assert f.severity == "error" and "row 8 of x.csv" in f.message
    with pytest.raises(data_errors.SingletonClassError, match="'rare'"):
        profile_table(t, "condition", strict=True)


# ----- roles -----------------------------------------------------------------------------------


def test_roles_are_suggested_from_names_and_values():
    t = table(n=40)
    t.insert(0, "sample_id", [f"S{i}" for i in range(40)])
    t["plate"] = [f"P{i % 4}" for i in range(40)]
    t["donor"] = [f"D{i % 10}" for i in range(40)]
    t["sex"] = ["f", "m"] * 20
    t["age"] = np.arange(40) + 20.5
    t["notes"] = ["ok"] * 40
    r = roles.suggest_roles(t, label="condition")
    assert r["sample_id"] == "identifier" and r["plate"] == "batch" and r["donor"] == "group"
    assert r["sex"] == "subgroup" and r["age"] == "feature" and r["notes"] == "ignore"
    assert r["condition"] == "label" and r["g0"] == "feature"
    assert roles.merge_roles(r, {"age": "subgroup", "nope": "feature", "g0": "bogus"})["age"] == "subgroup"


def test_attach_records_roles_and_identifiers_never_become_features(tmp_path):
    t = table(n=60)
    t.insert(0, "record", np.arange(60) + 1000)  # a running number
    t["plate"] = [f"P{i % 3}" for i in range(60)]
    t["weight"] = np.random.default_rng(1).normal(70, 5, 60)
    t.to_csv(tmp_path / "t.csv", index=False)
    study = Study()
    data.attach_data(
        study,
        data.AttachRequest(tmp_path / "t.csv", label="condition", roles={"weight": "identifier", "plate": "batch"}),
    )
    d = study.data
    assert d.batch == "plate" and d.roles["plate"] == "batch"
    assert "weight" in d.identifiers and "weight" not in d.feature_columns
    assert "record" in d.identifiers and "record" not in d.feature_columns
    assert d.feature_columns == [f"g{j}" for j in range(6)]
    assert d.profile["words"] and d.roles["condition"] == "label"


# ----- missing values --------------------------------------------------------------------------------


def with_gaps(tmp_path):
    t = table(n=60)
    t.loc[[1, 2, 3], "g1"] = np.nan
    t.loc[4, "g2"] = np.nan
    t.to_csv(tmp_path / "t.csv", index=False)
    return tmp_path / "t.csv"


def test_drop_rows_and_drop_columns_are_recorded(tmp_path):
    path = with_gaps(tmp_path)
    study = Study()
    data.attach_data(study, data.AttachRequest(path, label="condition", missing="drop-rows"))
    assert study.data.n_samples == 56 and study.data.dropped == {"rows": 4, "columns": []}
    assert "missing-values-dropped" in study.finding_codes() and "missing-values" not in study.finding_codes()
    data.reload_table(study)
    assert len(study.table) == 56
    study = Study()
    data.attach_data(study, data.AttachRequest(path, label="condition", missing="drop-columns"))
    assert study.data.feature_columns == ["g0", "g3", "g4", "g5"] and study.data.roles["g1"] == "ignore"
    assert study.data.missing == "drop-columns"


def test_most_frequent_filling_is_fitted_on_the_training_rows_only(tmp_path):
    from guiapp.core.split.draw import split_study

    path = with_gaps(tmp_path)
    study = Study()
    data.attach_data(study, data.AttachRequest(path, label="condition", missing="most-frequent"))
    assert "missing-values-most-frequent" in study.finding_codes()
    X, _, _ = data.model_frame(study)
    assert np.isnan(X).sum() == 4  # no split yet: nothing is filled
    split_study(study)
    X, _, _ = data.model_frame(study)
    train = np.asarray(study.split.train_idx)
    assert not np.isnan(X).any()
    raw = study.table["g1"].to_numpy(dtype=np.float32)
    values, counts = np.unique(raw[train][~np.isnan(raw[train])], return_counts=True)
    assert X[1, 1] == values[np.argmax(counts)]


def test_an_unknown_missing_choice_is_refused(tmp_path):
    with pytest.raises(data_errors.DataError, match="missing-value choice"):
        data.attach_data(Study(), data.AttachRequest(with_gaps(tmp_path), label="condition", missing="guess"))
