"""Train / tune / test split and the sealed test set (Tip 7)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from guiapp.core.data import attach as data
from guiapp.core.split.draw import index_hash, sealed_test_rows, split_study, train_tune_arrays
from guiapp.core.study.errors import DataError, SealedTestSetError, TenfoldError
from guiapp.core.study.model import STUDY_FILE, Study


def parts(study):
    s = study.split
    return set(s.train_idx), set(s.tune_idx), set(s.test_idx)


def test_the_parts_are_disjoint_and_cover_every_labelled_row(tiny_study):
    train, tune, test = parts(tiny_study)
    assert not (train & tune or train & test or tune & test)
    assert train | tune | test == set(range(tiny_study.data.n_samples))
    assert (len(train), len(tune), len(test)) == (120, 40, 40)


def test_a_stratified_split_keeps_the_class_proportions(tiny_study):
    _, y, _ = data.model_frame(tiny_study)
    overall = y.mean()
    for name in ("train", "tune", "test"):
        idx = getattr(tiny_study.split, f"{name}_idx")
        # stratification keeps each part within one sample of the overall share
        assert abs(y[idx].mean() - overall) <= 1 / len(idx) + 1e-9, name
    counts = tiny_study.split.counts
    assert sum(counts["test"].values()) == 40
    assert counts["test"] == {
        c: int(n)
        for c, n in zip(
            *np.unique(np.array(tiny_study.data.classes)[y[tiny_study.split.test_idx]], return_counts=True),
            strict=False,
        )
    }


def test_unlabelled_rows_are_left_out_of_every_part(tmp_path):
    table = pd.DataFrame({"g1": np.arange(60.0) * 0.3 % 7, "g2": np.arange(60.0) % 5 + 0.5, "y": ["a", "b"] * 30})
    table.loc[[0, 1, 2, 3], "y"] = np.nan
    table.to_csv(tmp_path / "t.csv", index=False)
    study = Study()
    data.attach_data(study, data.AttachRequest(tmp_path / "t.csv", label="y"))
    split_study(study)
    train, tune, test = parts(study)
    assert train | tune | test == set(range(56))


def test_the_test_hash_matches_the_test_indices_and_survives_reopening(tiny_study):
    s = tiny_study.split
    assert s.sealed
    assert s.test_hash == index_hash(s.test_idx) == index_hash(reversed(s.test_idx))
    assert s.test_hash != index_hash(s.test_idx[1:])
    tiny_study.save()
    reopened = Study.open(tiny_study.folder)
    data.reload_table(reopened)
    X_te, y_te = sealed_test_rows(reopened, finalising=True)
    assert len(X_te) == len(s.test_idx)


def test_the_same_seed_draws_the_same_split_and_another_seed_another(tiny_study):
    first = parts(tiny_study)
    split_study(tiny_study)
    assert parts(tiny_study) == first
    tiny_study.split.seed = 1
    split_study(tiny_study)
    assert parts(tiny_study) != first


def test_reading_the_test_rows_without_finalising_is_refused(tiny_study):
    with pytest.raises(SealedTestSetError, match="sealed"):
        sealed_test_rows(tiny_study)


def test_finalising_reads_exactly_the_test_rows(tiny_study):
    X, y, _ = data.model_frame(tiny_study)
    X_te, y_te = sealed_test_rows(tiny_study, finalising=True)
    te = tiny_study.split.test_idx
    np.testing.assert_array_equal(X_te, X[te])
    np.testing.assert_array_equal(y_te, y[te])


def test_train_tune_arrays_never_contain_test_rows(tiny_study):
    X, _, _ = data.model_frame(tiny_study)
    X_tr, _, X_tu, _ = train_tune_arrays(tiny_study)
    test_rows = {r.tobytes() for r in X[tiny_study.split.test_idx]}
    assert not test_rows & {r.tobytes() for r in np.vstack([X_tr, X_tu])}


def test_tampered_test_indices_are_refused(tiny_study):
    s = tiny_study.split
    s.test_idx = sorted(s.test_idx[1:] + [s.train_idx[0]])
    with pytest.raises(SealedTestSetError, match="no longer match"):
        sealed_test_rows(tiny_study, finalising=True)


def test_a_hand_edited_study_json_is_refused(tiny_study):
    path = tiny_study.path(STUDY_FILE)
    d = json.loads(path.read_text(encoding="utf-8"))
    d["split"]["test_idx"] = d["split"]["test_idx"][:-1]
    path.write_text(json.dumps(d), encoding="utf-8")
    reopened = Study.open(tiny_study.folder)
    data.reload_table(reopened)
    with pytest.raises(SealedTestSetError, match="study.json was edited"):
        sealed_test_rows(reopened, finalising=True)


def test_resplitting_after_the_test_set_was_used_is_refused(tiny_study):
    before = parts(tiny_study)
    tiny_study.split.test_uses = 1
    tiny_study.split.seed = 5
    with pytest.raises(TenfoldError, match="already been used"):
        split_study(tiny_study)
    assert parts(tiny_study) == before


def test_a_new_split_makes_later_steps_stale(tiny_study):
    tiny_study.baselines.results = [{"name": "x", "tune_metrics": {}}]
    tiny_study.train.status, tiny_study.train.weights = "done", "checkpoints/best.safetensors"
    tiny_study.evaluation.tune_metrics = {"roc_auc": 0.9}
    split_study(tiny_study)
    assert tiny_study.baselines.results == []
    assert (tiny_study.train.status, tiny_study.train.weights) == ("not started", "")
    assert tiny_study.evaluation.tune_metrics == {}


@pytest.mark.parametrize("test_fraction, tune_fraction", [(0.01, 0.2), (0.6, 0.1), (0.45, 0.4)])
def test_fractions_out_of_range_are_refused(tiny_study, test_fraction, tune_fraction):
    tiny_study.split.test_fraction, tiny_study.split.tune_fraction = test_fraction, tune_fraction
    with pytest.raises(TenfoldError, match="between 5% and 50%"):
        split_study(tiny_study)


def test_an_unknown_strategy_is_refused(tiny_study):
    tiny_study.split.strategy = "by_patient"
    with pytest.raises(TenfoldError, match="Unknown split strategy"):
        split_study(tiny_study)


def test_a_random_split_also_covers_every_row(tiny_study):
    tiny_study.split.strategy = "random"
    split_study(tiny_study)
    train, tune, test = parts(tiny_study)
    assert train | tune | test == set(range(200)) and len(test) == 40


def test_a_class_too_small_to_stratify_is_a_tenfold_error(tmp_path):
    table = pd.DataFrame({"g1": np.arange(40.0) * 0.37 % 3, "g2": np.arange(40.0) % 7 + 0.5, "y": ["a"] * 39 + ["b"]})
    table.to_csv(tmp_path / "t.csv", index=False)
    study = Study()
    data.attach_data(study, data.AttachRequest(tmp_path / "t.csv", label="y"))
    with pytest.raises(TenfoldError, match="could not be drawn"):
        split_study(study)
    assert not study.split.sealed


def test_a_regression_split_counts_samples(regression_study):
    assert regression_study.split.counts == {"train": {"n": 120}, "tune": {"n": 40}, "test": {"n": 40}}


def test_splitting_without_data_says_so():
    with pytest.raises(DataError, match="No data are loaded"):
        split_study(Study())
    with pytest.raises(TenfoldError, match="Draw the train / tune / test split"):
        train_tune_arrays(Study())
