"""The Batch-effects page on simulated data with a planted, confounded batch effect."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from PySide6.QtWidgets import QFileDialog

from guiapp.core.batch import effects as batch
from guiapp.core.batch import embedding_store
from guiapp.core.batch import remedy as batch_remedy
from guiapp.core.batch import views as batch_views
from guiapp.core.batch.remedy import REASON_NEEDED
from guiapp.core.data import demo
from guiapp.core.data.attach import reload_table
from guiapp.core.split import draw as split
from guiapp.core.study.model import Study

PERMUTATIONS = 3


def confounded_study(folder, **kw) -> Study:
    """240 samples, 3 runs: a strong batch shift, 90% of samples in a run of their condition."""
    options = dict(n_samples=240, n_genes=30, n_informative=5, batch_strength=2.0, confounding=0.9, n_donors=24)
    options.update(kw)
    return demo.create_demo_study("simulated_expression", folder, **options)


@pytest.fixture
def looked_at(tmp_path) -> Study:
    """A saved, confounded study whose batch report the core already made."""
    study = confounded_study(tmp_path / "study")
    batch.batch_effect_report(study, n_permutations=PERMUTATIONS)
    study.save()
    return study


def batch_page(window):
    window.go_to("batch", force=True)
    page = window.current_page()
    page.n_permutations, page.remedy_permutations = PERMUTATIONS, PERMUTATIONS
    return page


def test_page_shows_the_planted_effect_and_names_the_confounding(qtbot, make_window, run_and_wait, tmp_path):
    window = make_window(confounded_study(tmp_path / "study"))
    page = batch_page(window)
    assert not page.metrics.isVisible() and not page.confounding.warning_shown
    run_and_wait(window, page.run_button)

    assert page.plot.has_plot and page.report is not None
    legend = page.plot.legend_entries()  # "run1 (88)": each batch with its count
    assert [e.split(" ")[0] for e in legend] == ["run1", "run2", "run3"]
    assert sum(int(e.split("(")[1].rstrip(")")) for e in legend) == 240
    lights = page.metrics.lights
    assert {"silhouette", "pcr_batch", "kbet_rejection"} <= set(lights)
    assert lights["silhouette"] in ("red", "amber") and lights["pcr_batch"] in ("red", "amber")
    assert "red" in page.metrics.cell_text(0, 0) or "amber" in page.metrics.cell_text(0, 0)
    # The confounding is named: as a finding, and as the panel's warning beside its table.
    assert "batch-confounded" in page.findings.codes
    assert page.confounding.warning_shown
    assert "confounded with the label" in page.confounding.warning.text()
    assert "Cramér's V" in page.confounding.summary.text()
    assert page.confounding.table.rowCount() == 3  # one row per run
    assert page.variance.drawn  # drawn behind its folded section
    # Hovering a sample names it: identifier, batch and label.
    view = page.view
    x, y = view.coordinates[0]
    i = page.plot.sample_at(float(x), float(y))
    assert i is not None
    text = view.describe(i)
    assert text.startswith("S") and "batch (batch): run" in text and "label (condition): " in text
    # The study records it all, so the card and a reopened study can read it.
    assert window.study.batch.confounded and window.study.batch.lights == lights
    assert embedding_store.has_stored_embedding(window.study)


def test_reopened_study_shows_the_report_and_colours_by_any_column(qtbot, make_window, looked_at):
    study = Study.open(looked_at.folder)
    reload_table(study)
    window = make_window(study)
    with qtbot.waitSignal(window.runner.finished, timeout=30_000):  # the stored positions load
        page = batch_page(window)
    assert page.plot.has_plot and page.report is None  # nothing was computed again
    assert page.metrics.lights == looked_at.batch.lights
    assert page.confounding.warning_shown

    before = page.plot.legend_entries()
    assert [e.split(" ")[0] for e in before] == ["run1", "run2", "run3"]
    page.color_by.setCurrentIndex(page.color_by.findData("donor"))
    after = page.plot.legend_entries()
    assert window.study.batch.color_by == "donor"
    assert after != before and after[0].startswith("D0") and after[-1].startswith("other (")
    page.color_by.setCurrentIndex(page.color_by.findData("label"))
    assert [e.split(" ")[0] for e in page.plot.legend_entries()] == ["control", "treated"]


def test_combat_remedy_is_recorded_with_before_and_after(qtbot, make_window, run_and_wait, looked_at):
    split.split_study(looked_at)
    window = make_window(looked_at)
    page = batch_page(window)
    page.remedy.radios["combat"].click()
    page.color_by.setCurrentIndex(page.color_by.findData("label"))  # refreshes the page…
    assert page.remedy.choice() == "combat"  # …without undoing the choice not yet applied
    run_and_wait(window, page.remedy.apply)
    b = window.study.batch
    assert b.remedy == "combat"
    assert b.after["after"]["silhouette"] < b.after["before"]["silhouette"]
    assert page.remedy.after.isVisibleTo(page) and page.remedy.after.rowCount() >= 5
    assert page.remedy.after.cell_text(0, 0) == "batch silhouette"
    assert "ComBat" in batch_remedy.remedy_text(window.study)


def test_no_remedy_needs_a_reason_when_an_effect_was_found(qtbot, make_window, run_and_wait, looked_at):
    window = make_window(looked_at)
    page = batch_page(window)
    page.remedy.radios["none"].click()
    page.remedy.reason.clear()
    page.remedy.apply.click()
    assert not window.runner.busy  # refused before any work
    assert page.remedy.message.text() == REASON_NEEDED and page.remedy.message.isVisibleTo(page)
    assert window.study.batch.remedy_reason == ""

    qtbot.keyClicks(page.remedy.reason, "every run will also be present when the model is used")
    run_and_wait(window, page.remedy.apply)
    assert window.study.batch.remedy == "none"
    assert window.study.batch.remedy_reason.startswith("every run")
    assert "every run" in page.remedy.recorded.text()


def test_a_suggested_group_column_is_used_with_one_click(qtbot, make_window, run_and_wait, tmp_path):
    study = confounded_study(tmp_path / "study")
    study.data.group = ""  # as if the user had not declared the donors
    batch.batch_effect_report(study, n_permutations=PERMUTATIONS)
    assert "group-column-suggested" in study.finding_codes()
    window = make_window(study)
    page = batch_page(window)
    assert page.independence.suggested_columns() == ["donor"]
    assert not page.remedy.radios["group-split"].isEnabled()
    run_and_wait(window, page.independence.buttons[0])
    assert window.study.data.group == "donor"
    assert "group-column-suggested" not in window.study.finding_codes()
    assert page.independence.suggested_columns() == []
    assert page.remedy.radios["group-split"].isEnabled()


def test_plot_saves_as_png_and_svg(qtbot, make_window, looked_at, tmp_path, monkeypatch):
    window = make_window(looked_at)
    page = batch_page(window)
    page.set_report(None)
    view = batch_views.draw_samples(looked_at)  # stored: loaded, not computed
    page._set_view(view)
    page.refresh()
    for name in ("plot.png", "plot.svg"):
        target = tmp_path / name
        monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, t=target, **k: (str(t), "")))
        page.export_button.click()
        assert target.is_file() and target.stat().st_size > 2_000, page.error.text()
    assert "<svg" in (tmp_path / "plot.svg").read_text()[:400]


def test_umap_is_hidden_with_a_hint_when_not_installed(qtbot, make_window, looked_at, monkeypatch):
    monkeypatch.setattr(batch_views, "umap_available", lambda: False)
    window = make_window(looked_at)
    page = window.page("batch")
    assert page.view_kind.findData("umap") == -1
    assert "pip install umap-learn" in page.view_kind.toolTip()


def synthetic_view(n: int) -> batch_views.SampleView:
    rng = np.random.default_rng(0)
    batches = pd.Series(rng.choice([f"run{i}" for i in range(1, 7)], n))
    labels = pd.Series(rng.choice(["control", "treated"], n))
    age = pd.Series(rng.normal(50, 12, n))
    columns = {
        "batch": batch_views.colour_column(batches, "batch"),
        "condition": batch_views.colour_column(labels, "condition"),
        "age": batch_views.colour_column(age, "age"),
    }
    return batch_views.SampleView(
        kind="pca",
        coordinates=rng.normal(size=(n, 2)).astype(np.float32),
        axis_labels=("PC1", "PC2"),
        columns=columns,
        names=np.array([f"S{i:06d}" for i in range(n)], dtype=object),
        identifier="id",
        batch="batch",
        label="condition",
        batch_values=batches.to_numpy(dtype=object),
        label_values=labels.to_numpy(dtype=object),
    )


def test_100k_points_draw_well_under_a_second(qtbot):
    from guiapp.ui.scatter import SampleScatter

    small, view = synthetic_view(50), synthetic_view(100_000)
    plot = SampleScatter("", "test scatter")
    qtbot.addWidget(plot)
    plot.resize(800, 500)
    plot.show()
    plot.set_view(small, "batch")  # pyqtgraph imported and set up outside the timing
    plot.grab()
    t0 = time.perf_counter()
    plot.set_view(view, "batch")
    plot.grab()  # a full paint of every point
    drawn = time.perf_counter() - t0
    t0 = time.perf_counter()
    plot.colour_by("age")
    plot.grab()
    recoloured = time.perf_counter() - t0
    assert drawn < 1.0 and recoloured < 1.0, (drawn, recoloured)
    assert plot.legend_entries()[0].endswith(")") and len(plot.legend_entries()) == batch_views.NUMERIC_BINS
    assert sum(int(e.rsplit("(", 1)[1].rstrip(")").replace(",", "")) for e in plot.legend_entries()) == 100_000
    t0 = time.perf_counter()
    assert plot.sample_at(*map(float, view.coordinates[123])) is not None
    assert time.perf_counter() - t0 < 0.05  # hover: one vectorised distance, no per-point objects


def test_umap_view_when_installed(qtbot, make_window, looked_at, monkeypatch):
    """With umap-learn importable the view is offered, drawn in the background and stored."""
    import importlib.machinery
    import sys
    import types

    fake = types.ModuleType("umap")
    fake.__spec__ = importlib.machinery.ModuleSpec("umap", None)
    fake.UMAP = lambda **kw: types.SimpleNamespace(fit_transform=lambda X: X[:, [1, 0]])
    monkeypatch.setitem(sys.modules, "umap", fake)
    window = make_window(looked_at)
    page = batch_page(window)
    page.set_report(None)
    page._set_view(batch_views.draw_samples(looked_at))
    with qtbot.waitSignal(window.runner.finished, timeout=30_000):
        page.view_kind.setCurrentIndex(page.view_kind.findData("umap"))
    assert page.view.kind == "umap" and page.view.axis_labels == ("UMAP 1", "UMAP 2")
    assert page.plot.has_plot and embedding_store.has_stored_embedding(looked_at, "umap")
    assert embedding_store.has_stored_embedding(looked_at, "pca")  # the PCA is kept beside it


def test_copies_across_the_split_are_listed_by_name(qtbot, make_window, looked_at):
    split.split_study(looked_at)
    s = looked_at.split
    a, b = s.train_idx[0], s.test_idx[0]
    looked_at.batch.duplicate_pairs = [[min(a, b), max(a, b), "exact"]]
    window = make_window(looked_at)
    page = batch_page(window)
    assert "1 pair(s) sit on both sides of the split" in page.independence.copies.text()
    assert page.independence.pairs.rowCount() == 1
    names = {page.independence.pairs.cell_text(0, 0), page.independence.pairs.cell_text(0, 1)}
    assert names == {f"S{a:05d}", f"S{b:05d}"}
    assert page.independence.pairs.cell_text(0, 3) in ("train / test", "test / train")


def test_plot_is_coloured_by_the_batch_once_a_batch_column_is_set(qtbot, make_window, looked_at):
    batch_column = looked_at.data.batch
    looked_at.data.batch = ""
    looked_at.save()
    study = Study.open(looked_at.folder)
    reload_table(study)
    window = make_window(study)
    with qtbot.waitSignal(window.runner.finished, timeout=30_000):
        page = batch_page(window)
    assert page.color_by.currentData() == "label"
    window.study.data.batch = batch_column
    page.refresh()
    assert page.color_by.currentData() == "batch"
    assert [e.split(" ")[0] for e in page.plot.legend_entries()] == ["run1", "run2", "run3"]
