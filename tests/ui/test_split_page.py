"""The Split page: strategies offered by the study's columns, held-out batches, groups per split."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from guiapp.core.data import demo
from guiapp.core.data.attach import model_frame


def expression_study(folder, **kw):
    options = dict(n_samples=240, n_genes=20, n_informative=5, n_batches=4, n_donors=24)
    options.update(kw)
    return demo.create_demo_study("simulated_expression", folder, **options)


def split_page(window):
    window.go_to("split", force=True)
    return window.current_page()


def strategy_item(page, strategy):
    return page.strategy.model().item(page.strategy.findData(strategy))


def test_batch_holdout_puts_the_chosen_batch_only_in_the_test_set(qtbot, make_window, run_and_wait, tmp_path):
    window = make_window(expression_study(tmp_path / "study"))
    page = split_page(window)
    assert not page.holdout.isVisibleTo(page)
    page.strategy.setCurrentIndex(page.strategy.findData("batch-holdout"))
    assert page.holdout.isVisibleTo(page)
    names = [page.holdout.item(i).data(Qt.UserRole) for i in range(page.holdout.count())]
    assert names == ["run1", "run2", "run3", "run4"]
    page.holdout.item(names.index("run2")).setCheckState(Qt.Checked)
    assert page.held_out() == ["run2"]
    run_and_wait(window, page.draw)

    s = window.study.split
    assert s.strategy == "batch-holdout" and s.test_batches == ["run2"] and s.holdout_batches == ["run2"]
    _, _, rows = model_frame(window.study)
    runs = rows["batch"].to_numpy()
    assert set(runs[s.test_idx]) == {"run2"}
    assert "run2" not in set(runs[s.train_idx]) | set(runs[s.tune_idx])
    assert (runs == "run2").sum() == len(s.test_idx)  # every run2 sample is in the test set
    assert page.sealed.text().startswith("Test set sealed:")
    assert "run2" in page.design.text()
    headers = [page.table.horizontalHeaderItem(c).text() for c in range(page.table.columnCount())]
    assert headers[-1] == "batches ('batch')" and headers[1:3] == ["control", "treated"]
    assert page.table.cell_text(2, 0) == "test" and page.table.cell_text(2, len(headers) - 1) == "run2"


def test_group_split_keeps_each_donor_in_one_part(qtbot, make_window, run_and_wait, tmp_path):
    window = make_window(expression_study(tmp_path / "study"))
    page = split_page(window)
    page.strategy.setCurrentIndex(page.strategy.findData("group"))
    run_and_wait(window, page.draw)
    s = window.study.split
    _, _, rows = model_frame(window.study)
    donors = rows["donor"].to_numpy()
    parts = [set(donors[getattr(s, f"{p}_idx")]) for p in ("train", "tune", "test")]
    assert not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
    headers = [page.table.horizontalHeaderItem(c).text() for c in range(page.table.columnCount())]
    assert "groups ('donor')" in headers
    col = headers.index("groups ('donor')")
    assert [int(page.table.cell_text(r, col)) for r in range(3)] == [len(p) for p in parts]
    assert sum(int(page.table.cell_text(r, headers.index("total"))) for r in range(3)) == 240


def test_group_and_batch_strategies_need_their_columns(qtbot, make_window, demo_study):
    window = make_window(demo_study)  # breast cancer: no batch column, no group column
    page = split_page(window)
    for strategy, words in (("group", "group column"), ("batch-holdout", "batch column")):
        item = strategy_item(page, strategy)
        assert not item.isEnabled()
        assert words in page.strategy.itemData(page.strategy.findData(strategy), Qt.ToolTipRole)
    assert strategy_item(page, "stratified").isEnabled() and strategy_item(page, "random").isEnabled()
    assert np.all(
        [
            page.strategy.itemData(i, Qt.ToolTipRole) is None
            for i in (page.strategy.findData("stratified"), page.strategy.findData("random"))
        ]
    )
