"""The label column guessed when a file is chosen (guiapp.core.data.label_guess), over several kinds of table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from guiapp.core.data.label_guess import guess_label_column, name_rank, peek_label_column

RNG = np.random.default_rng(0)


def wine_like(n: int = 60) -> pd.DataFrame:
    """A sample ID, numeric measurements, a run column and the cultivar last (as the wine table)."""
    return pd.DataFrame(
        {
            "sample_id": [f"W{i:03d}" for i in range(n)],
            "alcohol": RNG.normal(13, 1, n),
            "malic_acid": RNG.normal(2, 0.5, n),
            "proline": RNG.integers(300, 1600, n),
            "run": [f"run{i % 3 + 1}" for i in range(n)],
            "cultivar": [f"class_{i % 3}" for i in range(n)],
        }
    )


def test_the_last_text_column_with_few_values_is_the_label():
    guess = guess_label_column(wine_like())
    assert guess is not None and guess.column == "cultivar" and not guess.by_name
    assert guess.words == "Guessed: 'cultivar', the last text column with few distinct values; change it if wrong."


def test_a_column_named_as_the_label_wins_even_first():
    n = 40
    table = pd.DataFrame(
        {
            "Diagnosis": ["M", "B"] * (n // 2),
            "radius": RNG.normal(14, 3, n),
            "texture": RNG.normal(19, 4, n),
            "tissue": ["breast", "lymph"] * (n // 2),  # a later text column with few values
        }
    )
    guess = guess_label_column(table)
    assert guess is not None and guess.column == "Diagnosis" and guess.by_name
    assert "name says" in guess.words


def test_only_numeric_columns_give_no_guess():
    n = 30
    table = pd.DataFrame({"gene_a": RNG.normal(size=n), "gene_b": RNG.normal(size=n), "y": RNG.normal(size=n)})
    assert guess_label_column(table) is None  # a numeric "y" is left to the user (regression or coded classes)
    coded = table.assign(label=[0, 1] * (n // 2))
    assert guess_label_column(coded) is None


def test_a_unique_id_as_the_last_text_column_is_skipped():
    table = wine_like().drop(columns="sample_id")
    table["specimen"] = [f"S-{i}" for i in range(len(table))]  # last, text, one value per row
    guess = guess_label_column(table)
    assert guess is not None and guess.column == "cultivar"
    assert guess_label_column(table[["alcohol", "proline", "specimen"]]) is None


def test_the_batch_column_the_page_offers_is_excluded():
    table = wine_like().rename(columns={"run": "centre_code"})[["sample_id", "alcohol", "cultivar", "centre_code"]]
    table["shipment"] = [f"box{i % 4}" for i in range(len(table))]  # last, but the page's batch column
    assert guess_label_column(table, exclude=["shipment"]).column != "shipment"
    assert guess_label_column(table, exclude=["shipment"]).column == "cultivar"  # centre: a batch name
    assert guess_label_column(table).column == "shipment"  # without the exclusion it would have been taken


def test_batch_donor_and_subgroup_columns_are_not_labels():
    n = 40
    table = pd.DataFrame(
        {
            "condition": ["case", "control"] * (n // 2),
            "x": RNG.normal(size=n),
            "patient": [f"P{i % 10}" for i in range(n)],
            "sex": ["F", "M"] * (n // 2),
            "plate": [f"p{i % 4}" for i in range(n)],
        }
    )
    assert guess_label_column(table).column == "condition"
    assert guess_label_column(table.rename(columns={"condition": "arm"})).column == "arm"


def test_too_many_distinct_values_is_not_a_class_column():
    n = 200
    table = pd.DataFrame({"x": RNG.normal(size=n), "note": [f"n{i % 80}" for i in range(n)]})
    assert guess_label_column(table) is None  # 80 distinct values: more than 50


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("label", True),
        ("Class", True),
        ("cell type", True),
        ("CellType", True),
        ("cell_type", True),
        ("disease_status", True),
        ("y", True),
        ("pos_y", False),  # "y" counts only as the whole name
        ("classifier_score", False),  # a word, not a piece of one
        ("subtype_a", False),
        ("class_id", False),  # an identifier
        ("smoking_status", False),  # a subgroup
        ("cultivar", False),
    ],
)
def test_names_are_matched_by_whole_words(name, label):
    assert (name_rank(name) is not None) == label


def test_a_better_label_word_wins_and_a_whole_name_beats_a_word():
    n = 20
    text = ["a", "b"] * (n // 2)
    table = pd.DataFrame({"tissue_type": text, "status": text, "label": text})
    assert guess_label_column(table).column == "label"
    assert guess_label_column(table[["tissue_type", "status"]]).column == "status"


def test_column_names_alone_use_the_name_rule():
    assert guess_label_column(["image", "class"]).column == "class"
    assert guess_label_column(["sample_id", "cultivar"]) is None
    assert guess_label_column(["image", "class"], exclude=["class"]) is None


def test_peek_reads_the_first_rows_of_a_file_and_the_sample_sheet(tmp_path):
    wine_like().to_csv(tmp_path / "wine.csv", index=False)
    assert peek_label_column(tmp_path / "wine.csv", exclude=["run"]).column == "cultivar"
    n = 30
    pd.DataFrame({"sample_id": [f"S{i}" for i in range(n)], **{f"g{j}": RNG.normal(size=n) for j in range(4)}}).to_csv(
        tmp_path / "measurements.csv", index=False
    )
    pd.DataFrame({"sample_id": [f"S{i}" for i in range(n)], "group_arm": ["a", "b", "c"] * 10}).to_csv(
        tmp_path / "sheet.csv", index=False
    )
    guess = peek_label_column(tmp_path / "measurements.csv", samples=str(tmp_path / "sheet.csv"))
    assert guess is not None and guess.column == "group_arm"
    folder = peek_label_column(tmp_path, columns=["image", "class"], modality="image")
    assert folder is not None and folder.column == "class"
