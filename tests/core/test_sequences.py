"""FASTA sequences: labels in the header or a label table, the alphabet detected, padding and
cropping, one-hot encoding; FASTA files generated in the test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from guiapp.core.data import attach as data
from guiapp.core.data import errors as data_errors
from guiapp.core.data.sequences import detect_alphabet, header_columns, load_sequences, read_fasta
from guiapp.core.study.model import Study


def fasta(path, records):
    path.write_text("".join(f">{head}\n{seq[:7]}\n{seq[7:]}\n" for head, seq in records))
    return path


def random_records(n=24, letters="ACGT", seed=0, header=lambda i: f"seq{i} label={'ab'[i % 2]}"):
    rng = np.random.default_rng(seed)
    return [(header(i), "".join(rng.choice(list(letters), rng.integers(10, 20)))) for i in range(n)]


def test_labels_in_the_header_padding_and_one_hot(tmp_path):
    path = fasta(tmp_path / "s.fa", random_records() + [("seqN label=a score=2.5", "ACGNRT")])
    seqs = load_sequences(path)
    assert seqs.alphabet == "dna" and seqs.length == 19 and seqs.shape == (19, 4)
    t = seqs.table
    assert list(t.columns[:4]) == ["sample_id", "label", "score", "pos1_A"]
    assert t["score"].tolist()[-1] == 2.5
    last = t.iloc[-1, 3:].to_numpy(dtype=np.float32).reshape(19, 4)
    np.testing.assert_allclose(last[0], [1, 0, 0, 0])  # A
    np.testing.assert_allclose(last[3], [0.25] * 4)  # N: any base
    np.testing.assert_allclose(last[4], [0.5, 0, 0.5, 0])  # R: A or G
    assert last[6:].sum() == 0  # padded
    assert header_columns(path) == ["sample_id", "label", "score"]


def test_cropping_keeps_the_chosen_part(tmp_path):
    path = fasta(tmp_path / "s.fa", [("a", "AAAACCCCGGGG"), ("b", "CCCCGGGGTTTT")])
    start = load_sequences(path, length=4).table.iloc[0, 1:].to_numpy().reshape(4, 4)
    end = load_sequences(path, length=4, crop="end").table.iloc[0, 1:].to_numpy().reshape(4, 4)
    assert start[:, 0].sum() == 4 and end[:, 2].sum() == 4
    assert load_sequences(path, length=4).n_cropped == 2


@pytest.mark.parametrize("letters, alphabet", [("ACGU", "rna"), ("ACDEFGHIKLMNPQRSTVWY", "protein"), ("acgt", "dna")])
def test_the_alphabet_is_detected(tmp_path, letters, alphabet):
    path = fasta(tmp_path / "s.fa", random_records(letters=letters))
    assert detect_alphabet(read_fasta(path)) == alphabet
    assert load_sequences(path).shape[1] == (20 if alphabet == "protein" else 4)


def test_a_label_table_joined_by_record_name(tmp_path):
    records = random_records(header=lambda i: f"read{i} sample from run {i % 3}")
    path = fasta(tmp_path / "reads.fasta", records)
    pd.DataFrame(
        {"id": [f"read{i}" for i in range(24)], "binds": ["yes", "no"] * 12, "run": [i % 3 for i in range(24)]}
    ).to_csv(tmp_path / "labels.csv", index=False)
    study = Study()
    data.attach_data(study, data.AttachRequest(path, label="binds", batch="run", samples=str(tmp_path / "labels.csv")))
    d = study.data
    assert d.modality == "sequence" and d.input_shape[1] == 4 and d.class_counts == {"no": 12, "yes": 12}
    X, y, _ = data.model_frame(study)
    assert X.shape == (24, d.input_shape[0] * 4)
    assert "sample_id" in d.identifiers and d.sample_sheet["sheet_key"] == "id"


def test_pipe_headers_carry_the_label(tmp_path):
    path = fasta(tmp_path / "s.fa", random_records(header=lambda i: f"p{i}|{'kinase' if i % 2 else 'other'}"))
    t = load_sequences(path).table
    assert t["sample_id"][1] == "p1" and t["label"][1] == "kinase"


def test_foreign_characters_name_the_record_line_and_position(tmp_path):
    path = fasta(tmp_path / "s.fa", random_records() + [("bad label=a", "ACGTACGTAC7GT")])
    with pytest.raises(
        data_errors.ForeignCharacterError, match=r"record 'bad' \(header on line 73\) has '7' at position 11"
    ):
        load_sequences(path)


def test_a_folder_of_fasta_files_names_the_class_of_its_records(tmp_path):
    folder = tmp_path / "peaks"
    (folder / "nested" / "bound").mkdir(parents=True)
    fasta(folder / "unbound.fa", random_records(12, seed=1, header=lambda i: f"u{i} donor=D{i % 3}"))
    fasta(folder / "nested" / "bound" / "run1.fasta", random_records(12, seed=2, header=lambda i: f"b{i}"))
    (folder / "README").write_text("not a sequence")
    from guiapp.core.data import readers

    assert readers.file_format(folder) == "fasta" and readers.modality_of(folder) == "sequence"
    assert "FASTA files" in readers.describe_format(folder)
    assert header_columns(folder) == ["sample_id", "class"]  # the first file (the subfolder's) has no fields
    seqs = load_sequences(folder)
    assert seqs.table["class"].value_counts().to_dict() == {"nested": 12, "unbound": 12}
    assert seqs.table.loc[seqs.table["sample_id"] == "u1", "donor"].item() == "D1"
    study = Study()
    data.attach_data(study, data.AttachRequest(folder, label="class", group="donor"))
    d = study.data
    assert d.modality == "sequence" and d.class_counts == {"nested": 12, "unbound": 12}
    assert d.options["modality"] == "sequence" and d.roles["sample_id"] == "identifier"
    assert all(c.startswith("pos") for c in d.feature_columns)
    data.reload_table(study)  # reopening reads the folder again
    assert len(study.table) == 24


def test_a_fasta_folder_with_a_label_table_joins_it(tmp_path):
    folder = tmp_path / "reads"
    folder.mkdir()
    records = random_records(24, seed=3, header=lambda i: f"r{i}")
    fasta(folder / "part1.fa", records[:12])
    fasta(folder / "part2.fa", records[12:])
    pd.DataFrame({"sample_id": [f"r{i}" for i in range(24)], "binds": ["yes", "no"] * 12}).to_csv(
        folder / "labels.csv", index=False
    )
    assert "binds" in header_columns(folder)
    study = Study()
    data.attach_data(study, data.AttachRequest(folder, label="binds"))
    assert study.data.class_counts == {"no": 12, "yes": 12}
    assert study.data.samples.endswith("labels.csv")


def test_a_fasta_folder_with_a_name_twice_or_no_fasta_says_which_files(tmp_path):
    folder = tmp_path / "dup"
    folder.mkdir()
    fasta(folder / "a.fa", [("x1", "ACGTACGTAC"), ("x2", "ACGTACGTAA")])
    fasta(folder / "b.fa", [("x3", "ACGTACGTAC"), ("x1", "ACGTACGTAA")])
    with pytest.raises(data_errors.DuplicateSampleIdError, match=r"'x1' appears in a\.fa and in b\.fa"):
        load_sequences(folder)
    fasta(folder / "b.fa", [("x3", "ACGTACGTAC"), ("x4", "ACGT1CGTAA")])
    with pytest.raises(data_errors.ForeignCharacterError, match=r"^b\.fa: record 'x4'"):
        load_sequences(folder)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "readme.md").write_text("nothing here")
    with pytest.raises(data_errors.MalformedFastaError, match="holds no FASTA files"):
        data.load_dataset(empty, options={"modality": "sequence"})


def test_a_fasta_file_named_txt_is_read_as_sequences_when_asked(tmp_path):
    path = fasta(tmp_path / "reads.txt", random_records(24, seed=4))
    from guiapp.core.data import readers

    assert readers.modality_of(path) == "table"
    assert readers.read_columns(path, modality="sequence") == ["sample_id", "label"]
    study = Study()
    data.attach_data(study, data.AttachRequest(path, label="label", options={"modality": "sequence"}))
    assert study.data.modality == "sequence" and study.data.n_samples == 24
    data.reload_table(study)  # the choice is kept: reopening reads it as FASTA again
    assert len(study.table) == 24


def test_a_fasta_folder_passes_over_a_readme_and_joins_its_label_table(tmp_path):
    folder = tmp_path / "reads"
    folder.mkdir()
    fasta(folder / "part1.fa", random_records(16, seed=4, header=lambda i: f"r{i}"))
    (folder / "README.txt").write_text("Reads from run 7.\nSee the protocol, section 2, for the primers.\n")
    assert header_columns(folder) == ["sample_id", "class"]  # no label table yet: the README is not one
    pd.DataFrame({"read": [f"r{i}" for i in range(16)], "binds": ["yes", "no"] * 8}).to_csv(
        folder / "labels.tsv", sep="\t", index=False
    )
    assert "binds" in header_columns(folder)
    study = Study()
    data.attach_data(study, data.AttachRequest(folder, label="binds"))
    assert study.data.samples.endswith("labels.tsv") and study.data.class_counts == {"no": 8, "yes": 8}
    (note,) = [f for f in study.findings if f.code == "label-table-found"]
    assert "labels.tsv" in note.message and "README.txt" in note.message


def test_the_columns_of_a_fasta_folder_come_from_its_first_lines_only(tmp_path, monkeypatch):
    """The Data page asks for a folder's columns as soon as it is chosen, on the GUI thread."""
    from guiapp.core.data import sequences

    folder = tmp_path / "reads"
    folder.mkdir()
    fasta(folder / "part1.fa", random_records(40, seed=5, header=lambda i: f"r{i}"))
    read = []
    real = sequences.record_names
    monkeypatch.setattr(sequences, "record_names", lambda *a, **k: read.append(a[1:]) or real(*a, **k))
    assert header_columns(folder) == ["sample_id", "class"]
    assert read == []  # no table beside the reads: their headers are not gathered at all
    pd.DataFrame({"read": [f"r{i}" for i in range(40)], "binds": ["yes", "no"] * 20}).to_csv(
        folder / "labels.tsv", sep="\t", index=False
    )
    monkeypatch.setattr(sequences, "COLUMN_SCAN_LINES", 10)  # five records of 40
    assert "binds" in header_columns(folder)  # a sample of the names finds the label table
    assert read == [(10,)]  # the names of the first lines only
    study = Study()
    data.attach_data(study, data.AttachRequest(folder, label="binds"))  # loading still matches every record
    assert study.data.class_counts == {"no": 20, "yes": 20}
