"""What the Batch-effects page draws and does, without Qt: coded columns, stored positions,
the remedy's reason rule and the one-click group column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from guiapp.core.batch import effects as batch
from guiapp.core.batch import embedding_store
from guiapp.core.batch import remedy as batch_remedy
from guiapp.core.batch import views as batch_views
from guiapp.core.data import demo
from guiapp.core.split import remedy_actions
from guiapp.core.study.errors import TenfoldError


@pytest.fixture
def study(tmp_path):
    return demo.create_demo_study(
        "simulated_expression",
        tmp_path / "study",
        n_samples=120,
        n_genes=12,
        batch_strength=2.0,
        confounding=0.9,
        n_donors=15,
    )


def test_text_column_keeps_the_commonest_values_and_groups_the_rest():
    values = pd.Series([f"D{i % 20:02d}" for i in range(200)] + ["D00"] * 50 + [None] * 3)
    col = batch_views.colour_column(values, "donor")
    assert len(col.categories) == batch_views.MAX_CATEGORIES + 1  # 11 kept, other, missing
    assert col.categories[-2] == "other (9 values)" and col.categories[-1] == batch_views.MISSING
    assert col.muted == [11, 12] and sum(col.counts) == len(values)
    assert col.counts[col.categories.index("D00")] == 60
    assert col.codes.dtype == np.int32 and col.codes.max() == 12


def test_numeric_column_with_many_values_becomes_ordered_ranges():
    col = batch_views.colour_column(pd.Series(np.linspace(0, 60, 61)), "age")
    assert col.ordered and len(col.categories) == batch_views.NUMERIC_BINS
    assert col.categories[0] == "0 – 10" and col.categories[-1] == "50 – 60"
    assert sum(col.counts) == 61 and col.codes[-1] == batch_views.NUMERIC_BINS - 1


def test_batch_names_sort_naturally():
    col = batch_views.colour_column(pd.Series(["run10", "run2", "run1"]), "batch")
    assert col.categories == ["run1", "run2", "run10"]


def test_positions_are_stored_and_go_stale_with_the_features(study):
    report = batch.batch_effect_report(study, n_permutations=2)
    coords, evr = embedding_store.stored_embedding(study)
    np.testing.assert_allclose(coords, report.coordinates)
    assert evr == pytest.approx(report.explained_variance)
    view = batch_views.draw_samples(study)
    assert view.n == 120 and list(view.columns) == ["batch", "condition", "donor"]
    assert view.describe(0).splitlines()[0] == "S00000"
    study.data.feature_columns = study.data.feature_columns[:-1]  # other features: stale
    assert not embedding_store.has_stored_embedding(study)


def test_stored_metrics_rebuild_the_report_rows(study):
    report = batch.batch_effect_report(study, n_permutations=2)
    rows = {m.key: m for m in batch_views.stored_metrics(study)}
    for key, m in report.metrics.results.items():
        assert rows[key].value == pytest.approx(m.value) and rows[key].light == m.light
        assert (rows[key].name, rows[key].low, rows[key].high) == (m.name, m.low, m.high)


def test_no_remedy_needs_a_reason_once_an_effect_was_measured(study):
    remedy_actions.apply_remedy(study, "none")  # nothing measured yet: nothing to explain
    batch.batch_effect_report(study, n_permutations=2)
    assert batch_remedy.remedy_needs_reason(study)
    with pytest.raises(TenfoldError, match="say why no correction is needed"):
        remedy_actions.apply_remedy(study, "none", "  ")
    remedy_actions.apply_remedy(study, "none", "all runs are present at use")
    assert study.batch.remedy_reason == "all runs are present at use"


def test_use_group_column_takes_a_numeric_column_out_of_the_features(study):
    study.table["mouse"] = np.arange(len(study.table)) // 4  # an integer ID: read as a feature
    study.data.feature_columns = [*study.data.feature_columns, "mouse"]
    study.data.group = ""
    batch_remedy.use_group_column(study, "mouse")
    assert study.data.group == "mouse" and "mouse" not in study.data.feature_columns
    assert study.data.n_features == len(study.data.feature_columns)
    with pytest.raises(TenfoldError, match="label column"):
        batch_remedy.use_group_column(study, "condition")


def test_plot_colour_follows_the_batch_column(study):
    batch_column = study.data.batch
    study.data.batch = ""  # a study made in the window starts without one
    assert batch_views.colour_choice(study) == "label"
    assert study.batch.color_by == "batch"  # the fallback is not saved as a choice
    study.data.batch = batch_column
    assert batch_views.colour_choice(study) == "batch"
    batch_views.choose_colour(study, "label")
    assert batch_views.colour_choice(study) == "label"  # the user's choice, for this batch column
    study.data.batch = "donor"
    assert batch_views.colour_choice(study) == "batch"  # a new batch column colours by it again
