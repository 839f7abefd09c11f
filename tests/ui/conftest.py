"""Fixtures for the UI tests: offscreen Qt, tiny settings, and runners that always stop."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any Qt import

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from guiapp.core.data import demo  # noqa: E402
from guiapp.core.study.model import Study  # noqa: E402

TASK_TIMEOUT_MS = 60_000


@pytest.fixture(autouse=True)
def fewer_bootstrap_rounds(monkeypatch):
    """30 bootstrap rounds instead of 200: the intervals keep their meaning, the suite its speed."""
    from guiapp.core.stats.panel import metric_panel

    monkeypatch.setitem(metric_panel.__kwdefaults__, "n_boot", 30)


@pytest.fixture(autouse=True)
def no_real_dialogs(monkeypatch):
    """A modal dialog would hang an offscreen test: fail loudly instead."""
    from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox

    def refuse(*args, **kwargs):
        raise AssertionError(f"a test opened a real dialog: {args[1:3]}")

    for cls, names in (
        (QMessageBox, ("question", "warning", "information", "critical", "about")),
        (QInputDialog, ("getText", "getMultiLineText", "getItem")),
        (QFileDialog, ("getOpenFileName", "getExistingDirectory", "getSaveFileName")),
    ):
        for name in names:
            monkeypatch.setattr(cls, name, staticmethod(refuse))


@pytest.fixture(autouse=True)
def no_work_on_arrival(monkeypatch):
    """Moving between pages starts nothing by itself here: each test presses the buttons it means.

    A test that checks the setting itself restores ``run_on_arrival.run_on_arrival`` (saved as
    ``run_on_arrival.setting``).
    """
    from guiapp.ui import run_on_arrival

    monkeypatch.setattr(run_on_arrival, "setting", run_on_arrival.run_on_arrival, raising=False)
    monkeypatch.setattr(run_on_arrival, "run_on_arrival", lambda: False)


@pytest.fixture
def temp_settings(tmp_path):
    """QSettings in a temporary folder for this test (a first start), the user's own folder afterwards."""
    from PySide6.QtCore import QSettings

    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path / "config"))
    yield tmp_path / "config"
    home = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, home)


@pytest.fixture
def real_arrival_setting(temp_settings, monkeypatch):
    """The "start each step's routine work when I arrive" setting read from a first start's settings."""
    from guiapp.ui import run_on_arrival

    monkeypatch.setattr(run_on_arrival, "run_on_arrival", run_on_arrival.setting)


@pytest.fixture
def window(qtbot):
    """A main window on an empty study; its runner is always shut down at the end."""
    from guiapp.ui.main_window import MainWindow

    win = MainWindow(None)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.runner.shutdown()


@pytest.fixture
def make_window(qtbot):
    """``make_window(study)``: a main window on a given study, shut down at the end."""
    from guiapp.ui.main_window import MainWindow

    windows = []

    def _make(study: Study):
        win = MainWindow(study)
        qtbot.addWidget(win)
        win.show()
        windows.append(win)
        return win

    yield _make
    for win in windows:
        win.runner.shutdown()


@pytest.fixture
def demo_csv(tmp_path) -> Path:
    """The built-in breast-cancer table written as a CSV file."""
    return demo.write_demo(demo.load_demo("breast_cancer"), tmp_path / "data")


@pytest.fixture
def demo_study(tmp_path) -> Study:
    """A saved study with the breast-cancer table loaded and the question filled in."""
    return demo.create_demo_study("breast_cancer", tmp_path / "study")


@pytest.fixture
def run_and_wait(qtbot):
    """``run_and_wait(window, button)``: click an action button, wait until its task ends."""

    def _run(window, button, timeout: int = TASK_TIMEOUT_MS) -> None:
        assert button.isEnabled(), f"{button.text()!r} is disabled"
        with qtbot.waitSignal(window.runner.finished, timeout=timeout):
            button.click()
        assert not window.runner.busy

    return _run


def study_copy(template, folder):
    """A fresh copy of a study built once per module, in its own folder, in ordinary mode."""
    import copy
    import shutil

    study = copy.deepcopy(template)
    study.folder = folder / "study"
    shutil.copytree(template.folder, study.folder)
    study.checklist_mode = False
    return study


def trained_study(root, table, *, models, epochs):
    """A small study trained on ``table`` (labels 'condition', batches 'batch', IDs 'sample_id'),
    with ``models`` fitted untuned: the trained study the evaluation pages' tests start from."""
    import torch

    from guiapp.core.data import attach as data
    from guiapp.core.evaluation.verdict import assess_before_training
    from guiapp.core.models import baselines, train
    from guiapp.core.models import recommend as architecture
    from guiapp.core.split import draw as split

    torch.set_num_threads(1)
    path = root / "table.csv"
    table.to_csv(path, index=False)
    study = Study()
    study.question.title = "Treated vs control"
    study.save(root / "study")
    data.attach_data(
        study, data.AttachRequest(path, label="condition", batch="batch", identifiers=["sample_id"], sensitive=False)
    )
    split.split_study(study)
    study.baselines.models, study.baselines.budget_trials = list(models), 0
    baselines.fit_baselines(study)
    assess_before_training(study)  # the caller records the verdict
    architecture.set_architecture(study, width=8, depth=1, dropout=0.0)
    t = study.train
    t.device, t.max_epochs, t.batch_size, t.patience, t.learning_rate = "cpu", epochs, 32, 50, 0.02
    train.train_network(study)
    study.save()
    return study
