"""Study design: batch tied to the label, group columns, and copies of samples."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from guiapp.core.batch import confounding as cf
from guiapp.core.batch.effects import batch_effect_report
from guiapp.core.batch.group_columns import suggest_group_columns
from guiapp.core.data import attach as data
from guiapp.core.data import demo
from guiapp.core.split import draw as split
from guiapp.core.study.model import Study

rng = np.random.default_rng(0)


def make_study(folder: Path, *, group: str = "", do_split: bool = False, table=None, **gen) -> Study:
    d = demo.simulated_expression(**{"n_samples": 200, "n_genes": 12, "n_informative": 4, **gen})
    if table is not None:
        d.table = table(d.table)
    path = demo.write_demo(d, folder / "data")
    study = Study()
    study.save(folder / "study")
    data.attach_data(study, data.AttachRequest(path, label=d.label, batch=d.batch, group=group, sensitive=False))
    if do_split:
        split.split_study(study)
    return study


# ----- Cramér's V and the confounding rule ---------------------------------------------------------


def test_cramers_v_matches_the_textbook_formula():
    table = np.array([[30, 10, 5], [8, 25, 12], [2, 5, 20]], dtype=float)
    n = table.sum()
    expected = np.outer(table.sum(1), table.sum(0)) / n
    chi2 = ((table - expected) ** 2 / expected).sum()
    v, p = cf.cramers_v(table)
    assert v == pytest.approx(np.sqrt(chi2 / (n * 2)))
    assert 0 < p < 1e-6
    assert cf.cramers_v(np.array([[5, 5], [5, 5]]))[0] == pytest.approx(0.0)
    assert cf.cramers_v(np.array([[10, 0], [0, 7]]))[0] == pytest.approx(1.0)


def test_batches_holding_one_label_are_confounded_and_named():
    batches = ["a"] * 20 + ["b"] * 20 + ["c"] * 20
    labels = ["x"] * 20 + ["y"] * 20 + ["x", "y"] * 10
    r = cf.batch_label_confounding(batches, labels)
    assert r.confounded and r.cramers_v >= cf.CONFOUNDED_V
    assert r.single_label_batches == [{"batch": "a", "label": "x", "n": 20}, {"batch": "b", "label": "y", "n": 20}]
    assert r.table["c"] == {"x": 10, "y": 10}
    f = cf.confounding_finding("run", r)
    assert f.code == "batch-confounded" and "a holds only 'x' (20 samples)" in f.message


def test_a_single_label_batch_of_ten_confounds_even_when_v_is_low():
    batches = ["small"] * 10 + ["big1"] * 200 + ["big2"] * 200
    labels = ["x"] * 10 + ["x", "y"] * 200
    r = cf.batch_label_confounding(batches, labels)
    assert r.cramers_v < cf.CONFOUNDED_V and r.confounded
    nine = cf.batch_label_confounding(batches[1:], labels[1:])
    assert not nine.confounded  # nine samples of one label may be chance


def test_independent_batch_and_label_are_not_confounded():
    r = cf.batch_label_confounding(rng.integers(0, 3, 600), rng.integers(0, 2, 600))
    assert not r.confounded and r.cramers_v < 0.15
    assert cf.confounding_finding("run", r) is None


def test_a_numeric_label_gets_the_share_of_variance_explained_by_batch():
    b = np.repeat(["a", "b"], 50)
    y = np.where(b == "a", 0.0, 3.0) + rng.normal(0, 1, 100)
    r = cf.batch_label_confounding(b, y, task="regression")
    total = ((y - y.mean()) ** 2).sum()
    between = 50 * ((y[:50].mean() - y.mean()) ** 2 + (y[50:].mean() - y.mean()) ** 2)
    assert r.eta_squared == pytest.approx(between / total)
    assert r.confounded and r.cramers_v is None and r.p_value < 1e-6


@pytest.mark.parametrize("confounding, expected", [(0.0, False), (1.0, True)])
def test_the_generator_plants_confounding_and_the_report_names_it(tmp_path, confounding, expected):
    study = make_study(tmp_path, confounding=confounding, batch_strength=0.5)
    report = batch_effect_report(study, n_permutations=3)
    assert ("batch-confounded" in study.finding_codes()) is expected
    assert study.batch.confounded is expected
    if expected:
        assert report.confounding.cramers_v == pytest.approx(1.0)
        assert {s["batch"] for s in study.batch.single_label_batches} == {"run1", "run2", "run3"}
    else:
        assert report.confounding.cramers_v < 0.3


def test_the_generator_defaults_are_unchanged_by_the_new_knobs():
    a = demo.simulated_expression(n_samples=80, n_genes=6, seed=3)
    b = demo.simulated_expression(n_samples=80, n_genes=6, seed=3, confounding=0.0, n_donors=0)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert "donor" not in a.table.columns and a.group == ""
    c = demo.simulated_expression(n_samples=80, n_genes=6, seed=3, n_donors=8)
    assert c.group == "donor" and c.table["donor"].nunique() == 8
    # each donor has one condition
    assert (c.table.groupby("donor")["condition"].nunique() == 1).all()


# ----- group columns -------------------------------------------------------------------------------


def test_group_columns_are_suggested_by_name_and_by_id_like_values():
    n = 60
    table = pd.DataFrame(
        {
            "sample_id": [f"S{i}" for i in range(n)],  # unique: nothing to group
            "PatientID": np.repeat(np.arange(12), 5),  # name, camelCase, integer codes
            "source": np.repeat([f"LINE-{i:02d}" for i in range(10)], 6),  # ID-like values
            "tissue": np.tile(["liver", "lung", "gut"], 20),  # a factor, not an ID
            "donor_age": rng.normal(50, 10, n).round(1),  # a measurement
            "condition": np.tile(["a", "b"], 30),
        }
    )
    found = suggest_group_columns(table, exclude={"condition"})
    assert [g["column"] for g in found] == ["PatientID", "source"]
    assert "patient" in found[0]["reason"] and found[0]["n_groups"] == 12
    assert "ID-like" in found[1]["reason"]
    assert suggest_group_columns(table, exclude={"PatientID", "source"}) == []


def test_the_report_suggests_the_donor_column_until_it_is_chosen(tmp_path):
    study = make_study(tmp_path / "a", n_donors=12)
    report = batch_effect_report(study, n_permutations=3)
    assert report.group_suggestions[0]["column"] == "donor"
    assert "group-column-suggested" in study.finding_codes()
    chosen = make_study(tmp_path / "b", n_donors=12, group="donor")
    batch_effect_report(chosen, n_permutations=3)
    assert "group-column-suggested" not in chosen.finding_codes()


# ----- copies of samples -----------------------------------------------------------------------------


def test_exact_and_near_copies_are_found_and_independent_samples_are_not():
    X = rng.normal(size=(300, 40)).astype(np.float32)
    X[10] = X[3]  # exact
    X[11] = X[3]  # a third copy
    X[20] = X[5] + rng.normal(0, 0.02, 40)  # near: 0.02 SD apart
    X[30] = X[6] + rng.normal(0, 0.5, 40)  # a relative, not a copy
    report = cf.find_duplicates(X)
    assert report.exact_pairs == [(3, 10), (10, 11)]
    assert report.near_pairs == [(5, 20)]
    assert report.pairs() == [[3, 10, "exact"], [10, 11, "exact"], [5, 20, "near"]]
    clean = cf.find_duplicates(rng.normal(size=(300, 40)))
    assert clean.exact_pairs == [] and clean.near_pairs == []


def test_the_copy_search_is_bounded_and_says_how_far_it_looked():
    X = rng.normal(size=(500, 10))
    assert cf.find_duplicates(X, max_queries=100).searched == 100
    assert cf.find_duplicates(X, near=False).searched == 0


def test_missing_values_do_not_hide_or_invent_copies():
    X = rng.normal(size=(50, 6))
    X[0, 2] = np.nan
    X[7] = X[0]
    assert cf.find_duplicates(X).exact_pairs == [(0, 7)]


def test_pairs_and_groups_across_the_split():
    part = np.array([0, 0, 1, 2, 0, 1])
    pairs = [[0, 1, "exact"], [1, 2, "near"], [3, 5, "exact"]]
    assert cf.pairs_across_split(pairs, part) == [[1, 2, "near"], [3, 5, "exact"]]
    assert cf.groups_across_split(["a", "a", "b", "b", "c", "c"], part) == ["b", "c"]


def test_copies_split_apart_raise_duplicates_across_splits(tmp_path):
    def with_copies(t):
        copies = t.iloc[:40].copy()
        copies["sample_id"] = [f"C{i}" for i in range(40)]
        return pd.concat([t, copies], ignore_index=True)

    study = make_study(tmp_path, table=with_copies)
    batch_effect_report(study, n_permutations=3)
    split.split_study(study)  # copy-aware by default: every copy stays with its original
    assert "duplicates-across-splits" not in study.finding_codes()
    assert study.split.copy_clusters["clusters"] == 40 and study.split.copy_clusters["samples"] == 80
    study.split.keep_copies_together = False
    split.split_study(study)
    assert "duplicates-across-splits" in study.finding_codes()
    f = next(f for f in study.findings if f.code == "duplicates-across-splits")
    assert f.step == "split" and f.values["exact"] == f.values["count"] > 0


def test_a_split_before_the_report_still_finds_exact_copies(tmp_path):
    def with_copies(t):
        return pd.concat([t, t.iloc[:40].assign(sample_id=[f"C{i}" for i in range(40)])], ignore_index=True)

    study = make_study(tmp_path, table=with_copies, do_split=True)
    assert "copies-kept-together" in study.finding_codes()
    study.split.keep_copies_together = False
    split.split_study(study)
    assert "duplicates-across-splits" in study.finding_codes()


def test_groups_on_both_sides_of_a_random_split_are_reported(tmp_path):
    study = make_study(tmp_path, n_donors=10, group="donor", do_split=True)
    assert "groups-across-splits" in study.finding_codes()
    study.split.strategy = "group"
    split.split_study(study)
    assert "groups-across-splits" not in study.finding_codes()
