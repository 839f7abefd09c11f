"""The whole flow headless: a spec in, a study folder and an export bundle out.

`tenfold run` and `tenfold demo --headless` call :func:`run_study`; it makes the same core
calls, in the same order, as a user clicking through the wizard (the rows of
:mod:`guiapp.core.pipeline.steps`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from guiapp.core.data import attach as data
from guiapp.core.pipeline.spec import apply_spec, resume_split_changes
from guiapp.core.pipeline.steps import ROWS
from guiapp.core.pipeline.table import Run, StepFn, run_rows
from guiapp.core.stats.metrics import metric_names
from guiapp.core.study import blocking
from guiapp.core.study.errors import SpecError
from guiapp.core.study.lock import StudyLock
from guiapp.core.study.model import STUDY_FILE, Study
from guiapp.core.study.places import check_apart, default_study_dir
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext


@dataclass
class RunResult:
    study: Study
    out_dir: Path
    files: list = field(default_factory=list)
    seconds: dict = field(default_factory=dict)  # step -> seconds
    weights_shared: bool = False
    weights_reason: str = ""
    study_dir: Path | None = None
    notes: list = field(default_factory=list)  # e.g. a stale lock taken over
    manifest_sha256: str = ""  # of the bundle's manifest.json (see `tenfold verify`)


def run_study(
    spec: dict,
    out_dir,
    *,
    study_dir=None,
    on_step: StepFn | None = None,
    resume: bool = False,
    search_only: bool = False,
    ctx: TaskContext = NO_CONTEXT,
) -> RunResult:
    """Every step of the wizard, in order, on the spec's data; writes the export bundle.

    With ``resume``, an existing study folder (say, of a job killed on a cluster) is
    reopened: finished steps are kept, training continues from its last checkpoint, and the
    sealed test set is never evaluated a second time.

    The study folder (``study_dir``; default ``<out_dir>.study`` beside the bundle) never lies
    inside ``out_dir``: the bundle holds only what may be shared. The run holds the study's
    lock (:mod:`guiapp.core.study.lock`) from start to end, so a second writer is refused.

    With ``search_only`` (a helper worker of a shared search, :mod:`guiapp.core.workers`) the run
    stops once the baselines' and the network's searches are done, and writes no bundle.
    """
    out_dir = Path(out_dir)
    folder = Path(study_dir) if study_dir else default_study_dir(out_dir)
    check_apart(out_dir, folder)  # before any work: the bundle is shared, the study folder is not
    lock = StudyLock(folder, command="tenfold run" + (" --resume" if resume else "")).acquire()
    if lock.note and on_step is not None:
        on_step("Study lock", lock.note)
    try:
        result = _run_locked(spec, out_dir, folder, on_step=on_step, ctx=ctx, resume=resume, search_only=search_only)
    finally:
        lock.release()
    if lock.note:
        result.notes.append(lock.note)
    return result


def _run_locked(
    spec: dict,
    out_dir: Path,
    folder: Path,
    *,
    on_step: StepFn | None,
    resume: bool,
    search_only: bool = False,
    ctx: TaskContext = NO_CONTEXT,
) -> RunResult:
    study, resumed, redraw = _open_or_create(spec, folder, resume)
    run = Run(
        study=study,
        spec=spec,
        out_dir=out_dir,
        resumed=resumed,
        redraw=redraw,
        search_only=search_only,
        ctx=ctx,
        report=on_step or (lambda title, message: None),
    )
    if run_rows(run, ROWS) or run.exported is None:  # a helper worker ends after the searches
        return RunResult(study=study, out_dir=out_dir, seconds=run.seconds, study_dir=folder)
    exported = run.exported
    return RunResult(
        study=study,
        out_dir=out_dir,
        files=list(exported.files),
        seconds=run.seconds,
        weights_shared=exported.weights_shared,
        weights_reason=exported.reason,
        study_dir=folder,
        manifest_sha256=exported.manifest_sha256,
    )


def _open_or_create(spec: dict, folder: Path, resume: bool) -> tuple[Study, bool, bool]:
    """The study to run: the folder's, on a resume, or a new one with the spec's settings;
    saved to ``folder``. Also whether it was resumed, and whether its split is drawn again."""
    resumed = resume and (folder / STUDY_FILE).is_file()
    redraw = False
    if resumed:
        study = Study.open(folder)
        if study.data.provenance.path:  # a kill during the Data step leaves no data to reload
            data.reload_table(study)
            redraw = resume_split_changes(study, spec)
    else:
        study = Study()
        apply_spec(study, spec)
    # [findings] accept is read on every run, a resumed one too: editing the spec is how a
    # stopped run's findings get accepted.
    blocking.apply_spec_acceptances(study, spec.get("findings", {}).get("accept", {}))
    if study.question.target_metric not in metric_names(study.question.task):
        raise SpecError(
            f"[question] target_metric = {study.question.target_metric!r} does not fit "
            f"a {study.question.task} task; choose one of {', '.join(metric_names(study.question.task))}."
        )
    study.save(folder)
    return study, resumed, redraw
