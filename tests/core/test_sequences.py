"""FASTA sequences: labels in the header or a label table, the alphabet detected, padding and
cropping, one-hot encoding; FASTA files generated in the test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from guiapp.core import data, data_errors
from guiapp.core.sequences import detect_alphabet, header_columns, load_sequences, read_fasta
from guiapp.core.study import Study


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


@pytest.mark.parametrize("letters, alphabet", [("ACGU", "rna"), ("ACDEFGHIKLMNPQRSTVWY", "protein"),
                                               ("acgt", "dna")])
def test_the_alphabet_is_detected(tmp_path, letters, alphabet):
    path = fasta(tmp_path / "s.fa", random_records(letters=letters))
    assert detect_alphabet(read_fasta(path)) == alphabet
    assert load_sequences(path).shape[1] == (20 if alphabet == "protein" else 4)


def test_a_label_table_joined_by_record_name(tmp_path):
    records = random_records(header=lambda i: f"read{i} sample from run {i % 3}")
    path = fasta(tmp_path / "reads.fasta", records)
    pd.DataFrame({"id": [f"read{i}" for i in range(24)], "binds": ["yes", "no"] * 12,
                  "run": [i % 3 for i in range(24)]}).to_csv(tmp_path / "labels.csv", index=False)
    study = Study()
    data.attach_data(study, path, label="binds", batch="run", samples=str(tmp_path / "labels.csv"))
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
    with pytest.raises(data_errors.ForeignCharacterError, match=r"record 'bad' \(header on line 73\) has '7' at position 11"):
        load_sequences(path)
