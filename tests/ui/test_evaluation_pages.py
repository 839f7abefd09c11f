"""The Question budgets, the Overfitting controls, the Evaluate page's panel, curves, subgroups
and scoreboard, and the Interpret page's attributions, clicked on a small trained study."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from guiapp.core.data import demo
from tests.ui.conftest import study_copy, trained_study


@pytest.fixture(scope="module")
def _trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("evaluation_pages")
    d = demo.simulated_expression(n_samples=160, n_genes=12, n_informative=4, effect_size=1.5)
    table = d.table.copy()
    table["sex"] = np.where(np.arange(len(table)) % 2, "F", "M")
    return trained_study(root, table, models=["logistic_regression"], epochs=15)


@pytest.fixture
def trained(_trained, tmp_path):
    return study_copy(_trained, tmp_path)


def test_question_page_budgets_write_the_study(make_window, trained):
    window = make_window(trained)
    assert window.go_to("question", force=True)
    page = window.current_page()
    assert page.max_parameters.text() == "no budget" and not page.max_ece.isEnabled()
    page.max_parameters.setValue(50_000)
    page.max_latency.setValue(2.5)
    page.max_minutes.setValue(10)
    page.calibration.setChecked(True)
    page.max_ece.setValue(0.08)
    q = window.study.question
    assert (q.max_parameters, q.max_latency_ms, q.max_training_minutes, q.max_calibration_error) == (
        50_000,
        2.5,
        10,
        0.08,
    )
    page.calibration.setChecked(False)
    page.max_latency.setValue(0)
    assert q.max_calibration_error is None and q.max_latency_ms is None


def test_overfitting_page_runs_the_learning_curve_and_the_shuffle_control(make_window, run_and_wait, trained):
    window = make_window(trained)
    assert window.go_to("overfitting", force=True)
    page = window.current_page()
    assert not page.curve_plot.has_plot and not page.shuffle_plot.has_plot
    page.curve_shares.setCurrentIndex(page.curve_shares.count() - 1)  # 50%, 100% (quick)
    run_and_wait(window, page.curve_button)
    lc = window.study.overfitting.learning_curve
    assert lc["fractions"] == [0.5, 1.0] and page.curve_plot.has_plot
    assert page.curve_reading.text() == lc["reading"]
    page.repeats.setValue(2)
    run_and_wait(window, page.shuffle_button)
    sh = window.study.overfitting.shuffle
    assert len(sh["shuffled_tune"]) == 2 and page.shuffle_plot.has_plot
    assert page.shuffle_verdict.isVisible() and page.shuffle_verdict.text() == sh["reading"]
    assert page.action_buttons and all(b.isEnabled() for b in page.action_buttons)


def test_evaluate_page_shows_panel_curves_subgroups_and_scoreboard(make_window, run_and_wait, trained, monkeypatch):
    trained.question.target_metric, trained.question.target_value = "mcc", 0.2
    trained.question.max_parameters = 10  # a budget the network cannot meet
    window = make_window(trained)
    assert window.go_to("evaluate", force=True)
    page = window.current_page()
    assert page.threshold.isEnabled()  # a binary task
    items = {page.subgroup_list.item(i).text(): page.subgroup_list.item(i) for i in range(page.subgroup_list.count())}
    assert "sex" in items and "batch" not in items  # the batch column is always reported
    items["sex"].setCheckState(Qt.Checked)
    assert window.study.data.subgroups == ["sex"]
    page.threshold.setValue(0.4)
    assert window.study.evaluation.threshold == pytest.approx(0.4)
    run_and_wait(window, page.tune_button)
    panel = window.study.evaluation.tune_metrics
    assert panel["details"]["threshold"] == pytest.approx(0.4)
    # The models down the tune table, the metrics across, the best of each marked.
    table = page.tune_table
    assert [table.cell_text(r, 0) for r in range(table.rowCount())] == ["Network", "Logistic regression (L2)"]
    headers = [table.horizontalHeaderItem(c).text().replace("\n", " ") for c in range(table.columnCount())]
    assert headers[1] == "MCC" and "ROC AUC" in headers  # the target metric first
    assert "(95% CI" in table.item(0, 1).toolTip()
    assert all(any("★" in table.cell_text(r, c) for r in range(2)) for c in range(1, table.columnCount()))
    assert page.roc_plot.has_plot and page.pr_plot.has_plot and page.calibration_plot.has_plot
    assert page.confusion_table.rowCount() == 2
    factors = {page.groups_table.cell_text(r, 0) for r in range(page.groups_table.rowCount())}
    assert factors == {"batch", "sex"}
    board = {
        page.scoreboard_table.cell_text(r, 0): page.scoreboard_table.cell_text(r, 3)
        for r in range(page.scoreboard_table.rowCount())
    }
    assert board == {"Target metric": "met", "Model size": "not met"}
    assert "success-criterion-not-met" in page.findings.codes
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.Yes))
    run_and_wait(window, page.final_button)
    assert window.study.split.test_uses == 1 and page.test_table.isVisible()
    # The answer in words, and the models down the table, metrics across, the best marked.
    from guiapp.core.evaluation.conclusion import conclusion

    assert page.conclusion.isVisible() and "on the sealed test set the network scored" in page.conclusion.text()
    assert conclusion(window.study).split(";")[0] in page.conclusion.text()
    assert [page.test_table.cell_text(r, 0) for r in range(page.test_table.rowCount())] == [
        "Network",
        "Logistic regression (L2)",
    ]
    assert any("★" in page.test_table.cell_text(r, 1) for r in range(2))
    assert window.study.evaluation.test_groups and "test" in page.groups_table.horizontalHeaderItem(3).text()


def test_interpret_page_shows_attributions_agreement_and_guards(make_window, run_and_wait, trained):
    window = make_window(trained)
    assert window.go_to("interpret", force=True)
    page = window.current_page()
    page.repeats.setValue(1)
    page.top.setValue(5)
    run_and_wait(window, page.run_button)
    it = window.study.interpret
    assert it.importances and page.plot.has_plot
    if page.use_ig.isChecked():  # captum installed
        assert it.attributions and page.ig_plot.has_plot
    assert it.agreement["k"] and page.agreement_table.rowCount() == it.agreement["k"]
    assert "Correlation is not causation" in page.guards.text()


def test_interpret_page_draws_image_and_sequence_maps(make_window, trained):
    from guiapp.core.interpretation.attribution_maps import quantise

    mean = np.zeros((8, 8))
    mean[0, :] = 1.0
    example = {
        "label": "predicted treated (0.91)",
        "image": quantise(np.eye(8)),
        "integrated_gradients": quantise(mean),
        "saliency": quantise(mean),
    }
    trained.interpret.maps = {
        "kind": "image",
        "mean": quantise(mean),
        "examples": [example, example],
        "reading": "Per pixel, the top edge carries 9.0 times the centre.",
        "warning": "The network leans on the image border.",
    }
    window = make_window(trained)
    assert window.go_to("interpret", force=True)
    page = window.current_page()
    page.refresh()
    view = page.maps
    assert not view.isHidden() and view.images.isVisibleTo(view) and not view.profile.isVisibleTo(view)
    pictures = [p for p in view.panels if p.pixmap() is not None and not p.pixmap().isNull()]
    assert len(pictures) == 1 + 2 * 3  # the mean map, and image + two maps per sample
    assert pictures[0].pixmap().width() == 160  # an 8 × 8 map, drawn large with sharp pixels
    assert "leans on the image border" in view.reading.text()

    trained.interpret.maps = {
        "kind": "sequence",
        "profile": [0.1, 0.5, 0.2],
        "reading": "Position 2 (G).",
        "top_positions": [{"position": 2, "letter": "G", "share": 0.6, "direction": "up"}],
    }
    page.refresh()
    assert not view.images.isVisibleTo(view) and view.profile.has_plot and view.positions.rowCount() == 1
    assert view.positions.item(0, 1).text() == "G" and view.reading.text() == "Position 2 (G)."

    trained.interpret.maps = {}
    page.refresh()
    assert view.isHidden() and not page.maps_heading.isVisibleTo(page)


def test_export_page_writes_onnx_when_asked(make_window, run_and_wait, trained, tmp_path):
    pytest.importorskip("onnx")
    window = make_window(trained)
    assert window.go_to("export", force=True)
    page = window.current_page()
    assert page.onnx.isEnabled() and not page.onnx.isChecked()
    page.onnx.setChecked(True)
    assert window.study.export.onnx
    page.out_dir.setText(str(tmp_path / "bundle"))
    run_and_wait(window, page.export)
    assert (tmp_path / "bundle" / "model" / "model.onnx").is_file()
    assert "model.onnx (ONNX)" in page.weights.text()


def test_export_page_says_the_disk_is_full_and_keeps_the_previous_bundle(
    make_window, run_and_wait, trained, tmp_path, monkeypatch
):
    import errno
    import hashlib

    window = make_window(trained)
    assert window.go_to("export", force=True)
    page = window.current_page()
    page.out_dir.setText(str(tmp_path / "bundle"))
    run_and_wait(window, page.export)
    digest = hashlib.sha256((tmp_path / "bundle" / "manifest.json").read_bytes()).hexdigest()
    assert digest in page.info.text()
    before = {p: p.read_bytes() for p in (tmp_path / "bundle").rglob("*") if p.is_file()}

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("guiapp.core.export.report.write_report", full_disk)
    run_and_wait(window, page.export)
    assert page.error.isVisibleTo(page) and "The disk is full: free" in page.error.text()
    assert "previous bundle there is unchanged" in page.error.text()
    assert {p: p.read_bytes() for p in (tmp_path / "bundle").rglob("*") if p.is_file()} == before
