"""The wizard is one writer too: it refuses a study another process writes, holds the lock of the
study it shows, and its Export refuses a folder that is, holds or lies in the study folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from guiapp.core.study.lock import LOCK_FILE, read_holder
from guiapp.core.study.model import Study

HOLD = """
import sys
from guiapp.core.study.lock import StudyLock
lock = StudyLock(sys.argv[1], command="tenfold run").acquire()
print("held", flush=True)
sys.stdin.readline()
lock.release()
"""
TRY = """
import sys
from guiapp.core.study.lock import StudyLock, StudyLockedError
try:
    StudyLock(sys.argv[1]).acquire()
    print("taken")
except StudyLockedError as exc:
    print("refused:", exc)
"""


def test_opening_a_study_another_process_writes_is_refused_with_who_writes_it(window, tmp_path):
    folder = tmp_path / "study"
    Study().save(folder)
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(folder)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout.readline().strip() == "held"
        error = window.session.open_study(folder)
    finally:
        child.communicate("\n", timeout=30)
    assert error and f"being written by another Tenfold (process {child.pid}" in error
    assert window.session.study.folder is None  # the window stays on its own study
    assert window.session.open_study(folder) is None  # once the writer has ended, it opens


def test_the_wizard_holds_the_lock_of_its_study_so_a_run_is_refused(window, tmp_path):
    import os

    first, second = tmp_path / "first", tmp_path / "second"
    assert window.session.new_study(first) is None
    assert read_holder(first).pid == os.getpid()
    other = subprocess.run([sys.executable, "-c", TRY, str(first)], capture_output=True, text=True, timeout=60)
    assert other.stdout.startswith("refused:") and "tenfold wizard" in other.stdout
    assert window.session.new_study(second) is None  # moving on gives the first study back
    assert not (first / LOCK_FILE).exists() and read_holder(second).pid == os.getpid()
    window.close()
    assert not (second / LOCK_FILE).exists()


def test_export_refuses_the_study_folder_and_folders_inside_it(make_window, demo_study):
    window = make_window(demo_study)
    window.go_to("export", force=True)
    page = window.current_page()
    folder = Path(demo_study.folder)
    assert Path(page.out_dir.text()) == folder.with_name(folder.name + "-export")  # suggested beside it
    for chosen, words in (
        (folder, "is the study folder itself"),
        (folder / "export", "lies inside the study folder"),
        (folder.parent, "holds the study folder"),
    ):
        page.out_dir.setText(str(chosen))
        page.export.click()
        assert words in page.error.text() and not window.runner.busy
    assert not (folder / "export").exists()
