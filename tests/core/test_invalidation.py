"""One invalidation rule: a change in a step resets what every later step computed, nothing earlier."""

from __future__ import annotations

import dataclasses

import pytest

from guiapp.core.split.draw import split_study
from guiapp.core.split.leak_remedies import set_aside_leaking_features
from guiapp.core.study.model import Study
from guiapp.core.study.steps import STEP_IDS, STEPS, records_after


def _filled() -> Study:
    """A study whose every step record holds something other than its default."""
    study = Study()
    study.batch.after = {"silhouette": 0.1}
    study.baselines.results = [{"name": "knn", "tune_metrics": {"roc_auc": 0.8}}]
    study.train.status, study.train.history, study.train.weights = "done", [{"epoch": 1}], "model/weights.pt"
    study.evaluation.tune_metrics = {"roc_auc": {"value": 0.8}}
    return study


def _value(study: Study, record: str):
    section, name = record.split(".")
    return getattr(getattr(study, section), name)


def _default(record: str):
    section, name = record.split(".")
    return getattr(getattr(Study(), section), name)


def test_every_record_in_the_steps_table_is_a_study_field():
    fresh = Study()
    for s in STEPS:
        for record in s.records:
            section, name = record.split(".")
            assert name in {f.name for f in dataclasses.fields(getattr(fresh, section))}, record


def test_a_filled_study_differs_from_the_defaults_in_every_record():
    # otherwise the test below could not see a record that was not reset
    filled = _filled()
    for s in STEPS:
        for record in s.records:
            assert _value(filled, record) != _default(record), record


@pytest.mark.parametrize("step_id", STEP_IDS)
def test_changing_a_step_clears_every_later_record_and_nothing_earlier(step_id):
    study = _filled()
    kept = {r: _value(study, r) for s in STEPS for r in s.records if r not in records_after(step_id)}
    study.train.max_epochs, study.split.strategy = 7, "group"  # settings, not records
    study.invalidate_after(step_id)
    later = STEP_IDS.index(step_id) + 1
    for s in STEPS[later:]:
        for record in s.records:
            assert _value(study, record) == _default(record), f"{record} not reset after {step_id}"
    for record, value in kept.items():
        assert _value(study, record) == value, f"{record} reset by a change in {step_id}"
    assert study.train.max_epochs == 7 and study.split.strategy == "group"


def test_the_last_step_invalidates_nothing():
    study = _filled()
    study.invalidate_after(STEP_IDS[-1])
    assert study.to_dict() == _filled().to_dict() | {"created": study.created}


def test_a_split_drawn_anew_clears_what_was_measured_on_the_old_one(trained_study):
    study = trained_study
    study.batch.after = {"silhouette": 0.2}
    features, label = list(study.data.feature_columns), study.data.label
    assert study.baselines.results and study.train.weights
    study.split.seed += 1
    split_study(study)
    assert study.baselines.results == [] and study.evaluation.tune_metrics == {}
    assert (study.train.status, study.train.history, study.train.weights) == ("not started", [], "")
    assert study.batch.after == {}  # ComBat's after-metrics were measured on the old training split
    assert study.data.feature_columns == features and study.data.label == label  # earlier steps kept
    assert study.split.sealed and study.split.train_idx


def test_setting_a_feature_aside_clears_the_models_but_keeps_the_split(trained_study):
    study = trained_study
    split_before = (list(study.split.train_idx), list(study.split.test_idx), study.split.test_hash)
    column = study.data.feature_columns[0]
    assert set_aside_leaking_features(study, [column]) == [column]
    assert study.baselines.results == [] and study.train.weights == ""
    assert study.evaluation.tune_metrics == {}
    assert (list(study.split.train_idx), list(study.split.test_idx), study.split.test_hash) == split_before
    assert study.data.roles[column] == "ignore"
