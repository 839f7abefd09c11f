"""Reading tables, provenance, and the data profile (Tip 4)."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from guiapp.core.data import attach as data
from guiapp.core.study.errors import DataError
from guiapp.core.study.model import Study


def small_table(n: int = 40, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "g1": rng.normal(size=n).round(4),
            "g2": rng.normal(size=n).round(4),
            "g3": rng.normal(size=n).round(4),
            "condition": np.where(np.arange(n) % 2 == 0, "control", "treated"),
        }
    )


def write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


# ----- read_table errors ----------------------------------------------------------------


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(DataError, match="does not exist") as info:
        data.read_table(tmp_path / "samples.csv")
    assert "samples.csv" in str(info.value)


def test_a_folder_is_not_a_table(tmp_path):
    folder = tmp_path / "samples.csv"
    folder.mkdir()
    with pytest.raises(DataError, match="is a folder") as info:
        data.read_table(folder)
    assert "samples.csv" in str(info.value)


def test_a_spreadsheet_asks_for_csv(tmp_path):
    path = tmp_path / "samples.xlsx"
    path.write_bytes(b"PK\x03\x04" + bytes(100))
    with pytest.raises(DataError, match=r"\.xlsx") as info:
        data.read_table(path)
    assert "samples.xlsx" in str(info.value)
    assert "CSV" in str(info.value)


def test_an_empty_file(tmp_path):
    with pytest.raises(DataError, match="samples.csv is empty"):
        data.read_table(write(tmp_path / "samples.csv", ""))


def test_binary_garbage(tmp_path):
    path = tmp_path / "samples.csv"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    with pytest.raises(DataError, match="samples.csv is not a text table in UTF-8"):
        data.read_table(path)


def test_ragged_rows_name_the_line(tmp_path):
    rows = ["a,b,c"] + [f"{i},{i * 2},x" for i in range(12)]
    rows[5] = "1,2,3,4,5"
    with pytest.raises(DataError, match="samples.csv could not be read as a comma-separated") as info:
        data.read_table(write(tmp_path / "samples.csv", "\n".join(rows) + "\n"))
    assert "line 6" in str(info.value)


def test_a_single_column_hints_at_the_separator(tmp_path):
    # Semicolons, tabs and pipes are sniffed now (see below); a space is not a separator.
    text = "g1 g2 condition\n" + "".join(f"{i} {i} a\n" for i in range(20))
    with pytest.raises(DataError, match="samples.csv has a single column") as info:
        data.read_table(write(tmp_path / "samples.csv", text))
    assert "separator" in str(info.value)


def test_a_semicolon_csv_is_sniffed_even_with_a_csv_extension(tmp_path):
    text = "g1;g2;condition\n" + "".join(f"{i};{i};a\n" for i in range(20))
    table = data.read_table(write(tmp_path / "samples.csv", text))
    assert list(table.columns) == ["g1", "g2", "condition"] and len(table) == 20


@pytest.mark.parametrize("n_rows", [0, 3, 9])
def test_too_few_rows(tmp_path, n_rows):
    text = "g1,condition\n" + "".join(f"{i},a\n" for i in range(n_rows))
    with pytest.raises(DataError, match=f"samples.csv has only {n_rows} rows"):
        data.read_table(write(tmp_path / "samples.csv", text))


def test_ten_rows_are_enough(tmp_path):
    text = "g1,condition\n" + "".join(f"{i},a\n" for i in range(10))
    assert data.read_table(write(tmp_path / "samples.csv", text)).shape == (10, 2)


# ----- separators -------------------------------------------------------------------------


def test_tsv_is_read_with_tabs(tmp_path):
    table = small_table()
    path = tmp_path / "samples.tsv"
    table.to_csv(path, sep="\t", index=False)
    pd.testing.assert_frame_equal(data.read_table(path), table)


def test_semicolon_txt_is_sniffed(tmp_path):
    table = small_table()
    path = tmp_path / "samples.txt"
    table.to_csv(path, sep=";", index=False)
    pd.testing.assert_frame_equal(data.read_table(path), table)


def test_a_utf8_bom_does_not_spoil_the_first_column_name(tmp_path):
    table = small_table()
    path = tmp_path / "samples.csv"
    path.write_bytes(b"\xef\xbb\xbf" + table.to_csv(index=False).encode())
    assert list(data.read_table(path).columns) == list(table.columns)


# ----- label checks -------------------------------------------------------------------------


def test_a_missing_label_suggests_the_case_insensitive_match():
    with pytest.raises(DataError, match="no column named 'Condition'") as info:
        data.profile_table(small_table(), "Condition", file_name="samples.csv")
    message = str(info.value)
    assert "Did you mean 'condition'?" in message
    assert "samples.csv" in message


def test_a_missing_label_without_a_near_match_lists_the_columns():
    with pytest.raises(DataError) as info:
        data.profile_table(small_table(), "diagnosis")
    assert "Did you mean" not in str(info.value)
    assert "g1, g2, g3, condition" in str(info.value)


def test_a_single_class_label_is_refused():
    table = small_table()
    table["condition"] = "control"
    with pytest.raises(DataError, match="single value \\('control'\\)"):
        data.profile_table(table, "condition")


def test_an_empty_label_column_is_a_data_error():
    table = small_table()
    table["condition"] = np.nan
    with pytest.raises(DataError, match="no values"):
        data.profile_table(table, "condition")


def test_a_continuous_label_with_classification_suggests_regression():
    table = small_table(n=200)
    table["condition"] = np.random.default_rng(1).normal(size=200)
    with pytest.raises(DataError, match="looks continuous") as info:
        data.profile_table(table, "condition", task="classification")
    assert "regression" in str(info.value)
    profile = data.profile_table(table, "condition", task="regression")
    assert profile.classes == [] and profile.n_samples == 200


def test_a_text_label_with_regression_is_refused():
    with pytest.raises(DataError, match="holds text"):
        data.profile_table(small_table(), "condition", task="regression")


def test_an_unknown_batch_column_is_refused():
    with pytest.raises(DataError, match="no batch column named 'plate'"):
        data.profile_table(small_table(), "condition", batch="plate")


# ----- provenance ---------------------------------------------------------------------------


def test_provenance_hash_is_the_files_sha256(tmp_path):
    path = tmp_path / "samples.csv"
    small_table().to_csv(path, index=False)
    prov = data.file_provenance(path, source="GEO GSE1", version="v2")
    assert prov.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert prov.size_bytes == path.stat().st_size
    assert prov.path == str(path.resolve())
    assert (prov.source, prov.version) == ("GEO GSE1", "v2")


# ----- profile --------------------------------------------------------------------------------


def test_profile_counts_classes_and_features():
    table = small_table(n=40)
    table.loc[:5, "condition"] = "treated"  # 3 controls become treated: 17 vs 23
    profile = data.profile_table(table, "condition")
    assert profile.classes == ["control", "treated"]
    assert profile.class_counts == {"control": 17, "treated": 23}
    assert profile.feature_columns == ["g1", "g2", "g3"]
    assert profile.n_samples == 40 and profile.n_features == 3


def codes(profile) -> set:
    return {f.code for f in profile.findings}


def test_missing_values_are_counted_and_raised():
    table = small_table()
    table.loc[[1, 2], "g1"] = np.nan
    table.loc[3, "g2"] = np.nan
    profile = data.profile_table(table, "condition")
    assert profile.missing_by_column == {"g1": 2, "g2": 1}
    finding = next(f for f in profile.findings if f.code == "missing-values")
    assert finding.values["n_columns"] == 2
    assert finding.values["share"] == pytest.approx(3 / (40 * 3))
    assert "missing-values" not in codes(data.profile_table(small_table(), "condition"))


def test_a_constant_feature_is_raised():
    table = small_table()
    table["flat"] = 1.0
    profile = data.profile_table(table, "condition")
    assert profile.constant_columns == ["flat"]
    assert "flat" in next(f for f in profile.findings if f.code == "constant-features").message
    assert "constant-features" not in codes(data.profile_table(small_table(), "condition"))


def test_duplicate_rows_are_counted_on_features():
    table = small_table()
    table.loc[5, ["g1", "g2", "g3"]] = table.loc[4, ["g1", "g2", "g3"]].to_numpy()
    table.loc[7, ["g1", "g2", "g3"]] = table.loc[4, ["g1", "g2", "g3"]].to_numpy()
    profile = data.profile_table(table, "condition")
    assert profile.duplicate_rows == 2
    assert next(f for f in profile.findings if f.code == "duplicate-samples").values["count"] == 2
    assert "duplicate-samples" not in codes(data.profile_table(small_table(), "condition"))


def test_identifier_like_columns_are_detected_and_not_features():
    table = small_table()
    table.insert(0, "sample_id", [f"S{i:03d}" for i in range(len(table))])
    table["row_number"] = np.arange(len(table)) + 1
    profile = data.profile_table(table, "condition")
    assert set(profile.identifier_columns) == {"sample_id", "row_number"}
    assert profile.feature_columns == ["g1", "g2", "g3"]
    raised = {f.values["column"] for f in profile.findings if f.code == "identifier-like-column"}
    assert raised == {"sample_id", "row_number"}


def test_distinct_measurements_are_not_mistaken_for_identifiers():
    table = small_table()
    table["counts"] = np.arange(len(table)) * 7  # distinct integers, but not a running number
    profile = data.profile_table(table, "condition")
    assert profile.identifier_columns == []
    assert "counts" in profile.feature_columns and "g1" in profile.feature_columns


def test_declared_identifiers_are_excluded_without_a_finding():
    table = small_table()
    table.insert(0, "sample_id", [f"S{i:03d}" for i in range(len(table))])
    profile = data.profile_table(table, "condition", identifiers=["sample_id"])
    assert "sample_id" not in profile.feature_columns
    assert "identifier-like-column" not in codes(profile)


def test_few_samples_per_class_is_raised_only_for_small_classes():
    small = data.profile_table(small_table(n=40), "condition")
    finding = next(f for f in small.findings if f.code == "too-few-samples-per-class")
    assert finding.values["count"] == 20
    large = data.profile_table(small_table(n=240), "condition")
    assert "too-few-samples-per-class" not in codes(large)


def test_class_imbalance_is_raised_only_for_imbalanced_data():
    table = small_table(n=400)
    table["condition"] = np.where(np.arange(400) < 80, "case", "control")  # 1 : 4
    profile = data.profile_table(table, "condition")
    finding = next(f for f in profile.findings if f.code == "class-imbalance")
    assert finding.values["minority"] == "case"
    assert finding.values["ratio"] == pytest.approx(4.0)
    assert finding.values["share"] == pytest.approx(0.2)
    assert "class-imbalance" not in codes(data.profile_table(small_table(n=400), "condition"))


def test_unlabelled_rows_are_left_out_and_raised():
    table = small_table()
    table.loc[[0, 1, 2], "condition"] = np.nan
    profile = data.profile_table(table, "condition")
    assert profile.unlabelled == 3 and profile.n_samples == 37
    assert "label-missing" in codes(profile)


# ----- attach and reload ------------------------------------------------------------------------


def test_attach_data_records_everything_in_the_study(tmp_path):
    path = tmp_path / "samples.csv"
    table = small_table()
    table.insert(0, "sample_id", [f"S{i:03d}" for i in range(len(table))])
    table.to_csv(path, index=False)
    study = Study()
    data.attach_data(study, data.AttachRequest(path, label="condition", source="lab LIMS"))
    d = study.data
    assert d.provenance.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert d.provenance.source == "lab LIMS"
    assert d.identifiers == ["sample_id"]
    assert d.feature_columns == ["g1", "g2", "g3"]
    assert d.class_counts == {"control": 20, "treated": 20}
    assert study.table is not None and len(study.table) == 40
    assert "sensitivity-undeclared" in study.finding_codes()
    X, y, rows = data.model_frame(study)
    assert X.shape == (40, 3) and X.dtype == np.float32
    assert y.tolist() == [0, 1] * 20


def test_reload_table_reads_an_unchanged_file(tiny_study):
    reopened = Study.open(tiny_study.folder)
    assert reopened.table is None
    table = data.reload_table(reopened)
    pd.testing.assert_frame_equal(table, tiny_study.table)
    assert reopened.table is table


def test_reload_table_detects_a_changed_file(tiny_study):
    path = tiny_study.data.provenance.path
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(",".join(["0"] * tiny_study.table.shape[1]) + "\n")
    with pytest.raises(DataError, match="has changed since it was loaded"):
        data.reload_table(tiny_study)


def test_reload_table_without_data_says_so():
    with pytest.raises(DataError, match="no data file yet"):
        data.reload_table(Study())


# ----- a spec with a sample sheet; provenance in the manifest and the card --------------------------


def test_a_spec_joins_its_sample_sheet_and_keeps_the_provenance_to_the_card(tmp_path):
    from guiapp.core.export import model_card
    from guiapp.core.export import write as export
    from guiapp.core.study import spec

    rng = np.random.default_rng(7)
    ids = [f"P{i:03d}" for i in range(40)]
    t = pd.DataFrame(rng.normal(size=(40, 4)).round(3), columns=[f"g{j}" for j in range(4)])
    t.insert(0, "sample_id", ids)
    (tmp_path / "in").mkdir()
    t.to_csv(tmp_path / "in" / "expr.csv", index=False)
    pd.DataFrame({"patient_sample": ids[::-1], "condition": ["a", "b"] * 20}).to_csv(
        tmp_path / "in" / "sheet.csv", index=False
    )
    write(
        tmp_path / "in" / "study.toml",
        '[data]\npath = "expr.csv"\nsamples = "sheet.csv"\nlabel = "condition"\n'
        'source = "GEO"\nversion = "3"\ndownloaded = "2026-02-03"\naccession = "GSE42"\n'
        'url = "https://example.org/GSE42"\n',
    )
    loaded = spec.load_spec(tmp_path / "in" / "study.toml")
    assert loaded["data"]["samples"] == str((tmp_path / "in" / "sheet.csv").resolve())
    study = Study()
    data.attach_from_spec(study, loaded["data"])
    d = study.data
    assert d.sample_sheet["sheet_key"] == "patient_sample" and d.sample_sheet["matched"] == 40
    assert d.class_counts == {"a": 20, "b": 20} and d.samples.endswith("sheet.csv")
    assert study.table.set_index("sample_id").loc["P039", "condition"] == "a"  # joined by ID, not by row
    manifest = export.manifest(study, tmp_path / "out")
    assert {k: manifest["data"][k] for k in ("source", "version", "downloaded", "accession", "url")} == {
        "source": "GEO",
        "version": "3",
        "downloaded": "2026-02-03",
        "accession": "GSE42",
        "url": "https://example.org/GSE42",
    }
    assert manifest["data"]["sha256"] == hashlib.sha256((tmp_path / "in" / "expr.csv").read_bytes()).hexdigest()
    card = model_card.render_model_card(study, weights_shared=False, weights_reason="not trained", privacy=[])
    assert "GEO, version 3, downloaded 2026-02-03, accession GSE42 (https://example.org/GSE42)" in card
    assert d.provenance.sha256 in card
    card_json = model_card.model_card_json(study, weights_shared=False, weights_reason="not trained", privacy=[])
    model_card.validate_model_card_json(card_json)
    train = card_json["model_parameters"]["data"][0]
    assert train["link"] == "https://example.org/GSE42" and "Accession GSE42." in train["description"]


def test_the_roles_table_rows_name_kind_missing_and_personal_identifiers():
    from guiapp.core.data.roles import role_table

    t = small_table(12)
    t.loc[3, "g2"] = np.nan
    t["email"] = [f"p{i}@example.org" for i in range(12)]
    t["done"] = [True, False] * 6
    t["counts"] = pd.arrays.SparseArray([0.0] * 11 + [2.0])
    rows = role_table(t, {"g1": "feature", "condition": "label"}, [{"column": "email", "kind": "email address"}])
    by_name = {r[0]: r for r in rows}
    assert by_name["g2"] == ["g2", "ignore", "number", 1, ""]
    assert by_name["condition"][1:3] == ["label", "text"] and by_name["done"][2] == "yes/no"
    assert by_name["counts"][2:4] == ["number", 0] and by_name["email"][4] == "personal identifier? email address"
    assert [r[0] for r in role_table(t, {}, [], limit=2)] == ["g1", "g2"]
