"""The Qt user interface: main window, one page per step, the checklist and the task runner.

It binds to ``guiapp.core`` and holds no science of its own.
"""
