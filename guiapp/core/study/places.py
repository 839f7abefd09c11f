"""Where a study's working folder and its export bundle live: always apart.

The export bundle is what may be shared; the study folder holds what may not (checkpoints,
the tuning database, copies of the data, the key of pseudonymous row keys). So neither ever
lies inside the other. ``tenfold run SPEC --out DIR`` keeps its study in ``DIR.study`` beside
the bundle unless ``--study`` names another folder; ``--resume`` finds it by the same rule.
"""

from __future__ import annotations

import os
from pathlib import Path

from guiapp.core.study.errors import TenfoldError

STUDY_SUFFIX = ".study"
EXPORT_SUFFIX = "-export"


def _absolute(path) -> Path:
    return Path(os.path.abspath(Path(path).expanduser()))


def default_study_dir(out_dir) -> Path:
    """The study folder of a headless run whose bundle goes to ``out_dir``: ``<out_dir>.study`` beside it."""
    out = _absolute(out_dir)
    return out.with_name(out.name + STUDY_SUFFIX)


def default_export_dir(study_folder) -> Path:
    """The wizard's suggested export folder: beside the study, ``<study>-export`` (``X.study`` → ``X``)."""
    folder = _absolute(study_folder)
    name = folder.name
    if name.endswith(STUDY_SUFFIX) and len(name) > len(STUDY_SUFFIX):
        return folder.with_name(name[: -len(STUDY_SUFFIX)])
    return folder.with_name(name + EXPORT_SUFFIX)


def _inside(child: Path, parent: Path) -> bool:
    return child == parent or parent in child.parents


def apart_problem(out_dir, study_folder) -> str:
    """Why the bundle may not be written to ``out_dir`` for the study in ``study_folder``; "" when it may."""
    if study_folder is None:
        return ""
    out, folder = _absolute(out_dir).resolve(), _absolute(study_folder).resolve()
    suggestion = default_export_dir(study_folder)
    if out == folder:
        return (
            f"The export folder {out} is the study folder itself. The bundle is what you share, and the study "
            "folder holds what must stay in the lab (checkpoints, the tuning database, copies of the data): "
            f"choose a folder outside it, for example {suggestion}."
        )
    if _inside(out, folder):
        return (
            f"The export folder {out} lies inside the study folder {folder}, which holds what must stay in the "
            f"lab (checkpoints, the tuning database, copies of the data): choose a folder outside it, for "
            f"example {suggestion}."
        )
    if _inside(folder, out):
        return (
            f"The export folder {out} holds the study folder {folder}, so sharing the bundle would share the "
            f"study's checkpoints and data too: choose a folder that does not contain it, for example {suggestion}."
        )
    return ""


def check_apart(out_dir, study_folder) -> None:
    """Refuse a bundle folder that is, holds or lies inside the study folder."""
    problem = apart_problem(out_dir, study_folder)
    if problem:
        raise TenfoldError(problem)
