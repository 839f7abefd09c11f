"""The corpus of malformed files: each fails with its own named error and a message that says
which file, row or column, and what to do (``tests/data/bad/make_bad_files.py`` writes them)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from guiapp.core.data import attach as data
from guiapp.core.data import errors as data_errors
from guiapp.core.data.profile import profile_table
from guiapp.core.study.errors import DataError, TenfoldError
from guiapp.core.study.model import Study

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"
CASES = json.loads((BAD / "cases.json").read_text(encoding="utf-8"))


def test_the_corpus_holds_at_least_thirty_distinct_bad_files():
    files = {c["path"] for c in CASES}
    assert len(files) >= 30
    assert all((BAD / f).exists() for f in files)
    # every named error of the data-in layer is exercised by some file
    used = {c["error"] for c in CASES}
    expected = {cls.__name__ for cls in data_errors.ALL} - {
        "FileMissingError",
        "FolderNotTableError",
        "FileChangedError",
        "ColumnMissingError",
    }
    assert expected - used == {"LabelMissingError"} - used


def _run(case: dict):
    path = BAD / case["path"]
    kwargs = dict(case["kwargs"])
    task = kwargs.pop("task", "classification")
    if "samples" in kwargs:
        kwargs["samples"] = str(BAD / kwargs["samples"])
    if case["kind"] == "read":
        return data.read_table(path)
    study = Study()
    study.question.task = task
    if case["kind"] == "strict":
        return profile_table(data.read_table(path), kwargs["label"], strict=True, file_name=path.name)
    data.attach_data(study, data.AttachRequest(path, **kwargs))
    return study


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_each_bad_file_gives_its_specific_message(case):
    if case["kind"] == "finding":
        study = _run(case)
        found = [f for f in study.findings if f.code == case["error"]]
        assert found, study.finding_codes()
        assert found[0].severity == "error"
        message = found[0].message
    else:
        with pytest.raises(DataError) as info:
            _run(case)
        assert type(info.value).__name__ == case["error"], str(info.value)
        assert isinstance(info.value, TenfoldError)
        assert info.value.code == getattr(data_errors, case["error"]).code
        message = str(info.value)
    assert re.search(case["message"], message, re.S), message
    for name in case["names"]:
        assert name in message, f"{name!r} not named in: {message}"
    assert "Traceback" not in message and len(message) < 700


def test_a_bad_file_leaves_the_study_as_it_was():
    study = Study()
    study.data.label = "before"
    with pytest.raises(DataError):
        data.attach_data(study, data.AttachRequest(BAD / "ragged_rows.csv", label="c", source="typed by the user"))
    assert study.data.label == "before" and study.table is None and not study.data.provenance.sha256


def test_the_cli_exits_with_code_2_and_the_message(capsys):
    from guiapp.cli import main

    assert main(["inspect", str(BAD / "infinite_value.csv"), "--label", "condition"]) == 2
    err = capsys.readouterr().err
    assert "infinite value" in err and "Traceback" not in err
