"""`tenfold run` refuses a bad spec value before any step runs: exit 2, the key, the value and the
allowed range, no traceback (issue 15, item 5). Each of these crashed (exit 1) or was accepted."""

from __future__ import annotations

import subprocess
import sys

import pytest

from guiapp.core.data.demo import simulated_expression, write_demo

SPEC = """[question]
task = "classification"
target_metric = "roc_auc"
{question}
[data]
path = "data.csv"
label = "condition"
sensitive = false

[split]
{split}
[train]
device = "cpu"
max_epochs = 2
{train}
[evaluate]
{evaluate}
"""


@pytest.mark.parametrize(
    "part, line, words",
    [
        ("train", "batch_size = 0", "[train] batch_size = 0: must be a whole number ≥ 1"),
        ("train", "learning_rate = -1", "[train] learning_rate = -1: must be a number > 0"),
        ("split", "seed = -1", "[split] seed = -1: must be a whole number from 0 to 4294967295"),
        ("evaluate", 'learning_curve = ["half"]', '[evaluate] learning_curve = ["half"]: must be a list of training'),
        ("train", "patience = -3", "[train] patience = -3: must be a whole number ≥ 1"),
        ("question", "target_value = 5", "[question] target_value = 5: ROC AUC is a number from 0 to 1"),
        ("max_epochs", "max_epochs = -5", "[train] max_epochs = -5: must be a whole number ≥ 1"),
        ("bom", "batch_size = 0", "[train] batch_size = 0: must be a whole number ≥ 1"),
    ],
)
def test_bad_spec_values_exit_2_before_any_step(tmp_path, part, line, words):
    write_demo(simulated_expression(n_samples=40, n_genes=4), tmp_path).rename(tmp_path / "data.csv")
    parts = {"question": "", "split": "", "train": "", "evaluate": ""}
    if part in parts:
        parts[part] = line
    elif part == "bom":
        parts["train"] = line
    text = SPEC.format(**parts)
    if part == "max_epochs":
        text = text.replace("max_epochs = 2", line)
    data = text.encode("utf-8")
    (tmp_path / "spec.toml").write_bytes(b"\xef\xbb\xbf" + data if part == "bom" else data)
    result = subprocess.run(
        [sys.executable, "-m", "guiapp", "run", str(tmp_path / "spec.toml"), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert words in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out" / "study").exists()  # refused before any step ran
