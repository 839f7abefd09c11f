"""Personal identifiers after HIPAA Safe Harbor: column names and value patterns (Tip 10)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from guiapp.core.data import attach as data
from guiapp.core.data.pii import category_by_name, scan_column, scan_pii
from guiapp.core.privacy import ethics
from guiapp.core.study.model import Study

N = 40


def col(values):
    return pd.Series((values * N)[:N])


@pytest.mark.parametrize(
    "name, values, category",
    [
        ("contact", ["ann.lee@example.org", "b.smith@uni.edu"], "email"),
        ("column_7", ["(555) 123-4567", "+44 20 7946 0958", "555-987-6543"], "phone"),
        ("fax", ["555-123-4567", "555-222-3333"], "fax"),
        ("ssn_field", ["123-45-6789", "987-65-4321"], "ssn"),
        ("visit", ["2021-03-14", "2020-11-02", "2019-07-30"], "date"),
        ("when", ["14/03/2021", "02/11/2020"], "date"),
        ("site_link", ["https://lab.example.org/p/1", "www.example.com"], "url"),
        ("host", ["192.168.1.20", "10.0.0.7"], "ip"),
        ("hw", ["00:1A:2B:3C:4D:5E", "a4-5e-60-c2-11-0f"], "device"),
        ("home", ["12 Baker Street", "221B Baker St", "5 Elm Road"], "geography"),
        ("zip", ["02139", "94110", "10001-1234"], "geography"),
        ("who", ["John Smith", "Maria Garcia", "Wei Zhang"], "name"),
        ("patient", ["P-0012", "P-0013", "P-0014"], "code"),
        ("mrn", ["A1", "B2"], "record"),
        ("insurance_id", ["X"], "beneficiary"),
        ("licence_number", ["X"], "license"),
        ("vin", ["X"], "vehicle"),
        ("fingerprint", ["X"], "biometric"),
    ],
)
def test_each_safe_harbor_kind_is_recognised(name, values, category):
    hit = scan_column(name, col(values))
    assert hit is not None and hit.category == category, hit
    assert hit.kind and hit.evidence


def test_dates_in_a_datetime_column_and_ages_over_89():
    assert scan_column("dob", pd.Series(pd.to_datetime(["1950-03-14", "1961-07-30"] * 20))).category == "date"
    assert scan_column("year", pd.Series(pd.to_datetime(["1950-01-01", "1961-01-01"] * 20))) is None
    assert scan_column("age", pd.Series([34, 91, 57] * 10)).category == "age"
    assert scan_column("age", pd.Series([34, 71, 57] * 10)) is None
    assert scan_column("zip_code", pd.Series([2139, 94110] * 20)).category == "geography"


@pytest.mark.parametrize(
    "name",
    [
        "gene_name",
        "sample_name",
        "cell_line_name",
        "file_name",
        "GENE0001",
        "condition",
        "batch",
        "sample_id",
        "mean radius",
    ],
)
def test_biological_column_names_are_not_personal(name):
    assert category_by_name(name) is None


def test_expression_data_raise_nothing():
    rng = np.random.default_rng(0)
    t = pd.DataFrame(rng.normal(6, 1, (50, 30)), columns=[f"GENE{j:04d}" for j in range(30)])
    t.insert(0, "sample_id", [f"S{i:04d}" for i in range(50)])
    t["condition"] = ["a", "b"] * 25
    t["batch"] = ["run1", "run2"] * 25
    t["gene_symbol"] = ["TP53", "MYC"] * 25
    assert scan_pii(t) == []


def test_attach_raises_findings_keeps_identifiers_out_and_suggests_sensitive(tmp_path):
    rng = np.random.default_rng(0)
    t = pd.DataFrame(rng.normal(6, 1, (40, 4)), columns=["g1", "g2", "g3", "g4"])
    t["email"] = [f"person{i}@example.org" for i in range(40)]
    t["date_of_birth"] = [f"19{50 + i}-0{1 + i % 9}-1{i % 9}" for i in range(40)]
    t["zip"] = [f"0{2100 + i}" for i in range(40)]
    t["condition"] = ["a", "b"] * 20
    t.to_csv(tmp_path / "t.csv", index=False)
    study = Study()
    data.attach_data(study, data.AttachRequest(tmp_path / "t.csv", label="condition"))
    flagged = {h["column"]: h["category"] for h in study.data.pii}
    assert flagged == {"email": "email", "date_of_birth": "date", "zip": "geography"}
    messages = [f.message for f in study.findings if f.code == "pii-identifier"]
    assert len(messages) == 3 and any("HIPAA Safe Harbor" in m for m in messages)
    assert study.data.feature_columns == ["g1", "g2", "g3", "g4"]
    study.data.about_humans = True
    value, why = ethics.suggested_sensitivity(study)
    assert value is True and "email" in why
