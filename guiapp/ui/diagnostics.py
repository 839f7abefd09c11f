"""“Copy diagnostic info”: versions, screen, device and GPU, and where the logs are, as plain
text for a bug report.

Versions come from package metadata, so nothing heavy is imported. The device needs torch, so
it is gathered on a short-lived worker thread when the user asks, never at start-up; the text
reaches the clipboard back on the GUI thread.
"""

from __future__ import annotations

import logging
import os
import platform
import sys
import threading
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QGuiApplication

from guiapp import __version__

log = logging.getLogger("guiapp.ui")


def system_info() -> dict:
    return {
        "tenfold": __version__,
        "build": "installed bundle" if getattr(sys, "frozen", False) else "Python environment",
        "python": f"{platform.python_version()} ({platform.python_implementation()})",
        "system": platform.platform(),
        "machine": platform.machine(),
        "cpu cores": os.cpu_count(),
    }


def package_versions() -> dict:
    from guiapp.ui.about import bundled_components

    return {c["name"]: c["version"] for c in bundled_components()}


def qt_info(app: QGuiApplication | None = None) -> dict:
    """Qt runtime, platform plugin, colour scheme and every screen's scale (GUI thread only)."""
    from PySide6 import QtCore

    from guiapp.ui.appearance import is_dark

    app = app or QGuiApplication.instance()
    info = {"qt": QtCore.qVersion(), "pyside6": getattr(sys.modules.get("PySide6"), "__version__", "?")}
    if app is None:
        return info
    style = app.style().name() if hasattr(app, "style") else ""
    info.update(
        {
            "platform plugin": app.platformName(),
            "style": style,
            "colour scheme": "dark" if is_dark(app) else "light",
            "high-DPI rounding": app.highDpiScaleFactorRoundingPolicy().name,
        }
    )
    info["screens"] = [
        f"{s.name()} {s.size().width()}×{s.size().height()} at scale "
        f"{s.devicePixelRatio():g} ({s.logicalDotsPerInch():.0f} dpi)"
        for s in app.screens()
    ]
    return info


def device_info() -> dict:
    """torch build, CUDA/MPS availability, GPU names and memory, driver. Imports torch: call
    it off the GUI thread."""
    started = time.monotonic()
    try:
        import torch

        from guiapp.core.models import devices

        info = {k: v for k, v in devices.runtime_versions().items() if k not in ("python", "platform")}
        info["torch build"] = f"CUDA {torch.version.cuda}" if torch.version.cuda else "CPU only"
        has = devices.available_devices()
        info["available"] = ", ".join(d for d in ("cuda", "mps", "cpu") if has[d])
        chosen = devices.pick_device("auto")
        info["training device (auto)"] = chosen
        info["device"] = devices.device_description(chosen)
        if has["cuda"]:
            info["gpus"] = [
                f"{torch.cuda.get_device_name(i)}, {torch.cuda.get_device_properties(i).total_memory / 2**30:.1f} GiB"
                for i in range(torch.cuda.device_count())
            ]
    except Exception as exc:  # a broken torch is exactly what a bug report needs to say
        info = {"error": f"{type(exc).__name__}: {exc}"}
    info["gathered in"] = f"{time.monotonic() - started:.1f} s"
    return info


def _lines(title: str, values: dict) -> list[str]:
    out = [f"{title}:"]
    for key, value in values.items():
        if isinstance(value, (list, tuple)):
            out += [f"  {key}:"] + [f"    {v}" for v in value]
        elif isinstance(value, dict):
            out.append(f"  {key}: " + ", ".join(f"{k} {v}" for k, v in value.items() if v is not None))
        else:
            out.append(f"  {key}: {value}")
    return out


def diagnostic_text(device: dict | None = None, qt: dict | None = None) -> str:
    """The whole report. Without ``device`` the device section says it was not gathered."""
    from guiapp.core.study.paths import log_file
    from guiapp.ui.settings import settings_file

    lines = [f"Tenfold diagnostic info, {time.strftime('%Y-%m-%d %H:%M:%S %Z')}"]
    lines += _lines("System", system_info())
    lines += _lines("Qt", qt if qt is not None else qt_info())
    lines += _lines("Packages", package_versions())
    lines += _lines("Device", device if device is not None else {"not gathered": "torch not loaded"})
    lines += _lines("Files", {"log": log_file(), "settings": settings_file()})
    return "\n".join(lines) + "\n"


class DiagnosticsCopier(QObject):
    """Gathers the report off the GUI thread and puts it on the clipboard.

    ``copy()`` returns at once; ``ready`` carries the text when it is on the clipboard.
    """

    ready = Signal(str)
    _gathered = Signal(object)

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        on_status: Callable[[str], None] | None = None,
        gather: Callable[[], dict] = device_info,
    ) -> None:
        super().__init__(parent)
        self._on_status = on_status
        self._gather = gather
        self._thread: threading.Thread | None = None
        self.last_device: dict = {}
        self._gathered.connect(self._finish)

    @property
    def busy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @Slot()
    def copy(self) -> None:
        if self.busy:
            return
        self._say("Gathering diagnostic info (versions, device, GPU)…")
        self._thread = threading.Thread(target=self._work, name="tenfold-diagnostics", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        device = self._gather()
        try:
            self._gathered.emit(device)  # queued to the GUI thread, where this object lives
        except RuntimeError:  # the window closed meanwhile
            pass

    @Slot(object)
    def _finish(self, device: dict) -> None:
        self.last_device = device
        text = diagnostic_text(device)
        QGuiApplication.clipboard().setText(text)
        log.info("Diagnostic info copied to the clipboard")
        self._say(
            f"Diagnostic info copied to the clipboard ({len(text.splitlines())} lines): paste it into your bug report."
        )
        self.ready.emit(text)

    def _say(self, text: str) -> None:
        if self._on_status is not None:
            self._on_status(text)


SMOKE_TEST_ENV = "TENFOLD_SMOKE_TEST"


def run_smoke_test(app, window, timeout_ms: int = 180_000) -> None:
    """For packaging/check_bundle.sh: once the window shows, open About, gather diagnostic info
    (this loads torch), print it and "ok", and quit; on any failure print why and exit 1."""
    from PySide6.QtCore import QTimer

    from guiapp.ui.about import AboutDialog

    def fail(why: str) -> None:
        print(f"smoke test failed: {why}", flush=True)
        app.exit(1)

    def done(text: str) -> None:
        print(text, flush=True)
        if "error" in copier.last_device:
            return fail("torch or the device could not be read (see above)")
        print("ok", flush=True)
        app.exit(0)

    def check() -> None:
        if not window.isVisible():
            return fail("the main window did not show")
        about = AboutDialog(window)
        if "PyTorch" not in about.component_names():
            return fail("the About dialog does not list PyTorch")
        about.deleteLater()
        copier.ready.connect(done)
        copier.copy()

    copier = DiagnosticsCopier(window)
    QTimer.singleShot(0, check)
    QTimer.singleShot(timeout_ms, lambda: fail(f"no answer within {timeout_ms // 1000} s"))
