"""The "Show technical details" setting: off by default, remembered between sessions (QSettings).

Off, pages show plain summaries (a traffic light and a sentence); on, they add the expert
numbers behind them (scib ASW, iLISI, kBET, the attack's AUC…). Widgets read
:func:`technical_details` when they refresh and follow :data:`notifier`'s ``changed`` signal.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from guiapp.ui.settings import bool_setting, set_bool_setting

KEY = "view/technical_details"


class _Notifier(QObject):
    changed = Signal(bool)


notifier = _Notifier()


def technical_details() -> bool:
    return bool_setting(KEY, False)


def set_technical_details(on: bool) -> None:
    set_bool_setting(KEY, on)
    notifier.changed.emit(bool(on))


def follow(on_change) -> None:
    """Call ``on_change(on)`` now and whenever the setting changes.

    ``on_change`` is a method of a widget: Qt drops the connection when the widget is deleted.
    """
    on_change(technical_details())
    notifier.changed.connect(on_change)
