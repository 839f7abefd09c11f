"""Start the wizard: the QApplication, logging, the main window, and a quiet torch warm-up."""

from __future__ import annotations

import gc
import logging
import sys
from pathlib import Path
from typing import Optional

log = logging.getLogger("guiapp.ui")


def log_file() -> Path:
    from platformdirs import user_log_path

    return user_log_path("Tenfold", "Tenfold") / "tenfold.log"


def setup_logging() -> None:
    """Unexpected errors go to a log file (never to the user as a traceback)."""
    try:
        path = log_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("guiapp")
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def warm_up_torch() -> None:
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


def main(study_dir: Optional[str] = None, demo: Optional[str] = None) -> int:
    """Open the wizard, optionally on a study folder or a new demo study; returns the exit code."""
    from PySide6.QtCore import QTimer, Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication, QMessageBox

    setup_logging()
    if QApplication.instance() is None:
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Tenfold")
    app.setOrganizationName("Tenfold")
    app.setApplicationDisplayName("Tenfold")

    from guiapp.ui.main_window import MainWindow

    window = MainWindow()
    app.aboutToQuit.connect(window.runner.shutdown)
    window.show()
    _freeze_gc()

    if study_dir:
        error = window.session.open_study(Path(study_dir))
        if error:
            QMessageBox.warning(window, "Tenfold", error)
    elif demo:
        window.session.start_demo(demo)

    def warm_up() -> None:
        window.runner.run_in_background(warm_up_torch, on_done=_freeze_gc)

    # After the first paint, so the window is up before torch starts loading.
    QTimer.singleShot(300, warm_up)
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main(*(sys.argv[1:2] or [None])))
