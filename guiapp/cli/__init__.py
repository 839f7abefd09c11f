"""Tenfold's commands: the wizard, the demo, a headless run from a spec, and inspect.

Bad input ends with exit code 2 and a one-paragraph message; never a traceback. This
package imports no Qt: the wizard is loaded only when a command opens it. The arguments are
in :mod:`.parser`, what each command does in :mod:`.commands` and :mod:`.workers`.
"""

from __future__ import annotations

import argparse
import errno
import logging
import sys
import tempfile
import time
import traceback
from pathlib import Path

from guiapp.cli import commands
from guiapp.cli.parser import build_parser
from guiapp.cli.workers import run_workers
from guiapp.core.guidance.exit_codes import (
    EXIT_BAD_INPUT,
    EXIT_BLOCKED,
    EXIT_BUG,
    EXIT_CANCELLED,
    EXIT_CODES,
    UNACCEPTABLE_CODES,
)
from guiapp.core.study.errors import BlockingFindings, Cancelled, StudyBlocked, TenfoldError
from guiapp.core.study.places import default_study_dir

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_BLOCKED",
    "EXIT_BUG",
    "EXIT_CANCELLED",
    "EXIT_CODES",
    "UNACCEPTABLE_CODES",
    "build_parser",
    "main",
]


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except BlockingFindings as exc:
        print(f"tenfold: {exc}", file=sys.stderr)
        if args.command == "run":
            folder = args.study or default_study_dir(args.out)
            study_arg = f" --study {args.study}" if args.study else ""
            print(
                f"The study folder {folder} keeps every finished step. After editing "
                f"{args.spec}, go on with:\n  tenfold run {args.spec} --out {args.out}{study_arg} --resume",
                file=sys.stderr,
            )
        return EXIT_BLOCKED
    except StudyBlocked as exc:
        print(f"tenfold: {exc}", file=sys.stderr)
        return EXIT_BLOCKED
    except TenfoldError as exc:
        print(f"tenfold: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:
        if exc.errno != errno.ENOSPC:
            return _bug()
        print(
            f"tenfold: the disk is full: free some space on the disk that holds {exc.filename or 'the output'} "
            "and run again (with --resume for a study).",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    except Cancelled:
        print("tenfold: stopped.", file=sys.stderr)
        return EXIT_CANCELLED
    except KeyboardInterrupt:
        print("\ntenfold: stopped; the study folder keeps everything up to the last finished step.", file=sys.stderr)
        return EXIT_CANCELLED
    except Exception:  # a bug: say so plainly, keep the details in a log file
        return _bug()


def _dispatch(args: argparse.Namespace) -> int:
    if args.command is None:
        return commands.open_wizard()
    if args.command == "open":
        return commands.open_wizard(study_dir=args.study_dir)
    if args.command == "demo":
        if args.headless or args.out or not commands.has_display():
            if not args.headless and not args.out:
                commands.say("No screen found, so the demo runs headless.")
            return commands.run_demo_headless(
                args.dataset, args.out or Path("tenfold-demo-out"), args.epochs, study_dir=args.study
            )
        return commands.open_wizard(demo=args.dataset)
    if args.command == "run":
        if args.workers:
            return run_workers(args)
        return commands.run_spec(
            args.spec,
            args.out,
            resume=args.resume,
            study_dir=args.study,
            worker=args.worker,
            search_only=args.search_only,
        )
    if args.command == "inspect":
        return commands.inspect(args)
    if args.command == "predict":
        return commands.predict(args)
    if args.command == "verify":
        return commands.verify(args)
    return 0


def _bug() -> int:
    log = _write_crash_log()
    print(
        "tenfold: something went wrong inside Tenfold (this is a bug, not your data's fault). "
        f"The details are in {log}; please attach that file when you report it.",
        file=sys.stderr,
    )
    return EXIT_BUG


def _write_crash_log() -> Path:
    from guiapp.core.models.tuning import redact  # the core: loaded only when a crash is logged

    try:
        from platformdirs import user_log_dir

        folder = Path(user_log_dir("Tenfold", "Tenfold"))
        folder.mkdir(parents=True, exist_ok=True)
    except Exception:
        folder = Path(tempfile.gettempdir())
    path = folder / f"crash-{time.strftime('%Y%m%d-%H%M%S')}.log"
    path.write_text(redact(traceback.format_exc()), encoding="utf-8")  # no database password in a log
    logging.getLogger("tenfold").error("crash logged to %s", path)
    return path
