"""Opening the window stays light: no torch, pandas or pyqtgraph until a page needs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

SCRIPT = """
import json, os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtWidgets import QApplication
app = QApplication([])
from guiapp.ui.main_window import MainWindow
window = MainWindow(None)
window.show()
app.processEvents()
for step in ("study", "question"):
    window.go_to(step)
    app.processEvents()
window.runner.shutdown()
print(json.dumps({name: name in sys.modules for name in ("torch", "pyqtgraph", "sklearn", "pandas")}))
"""


def test_opening_the_window_does_not_import_torch():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert loaded == {"torch": False, "pyqtgraph": False, "sklearn": False, "pandas": False}
