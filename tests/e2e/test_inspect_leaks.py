"""`tenfold inspect` finds a planted label leak before training, and not on the clean twin."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
from sklearn.datasets import load_breast_cancer


def inspect_json(path):
    result = subprocess.run(
        [sys.executable, "-m", "guiapp", "inspect", str(path), "--label", "diagnosis", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 2, result.stderr  # a leak is a finding about the study, not bad input
    return result, {f["code"]: f for f in json.loads(result.stdout)["findings"]}


def test_a_planted_leak_is_an_error_and_the_clean_twin_only_lists_markers(tmp_path):
    table = load_breast_cancer(as_frame=True).frame.rename(columns={"target": "diagnosis"})
    table.to_csv(tmp_path / "clean.csv", index=False)
    _, clean = inspect_json(tmp_path / "clean.csv")
    assert "possible-label-leak" not in clean
    assert clean["strong-single-markers"]["severity"] == "info"
    leaky = table.assign(pathology_grade=table["diagnosis"] * 2 + np.random.default_rng(0).normal(0, 0.1, len(table)))
    # sorted by label, then stamped in file order (a running integer would be set aside as an identifier)
    leaky = leaky.sort_values("diagnosis").assign(scan_time=np.arange(len(leaky)) * 0.37 + 8.0)
    leaky.to_csv(tmp_path / "leaky.csv", index=False)
    result, found = inspect_json(tmp_path / "leaky.csv")
    leak = found["possible-label-leak"]
    assert leak["severity"] == "error" and leak["tip"] == 7 and leak["step"] == "data"
    assert "'pathology_grade'" in leak["message"] and "'scan_time'" in leak["message"]
    assert "rows are sorted by label" in leak["message"]
