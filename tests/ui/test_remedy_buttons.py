"""Remedy buttons apply the same core step as the headless run: leave-batch-out and batch × label
strata on the Split page, "Use as group column" on the Batch-effects page, copies kept together."""

from __future__ import annotations

import pandas as pd

from guiapp.core.batch import effects as batch
from guiapp.core.batch.confounding import split_parts
from guiapp.core.data import demo
from guiapp.core.data.attach import model_frame
from guiapp.core.study.model import Study

PERMUTATIONS = 3


def confounded(folder) -> Study:
    study = demo.create_demo_study(
        "simulated_expression",
        folder,
        n_samples=240,
        n_genes=20,
        n_informative=5,
        batch_strength=2.0,
        confounding=0.9,
        n_donors=24,
    )
    batch.batch_effect_report(study, n_permutations=PERMUTATIONS)
    study.save()
    assert study.batch.confounded
    return study


def split_page(window):
    window.go_to("split", force=True)
    return window.current_page()


def test_leave_batch_out_button_holds_whole_batches_and_records_why(qtbot, make_window, run_and_wait, tmp_path):
    window = make_window(confounded(tmp_path / "study"))
    page = split_page(window)
    assert page.leave_batch_out.isVisibleTo(page) and page.batch_strata.isVisibleTo(page)
    run_and_wait(window, page.leave_batch_out)
    s = window.study.split
    assert s.sealed and s.strategy == "batch-holdout" and window.study.batch.remedy == "batch-holdout"
    _, _, rows = model_frame(window.study)
    runs = rows["batch"].to_numpy()
    assert set(runs[s.test_idx]) == set(s.test_batches)
    assert not set(s.test_batches) & (set(runs[s.train_idx]) | set(runs[s.tune_idx]))
    assert "Split: leave-batch-out" in page.design.text()


def test_batch_label_strata_button_draws_that_split(qtbot, make_window, run_and_wait, tmp_path):
    window = make_window(confounded(tmp_path / "study"))
    page = split_page(window)
    run_and_wait(window, page.batch_strata)
    s = window.study.split
    assert s.sealed and s.strategy == "batch-label-stratified"
    assert any(r["remedy"] == "batch-label-stratified" for r in s.remedies)


def test_the_split_page_keeps_copies_together_unless_told_not_to(qtbot, make_window, run_and_wait, tmp_path):
    study = demo.create_demo_study(
        "simulated_expression", tmp_path / "study", n_samples=200, n_genes=12, n_informative=4
    )
    study.batch.duplicate_pairs = [[i, i + 100, "near"] for i in range(30)]  # as the Batch page found them
    study.batch.explained_variance = [0.5]
    window = make_window(study)
    page = split_page(window)
    assert page.keep_copies.isChecked()
    run_and_wait(window, page.draw)
    part = split_parts(window.study)
    assert all(part[i] == part[i + 100] for i in range(30))
    assert window.study.split.copy_clusters["clusters"] == 30


def test_use_as_group_column_applies_the_group_split(qtbot, make_window, run_and_wait, tmp_path):
    study = confounded(tmp_path / "study")
    study.data.group = ""
    batch.batch_effect_report(study, n_permutations=PERMUTATIONS)
    window = make_window(study)
    window.go_to("batch", force=True)
    page = window.current_page()
    assert page.independence.suggested_columns()[0] == "donor"
    run_and_wait(window, page.independence.buttons[0])
    s = window.study.split
    assert window.study.data.group == "donor" and s.strategy == "group"
    assert any(r["finding"] == "group-column-suggested" and "group split by `donor`" in r["text"] for r in s.remedies)
    window.go_to("split", force=True)
    page = window.current_page()
    run_and_wait(window, page.draw)
    _, _, rows = model_frame(window.study)
    spread = pd.DataFrame({"g": rows["donor"], "p": split_parts(window.study)}).groupby("g")["p"].nunique()
    assert (spread == 1).all()


def test_the_data_page_finds_a_leak_while_loading_and_sets_it_aside(qtbot, window, run_and_wait, tmp_path):
    import numpy as np
    from sklearn.datasets import load_breast_cancer

    table = load_breast_cancer(as_frame=True).frame.rename(columns={"target": "diagnosis"})
    table["pathology_grade"] = table["diagnosis"] * 2 + np.random.default_rng(0).normal(0, 0.1, len(table))
    path = tmp_path / "leaky.csv"
    table.to_csv(path, index=False)
    window.session.new_study(tmp_path / "study")
    window.study.checklist_mode = False
    assert window.go_to("data")
    page = window.current_page()
    page.set_path(path)
    page.label.setCurrentIndex(page.label.findData("diagnosis"))
    run_and_wait(window, page.load)  # the scan runs with the load, on the worker thread
    (leak,) = [f for f in window.study.findings if f.code == "possible-label-leak"]
    assert leak.severity == "error" and "pathology_grade" in leak.values["columns"]
    assert page.set_aside.isVisibleTo(page)
    run_and_wait(window, page.set_aside)
    d = window.study.data
    assert "pathology_grade" not in d.feature_columns and d.roles["pathology_grade"] == "ignore"
    assert "possible-label-leak" not in window.study.finding_codes()
    assert any(r["remedy"] == "feature-set-aside" for r in window.study.split.remedies)
    assert not page.set_aside.isVisibleTo(page)
