"""Start the wizard: the QApplication, logging, the main window, and a quiet torch warm-up."""

from __future__ import annotations

import gc
import logging
import os
import platform
import sys
from pathlib import Path

from guiapp.core.study.task_context import NO_CONTEXT, TaskContext

log = logging.getLogger("guiapp.ui")


def log_file() -> Path:
    from guiapp.core.study.paths import log_file as path

    return path()


LOG_MAX_BYTES = 1_000_000  # a few weeks of use; three old files are kept beside it
LOG_BACKUPS = 3


def setup_logging() -> None:
    """Unexpected errors go to a rotating log file in the user's log folder (never to the user
    as a traceback); Qt's own warnings go there too."""
    from logging.handlers import RotatingFileHandler

    root = logging.getLogger("guiapp")
    if any(getattr(h, "tenfold", False) for h in root.handlers):
        return  # already set up (the wizard opened twice in one process)
    try:
        path = log_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = RotatingFileHandler(
            path, maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
        )
    except OSError:
        handler = logging.StreamHandler()
    handler.tenfold = True
    from guiapp.core.models.tuning import RedactingFormatter

    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    _route_qt_messages()


def _route_qt_messages() -> None:
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    qt_log = logging.getLogger("guiapp.qt")
    levels = {
        QtMsgType.QtDebugMsg: logging.DEBUG,
        QtMsgType.QtInfoMsg: logging.INFO,
        QtMsgType.QtWarningMsg: logging.WARNING,
        QtMsgType.QtCriticalMsg: logging.ERROR,
        QtMsgType.QtFatalMsg: logging.CRITICAL,
    }

    def handler(kind, _context, message) -> None:
        qt_log.log(levels.get(kind, logging.WARNING), "%s", message)

    qInstallMessageHandler(handler)


def warm_up_torch(*, ctx: TaskContext = NO_CONTEXT) -> None:
    """Import torch and build one optimizer off the GUI thread, so the first training starts
    fast: the first optimizer imports torch._dynamo, which takes most of a second."""
    import torch

    weight = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.AdamW([weight], lr=1e-3)
    weight.grad = torch.zeros(1)
    optimizer.step()


def _freeze_gc(_result=None) -> None:
    # With torch loaded a full collection walks millions of objects and pauses the GUI;
    # objects alive now live as long as the app, so keep them out of the collector's way.
    gc.collect()
    gc.freeze()


def main(study_dir: str | None = None, demo: str | None = None) -> int:
    """Open the wizard, optionally on a study folder or a new demo study; returns the exit code."""
    from PySide6.QtCore import Qt, QTimer, qVersion
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication, QMessageBox

    from guiapp import __version__
    from guiapp.ui import appearance, diagnostics, settings

    setup_logging()
    if QApplication.instance() is None:
        # Fractional scales (125 %, 150 %) as they are: crisp text on high-DPI screens.
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Tenfold")
    app.setOrganizationName("Tenfold")
    app.setApplicationDisplayName("Tenfold")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("tenfold")  # matches packaging/linux/tenfold.desktop (Wayland icons)
    app.setWindowIcon(appearance.app_icon())
    log.info(
        "Tenfold %s starting: Python %s, Qt %s, %s",
        __version__,
        platform.python_version(),
        qVersion(),
        platform.platform(),
    )

    from guiapp.ui.main_window import MainWindow

    window = MainWindow()
    appearance.follow_system_theme(app, window)
    settings.restore_window(window)
    app.aboutToQuit.connect(lambda: settings.save_window(window))
    app.aboutToQuit.connect(window.runner.shutdown)
    window.session.study_replaced.connect(lambda: settings.remember_study_folder(window.study.folder))
    window.show()
    _freeze_gc()
    smoke_test = bool(os.environ.get(diagnostics.SMOKE_TEST_ENV))
    if smoke_test:  # packaging/check_bundle.sh: show the window, check it, print ok, quit
        diagnostics.run_smoke_test(app, window)

    if study_dir:
        error = window.session.open_study(Path(study_dir))
        if error:
            QMessageBox.warning(window, "Tenfold", error)
    elif demo:
        window.session.start_demo(demo)

    def warm_up() -> None:
        window.runner.run_in_background(warm_up_torch, on_done=_freeze_gc)

    # After the first paint, so the window is up before torch starts loading.
    if not smoke_test:
        QTimer.singleShot(300, warm_up)
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main(*(sys.argv[1:2] or [None])))
