"""Dialogs shared by the File menu and the Study page: choosing study folders."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from guiapp.core.study.model import STUDY_FILE
from guiapp.ui.session import Session


def new_study(parent: QWidget, session: Session) -> bool:
    folder = QFileDialog.getExistingDirectory(parent, "Choose an empty folder for the new study", str(Path.home()))
    if not folder:
        return False
    if (Path(folder) / STUDY_FILE).exists():
        answer = QMessageBox.question(
            parent, "Open the existing study?", f"{folder} already holds a Tenfold study. Open it instead?"
        )
        return answer == QMessageBox.Yes and _report(parent, session.open_study(Path(folder)))
    return _report(parent, session.new_study(Path(folder)))


def open_study(parent: QWidget, session: Session) -> bool:
    folder = QFileDialog.getExistingDirectory(parent, "Open a study folder", str(Path.home()))
    if not folder:
        return False
    return _report(parent, session.open_study(Path(folder)))


def _report(parent: QWidget, error: str | None) -> bool:
    if error:
        QMessageBox.warning(parent, "Tenfold", error)
        return False
    return True
