"""Where Tenfold keeps its per-user log files, and the names its settings are filed under.

One place for the names, so the wizard, the command line and the About dialog agree. The
folders follow each system's convention (platformdirs): ``~/.local/state/Tenfold/log`` on
Linux, ``~/Library/Logs/Tenfold`` on macOS, ``%LOCALAPPDATA%\\Tenfold\\Tenfold\\Logs`` on Windows.
"""

from __future__ import annotations

from pathlib import Path

APP_NAME = "Tenfold"
ORG_NAME = "Tenfold"
LOG_FILE_NAME = "tenfold.log"


def log_dir() -> Path:
    from platformdirs import user_log_path  # platformdirs: imported lazily, only when this runs

    return user_log_path(APP_NAME, ORG_NAME)


def log_file() -> Path:
    return log_dir() / LOG_FILE_NAME
