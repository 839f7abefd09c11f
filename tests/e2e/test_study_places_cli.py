"""`tenfold run`: the bundle folder and the study folder are apart, and one process writes a study."""

from __future__ import annotations

import subprocess
import sys

import pytest

from guiapp.core.data.demo import simulated_expression, write_demo
from guiapp.core.study.places import default_study_dir

HOLD = """
import sys
from guiapp.core.study.lock import StudyLock
lock = StudyLock(sys.argv[1], command="tenfold run").acquire()
print("held", flush=True)
sys.stdin.readline()
lock.release()
"""


def tenfold(*args):
    return subprocess.run(
        [sys.executable, "-m", "guiapp", *map(str, args)], capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def spec(tmp_path):
    data = write_demo(simulated_expression(n_samples=60, n_genes=5), tmp_path)
    path = tmp_path / "study.toml"
    path.write_text(f'[data]\npath = "{data.name}"\nlabel = "condition"\n\n[train]\nmax_epochs = 1\n')
    return path


@pytest.mark.parametrize("resume", [False, True])
def test_a_run_or_resume_while_another_process_writes_the_study_exits_2(spec, tmp_path, resume):
    out = tmp_path / "out"
    study_dir = default_study_dir(out)
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(study_dir)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout.readline().strip() == "held"
        result = tenfold("run", spec, "--out", out, *(["--resume"] if resume else []))
    finally:
        child.communicate("\n", timeout=30)
    assert result.returncode == 2, result.stderr
    assert f"being written by another Tenfold (process {child.pid}" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()  # nothing was started


@pytest.mark.parametrize(
    "layout, words",
    [
        (lambda p: ("--out", p / "out", "--study", p / "out" / "study"), "holds the study folder"),
        (lambda p: ("--out", p / "s" / "export", "--study", p / "s"), "lies inside the study folder"),
        (lambda p: ("--out", p / "same", "--study", p / "same"), "is the study folder itself"),
    ],
)
def test_a_bundle_folder_that_holds_or_lies_in_the_study_folder_is_refused(spec, tmp_path, layout, words):
    result = tenfold("run", spec, *layout(tmp_path))
    assert result.returncode == 2 and words in result.stderr and "Traceback" not in result.stderr


def test_the_default_study_folder_lies_beside_the_bundle(tmp_path):
    assert default_study_dir(tmp_path / "results") == tmp_path / "results.study"


def test_opening_a_study_another_process_writes_exits_2_before_any_window(tmp_path):
    from guiapp.core.study.model import Study

    folder = tmp_path / "study"
    Study().save(folder)
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(folder)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout.readline().strip() == "held"
        result = tenfold("open", folder)
    finally:
        child.communicate("\n", timeout=30)
    assert result.returncode == 2 and f"(process {child.pid}" in result.stderr and "Traceback" not in result.stderr
