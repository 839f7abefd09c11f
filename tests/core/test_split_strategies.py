"""Group and hold-out-batch splits, the remedies that choose them, their spec keys and the card."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from guiapp.core.batch import effects as batch
from guiapp.core.data import attach as data
from guiapp.core.data import demo
from guiapp.core.pipeline import apply_spec
from guiapp.core.split import draw as split
from guiapp.core.split import remedy_actions
from guiapp.core.study.errors import SpecError, TenfoldError
from guiapp.core.study.model import Study
from guiapp.core.study.spec import check_spec


def make_study(folder: Path, *, group: str = "", task: str = "classification", **gen) -> Study:
    d = demo.simulated_expression(**{"n_samples": 240, "n_genes": 10, "n_informative": 3, **gen})
    table = d.table
    if task == "regression":
        table["condition"] = table["GENE0000"] * 2 + 1
        table = table.drop(columns=["GENE0000"])
        d.table = table
    path = demo.write_demo(d, folder / "data")
    study = Study()
    study.question.task = task
    study.save(folder / "study")
    data.attach_data(study, data.AttachRequest(path, label=d.label, batch=d.batch, group=group, sensitive=False))
    return study


def parts(study):
    s = study.split
    return s.train_idx, s.tune_idx, s.test_idx


def column(study, name):
    _, _, rows = data.model_frame(study)
    return rows[name].astype(str).to_numpy()


# ----- group ------------------------------------------------------------------------------------


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_a_group_split_keeps_every_group_in_one_part(tmp_path, task):
    study = make_study(tmp_path, n_donors=24, group="donor", task=task)
    study.split.strategy = "group"
    split.split_study(study)
    donors = column(study, "donor")
    sets = [set(donors[idx]) for idx in parts(study)]
    assert not (sets[0] & sets[1] or sets[0] & sets[2] or sets[1] & sets[2])
    assert sorted(np.concatenate(parts(study))) == list(range(240))
    assert 0.1 < len(study.split.test_idx) / 240 < 0.3
    assert sum(study.split.n_groups.values()) == 24
    assert "groups-across-splits" not in study.finding_codes()


def test_a_group_split_keeps_class_shares_where_groups_allow(tmp_path):
    study = make_study(tmp_path, n_donors=40, group="donor")
    study.split.strategy = "group"
    split.split_study(study)
    _, y, _ = data.model_frame(study)
    for idx in parts(study):
        assert abs(y[idx].mean() - y.mean()) < 0.2


def test_the_group_column_is_never_a_feature(tmp_path):
    d = demo.simulated_expression(n_samples=60, n_genes=4, n_donors=6)
    d.table["donor"] = d.table["donor"].str[1:].astype(int)  # numeric donor codes
    path = demo.write_demo(d, tmp_path)
    study = Study()
    data.attach_data(study, data.AttachRequest(path, label="condition", batch="batch", group="donor"))
    assert "donor" not in study.data.feature_columns and study.data.group == "donor"


def test_a_group_split_needs_a_group_column_and_enough_groups(tmp_path):
    study = make_study(tmp_path / "a")
    study.split.strategy = "group"
    with pytest.raises(TenfoldError, match="needs a group column"):
        split.split_study(study)
    few = make_study(tmp_path / "b", n_donors=2, group="donor")
    few.split.strategy = "group"
    with pytest.raises(TenfoldError, match="at least 3 groups"):
        split.split_study(few)
    assert not few.split.sealed


# ----- batch-holdout ---------------------------------------------------------------------------------


def test_chosen_batches_form_the_whole_test_set(tmp_path):
    study = make_study(tmp_path, n_batches=4)
    study.split.strategy, study.split.holdout_batches = "batch-holdout", ["run2"]
    split.split_study(study)
    batches = column(study, "batch")
    train, tune, test = parts(study)
    assert set(batches[test]) == {"run2"} and "run2" not in set(batches[np.r_[train, tune]])
    assert list(np.flatnonzero(batches == "run2")) == test
    assert study.split.test_batches == ["run2"]


def test_drawn_holdout_batches_hold_about_the_test_fraction(tmp_path):
    study = make_study(tmp_path, n_batches=6)
    study.split.strategy = "batch-holdout"
    split.split_study(study)
    batches = column(study, "batch")
    held = study.split.test_batches
    assert held and len(held) < 6
    assert set(batches[study.split.test_idx]) == set(held)
    assert len(study.split.test_idx) >= 0.2 * 240
    again = make_study(tmp_path / "again", n_batches=6)
    again.split.strategy = "batch-holdout"
    split.split_study(again)
    assert again.split.test_batches == held  # the seed decides


def test_holdout_mistakes_are_explained(tmp_path):
    study = make_study(tmp_path)
    study.split.strategy = "batch-holdout"
    study.split.holdout_batches = ["run9"]
    with pytest.raises(TenfoldError, match="'run9' are not in column 'batch'"):
        split.split_study(study)
    study.split.holdout_batches = ["run1", "run2", "run3"]
    with pytest.raises(TenfoldError, match="nothing to train on"):
        split.split_study(study)


def test_holding_out_the_only_batches_of_a_class_is_refused(tmp_path):
    study = make_study(tmp_path, n_batches=2, confounding=1.0)
    study.split.strategy, study.split.holdout_batches = "batch-holdout", ["run2"]
    with pytest.raises(TenfoldError, match="holds no sample of 'treated'"):
        split.split_study(study)


# ----- remedies -----------------------------------------------------------------------------------------


def test_choosing_a_remedy_sets_the_strategy_and_redraws_the_split(tmp_path):
    study = make_study(tmp_path, n_donors=20, group="donor", n_batches=4)
    split.split_study(study)
    remedy_actions.choose_remedy(study, "batch-holdout", holdout_batches=["run4"])
    assert study.split.strategy == "batch-holdout" and study.split.test_batches == ["run4"]
    remedy_actions.choose_remedy(study, "group-split", "one donor gives several samples")
    assert study.split.strategy == "group" and study.batch.remedy == "group-split"
    assert study.batch.remedy_reason == "one donor gives several samples"
    with pytest.raises(TenfoldError, match="Unknown remedy"):
        remedy_actions.choose_remedy(study, "magic")


def test_the_remedy_cannot_change_after_the_test_set_was_used(tmp_path):
    study = make_study(tmp_path)
    split.split_study(study)
    study.split.test_uses = 1
    with pytest.raises(TenfoldError, match="already been used"):
        remedy_actions.choose_remedy(study, "combat")


def test_switching_to_combat_makes_fitted_models_stale(tmp_path):
    study = make_study(tmp_path)
    split.split_study(study)
    study.baselines.results = [{"name": "x", "tune_metrics": {}}]
    study.train.status = "done"
    remedy_actions.choose_remedy(study, "combat")
    assert study.baselines.results == [] and study.train.status == "not started"


def test_a_study_with_the_new_fields_round_trips(tmp_path):
    study = make_study(tmp_path, n_donors=20, group="donor")
    remedy_actions.choose_remedy(study, "group-split")
    batch.batch_effect_report(study, n_permutations=3)
    study.save()
    back = Study.open(study.folder)
    assert back.data.group == "donor" and back.batch.remedy == "group-split"
    assert back.split.strategy == "group" and back.batch.lights == study.batch.lights
    assert back.batch.pcr_batch == pytest.approx(study.batch.pcr_batch)


# ----- spec keys --------------------------------------------------------------------------------------


def spec(**sections):
    out = {"data": {"path": "x.csv", "label": "y", "batch": "run", "group": "donor"}}
    for name, values in sections.items():
        out.setdefault(name, {}).update(values)
    return out


def test_the_spec_accepts_the_new_keys():
    check_spec(spec(split={"strategy": "group"}))
    check_spec(spec(split={"strategy": "batch-holdout", "holdout_batches": ["run3", 4]}))
    check_spec(spec(batch={"remedy": "combat", "remedy_reason": "shifts"}, split={"strategy": "stratified"}))


@pytest.mark.parametrize(
    "bad, words",
    [
        (spec(batch={"remedy": "group-split"}, split={"strategy": "random"}), "drop one of them"),
        ({"data": {"path": "x", "label": "y"}, "split": {"strategy": "group"}}, "needs [data] group"),
        ({"data": {"path": "x", "label": "y"}, "batch": {"remedy": "combat"}}, "needs [data] batch"),
        (spec(split={"strategy": "by-donor"}), "not allowed"),
        (spec(batch={"remedy": "sva"}), "not allowed"),
    ],
)
def test_the_spec_refuses_designs_that_disagree(bad, words):
    with pytest.raises(SpecError, match=words.replace("[", r"\[").replace("]", r"\]")):
        check_spec(bad)


def test_apply_spec_stores_holdout_batches_as_names():
    study = Study()
    apply_spec(study, spec(split={"strategy": "batch-holdout", "holdout_batches": [3, "run4"]}))
    assert study.split.holdout_batches == ["3", "run4"] and study.split.strategy == "batch-holdout"


# ----- the model card -------------------------------------------------------------------------------------


def card(study) -> str:
    from guiapp.core.export.model_card import render_model_card

    return render_model_card(study, weights_shared=False, weights_reason="not trained", privacy=[])


def test_the_card_says_which_batches_the_test_set_holds(tmp_path):
    study = make_study(tmp_path, batch_strength=2.0, n_batches=4)
    batch.batch_effect_report(study, n_permutations=3)
    remedy_actions.choose_remedy(study, "batch-holdout", "new runs must work", holdout_batches=["run3"])
    split.split_study(study)
    text = card(study)
    assert "### Batch effects" in text and "whole batches held out as the test set" in text
    assert "The test set holds whole batches (run3)" in text and "new runs must work" in text


def test_the_card_writes_the_risk_when_nothing_is_done(tmp_path):
    study = make_study(tmp_path, batch_strength=2.0, confounding=1.0)
    batch.batch_effect_report(study, n_permutations=3)
    split.split_study(study)
    text = card(study)
    assert "Remedy: no correction." in text and "Risk:" in text and "confounded" in text
    group = make_study(tmp_path / "g", n_donors=20, group="donor")
    batch.batch_effect_report(group, n_permutations=3)
    remedy_actions.choose_remedy(group, "group-split")
    split.split_study(group)
    assert "Samples of one `donor` are never on both sides of the split." in card(group)
