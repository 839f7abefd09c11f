"""The About dialog and "Copy diagnostic info": bundled components with their licences, the
no-network promise, and versions for bug reports, without loading torch at start-up."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from importlib import metadata

from PySide6.QtCore import qVersion
from PySide6.QtGui import QGuiApplication

from guiapp import __version__
from guiapp.ui import about, diagnostics


def _rows(dialog) -> dict:
    t = dialog.table
    return {t.item(r, 0).text(): (t.item(r, 1).text(), t.item(r, 2).text()) for r in range(t.rowCount())}


def test_about_lists_the_bundled_components_with_versions_and_licences(qtbot):
    dialog = about.AboutDialog()
    qtbot.addWidget(dialog)
    rows = _rows(dialog)
    for name in (
        "Tenfold",
        "Python",
        "Qt",
        "PySide6 (Qt for Python)",
        "PyTorch",
        "NumPy",
        "pandas",
        "scikit-learn",
        "pyqtgraph",
        "Model Card Toolkit schema",
    ):
        assert name in rows, name
    assert rows["Tenfold"] == (__version__, "BSD-3-Clause")
    assert rows["PyTorch"] == (metadata.version("torch"), "BSD-3-Clause")
    assert rows["Qt"] == (qVersion(), "LGPL-3.0-only")
    assert all(version and licence for version, licence in rows.values())


def test_about_says_tenfold_never_opens_a_network_connection(qtbot):
    dialog = about.AboutDialog()
    qtbot.addWidget(dialog)
    assert "Tenfold never opens a network connection" in dialog.no_network.text()
    assert dialog.no_network.isVisibleTo(dialog)


def test_components_that_are_not_installed_are_left_out(monkeypatch):
    monkeypatch.setattr(about, "COMPONENTS", about.COMPONENTS + (("Nothing", "no-such-dist-tenfold", "MIT", "x"),))
    assert "Nothing" not in [c["name"] for c in about.bundled_components()]


def test_help_menu_opens_about_without_blocking(window, qtbot):
    window.about_action.trigger()
    dialog = window.findChild(about.AboutDialog)
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible)
    dialog.close()


def test_diagnostic_text_carries_versions_and_files(qapp):
    text = diagnostics.diagnostic_text({"torch build": "CPU only", "gpus": ["Example GPU, 8.0 GiB"]})
    for needle in (
        f"tenfold: {__version__}",
        f"python: {platform.python_version()}",
        f"qt: {qVersion()}",
        f"PyTorch: {metadata.version('torch')}",
        f"NumPy: {metadata.version('numpy')}",
        "torch build: CPU only",
        "Example GPU, 8.0 GiB",
        "platform plugin: offscreen",
        "log: ",
        "settings: ",
    ):
        assert needle in text, needle


def test_copy_diagnostic_info_puts_the_report_on_the_clipboard(window, qtbot):
    window.diagnostics._gather = lambda: {"torch build": "CPU only", "gpus": ["Example GPU, 8.0 GiB"]}
    with qtbot.waitSignal(window.diagnostics.ready, timeout=10_000):
        window.diagnostics_action.trigger()
    assert "Example GPU, 8.0 GiB" in QGuiApplication.clipboard().text()
    assert "copied to the clipboard" in window.status_label.text()


def test_device_info_names_the_torch_build_and_the_training_device():
    info = diagnostics.device_info()
    assert "error" not in info, info
    assert info["torch"] == metadata.version("torch")
    assert info["training device (auto)"] in ("cuda", "mps", "cpu")
    assert info["torch build"] == ("CPU only" if info["cuda"] is None else f"CUDA {info['cuda']}")


SCRIPT = """
import json, sys
from PySide6.QtWidgets import QApplication
app = QApplication([])
from guiapp.ui.main_window import MainWindow
from guiapp.ui import about, diagnostics
window = MainWindow(None)
window.show()
window.about_action.trigger()
app.processEvents()
text = diagnostics.diagnostic_text()
window.runner.shutdown()
print(json.dumps({"torch": "torch" in sys.modules, "about": window.findChild(about.AboutDialog) is not None,
                  "versions": "PyTorch:" in text}))
"""


def test_about_and_the_report_without_device_do_not_import_torch():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {"torch": False, "about": True, "versions": True}
