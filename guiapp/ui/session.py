"""The session: the one Study the pages bind to, and the one task runner they share.

Pages never talk to each other; they read ``session.study``, run long work through
``session.runner`` and call :meth:`Session.notify_changed` after every action, which the
main window answers by saving the study and refreshing the checklist and the step list.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.model import STUDY_FILE, Study
from guiapp.ui.runner import TaskRunner

log = logging.getLogger("guiapp.ui")


def default_demo_folder(name: str) -> Path:
    """A new folder for a demo study under the user's data folder (platformdirs)."""
    import datetime as _dt

    from platformdirs import user_data_path

    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return user_data_path("Tenfold", "Tenfold") / "demo-studies" / f"{name}-{stamp}"


class Session(QObject):
    changed = Signal()  # a page changed the study
    study_replaced = Signal()  # New / Open: a different Study object
    message = Signal(str)  # a short note for the status bar
    data_error = Signal(str)  # reloading a reopened study's table failed

    def __init__(self, study: Study | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.study = study if study is not None else Study()
        self.lock = None  # the StudyLock this window holds on its study's folder: one writer per study
        self.runner = TaskRunner(self)
        # Tasks change the study: save after every one (saving meanwhile could race the worker).
        self.runner.finished.connect(self.save)

    # ----- saving --------------------------------------------------------------------------
    def notify_changed(self) -> None:
        self.save()
        self.changed.emit()

    def save(self) -> str | None:
        """Save when the study has a folder; returns an error message or None.

        While a task runs, the worker may be writing the study too: save once it ends.
        """
        if self.study.folder is None:
            return None
        if self.runner.busy:
            return None  # saved when the task finishes
        try:
            self.study.save()
        except (OSError, TenfoldError) as exc:
            text = f"The study could not be saved to {self.study.folder}: {exc}"
            self.message.emit(text)
            return text
        return None

    # ----- one writer per study ------------------------------------------------------------
    def take_lock(self, folder: Path) -> str | None:
        """Hold the lock of the study in ``folder`` (giving back the one held before); returns
        the refusal, naming who writes it, when another process holds it."""
        from guiapp.core.study.lock import StudyLock, StudyLockedError

        folder = Path(folder)
        if self.lock is not None and self.lock.folder.resolve() == folder.resolve():
            return None
        lock = StudyLock(folder, command="tenfold wizard")
        try:
            lock.acquire()
        except StudyLockedError as exc:
            return str(exc)
        except OSError as exc:
            return f"The study in {folder} cannot be opened for writing ({exc.strerror or exc})."
        self.release_lock()
        self.lock = lock
        if lock.note:
            self.message.emit(lock.note)
        return None

    def release_lock(self) -> None:
        if self.lock is not None:
            self.lock.release()
            self.lock = None

    # ----- replacing the study ------------------------------------------------------------
    def set_study(self, study: Study) -> None:
        self.study = study
        self.study_replaced.emit()
        self.changed.emit()

    def new_study(self, folder: Path) -> str | None:
        """A fresh study saved in ``folder``; returns an error message or None."""
        folder = Path(folder)
        if self.runner.busy:
            return "Wait for the running task to finish (or cancel it) before starting another study."
        if (folder / STUDY_FILE).exists():
            return (
                f"{folder} already holds a study. Open it with 'Open study…', or choose an "
                "empty folder for the new one."
            )
        # Answers typed before any folder existed belong to this study: they are kept, not replaced.
        study = self.study if self.study.folder is None else Study(checklist_mode=self.study.checklist_mode)
        error = self.take_lock(folder)
        if error:
            return error
        try:
            study.save(folder)
        except (OSError, TenfoldError) as exc:
            return f"A study cannot be created in {folder}: {exc}"
        self.set_study(study)
        self.message.emit(f"New study in {folder}")
        return None

    def open_study(self, folder: Path) -> str | None:
        """Open the study in ``folder`` and reload its data table in the background."""
        if self.runner.busy:
            return "Wait for the running task to finish (or cancel it) before opening another study."
        try:
            study = Study.open(folder)
        except TenfoldError as exc:
            return str(exc)
        # A study another process is writing (a `tenfold run`, another window) is refused.
        error = self.take_lock(folder)
        if error:
            return error
        self.set_study(study)
        self.message.emit(f"Opened {folder}")
        self.reload_table()
        return None

    def start_demo(self, name: str, folder: Path | None = None) -> bool:
        """Create a study on a built-in dataset (in the user's data folder unless given)."""
        from guiapp.core.data.demo import create_demo_study

        folder = Path(folder) if folder is not None else default_demo_folder(name)
        started = self.runner.start(
            create_demo_study,
            {"name": name, "folder": folder},
            name=f"preparing the {name} demo study",
            on_result=self._demo_ready,
            on_error=self.message.emit,
        )
        return started is not None

    def _demo_ready(self, study: Study) -> None:
        error = self.take_lock(study.folder)
        if error:
            self.message.emit(error)
            return
        self.set_study(study)

    def reload_table(self) -> None:
        """Read the data file of a reopened study again (the table is never saved)."""
        if not self.study.data.provenance.path or self.study.table is not None:
            return
        from guiapp.core.data.attach import reload_table

        study = self.study
        self.runner.start(
            reload_table,
            {"study": study},
            name="reading the study's data file",
            on_result=lambda _table: self.set_study(study) if study is self.study else None,
            on_error=self.data_error.emit,
        )
