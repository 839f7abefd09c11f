"""The command line's arguments: one function per command."""

from __future__ import annotations

import argparse
from pathlib import Path

from guiapp import __version__
from guiapp.core.guidance.exit_codes import EXIT_CODES
from guiapp.core.study.vocabulary import MISSING_STRATEGIES, TASKS  # plain tuples: no numpy


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
    _add_demo(sub)
    _add_run(sub)
    _add_inspect(sub)
    _add_predict(sub)
    _add_verify(sub)
    return parser


def _add_demo(sub: argparse._SubParsersAction) -> None:
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


def _add_run(sub: argparse._SubParsersAction) -> None:
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
    _add_workers(p)


def _add_workers(p: argparse.ArgumentParser) -> None:
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


def _add_inspect(sub: argparse._SubParsersAction) -> None:
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
    p.add_argument("--task", default="classification", choices=TASKS)
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
        choices=MISSING_STRATEGIES,
        help="what to do with missing feature values (default: median, fitted on the training split)",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of text")


def _add_predict(sub: argparse._SubParsersAction) -> None:
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


def _add_verify(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("verify", help="check an export bundle's files against its manifest, loading nothing")
    p.add_argument("bundle", type=Path, help="the export bundle folder")
    p.add_argument(
        "--expect-manifest",
        metavar="SHA256",
        default=None,
        help="the SHA-256 of manifest.json published by the sender; without it only the "
        "bundle's own consistency is checked",
    )
