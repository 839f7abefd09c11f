"""Which steps can be worked on: one pure function of the study."""

from __future__ import annotations

import pytest

from guiapp.core.study.model import Study
from guiapp.core.study.steps import STEP_IDS, STEPS, missing_prerequisite, step

AFTER_TRAINING = ("overfitting", "evaluate", "interpret", "ethics", "export")


def messages(study) -> dict:
    return {s: missing_prerequisite(study, s) for s in STEP_IDS}


def test_the_steps_are_in_order():
    assert STEP_IDS[0] == "study" and STEP_IDS[-1] == "export"
    assert STEP_IDS.index("split") < STEP_IDS.index("baselines") < STEP_IDS.index("train")
    assert step("train").title == "Train"
    assert all(1 <= tip <= 10 for s in STEPS for tip in s.tips)


def test_without_a_folder_only_study_and_question_are_open():
    m = messages(Study())
    assert m["study"] is None and m["question"] is None
    for s in STEP_IDS[STEP_IDS.index("data") :]:
        assert "study folder" in m[s], s


def test_with_a_folder_but_no_data(tmp_path):
    study = Study()
    study.save(tmp_path)
    m = messages(study)
    assert m["data"] is None
    for s in ("batch", "split", "baselines", "train", "export"):
        assert m[s] == "Load a data table on the Data page first.", s


def test_with_data_but_no_split(study_factory):
    m = messages(study_factory(do_split=False))
    assert m["batch"] is None and m["split"] is None
    for s in ("baselines", "architecture", "train", *AFTER_TRAINING):
        assert m[s] == "Draw the split on the Split page first.", s


def test_a_reopened_study_needs_its_table_again(tiny_study):
    reopened = Study.open(tiny_study.folder)
    assert missing_prerequisite(reopened, "batch") == "Load a data table on the Data page first."


def test_with_a_split_but_no_training(tiny_study):
    m = messages(tiny_study)
    assert all(m[s] is None for s in ("batch", "split", "baselines", "architecture", "train"))
    for s in AFTER_TRAINING:
        assert m[s] == "Train the network on the Train page first.", s


def test_after_training_every_step_is_open(trained_study):
    assert all(v is None for v in messages(trained_study).values())


@pytest.mark.parametrize(
    "status, weights, reachable",
    [
        ("cancelled", "checkpoints/best.safetensors", True),
        ("failed", "checkpoints/best.safetensors", False),
        ("running", "checkpoints/best.safetensors", False),
        ("cancelled", "", False),
    ],
)
def test_a_cancelled_run_with_weights_counts_as_trained(tiny_study, status, weights, reachable):
    tiny_study.train.status, tiny_study.train.weights = status, weights
    assert (missing_prerequisite(tiny_study, "overfitting") is None) is reachable
