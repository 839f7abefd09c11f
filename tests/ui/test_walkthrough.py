"""The hands-on walkthrough: the wine study, end to end in guided mode at 1280×800, in few actions.

The test drives the real main window as a user would and counts every user action (a click, a
typed field, a combo or spin-box choice, a dialog answer). Before each main button it checks
that the button is in view without scrolling.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QScrollArea

from guiapp.ui import run_on_arrival

MAX_ACTIONS = 25


def write_wine(path):
    """scikit-learn's wine table (178 samples, 3 cultivars) with a sample ID and a run column."""
    from sklearn.datasets import load_wine

    wine = load_wine()
    names = [n.replace("/", "_") for n in wine.feature_names]
    with open(path, "w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["sample_id", *names, "run", "cultivar"])
        for i, (row, label) in enumerate(zip(wine.data, wine.target, strict=False)):
            out.writerow([f"W{i:03d}", *[f"{v:g}" for v in row], f"run{i % 3 + 1}", str(wine.target_names[label])])
    return path


def settle(times: int = 3) -> None:
    for _ in range(times):
        QApplication.processEvents()


class Walk:
    """Performs and counts the user's actions, page by page."""

    def __init__(self, qtbot, window):
        self.qtbot, self.window = qtbot, window
        self.per_page: Counter = Counter()
        self.scrolled: list[str] = []  # main buttons that needed scrolling to reach

    @property
    def total(self) -> int:
        return sum(self.per_page.values())

    def _count(self) -> None:
        self.per_page[self.window.current_step] += 1

    def assert_in_view(self, widget) -> None:
        """Is the widget visible in the page's scroll view, with the view not scrolled? A widget
        that is not is recorded as a gap, and the view is scrolled to it as the user would."""
        settle()
        page = self.window.current_page()
        area = page.findChild(QScrollArea)
        area.verticalScrollBar().setValue(0)
        settle(1)
        viewport = area.viewport()
        assert widget.isVisible(), f"{page.step_id}: {widget.text()!r} is hidden"
        top = widget.mapTo(viewport, widget.rect().topLeft())
        bottom = widget.mapTo(viewport, widget.rect().bottomRight())
        if not (0 <= top.y() and bottom.y() <= viewport.height() and 0 <= top.x() and bottom.x() <= viewport.width()):
            self.scrolled.append(
                f"{page.step_id}: {widget.text()!r} at {top.y()}-{bottom.y()} px, "
                f"the view is {viewport.height()} px tall"
            )
            area.ensureWidgetVisible(widget)
            settle()

    def click(self, button, *, main: bool = False) -> None:
        if main:
            self.assert_in_view(button)
        assert button.isVisible(), f"{button.text()!r} is hidden"
        assert button.isEnabled(), f"{button.text()!r} is disabled"
        self._count()
        self.qtbot.mouseClick(button, Qt.LeftButton)

    def click_tab(self, tabs, title: str) -> None:
        bar = tabs.tabBar()
        index = next(i for i in range(tabs.count()) if tabs.tabText(i).startswith(title))
        self._count()
        self.qtbot.mouseClick(bar, Qt.LeftButton, pos=bar.tabRect(index).center())
        assert tabs.currentIndex() == index

    def run(self, button, timeout: int = 90_000) -> None:
        """Click a page's main button and wait for its task to end."""
        self.assert_in_view(button)
        assert button.isEnabled(), f"{button.text()!r} is disabled"
        self._count()
        with self.qtbot.waitSignal(self.window.runner.finished, timeout=timeout):
            self.qtbot.mouseClick(button, Qt.LeftButton)
        self.qtbot.waitUntil(lambda: not self.window.runner.busy, timeout=timeout)
        settle()

    def type(self, field, text: str) -> None:
        self._count()
        field.setFocus()
        self.qtbot.keyClicks(field, text)

    def choose(self, combo, data) -> None:
        index = combo.findData(data)
        assert index >= 0, f"{data!r} is not offered"
        self._count()
        combo.setCurrentIndex(index)

    def set_value(self, spin, value) -> None:
        self._count()
        spin.setValue(value)

    def answer_dialog(self) -> None:
        self._count()

    def arrive(self, timeout: int = 90_000):
        """The page just reached: wait for the routine work it starts by itself (no user action)."""
        settle()
        page = self.window.current_page()
        self.qtbot.waitUntil(lambda: page.arrival_action() is None and not self.window.runner.busy, timeout=timeout)
        settle()
        return page

    def next(self) -> None:
        step = self.window.current_step
        page = self.window.current_page()
        page.flush()  # typed text is saved a moment after the last key, as when the user pauses
        settle()
        assert self.window.next.isEnabled(), (
            f"Next is off on {step}: {self.window.next.toolTip()!r} {page.blocked.text()!r}"
        )
        self.click(self.window.next)
        settle()
        assert self.window.current_step != step, (
            f"Next stayed on {step}: {getattr(page, 'blocked', None) and page.blocked.text()!r} "
            f"{self.window.status_label.text()!r}"
        )


def test_wine_walkthrough_in_at_most_25_actions(qtbot, real_arrival_setting, window, tmp_path, monkeypatch):
    # As on a first start: each step's routine work starts on arrival.
    assert run_on_arrival.run_on_arrival()
    wine = write_wine(tmp_path / "wine.csv")
    study_dir = tmp_path / "wine_study"
    study_dir.mkdir()
    window.resize(1280, 800)
    settle()
    assert window.checklist.isVisible() and not window.checklist.isFloating()
    walk = Walk(qtbot, window)

    # The user's answers in the file and message dialogs: each answer counts as one action.
    monkeypatch.setattr(
        QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: (walk.answer_dialog(), str(study_dir))[1])
    )
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (walk.answer_dialog(), (str(wine), ""))[1])
    )
    asked = []
    monkeypatch.setattr(
        QMessageBox,
        "question",
        staticmethod(lambda *a, **k: (walk.answer_dialog(), asked.append(a[1:3]), QMessageBox.Yes)[2]),
    )

    # Study: a new folder, and the wizard moves on to the question by itself
    assert window.current_step == "study"
    walk.click(window.current_page().main_action, main=True)
    settle()
    assert window.study.folder == study_dir and window.study.checklist_mode
    assert window.current_step == "question"
    # Tiny settings for the test's speed, as study defaults: a user would not touch these.
    window.study.baselines.budget_trials = window.study.train.budget_trials = 1
    window.study.train.max_epochs = 2

    # Question
    page = window.current_page()
    walk.type(page.title, "Which cultivar does a wine come from?")
    walk.assert_in_view(page.target)
    walk.set_value(page.target, 0.9)
    walk.next()

    # Data: the label column is guessed, the sensitivity question sits beside Load
    page = window.current_page()
    assert page.step_id == "data"
    walk.click(page.browse)
    # The label is guessed off the window's thread: the last text column with few values.
    qtbot.waitUntil(lambda: page.label.currentData() == "cultivar", timeout=10_000)
    assert page.batch.currentData() == "run"  # a column named 'run' is offered as the batch column
    walk.run(page.load)
    assert window.study.data.n_samples == 178 and window.study.data.batch == "run"
    walk.assert_in_view(page.sensitivity.button(1))
    walk.click(page.sensitivity.button(1))  # not sensitive: a public table
    walk.next()

    # Batch effects: checked on arrival
    page = walk.arrive()
    assert page.step_id == "batch" and page.report is not None
    assert page.color_by.currentData() == "batch"  # the plot shows the run, not the cultivar
    walk.next()

    # Split: drawn on arrival
    page = walk.arrive()
    assert page.step_id == "split" and window.study.split.sealed
    walk.next()

    # Baselines: fitted on arrival
    page = walk.arrive()
    assert page.step_id == "baselines" and window.study.baselines.results
    # The wine table is easy: the advisor says the baselines may be enough; going on needs a
    # reason. The page offers the usual one; recording it is the user's click.
    assert page.reason.text().strip()
    walk.click(page.record_reason, main=True)
    assert window.study.verdict.proceed_reason
    walk.next()

    # Architecture: the recommended design is applied on arrival
    page = walk.arrive()
    assert page.step_id == "architecture" and window.study.architecture.n_params
    walk.next()

    # Train: training starts on arrival
    page = walk.arrive(timeout=120_000)
    assert page.step_id == "train" and window.study.train.status == "done"
    walk.next()

    # Overfitting: checked on arrival
    page = walk.arrive()
    assert page.step_id == "overfitting" and window.study.overfitting.gap is not None
    walk.next()

    # Evaluate: the tune split on arrival; the sealed test once, behind its confirmation
    page = walk.arrive()
    assert page.step_id == "evaluate" and window.study.evaluation.tune_metrics
    assert window.study.split.test_uses == 0  # never on arrival
    walk.run(page.final_button)
    assert len(asked) == 1 and window.study.split.test_uses == 1
    walk.next()

    # Interpret: run on arrival
    page = walk.arrive()
    assert page.step_id == "interpret" and window.study.interpret.importances
    walk.next()

    # Ethics & privacy: a public wine table, no concerns; the weights as Tenfold decides
    page = walk.arrive()
    assert page.step_id == "ethics"
    walk.click(page.none, main=True)
    walk.click(page.record, main=True)
    assert "Recorded on" in page.decision.text()
    walk.next()

    # Export: nothing is written until the user asks
    page = walk.arrive()
    assert page.step_id == "export"
    walk.run(page.export)
    out = Path(page.out_dir.text())
    for name in ("model_card.md", "metrics.json", "manifest.json"):
        assert (out / name).is_file(), name

    breakdown = ", ".join(f"{step} {n}" for step, n in walk.per_page.items())
    print(
        f"\nwine walkthrough: {walk.total} user actions ({breakdown}); "
        f"main buttons out of view: {walk.scrolled or 'none'}"
    )
    assert walk.total <= MAX_ACTIONS and not walk.scrolled, (
        f"{walk.total} actions (at most {MAX_ACTIONS}): {breakdown}; scrolling needed for: {walk.scrolled or 'none'}"
    )


def test_a_run_column_is_offered_as_the_batch_and_no_batch_is_kept(qtbot, window, run_and_wait, tmp_path):
    wine = write_wine(tmp_path / "wine.csv")
    window.session.new_study(tmp_path / "study")
    window.study.question.title, window.study.question.target_value = "Which cultivar?", 0.9
    assert window.go_to("data", force=True)
    page = window.current_page()
    page.set_path(wine)
    assert page.batch.currentData() == "run"  # a new file: its 'run' column is offered
    page.label.setCurrentIndex(page.label.findData("cultivar"))
    page.batch.setCurrentIndex(page.batch.findData(""))  # the user says: no batch column
    run_and_wait(window, page.load)
    assert window.study.data.batch == ""
    page.refresh()
    page.set_path(wine)  # the same file again: the user's "no batch" stays
    assert page.batch.currentData() == "" and window.study.data.batch == ""
