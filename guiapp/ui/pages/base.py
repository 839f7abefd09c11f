"""The base of every wizard page: a title, the step's tips, messages, a body and its findings.

A page binds to the session's one Study: ``refresh()`` reads it into the widgets (with
signals blocked, so nothing loops), actions write it through core calls, and long calls go
through the session's task runner with :meth:`StepPage.run_task`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from PySide6.QtCore import QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractButton,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from guiapp.core.guidance import checklist
from guiapp.core.study import glossary, steps
from guiapp.ui.finding_actions import FindingActions
from guiapp.ui.glossary import links_for
from guiapp.ui.session import Session
from guiapp.ui.widgets import Banner, FindingsView, heading, value_label

BUSY_NOTE = "Tenfold is busy {name}. This page is read-only until that finishes; Cancel is at the bottom of the window."
BUSY_ELSEWHERE = (
    "Another task is still running ({name}). Wait for it to finish, or stop it with Cancel at the bottom of the window."
)


class StepPage(QWidget):
    """One step of the study. Subclasses set ``step_id`` and ``intro`` and fill ``build``."""

    step_id: str = ""
    intro: str = ""
    task_finished = Signal()  # this page's own task ended (result, error or cancel)
    next_requested = Signal()  # the page's work is done and the next step is the obvious one

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.step = steps.step(self.step_id)
        self.action_buttons: list[QAbstractButton] = []
        self.running = False
        self.setObjectName(f"page-{self.step_id}")
        self.setAccessibleName(f"{self.step.title} page")

        layout = self._build_scroll()
        self._build_title(layout)
        self._build_messages(layout)
        self.busy_note = Banner("busy")
        layout.addWidget(self.busy_note)
        self.body_widget = QWidget()
        self.body = QVBoxLayout(self.body_widget)
        self.body.setContentsMargins(0, 0, 0, 0)
        self.body.setSpacing(10)
        layout.addWidget(self.body_widget)
        layout.addStretch(1)

        self._changed_timer = QTimer(self)
        self._changed_timer.setSingleShot(True)
        self._changed_timer.setInterval(400)
        self._changed_timer.timeout.connect(self.session.notify_changed)

        self._run_cancel: QPushButton | None = None  # add_run_controls' Cancel
        self.build()
        self.field_terms = [
            k for k in (self.glossary.explain_label(label) for label in self.body_widget.findChildren(QLabel)) if k
        ]
        session.runner.busy_changed.connect(self._on_busy)
        self.refresh()

    # ----- the frame every page shares ----------------------------------------------------------
    def _build_scroll(self) -> QVBoxLayout:
        """The page scrolls as a whole: its content's layout."""
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.NoFrame)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        content = QWidget()
        content.setObjectName("pageContent")
        scroll.setWidget(content)
        layout = QVBoxLayout(content)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.setSpacing(10)
        return layout

    def _build_title(self, layout: QVBoxLayout) -> None:
        """The step's number and title, the glossary button, the step's tips and its intro."""
        number = steps.STEP_IDS.index(self.step_id) + 1
        title = QLabel(f"Step {number} of {len(steps.STEPS)} · {self.step.title}")
        title.setObjectName("pageTitle")
        title.setAccessibleName(f"Step {number}: {self.step.title}")
        self.glossary = links_for(self.session)
        self.help_button = QToolButton()
        self.help_button.setText("? Glossary")
        self.help_button.setAccessibleName(f"Glossary of the words on the {self.step.title} page")
        self.help_button.setToolTip("The words this page uses, in plain terms, with small pictures (F1).")
        self.help_button.clicked.connect(lambda: self.open_glossary())
        title_row = QHBoxLayout()
        title_row.addWidget(title, 1)
        title_row.addWidget(self.help_button)
        layout.addLayout(title_row)
        tips = "; ".join(f"Tip {t}: {checklist.TIPS[t]}" for t in self.step.tips)
        tip_label = QLabel(tips)
        tip_label.setObjectName("tipLine")
        tip_label.setWordWrap(True)
        layout.addWidget(tip_label)
        self.intro_terms: list[str] = []
        if self.intro:
            self.intro_label = QLabel()
            self.intro_label.setObjectName("intro")
            self.intro_label.setWordWrap(True)
            # Each word the glossary explains is a link: hover for its meaning, click for more.
            self.intro_terms = self.glossary.link_label(self.intro_label, self.intro)
            layout.addWidget(self.intro_label)

    def _build_messages(self, layout: QVBoxLayout) -> None:
        """The banners (blocked, checklist, error, info), the findings' actions and the findings."""
        self.blocked = Banner("blocked")
        self.error = Banner("error")
        self.info = Banner("info")
        # The step's open required checklist items, which and why: in guided mode they keep Next
        # off; in ordinary mode they are a warning.
        self.checklist_note = Banner("blocked")
        self.checklist_note.setAccessibleName("Checklist items this step still needs")
        self.checklist_warning = Banner("caveat")
        self.checklist_warning.setAccessibleName("Checklist items this step still has open")
        for banner in (self.blocked, self.checklist_note, self.checklist_warning, self.error, self.info):
            layout.addWidget(banner)
        # A page's one-click answers that its checklist items ask for (the Data page's "are the
        # data sensitive?"): next to the note that asks, above the findings that loading adds.
        self.quick_answers = QVBoxLayout()
        self.quick_answers.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self.quick_answers)
        # Findings of this step that block the study: accept each with a reason, or remedy it here.
        self.finding_actions = FindingActions(self.step_id)
        self.finding_actions.changed.connect(self.changed)
        self.finding_actions.failed.connect(self.show_error)
        layout.addWidget(self.finding_actions)
        # Findings come before the controls: a warning nobody scrolls down to helps nobody.
        self.findings_heading = heading("Findings")
        self.findings = FindingsView()
        layout.addWidget(self.findings_heading)
        layout.addWidget(self.findings)

    # ----- for subclasses ------------------------------------------------------------------
    @property
    def study(self):
        return self.session.study

    def build(self) -> None:
        """Create the page's widgets in ``self.body``."""

    def refresh(self) -> None:
        """Read the study into the widgets."""
        mine = [f for f in self.study.findings if f.step == self.step_id]
        self.findings.set_findings(mine)
        self.findings_heading.setVisible(bool(mine))
        self.finding_actions.show_for(self.study)
        self._on_busy(self.session.runner.busy)

    def update_actions(self) -> None:
        """Enable the page's actions from the study (called when no task runs)."""

    def arrival_action(self) -> QAbstractButton | None:
        """The button whose routine work starts when the user arrives and it has not been done yet.

        None (the default) when the page has no such work, or when it is done. Never the sealed
        test, an export, a remedy or a decision: those always wait for the user.
        """
        return None

    def reset(self) -> None:
        """Forget what was shown for the previous study (New / Open)."""
        self.clear_messages()

    def action(self, button: QAbstractButton) -> QAbstractButton:
        """Register an action button: disabled while any task runs."""
        self.action_buttons.append(button)
        return button

    def add_run_controls(self, button: QAbstractButton, *, cancel_tip: str, what: str) -> None:
        """The page's long task: its button with Cancel beside it, then a progress bar and a status line.

        Sets ``cancel_button``, ``progress`` and ``status``. Cancel is on only while this page's
        own task runs, and the bar and the line follow that task. ``what`` names them for screen
        readers ("Search" gives "Search progress" and "Search status").
        """
        row = QHBoxLayout()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip(cancel_tip)
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.session.runner.cancel)
        row.addWidget(button)
        row.addWidget(self.cancel_button)
        row.addStretch(1)
        self.body.addLayout(row)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setAccessibleName(f"{what} progress")
        self.body.addWidget(self.progress)
        self.status = value_label(f"{what} status")
        self.body.addWidget(self.status)
        self._run_cancel = self.cancel_button
        self.session.runner.progress.connect(self._on_run_progress)

    def start_run(
        self,
        fn: Callable,
        kwargs: dict,
        *,
        name: str,
        starting: str = "Starting…",
        on_result: Callable | None = None,
        on_cancelled: Callable | None = None,
    ) -> bool:
        """Save what was typed, reset the bar of :meth:`add_run_controls`, and run the page's task."""
        self.flush()
        self.progress.setValue(0)
        self.status.setText(starting)
        return self.run_task(fn, kwargs, name=name, on_result=on_result, on_cancelled=on_cancelled)

    @Slot(float, str)
    def _on_run_progress(self, fraction: float, message: str) -> None:
        if self.running:
            self.progress.setValue(int(1000 * fraction))
            self.status.setText(message)

    def changed(self) -> None:
        """A direct (quick) action changed the study: save and refresh the rest now."""
        self._changed_timer.stop()
        self.session.notify_changed()
        self.refresh()

    def changed_soon(self) -> None:
        """Typing changed the study: save after a short pause, not on every key."""
        self._changed_timer.start()

    def flush(self) -> None:
        if self._changed_timer.isActive():
            self._changed_timer.stop()
            self.session.notify_changed()

    def show_error(self, message: str) -> None:
        self.info.clear_message()
        self.error.show_message(message)

    def show_info(self, message: str) -> None:
        self.info.show_message(message)

    def clear_messages(self) -> None:
        for banner in (self.blocked, self.error, self.info):
            banner.clear_message()

    def show_blocked(self, reason: str) -> None:
        self.blocked.show_message(reason)

    def show_checklist(self, message: str, guided: bool) -> None:
        """The step's open required checklist items: a stop in guided mode, a warning otherwise."""
        self.checklist_note.show_message(message if guided else "")
        self.checklist_warning.show_message("" if guided else message)

    @property
    def glossary_terms(self) -> list[str]:
        """The glossary's terms for this page: its own list, then those its texts mention."""
        return list(dict.fromkeys([*glossary.STEP_TERMS.get(self.step_id, ()), *self.intro_terms, *self.field_terms]))

    def open_glossary(self, key: str = "") -> None:
        self.glossary.open(key, page_terms=self.glossary_terms)

    def run_task(
        self,
        fn: Callable,
        kwargs: dict,
        *,
        name: str,
        on_result: Callable | None = None,
        on_cancelled: Callable | None = None,
        on_epoch: Callable | None = None,
        pausable: bool = False,
    ) -> bool:
        """Run ``fn(**kwargs, ctx=...)`` through the session's runner; False when it is busy."""
        self.clear_messages()
        runner = self.session.runner
        self.running = True  # before start: its busy signal must find this page running
        task = runner.start(
            fn,
            kwargs,
            name=name,
            on_result=lambda value: self._task_result(on_result, value),
            on_error=self._task_error,
            on_cancelled=lambda: self._task_cancelled(on_cancelled),
            on_epoch=on_epoch,
            pausable=pausable,
        )
        if task is None:
            self.running = False
            self.show_error(BUSY_ELSEWHERE.format(name=runner.current_name or "a task"))
            return False
        return True

    # ----- task ends (GUI thread) ---------------------------------------------------------
    def _task_result(self, on_result: Callable | None, value) -> None:
        self.running = False
        try:
            if on_result is not None:
                on_result(value)
        finally:
            self.session.notify_changed()
            self.refresh()
            self.task_finished.emit()

    def _task_error(self, message: str) -> None:
        self.running = False
        self.session.notify_changed()
        self.refresh()
        self.show_error(message)
        self.task_finished.emit()

    def _task_cancelled(self, on_cancelled: Callable | None) -> None:
        self.running = False
        if on_cancelled is not None:
            on_cancelled()
        else:
            self.show_info("Stopped. Nothing from the stopped run was kept; run it again when ready.")
        self.session.notify_changed()
        self.refresh()
        self.task_finished.emit()

    def _on_busy(self, busy: bool) -> None:
        # Another page's task is changing the study: this one is read-only meanwhile. Qt keeps
        # the children's own enabled state, so re-enabling the body restores it exactly.
        elsewhere = busy and not self.running
        self.body_widget.setEnabled(not elsewhere)
        name = self.session.runner.current_name or "with a task"
        self.busy_note.show_message(BUSY_NOTE.format(name=name) if elsewhere else "")
        for button in self.action_buttons:
            button.setEnabled(not busy)
        self.finding_actions.setEnabled(not busy)  # a running task may be rewriting the findings
        if self._run_cancel is not None:
            self._run_cancel.setEnabled(busy and self.running)
        if not busy:
            self.update_actions()


def preview(page_cls, study=None) -> int:
    """Show one page alone, for development: ``python -m guiapp.ui.pages.data``."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv)
    session = Session(study)
    page = page_cls(session)
    page.resize(900, 700)
    page.show()
    app.aboutToQuit.connect(session.runner.shutdown)
    return app.exec()
