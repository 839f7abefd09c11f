"""Resume is exact: `tenfold run` killed with SIGKILL at random moments, across every step, then
`--resume`d, ends with the same results as a run that was never interrupted.

Compared byte for byte with the uninterrupted run (same spec, same seeds):
- ``predictions.csv`` and every file of the bundle's ``model/`` folder (weights as safetensors,
  the kNN baseline, the config);
- the study's best weights (``checkpoints/best.safetensors``);
- ``metrics.json``, less what cannot be equal (``EXCLUDED``): timings, and the two counters whose
  job is to record that a run was interrupted.

The default suite kills ``TENFOLD_KILL_ROUNDS`` (5) times; ``TENFOLD_KILL_ROUNDS=20`` runs the
issue's 20. At most one round in 20 may differ; every differing round is explained in the output.
"""

from __future__ import annotations

import difflib
import functools
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from guiapp.core.data.demo import simulated_expression, write_demo

ROUNDS = int(os.environ.get("TENFOLD_KILL_ROUNDS", "5"))
SEED = int(os.environ.get("TENFOLD_KILL_SEED", "15"))

# Left out of the metrics.json comparison, and why:
EXCLUDED = {
    # wall-clock measurements: no two runs take the same time, interrupted or not
    "seconds": "a duration",
    "fit_seconds": "a duration",
    "eta_seconds": "a time estimate",
    "samples_per_second": "a speed",
    "latency_ms": "a measured latency",
    "device_memory_mb": "memory in use, measured",
    "test_evaluated_at": "a clock time",
    "applied_at": "a clock time",
    "audited_at": "a clock time",
    # resume history: these record the interruption itself, so they must differ
    "sessions": "training time per process (one more per resume)",
    "resumed_from": "trials a search found finished when it (re)started",
    "abandoned": "trials a kill left running, finished in place on resume",
}

SPEC = """
[question]
title = "Kill and resume"
[data]
path = "{table}"
label = "condition"
batch = "batch"
identifiers = ["sample_id"]
sensitive = false
about_humans = false
[baselines]
models = ["logistic_regression", "random_forest"]
budget_trials = 3
[train]
max_epochs = 6
patience = 3
device = "cpu"
budget_trials = 3
seed = 7
[tuning]
epochs = 2
[evaluate]
shuffle_repeats = 1
learning_curve = [0.5, 1.0]
[interpret]
repeats = 1
top = 5
"""


# ----- one place that knows how `tenfold run` is called ------------------------------------------


@functools.cache
def study_option() -> bool:
    """Whether `tenfold run` takes ``--study DIR`` (the study folder apart from the bundle)."""
    help_text = subprocess.run(
        [sys.executable, "-m", "guiapp", "run", "--help"], capture_output=True, text=True, timeout=120
    ).stdout
    return "--study" in help_text


def run_command(spec: Path, out: Path, study: Path, *, resume: bool = False) -> list:
    """``tenfold run`` with the bundle in ``out`` and the study folder in ``study`` (where the
    command lets the two be chosen apart; otherwise the study lives in ``out/study``)."""
    cmd = [sys.executable, "-m", "guiapp", "run", str(spec), "--out", str(out)]
    if study_option():
        cmd += ["--study", str(study)]
    return cmd + (["--resume"] if resume else [])


def study_folder(out: Path, study: Path) -> Path:
    return study if study_option() else out / "study"


# ----- comparing two runs ------------------------------------------------------------------------


def _comparable(value, folders: tuple):
    if isinstance(value, dict):
        return {k: _comparable(v, folders) for k, v in value.items() if k not in EXCLUDED}
    if isinstance(value, list):
        return [_comparable(v, folders) for v in value]
    if isinstance(value, str):  # the tuning storage's path names the run's own folder
        for folder, name in folders:
            value = value.replace(str(folder), name)
    return value


def differences(ref: tuple, run: tuple) -> list:
    """What differs between two runs' results (``(out, study)`` each); empty when identical."""
    (ref_out, ref_study), (out, study) = ref, run
    found = []
    for name in ("predictions.csv",):
        if (ref_out / name).read_bytes() != (out / name).read_bytes():
            found.append(f"{name} differs")
    model = sorted(p.relative_to(ref_out) for p in (ref_out / "model").rglob("*") if p.is_file())
    if model != sorted(p.relative_to(out) for p in (out / "model").rglob("*") if p.is_file()):
        found.append("model/ holds other files")
    for rel in model:
        if (out / rel).is_file() and (ref_out / rel).read_bytes() != (out / rel).read_bytes():
            found.append(f"{rel} differs")
    best = "checkpoints/best.safetensors"
    if (study_folder(ref_out, ref_study) / best).read_bytes() != (study_folder(out, study) / best).read_bytes():
        found.append(f"study {best} differs")
    a = _comparable(json.loads((ref_out / "metrics.json").read_text()), ((ref_out, "<OUT>"), (ref_study, "<STUDY>")))
    b = _comparable(json.loads((out / "metrics.json").read_text()), ((out, "<OUT>"), (study, "<STUDY>")))
    if a != b:
        diff = difflib.unified_diff(
            json.dumps(a, indent=1, sort_keys=True).splitlines(),
            json.dumps(b, indent=1, sort_keys=True).splitlines(),
            lineterm="",
            n=1,
        )
        found.append("metrics.json differs:\n" + "\n".join(list(diff)[2:40]))
    return found


# ----- killing a run -----------------------------------------------------------------------------

UTF8 = {**os.environ, "PYTHONIOENCODING": "utf-8"}  # the step lines hold "…" and "→"
# `tenfold run` prints a line when a step ends ("done in 1.2 s", or "kept from the earlier run"):
# a step begins when the one before it ends, the first when the run's header is printed.
STEP_LINE = re.compile(r"^  (.+?): (done in ([0-9.]+) s|kept from the earlier run)$")


class Watched:
    """A `tenfold run` process whose step lines are read as they come: when each step ended."""

    def __init__(self, cmd: list) -> None:
        self.ended: dict = {}
        self.header = None
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=UTF8, encoding="utf-8", errors="replace"
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            now = time.monotonic()
            if line.startswith("Tenfold run"):
                self.header = now
            m = STEP_LINE.match(line.rstrip("\n"))
            if m:
                self.ended[m.group(1)] = now

    def kill_at(self, previous: str, delay: float, timeout: float = 300) -> str:
        """SIGKILL ``delay`` seconds after the step ``previous`` ended ('' = after the header
        line, None = after the process started); returns where the kill landed."""
        deadline = time.monotonic() + timeout

        def begun():
            return self.t0 if previous is None else self.header if previous == "" else self.ended.get(previous)

        while begun() is None and self.proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        begin = begun() or time.monotonic()
        while self.proc.poll() is None and time.monotonic() < begin + delay:
            time.sleep(0.002)
        if self.proc.poll() is not None:
            self.reader.join(timeout=10)
            return f"finished before the kill (exit {self.proc.returncode})"
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=60)
        self.reader.join(timeout=10)
        after = list(self.ended)[-1] if self.ended else ("the header" if self.header else "nothing")
        return f"killed {time.monotonic() - self.t0:.2f} s in, after {after} ended"


def step_times(stderr: str) -> dict:
    """``{step title: seconds}`` from a run's step lines, in the order the steps ran."""
    times = {}
    for line in stderr.splitlines():
        m = STEP_LINE.match(line)
        if m and m.group(3):
            times[m.group(1)] = float(m.group(3))
    return times


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("kill-resume")
    table = write_demo(simulated_expression(n_samples=160, n_genes=12, n_informative=4, seed=3), root)
    spec = root / "spec.toml"
    spec.write_text(SPEC.format(table=table.name), encoding="utf-8")
    ref = (root / "reference" / "out", root / "reference" / "study")
    t0 = time.monotonic()
    result = subprocess.run(
        run_command(spec, *ref), capture_output=True, env=UTF8, encoding="utf-8", errors="replace", timeout=600
    )
    assert result.returncode == 0, result.stderr
    return root, spec, ref, step_times(result.stderr), time.monotonic() - t0


@pytest.mark.slow
def test_a_run_killed_at_random_moments_resumes_to_the_same_results(tiny_run):
    root, spec, ref, times, total = tiny_run
    steps = list(times)
    assert {"Baselines", "Network search", "Train", "Evaluate (sealed test, once)", "Export"} <= set(steps)
    rng = random.Random(SEED)
    # Each step is as likely to be hit as any other, at a uniform moment within the time it
    # took in the uninterrupted run; "start-up" is the interpreter and imports before the header.
    targets = ["start-up"] + steps
    plans = [(t, rng.uniform(0, max(times.get(t, 1.5), 0.05))) for t in (rng.choice(targets) for _ in range(ROUNDS))]
    before = {t: (None if t == "start-up" else "" if i == 1 else targets[i - 1]) for i, t in enumerate(targets)}
    report, failed = [], []
    for i, (step, delay) in enumerate(plans):
        run = (root / f"round{i}" / "out", root / f"round{i}" / "study")
        where = Watched(run_command(spec, *run)).kill_at(before[step], delay)
        resumed = subprocess.run(run_command(spec, *run, resume=True), capture_output=True, text=True, timeout=600)
        found = (
            [f"--resume exited {resumed.returncode}: {resumed.stderr[-2000:]}"]
            if resumed.returncode
            else differences(ref, run)
        )
        report.append(
            f"round {i}: aimed {delay:.2f} s into {step}; {where} → "
            + ("identical" if not found else "DIFFERENT:\n    " + "\n    ".join(found))
        )
        if found:
            failed.append(i)
    print(f"\nKill and resume, {ROUNDS} rounds (seed {SEED}; the uninterrupted run took {total:.1f} s):")
    print("\n".join(report))
    print(f"identical in {ROUNDS - len(failed)} of {ROUNDS}")
    allowed = ROUNDS // 20  # the bar: at least 19 of 20
    assert len(failed) <= allowed, "\n".join(report)
