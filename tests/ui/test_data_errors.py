"""A bad data file shows a plain message on the Data page; nothing crashes, nothing is loaded."""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import Qt


def _garbage(path):
    path.write_bytes(bytes(range(256)) * 40)


def _no_label_chosen(path):
    path.write_text("a,b,c\n" + "".join(f"{i},{i * 2},{i % 3}\n" for i in range(30)))


def _empty(path):
    path.write_bytes(b"")


def _single_column(path):
    path.write_text("value\n" + "".join(f"{i}\n" for i in range(30)))


@pytest.mark.parametrize(
    "write, expected",
    [
        (_garbage, "UTF-8"),
        (_no_label_chosen, "Choose the label column"),
        (_empty, "is empty"),
        (_single_column, "single column"),
    ],
    ids=["garbage-bytes", "no-label-column", "empty", "single-column"],
)
def test_bad_file_shows_the_message_on_the_page(qtbot, window, run_and_wait, tmp_path, write, expected):
    window.session.new_study(tmp_path / "study")
    window.study.checklist_mode = False
    assert window.go_to("data")
    page = window.current_page()
    bad = tmp_path / "bad.csv"
    write(bad)
    page.set_path(bad)
    run_and_wait(window, page.load)
    assert page.error.isVisibleTo(page)
    assert expected in page.error.text()
    assert "Traceback" not in page.error.text()
    assert window.study.table is None and not window.study.data.provenance.sha256
    assert page.load.isEnabled()  # the page stays usable
    assert not window.steps.item(3).flags() & Qt.ItemIsEnabled  # Batch effects stays greyed
    assert "Load a data table" in window.steps.item(3).toolTip()


def test_garbage_file_is_flagged_as_soon_as_it_is_chosen(qtbot, window, tmp_path):
    window.session.new_study(tmp_path / "study")
    window.study.checklist_mode = False
    window.go_to("data")
    page = window.current_page()
    bad = tmp_path / "scan.csv"
    _garbage(bad)
    page.set_path(bad)  # only the header is read, on the GUI thread
    message = page.error.text()  # the file's own error: which file, what is wrong, what to do
    assert "scan.csv" in message and "binary" in message and "Export the table as CSV" in message
    assert page.label.count() == 1  # only the "choose" placeholder


def test_a_missing_data_file_on_reopening_shows_on_the_data_page(qtbot, make_window, demo_study):
    from guiapp.core.study.model import Study

    os.remove(demo_study.data.provenance.path)
    window = make_window(Study.open(demo_study.folder))
    qtbot.waitUntil(lambda: not window.runner.busy)
    assert "does not exist" in window.page("data").error.text()
    assert "Data page" in window.status_label.text()
