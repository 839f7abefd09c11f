"""Every table format on small generated files: CSV/TSV sniffing, Parquet, Excel, AnnData,
the piece-by-piece reader of large files, turned tables and sample sheets."""

from __future__ import annotations

import gzip
import hashlib
import warnings

import numpy as np
import pandas as pd
import pytest

from guiapp.core.data import attach as data
from guiapp.core.data import errors as data_errors
from guiapp.core.data import orientation, readers, text_tables, wide_csv
from guiapp.core.data import sample_sheets as samples
from guiapp.core.data.anndata_io import read_h5ad, write_h5ad
from guiapp.core.study.model import Study


def expression(n: int = 40, p: int = 5, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    table = pd.DataFrame(rng.normal(6, 1, (n, p)).round(3), columns=[f"g{j}" for j in range(p)])
    table.insert(0, "sample_id", [f"S{i:03d}" for i in range(n)])
    table["condition"] = np.where(np.arange(n) % 2 == 0, "control", "treated")
    return table


# ----- text tables ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sep, suffix", [(",", ".csv"), ("\t", ".tsv"), (";", ".txt"), ("|", ".txt"), ("\t", ".csv"), (",", ".tab")]
)
def test_the_delimiter_is_sniffed_whatever_the_extension(tmp_path, sep, suffix):
    table = expression()
    path = tmp_path / f"samples{suffix}"
    table.to_csv(path, sep=sep, index=False)
    got = readers.read_table(path)
    pd.testing.assert_frame_equal(got, table, check_dtype=False)
    assert text_tables.sniff(path).delimiter == sep


def test_european_csv_with_decimal_commas(tmp_path):
    table = expression()
    path = tmp_path / "samples.csv"
    table.to_csv(path, sep=";", decimal=",", index=False)
    fmt = text_tables.sniff(path)
    assert (fmt.delimiter, fmt.decimal) == (";", ",")
    got = readers.read_table(path)
    np.testing.assert_allclose(got["g0"].to_numpy(), table["g0"].to_numpy())


@pytest.mark.parametrize("encoding", ["cp1252", "utf-16", "utf-8-sig"])
def test_the_encoding_is_sniffed(tmp_path, encoding):
    table = expression()
    table["site"] = ["Zürich", "Köln", "Malmö", "São Paulo"] * 10
    path = tmp_path / "samples.csv"
    table.to_csv(path, index=False, encoding=encoding)
    got = readers.read_table(path)
    assert list(got["site"][:4]) == ["Zürich", "Köln", "Malmö", "São Paulo"]
    assert list(got.columns) == list(table.columns)


def test_gzip_tables_comment_lines_and_unnamed_index_columns(tmp_path):
    table = expression()
    path = tmp_path / "samples.csv.gz"
    with gzip.open(path, "wt") as fh:
        fh.write("# exported by the LIMS\n# 2026-01-01\n")
        table.to_csv(fh)  # with the pandas index as an unnamed first column
    got = readers.read_table(path)
    assert got.columns[0] == "Unnamed: 0"
    pd.testing.assert_frame_equal(got.drop(columns="Unnamed: 0"), table, check_dtype=False)
    assert readers.read_columns(path)[1:] == list(table.columns)


def test_quoted_fields_with_separators_and_dates_stay_text(tmp_path):
    path = tmp_path / "samples.csv"
    rows = ['id,"note, free text",date,g1,label'] + [
        f'{i},"a, b",2024-03-{i + 1:02d},{i * 0.5},x{i % 2}' for i in range(12)
    ]
    path.write_text("\n".join(rows) + "\n")
    got = readers.read_table(path)
    assert got["note, free text"][0] == "a, b"
    assert got["date"][0] == "2024-03-01" and got["g1"].dtype.kind == "f"


@pytest.fixture
def piecewise(monkeypatch):
    """The large-file reader on small files: tiny pieces and column groups."""
    monkeypatch.setattr(text_tables, "PIECEWISE_BYTES", 1)
    monkeypatch.setattr(wide_csv, "PIECE_BYTES", 4096)
    monkeypatch.setattr(wide_csv, "COLUMN_GROUP", 7)


def test_large_files_are_read_in_pieces_into_float32(tmp_path, piecewise):
    table = expression(n=300, p=30)
    table.insert(1, "row", np.arange(300))  # a running row number stays an integer column
    path = tmp_path / "big.csv"
    table.to_csv(path, index=False)
    got = readers.read_table(path)
    assert list(got.columns) == list(table.columns)
    assert got["g0"].dtype == np.float32 and got["row"].dtype.kind == "i"
    np.testing.assert_allclose(
        got[[f"g{j}" for j in range(30)]].to_numpy(), table[[f"g{j}" for j in range(30)]].to_numpy(), rtol=1e-6
    )
    assert list(got["condition"]) == list(table["condition"])


def test_the_piece_reader_widens_a_column_that_turns_to_text(tmp_path, piecewise):
    table = expression(n=300, p=10)
    table["g3"] = table["g3"].astype(object)
    table.loc[250, "g3"] = "<0.01"
    path = tmp_path / "big.csv"
    table.to_csv(path, index=False)
    got = readers.read_table(path)
    assert got["g3"][250] == "<0.01" and got["g0"].dtype == np.float32


def test_the_piece_reader_learns_a_late_null_spelling(tmp_path, piecewise):
    table = expression(n=300, p=10)
    table["g4"] = table["g4"].astype(object)
    table.loc[260, "g4"] = "NULL"
    path = tmp_path / "big.csv"
    table.to_csv(path, index=False)
    got = readers.read_table(path)
    assert got["g4"].dtype == np.float32 and np.isnan(got["g4"][260]) and got["g4"].notna().sum() == 299


def test_the_piece_reader_leaves_ragged_rows_to_the_careful_reader(tmp_path, piecewise):
    lines = expression(n=300, p=10).to_csv(index=False).splitlines()
    lines[200] += ",1"
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(data_errors.RaggedRowsError, match="line 201"):
        readers.read_table(path)


def _both_ways(path, monkeypatch) -> tuple:
    """The piece reader with numpy parsing the plain pieces, and with pyarrow reading every piece."""
    parsed_by_numpy = []
    plain_numbers = wide_csv._plain_numbers

    def counting(*args):
        numbers = plain_numbers(*args)
        parsed_by_numpy.append(numbers is not None)
        return numbers

    monkeypatch.setattr(wide_csv, "_plain_numbers", counting)
    fast = readers.read_table(path)
    monkeypatch.setattr(wide_csv, "NUMPY_NUMBERS", False)
    careful = readers.read_table(path)
    monkeypatch.setattr(wide_csv, "NUMPY_NUMBERS", True)
    return fast, careful, parsed_by_numpy


@pytest.mark.parametrize("case", ["edges", "middle text", "all numbers", "crlf and blank lines", "tabs"])
def test_numpy_parsed_pieces_match_pyarrow_exactly(tmp_path, piecewise, monkeypatch, case):
    table = expression(n=300, p=12)
    table["g2"] = np.where(np.arange(300) % 37 == 0, np.inf, table["g2"])
    table["g5"] = np.where(np.arange(300) % 41 == 0, np.nan, table["g5"])
    sep, newline = ("\t" if case == "tabs" else ","), ("\r\n" if case == "crlf and blank lines" else "\n")
    if case == "middle text":
        table.insert(6, "site", [f"site{i % 3}" for i in range(300)])
    if case == "all numbers":
        table = table.drop(columns=["sample_id", "condition"])
    text = table.to_csv(index=False, sep=sep, na_rep="nan", lineterminator=newline)
    if case == "crlf and blank lines":
        text = text.replace(newline, newline + newline, 40)
    path = tmp_path / "big.csv"
    path.write_text(text, newline="")
    fast, careful, parsed_by_numpy = _both_ways(path, monkeypatch)
    assert sum(parsed_by_numpy) >= 5
    pd.testing.assert_frame_equal(fast, careful)
    assert fast.shape == table.shape and fast["g0"].dtype == np.float32
    assert np.isinf(fast["g2"][0]) and np.isnan(fast["g5"][0])


@pytest.mark.parametrize("odd", ["NA", "", '"7.5"', "7.5\x0c", "\u00a07.5", "nan(1)"])
def test_pieces_numpy_would_read_otherwise_go_to_pyarrow(tmp_path, piecewise, monkeypatch, odd):
    lines = expression(n=300, p=8).to_csv(index=False).splitlines()
    cells = lines[230].split(",")
    cells[3] = odd
    lines[230] = ",".join(cells)
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    fast, careful, parsed_by_numpy = _both_ways(path, monkeypatch)
    pd.testing.assert_frame_equal(fast, careful)
    assert any(parsed_by_numpy)


def test_a_ragged_row_in_a_plain_piece_is_still_named(tmp_path, piecewise):
    lines = expression(n=300, p=10).to_csv(index=False).splitlines()
    cells = lines[150].split(",")
    lines[150] = ",".join(cells[:4] + cells[5:])  # one number missing, its separator too
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(data_errors.RaggedRowsError, match="line 151"):
        readers.read_table(path)


# ----- Parquet, Excel, AnnData -------------------------------------------------------------------


def test_parquet(tmp_path):
    table = expression()
    table.to_parquet(tmp_path / "samples.parquet")
    pd.testing.assert_frame_equal(readers.read_table(tmp_path / "samples.parquet"), table, check_dtype=False)
    assert readers.read_columns(tmp_path / "samples.parquet") == list(table.columns)


def test_excel_first_sheet_with_data_or_a_named_sheet(tmp_path):
    pytest.importorskip("openpyxl")
    table = expression()
    path = tmp_path / "samples.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame().to_excel(writer, sheet_name="notes", index=False)
        table.to_excel(writer, sheet_name="expression", index=False)
        table.head(12).to_excel(writer, sheet_name="pilot", index=False)
    pd.testing.assert_frame_equal(readers.read_table(path), table, check_dtype=False)
    assert len(readers.read_table(path, sheet="pilot")) == 12
    assert readers.excel_sheets(path) == ["notes", "expression", "pilot"]
    study = Study()
    data.attach_data(study, data.AttachRequest(path, label="condition", options={"sheet": "pilot"}))
    assert study.data.n_samples == 12 and study.data.options["sheet"] == "pilot"


def _anndata(n: int = 60, p: int = 40, density: float = 0.1, sparse: bool = True):
    import scipy.sparse as sp

    rng = np.random.default_rng(0)
    X = sp.random(n, p, density=density, format="csr", random_state=0, dtype=np.float32)
    X.data = np.round(X.data * 20) + 1
    obs = pd.DataFrame(
        {
            "cell_type": pd.Categorical(np.array(["T", "B", "NK"])[np.arange(n) % 3]),
            "donor": [f"D{i % 6}" for i in range(n)],
            "n_genes": rng.integers(100, 900, n),
        },
        index=[f"cell{i}" for i in range(n)],
    )
    return (X if sparse else X.toarray()), obs, [f"GENE{j}" for j in range(p)]


@pytest.mark.parametrize("sparse", [True, False])
def test_anndata_x_and_obs(tmp_path, sparse):
    pytest.importorskip("h5py")
    X, obs, var = _anndata(sparse=sparse)
    path = tmp_path / "cells.h5ad"
    write_h5ad(path, X, obs, var)
    got = read_h5ad(path)
    assert got.sparse is sparse and got.obs_columns == ["cell_type", "donor", "n_genes"]
    assert list(got.table.columns[:4]) == ["obs_names", "cell_type", "donor", "n_genes"]
    dense = X.toarray() if sparse else X
    np.testing.assert_allclose(got.table[var].to_numpy(dtype=np.float32), dense)
    if sparse:
        assert isinstance(got.table["GENE0"].dtype, pd.SparseDtype)
    assert readers.read_columns(path) == ["obs_names", "cell_type", "donor", "n_genes"]
    study = Study()
    data.attach_data(study, data.AttachRequest(path, label="cell_type", group="donor"))
    assert study.data.feature_columns == var  # obs columns are metadata, never X's features
    assert "obs_names" in study.data.identifiers and study.data.roles["n_genes"] == "ignore"
    X_, y, _ = data.model_frame(study)
    assert X_.shape == (60, 40) and sorted(set(y)) == [0, 1, 2]


def test_anndata_written_by_anndata_itself(tmp_path):
    pytest.importorskip("h5py")
    ad = pytest.importorskip("anndata")
    X, obs, var = _anndata()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pd.option_context("future.infer_string", False):
            obs = obs.copy()
            obs.index = obs.index.astype(object)
            obs["donor"] = obs["donor"].astype(object)
            try:
                ad.AnnData(X=X, obs=obs, var=pd.DataFrame(index=pd.Index(var, dtype=object))).write_h5ad(
                    tmp_path / "real.h5ad"
                )
            except Exception as exc:  # anndata releases lag pandas majors
                pytest.skip(f"this anndata cannot write with this pandas: {exc}")
    got = read_h5ad(tmp_path / "real.h5ad")
    assert list(got.table["cell_type"][:3]) == ["T", "B", "NK"]
    np.testing.assert_allclose(got.table[var].to_numpy(dtype=np.float32), X.toarray())


# ----- turned tables and sample sheets -------------------------------------------------------------


def genes_by_samples(tmp_path, n_genes: int = 200, n_samples: int = 24):
    rng = np.random.default_rng(1)
    ids = [f"GSM{1000 + i}" for i in range(n_samples)]
    matrix = pd.DataFrame(rng.normal(7, 2, (n_genes, n_samples)).round(3), columns=ids)
    matrix.insert(0, "gene_id", [f"ENSG{j:011d}" for j in range(n_genes)])
    matrix.to_csv(tmp_path / "expr.csv", index=False)
    sheet = pd.DataFrame(
        {
            "geo_accession": ids[2:] + ["GSM9998", "GSM9999"],
            "condition": ["tumour", "normal"] * (n_samples // 2),
            "batch": [f"run{i % 3}" for i in range(n_samples)],
        }
    )
    sheet.to_csv(tmp_path / "sheet.csv", index=False)
    return matrix, sheet


def test_features_as_rows_are_detected_turned_and_joined_with_the_sheet(tmp_path):
    matrix, _sheet = genes_by_samples(tmp_path)
    assert "rows" in orientation.looks_transposed(readers.read_table(tmp_path / "expr.csv"))
    study = Study()
    profile = data.attach_data(
        study,
        data.AttachRequest(
            tmp_path / "expr.csv", label="condition", batch="batch", samples=str(tmp_path / "sheet.csv")
        ),
    )
    d = study.data
    assert d.transposed is True and d.n_features == 200 and profile.n_samples == 22
    assert d.sample_sheet["sheet_key"] == "geo_accession" and d.sample_sheet["data_key"] == "sample_id"
    assert d.sample_sheet["data_unmatched_examples"] == ["GSM1000", "GSM1001"]
    assert d.sample_sheet["sheet_unmatched_examples"] == ["GSM9998", "GSM9999"]
    assert d.sample_sheet["provenance"]["sha256"] == hashlib.sha256((tmp_path / "sheet.csv").read_bytes()).hexdigest()
    assert {"data-transposed", "sample-sheet-unmatched"} <= study.finding_codes()
    X, _, rows = data.model_frame(study)
    np.testing.assert_allclose(X[0], matrix["GSM1002"].to_numpy(), rtol=1e-6)
    # reopening reads, turns and joins it again, the same way
    table = study.table
    data.reload_table(study)
    pd.testing.assert_frame_equal(study.table, table)


def test_a_turned_table_is_kept_as_it_is_when_asked(tmp_path):
    genes_by_samples(tmp_path)
    with pytest.raises(data_errors.SampleSheetMismatchError):
        data.attach_data(
            Study(),
            data.AttachRequest(
                tmp_path / "expr.csv", label="condition", transposed=False, samples=str(tmp_path / "sheet.csv")
            ),
        )


def test_the_orientation_is_told_from_the_first_rows_before_loading(tmp_path):
    rng = np.random.default_rng(3)
    ids = [f"GSM{1000 + i}" for i in range(12)]
    matrix = pd.DataFrame(rng.normal(7, 2, (600, 12)).round(3), columns=ids)
    matrix.insert(0, "gene_id", [f"ENSG{j:011d}" for j in range(600)])
    matrix.to_csv(tmp_path / "expr.csv", index=False)
    matrix.to_parquet(tmp_path / "expr.parquet")
    for name in ("expr.csv", "expr.parquet"):
        hint = orientation.peek_orientation(tmp_path / name)
        assert hint.n_rows == 600 and hint.n_columns == 13  # counted, though only 200 rows were parsed
        assert hint.words.startswith(
            "600 rows named like genes or probes (ENSG00000000000…) and 12 columns "
            "of numbers named like samples (GSM1000…): this looks like genes × samples"
        )
    expression(n=400, p=10).to_csv(tmp_path / "samples.csv", index=False)
    assert orientation.peek_orientation(tmp_path / "samples.csv") is None


def test_an_ordinary_table_is_not_mistaken_for_a_turned_one():
    assert orientation.looks_transposed(expression(n=40, p=300)) is None
    assert orientation.looks_transposed(expression(n=400, p=10), label="condition") is None


def test_sheet_columns_that_clash_get_a_suffix_and_the_key_can_be_named():
    table = expression()
    sheet = pd.DataFrame({"id": table["sample_id"], "condition": ["x"] * 40, "age": range(40)})
    joined, report = samples.join_sample_sheet(table, sheet, sheet_key="id")
    assert "condition (sheet)" in joined.columns and report.matched == 40
    assert joined["age"].tolist() == list(range(40))


def test_provenance_records_what_the_user_says(tmp_path):
    table = expression()
    table.to_csv(tmp_path / "s.csv", index=False)
    study = Study()
    data.attach_data(
        study,
        data.AttachRequest(
            tmp_path / "s.csv",
            label="condition",
            source="GEO",
            accession="GSE1",
            url="https://example.org/s.csv",
            version="2",
            downloaded="2026-01-02",
        ),
    )
    p = study.data.provenance
    assert (p.source, p.accession, p.url, p.version, p.downloaded) == (
        "GEO",
        "GSE1",
        "https://example.org/s.csv",
        "2",
        "2026-01-02",
    )
    back = Study.from_dict(study.to_dict())
    assert back.data.provenance == p and back.data.roles == study.data.roles


def test_inspect_joins_a_sample_sheet_and_reports_it(tmp_path, capsys):
    import json

    from guiapp.cli import main

    genes_by_samples(tmp_path)
    assert (
        main(
            [
                "inspect",
                str(tmp_path / "expr.csv"),
                "--label",
                "condition",
                "--samples",
                str(tmp_path / "sheet.csv"),
                "--json",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["transposed"] is True and out["n_samples"] == 22 and out["modality"] == "table"
    assert out["sample_sheet"]["sheet_unmatched"] == 2 and out["profile"]["words"]
    assert "sample-sheet-unmatched" in {f["code"] for f in out["findings"]}


# ----- what the Data page says it will read ---------------------------------------------------------


def test_the_format_is_detected_in_words_for_the_data_page(tmp_path):
    table = expression()
    table.to_csv(tmp_path / "a.csv", index=False)
    assert readers.detect_format(tmp_path / "a.csv") == "text table: comma-separated, UTF-8, 7 columns"
    table.to_csv(tmp_path / "b.txt", sep=";", decimal=",", index=False, encoding="cp1252")
    (tmp_path / "b.txt").write_bytes((tmp_path / "b.txt").read_bytes().replace(b"condition", b"condition \xb5g"))
    assert (
        readers.detect_format(tmp_path / "b.txt")
        == "text table: semicolon-separated, Windows-1252, 7 columns, decimal comma"
    )
    table.to_parquet(tmp_path / "c.parquet")
    assert readers.detect_format(tmp_path / "c.parquet") == "Parquet table"
    (tmp_path / "pics" / "a").mkdir(parents=True)
    (tmp_path / "pics" / "a" / "x.png").write_bytes(b"")
    assert readers.detect_format(tmp_path / "pics") == "image folder"
    (tmp_path / "d.dat").write_text("x")
    with pytest.raises(data_errors.UnsupportedFormatError, match="'.dat' is not one of them"):
        readers.detect_format(tmp_path / "d.dat")
    (tmp_path / "e.csv").write_bytes(b"\x00\x01\x02" * 100)
    with pytest.raises(data_errors.BinaryFileError):
        readers.detect_format(tmp_path / "e.csv")


def test_a_table_file_read_as_images_is_refused_with_what_to_do(tmp_path):
    expression().to_csv(tmp_path / "a.csv", index=False)
    with pytest.raises(data_errors.UnsupportedFormatError, match="a.csv is a file, and images are read from a folder"):
        data.load_dataset(tmp_path / "a.csv", options={"modality": "image"})
    with pytest.raises(data_errors.FolderNotTableError):
        data.load_dataset(tmp_path, options={"modality": "table"})
