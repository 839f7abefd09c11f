"""``tenfold run SPEC --workers N``: N workers share the study's searches, one of them writes the bundle.

Worker 0 runs the whole study, in the usual study folder, and writes the one export bundle.
Workers 1…N-1 each run the same study in their own folder (``STUDY.worker-k``: one writer per
study folder) with ``--search-only``: they take trials of every search from the shared tuning
database (:mod:`guiapp.core.models.shared_search`) and stop once the searches are done. Each search
still runs its budget's trials exactly, only sooner, and every worker picks the same best.

The workers are submitted with submitit: to Slurm when it is there (``sbatch`` on the PATH,
or ``--executor slurm``), else as local processes. They need a tuning database that every
worker reaches, such as PostgreSQL; SQLite is refused (several machines writing one SQLite file
on a network filesystem corrupt it).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

from guiapp.core.models.tuning import close_storage, open_storage, redact
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.places import default_study_dir

EXECUTORS = ("auto", "local", "slurm")
WORKER_SUFFIX = ".worker-"
LOGS_SUFFIX = ".workers"


def shared_storage_url(spec: dict) -> str:
    """The tuning database every worker will use; refused unless it can be shared, and opened once
    here so that a wrong URL, a missing driver or a refused password stops before any job is submitted."""
    tuning = spec.get("tuning", {})
    name, url = str(tuning.get("storage_env", "")), str(tuning.get("storage", "")).strip()
    how = (
        'use a database server such as PostgreSQL: set [tuning] storage_env = "TENFOLD_DB" in the spec and, before the run, '
        "export TENFOLD_DB=postgresql://USER@HOST/DATABASE (the password in ~/.pgpass or the file "
        "PGPASSFILE names, not in the URL)"
    )
    if name:
        url = os.environ.get(name, "").strip()
        if not url:
            raise TenfoldError(
                f"--workers: [tuning] storage_env = {name!r}, but the environment variable {name} "
                f"is not set. Set it to the tuning database's URL before the run (export "
                f"{name}=postgresql://USER@HOST/DATABASE); every worker reads it."
            )
    if not url:
        raise TenfoldError(
            "--workers needs a tuning database that every worker can reach, and the spec names "
            f"none (the search would be kept in each worker's own study folder). To share it, {how}."
        )
    if url.startswith("sqlite"):
        raise TenfoldError(
            f"--workers: the tuning storage {redact(url)} is a SQLite file. Workers on several "
            f"machines writing one SQLite file on a network filesystem can corrupt it. Instead, {how}."
        )
    close_storage(open_storage(url, shared=True))
    return url


def worker_folders(out: Path, study: Path | None, n: int) -> list:
    """``[(out, study folder)]`` of each worker: worker 0 keeps the usual study folder."""
    first = Path(study) if study else default_study_dir(out)
    return [(Path(out), first)] + [
        (Path(out), first.with_name(first.name + f"{WORKER_SUFFIX}{k}")) for k in range(1, n)
    ]


def logs_folder(out: Path, study: Path | None) -> Path:
    """Where submitit keeps the workers' logs: ``STUDY.workers`` beside worker 0's study folder."""
    first = worker_folders(out, study, 1)[0][1]
    return first.with_name(first.name + LOGS_SUFFIX)


def worker_commands(spec_path: Path, out: Path, study: Path | None, n: int, *, resume: bool = False) -> list:
    """The ``tenfold`` arguments of each of the ``n`` workers."""
    if n < 1:
        raise TenfoldError(f"--workers {n}: give at least 1 worker.")
    commands = []
    for k, (out_k, study_k) in enumerate(worker_folders(out, study, n)):
        argv = [
            "run",
            str(Path(spec_path).resolve()),
            "--out",
            str(out_k.resolve()),
            "--study",
            str(study_k.resolve()),
            "--worker",
            str(k),
        ]
        if k > 0:
            argv.append("--search-only")
        if resume:
            argv.append("--resume")
        commands.append(argv)
    return commands


def pick_executor(kind: str) -> str:
    """``slurm`` or ``local``: ``auto`` is Slurm where ``sbatch`` is on the PATH."""
    if kind not in EXECUTORS:
        raise TenfoldError(f"--executor {kind!r}: choose one of {', '.join(EXECUTORS)}.")
    if kind == "auto":
        return "slurm" if shutil.which("sbatch") else "local"
    if kind == "slurm" and not shutil.which("sbatch"):
        raise TenfoldError(
            "--executor slurm, but there is no sbatch command here: run it on a Slurm login "
            "node, or use --executor local."
        )
    return kind


def import_submitit():
    try:
        import submitit  # submitit: imported lazily, only when this runs
    except ImportError:
        raise TenfoldError(
            "--workers needs the submitit package, which is not installed. Install it with "
            "`pip install 'tenfold[cluster]'` (or `pip install submitit`), or start the workers "
            'yourself: see the sbatch array script in the README\'s "Scaling up".'
        ) from None
    return submitit


def submit_workers(
    commands: list,
    logs: Path,
    executor: str,
    run_worker: Callable[[list], int],
    *,
    partition: str = "",
    time_min: int = 24 * 60,
    cpus: int = 0,
    gpus: int = 0,
    say: Callable[[str], None] = print,
) -> list:
    """Submit ``run_worker(command)`` for each command as a job (a job array on Slurm); return the
    submitit jobs. ``run_worker`` is :func:`guiapp.worker_entry.run_worker`: the command line, a layer
    above the core."""
    submitit = import_submitit()
    logs = Path(logs)
    logs.mkdir(parents=True, exist_ok=True)
    ex = submitit.AutoExecutor(folder=str(logs), cluster=executor)
    params: dict = {"timeout_min": int(time_min), "name": "tenfold"}
    if cpus:
        params["cpus_per_task"] = int(cpus)
    if gpus:
        params["gpus_per_node"] = int(gpus)
    if partition and executor == "slurm":
        params["slurm_partition"] = partition
    ex.update_parameters(**params)
    with ex.batch():
        jobs = [ex.submit(run_worker, argv) for argv in commands]
    for k, job in enumerate(jobs):
        say(f"  worker {k}: job {job.job_id}, log {job.paths.stdout} and {job.paths.stderr}")
    return jobs


def wait_for_workers(jobs: list, say: Callable[[str], None] = print) -> list:
    """Each worker's exit code (None: the job itself failed, killed or out of time), in order."""
    codes = []
    for k, job in enumerate(jobs):
        try:
            code = int(job.result())
        except Exception as exc:  # a job that ended without an exit code: killed, out of time, node lost
            say(
                f"  worker {k}: the job failed ({type(exc).__name__}: {str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ''}); "
                f"see {job.paths.stderr}"
            )
            code = None
        else:
            say(f"  worker {k}: " + ("done" if code == 0 else f"ended with exit code {code}; see {job.paths.stderr}"))
        codes.append(code)
    return codes


def cancel_workers(jobs: list) -> None:
    for job in jobs:
        try:
            job.cancel(check=False)
        except Exception:  # already ended
            pass
