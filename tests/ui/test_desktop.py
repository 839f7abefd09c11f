"""What an installed desktop app needs: settings that persist, a rotating log, the icon, the
system's light or dark scheme, and the smoke test the packaging check runs."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from logging.handlers import RotatingFileHandler

import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QMainWindow

from guiapp.ui import appearance, settings


def test_window_layout_and_last_study_folder_persist(temp_settings, qtbot, tmp_path):
    first = QMainWindow()
    qtbot.addWidget(first)
    first.resize(700, 500)  # inside the 800×800 offscreen screen
    first.show()
    settings.save_window(first)
    settings.remember_study_folder(tmp_path)
    assert settings.settings_file() == temp_settings / "Tenfold" / "Tenfold.ini"
    assert settings.settings_file().is_file()

    second = QMainWindow()
    qtbot.addWidget(second)
    assert settings.restore_window(second)
    assert second.size() == QSize(700, 500)
    assert settings.last_study_folder() == tmp_path


def test_first_start_has_nothing_to_restore(temp_settings, qtbot):
    window = QMainWindow()
    qtbot.addWidget(window)
    assert not settings.restore_window(window)
    assert settings.last_study_folder() is None


def test_a_study_folder_deleted_since_is_forgotten(temp_settings, tmp_path):
    gone = tmp_path / "gone"
    gone.mkdir()
    settings.remember_study_folder(gone)
    gone.rmdir()
    assert settings.last_study_folder() is None


def test_logs_rotate_in_the_user_log_folder(tmp_path, monkeypatch):
    from guiapp.core.study import paths
    from guiapp.ui import app

    monkeypatch.setattr(paths, "log_dir", lambda: tmp_path / "log")
    root = logging.getLogger("guiapp")
    before = list(root.handlers)
    for h in before:
        root.removeHandler(h)
    try:
        app.setup_logging()
        app.setup_logging()  # twice in one process: still one handler
        ours = [h for h in root.handlers if getattr(h, "tenfold", False)]
        assert len(ours) == 1 and isinstance(ours[0], RotatingFileHandler)
        assert ours[0].maxBytes == app.LOG_MAX_BYTES and ours[0].backupCount == app.LOG_BACKUPS
        logging.getLogger("guiapp.ui").warning("hello from the test")
        ours[0].flush()
        assert "hello from the test" in (tmp_path / "log" / "tenfold.log").read_text(encoding="utf-8")
    finally:
        from PySide6.QtCore import qInstallMessageHandler

        qInstallMessageHandler(None)  # Qt's messages back to stderr for the other tests
        for h in list(root.handlers):
            root.removeHandler(h)
            h.close()
        for h in before:
            root.addHandler(h)


def test_the_icon_comes_in_every_size(qapp):
    sizes = appearance.app_icon().availableSizes()
    for px in appearance.ICON_SIZES:
        assert QSize(px, px) in sizes


def test_a_dark_system_scheme_gets_a_dark_palette_and_style_sheet(qapp, monkeypatch):
    light = QApplication.palette()
    style = qapp.style().name()
    try:
        monkeypatch.setattr(appearance, "is_dark", lambda app=None: True)
        assert appearance.apply_color_scheme(qapp)
        assert qapp.palette().color(QPalette.Window).lightness() < 128
        sheet = appearance.style_sheet(True)
        assert 'QLabel#banner[kind="error"] { background: #3d1c1c' in sheet

        monkeypatch.setattr(appearance, "is_dark", lambda app=None: False)
        assert not appearance.apply_color_scheme(qapp)
        assert qapp.palette().color(QPalette.Window).lightness() >= 128
        assert "#3d1c1c" not in appearance.style_sheet(False)
    finally:
        qapp.setStyle(style)
        qapp.setPalette(light)


@pytest.mark.slow
def test_the_smoke_test_opens_the_wizard_and_prints_ok(tmp_path):
    """What packaging/check_bundle.sh asks of the built program, here from source."""
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        TENFOLD_SMOKE_TEST="1",
        XDG_STATE_HOME=str(tmp_path / "state"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
    )
    out = subprocess.run(
        [sys.executable, "-m", "guiapp"], capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path
    )
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[-1] == "ok", out.stdout
    assert any(line.strip().startswith("PyTorch:") for line in lines)
    assert (tmp_path / "config" / "Tenfold" / "Tenfold.ini").is_file()  # the layout was saved on quit
