"""Small studies have a route (Tip 1): a 7-sample counts table is profiled, not refused; it gets a
too-few-samples finding with the classical alternative, and the verdict's pre-training part."""

from __future__ import annotations

import pytest

from guiapp.core.data import attach as data
from guiapp.core.evaluation import verdict
from guiapp.core.pipeline import refuse_too_few_samples
from guiapp.core.study.errors import StudyBlocked
from guiapp.core.study.model import Study
from guiapp.core.study.steps import missing_prerequisite
from tests.core.small_counts import write_small_counts


@pytest.fixture
def small(tmp_path):
    return write_small_counts(tmp_path)


def test_a_seven_sample_counts_table_is_profiled_with_a_too_few_samples_finding(small):
    counts, sheet = small
    study = Study()
    profile = data.attach_data(
        study, data.AttachRequest(counts, label="condition", samples=str(sheet), sensitive=False)
    )
    assert profile.n_samples == 7 and profile.n_features == 2000
    assert study.data.transposed
    found = [f for f in study.findings if f.code == "too-few-samples"]
    assert len(found) == 1
    f = found[0]
    assert (f.tip, f.severity, f.step) == (1, "error", "data")
    assert f.message.startswith("7 samples after turning the genes × samples table")
    assert "rows" not in f.message
    assert "differential-expression test" in f.message  # counts: the classical route for them


def test_the_study_cannot_go_past_the_data_and_batch_steps(small, tmp_path):
    counts, sheet = small
    study = Study()
    study.folder = tmp_path  # a folder is open
    data.attach_data(study, data.AttachRequest(counts, label="condition", samples=str(sheet), sensitive=False))
    assert missing_prerequisite(study, "batch") is None
    assert missing_prerequisite(study, "split").startswith("7 samples")
    with pytest.raises(StudyBlocked) as info:
        refuse_too_few_samples(study)
    assert info.value.codes == ["too-few-samples"]


def test_ten_samples_are_enough_to_go_on(tmp_path):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(1)
    table = pd.DataFrame(rng.normal(size=(10, 4)), columns=list("abcd"))
    table["label"] = ["x", "y"] * 5
    table.to_csv(tmp_path / "t.csv", index=False)
    study = Study()
    data.attach_data(study, data.AttachRequest(tmp_path / "t.csv", label="label", sensitive=False))
    assert "too-few-samples" not in study.finding_codes()


def test_the_verdict_before_training_names_the_classical_route(small):
    counts, sheet = small
    study = Study()
    data.attach_data(study, data.AttachRequest(counts, label="condition", samples=str(sheet), sensitive=False))
    v = verdict.assess_before_training(study)
    assert v["level"] == "doubtful"
    assert "deep-learning-doubtful" in study.finding_codes()
    assert "differential-expression test" in verdict.verdict_text(study)
    assert "7 samples in all" in verdict.verdict_text(study)


def test_without_counts_the_classical_route_is_the_tuned_baselines(tmp_path):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(2)
    table = pd.DataFrame(rng.normal(size=(30, 5)), columns=list("abcde"))
    table["label"] = ["x", "y", "z"] * 10
    table.to_csv(tmp_path / "t.csv", index=False)
    study = Study()
    data.attach_data(study, data.AttachRequest(tmp_path / "t.csv", label="label", sensitive=False))
    verdict.assess_before_training(study)
    text = verdict.verdict_text(study)
    assert "tuned baselines" in text and "differential-expression" not in text
