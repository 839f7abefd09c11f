"""Remedies that act on the split (Tip 7): copies kept together, leave-batch-out and batch × label
strata for a confounded batch, and a group column found from replicates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from guiapp.core.batch.confounding import split_parts
from guiapp.core.batch.effects import batch_effect_report
from guiapp.core.batch.group_columns import group_column_from_copies
from guiapp.core.batch.remedy import remedy_text
from guiapp.core.data import attach as data
from guiapp.core.data import demo
from guiapp.core.split import draw as split
from guiapp.core.split.remedies import (
    batch_label_strata,
    copy_clusters,
    keep_clusters_together,
    remedy_sentences,
)
from guiapp.core.split.remedy_actions import apply_group_remedy, apply_remedy
from guiapp.core.study.model import Study
from guiapp.core.study.spec import SpecError, check_spec
from guiapp.core.study.task_context import TaskContext


def make_study(folder: Path, table, *, group: str = "", **gen) -> Study:
    d = demo.simulated_expression(**{"n_samples": 160, "n_genes": 10, "n_informative": 4, **gen})
    path = folder / "data.csv"
    table(d.table).to_csv(path, index=False)
    study = Study()
    study.save(folder / "study")
    data.attach_data(
        study,
        data.AttachRequest(path, label=d.label, batch=d.batch, group=group, identifiers=["sample_id"], sensitive=False),
    )
    return study


def with_copies(t: pd.DataFrame) -> pd.DataFrame:
    """30 exact copies and 20 near copies (tiny noise) under new sample IDs."""
    rng = np.random.default_rng(1)
    exact = t.iloc[:30].assign(sample_id=[f"X{i}" for i in range(30)])
    near = t.iloc[30:50].copy()
    genes = [c for c in t.columns if c.startswith("GENE")]
    near[genes] = near[genes] + rng.normal(0, 0.01, (20, len(genes)))
    near["sample_id"] = [f"N{i}" for i in range(20)]
    return pd.concat([t, exact, near], ignore_index=True)


def straddling(study) -> int:
    part = split_parts(study)
    clusters = copy_clusters(study.batch.duplicate_pairs, len(part))
    frame = pd.DataFrame({"c": clusters, "p": part})
    return int((frame.groupby("c")["p"].nunique() > 1).sum())


# ----- copies ----------------------------------------------------------------------------------


def test_clusters_join_copies_of_copies():
    assert list(copy_clusters([[0, 3, "exact"], [3, 5, "near"], [1, 2, "exact"]], 6)) == [0, 1, 1, 0, 4, 0]


def test_a_divided_cluster_moves_to_the_part_holding_most_of_it():
    clusters = np.array([0, 0, 0, 3, 4, 5])
    train, tune, test, moved, left = keep_clusters_together([0, 1, 3], [4], [2, 5], clusters)
    assert list(train) == [0, 1, 2, 3] and list(test) == [5] and moved == 1 and left == 0
    # whole batches form the test set: a cluster reaching it stays divided and is counted
    train, tune, test, moved, left = keep_clusters_together([0, 1, 3], [4], [2, 5], clusters, fixed_test=True)
    assert list(test) == [2, 5] and left == 1


@pytest.mark.parametrize("strategy", ["stratified", "random", "batch-label-stratified"])
def test_the_default_split_keeps_every_copy_cluster_on_one_side(tmp_path, strategy):
    study = make_study(tmp_path, with_copies)
    study.split.strategy = strategy
    split.split_study(study)
    assert study.split.keep_copies_together
    assert straddling(study) == 0
    assert study.split.copy_clusters["clusters"] == 50 and study.split.copy_clusters["samples"] == 100
    codes = study.finding_codes()
    assert "copies-kept-together" in codes and "duplicates-across-splits" not in codes
    assert any("50 copy cluster(s) (100 samples) kept together" in t for t in remedy_sentences(study))
    study.split.keep_copies_together = False  # the user turned it off: the leak is back, and said
    split.split_study(study)
    assert straddling(study) > 0 and "duplicates-across-splits" in study.finding_codes()
    assert not any(r["remedy"] == "copy-aware-split" for r in study.split.remedies)


def test_a_group_split_keeps_copies_together_across_groups(tmp_path):
    def donors_and_copies(t):
        t = with_copies(t)
        t["donor"] = [f"D{i % 40:02d}" for i in range(len(t))]  # copies get another donor than their original
        return t

    study = make_study(tmp_path, donors_and_copies, group="donor")
    study.split.strategy = "group"
    split.split_study(study)
    assert straddling(study) == 0
    part = split_parts(study)
    _, _, rows = data.model_frame(study)
    assert (pd.DataFrame({"g": rows["donor"], "p": part}).groupby("g")["p"].nunique() == 1).all()


# ----- batch confounded with the label ----------------------------------------------------------


def confounded(t: pd.DataFrame) -> pd.DataFrame:
    t = t.copy()
    treated = (t["condition"] == "treated").to_numpy()
    rng = np.random.default_rng(2)
    t["batch"] = np.where(
        treated,
        rng.choice(["run1", "run2"], len(t), p=[0.85, 0.15]),
        rng.choice(["run1", "run2", "run3", "run4"], len(t), p=[0.05, 0.1, 0.45, 0.4]),
    )
    return t


def test_leave_batch_out_holds_whole_batches_and_says_why(tmp_path):
    study = make_study(tmp_path, confounded)
    batch_effect_report(study, n_permutations=3)
    assert study.batch.confounded
    split.split_study(study)
    apply_remedy(study, "batch-holdout", holdout_batches=["run2"])
    s = study.split
    _, _, rows = data.model_frame(study)
    batches = rows["batch"].to_numpy()
    assert set(batches[s.test_idx]) == {"run2"} and "run2" not in set(batches[s.train_idx + s.tune_idx])
    (record,) = [r for r in s.remedies if r["finding"] == "batch-confounded"]
    assert record["remedy"] == "batch-holdout"
    assert record["text"].startswith("Split: leave-batch-out") and "confounded with the label" in record["text"]
    assert "No correction (ComBat included) can undo confounding" in record["text"]
    assert "no correction (ComBat included) can undo that" in remedy_text(study)


def test_batch_label_stratified_keeps_every_cell_in_proportion(tmp_path):
    study = make_study(tmp_path, confounded)
    batch_effect_report(study, n_permutations=3)
    apply_remedy(study, "batch-label-stratified")
    split.split_study(study)
    s = study.split
    assert s.strategy == "batch-label-stratified"
    _, y, rows = data.model_frame(study)
    cells = rows["batch"].astype(str) + "|" + pd.Series(y).astype(str)
    whole = cells.value_counts(normalize=True)
    for idx in (s.train_idx, s.test_idx):
        share = cells.iloc[idx].value_counts(normalize=True)
        for cell, p in whole.items():
            if (cells == cell).sum() >= 10:  # every sizeable cell in each part, near its share
                assert abs(share.get(cell, 0.0) - p) < 0.05
    assert any(r["remedy"] == "batch-label-stratified" and "batch × label stratified" in r["text"] for r in s.remedies)


def test_small_cells_fall_back_to_the_label():
    strata = batch_label_strata(np.array(["a"] * 6 + ["b"] * 2), np.array([0, 1] * 3 + [0, 1]), True)
    assert list(strata[:6]) == ["a|0", "a|1"] * 3 and list(strata[6:]) == ["rest", "rest"]


def test_the_spec_accepts_the_new_strategy_and_keys():
    base = {"data": {"path": "x.csv", "label": "y", "batch": "run"}}
    check_spec({**base, "split": {"strategy": "batch-label-stratified", "keep_copies_together": False}})
    with pytest.raises(SpecError, match="needs \\[data\\] batch"):
        check_spec({"data": {"path": "x.csv", "label": "y"}, "split": {"strategy": "batch-label-stratified"}})


# ----- replicates: a group column found from the copies ----------------------------------------------


def replicates(t: pd.DataFrame) -> pd.DataFrame:
    """Each of 40 patients measured three times (tiny technical noise); their ID in 'patient_code'."""
    rng = np.random.default_rng(3)
    genes = [c for c in t.columns if c.startswith("GENE")]
    base = t.iloc[:40]
    reps = []
    for r in range(3):
        rep = base.copy()
        rep[genes] = rep[genes] + rng.normal(0, 0.01, (40, len(genes)))
        rep["sample_id"] = [f"S{i:02d}r{r}" for i in range(40)]
        rep["patient_code"] = [f"PT{i:02d}" for i in range(40)]
        reps.append(rep)
    return pd.concat(reps, ignore_index=True)


def test_replicates_name_their_group_column_and_the_group_split_is_applied(tmp_path):
    study = make_study(tmp_path, replicates)
    batch_effect_report(study, n_permutations=3)
    f = next(f for f in study.findings if f.code == "group-column-suggested")
    assert f.severity == "warning" and f.values["column"] == "patient_code"
    assert study.batch.group_suggestions[0]["from_copies"]
    near = next(f for f in study.findings if f.code == "near-duplicate-samples")
    assert "Most pairs share a value of 'patient_code'" in near.message
    split.split_study(study)
    apply_group_remedy(study, "patient_code", automatic=True)
    s = study.split
    assert study.data.group == "patient_code" and s.strategy == "group" and s.sealed
    _, _, rows = data.model_frame(study)
    spread = pd.DataFrame({"g": rows["patient_code"], "p": split_parts(study)}).groupby("g")["p"].nunique()
    assert (spread == 1).all()
    (record,) = [r for r in s.remedies if r["finding"] == "group-column-suggested"]
    assert "group split by `patient_code`" in record["text"] and "headless run" in record["text"]
    assert "group-column-suggested" not in study.finding_codes()


def test_near_copy_advice_knows_the_group_column_already_set(tmp_path):
    study = make_study(tmp_path, replicates, group="patient_code")
    batch_effect_report(study, n_permutations=3)
    near = next(f for f in study.findings if f.code == "near-duplicate-samples")
    assert "shares a value of the group column 'patient_code'" in near.message
    assert "group-column-suggested" not in study.finding_codes()


def test_no_group_column_is_proposed_when_copies_share_no_column():
    rows = pd.DataFrame({"site": ["a", "b", "c", "d"] * 5, "x": range(20)})
    pairs = [[0, 1, "near"], [2, 3, "near"], [4, 5, "near"], [6, 7, "near"]]
    assert group_column_from_copies(rows, pairs, exclude={"x"}) is None


# ----- headless: the same steps, applied from the spec ------------------------------------------


def run_until_split(tmp_path, table, extra: dict) -> Study:
    """``run_study`` on ``table``, stopped once the split is drawn; the study as it was saved."""
    from guiapp.core.pipeline import run_study
    from guiapp.core.study.errors import Cancelled

    path = tmp_path / "data.csv"
    table.to_csv(path, index=False)
    spec = {
        "data": {
            "path": str(path),
            "label": "condition",
            "batch": "batch",
            "identifiers": ["sample_id"],
            "sensitive": False,
        },
        **extra,
    }
    spec["data"].update(extra.get("data", {}))
    done = []
    with pytest.raises(Cancelled):
        run_study(
            spec,
            tmp_path / "out",
            on_step=lambda title, message: (
                done.append(title) if title == "Split" and message.startswith("done") else None
            ),
            ctx=TaskContext(should_stop=lambda: bool(done)),
        )
    return Study.open(tmp_path / "out.study")


def test_a_headless_run_applies_the_group_found_from_replicates(tmp_path):
    table = replicates(demo.simulated_expression(n_samples=160, n_genes=10, n_informative=4).table)
    study = run_until_split(tmp_path, table, {})
    s = study.split
    assert study.data.group == "patient_code" and s.strategy == "group"
    assert any("applied by the headless run" in r["text"] for r in s.remedies)
    (pii,) = [f for f in study.findings if f.values.get("column") == "patient_code" and f.code.startswith("pii")]
    assert pii.code == "pii-group-column"  # kept as the group, to be pseudonymised; not "remove it"
    near = next(f for f in study.findings if f.code == "near-duplicate-samples")
    assert "already keeps them together" in near.message


def test_a_spec_that_chooses_the_split_is_not_overridden(tmp_path):
    table = replicates(demo.simulated_expression(n_samples=160, n_genes=10, n_informative=4).table)
    study = run_until_split(tmp_path, table, {"split": {"strategy": "random"}})
    assert study.data.group == "" and study.split.strategy == "random"
    assert "group-column-suggested" in study.finding_codes()
    assert straddling(study) == 0  # the copies are still kept together


def test_the_card_report_and_json_carry_the_remedies(tmp_path):
    from guiapp.core.export import model_card
    from guiapp.core.export.report import render_report
    from tests.core.test_export import make_study as finished_study

    study = finished_study(tmp_path / "study")
    study.batch.confounded, study.batch.cramers_v = True, 0.81
    study.split.strategy, study.split.test_batches = "batch-holdout", ["site3"]
    study.split.copy_clusters = {"clusters": 12, "samples": 31, "moved": 9, "straddling": 0}
    from guiapp.core.split.remedies import record_split_remedies

    record_split_remedies(study)
    card = model_card.render_model_card(study, weights_shared=False, weights_reason="x", privacy=[])
    assert (
        "**Remedy:** Split: leave-batch-out (whole batches site3 held out as the test set) because batch "
        "`site` is confounded with the label" in card
    )
    assert "12 copy cluster(s) (31 samples) kept together" in card
    assert "No correction (ComBat included) can undo confounding" in card
    card_json = model_card.model_card_json(study, weights_shared=False, weights_reason="x", privacy=[])
    model_card.validate_model_card_json(card_json)
    assert "Split: leave-batch-out" in card_json["model_parameters"]["data"][0]["description"]
    assert "12 copy cluster(s) (31 samples) kept together" in render_report(study, privacy=[])


def test_an_applied_remedy_settles_its_finding_and_an_undone_one_does_not(tmp_path):
    from guiapp.core.study.blocking import unresolved_blocking

    study = make_study(tmp_path, confounded)
    batch_effect_report(study, n_permutations=3)
    split.split_study(study)
    assert "batch-confounded" in [f.code for f in unresolved_blocking(study)]
    apply_remedy(study, "batch-holdout", holdout_batches=["run2"])
    assert "batch-confounded" in study.settled_findings
    assert "leave-batch-out" in study.settled_findings["batch-confounded"]["remedy"]
    assert "batch-confounded" not in [f.code for f in unresolved_blocking(study)]
    # back to a plain stratified split: the remedy is gone, so the finding acts again
    study.split.sealed = False
    study.split.strategy = "stratified"
    split.split_study(study)
    assert "batch-confounded" not in study.settled_findings
    assert "batch-confounded" in [f.code for f in unresolved_blocking(study)]
