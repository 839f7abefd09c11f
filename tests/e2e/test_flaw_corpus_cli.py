"""`tenfold inspect` on a few studies of the planted-flaw corpus, as a user types it: the
flaw is reported, a blocking one ends with exit code 3, a clean twin with 0."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("flaw_corpus", Path(__file__).parents[1] / "flaw_corpus.py")
corpus = sys.modules.setdefault("flaw_corpus", importlib.util.module_from_spec(_spec))
if not hasattr(corpus, "CASES"):
    _spec.loader.exec_module(corpus)

BLOCKED = 3


def inspect(case_name: str, folder: Path) -> subprocess.CompletedProcess:
    case = corpus.BY_NAME[case_name]
    args = case.build(folder)
    cmd = ["inspect", args["path"], "--label", args["label"], "--json"]
    for key in ("batch", "samples"):
        if args.get(key):
            cmd += [f"--{key}", args[key]]
    if case.task != "classification":
        cmd += ["--task", case.task]
    return subprocess.run([sys.executable, "-m", "guiapp", *map(str, cmd)], capture_output=True, text=True, timeout=300)


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, code, exit_code",
    [
        pytest.param("full-confounding", "batch-confounded", BLOCKED, id="confounded"),
        pytest.param("coded-label-column", "possible-label-leak", BLOCKED, id="leak"),
        pytest.param("pasilla-counts", "too-few-samples", BLOCKED, id="seven-samples"),
        pytest.param("full-confounding-twin", None, 0, id="clean-twin"),
    ],
)
def test_inspect_reports_the_flaw_and_its_exit_code_says_whether_it_blocks(tmp_path, name, code, exit_code):
    result = inspect(name, tmp_path)
    assert "Traceback" not in result.stderr
    assert result.returncode == exit_code, result.stderr
    report = json.loads(result.stdout)
    errors = [f["code"] for f in report["findings"] if f["severity"] == "error"]
    assert errors == ([code] if code else [])


@pytest.mark.slow
def test_inspect_reports_confounding_today(tmp_path):
    """Whatever the exit code, the report of a confounded study names the finding."""
    result = inspect("full-confounding", tmp_path)
    report = json.loads(result.stdout)
    found = [f for f in report["findings"] if f["code"] == "batch-confounded"]
    assert found and found[0]["severity"] == "error" and found[0]["tip"] == 7
    assert report["batch_effect"]["confounding"]["confounded"] is True
