"""A 7-sample counts table with a sample sheet, as a user types the commands: ``inspect`` prints the
profile, "7 samples" and the verdict, and exits 3; ``run`` refuses with the same words, exit 3."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.core.small_counts import write_small_counts


def tenfold(*args):
    return subprocess.run(
        [sys.executable, "-m", "guiapp", *map(str, args)], capture_output=True, text=True, timeout=300
    )


def test_inspect_profiles_a_seven_sample_counts_table_and_exits_3(tmp_path):
    counts, sheet = write_small_counts(tmp_path)
    result = tenfold("inspect", counts, "--samples", sheet, "--label", "condition")
    assert result.returncode == 3, result.stderr
    out = result.stdout
    assert "7 samples × 2000 features" in out  # the profile, printed in full
    assert "classes: untreated 4, treated 3" in out
    assert "verdict before training: Is deep learning warranted here? Doubtful." in out
    assert "differential-expression test" in out
    assert "[error] too-few-samples (Tip 1): 7 samples after turning the genes × samples table" in out
    assert "a suffix 'fb' differs" in out
    assert result.stderr.startswith("tenfold: 7 samples after turning the genes × samples table")
    assert "rows" not in result.stderr and "Traceback" not in result.stderr

    as_json = tenfold("inspect", counts, "--samples", sheet, "--label", "condition", "--json")
    assert as_json.returncode == 3
    report = json.loads(as_json.stdout)
    assert report["n_samples"] == 7 and report["verdict"]["level"] == "doubtful"
    assert "too-few-samples" in [f["code"] for f in report["findings"]]


def test_run_refuses_the_same_table_with_the_same_words(tmp_path):
    counts, sheet = write_small_counts(tmp_path)
    spec = tmp_path / "spec.toml"
    spec.write_text(
        f'[question]\ntitle = "pasilla-like"\n[data]\npath = "{counts.as_posix()}"\n'
        f'samples = "{sheet.as_posix()}"\nlabel = "condition"\nsensitive = false\n',
        encoding="utf-8",
    )
    inspect = tenfold("inspect", counts, "--samples", sheet, "--label", "condition")
    run = tenfold("run", spec, "--out", tmp_path / "out")
    assert run.returncode == 3, run.stderr
    refusal = [line for line in run.stderr.splitlines() if line.startswith("tenfold: ")]
    assert refusal == [line for line in inspect.stderr.splitlines() if line.startswith("tenfold: ")]
    assert not (tmp_path / "out" / "model_card.md").exists()
