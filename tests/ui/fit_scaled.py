"""Run the layout fit checks in a fresh process, under the display scaling its environment sets.

Qt reads QT_SCALE_FACTOR, QT_FONT_DPI and QT_ENABLE_HIGHDPI_SCALING once, when the application
starts, so tests/ui/test_layout_fit_dpi.py runs this script once per scale:

    python tests/ui/fit_scaled.py BASELINES_STUDY FINISHED_STUDY SETTINGS_FOLDER WIDTHxHEIGHT [...]

As test_layout_fit_a and _b do, it checks the pages at each window size (in device-independent
pixels): all of them on an empty study, Study to Baselines on the study run through Baselines,
Architecture to Export on the finished one. It prints one JSON object: the window's device pixel
ratio, the screen's logical DPI, the height of a line of text in pixels, and the problems found
({"empty" | "through baselines" | "finished": {"page at size[, tab]": [problem, ...]}}).
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any Qt import

from PySide6.QtCore import QSettings, Qt  # noqa: E402
from PySide6.QtGui import QFontMetrics, QGuiApplication  # noqa: E402
from PySide6.QtWidgets import QApplication, QFileDialog, QInputDialog, QMessageBox  # noqa: E402

from tests.ui.fit_check import LATER_PAGES, first_pages_problems, settle, window_problems  # noqa: E402


def refuse_dialogs() -> None:
    """A modal dialog would hang offscreen: fail loudly instead."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"the fit check opened a real dialog: {args[1:3]}")

    for cls, names in (
        (QMessageBox, ("question", "warning", "information", "critical", "about")),
        (QInputDialog, ("getText", "getMultiLineText", "getItem")),
        (QFileDialog, ("getOpenFileName", "getExistingDirectory", "getSaveFileName")),
    ):
        for name in names:
            setattr(cls, name, staticmethod(refuse))


def later_pages_problems(window, sizes) -> dict:
    """``window_problems`` at each size, as {"page at size[, tab or section]": problems}."""
    found: dict = {}
    for size in sizes:
        window.resize(*size)
        settle()
        for problem in window_problems(window, LATER_PAGES):
            where, _, what = problem.partition(": ")
            found.setdefault(where, []).append(what)
    return found


def open_study(folder: str):
    """The saved study with its table read again (a study file never holds the table)."""
    from guiapp.core.data.attach import reload_table
    from guiapp.core.study.model import Study

    study = Study.open(folder)
    reload_table(study)
    return study


def main(baselines_folder: str, finished_folder: str, settings_folder: str, *sizes: str) -> dict:
    """The checks of test_layout_fit_a (empty study, study through Baselines) and _b (empty, finished)."""
    from guiapp.core.batch import effects as batch
    from guiapp.core.stats.panel import metric_panel
    from guiapp.ui.main_window import MainWindow

    metric_panel.__kwdefaults__["n_boot"] = 30  # as in the UI tests: the pages, not the intervals, are checked
    # As Tenfold's own start does: fractional scales (125 %, 150 %) as they are.
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication([])
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, settings_folder)
    refuse_dialogs()
    sizes = [tuple(int(n) for n in size.split("x")) for size in sizes]
    result: dict = {"problems": {}}
    for name, folder, checks in (
        ("empty", None, (first_pages_problems, later_pages_problems)),
        ("through baselines", baselines_folder, (first_pages_problems,)),
        ("finished", finished_folder, (later_pages_problems,)),
    ):
        study = open_study(folder) if folder else None
        window = MainWindow(study)
        window.show()
        if study is not None:
            window.page("batch").set_report(batch.batch_effect_report(study))
        settle()
        result["device_pixel_ratio"] = window.devicePixelRatio()
        result["logical_dpi"] = window.screen().logicalDotsPerInch()
        result["text_line_px"] = QFontMetrics(app.font()).height()
        problems = result["problems"][name] = {}
        for check in checks:
            problems.update(check(window, sizes))
        window.runner.shutdown()
        window.close()
        window.deleteLater()
        settle()
    return result


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:])))
