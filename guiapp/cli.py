"""Tenfold's commands: the wizard, the demo, a headless run from a spec, and inspect.

Bad input ends with exit code 2 and a one-paragraph message; never a traceback. This
module imports no Qt: the wizard is loaded only when a command opens it.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import json
import logging
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

from guiapp import __version__

EXIT_BAD_INPUT = 2
EXIT_BLOCKED = 3  # a finding blocks the study; the report is still printed
# Findings that stop a study whatever reason is given: no accept line can make 7 samples enough.
UNACCEPTABLE_CODES = ("too-few-samples",)
EXIT_BUG = 1
EXIT_CODES = (
    "Exit codes: 0 done; 2 bad input (a message says what to fix); 3 a finding blocks the study "
    '(the report is still printed; a spec\'s [findings] accept = { code = "reason" } accepts it); '
    "1 a bug in Tenfold (a crash log is written)."
)
EXIT_CANCELLED = 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tenfold",
        description="Tenfold walks you through a deep-learning study the way the Ten Quick Tips "
        "for Deep Learning in Biology advise. With no command, the wizard opens.",
        epilog=EXIT_CODES,
    )
    parser.add_argument("--version", action="version", version=f"tenfold {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("open", help="open a study folder in the wizard")
    p.add_argument("study_dir", type=Path)

    p = sub.add_parser("demo", help="the whole flow on a built-in dataset")
    p.add_argument(
        "--dataset",
        default="breast_cancer",
        help="breast_cancer (real, 569 samples) or simulated_expression (with a batch effect)",
    )
    p.add_argument("--headless", action="store_true", help="run every step without the window")
    p.add_argument("--out", type=Path, help="folder for the export bundle (headless)")
    p.add_argument(
        "--study",
        type=Path,
        default=None,
        metavar="STUDY_DIR",
        help="the study's working folder (headless; default: OUT.study beside the bundle)",
    )
    p.add_argument("--epochs", type=int, default=100, help="most training epochs (headless)")

    p = sub.add_parser(
        "run",
        help="run a whole study from a spec file, headless",
        description="Run a whole study from a spec file, headless. A finding that blocks "
        "the study (batch confounded with the label, copies across the split, …) "
        "stops the run before training with exit code 3 and the spec line that "
        "accepts it; edit the spec, then go on with --resume.",
        epilog=EXIT_CODES,
    )
    p.add_argument("spec", type=Path)
    p.add_argument("--out", type=Path, required=True, help="folder for the export bundle: only what may be shared")
    p.add_argument(
        "--study",
        type=Path,
        default=None,
        metavar="STUDY_DIR",
        help="the study's working folder: checkpoints, tuning database, copies of the data; never "
        "shared (default: OUT.study beside the bundle)",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue a run that was stopped or killed: keep its finished steps, resume training from "
        "the last checkpoint (the study folder is found by the same rule as --study)",
    )
    w = p.add_argument_group(
        "workers sharing the searches (needs [tuning] storage on a database server, "
        'e.g. PostgreSQL; see the README\'s "Scaling up")'
    )
    w.add_argument(
        "--workers",
        type=int,
        default=0,
        metavar="N",
        help="submit N workers with submitit: worker 0 runs the whole study and writes the bundle to "
        "--out; workers 1..N-1 help with every search, each in its own STUDY.worker-k folder",
    )
    w.add_argument(
        "--executor",
        default="auto",
        choices=("auto", "local", "slurm"),
        help="where --workers run: slurm (sbatch), local processes, or auto (Slurm where sbatch is on the PATH)",
    )
    w.add_argument("--partition", default="", help="the Slurm partition of the workers (--workers)")
    w.add_argument(
        "--time-min",
        type=int,
        default=24 * 60,
        metavar="MINUTES",
        help="each worker's time limit (--workers; default 1440)",
    )
    w.add_argument("--cpus-per-worker", type=int, default=0, metavar="N", help="CPU cores per worker (--workers)")
    w.add_argument("--gpus-per-worker", type=int, default=0, metavar="N", help="GPUs per worker (--workers)")
    w.add_argument(
        "--worker",
        type=int,
        default=None,
        metavar="K",
        help="this process is worker K of a shared search (overrides [tuning] worker; a Slurm array "
        "passes $SLURM_ARRAY_TASK_ID)",
    )
    w.add_argument(
        "--search-only",
        action="store_true",
        help="stop once the baselines' and the network's searches are done; write no bundle (the "
        "helper workers of a shared search)",
    )

    p = sub.add_parser(
        "inspect",
        help="profile a data file and list every warning before training",
        description="Profile a data file and list every finding the study would raise before "
        "training. The whole report is always printed. Exit code 0: nothing "
        "blocks the study; 3: a finding blocks it (remedy it, or accept it with "
        "a reason under [findings] accept in the study spec); 2: the input "
        "cannot be read or used.",
        epilog=EXIT_CODES,
    )
    p.add_argument("data", type=Path)
    p.add_argument("--label", required=True, help="the column to predict")
    p.add_argument("--batch", default="", help="the batch column (run, plate, site, day), if any")
    p.add_argument(
        "--group", default="", help="the group column (donor, patient, animal, cell line): samples that belong together"
    )
    p.add_argument("--task", default="classification", choices=("classification", "regression"))
    p.add_argument(
        "--samples",
        default="",
        metavar="SHEET",
        help="a sample sheet (CSV, TSV, Excel…) joined to the data by sample ID; unmatched IDs are reported",
    )
    p.add_argument(
        "--sample-id", default="", metavar="COL", help="the data's sample-ID column (default: found by overlap)"
    )
    p.add_argument(
        "--transposed",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="the table holds features as rows and samples as columns (default: detected)",
    )
    p.add_argument(
        "--missing",
        default="median",
        choices=("median", "most-frequent", "drop-rows", "drop-columns"),
        help="what to do with missing feature values (default: median, fitted on the training split)",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of text")

    p = sub.add_parser("predict", help="apply an exported model to new samples (never unpickles)")
    p.add_argument("bundle", type=Path, help="the export bundle folder (with model/config.json)")
    p.add_argument(
        "data",
        type=Path,
        help="a CSV/TSV table with the model's feature columns; for an image "
        "or sequence model also a folder of images or a FASTA file or folder",
    )
    p.add_argument("--out", type=Path, required=True, help="the CSV file to write the predictions to")
    p.add_argument(
        "--model",
        default="auto",
        choices=("auto", "network", "dp_network", "knn"),
        help="which model of the bundle to apply (auto: the network, or its DP-trained copy)",
    )
    p.add_argument(
        "--by-name",
        action="store_true",
        help="take the feature columns by name when their order differs from the model's",
    )
    p.add_argument(
        "--expect-manifest",
        metavar="SHA256",
        default=None,
        help="refuse the bundle unless its manifest.json has this SHA-256 (published by the sender)",
    )

    p = sub.add_parser("verify", help="check an export bundle's files against its manifest, loading nothing")
    p.add_argument("bundle", type=Path, help="the export bundle folder")
    p.add_argument(
        "--expect-manifest",
        metavar="SHA256",
        default=None,
        help="the SHA-256 of manifest.json published by the sender; without it only the "
        "bundle's own consistency is checked",
    )
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    from guiapp.core.study.errors import BlockingFindings, Cancelled, StudyBlocked, TenfoldError

    try:
        if args.command is None:
            return _open_wizard()
        if args.command == "open":
            return _open_wizard(study_dir=args.study_dir)
        if args.command == "demo":
            if args.headless or args.out or not _has_display():
                if not args.headless and not args.out:
                    _say("No screen found, so the demo runs headless.")
                return _run_demo_headless(
                    args.dataset, args.out or Path("tenfold-demo-out"), args.epochs, study_dir=args.study
                )
            return _open_wizard(demo=args.dataset)
        if args.command == "run":
            if args.workers:
                return _run_workers(args)
            return _run_spec(
                args.spec,
                args.out,
                resume=args.resume,
                study_dir=args.study,
                worker=args.worker,
                search_only=args.search_only,
            )
        if args.command == "inspect":
            return _inspect(args)
        if args.command == "predict":
            return _predict(args)
        if args.command == "verify":
            return _verify(args)
    except BlockingFindings as exc:
        print(f"tenfold: {exc}", file=sys.stderr)
        if args.command == "run":
            from guiapp.core.study.places import default_study_dir

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
    return 0


def _bug() -> int:
    log = _write_crash_log()
    print(
        "tenfold: something went wrong inside Tenfold (this is a bug, not your data's fault). "
        f"The details are in {log}; please attach that file when you report it.",
        file=sys.stderr,
    )
    return EXIT_BUG


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _has_display() -> bool:
    if os.environ.get("QT_QPA_PLATFORM") or sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _open_wizard(study_dir=None, demo=None) -> int:
    if study_dir is not None:
        from guiapp.core.study.model import Study

        Study.open(study_dir)  # a folder that is no study gets its message here, before any window
        from guiapp.core.study.lock import StudyLockedError, live_holder, refusal

        holder = live_holder(study_dir)
        if holder is not None:  # another process writes it: refused before any window, exit 2
            raise StudyLockedError(refusal(study_dir, holder))
    # Loaded by name so this module stays free of Qt for headless use on clusters.
    app = importlib.import_module("guiapp.ui.app")
    return app.main(study_dir=study_dir, demo=demo)


def _step_printer(title: str, message: str) -> None:
    if message != "…":
        print(f"  {title}: {message}", file=sys.stderr, flush=True)


def _run_demo_headless(dataset: str, out: Path, epochs: int, study_dir=None) -> int:
    from guiapp.core.pipeline import demo_spec, run_study
    from guiapp.core.study.lock import StudyLock
    from guiapp.core.study.places import check_apart, default_study_dir

    study_dir = Path(study_dir) if study_dir else default_study_dir(out)
    check_apart(out, study_dir)
    with StudyLock(study_dir, command="tenfold demo") as lock:
        if lock.note:
            _say(lock.note)
        # The demo's table is a copy of data: it stays with the study, not in the bundle.
        spec = demo_spec(dataset, study_dir / "data", max_epochs=epochs)
        _say(f"Tenfold demo on the built-in '{dataset}' data, headless → {out} (study folder {study_dir})")
        return _report(run_study(spec, out, study_dir=study_dir, on_step=_step_printer))


def _run_spec(
    spec_path: Path, out: Path, resume: bool = False, study_dir=None, worker=None, search_only: bool = False
) -> int:
    from guiapp.core.pipeline import run_study
    from guiapp.core.study.errors import TenfoldError
    from guiapp.core.study.lock import StudyLock
    from guiapp.core.study.model import STUDY_FILE
    from guiapp.core.study.places import check_apart, default_study_dir
    from guiapp.core.study.spec import load_spec

    spec = load_spec(spec_path)
    if worker is not None:
        if worker < 0:
            raise TenfoldError(f"--worker {worker}: a worker's number is 0 or more.")
        spec.setdefault("tuning", {})["worker"] = worker
    study_dir = Path(study_dir) if study_dir else default_study_dir(out)
    check_apart(out, study_dir)
    if resume and not (study_dir / STUDY_FILE).is_file() and (out / "study" / STUDY_FILE).is_file():
        raise TenfoldError(
            f"The study to resume is in {out / 'study'}, inside the export folder, where earlier versions of "
            f"Tenfold kept it. The export folder now holds only the shareable bundle: move {out / 'study'} to "
            f"{study_dir} (or anywhere outside {out} and name it with --study), then add --resume again."
        )
    # Taken before looking at the folder: a second run or a --resume while another process
    # writes the study is refused here, with who holds it.
    with StudyLock(study_dir, command="tenfold run" + (" --resume" if resume else "")) as lock:
        if lock.note:
            _say(lock.note)
        if (study_dir / STUDY_FILE).is_file() and not resume:
            raise TenfoldError(
                f"{study_dir} already holds a study. Add --resume to continue it (finished steps are kept, "
                "training resumes from its last checkpoint), or choose another --out (or --study) folder."
            )
        if search_only:
            _say(
                f"Tenfold run {spec_path}, searches only (worker {spec.get('tuning', {}).get('worker', 0)}; "
                f"study folder {study_dir})"
            )
            result = run_study(spec, out, study_dir=study_dir, on_step=_step_printer, resume=resume, search_only=True)
            print(
                f"Searches done in {sum(result.seconds.values()):.0f} s; no bundle (--search-only). "
                f"Study folder: {study_dir}"
            )
            return 0
        _say(f"Tenfold run {spec_path} → {out} (study folder {study_dir})")
        return _report(run_study(spec, out, study_dir=study_dir, on_step=_step_printer, resume=resume))


def _run_workers(args) -> int:
    """``tenfold run SPEC --workers N``: submit the workers, wait for them, report worker 0's bundle."""
    from guiapp.core import workers
    from guiapp.core.models.tuning import redact
    from guiapp.core.study.errors import TenfoldError
    from guiapp.core.study.places import check_apart
    from guiapp.core.study.spec import load_spec

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
    from guiapp.core.study.model import STUDY_FILE

    for out_k, study_k in workers.worker_folders(args.out, args.study, args.workers):
        check_apart(out_k, study_k)
        if (study_k / STUDY_FILE).is_file() and not args.resume:  # refused before any job is submitted
            raise TenfoldError(
                f"{study_k} already holds a study. Add --resume to continue the run with its workers, "
                "or choose another --out (or --study) folder."
            )
    logs = workers.logs_folder(args.out, args.study)
    _say(
        f"Tenfold run {args.spec}: {args.workers} worker(s) on {executor}, sharing the searches in {redact(url)}; "
        f"worker 0 writes the bundle to {args.out}. Logs: {logs}"
    )
    from guiapp.worker_entry import run_worker

    jobs = workers.submit_workers(
        commands,
        logs,
        executor,
        run_worker,
        partition=args.partition,
        time_min=args.time_min,
        cpus=args.cpus_per_worker,
        gpus=args.gpus_per_worker,
        say=_say,
    )
    try:
        codes = workers.wait_for_workers(jobs, say=_say)
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


def _predict(args) -> int:
    from guiapp.core.export.predict import predict_file

    frame = predict_file(
        args.bundle, args.data, args.out, model=args.model, by_name=args.by_name, expect_manifest=args.expect_manifest
    )
    _say(
        f"Predicted {len(frame)} sample(s) with the {frame.attrs['model'].replace('_', ' ')} of "
        f"{args.bundle} → {args.out}"
    )
    return 0


def _verify(args) -> int:
    from guiapp.core.export.open_bundle import verify_bundle

    manifest = verify_bundle(args.bundle, expect_manifest=args.expect_manifest)
    files = manifest.get("files", [])
    print(f"{args.bundle}: all {len(files)} file(s) match manifest.json, and no file is unlisted.")
    print(f"  manifest.json SHA-256: {manifest['_sha256']}")
    if args.expect_manifest:
        print("  It is the manifest you expected: this is the bundle that was published.")
    else:
        print(
            "  Compare that SHA-256 with the one the sender published (or pass --expect-manifest): "
            "a bundle's own manifest cannot prove that nobody changed the bundle."
        )
    return 0


def _report(result) -> int:
    from guiapp.core.stats.metrics import format_metric

    s = result.study
    metric = s.primary_metric
    print(f"Done in {sum(result.seconds.values()):.0f} s. Export bundle: {result.out_dir}")
    if result.study_dir is not None:
        print(f"  study folder (keep it; never share it): {result.study_dir}")
    print(f"  network, sealed test set: {metric} = {format_metric(metric, s.evaluation.test_metrics)}")
    for name, panel in s.evaluation.baseline_test_metrics.items():
        print(f"  {name}, sealed test set: {metric} = {format_metric(metric, panel)}")
    from guiapp.core.evaluation.cross_validation_card import card_section

    cv = card_section(s)
    if cv:
        print("  " + (cv["sentence"] if cv["ran"] else cv["text"]))
    print("  weights: " + ("exported to model/" if result.weights_shared else f"withheld — {result.weights_reason}"))
    if getattr(result, "manifest_sha256", ""):
        print(
            f"  manifest.json SHA-256: {result.manifest_sha256} (publish it with the bundle; recipients check "
            "with `tenfold verify BUNDLE --expect-manifest SHA256`)"
        )
    from guiapp.core.privacy.membership import audit_summary

    for line in audit_summary(s):
        print(f"  membership audit, {line}")
    for f in s.findings:
        print(f"  [{f.severity}] Tip {f.tip}: {f.message}")
    for code, entry in s.accepted_findings.items():
        if code in s.finding_codes():
            print(f"  accepted {code}: {entry['reason']}")
    return 0


def _inspect(args) -> int:
    from guiapp.core.batch import effects as batch
    from guiapp.core.data import attach as data
    from guiapp.core.split import draw as split
    from guiapp.core.study.blocking import unresolved_blocking
    from guiapp.core.study.errors import TenfoldError
    from guiapp.core.study.model import Study

    study = Study()
    study.question.task = args.task
    profile = data.attach_data(
        study,
        args.data,
        label=args.label,
        batch=args.batch,
        group=args.group,
        samples=args.samples,
        sample_id=args.sample_id,
        transposed=args.transposed,
        missing=args.missing,
    )
    report = batch.batch_effect_report(study)
    # Draw the split the study would draw, to see which copies and groups it would put on
    # both sides; inspect never trains, so nothing is sealed against later use.
    study.split.strategy = "group" if args.group else study.split.strategy
    try:
        blocked = [f for f in study.findings if f.code in UNACCEPTABLE_CODES]
        if blocked:
            raise TenfoldError(f"none drawn: too few samples for a study (see {blocked[0].code} below).")
        split.split_study(study)
        s = study.split
        split_info = {
            "strategy": s.strategy,
            "seed": s.seed,
            "sizes": {"train": len(s.train_idx), "tune": len(s.tune_idx), "test": len(s.test_idx)},
            "groups": s.n_groups or None,
            "duplicates_across": len(batch.pairs_across_current_split(study)),
            "error": None,
        }
    except TenfoldError as exc:
        split_info = {"strategy": study.split.strategy, "error": str(exc)}
    report.duplicates_across_split = batch.pairs_across_current_split(study)
    from guiapp.core.evaluation import verdict

    verdict.assess_before_training(study)  # the verdict's pre-training part (Tip 1)
    findings = [f.to_dict() for f in study.findings]
    if args.json:
        out = {
            "file": study.data.provenance.__dict__,
            "label": args.label,
            "batch": args.batch or None,
            "group": args.group or None,
            "task": args.task,
            "n_samples": profile.n_samples,
            "n_features": profile.n_features,
            "class_counts": profile.class_counts,
            "missing_by_column": profile.missing_by_column,
            "constant_columns": profile.constant_columns,
            "duplicate_rows": profile.duplicate_rows,
            "identifier_columns": profile.identifier_columns,
            "non_numeric_columns": profile.non_numeric_columns,
            "modality": study.data.modality,
            "input_shape": study.data.input_shape,
            "transposed": study.data.transposed,
            "sample_sheet": study.data.sample_sheet or None,
            "roles": study.data.roles,
            "personal_identifiers": study.data.pii,
            "profile": study.data.profile,
            "batch_effect": report.to_dict(),
            "split": split_info,
            "verdict": verdict.verdict_dict(study),
            "findings": findings,
            "blocking": [f.code for f in unresolved_blocking(study)],
        }
        print(json.dumps(out, indent=2, default=_json_value))
        return _data_errors_exit(study)
    prov = study.data.provenance
    print(f"{args.data}: {profile.n_samples} samples × {profile.n_features} features (SHA-256 {prov.sha256[:16]}…)")
    if profile.class_counts:
        print("  classes: " + ", ".join(f"{k} {v}" for k, v in profile.class_counts.items()))
    if profile.identifier_columns:
        print("  identifier columns (not used as features): " + ", ".join(profile.identifier_columns))
    if profile.non_numeric_columns:
        print("  non-numeric columns (not used): " + ", ".join(profile.non_numeric_columns))
    for line in study.data.profile.get("words", []):
        print(f"  {line}")
    sheet = study.data.sample_sheet
    if sheet:
        print(
            f"  sample sheet {Path(sheet['sheet']).name}: {sheet['matched']} matched by {sheet['sheet_key']!r}, "
            f"{sheet['data_unmatched']} sample(s) without a row, {sheet['sheet_unmatched']} row(s) without a sample"
        )
    for hit in study.data.pii:
        print(f"  personal identifier? {hit['column']}: {hit['kind']} ({hit['evidence']})")
    print(f"  batch effects: {report.reading}")
    if report.metrics is not None:
        for m in report.metrics.results.values():
            value = "—" if m.value is None else f"{m.value:.3f}"
            print(f"    {m.name}: {value} [{m.light or 'n/a'}] (range {m.low:g}…{m.high:g}) — {m.meaning}")
    if report.group_suggestions:
        print(
            "  possible group columns: " + ", ".join(f"{g['column']} ({g['reason']})" for g in report.group_suggestions)
        )
    if split_info.get("error"):
        print(f"  split: {split_info['error']}")
    else:
        sizes = split_info["sizes"]
        print(
            f"  split it would draw ({split_info['strategy']}): train {sizes['train']}, tune {sizes['tune']}, "
            f"test {sizes['test']}; {split_info['duplicates_across']} pair(s) of copies across parts"
        )
    print(f"  verdict before training: {verdict.verdict_text(study)}")
    if not findings:
        print("  No warnings.")
    for f in study.findings:
        print(f"  [{f.severity}] {f.code} (Tip {f.tip}): {f.message}")
    return _data_errors_exit(study)


def _data_errors_exit(study) -> int:
    """A data error found by the profile (a class with one sample) stops the study: the report is
    printed, and the exit code and the message say so, as for a bad file (2). A finding that
    blocks the study gives exit code 3: too few samples for any study, or a finding a spec's
    [findings] accept line could accept (that line is printed)."""
    # A possible label leak is a finding about the study, not bad input: it never exits 2.
    errors = [
        f for f in study.findings if f.step == "data" and f.severity == "error" and f.code != "possible-label-leak"
    ]
    for f in errors:
        print(f"tenfold: {f.message}", file=sys.stderr)
    if any(f.code in UNACCEPTABLE_CODES for f in errors):
        return EXIT_BLOCKED
    if errors:
        return EXIT_BAD_INPUT
    from guiapp.core.study.blocking import blocking_message, unresolved_blocking

    found = unresolved_blocking(study)
    if found:  # the whole report is printed above; this says what stops the study
        print(
            "tenfold: " + blocking_message(found, "training").replace("The study stopped", "The study would stop", 1),
            file=sys.stderr,
        )
        return EXIT_BLOCKED
    return 0


def _json_value(obj):
    """numpy numbers and arrays inside the report, as plain JSON."""
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if hasattr(obj, "item"):
        return obj.item()
    raise TypeError(f"cannot print {type(obj).__name__} as JSON")


def _write_crash_log() -> Path:
    try:
        from platformdirs import user_log_dir

        folder = Path(user_log_dir("Tenfold", "Tenfold"))
        folder.mkdir(parents=True, exist_ok=True)
    except Exception:
        folder = Path(tempfile.gettempdir())
    path = folder / f"crash-{time.strftime('%Y%m%d-%H%M%S')}.log"
    from guiapp.core.models.tuning import redact

    path.write_text(redact(traceback.format_exc()), encoding="utf-8")  # no database password in a log
    logging.getLogger("tenfold").error("crash logged to %s", path)
    return path


if __name__ == "__main__":
    sys.exit(main())
