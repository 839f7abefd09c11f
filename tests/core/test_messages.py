"""Messages that say what to do, and no noise: missing columns, identifiers, personal group
columns, confounding, and the tips findings cite."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from guiapp.core.batch.confounding import batch_label_confounding, confounding_finding
from guiapp.core.data import attach as data
from guiapp.core.data.errors import DataError
from guiapp.core.privacy import ethics
from guiapp.core.study.column_names import closest_columns, edit_distance
from guiapp.core.study.findings import Findings
from guiapp.core.study.model import Study


def wide_table(n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    t = pd.DataFrame(rng.normal(size=(n, 30)), columns=[f"marker_{i:02d}" for i in range(30)])
    t["run_batch"] = ["r1", "r2"] * (n // 2)
    t["patient"] = [f"P{i // 2:02d}" for i in range(n)]
    t["diagnosis"] = ["a", "b"] * (n // 2)  # the last column: a cut list would hide it
    return t


def test_edit_distance_is_levenshtein():
    assert edit_distance("diagnosys", "diagnosis") == 1
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3


@pytest.mark.parametrize(
    "asked, kind, key",
    [
        ("diagnosys", "label", "label"),
        ("Diagnosis", "label", "label"),
        ("run", "batch", "batch"),
        ("patients", "group", "group"),
    ],
)
def test_a_missing_column_names_the_closest_five_with_the_answer_first(tmp_path, asked, kind, key):
    path = tmp_path / "wide.csv"
    wide_table().to_csv(path, index=False)
    kwargs = {"label": "diagnosis", key: asked}
    with pytest.raises(DataError) as info:
        data.attach_data(Study(), data.AttachRequest(path, sensitive=False, **kwargs))
    message = str(info.value)
    answer = {"label": "diagnosis", "batch": "run_batch", "group": "patient"}[key]
    assert f"Did you mean {answer!r}?" in message
    listed = message.split("are: ")[1]
    assert listed.startswith(repr(answer)) and listed.count("'") == 10  # five names, the answer among them
    assert "(of 33)" in message and "wide.csv" in message


def test_closest_columns_never_drop_the_match_in_a_wide_table():
    columns = [f"GENE{i:05d}" for i in range(20_000)] + ["condition"]
    assert closest_columns("Condition", columns)[0] == "condition"


def test_an_identifier_set_aside_is_info_with_tip_4_and_opens_no_ethics_entry(tmp_path):
    t = wide_table().assign(sample_code=[f"S{i:03d}" for i in range(40)])
    path = tmp_path / "ids.csv"
    t.to_csv(path, index=False)
    study = Study()
    data.attach_data(study, data.AttachRequest(path, label="diagnosis", sensitive=False))
    f = next(f for f in study.findings if f.code == "identifier-like-column")
    assert f.severity == "info" and f.tip == 4 and "sample_code" not in study.data.feature_columns
    assert not ethics.opens_entry(f)
    assert ethics.sync_register(study) == [] or all(
        not e["finding"].startswith("identifier-like-column") for e in study.ethics.register
    )


def test_sensitivity_undeclared_is_raised_once(tmp_path):
    path = tmp_path / "t.csv"
    wide_table().to_csv(path, index=False)
    study = Study()
    data.attach_data(study, data.AttachRequest(path, label="diagnosis"))
    ethics.set_sensitivity_answers(study, about_humans=True)
    ethics.set_sensitivity_answers(study, identifiable=False)
    study.set_findings(
        "data", [f for f in study.findings if f.step == "data"] + [Findings.sensitivity_undeclared.raise_()]
    )
    assert [f.code for f in study.findings].count("sensitivity-undeclared") == 1


def test_a_personal_group_column_is_kept_as_the_group_and_pseudonymised(tmp_path):
    t = wide_table()
    t["patient_name"] = [["Maria Garcia", "John Smith", "Wei Chen", "Anna Kowalski"][i % 4] for i in range(40)]
    path = tmp_path / "names.csv"
    t.to_csv(path, index=False)
    study = Study()
    data.attach_data(study, data.AttachRequest(path, label="diagnosis", group="patient_name", sensitive=True))
    found = [f for f in study.findings if f.values.get("column") == "patient_name"]
    assert [f.code for f in found] == ["pii-group-column"]
    message = found[0].message
    assert "Keep it as the group, never as a feature" in message and "Pseudonymise" in message
    assert "remove it" not in message
    assert ethics.opens_entry(found[0])  # still a personal identifier in the data


def test_the_confounding_message_says_what_to_do():
    report = batch_label_confounding(["a"] * 20 + ["b"] * 20, ["x"] * 20 + ["y"] * 20)
    message = confounding_finding("run", report).message
    for words in (
        "balanced design",
        "leave-batch-out evaluation",
        "batch-label-stratified",
        "as a limitation",
        "can undo confounding",
    ):
        assert words in message


def test_leak_and_proxy_findings_cite_tip_7_and_identifiers_tip_4():
    assert Findings.possible_label_leak.tip == 7 and Findings.possible_label_leak.severity == "error"
    assert Findings.label_proxy.tip == 7 and "Tips 7 and 9" in Findings.label_proxy.template
    assert Findings.strong_single_markers.severity == "info"
    assert Findings.identifier_like_column.tip == 4
    assert Findings.group_column_suggested.severity == "warning"
