"""The "Start each step's routine work when I arrive" setting: on by default, remembered (QSettings).

On, moving forward to a step whose routine work has not been done yet starts it at once, as
Orange's "Apply automatically" does: the batch-effect check, drawing the split, fitting the
baselines, applying the recommended architecture, training, the overfitting check, the
tune-split evaluation and the interpretation. Each page says which of its buttons that is
(:meth:`StepPage.arrival_action`); the work shows its progress and can be cancelled as if the
user had pressed the button. Nothing irreversible ever starts by itself: the sealed test, an
export, a remedy or a decision always waits for the user.
"""

from __future__ import annotations

from guiapp.ui.settings import bool_setting, set_bool_setting

KEY = "flow/run_on_arrival"


def run_on_arrival() -> bool:
    return bool_setting(KEY, True)


def set_run_on_arrival(on: bool) -> None:
    set_bool_setting(KEY, on)


def start_arrival_work(window, arrived: str) -> None:
    """Press the page's routine button when the user has just moved on to it and its work is undone.

    ``window`` is the MainWindow; ``arrived`` the step moved to. Nothing starts when the setting
    is off, the user has already moved elsewhere, the study has no folder or a task is running.
    """
    page = window.current_page()
    if page.step_id != arrived or window.study.folder is None or window.runner.busy or not run_on_arrival():
        return
    button = page.arrival_action()
    if button is None or not button.isEnabled():
        return
    button.click()
    if window.runner.busy:
        window.show_status(
            f"{window.status_label.text()} Started on arrival; Cancel stops it "
            "(View ▸ Start each step's routine work when I arrive)."
        )
