"""One writer per study: the lock file names its holder; a live holder is refused, a dead one's
lock is taken over with a note."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from guiapp.core.study.lock import LOCK_FILE, StudyLock, StudyLockedError, live_holder, read_holder

HOLD = """
import sys
from guiapp.core.study.lock import StudyLock
lock = StudyLock(sys.argv[1], command="holder").acquire()
print("held", flush=True)
sys.stdin.readline()  # hold until the test says so
lock.release()
"""


@pytest.fixture
def holder(tmp_path):
    """A second process that holds the lock of tmp_path/'study' until its stdin closes."""
    folder = tmp_path / "study"
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(folder)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout.readline().strip() == "held"
    yield folder, child
    if child.poll() is None:
        child.communicate("\n", timeout=30)


def test_the_lock_file_names_pid_host_and_start_and_goes_when_released(tmp_path):
    folder = tmp_path / "study"
    with StudyLock(folder, command="tenfold run") as lock:
        record = json.loads((folder / LOCK_FILE).read_text())
        assert record["pid"] == os.getpid() and record["host"] == socket.gethostname()
        assert record["started"] and record["command"] == "tenfold run" and lock.note == ""
        assert live_holder(folder) is None  # our own lock is no other writer
    assert not (folder / LOCK_FILE).exists()


def test_a_second_writer_is_refused_while_another_process_holds_the_study(holder):
    folder, child = holder
    with pytest.raises(StudyLockedError, match=f"process {child.pid} on {socket.gethostname()}"):
        StudyLock(folder).acquire()
    assert live_holder(folder).pid == child.pid
    child.communicate("\n", timeout=30)  # the holder ends and gives the lock back
    assert not (folder / LOCK_FILE).exists()
    with StudyLock(folder) as lock:
        assert lock.held and lock.note == ""


def test_a_stale_lock_of_a_dead_process_is_taken_over_with_a_note(tmp_path):
    folder = tmp_path / "study"
    folder.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (folder / LOCK_FILE).write_text(
        json.dumps(
            {"pid": dead.pid, "host": socket.gethostname(), "started": "2026-01-01T00:00:00Z", "command": "tenfold run"}
        )
    )
    assert read_holder(folder).pid == dead.pid and live_holder(folder) is None
    with StudyLock(folder) as lock:
        assert f"process {dead.pid}" in lock.note and "no longer runs" in lock.note
        assert read_holder(folder).pid == os.getpid()


def test_a_lock_from_another_host_is_refused_with_how_to_clear_it(tmp_path):
    folder = tmp_path / "study"
    folder.mkdir()
    (folder / LOCK_FILE).write_text(json.dumps({"pid": 1, "host": "node-17.cluster", "started": "now"}))
    with pytest.raises(StudyLockedError, match="another computer") as info:
        StudyLock(folder).acquire()
    assert str(folder / LOCK_FILE) in str(info.value)


def test_a_nested_lock_in_the_same_process_leaves_the_outer_one_in_place(tmp_path):
    folder = tmp_path / "study"
    with StudyLock(folder):
        with StudyLock(folder):
            pass
        assert read_holder(folder).pid == os.getpid()
    assert not (folder / LOCK_FILE).exists()


def test_a_lock_from_an_earlier_boot_is_stale_even_if_its_pid_runs_again(holder):
    """After a restart a new process may get the old PID: the boot the lock was taken in decides."""
    from guiapp.core.study.lock import boot_id

    if not boot_id():
        pytest.skip("no boot ID on this system")
    folder, child = holder
    record = json.loads((folder / LOCK_FILE).read_text())
    assert record["boot"] == boot_id()
    (folder / LOCK_FILE).write_text(json.dumps({**record, "boot": "an-earlier-boot"}))  # the PID still runs
    with StudyLock(folder) as lock:
        assert f"process {child.pid}" in lock.note
