"""Guided mode keeps you on a step while its required checklist items are open; ordinary mode warns."""

from __future__ import annotations

from PySide6.QtCore import Qt


def test_guided_mode_blocks_next_without_a_question(qtbot, window, tmp_path):
    window.session.new_study(tmp_path / "study")
    assert window.study.checklist_mode and window.guided_action.isChecked()
    assert window.go_next()
    page = window.current_page()
    assert page.step_id == "question"

    assert not window.go_next()
    assert window.current_step == "question"
    assert page.blocked.isVisibleTo(page)
    reason = page.blocked.text()
    assert reason.startswith("Guided mode")
    assert "the scientific question is stated (Tip 4)" in reason
    # The step list says the same, and will not jump ahead either.
    data_item = window.steps.item(2)
    assert not data_item.flags() & Qt.ItemIsEnabled
    assert "Question step" in data_item.toolTip()
    assert not window.go_to("data")
    assert window.current_step == "question"


def test_ordinary_mode_lets_you_through_with_a_warning(qtbot, window, tmp_path):
    window.session.new_study(tmp_path / "study")
    window.go_next()
    window.guided_action.setChecked(False)  # View → Guided checklist mode
    assert window.study.checklist_mode is False
    assert window.go_next()
    assert window.current_step == "data"
    assert "open checklist items" in window.status_label.text()
    assert "scientific question" in window.status_label.text()


def test_typing_a_question_unblocks_guided_mode(qtbot, window, tmp_path):
    window.session.new_study(tmp_path / "study")
    window.go_next()
    page = window.current_page()
    qtbot.keyClicks(page.title, "Does expression predict relapse?")
    page.target.setValue(0.8)
    assert window.go_next()
    assert window.current_step == "data"
    assert window.windowTitle() == "Tenfold — Does expression predict relapse?"
    saved = (tmp_path / "study" / "study.json").read_text()
    assert "Does expression predict relapse?" in saved  # Next saved the typed title


def test_prerequisites_grey_out_later_steps(qtbot, window):
    # No study folder yet: Data and everything after it are out of reach, and say why.
    window.study.checklist_mode = False
    window._refresh_chrome()
    for row in range(2, 13):
        item = window.steps.item(row)
        assert not item.flags() & Qt.ItemIsEnabled
    assert "study folder" in window.steps.item(2).toolTip()
    assert window.steps.item(1).flags() & Qt.ItemIsEnabled
