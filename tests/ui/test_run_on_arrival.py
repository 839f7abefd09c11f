"""Each step's routine work starts when the user moves on to it (View menu setting, on by default).

Only moving forward starts it, only when it has not been done, and never the sealed test.
"""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication

from guiapp.core.batch import effects as batch
from guiapp.core.privacy import ethics
from guiapp.ui import run_on_arrival


@pytest.fixture
def on_data(real_arrival_setting, make_window, demo_study):
    """A window on a study whose data are loaded, showing the Data page."""
    ethics.set_sensitivity(demo_study, False)
    demo_study.checklist_mode = False
    demo_study.save()
    window = make_window(demo_study)
    assert window.go_to("data", force=True)
    return window


def settle() -> None:
    for _ in range(3):
        QApplication.processEvents()


def test_the_setting_is_on_by_default_and_remembered(real_arrival_setting, make_window, demo_study):
    window = make_window(demo_study)
    assert window.run_on_arrival_action.isChecked() and run_on_arrival.run_on_arrival()
    window.run_on_arrival_action.setChecked(False)
    assert not run_on_arrival.run_on_arrival()
    assert not make_window(demo_study).run_on_arrival_action.isChecked()  # the next window remembers


def test_moving_on_starts_the_batch_check(qtbot, on_data):
    window = on_data
    assert not window.study.batch.explained_variance
    with qtbot.waitSignal(window.runner.finished, timeout=60_000):
        assert window.go_next()
    assert window.current_step == "batch"
    assert window.study.batch.explained_variance  # the check ran without a click
    assert window.current_page().arrival_action() is None  # done: arriving again starts nothing


def test_nothing_starts_when_the_setting_is_off(on_data):
    window = on_data
    window.run_on_arrival_action.setChecked(False)
    assert window.go_next()
    settle()
    assert window.current_step == "batch" and not window.runner.busy
    assert not window.study.batch.explained_variance


def test_going_back_starts_nothing(on_data):
    window = on_data
    assert window.go_to("split", force=True)
    assert window.go_back()  # to Batch effects, whose check has not run
    settle()
    assert window.current_step == "batch" and not window.runner.busy
    assert not window.study.batch.explained_variance


def test_done_work_is_not_repeated(qtbot, on_data):
    window = on_data
    batch.batch_effect_report(window.study)
    silhouette = window.study.batch.silhouette
    assert window.go_next()
    settle()
    assert not window.runner.busy and window.study.batch.silhouette == silhouette


def test_the_evaluate_page_never_opens_the_sealed_test_by_itself(make_window, demo_study, real_arrival_setting):
    window = make_window(demo_study)
    page = window.page("evaluate")
    assert page.arrival_action() in (None, page.tune_button)
    assert page.arrival_action() is not page.final_button
    # Pages whose step is a decision or an irreversible act start nothing.
    for step in ("study", "question", "data", "ethics", "export"):
        assert window.page(step).arrival_action() is None, step


def test_a_new_study_folder_moves_on_to_the_question(qtbot, window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    folder = tmp_path / "new"
    folder.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(folder)))
    window.current_page().new_button.click()
    settle()
    assert window.study.folder == folder and window.current_step == "question"


def test_a_confounded_batch_leaves_the_split_to_the_user(make_window, demo_study):
    demo_study.data.batch = demo_study.data.batch or "batch"
    demo_study.batch.confounded = True
    window = make_window(demo_study)
    assert window.page("split").arrival_action() is None
    demo_study.batch.confounded = False
    assert window.page("split").arrival_action() is window.page("split").draw


def test_a_step_list_click_backwards_starts_nothing(on_data):
    window = on_data
    assert window.go_to("split", force=True)
    assert window.go_to("batch")  # the step list, backwards
    settle()
    assert not window.runner.busy and not window.study.batch.explained_variance
