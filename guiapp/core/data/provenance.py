"""Where a file came from: its path, size, SHA-256 and modification time, plus what the user says.

A study records this for its data and its sample sheet (:mod:`guiapp.core.data.attach`), and
refuses to go on when a file changed after loading.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
from pathlib import Path

from guiapp.core.study.model import Provenance
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext


def file_provenance(
    path: os.PathLike | str,
    *,
    source: str = "",
    version: str = "",
    downloaded: str = "",
    accession: str = "",
    url: str = "",
    ctx: TaskContext = NO_CONTEXT,
) -> Provenance:
    """Path, size, SHA-256 and modification time of a file (or a folder's files), plus what the user says.

    A folder's SHA-256 is that of its manifest: one line per file, its path inside the folder
    and its own SHA-256, in sorted order; its size is the files' total.
    """
    path = Path(path)
    files = (
        [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
    )
    total = sum(p.stat().st_size for p in files)
    done = 0
    manifest = []
    for f in files:
        digest = hashlib.sha256()
        with f.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
                done += len(chunk)
                ctx.report(done / max(total, 1), f"Hashing {f.name}")
                ctx.check()
        manifest.append(f"{f.relative_to(path).as_posix() if f != path else f.name}\t{digest.hexdigest()}")
    sha = digest.hexdigest() if path.is_file() else hashlib.sha256("\n".join(manifest).encode()).hexdigest()
    mtime = max((p.stat().st_mtime for p in files), default=path.stat().st_mtime)
    modified = _dt.datetime.fromtimestamp(mtime, _dt.UTC)
    return Provenance(
        path=str(path.resolve()),
        size_bytes=total,
        sha256=sha,
        modified=modified.replace(microsecond=0).isoformat(),
        source=source,
        version=version,
        downloaded=downloaded,
        accession=accession,
        url=url,
    )
