"""The study's vocabulary is the one list of each set of choices: the spec, the CLI and the wizard agree."""

from __future__ import annotations

from typing import get_args

import pytest

from guiapp.cli import build_parser
from guiapp.core.study import vocabulary as V
from guiapp.core.study.spec_keys import KEYS


def test_each_tuple_is_its_literal_in_order():
    pairs = [
        (V.Task, V.TASKS),
        (V.Role, V.ROLES),
        (V.Modality, V.MODALITIES),
        (V.MissingStrategy, V.MISSING_STRATEGIES),
        (V.BatchRemedy, V.BATCH_REMEDIES),
        (V.SplitStrategy, V.SPLIT_STRATEGIES),
        (V.SplitRemedy, V.SPLIT_REMEDIES),
        (V.CvMode, V.CV_MODES),
        (V.LrSchedule, V.LR_SCHEDULES),
        (V.TrainStatus, V.TRAIN_STATUSES),
        (V.TrialState, V.TRIAL_STATES),
        (V.MetricName, V.METRIC_NAMES),
        (V.EvidenceStatus, V.EVIDENCE_STATUSES),
        (V.EntryStatus, V.ENTRY_STATUSES),
    ]
    for literal, values in pairs:
        assert get_args(literal) == values


def test_the_spec_allows_exactly_the_vocabulary():
    assert KEYS["question"]["task"][1] == V.TASKS
    assert KEYS["data"]["missing"][1] == V.MISSING_STRATEGIES
    assert KEYS["data"]["modality"][1] == V.MODALITIES
    assert KEYS["batch"]["remedy"][1] == V.BATCH_REMEDIES
    assert KEYS["split"]["strategy"][1] == V.SPLIT_STRATEGIES
    assert KEYS["split"]["cv"][1] == V.CV_MODES
    assert KEYS["train"]["lr_schedule"][1] == V.LR_SCHEDULES


def test_the_cli_offers_the_vocabulary():

    parser = build_parser()
    for missing in V.MISSING_STRATEGIES:
        for task in V.TASKS:
            args = parser.parse_args(["inspect", "x.csv", "--label", "y", "--missing", missing, "--task", task])
            assert (args.missing, args.task) == (missing, task)
    with pytest.raises(SystemExit):
        parser.parse_args(["inspect", "x.csv", "--label", "y", "--missing", "mean"])


def test_every_metric_has_a_direction_and_a_name():
    for names in (V.CLASSIFICATION_METRICS, V.REGRESSION_METRICS, *V.EXTRA_METRICS.values()):
        for m in names:
            assert m in V.METRIC_NAMES and m in V.HIGHER_IS_BETTER and m in V.DISPLAY_NAMES
    assert set(V.METRIC_NAMES) == set(V.HIGHER_IS_BETTER) == set(V.DISPLAY_NAMES)


def test_the_old_homes_still_name_the_same_objects():
    from guiapp.core.data.roles import ROLES
    from guiapp.core.guidance.checklist import ITEMS
    from guiapp.core.guidance.evidence import DONE
    from guiapp.core.models.baselines import CLASSIFIERS, available
    from guiapp.core.stats.metrics import DISPLAY_NAMES, HIGHER_IS_BETTER, metric_names

    assert ROLES is V.ROLES and DONE == V.DONE
    assert CLASSIFIERS is V.CLASSIFIER_BASELINES and available("regression") is V.REGRESSOR_BASELINES
    assert DISPLAY_NAMES is V.DISPLAY_NAMES and HIGHER_IS_BETTER is V.HIGHER_IS_BETTER
    assert metric_names("classification") == V.CLASSIFICATION_METRICS
    assert tuple(i.id for i in ITEMS) == V.CHECKLIST_ITEM_IDS
