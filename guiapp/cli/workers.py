"""`tenfold run SPEC --workers N`: submit the workers, wait for them, report worker 0's bundle."""

from __future__ import annotations

import sys
from pathlib import Path

from guiapp.cli.commands import say
from guiapp.core.guidance.exit_codes import EXIT_CANCELLED
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.places import check_apart


def run_workers(args) -> int:
    # the core and submitit: loaded when the command needs them
    from guiapp.core import workers
    from guiapp.core.models.tuning import redact
    from guiapp.core.study.model import STUDY_FILE
    from guiapp.core.study.spec import load_spec
    from guiapp.worker_entry import run_worker

    if args.workers < 1:
        raise TenfoldError(f"--workers {args.workers}: give at least 1 worker.")
    if args.worker is not None or args.search_only:
        raise TenfoldError(
            "--workers starts the workers and numbers them itself: leave out --worker and --search-only."
        )
    executor = workers.pick_executor(args.executor)
    spec = load_spec(args.spec)
    url = workers.shared_storage_url(spec)  # refused (exit 2) unless every worker can reach it
    workers.import_submitit()
    commands = workers.worker_commands(args.spec, args.out, args.study, args.workers, resume=args.resume)
    for out_k, study_k in workers.worker_folders(args.out, args.study, args.workers):
        check_apart(out_k, study_k)
        if (study_k / STUDY_FILE).is_file() and not args.resume:  # refused before any job is submitted
            raise TenfoldError(
                f"{study_k} already holds a study. Add --resume to continue the run with its workers, "
                "or choose another --out (or --study) folder."
            )
    logs = workers.logs_folder(args.out, args.study)
    say(
        f"Tenfold run {args.spec}: {args.workers} worker(s) on {executor}, sharing the searches in {redact(url)}; "
        f"worker 0 writes the bundle to {args.out}. Logs: {logs}"
    )
    jobs = workers.submit_workers(
        commands,
        logs,
        executor,
        run_worker,
        partition=args.partition,
        time_min=args.time_min,
        cpus=args.cpus_per_worker,
        gpus=args.gpus_per_worker,
        say=say,
    )
    try:
        codes = workers.wait_for_workers(jobs, say=say)
    except KeyboardInterrupt:
        workers.cancel_workers(jobs)
        raise
    if codes[0] is None:
        print(
            f"tenfold: worker 0, which writes the bundle, did not finish; see {jobs[0].paths.stderr}. Go on "
            f"with the same command and --resume.",
            file=sys.stderr,
        )
        return EXIT_CANCELLED
    if codes[0] == 0:
        print(Path(jobs[0].paths.stdout).read_text(encoding="utf-8", errors="replace").rstrip())
    return codes[0]
