"""The main window's menus: File (new, open, save, quit), View (guided mode, technical details,
running steps on arrival, the checklist) and Help (glossary, diagnostic info, about)."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence

from guiapp.ui import about, detail_level, diagnostics, dialogs, run_on_arrival


def build_menus(window) -> None:
    """The menu bar of ``window`` (a MainWindow); its actions become the window's attributes."""
    file_menu = window.menuBar().addMenu("&File")
    window.new_action = add_action(
        window, file_menu, "&New study…", QKeySequence.New, lambda: dialogs.new_study(window, window.session)
    )
    window.open_action = add_action(
        window, file_menu, "&Open study…", QKeySequence.Open, lambda: dialogs.open_study(window, window.session)
    )
    add_action(window, file_menu, "&Save", QKeySequence.Save, window.save)
    file_menu.addSeparator()
    add_action(window, file_menu, "&Quit", QKeySequence.Quit, window.close)
    view = window.menuBar().addMenu("&View")
    window.guided_action = QAction("&Guided checklist mode", window, checkable=True)
    window.guided_action.setShortcut(QKeySequence("Ctrl+G"))
    window.guided_action.setToolTip("Do not move past a step while its required checklist items are open.")
    window.guided_action.toggled.connect(window.set_guided)
    view.addAction(window.guided_action)

    window.details_action = add_setting(
        window,
        view,
        "Show &technical details",
        "Show the expert numbers behind the plain summaries (batch metrics, "
        "the privacy attack's scores…). Remembered for next time.",
        detail_level.technical_details,
        detail_level.set_technical_details,
    )
    window.run_on_arrival_action = add_setting(
        window,
        view,
        "&Start each step's routine work when I arrive",
        "Moving on starts the next step's check, split, fit or training at once (Cancel stops it). "
        "The sealed test, exports and decisions always wait for you. Remembered for next time.",
        run_on_arrival.run_on_arrival,
        run_on_arrival.set_run_on_arrival,
    )
    checklist_toggle = window.checklist.toggleViewAction()
    checklist_toggle.setShortcut(QKeySequence("Ctrl+L"))
    view.addAction(checklist_toggle)
    help_menu = window.menuBar().addMenu("&Help")
    window.glossary_action = add_action(
        window, help_menu, "&Glossary", QKeySequence.HelpContents, lambda: window.current_page().open_glossary()
    )
    window.glossary_action.setToolTip("Every word Tenfold uses, in plain terms, with small pictures.")
    window.diagnostics = diagnostics.DiagnosticsCopier(window, on_status=window.show_status)
    window.diagnostics_action = add_action(
        window, help_menu, "Copy &diagnostic info", QKeySequence("Ctrl+Shift+D"), window.diagnostics.copy
    )
    window.diagnostics_action.setToolTip("Copy versions, device and GPU to the clipboard, for a bug report.")
    help_menu.addSeparator()
    window.about_action = add_action(window, help_menu, "&About Tenfold", None, lambda: about.show_about(window))
    window.about_action.setMenuRole(QAction.AboutRole)  # macOS: in the application menu


def add_action(window, menu, text, shortcut, slot) -> QAction:
    action = QAction(text, window)
    if shortcut is not None:
        action.setShortcut(shortcut)
    action.triggered.connect(slot)
    menu.addAction(action)
    return action


def add_setting(window, menu, text, tip, read, write) -> QAction:
    """A checkable menu entry for a remembered yes/no setting: shows ``read()``, calls ``write(on)``."""
    action = QAction(text, window, checkable=True)
    action.setToolTip(tip)
    action.setChecked(read())
    action.toggled.connect(write)
    menu.addAction(action)
    return action
