"""The task runner: results, errors, cancel, refusal while busy, throttling, shutdown."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from guiapp.core.study.errors import DataError, TenfoldError
from guiapp.ui.runner import TaskRunner


@pytest.fixture
def runner(qtbot):
    r = TaskRunner()
    yield r
    r.shutdown()


def spin_until_stopped(progress, should_stop):
    while not should_stop():
        progress(0.5, "working")
        time.sleep(0.001)
    from guiapp.core.study.errors import Cancelled

    raise Cancelled()


def test_result_reaches_the_callback_on_the_gui_thread(qtbot, runner):
    seen = {}

    def on_result(value):
        seen["value"] = value
        seen["thread"] = threading.get_ident()

    with qtbot.waitSignal(runner.finished):
        assert runner.start(lambda study: study * 2, {"study": 21}, name="doubling", on_result=on_result)
    assert seen["value"] == 42
    assert seen["thread"] == threading.main_thread().ident
    assert not runner.busy


def test_a_tenfold_error_reaches_the_error_signal_with_its_message(qtbot, runner):
    def bad_file(progress, should_stop):
        raise DataError("counts.csv is empty. Choose the file that holds your samples.")

    errors = []
    with qtbot.waitSignal(runner.error) as blocker:
        runner.start(bad_file, name="loading the data", on_error=errors.append)
    assert blocker.args == ["counts.csv is empty. Choose the file that holds your samples."]
    assert errors == blocker.args
    assert not runner.busy


def test_an_unexpected_exception_is_logged_and_told_plainly(qtbot, runner, caplog):
    def broken():
        raise ValueError("internal detail nobody should see")

    with caplog.at_level(logging.ERROR, logger="guiapp.ui"):
        with qtbot.waitSignal(runner.error) as blocker:
            runner.start(broken, name="fitting the baselines")
    message = blocker.args[0]
    assert "fitting the baselines" in message and "ValueError" in message
    assert "Traceback" not in message and "internal detail" not in message
    assert "internal detail nobody should see" in caplog.text  # the traceback went to the log


def test_cancel_stops_the_task_and_emits_cancelled(qtbot, runner):
    with qtbot.waitSignal(runner.progress, timeout=5000):
        runner.start(spin_until_stopped, name="spinning")
    with qtbot.waitSignals([runner.cancelled, runner.finished], timeout=5000):
        runner.cancel()
    assert not runner.busy


def test_start_refuses_while_busy(qtbot, runner):
    assert runner.start(spin_until_stopped, name="first") is not None
    assert runner.start(lambda: 1, name="second") is None
    with qtbot.waitSignal(runner.finished, timeout=5000):
        runner.cancel()
    with qtbot.waitSignal(runner.finished):
        assert runner.start(lambda: 1, name="third") is not None


def test_progress_is_throttled(qtbot, runner):
    def chatty(progress):
        for i in range(20000):
            progress(i / 20000, "step")
        return "ok"

    seen = []
    runner.progress.connect(lambda f, m: seen.append(f))
    with qtbot.waitSignal(runner.finished, timeout=10000):
        runner.start(chatty, name="chatting")
    assert 1 <= len(seen) < 200


def test_epochs_arrive_on_the_gui_thread(qtbot, runner):
    def fake_training(on_epoch, should_stop):
        for epoch in range(1, 4):
            on_epoch({"epoch": epoch, "train_loss": 1.0 / epoch, "tune_loss": 1.0})
        return "done"

    records, threads = [], []

    def on_epoch(record):
        records.append(record["epoch"])
        threads.append(threading.get_ident())

    with qtbot.waitSignal(runner.finished):
        runner.start(fake_training, name="training", on_epoch=on_epoch)
    assert records == [1, 2, 3]
    assert set(threads) == {threading.main_thread().ident}


def test_shutdown_stops_a_running_task_and_waits(qtbot, runner):
    started, stopped = threading.Event(), threading.Event()

    def long_task(should_stop):
        started.set()
        while not should_stop():
            time.sleep(0.001)
        stopped.set()
        raise TenfoldError("stopped")

    runner.start(long_task, name="waiting")
    qtbot.waitUntil(started.is_set)
    runner.shutdown()
    assert stopped.is_set()
    assert not runner.busy
    assert runner.start(lambda: 1) is None  # a shut runner takes no more work
