"""Nothing typed is lost, a finished step looks finished, and Export ends with what it wrote."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QDesktopServices

from guiapp.core.study.model import Study
from guiapp.core.study.steps import STEP_IDS
from guiapp.ui.main_window import STEP_STATUS


def test_question_typed_before_the_folder_exists_is_kept(qtbot, window, tmp_path):
    assert window.study.folder is None
    assert window.go_to("question", force=True)
    page = window.current_page()
    qtbot.keyClicks(page.title, "Do cultivars differ in their chemistry?")
    assert window.session.new_study(tmp_path / "study") is None
    assert window.study.folder == tmp_path / "study"
    assert window.study.question.title == "Do cultivars differ in their chemistry?"
    window.go_to("question", force=True)
    assert window.current_page().title.text() == "Do cultivars differ in their chemistry?"
    assert Study.open(tmp_path / "study").question.title == "Do cultivars differ in their chemistry?"


def test_a_step_with_only_optional_items_open_shows_done_with_a_badge(window, tmp_path):
    assert window.session.new_study(tmp_path / "study") is None
    export = window.steps.item(STEP_IDS.index("export"))  # its two items are optional
    assert export.data(STEP_STATUS) == "done" and export.data(STEP_STATUS + 1) == 2
    question = window.steps.item(STEP_IDS.index("question"))  # required items open
    assert question.data(STEP_STATUS) == "open"


def test_export_ends_with_a_summary_and_opens_the_report(qtbot, window, tmp_path, monkeypatch):
    assert window.session.new_study(tmp_path / "study") is None
    out = tmp_path / "bundle"
    (out / "model").mkdir(parents=True)
    for name in (
        "model_card.md",
        "report.html",
        "privacy.md",
        "predictions.csv",
        "manifest.json",
        "model/model.safetensors",
    ):
        (out / name).write_text("x")
    window.study.export.exported_at = "2026-01-01T00:00:00+00:00"
    window.go_to("export", force=True)
    page = window.current_page()
    page.out_dir.setText(str(out))
    page.refresh()
    assert page.summary.isVisible()
    assert page.summary.text().startswith("Written: 6 files — the model card, the report with its plots")
    assert "Model weights: Shared in the export" in page.summary.text()
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda url: opened.append(url) or True))
    assert page.open_report.isEnabled()
    page.open_report.click()
    page.open.click()
    assert [Path(u.toLocalFile()) for u in opened] == [out / "report.html", out]


def test_open_report_says_why_it_is_off_before_an_export(window, tmp_path):
    assert window.session.new_study(tmp_path / "study") is None
    window.go_to("export", force=True)
    page = window.current_page()
    page.out_dir.setText(str(tmp_path / "nothing-yet"))
    page.refresh()
    assert not page.open_report.isEnabled() and "Export first" in page.open_report.toolTip()
    assert not page.summary.isVisible()
