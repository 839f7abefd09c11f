"""The Data page's explorer: the first rows, sortable, missing values shaded; one column's
distribution; two columns against each other coloured by the label or the batch."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import Qt

from guiapp.core.data import attach as data
from guiapp.core.study.model import Study


@pytest.fixture
def study_with_gaps(tmp_path):
    rng = np.random.default_rng(7)
    n = 1_200
    table = pd.DataFrame(
        {
            "sample_id": [f"S{i:04d}" for i in range(n)],
            "gene_a": rng.normal(5, 1, n),
            "gene_b": rng.normal(0, 2, n),
            "run": np.repeat(["r1", "r2", "r3"], n // 3),
            "condition": np.tile(["treated", "control"], n // 2),
        }
    )
    table.loc[[3, 10], "gene_a"] = np.nan
    table.to_csv(tmp_path / "gaps.csv", index=False)
    study = Study()
    study.save(tmp_path / "study")
    data.attach_data(
        study,
        data.AttachRequest(
            tmp_path / "gaps.csv", label="condition", batch="run", identifiers=["sample_id"], sensitive=False
        ),
    )
    study.checklist_mode = False
    return study


def test_the_explorer_shows_rows_missing_values_a_distribution_and_a_scatter(qtbot, make_window, study_with_gaps):
    window = make_window(study_with_gaps)
    assert window.go_to("data", force=True)
    page = window.page("data")
    explorer = page.data_in.explorer
    page.tabs.setCurrentWidget(page.explore_tab)  # the explorer has a tab of its own on the page
    qtbot.waitUntil(lambda: explorer.table_frame is not None, timeout=30_000)
    assert "first 1,000 of 1,200 rows" in explorer.table_note.text()
    model = explorer.model
    while model.canFetchMore():
        model.fetchMore()
    assert model.rowCount() == 1_000  # capped
    col = list(explorer.table_frame.columns).index("gene_a")
    assert model.is_missing(3, col) and model.index(3, col).data(Qt.BackgroundRole) is not None
    assert model.index(4, col).data(Qt.BackgroundRole) is None
    # sorting by gene_a puts the smallest value first (numbers sort as numbers)
    explorer.table.sortByColumn(col, Qt.AscendingOrder)
    first = float(explorer.proxy.index(0, col).data())
    values = explorer.table_frame["gene_a"].iloc[:1000].dropna()
    assert first == pytest.approx(float(f"{values.min():.6g}"))

    assert explorer.distribution_result is None  # computed only once its tab is shown
    explorer.setCurrentIndex(1)
    qtbot.waitUntil(lambda: explorer.distribution_result is not None, timeout=30_000)
    assert explorer.distribution_result["column"] == "condition"  # the label first
    assert explorer.distribution_plot.drawn
    explorer.distribution_column.setCurrentText("gene_a")
    qtbot.waitUntil(lambda: explorer.distribution_result["column"] == "gene_a", timeout=30_000)
    assert explorer.distribution_result["missing"] == 2 and "2 missing" in explorer.distribution_note.text()

    explorer.setCurrentIndex(2)
    qtbot.waitUntil(lambda: explorer.scatter_result is not None, timeout=30_000)
    assert explorer.scatter_plot.drawn
    assert [explorer.scatter_colour.itemData(i) for i in range(explorer.scatter_colour.count())] == [
        "condition",
        "run",
        "",
    ]
    explorer.scatter_colour.setCurrentIndex(1)  # the batch
    qtbot.waitUntil(lambda: set(explorer.scatter_result["groups"]) == {"r1", "r2", "r3"}, timeout=30_000)
    item = explorer.scatter_plot._widget.getPlotItem()
    assert "coloured by run" in item.titleLabel.text and explorer.scatter_result["n"] == 1_198
