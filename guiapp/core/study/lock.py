"""One writer per study: a lock file in the study folder names the process that writes it.

``tenfold run``, ``tenfold run --resume`` and the wizard take the lock before they write a
study and give it back when they end. The file holds the process ID, the host and the start
time, so a second writer is refused with a message that says who holds the study. A lock
left by a process that died (killed, crashed, a power cut) on this host is stale: it is taken
over, with a note. A lock from another host cannot be checked from here; it is refused, and
the message says how to remove it once that host is known to be done.
"""

from __future__ import annotations

import ctypes
import json
import os
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.model import now_iso

LOCK_FILE = "tenfold.lock"


class StudyLockedError(TenfoldError):
    """Another process is writing this study."""


def boot_id() -> str:
    """This boot of this host (Linux); "" elsewhere. A lock from an earlier boot is stale even when
    a new process happens to have its PID."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
    except OSError:
        return ""


@dataclass
class LockHolder:
    pid: int
    host: str
    started: str
    command: str = ""
    boot: str = ""

    @property
    def here(self) -> bool:
        return self.host == socket.gethostname()

    @property
    def running(self) -> bool:
        """Whether the holder still runs (on this host: its PID lives, in this boot)."""
        if self.boot and boot_id() and self.boot != boot_id():
            return False
        return pid_alive(self.pid)

    def describe(self) -> str:
        what = f" ({self.command})" if self.command else ""
        return f"process {self.pid} on {self.host}{what}, since {self.started}"


def pid_alive(pid: int) -> bool:
    """Whether a process with this ID runs on this host."""
    if pid <= 0:
        return False
    if sys.platform == "win32":  # os.kill(pid, 0) would end the process on Windows
        kernel = ctypes.windll.kernel32
        handle = kernel.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        kernel.GetExitCodeProcess(handle, ctypes.byref(code))
        kernel.CloseHandle(handle)
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but another user's
        return True
    return True


def read_holder(folder) -> LockHolder | None:
    """Who holds the study's lock, as the lock file says; None without a readable lock file."""
    try:
        raw = json.loads((Path(folder) / LOCK_FILE).read_text(encoding="utf-8"))
        return LockHolder(
            pid=int(raw["pid"]),
            host=str(raw["host"]),
            started=str(raw.get("started", "")),
            command=str(raw.get("command", "")),
            boot=str(raw.get("boot", "")),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def live_holder(folder) -> LockHolder | None:
    """The other process that is writing this study now, or None (no lock, a stale one, or ours)."""
    holder = read_holder(folder)
    if holder is None or (holder.here and (holder.pid == os.getpid() or not holder.running)):
        return None
    return holder


def refusal(folder, holder: LockHolder) -> str:
    message = (
        f"The study in {folder} is being written by another Tenfold ({holder.describe()}). "
        "One study takes one writer at a time: wait for it to end, or use another study folder."
    )
    if not holder.here:
        message += (
            f" That process runs on another computer, so Tenfold cannot tell whether it still runs; "
            f"once you know it has ended, delete {Path(folder) / LOCK_FILE} and try again."
        )
    return message


class StudyLock:
    """The lock on one study folder; ``with StudyLock(folder):`` holds it for the block.

    ``note`` says, after :meth:`acquire`, whether a stale lock was taken over (else "").
    """

    def __init__(self, folder, command: str = "") -> None:
        self.folder = Path(folder)
        self.command = command
        self.note = ""
        self.held = False

    @property
    def path(self) -> Path:
        return self.folder / LOCK_FILE

    def acquire(self) -> StudyLock:

        self.folder.mkdir(parents=True, exist_ok=True)
        record = json.dumps(
            {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "started": now_iso(),
                "command": self.command,
                "boot": boot_id(),
            }
        )
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = read_holder(self.folder)
                if holder is not None and holder.here and holder.pid == os.getpid():
                    # This process holds it already (the command line around the pipeline, or the
                    # wizard reopening its study): nothing to take, and nothing to give back.
                    self.held = False
                    return self
                if holder is not None and not (holder.here and not holder.running):
                    raise StudyLockedError(refusal(self.folder, holder)) from None
                # Stale (its process is gone) or unreadable (a writer died while writing it).
                self.note = (
                    f"Took over the lock of {holder.describe()}, which no longer runs."
                    if holder is not None
                    else f"Replaced an unreadable lock file {self.path}."
                )
                if read_holder(self.folder) != holder:
                    continue  # another process took it over meanwhile: look again
                try:
                    self.path.unlink()
                except FileNotFoundError:
                    pass
                continue
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(record)
            self.held = True
            return self
        raise StudyLockedError(
            f"The lock file {self.path} keeps changing: another Tenfold is starting on "
            "this study. Wait for it to end, or use another study folder."
        )

    def release(self) -> None:
        if not self.held:
            return
        holder = read_holder(self.folder)
        if holder is not None and holder.here and holder.pid == os.getpid():
            try:
                self.path.unlink()
            except FileNotFoundError:
                pass
        self.held = False

    def __enter__(self) -> StudyLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
