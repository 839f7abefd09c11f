"""The main window: the step list, the page of the current step, the checklist panel,
Back / Next, and the status bar with progress and Cancel.

Which steps are reachable comes from ``steps.missing_prerequisite`` and, in guided mode,
``checklist.can_leave``; the window only asks them.
"""

from __future__ import annotations

from importlib import resources

from PySide6.QtCore import QSize, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from guiapp.core.guidance import checklist
from guiapp.core.study.model import Study
from guiapp.core.study.steps import STEP_IDS, STEPS, missing_prerequisite
from guiapp.ui import run_on_arrival
from guiapp.ui.checklist_panel import ChecklistPanel
from guiapp.ui.menus import build_menus
from guiapp.ui.pages import PAGE_CLASSES, StepPage
from guiapp.ui.session import Session
from guiapp.ui.widgets import status_icon

# The step list's item data: the step's checklist status, then its count of open optional items.
STEP_STATUS = Qt.UserRole + 1


def load_style_sheet() -> str:
    try:
        return resources.files("guiapp.resources").joinpath("ui", "tenfold.qss").read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError, OSError):
        return ""


class MainWindow(QMainWindow):
    # Set by guiapp.ui.menus.build_menus.
    new_action: QAction
    open_action: QAction
    guided_action: QAction
    details_action: QAction
    run_on_arrival_action: QAction
    glossary_action: QAction
    diagnostics_action: QAction
    about_action: QAction

    def __init__(self, study: Study | None = None) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setStyleSheet(load_style_sheet())
        self.session = Session(study, self)
        self.runner = self.session.runner
        self.pages: list[StepPage] = [cls(self.session) for cls in PAGE_CLASSES]

        self.steps = QListWidget()
        self.steps.setObjectName("steps")
        self.steps.setAccessibleName("Steps of the study")
        self.steps.setFixedWidth(210)
        self.steps.setIconSize(QSize(16, 16))
        for i, s in enumerate(STEPS):
            item = QListWidgetItem(f"{i + 1}. {s.title}")
            item.setData(Qt.UserRole, s.id)
            self.steps.addItem(item)
        self.steps.currentRowChanged.connect(self._on_step_clicked)
        self.stack = QStackedWidget()
        self.stack.setAccessibleName("Current step")
        for page in self.pages:
            self.stack.addWidget(page)
            page.next_requested.connect(self.go_next)

        self.back = QPushButton("← Back")
        self.back.setShortcut(QKeySequence("Alt+Left"))
        self.back.setAccessibleName("Previous step")
        self.back.setToolTip("Go to the previous step (Alt+Left).")
        self.back.clicked.connect(self.go_back)
        self.next = QPushButton("Next →")
        self.next.setObjectName("primary")
        self.next.setShortcut(QKeySequence("Alt+Right"))
        self.next.setAccessibleName("Next step")
        self.next.setToolTip(
            "Go to the next step (Alt+Right). In guided mode, only when this step's checklist items are done."
        )
        self.next.clicked.connect(self.go_next)
        nav = QHBoxLayout()
        nav.setContentsMargins(12, 6, 12, 6)
        nav.addWidget(self.back)
        nav.addStretch(1)
        nav.addWidget(self.next)
        right = QVBoxLayout()
        right.setContentsMargins(0, 0, 0, 0)
        right.addWidget(self.stack, 1)
        right.addLayout(nav)
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.steps)
        layout.addLayout(right, 1)
        self.setCentralWidget(central)

        self.checklist = ChecklistPanel(self.session, self)
        self.checklist.setAccessibleName("Checklist of the Ten Quick Tips")
        self.checklist.step_requested.connect(self.go_to)
        self.checklist.attested.connect(lambda: self.current_page().refresh())
        self.addDockWidget(Qt.RightDockWidgetArea, self.checklist)
        self._build_status_bar()
        build_menus(self)

        self.session.changed.connect(self._refresh_chrome)
        self.session.study_replaced.connect(self._on_study_replaced)
        self.session.message.connect(self.show_status)
        self.session.data_error.connect(self._on_data_error)
        self.runner.started.connect(self._on_task_started)
        self.runner.progress.connect(self._on_task_progress)
        self.runner.finished.connect(self._on_task_finished)
        self.runner.error.connect(lambda _m: self.show_status("The last task stopped with a problem: see the page."))
        self.runner.cancelled.connect(lambda: self.show_status("Stopped."))
        self.resize(1280, 800)
        self._refresh_chrome()
        self.go_to("study", force=True)
        self.session.reload_table()  # a study opened from its folder: read its data file again

    # ----- building ------------------------------------------------------------------------
    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.status_label = QLabel("Ready.")
        self.status_label.setAccessibleName("Status")
        bar.addWidget(self.status_label, 1)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setFixedWidth(220)
        self.progress.setAccessibleName("Progress of the running task")
        self.progress.hide()
        bar.addPermanentWidget(self.progress)
        self.cancel = QPushButton("Cancel")
        self.cancel.setToolTip("Stop the running task. Training keeps its best weights so far.")
        self.cancel.setAccessibleName("Cancel the running task")
        self.cancel.setEnabled(False)
        self.cancel.clicked.connect(self.runner.cancel)
        bar.addPermanentWidget(self.cancel)

    # ----- state ---------------------------------------------------------------------------
    @property
    def study(self) -> Study:
        return self.session.study

    def current_page(self) -> StepPage:
        return self.stack.currentWidget()

    def page(self, step_id: str) -> StepPage:
        return self.pages[STEP_IDS.index(step_id)]

    @property
    def current_step(self) -> str:
        return self.current_page().step_id

    def block_reason(self, step_id: str, rows: list | None = None) -> str | None:
        """Why the step list will not open ``step_id`` now; None when it will."""
        reason = missing_prerequisite(self.study, step_id)
        if reason or not self.study.checklist_mode:
            return reason
        target = STEP_IDS.index(step_id)
        if target <= STEP_IDS.index(self.current_step):
            return None  # going back is always allowed
        rows = rows if rows is not None else checklist.evaluate_checklist(self.study)
        for earlier in STEP_IDS[:target]:
            ok, why = checklist.can_leave(self.study, earlier, rows)
            if not ok:
                title = STEPS[STEP_IDS.index(earlier)].title
                return f"Guided mode: finish the {title} step first. {why.removeprefix('Guided mode: ')}"
        return None

    # ----- navigation ----------------------------------------------------------------------
    @Slot(str)
    def go_to(self, step_id: str, force: bool = False) -> bool:
        """Show the page of ``step_id``; False (with the reason shown) when it is not reachable."""
        if not force:
            reason = self.block_reason(step_id)
            if reason:
                self.show_status(reason)
                self.current_page().show_blocked(reason)
                self._select_row(STEP_IDS.index(self.current_step))
                return False
        forward = self.stack.currentWidget() is not None and STEP_IDS.index(step_id) > STEP_IDS.index(self.current_step)
        if self.stack.currentWidget() is not None:
            self.current_page().flush()
            self.current_page().blocked.clear_message()
        index = STEP_IDS.index(step_id)
        self.stack.setCurrentIndex(index)
        self._select_row(index)
        self.current_page().refresh()
        self._refresh_nav()
        if forward and not force:
            # Moving on starts the step's routine work, once the page is on screen.
            QTimer.singleShot(0, self, lambda: run_on_arrival.start_arrival_work(self, step_id))
        return True

    def go_next(self) -> bool:
        page = self.current_page()
        page.flush()
        index = STEP_IDS.index(page.step_id)
        if index + 1 >= len(STEP_IDS):
            return False
        ok, reason = checklist.can_leave(self.study, page.step_id)
        if not ok:
            page.show_blocked(reason)
            page.show_checklist(checklist.leave_message(self.study, page.step_id), guided=True)
            self.show_status(
                "Guided mode: this step still has open checklist items or a finding that blocks "
                "the study (see the page)."
            )
            return False
        still_open = checklist.blocking_items(self.study, page.step_id)
        target = STEP_IDS[index + 1]
        reason = missing_prerequisite(self.study, target)
        if reason:
            page.show_blocked(reason)
            return False
        moved = self.go_to(target)
        if moved and still_open:
            self.show_status(
                "Moved on with open checklist items: " + "; ".join(i["text"].lower() for i in still_open) + "."
            )
        return moved

    def go_back(self) -> bool:
        index = STEP_IDS.index(self.current_step)
        return index > 0 and self.go_to(STEP_IDS[index - 1], force=True)

    def _on_step_clicked(self, row: int) -> None:
        if 0 <= row < len(STEP_IDS) and STEP_IDS[row] != self.current_step:
            self.go_to(STEP_IDS[row])

    def _select_row(self, row: int) -> None:
        self.steps.blockSignals(True)
        self.steps.setCurrentRow(row)
        self.steps.blockSignals(False)

    # ----- refreshing ----------------------------------------------------------------------
    @Slot()
    def _refresh_chrome(self) -> None:
        """After every action: the step list, the checklist, the title and the buttons."""
        rows = checklist.evaluate_checklist(self.study)
        for i, s in enumerate(STEPS):
            item = self.steps.item(i)
            reason = self.block_reason(s.id, rows)
            flags = item.flags()
            item.setFlags(flags & ~Qt.ItemIsEnabled if reason else flags | Qt.ItemIsEnabled)
            mine = [r for r in rows if r["step"] == s.id]
            status, optional_open = (
                checklist.step_status(mine) if mine else (checklist.DONE if self.study.folder else checklist.OPEN, 0)
            )
            item.setIcon(status_icon(status, badge=bool(optional_open)))
            item.setData(STEP_STATUS, status)
            item.setData(STEP_STATUS + 1, optional_open)
            tips = ", ".join(str(t) for t in s.tips)
            extra = (
                f"; {optional_open} optional item{'s' if optional_open > 1 else ''} open"
                if optional_open and status == checklist.DONE
                else ""
            )
            item.setToolTip(reason or f"{s.title} (Tip{'s' if len(s.tips) > 1 else ''} {tips}){extra}")
        self.checklist.refresh()
        self.guided_action.blockSignals(True)
        self.guided_action.setChecked(self.study.checklist_mode)
        self.guided_action.blockSignals(False)
        self.setWindowTitle(f"Tenfold — {self.study.question.title.strip() or 'Untitled study'}")
        self._refresh_nav(rows)

    def _refresh_nav(self, rows: list | None = None) -> None:
        """Back and Next, and the page's note on its open checklist items (which, and why)."""
        index = STEP_IDS.index(self.current_step)
        rows = rows if rows is not None else checklist.evaluate_checklist(self.study)
        ok, reason = checklist.can_leave(self.study, self.current_step, rows)
        page = self.current_page()
        page.show_checklist(
            checklist.leave_message(self.study, self.current_step, rows), guided=self.study.checklist_mode
        )
        page.finding_actions.show_for(self.study)  # guided: a stop; ordinary: a persistent banner
        if ok and page.blocked.text().startswith("Guided mode"):
            page.blocked.clear_message()  # the work is done: the earlier "not yet" no longer holds
        last = index + 1 >= len(STEP_IDS)
        self.back.setEnabled(index > 0)
        self.next.setEnabled(not last and ok)
        self.next.setToolTip(
            reason
            if not ok
            else "Go to the next step (Alt+Right). In guided mode, only when this step's checklist items are done."
        )

    @Slot()
    def _on_study_replaced(self) -> None:
        for page in self.pages:
            page.reset()
            page.refresh()
        self._refresh_chrome()

    def set_guided(self, on: bool) -> None:
        self.study.checklist_mode = bool(on)
        self.session.notify_changed()
        self.current_page().refresh()
        self._refresh_chrome()

    def save(self) -> None:
        self.current_page().flush()
        if self.study.folder is None:
            self.show_status("This study has no folder yet: create or open one on the Study page.")
            return
        if self.runner.busy:
            self.show_status("The study is saved as soon as the running task finishes.")
            return
        error = self.session.save()
        self.show_status(error or f"Saved to {self.study.folder}")

    def show_status(self, text: str) -> None:
        self.status_label.setText(text)
        self.status_label.setToolTip(text)

    # ----- the runner ----------------------------------------------------------------------
    @Slot(str)
    def _on_task_started(self, name: str) -> None:
        self.show_status(f"Working: {name}…")
        self.progress.setValue(0)
        self.progress.show()
        self.cancel.setEnabled(True)
        for action in (self.new_action, self.open_action):
            action.setEnabled(False)

    @Slot(float, str)
    def _on_task_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(1000 * max(0.0, min(fraction, 1.0))))
        if message:
            self.show_status(message)

    @Slot()
    def _on_task_finished(self) -> None:
        self.progress.hide()
        self.cancel.setEnabled(False)
        for action in (self.new_action, self.open_action):
            action.setEnabled(True)
        if self.status_label.text().startswith("Working"):
            self.show_status("Done.")
        self._refresh_chrome()

    @Slot(str)
    def _on_data_error(self, message: str) -> None:
        self.page("data").show_error(message)
        self.show_status("The study's data file could not be read again: see the Data page.")
        self._refresh_chrome()

    def closeEvent(self, event: QCloseEvent) -> None:
        # A running training keeps its checkpoint, so stopping it here loses at most one epoch.
        self.current_page().flush()
        self.runner.shutdown()
        self.session.save()
        self.session.release_lock()
        super().closeEvent(event)


def _main_for_preview() -> int:  # python -m guiapp.ui.main_window
    app = QApplication.instance() or QApplication([])
    window = MainWindow()
    window.show()
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(_main_for_preview())
