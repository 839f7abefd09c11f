"""Cancelling a training mid-run keeps the wizard usable, and the run can be resumed."""

from __future__ import annotations

import pytest

from guiapp.core.split import draw as split


@pytest.fixture
def split_study(demo_study):
    split.split_study(demo_study)
    demo_study.checklist_mode = False  # these tests jump straight to the Train page
    demo_study.save()
    return demo_study


def test_cancel_training_mid_run_then_train_again(qtbot, make_window, split_study):
    window = make_window(split_study)
    assert window.go_to("train")
    page = window.current_page()
    page.device.setCurrentIndex(page.device.findData("cpu"))
    page.max_epochs.setValue(5000)
    page.patience.setValue(5000)

    with qtbot.waitSignal(window.runner.epoch, timeout=90000):
        page.train_button.click()
    assert page.cancel_button.isEnabled() and window.cancel.isEnabled()
    assert not page.train_button.isEnabled() and not page.max_epochs.isEnabled()
    other = window.page("architecture")  # other pages are read-only while training changes the study
    assert not other.body_widget.isEnabled() and "training the network" in other.busy_note.text()
    assert page.body_widget.isEnabled() and not page.busy_note.isVisibleTo(page)
    with qtbot.waitSignal(window.runner.cancelled, timeout=30000):
        page.cancel_button.click()
    qtbot.waitUntil(lambda: not window.runner.busy)

    t = window.study.train
    assert t.status == "cancelled"
    assert 1 <= len(t.history) < 5000
    assert "Cancelled" in page.info.text()
    assert page.resume_button.isVisibleTo(page) and page.resume_button.isEnabled()
    assert page.train_button.isEnabled() and page.max_epochs.isEnabled()
    assert not page.cancel_button.isEnabled()
    assert not page.error.isVisibleTo(page)
    assert other.body_widget.isEnabled() and other.width.isEnabled()

    # The rest of the wizard still works: the next step is reachable and back again.
    assert window.go_to("overfitting")
    assert window.go_to("train")

    # A fresh, short run finishes.
    page.max_epochs.setValue(2)
    with qtbot.waitSignal(window.runner.finished, timeout=60000):
        page.train_button.click()
    assert window.study.train.status == "done"
    assert len(window.study.train.history) == 2
    assert not page.resume_button.isVisibleTo(page)


def test_a_cancelled_study_reopens_with_resume(qtbot, make_window, split_study):
    split_study.train.max_epochs = 4
    split_study.train.device = "cpu"
    from guiapp.core.models.train import train_network

    stop_after = {"n": 0}

    def stop_after_two():
        return stop_after["n"] >= 2

    def count(record):
        stop_after["n"] += 1

    from guiapp.core.study.errors import Cancelled
    from guiapp.core.study.task_context import TaskContext

    with pytest.raises(Cancelled):
        train_network(split_study, ctx=TaskContext(should_stop=stop_after_two, on_epoch=count))
    window = make_window(type(split_study).open(split_study.folder))
    qtbot.waitUntil(lambda: not window.runner.busy)  # the table is read again in the background
    assert window.go_to("train")
    page = window.current_page()
    assert page.resume_button.isVisibleTo(page)
    assert "Resume" in page.eta.text()
    with qtbot.waitSignal(window.runner.finished, timeout=60000):
        page.resume_button.click()
    assert window.study.train.status == "done"
    assert [r["epoch"] for r in window.study.train.history] == [1, 2, 3, 4]
