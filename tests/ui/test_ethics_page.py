"""The Ethics & privacy page: the register (add, edit, resolve, automatic entries), the card's own
fields, the membership audit and DP retraining through the runner, the sharing decision; and the
sensitivity questions of the Data page."""

from __future__ import annotations

import pytest

from guiapp.core.privacy import ethics
from guiapp.core.split import draw as split
from guiapp.core.study.findings import Findings


@pytest.fixture
def trained_demo(demo_study):
    """The breast-cancer demo study, split and trained for 2 epochs of a small network (core calls)."""
    from guiapp.core.models.recommend import set_architecture
    from guiapp.core.models.train import train_network

    split.split_study(demo_study)
    set_architecture(demo_study, width=8, depth=1, dropout=0.1)
    t = demo_study.train
    t.device, t.max_epochs, t.batch_size = "cpu", 2, 64
    train_network(demo_study)
    demo_study.checklist_mode = False  # these tests jump straight to the Ethics page
    demo_study.save()
    return demo_study


@pytest.fixture
def ethics_page(make_window, trained_demo):
    window = make_window(trained_demo)
    assert window.go_to("ethics")
    page = window.current_page()
    assert page.step_id == "ethics"
    return window, page


def test_register_add_edit_resolve_and_automatic_entries(qtbot, ethics_page):
    window, page = ethics_page
    study = window.study
    study.add_finding(Findings.batch_confounded.raise_(batch="site", cramers_v=0.9, detail="Site A holds only cases."))
    page.refresh()
    auto = [e for e in study.ethics.register if e["finding"] == "batch-confounded:site"]
    assert len(auto) == 1 and "Cramér" in page.register.cell_text(study.ethics.register.index(auto[0]), 1)
    page.refresh()
    assert len([e for e in study.ethics.register if e["finding"] == "batch-confounded:site"]) == 1  # once

    page.concern.setText("Samples from one hospital only")
    page.raised_by.setText("A. Reviewer")
    page.add.click()
    row = len(study.ethics.register) - 1
    assert study.ethics.register[row]["concern"] == "Samples from one hospital only"
    assert page.concern.text() == ""

    page.register.selectRow(row)
    assert page.concern.text() == "Samples from one hospital only"  # selecting fills the form
    page.concern.setText("Samples from one hospital (Leiden) only")
    page.save_entry.click()
    assert study.ethics.register[row]["concern"] == "Samples from one hospital (Leiden) only"

    page.register.selectRow(row)
    page.mitigation.setText("Stated in the model card's limitations")
    page.resolve.click()  # the mitigation field says how: no dialog
    assert study.ethics.register[row]["status"] == "resolved"
    assert page.register.cell_text(row, 3) == "resolved"

    page.concern.clear()
    page.add.click()
    assert "Write the concern" in page.error.text()


def test_card_fields_are_written_to_the_study(qtbot, ethics_page):
    window, page = ethics_page
    page.card_fields["intended_use"].setPlainText("Teaching the workflow")
    page.card_fields["limitations"].setPlainText("One public dataset")
    assert window.study.ethics.intended_use == "Teaching the workflow"
    assert window.study.ethics.limitations == "One public dataset"
    assert window.checklist._items["card-fields-written"] is not None


def test_audit_and_dp_run_through_the_runner(qtbot, ethics_page, run_and_wait):
    window, page = ethics_page
    assert "Not run yet." in page.privacy.audit_table.cell_text(0, 0)
    run_and_wait(window, page.audit_button)
    assert set(window.study.ethics.membership["models"]) == {"network", "knn"}
    assert page.privacy.audit_table.rowCount() == 2 and page.privacy.audit_table.cell_text(1, 0) == "kNN baseline"
    assert "ROC AUC" in page.privacy.audit_reading.text()
    assert page.privacy.risk.level in ("low", "medium", "high") and page.privacy.attack_plot.isHidden()
    page.privacy._show_details(True)  # the attack's numbers and ROC curves are technical details
    assert page.privacy.attack_plot.has_plot and not page.privacy.dp_plot.has_plot

    page.privacy.epsilon.setValue(4.0)
    page.privacy.dp_epochs.setValue(2)
    run_and_wait(window, page.dp_button)
    dp = window.study.ethics.dp
    assert abs(dp["epsilon"] - 4.0) / 4.0 < 0.05 and dp["epochs"] == 2
    assert "ε =" in page.privacy.dp_result.text() and "Trained with differential privacy" in page.info.text()
    assert window.study.path(dp["weights"]).is_file()
    assert page.privacy.dp_plot.has_plot and [h["target_epsilon"] for h in dp["history"]] == [4.0]


def test_sharing_sensitive_weights_needs_a_reason(qtbot, ethics_page):
    window, page = ethics_page
    page.sensitivity.button(0).click()  # sensitive
    assert window.study.data.sensitive is True
    assert Findings.sensitive_data.code in page.findings.codes
    page.share.setCurrentIndex(page.share.findData("always"))
    page.reason.clear()
    page.record.click()
    assert "needs a reason" in page.error.text() and not window.study.ethics.decided_at
    page.reason.setText("Consent covers open release")
    page.record.click()
    assert window.study.ethics.share_weights == "always"
    assert window.study.ethics.register[-1]["mitigation"] == "Consent covers open release"
    assert any("although the data are treated as sensitive" in n.text() for n in page.privacy_notes)


def test_data_page_sensitivity_questions(qtbot, make_window, demo_study):
    demo_study.checklist_mode = False
    window = make_window(demo_study)
    assert window.go_to("data")
    page = window.current_page()
    page.answer_boxes["about_humans"].setCurrentIndex(page.answer_boxes["about_humans"].findData(True))
    page.answer_boxes["identifiable"].setCurrentIndex(page.answer_boxes["identifiable"].findData(True))
    d = window.study.data
    assert d.about_humans is True and d.identifiable is True
    assert Findings.consent_unrecorded.code in page.findings.codes
    assert "Suggested: sensitive" in page.suggestion.text()
    page.answer_boxes["consent"].setChecked(True)
    page.answer_refs["consent_reference"].setText("")
    qtbot.keyClicks(page.answer_refs["consent_reference"], "IRB-42")
    assert d.consent is True and d.consent_reference == "IRB-42"
    assert Findings.consent_unrecorded.code not in window.study.finding_codes()


def _grid_studies():
    """The core tests' builder of small image and sequence studies (tests/core/grid_studies.py)."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "grid_studies", Path(__file__).parents[1] / "core" / "grid_studies.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dp_retraining_of_a_transformer_is_refused_on_the_page_and_the_wizard_stays_usable(
    qtbot, make_window, run_and_wait, tmp_path
):
    study = _grid_studies().trained_grid_study(tmp_path, "transformer", n=40, epochs=1)
    study.checklist_mode = False
    study.save()
    window = make_window(study)
    assert window.go_to("ethics")
    page = window.current_page()
    page.privacy.dp_epochs.setValue(1)
    run_and_wait(window, page.dp_button)
    shown = page.error.text()
    assert "transformer" in shown and "cnn1d" in shown.lower().replace(" ", "")  # what to do instead
    assert not window.study.ethics.dp  # nothing recorded as if it had run
    run_and_wait(window, page.audit_button)  # the page still works
    page.privacy._show_details(True)  # the attack's ROC curves are a technical detail
    assert "network" in window.study.ethics.membership["models"] and page.privacy.attack_plot.has_plot


def test_both_required_decisions_are_on_the_first_tab_in_view_at_1280x800(qtbot, ethics_page):
    """The register and the weights decision need no tab click and no scrolling; declaring the data
    not sensitive records nothing by itself, and one click records Tenfold's default choice."""
    from PySide6.QtWidgets import QApplication, QScrollArea

    window, page = ethics_page
    window.resize(1280, 800)
    assert window.checklist.isVisible() and not window.checklist.isFloating()
    page.tabs.setCurrentIndex(page.tabs.count() - 1)  # a return visit that left another tab in front
    assert window.go_to("data", force=True) and window.go_to("ethics", force=True)
    page.tabs.setCurrentIndex(0)
    for _ in range(5):
        QApplication.processEvents()
    area = page.findChild(QScrollArea)
    area.verticalScrollBar().setValue(0)
    QApplication.processEvents()
    assert page.tabs.tabText(0) == "Decisions"
    viewport = area.viewport()
    for button in (page.none, page.record):
        assert page.tabs.widget(0).isAncestorOf(button)
        assert button.isVisible() and button.isEnabled(), button.text()
        top = button.mapTo(viewport, button.rect().topLeft())
        bottom = button.mapTo(viewport, button.rect().bottomRight())
        assert 0 <= top.y() and bottom.y() <= viewport.height(), (button.text(), top.y(), bottom.y())
        assert 0 <= top.x() and bottom.x() <= viewport.width(), (button.text(), top.x(), bottom.x())

    page.sensitivity.button(1).click()  # not sensitive
    assert window.study.data.sensitive is False
    assert not window.study.ethics.decided_at and page.share.currentData() == "auto" and page.reason.text() == ""
    assert "No decision recorded yet" in page.decision.text()
    page.none.click()
    page.record.click()  # the default choice, no reason: one click
    assert window.study.ethics.register[-1]["concern"] == ethics.NO_CONCERNS
    assert window.study.ethics.decided_at and window.study.ethics.share_weights == "auto"
    assert page.tabs.currentIndex() == 0 and "Recorded on" in page.decision.text()


def test_a_refresh_keeps_an_unrecorded_choice(qtbot, ethics_page):
    """Adding a register entry refreshes the page; the weights choice being made stays as it is."""
    window, page = ethics_page
    page.share.setCurrentIndex(page.share.findData("never"))
    page.reason.setText("Not before the paper is out")
    page.none.click()
    assert page.share.currentData() == "never" and page.reason.text() == "Not before the paper is out"
    assert not window.study.ethics.decided_at  # nothing recorded without the click
    page.record.click()
    assert window.study.ethics.share_weights == "never"
    assert window.study.ethics.share_reason == "Not before the paper is out"
