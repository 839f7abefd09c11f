"""Putting an export bundle in place all at once: a failed export leaves the previous bundle, or none.

The bundle is written into a staging folder beside the target (same disk, so moving it is a
rename), manifest last, and then swapped in: the old folder is renamed aside, the new one
renamed into place, the old one deleted. A target that also holds other things (say, the
study folder of a headless run, or the user's own files) keeps them: only the bundle's own
entries are swapped, the old manifest first out and the new manifest last in, so a crash in
between leaves no manifest, which Tenfold treats as no bundle. A full disk stops the export
with a message that says how much to free, before anything of the previous bundle is touched.
"""

from __future__ import annotations

import contextlib
import errno
import math
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from guiapp.core.export.bundle_files import BUNDLE_FILES
from guiapp.core.export.open_bundle import sha256_of
from guiapp.core.study.errors import DiskFullError, TenfoldError

MANIFEST, MANIFEST_SHA = "manifest.json", "manifest.sha256"
NEW, OLD = "tenfold-new", "tenfold-old"


def bundle_names() -> set[str]:
    """The names a bundle's entries have at the top of its folder."""
    return {Path(name).parts[0] for name in BUNDLE_FILES} | {MANIFEST_SHA}


def _sibling(out: Path, kind: str) -> Path:
    return out.parent / f".{out.name}.{kind}-{uuid.uuid4().hex[:8]}"


def _siblings(out: Path, kind: str) -> list[Path]:
    return sorted(out.parent.glob(f".{out.name}.{kind}-*")) if out.parent.is_dir() else []


def recover(out: Path) -> None:
    """Undo what an export killed mid-way left: the previous bundle renamed aside comes back
    when nothing took its place, and unfinished staging folders go."""
    old = _siblings(out, OLD)
    if not out.exists() and len(old) == 1 and (old[0] / MANIFEST).is_file():
        os.rename(old[0], out)
        old = []
    for leftover in _siblings(out, NEW) + old:
        shutil.rmtree(leftover, ignore_errors=True)


def disk_full_message(out: Path, needed_bytes: int, had_bundle: bool) -> str:
    mb = max(1, math.ceil(needed_bytes / 2**20))
    state = "The previous bundle there is unchanged." if had_bundle else "No bundle was written."
    return (
        f"The disk is full: free {mb} MB on the disk that holds {out.parent} (about the size of the "
        f"bundle) and export again. The export to {out} stopped before it finished. {state}"
    )


@contextlib.contextmanager
def staged(out, *, estimate: Callable[[], int] = lambda: 0) -> Iterator[Path]:
    """A fresh staging folder beside ``out``; on leaving the block without error it replaces
    ``out``'s bundle. On any error the staging folder goes and ``out`` is left as it was."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise TenfoldError(f"{out} is a file; choose a folder for the export bundle.")
    had_bundle = (out / MANIFEST).is_file()
    stage = None
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        recover(out)
        stage = _sibling(out, NEW)
        stage.mkdir()
        yield stage
        swap_into_place(stage, out)
    except OSError as exc:
        if exc.errno != errno.ENOSPC:
            raise
        needed = 0
        with contextlib.suppress(Exception):
            needed = estimate()
        if stage is not None and stage.is_dir():
            with contextlib.suppress(OSError):
                needed = max(needed, sum(p.stat().st_size for p in stage.rglob("*") if p.is_file()) + (1 << 20))
        raise DiskFullError(disk_full_message(out, needed, had_bundle and (out / MANIFEST).is_file())) from None
    finally:
        if stage is not None and stage.exists():
            shutil.rmtree(stage, ignore_errors=True)


def swap_into_place(stage: Path, out: Path) -> None:
    """Replace the bundle in ``out`` by the one in ``stage`` (see the module's description)."""
    if not out.exists():
        os.rename(stage, out)
        return
    names = bundle_names()
    if all(entry.name in names for entry in out.iterdir()):
        old = _sibling(out, OLD)
        os.rename(out, old)
        try:
            os.rename(stage, out)
        except BaseException:
            os.rename(old, out)
            raise
        shutil.rmtree(old, ignore_errors=True)
        return
    _swap_entries(stage, out, names)


def _swap_entries(stage: Path, out: Path, names: set[str]) -> None:
    old = _sibling(out, OLD)
    old.mkdir()
    moved_out, moved_in = [], []
    try:
        # the old manifest first out: from here until the new one is in, there is no bundle
        for name in [MANIFEST, MANIFEST_SHA] + sorted(names - {MANIFEST, MANIFEST_SHA}):
            if (out / name).exists():
                os.rename(out / name, old / name)
                moved_out.append(name)
        for entry in sorted(stage.iterdir(), key=lambda p: (p.name in (MANIFEST, MANIFEST_SHA), p.name)):
            os.rename(entry, out / entry.name)
            moved_in.append(entry.name)
    except BaseException:
        for name in reversed(moved_in):
            with contextlib.suppress(OSError):
                os.rename(out / name, stage / name)
        for name in reversed(moved_out):
            with contextlib.suppress(OSError):
                os.rename(old / name, out / name)
        raise
    finally:
        shutil.rmtree(old, ignore_errors=True)


def withdraw_models(out: Path, withheld: list[str]) -> None:
    """Remove from an earlier bundle in ``out`` the model files this export withholds; the
    earlier manifest goes with them, so what remains is no longer a bundle anyone can apply."""
    removed = False
    for name in withheld:
        path = Path(out) / name
        if path.is_file():
            path.unlink()
            removed = True
    if removed:
        for name in (MANIFEST, MANIFEST_SHA):
            (Path(out) / name).unlink(missing_ok=True)


def write_manifest_sha(stage: Path, result) -> str:
    """``manifest.sha256`` beside the manifest, in the format ``sha256sum -c`` reads; the hash
    also goes on ``result.manifest_sha256``. It helps only when published elsewhere too."""
    digest = sha256_of(stage / MANIFEST)
    (stage / MANIFEST_SHA).write_text(f"{digest}  {MANIFEST}\n", encoding="utf-8")
    result.manifest_sha256 = digest
    return digest
