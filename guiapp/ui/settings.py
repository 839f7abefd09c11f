"""Per-user settings of the wizard (QSettings): window layout and the last study folder.

Stored as an INI file in the user's settings folder on every system (on Windows too, instead of
the registry), so a bug report can include it and an administrator can reset it by deleting one
file. Tests point ``QSettings.setPath`` at a temporary folder.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QMainWindow

from guiapp.core.study.paths import APP_NAME, ORG_NAME

GEOMETRY = "window/geometry"
STATE = "window/state"
LAST_STUDY = "studies/last_folder"


def app_settings() -> QSettings:
    return QSettings(QSettings.IniFormat, QSettings.UserScope, ORG_NAME, APP_NAME)


def settings_file() -> Path:
    return Path(app_settings().fileName())


def save_window(window: QMainWindow) -> None:
    """Window size, position, and where the checklist panel is docked."""
    s = app_settings()
    s.setValue(GEOMETRY, window.saveGeometry())
    s.setValue(STATE, window.saveState())
    s.sync()


def restore_window(window: QMainWindow) -> bool:
    """Put the window back as the user left it; False when nothing was saved (first start)."""
    s = app_settings()
    geometry, state = s.value(GEOMETRY), s.value(STATE)
    restored = isinstance(geometry, QByteArray) and window.restoreGeometry(geometry)
    if isinstance(state, QByteArray):
        window.restoreState(state)
    return bool(restored)


def remember_study_folder(folder) -> None:
    if folder:
        s = app_settings()
        s.setValue(LAST_STUDY, str(folder))
        s.sync()


def last_study_folder() -> Path | None:
    """The folder of the study last opened or created, if it still exists."""
    value = app_settings().value(LAST_STUDY)
    if not value:
        return None
    path = Path(str(value))
    return path if path.is_dir() else None


def bool_setting(key: str, default: bool) -> bool:
    """A yes/no setting (INI files store it as text)."""
    value = app_settings().value(key, default)
    return value in (True, "true", "1", 1)


def set_bool_setting(key: str, on: bool) -> None:
    s = app_settings()
    s.setValue(key, bool(on))
    s.sync()
