"""Nothing personal leaves: a sensitive, identifiable study about people with names, dates of
birth, ZIP codes, phone numbers and e-mail addresses in its table is run headless, and every
file under the output folder (whatever its format) is searched for every planted value."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from guiapp.core.study.places import default_study_dir

FIRST = ["Mary", "James", "Linda", "Robert", "Susan", "David", "Karen", "Thomas"]
# invented surnames: no bundle text can hold them by chance
LAST = [
    "Quillfeather",
    "Brackenmoor",
    "Thistlewood",
    "Ravensquill",
    "Oddlebury",
    "Marchbanke",
    "Wexcombe",
    "Pellingore",
    "Fernsworth",
    "Gallowmere",
]


def tenfold(*args):
    return subprocess.run(
        [sys.executable, "-m", "guiapp", *map(str, args)], capture_output=True, text=True, timeout=600
    )


def patient_table(n: int, *, personal_id: bool, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    features = rng.normal(size=(n, 6)) + y[:, None] * 1.2
    table = pd.DataFrame(features, columns=[f"marker_{i}" for i in range(6)])
    table.insert(
        0,
        "patient_id" if personal_id else "sample_id",
        [f"MRN-{480000 + 37 * i}" for i in range(n)] if personal_id else [f"S{i:04d}" for i in range(n)],
    )
    table["patient_name"] = [f"{FIRST[i % len(FIRST)]} {LAST[i % len(LAST)]}" for i in range(n)]
    table["dob"] = [f"19{40 + i % 50}-{1 + i % 12:02d}-{1 + i % 27:02d}" for i in range(n)]
    table["zip"] = 90000 + rng.choice(9000, n, replace=False) + 1000  # numbers: read as a numeric column
    table["phone"] = [f"617-555-{1000 + 7 * i:04d}" for i in range(n)]
    table["email"] = [
        f"{FIRST[i % len(FIRST)].lower()}.{LAST[i % len(LAST)].lower()}{i}@clinic.example.org" for i in range(n)
    ]
    table["diagnosis"] = np.where(y == 1, "tumour", "healthy")
    return table


def planted_patterns(table: pd.DataFrame, id_column: str = "") -> dict:
    """kind -> one regex (bytes) for every planted value of that kind. A ZIP code counts only where no
    letter, digit, point or dash abuts it: five digits turn up by chance inside hex hashes and floats."""

    def words(values):
        return re.compile(b"|".join(re.escape(str(v).encode()) for v in sorted(set(values), key=len, reverse=True)))

    zips = b"|".join(str(z).encode() for z in table["zip"])
    patterns = {
        "name": words(table["patient_name"]),
        "surname": words(LAST),
        "dob": words(table["dob"]),
        "zip": re.compile(rb"(?<![0-9A-Za-z.-])(" + zips + rb")(?![0-9A-Za-z])"),
        "phone": words(table["phone"]),
        "email": words(table["email"]),
    }
    if id_column:
        patterns["patient_id"] = words(table[id_column])
    return patterns


def leaks(folder, patterns) -> list:
    found = []
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert files
    for path in files:
        data = path.read_bytes()
        for kind, pattern in patterns.items():
            m = pattern.search(data)
            if m:
                found.append(f"{path.relative_to(folder)}: {kind} {m.group(0)[:40]!r}")
    return found


SPEC = """
[question]
title = "Tumour or healthy, from six blood markers"
task = "classification"

[data]
path = "{data}"
label = "diagnosis"
identifiers = ["{id_column}"]
sensitive = true
about_humans = true
identifiable = true

[baselines]
models = ["logistic_regression", "knn"]
budget_trials = 1

[train]
device = "cpu"
max_epochs = 2
budget_trials = 0

[evaluate]
shuffle_repeats = 1
learning_curve = [0.5]

[interpret]
repeats = 1

[export]
onnx = false
"""


def run_patients(tmp_path, *, personal_id: bool):
    table = patient_table(160, personal_id=personal_id)
    id_column = "patient_id" if personal_id else "sample_id"
    data = tmp_path / "patients.csv"
    table.to_csv(data, index=False)
    spec = tmp_path / "study.toml"
    spec.write_text(SPEC.format(data=data.as_posix(), id_column=id_column))
    out = tmp_path / "out"
    result = tenfold("run", spec, "--out", out)
    assert result.returncode == 0, result.stderr[-3000:]
    return table, id_column, out, result


def test_no_planted_personal_value_is_anywhere_under_the_output_folder(tmp_path):
    table, id_column, out, result = run_patients(tmp_path, personal_id=False)
    assert leaks(out, planted_patterns(table)) == []
    # a sensitive study without DP: no weights and no data values leave
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert not [n for n in names if n.endswith((".safetensors", ".pt", ".skops", ".onnx", ".npz", ".npy"))], names
    assert not [n for n in names if n.endswith(".csv") and n != "predictions.csv"], names
    # predictions.csv: keyed by the (not personal) sample ID, carrying the label and the predictions only
    predictions = pd.read_csv(out / "predictions.csv")
    assert list(predictions.columns) == ["row", "sample_id", "diagnosis", "predicted", "p_healthy", "p_tumour"]
    assert set(predictions["sample_id"]) <= set(table["sample_id"])
    # the study folder, beside the bundle, keeps what may not leave
    study_dir = default_study_dir(out)
    assert (study_dir / "study.json").is_file() and (study_dir / "checkpoints").is_dir()
    privacy = (out / "privacy.md").read_text()
    for column in ("patient_name", "dob", "zip", "phone", "email"):
        assert column in privacy  # named as left out
    assert leaks_in_text(result.stdout + result.stderr, planted_patterns(table)) == []


def leaks_in_text(text, patterns) -> list:
    return [kind for kind, pattern in patterns.items() if pattern.search(text.encode())]


def test_a_personal_sample_id_is_replaced_by_a_pseudonymous_row_key_kept_in_the_study_folder(tmp_path):
    table, id_column, out, _ = run_patients(tmp_path, personal_id=True)
    patterns = planted_patterns(table, id_column)
    assert leaks(out, patterns) == []
    predictions = pd.read_csv(out / "predictions.csv")
    assert list(predictions.columns) == ["row_key", "diagnosis", "predicted", "p_healthy", "p_tumour"]
    keys = pd.read_csv(default_study_dir(out) / "private" / "row_keys.csv")
    assert set(predictions["row_key"]) <= set(keys["row_key"]) and predictions["row_key"].is_unique
    # the key in the study folder leads back to the patient's record
    joined = predictions.merge(keys, on="row_key")
    assert len(joined) == len(predictions)
    assert set(joined[id_column]) <= set(table[id_column])
    truth = table.set_index(id_column).loc[joined[id_column], "diagnosis"].to_numpy()
    assert (truth == joined["diagnosis"].to_numpy()).all()


@pytest.mark.parametrize("kind", ["name", "dob", "zip", "phone", "email"])
def test_the_leak_search_finds_each_kind_of_planted_value(tmp_path, kind):
    """The search above can fail: a file holding one planted value of each kind is found."""
    table = patient_table(20, personal_id=False)
    column = {"name": "patient_name"}.get(kind, kind)
    (tmp_path / "note.md").write_text(f"value {table[column].iloc[3]} here")
    assert [hit.split(": ")[1].split()[0] for hit in leaks(tmp_path, planted_patterns(table))][:1] == [kind]


@pytest.mark.parametrize(
    "carry, words",
    [
        (["diagnosis", "dob"], "'dob', marked personal"),
        (["diagnosis", "ward"], "'ward', which the data table does not have"),
    ],
)
def test_carrying_a_personal_or_unknown_column_is_refused_before_training(tmp_path, carry, words):
    table = patient_table(60, personal_id=False)
    data = tmp_path / "patients.csv"
    table.to_csv(data, index=False)
    spec = tmp_path / "study.toml"
    spec.write_text(
        SPEC.format(data=data.as_posix(), id_column="sample_id").replace(
            "[export]\n", f"[export]\ncarry = {carry!r}\n".replace("'", '"')
        )
    )
    result = tenfold("run", spec, "--out", tmp_path / "out")
    assert result.returncode == 2 and words in result.stderr and "Traceback" not in result.stderr
    assert "Train" not in result.stderr  # refused right after the data were read
