"""What each command does, printed for a terminal. The core modules are imported inside the
commands that need them: they pull numpy and friends, and `tenfold --help` should answer at once."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.lock import StudyLock, StudyLockedError, live_holder, refusal
from guiapp.core.study.places import check_apart, default_study_dir


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def has_display() -> bool:
    if os.environ.get("QT_QPA_PLATFORM") or sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def open_wizard(study_dir=None, demo=None) -> int:
    if study_dir is not None:
        from guiapp.core.study.model import Study  # the core: loaded when a command needs it

        Study.open(study_dir)  # a folder that is no study gets its message here, before any window
        holder = live_holder(study_dir)
        if holder is not None:  # another process writes it: refused before any window, exit 2
            raise StudyLockedError(refusal(study_dir, holder))
    # Loaded by name so this module stays free of Qt for headless use on clusters.
    app = importlib.import_module("guiapp.ui.app")
    return app.main(study_dir=study_dir, demo=demo)


def step_printer(title: str, message: str) -> None:
    if message != "…":
        print(f"  {title}: {message}", file=sys.stderr, flush=True)


def run_demo_headless(dataset: str, out: Path, epochs: int, study_dir=None) -> int:
    from guiapp.core import pipeline  # the core: loaded when a command needs it

    study_dir = Path(study_dir) if study_dir else default_study_dir(out)
    check_apart(out, study_dir)
    with StudyLock(study_dir, command="tenfold demo") as lock:
        if lock.note:
            say(lock.note)
        # The demo's table is a copy of data: it stays with the study, not in the bundle.
        spec = pipeline.demo_spec(dataset, study_dir / "data", max_epochs=epochs)
        say(f"Tenfold demo on the built-in '{dataset}' data, headless → {out} (study folder {study_dir})")
        return print_result(pipeline.run_study(spec, out, study_dir=study_dir, on_step=step_printer))


def run_spec(
    spec_path: Path, out: Path, resume: bool = False, study_dir=None, worker=None, search_only: bool = False
) -> int:
    # the core: loaded when a command needs it
    from guiapp.core import pipeline
    from guiapp.core.study.model import STUDY_FILE
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
            say(lock.note)
        if (study_dir / STUDY_FILE).is_file() and not resume:
            raise TenfoldError(
                f"{study_dir} already holds a study. Add --resume to continue it (finished steps are kept, "
                "training resumes from its last checkpoint), or choose another --out (or --study) folder."
            )
        if search_only:
            say(
                f"Tenfold run {spec_path}, searches only (worker {spec.get('tuning', {}).get('worker', 0)}; "
                f"study folder {study_dir})"
            )
            result = pipeline.run_study(
                spec, out, study_dir=study_dir, on_step=step_printer, resume=resume, search_only=True
            )
            print(
                f"Searches done in {sum(result.seconds.values()):.0f} s; no bundle (--search-only). "
                f"Study folder: {study_dir}"
            )
            return 0
        say(f"Tenfold run {spec_path} → {out} (study folder {study_dir})")
        return print_result(pipeline.run_study(spec, out, study_dir=study_dir, on_step=step_printer, resume=resume))


def predict(args) -> int:
    from guiapp.core.export.predict import predict_file  # the core: loaded when a command needs it

    frame = predict_file(
        args.bundle, args.data, args.out, model=args.model, by_name=args.by_name, expect_manifest=args.expect_manifest
    )
    say(
        f"Predicted {len(frame)} sample(s) with the {frame.attrs['model'].replace('_', ' ')} of "
        f"{args.bundle} → {args.out}"
    )
    return 0


def verify(args) -> int:
    from guiapp.core.export.open_bundle import verify_bundle  # the core: loaded when a command needs it

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


def print_result(result) -> int:
    """A finished run's summary: the headline metrics, the weights, the manifest and the findings."""
    # the core: loaded when a command needs it
    from guiapp.core.evaluation.cross_validation_card import card_section
    from guiapp.core.privacy.membership import audit_summary
    from guiapp.core.stats.metrics import format_metric

    s = result.study
    metric = s.primary_metric
    print(f"Done in {sum(result.seconds.values()):.0f} s. Export bundle: {result.out_dir}")
    if result.study_dir is not None:
        print(f"  study folder (keep it; never share it): {result.study_dir}")
    print(f"  network, sealed test set: {metric} = {format_metric(metric, s.evaluation.test_metrics)}")
    for name, panel in s.evaluation.baseline_test_metrics.items():
        print(f"  {name}, sealed test set: {metric} = {format_metric(metric, panel)}")
    cv = card_section(s)
    if cv:
        print("  " + (cv["sentence"] if cv["ran"] else cv["text"]))
    print("  weights: " + ("exported to model/" if result.weights_shared else f"withheld — {result.weights_reason}"))
    if getattr(result, "manifest_sha256", ""):
        print(
            f"  manifest.json SHA-256: {result.manifest_sha256} (publish it with the bundle; recipients check "
            "with `tenfold verify BUNDLE --expect-manifest SHA256`)"
        )
    for line in audit_summary(s):
        print(f"  membership audit, {line}")
    for f in s.findings:
        print(f"  [{f.severity}] Tip {f.tip}: {f.message}")
    for code, entry in s.accepted_findings.items():
        if code in s.finding_codes():
            print(f"  accepted {code}: {entry['reason']}")
    return 0


def inspect(args) -> int:
    """`tenfold inspect`: the core's report, printed whole, then what stops the study."""
    from guiapp.core.guidance.inspection import InspectRequest, inspect_data  # the core: loaded when needed

    report = inspect_data(
        InspectRequest(
            data=args.data,
            label=args.label,
            batch=args.batch,
            group=args.group,
            task=args.task,
            samples=args.samples,
            sample_id=args.sample_id,
            transposed=args.transposed,
            missing=args.missing,
        )
    )
    print(report.to_json() if args.json else "\n".join(report.lines()))
    for message in report.problems:
        print(f"tenfold: {message}", file=sys.stderr)
    return report.exit_status
