"""The Data page on a 7-sample counts table with a sample sheet: the table loads and is profiled
(no error, no traceback), the too-few-samples finding says the same words as the CLI, the sheet's
technical columns are not features until set to feature in the roles table, and the wizard does
not go on to the Split step."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.core.small_counts import write_small_counts


def test_a_seven_sample_counts_table_is_profiled_and_stops_before_the_split(qtbot, window, run_and_wait, tmp_path):
    counts, sheet = write_small_counts(tmp_path, n_genes=300)
    window.session.new_study(tmp_path / "study")
    window.study.checklist_mode = False
    assert window.go_to("data")
    page = window.current_page()
    page.set_path(counts)
    page.data_in.samples.setText(str(sheet))
    page._on_path()
    page.label.setCurrentIndex(page.label.findData("condition"))
    run_and_wait(window, page.load)
    assert not page.error.text(), page.error.text()
    assert window.study.data.n_samples == 7
    assert "too-few-samples" in page.findings.codes
    text = " ".join(page.findings.texts())
    assert "7 samples after turning the genes × samples table" in text and "Traceback" not in text
    assert "number of lanes" not in window.study.data.feature_columns
    # the roles table says which columns came from the sheet; setting one to feature joins it
    qtbot.waitUntil(lambda: not page.data_in.roles_pending, timeout=10_000)
    model = page.data_in.roles_model
    row = model.row_of("exon counts")
    assert model.index(row, 1).data() == "ignore"
    assert "from the sample sheet" in model.index(row, 4).data()
    assert model.setData(model.index(row, 1), "feature", Qt.EditRole)
    run_and_wait(window, page.data_in.apply_roles)
    assert "exon counts" in window.study.data.feature_columns
    assert "number of lanes" not in window.study.data.feature_columns
    assert window.go_to("batch")
    assert not window.go_to("split")
    assert window.current_step == "batch"
