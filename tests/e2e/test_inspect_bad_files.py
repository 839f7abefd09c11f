"""``tenfold inspect`` on the corpus of malformed files: exit code 2 and the file's own message,
never a traceback (``tests/data/bad/``, written by ``make_bad_files.py``). A data error the
profile finds (a class with one sample) prints the report, then exits 2 with its message."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"
# A short table is no bad input for inspect: it is profiled, and a too-few-samples finding exits 3
# (tests/e2e/test_small_studies_cli.py); read_table alone still refuses it (tests/core/test_bad_files.py).
CASES = [
    c
    for c in json.loads((BAD / "cases.json").read_text(encoding="utf-8"))
    if c["kind"] in ("read", "attach", "finding") and c["name"] != "too few rows"
]


def inspect_args(case: dict) -> list[str]:
    """The command line a user would type for the case: the file, its label and its options."""
    kwargs = dict(case["kwargs"])
    args = ["inspect", str(BAD / case["path"]), "--label", kwargs.pop("label", "condition")]
    for key, value in kwargs.items():
        if key == "transposed":
            args.append("--transposed" if value else "--no-transposed")
        elif key == "samples":
            args += ["--samples", str(BAD / value)]
        else:
            args += [f"--{key.replace('_', '-')}", str(value)]
    return args


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_inspect_exits_2_with_the_message_of_each_bad_file(case, capsys):
    from guiapp.cli import main

    assert main(inspect_args(case)) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("tenfold: ") and "Traceback" not in captured.err + captured.out
    assert re.search(case["message"], captured.err, re.S), captured.err
    for name in case["names"]:
        assert name in captured.err
    if case["kind"] == "finding":  # the report is printed all the same
        assert f"[error] {case['error']}" in captured.out


@pytest.mark.parametrize(
    "name", ["binary.csv", "ragged_rows.csv", "foreign_characters.fa", "images_unreadable", "sheet_no_match"]
)
def test_the_tenfold_command_exits_2_on_a_bad_file(name):
    case = next(c for c in CASES if c["path"] == name or c["kwargs"].get("samples", "").startswith(name))
    result = subprocess.run(
        [sys.executable, "-m", "guiapp", *inspect_args(case)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert re.search(case["message"], result.stderr, re.S), result.stderr
    assert "Traceback" not in result.stderr and not result.stdout.strip()
    assert len(result.stderr.strip().splitlines()) == 1  # one paragraph


def test_inspect_reads_a_fasta_folder_and_an_image_folder(tmp_path, capsys):
    import numpy as np
    from PIL import Image

    from guiapp.cli import main

    rng = np.random.default_rng(0)
    (tmp_path / "seqs").mkdir()
    for cls in ("bound", "unbound"):
        (tmp_path / "seqs" / f"{cls}.fa").write_text(
            "".join(f">{cls}{i}\n{''.join(rng.choice(list('ACGT'), 30))}\n" for i in range(12))
        )
    assert main(["inspect", str(tmp_path / "seqs"), "--label", "class", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["modality"] == "sequence" and out["input_shape"] == [30, 4]
    assert out["class_counts"] == {"bound": 12, "unbound": 12}
    for cls in ("a", "b"):
        (tmp_path / "imgs" / cls).mkdir(parents=True)
        for i in range(12):
            Image.fromarray((rng.random((6, 6)) * 255).astype(np.uint8), mode="L").save(
                tmp_path / "imgs" / cls / f"{i}.png"
            )
    assert main(["inspect", str(tmp_path / "imgs"), "--label", "class", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["modality"] == "image" and out["n_samples"] == 24
