"""The task runner: results, errors, cancel, refusal while busy, throttling, shutdown, the task context."""

from __future__ import annotations

import logging
import threading
import time

import numpy as np
import pytest

from guiapp.core.study.errors import Cancelled, DataError, TenfoldError
from guiapp.core.study.task_context import TaskContext
from guiapp.ui.runner import TaskRunner


@pytest.fixture
def runner(qtbot):
    r = TaskRunner()
    yield r
    r.shutdown()


def spin_until_stopped(*, ctx):
    while not ctx.stop_requested():
        ctx.report(0.5, "working")
        time.sleep(0.001)
    from guiapp.core.study.errors import Cancelled

    raise Cancelled()


def test_result_reaches_the_callback_on_the_gui_thread(qtbot, runner):
    seen = {}

    def on_result(value):
        seen["value"] = value
        seen["thread"] = threading.get_ident()

    with qtbot.waitSignal(runner.finished):
        assert runner.start(lambda study, ctx: study * 2, {"study": 21}, name="doubling", on_result=on_result)
    assert seen["value"] == 42
    assert seen["thread"] == threading.main_thread().ident
    assert not runner.busy


def test_a_tenfold_error_reaches_the_error_signal_with_its_message(qtbot, runner):
    def bad_file(*, ctx):
        raise DataError("counts.csv is empty. Choose the file that holds your samples.")

    errors = []
    with qtbot.waitSignal(runner.error) as blocker:
        runner.start(bad_file, name="loading the data", on_error=errors.append)
    assert blocker.args == ["counts.csv is empty. Choose the file that holds your samples."]
    assert errors == blocker.args
    assert not runner.busy


def test_an_unexpected_exception_is_logged_and_told_plainly(qtbot, runner, caplog):
    def broken(*, ctx):
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
    assert runner.start(lambda ctx: 1, name="second") is None
    with qtbot.waitSignal(runner.finished, timeout=5000):
        runner.cancel()
    with qtbot.waitSignal(runner.finished):
        assert runner.start(lambda ctx: 1, name="third") is not None


def test_progress_is_throttled(qtbot, runner):
    def chatty(*, ctx):
        for i in range(20000):
            ctx.report(i / 20000, "step")
        return "ok"

    seen = []
    runner.progress.connect(lambda f, m: seen.append(f))
    with qtbot.waitSignal(runner.finished, timeout=10000):
        runner.start(chatty, name="chatting")
    assert 1 <= len(seen) < 200


def test_epochs_arrive_on_the_gui_thread(qtbot, runner):
    def fake_training(*, ctx):
        for epoch in range(1, 4):
            ctx.epoch({"epoch": epoch, "train_loss": 1.0 / epoch, "tune_loss": 1.0})
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

    def long_task(*, ctx):
        started.set()
        while not ctx.stop_requested():
            time.sleep(0.001)
        stopped.set()
        raise TenfoldError("stopped")

    runner.start(long_task, name="waiting")
    qtbot.waitUntil(started.is_set)
    runner.shutdown()
    assert stopped.is_set()
    assert not runner.busy
    assert runner.start(lambda ctx: 1) is None  # a shut runner takes no more work


def test_every_task_gets_a_context_with_the_task_s_flags(qtbot, runner):
    seen = []
    with qtbot.waitSignal(runner.finished):
        task = runner.start(lambda *, ctx: ctx, name="looking", on_result=seen.append)
    ctx = seen[0]
    assert isinstance(ctx, TaskContext)
    assert ctx.should_stop is task.stop and ctx.should_pause is task.pause
    assert ctx.on_epoch is None  # nobody listens to epochs for this task


def test_a_task_without_ctx_fails_loudly_instead_of_running_without_cancel(qtbot, runner, caplog):
    ran = []

    def misspelt(study, should_stop=None):  # the old contract: it would run with no Cancel at all
        ran.append(study)

    with caplog.at_level(logging.ERROR, logger="guiapp.ui"):
        with qtbot.waitSignal(runner.error) as blocker:
            runner.start(misspelt, {"study": 1}, name="fitting the baselines")
    message = blocker.args[0]
    assert "unexpected problem while fitting the baselines" in message and "TypeError" in message
    assert ran == []  # it never ran
    assert "ctx" in caplog.text  # the log names the missing parameter
    assert not runner.busy


def test_cancel_reaches_a_core_function_through_its_context(qtbot, runner):
    from guiapp.core.batch.metrics import silhouette_samples

    entered, go_on, reached = threading.Event(), threading.Event(), []

    def measure(X, labels, *, ctx):
        entered.set()
        go_on.wait(5)  # the user's Cancel lands while the task runs
        try:
            return silhouette_samples(X, labels, chunk=1, ctx=ctx)
        except Cancelled:
            reached.append("core")
            raise

    X = np.random.default_rng(0).normal(size=(40, 2))
    runner.start(measure, {"X": X, "labels": [0, 1] * 20}, name="measuring")
    qtbot.waitUntil(entered.is_set)
    with qtbot.waitSignals([runner.cancelled, runner.finished], timeout=5000):
        runner.cancel()
        go_on.set()
    assert reached == ["core"]
    assert not runner.busy


def test_only_a_task_started_as_pausable_can_pause(qtbot, runner):
    assert runner.start(spin_until_stopped, name="spinning") is not None
    assert not runner.can_pause
    runner.pause()
    assert not runner.paused
    with qtbot.waitSignal(runner.finished, timeout=5000):
        runner.cancel()
    assert runner.start(spin_until_stopped, name="training", pausable=True) is not None
    assert runner.can_pause
    with qtbot.waitSignal(runner.paused_changed):
        runner.pause()
    assert runner.paused
    with qtbot.waitSignal(runner.finished, timeout=5000):
        runner.cancel()
    assert not runner.paused


def test_a_warm_up_gets_a_silent_context(qtbot, runner):
    seen = []
    with qtbot.waitSignal(runner.warmed_up):
        runner.run_in_background(lambda ctx: ctx, on_done=seen.append)
    assert isinstance(seen[0], TaskContext)
    assert seen[0].should_pause is None and seen[0].on_epoch is None
