"""How Tenfold looks on the desktop: its icon, and the system's light or dark colour scheme."""

from __future__ import annotations

from importlib import resources

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette, QPixmap
from PySide6.QtWidgets import QApplication, QWidget

ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
_DARK_PALETTE_SET = "tenfoldDarkPalette"  # an application property: we set the dark palette


def icon_bytes(size: int) -> bytes:
    return resources.files("guiapp.resources").joinpath("icons", f"tenfold-{size}.png").read_bytes()


def app_icon() -> QIcon:
    """Tenfold's icon at every size it ships, read through importlib.resources (bundle or not)."""
    icon = QIcon()
    for size in ICON_SIZES:
        pixmap = QPixmap()
        try:
            if pixmap.loadFromData(icon_bytes(size), "PNG"):
                icon.addPixmap(pixmap)
        except (FileNotFoundError, OSError):
            continue
    return icon


def is_dark(app: QGuiApplication | None = None) -> bool:
    """True when the system asks for a dark scheme (Qt 6.5+), or, where it does not say, when
    the palette in use is dark."""
    app = app or QGuiApplication.instance()
    if app is None:
        return False
    scheme = app.styleHints().colorScheme()
    if scheme == Qt.ColorScheme.Dark:
        return True
    if scheme == Qt.ColorScheme.Light:
        return False
    return app.palette().color(QPalette.Window).lightness() < 128


def dark_palette() -> QPalette:
    p = QPalette()
    colors = {
        QPalette.Window: "#2b2b2b",
        QPalette.WindowText: "#e8e8e8",
        QPalette.Base: "#1f1f1f",
        QPalette.AlternateBase: "#2a2a2a",
        QPalette.ToolTipBase: "#3a3a3a",
        QPalette.ToolTipText: "#f0f0f0",
        QPalette.Text: "#e8e8e8",
        QPalette.Button: "#353535",
        QPalette.ButtonText: "#e8e8e8",
        QPalette.BrightText: "#ff6b6b",
        QPalette.Link: "#6fb3ff",
        QPalette.Highlight: "#2f7fc1",
        QPalette.HighlightedText: "#ffffff",
        QPalette.PlaceholderText: "#9a9a9a",
    }
    for role, color in colors.items():
        p.setColor(role, QColor(color))
    for role in (QPalette.WindowText, QPalette.Text, QPalette.ButtonText):
        p.setColor(QPalette.Disabled, role, QColor("#7a7a7a"))
    return p


def apply_color_scheme(app: QApplication) -> bool:
    """Match the palette to the system's scheme; returns whether it is dark.

    Windows 11 and macOS styles switch palettes themselves. Where the platform style keeps a
    light palette under a dark scheme (many Linux desktops), Fusion with a dark palette stands in.
    """
    dark = is_dark(app)
    palette_is_dark = app.palette().color(QPalette.Window).lightness() < 128
    if dark and not palette_is_dark:
        app.setStyle("Fusion")
        app.setPalette(dark_palette())
        app.setProperty(_DARK_PALETTE_SET, True)
    elif not dark and app.property(_DARK_PALETTE_SET):
        app.setPalette(app.style().standardPalette())
        app.setProperty(_DARK_PALETTE_SET, False)
    return dark


def style_sheet(dark: bool) -> str:
    """tenfold.qss, plus its dark overrides under a dark scheme."""
    parts = ["tenfold.qss"] + (["tenfold-dark.qss"] if dark else [])
    text = []
    for name in parts:
        try:
            text.append(resources.files("guiapp.resources").joinpath("ui", name).read_text(encoding="utf-8"))
        except (FileNotFoundError, ModuleNotFoundError, OSError):
            pass
    return "\n".join(text)


def follow_system_theme(app: QApplication, window: QWidget) -> None:
    """Apply the system's scheme now and whenever the user switches it."""

    def apply(*_args) -> None:
        window.setStyleSheet(style_sheet(apply_color_scheme(app)))

    apply()
    app.styleHints().colorSchemeChanged.connect(apply)
