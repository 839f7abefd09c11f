"""The Glossary: reachable from every page's help button, from linked words in the page texts,
and from the field names they explain; it shows the words in plain terms and a sketch."""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl
from PySide6.QtWidgets import QLabel

from guiapp.core.study import glossary
from guiapp.ui.glossary import GlossaryDialog


def test_every_page_has_a_help_button_that_opens_the_glossary_at_its_terms(qtbot, window):
    seen = set()
    for page in window.pages:
        assert page.help_button.isVisibleTo(page)
        with qtbot.waitSignal(page.glossary.opened) as opened:
            page.help_button.click()
        dialog = page.glossary.dialog
        assert isinstance(dialog, GlossaryDialog) and dialog.isVisible()
        first = glossary.STEP_TERMS[page.step_id][0]
        assert opened.args == [first] and dialog.current_key == first
        assert dialog.page_terms.text().startswith("On this page: ")
        seen.add(id(dialog))
    assert len(seen) == 1  # one dialog for the whole window


def test_the_train_page_explains_epoch_with_a_picture(qtbot, window):
    page = window.page("train")
    page.open_glossary()
    dialog = page.glossary.dialog
    assert dialog.current_key == "epoch"
    assert "One pass of training over every sample" in dialog.text.toPlainText()
    assert dialog.picture.isVisibleTo(dialog) and dialog.picture.renderer().isValid()
    dialog.show_term("seed")  # no sketch for this one
    assert not dialog.picture.isVisibleTo(dialog)
    assert "learning-rate" in page.glossary_terms and "batch-size" in page.glossary_terms


def test_words_in_a_page_text_are_links_to_their_term(qtbot, window):
    page = window.page("train")
    assert page.intro_label.textFormat() == Qt.RichText
    assert '<a href="glossary:epoch">epoch</a>' in page.intro_label.text()
    assert "epoch" in page.intro_terms and "checkpoint" in page.intro_terms
    with qtbot.waitSignal(page.glossary.opened) as opened:
        page.intro_label.linkActivated.emit("glossary:checkpoint")  # what a click on the link sends
    assert opened.args == ["checkpoint"]


def test_a_field_name_explains_itself_and_opens_the_glossary_when_clicked(qtbot, window):
    page = window.page("train")
    window.study.checklist_mode = False
    label = next(lb for lb in page.body_widget.findChildren(QLabel) if lb.text() == "Learning rate:")
    assert label.toolTip().startswith("Learning rate: How big a step the network takes")
    assert "learning-rate" in page.field_terms
    window.go_to("train", force=True)
    with qtbot.waitSignal(page.glossary.opened) as opened:
        qtbot.mouseClick(label, Qt.LeftButton)
    assert opened.args == ["learning-rate"]


def test_searching_the_glossary(qtbot, window):
    window.glossary_action.trigger()  # Help → Glossary (F1)
    dialog = window.current_page().glossary.dialog
    assert dialog.isVisible()
    qtbot.keyClicks(dialog.search, "overfit")
    assert dialog.terms.item(0).data(Qt.UserRole) == "overfitting"
    assert dialog.current_key == "overfitting"
    dialog.text.anchorClicked.emit(QUrl("glossary:dropout"))  # the "See also" link
    assert dialog.current_key == "dropout" and dialog.search.text() == ""
