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


def test_next_stays_off_with_the_reason_until_the_data_are_loaded_and_checked(
    qtbot, window, run_and_wait, demo_csv, tmp_path
):
    """Guided mode blocks Next on the Data page, says which items and why, and lets go once the
    file is really loaded, scanned for identifiers and its sensitivity declared."""
    window.session.new_study(tmp_path / "study")
    window.study.question.title, window.study.question.target_value = "Is a breast mass malignant?", 0.9
    window.session.notify_changed()
    assert window.go_to("data")
    page = window.current_page()
    assert not window.next.isEnabled()
    note = page.checklist_note.text()
    assert page.checklist_note.isVisibleTo(page) and not page.checklist_warning.isVisibleTo(page)
    assert note.startswith("Guided mode: Next stays off until these items are done")
    assert "• The data were scanned for personal identifiers (Tip 10). Names, dates of birth" in note
    assert "• No identifier column is used as a feature (Tip 4). A sample ID" in note
    assert "• Whether the data are sensitive is declared (Tip 10)" in note
    assert "personal identifiers" in window.next.toolTip()

    page.set_path(demo_csv)
    page.label.setCurrentIndex(page.label.findData("diagnosis"))
    run_and_wait(window, page.load)
    assert window.study.data.n_samples == 569
    # Loaded and scanned; only the sensitivity answer is still missing, and the page says so.
    assert not window.next.isEnabled()
    note = page.checklist_note.text()
    assert "Whether the data are sensitive is declared (Tip 10)" in note and "scanned" not in note

    page.sensitivity.button(1).click()  # not sensitive
    assert window.study.data.sensitive is False
    assert window.next.isEnabled()
    assert not page.checklist_note.isVisibleTo(page) and page.checklist_note.text() == ""
    window.next.click()
    assert window.current_step == "batch"


def test_guided_mode_releases_the_split_step_once_the_split_is_drawn(qtbot, make_window, demo_study, run_and_wait):
    from guiapp.core.batch.effects import batch_effect_report
    from guiapp.core.privacy.ethics import set_sensitivity

    demo_study.question.target_value = 0.9
    set_sensitivity(demo_study, False)
    batch_effect_report(demo_study)
    window = make_window(demo_study)
    assert window.go_to("split"), window.current_page().blocked.text()
    page = window.current_page()
    assert not window.next.isEnabled()
    note = page.checklist_note.text()
    for words in ("A test set is held out and sealed (Tip 7)", "Samples per split", "No copies of a sample"):
        assert words in note
    assert not window.go_next() and window.current_step == "split"
    assert page.blocked.text().startswith("Guided mode: before you go on, a test set is held out and sealed")

    run_and_wait(window, page.draw)
    assert window.study.split.sealed
    assert window.next.isEnabled() and page.checklist_note.text() == ""
    assert page.blocked.text() == ""  # the earlier "not yet" is gone with the work done
    assert window.go_next() and window.current_step == "baselines"


def test_ordinary_mode_shows_the_open_items_as_a_warning(qtbot, window, tmp_path):
    window.session.new_study(tmp_path / "study")
    window.go_next()
    page = window.current_page()
    assert not window.next.isEnabled()
    window.guided_action.setChecked(False)
    assert window.next.isEnabled()
    assert not page.checklist_note.isVisibleTo(page)
    assert page.checklist_warning.isVisibleTo(page)
    assert page.checklist_warning.text().startswith("Checklist warning:")
    assert "The scientific question is stated (Tip 4)" in page.checklist_warning.text()


def test_clicking_a_checklist_item_goes_to_its_step_and_its_tooltip_explains_the_tip(qtbot, window, tmp_path):
    from guiapp.core.guidance.checklist import TIP_ADVICE

    window.session.new_study(tmp_path / "study")
    window.study.checklist_mode = False
    window.session.notify_changed()
    tip = window.checklist._items["samples-per-split"].toolTip(0)
    assert "Why: A tune or test set of a handful of samples" in tip
    assert TIP_ADVICE[7] in tip and "Split step; click to go there" in tip
    node = window.checklist._items["pii-scan-run"]
    assert TIP_ADVICE[10] in node.parent().toolTip(0)
    window.checklist.tree.scrollToItem(node)
    rect = window.checklist.tree.visualItemRect(node)
    assert rect.isValid()
    qtbot.mouseClick(window.checklist.tree.viewport(), Qt.LeftButton, pos=rect.center())
    assert window.current_step == "data"


def test_attesting_from_the_panel_asks_for_a_reason(qtbot, window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QInputDialog, QMessageBox

    window.session.new_study(tmp_path / "study")
    answers = iter([("", True), ("whatever", False), ("Agreed with the PI: ROC AUC 0.9", True)])
    asked = []
    monkeypatch.setattr(
        QInputDialog, "getMultiLineText", staticmethod(lambda *a, **k: asked.append(a[2]) or next(answers))
    )
    warned = []
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda *a, **k: warned.append(a[2])))
    assert not window.checklist.attest_item("success-criteria")  # an empty reason is refused
    assert "reason" in warned[0]
    assert not window.checklist.attest_item("success-criteria")  # cancelled
    assert "success-criteria" not in window.study.attestations
    assert window.checklist.attest_item("success-criteria")
    assert "A success criterion is set" in asked[0] and "say why" in asked[0]
    assert window.study.attestations["success-criteria"] == "Agreed with the PI: ROC AUC 0.9"
    assert "Your reason: Agreed with the PI" in window.checklist._items["success-criteria"].toolTip(0)
