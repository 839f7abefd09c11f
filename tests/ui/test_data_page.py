"""The Data page: bad files show their message, the roles table edits roles, a genes × samples
table is offered turned, and the preview is a model over the table (not a widget per cell)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableView

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"


@pytest.fixture
def page(window, tmp_path):
    window.session.new_study(tmp_path / "study")
    window.study.checklist_mode = False
    assert window.go_to("data")
    return window.current_page()


def choose(page, combo_name: str, value: str) -> None:
    combo = getattr(page, combo_name)
    index = combo.findData(value)
    assert index >= 0, f"{value!r} is not offered in {combo_name}"
    combo.setCurrentIndex(index)


@pytest.mark.parametrize("name, label, expected", [
    ("ragged_rows.csv", "c", "line 6 has 5 fields"),
    ("infinite_value.csv", "condition", "holds an infinite value"),
    ("foreign_characters.fa", "label", "has '1' at position 12"),
    ("duplicate_sample_ids.csv", "condition", "sample ID 'S004'"),
])
def test_a_bad_file_shows_its_message_and_keeps_what_was_typed(qtbot, window, page, run_and_wait, name,
                                                               label, expected):
    page.set_path(BAD / name)
    page.source.setText("typed by hand")
    if page.label.findData(label) >= 0:
        choose(page, "label", label)
    run_and_wait(window, page.load)
    assert expected in page.error.text() and "Traceback" not in page.error.text()
    assert window.study.table is None
    assert page.source.text() == "typed by hand" and page.path.text().endswith(name)


def expression_with_extras(tmp_path) -> Path:
    rng = np.random.default_rng(0)
    t = pd.DataFrame(rng.normal(6, 1, (60, 5)).round(3), columns=[f"g{j}" for j in range(5)])
    t.insert(0, "sample_id", [f"S{i:03d}" for i in range(60)])
    t["weight"] = rng.normal(70, 8, 60).round(1)
    t["donor"] = [f"D{i % 12}" for i in range(60)]
    t["email"] = [f"p{i}@example.org" for i in range(60)]
    t["condition"] = ["a", "b"] * 30
    t.to_csv(tmp_path / "samples.csv", index=False)
    return tmp_path / "samples.csv"


def test_the_roles_table_edits_roles_and_checks_again(qtbot, window, page, run_and_wait, tmp_path):
    page.set_path(expression_with_extras(tmp_path))
    choose(page, "label", "condition")
    run_and_wait(window, page.load)
    d = window.study.data
    assert "weight" in d.feature_columns and d.roles["email"] in ("identifier", "ignore")
    model = page.data_in.roles_model
    assert model.rowCount() == 10
    note = model.index(model.row_of("email"), 4).data()
    assert "personal identifier" in note
    assert any(f.code == "pii-identifier" for f in window.study.findings)
    # weight → identifier, donor → group, through the table's editor role
    assert model.setData(model.index(model.row_of("weight"), 1), "identifier", Qt.EditRole)
    assert model.setData(model.index(model.row_of("donor"), 1), "group", Qt.EditRole)
    assert not model.setData(model.index(model.row_of("donor"), 1), "bogus", Qt.EditRole)
    assert page.group.currentData() == "donor"
    run_and_wait(window, page.data_in.apply_roles)
    d = window.study.data
    assert d.group == "donor" and d.roles["weight"] == "identifier"
    assert "weight" not in d.feature_columns and "weight" in d.identifiers
    assert page.data_in.roles_model.data(page.data_in.roles_model.index(
        page.data_in.roles_model.row_of("weight"), 1)) == "identifier"


def test_a_genes_by_samples_table_is_offered_turned(qtbot, window, page, run_and_wait, tmp_path):
    rng = np.random.default_rng(1)
    ids = [f"GSM{100 + i}" for i in range(30)]
    matrix = pd.DataFrame(rng.normal(7, 1, (120, 30)).round(3), columns=ids)
    matrix.insert(0, "gene", [f"ENSG{j:011d}" for j in range(120)])
    matrix.to_csv(tmp_path / "expr.csv", index=False)
    pd.DataFrame({"gsm": ids, "condition": ["tumour", "normal"] * 15}).to_csv(tmp_path / "sheet.csv", index=False)
    page.set_path(tmp_path / "expr.csv")
    page.data_in.samples.setText(str(tmp_path / "sheet.csv"))
    page._on_path()  # the sheet's columns join the label choices
    choose(page, "label", "condition")
    run_and_wait(window, page.load)
    assert window.study.data.transposed is True and window.study.data.n_features == 120
    assert page.data_in.transposed.isChecked()
    assert page.data_in.transposed_note.isVisibleTo(page) and "turned it" in page.data_in.transposed_note.text()
    # the user says no: the file is kept as it is, and the sheet then matches nothing
    page.data_in.transposed.setChecked(False)
    run_and_wait(window, page.load)
    assert "No sample ID of sheet.csv matches" in page.error.text()


def test_the_preview_is_a_model_over_a_large_table(qtbot, window, page, run_and_wait, tmp_path):
    rng = np.random.default_rng(2)
    t = pd.DataFrame(rng.normal(size=(3000, 400)).astype(np.float32), columns=[f"g{j}" for j in range(400)])
    t["condition"] = ["a", "b", "c"] * 1000
    t.to_csv(tmp_path / "wide.csv", index=False)
    page.set_path(tmp_path / "wide.csv")
    choose(page, "label", "condition")
    run_and_wait(window, page.load)
    view = page.data_in.preview
    assert isinstance(view, QTableView) and view.model().columnCount() == 401
    assert view.model().rowCount() == 500  # rows arrive in batches as the user scrolls
    view.model().fetchMore()
    assert view.model().rowCount() == 1000
    assert view.model().index(0, 400).data() == "a"
    assert "3,000 samples with 400 numeric features." in page.data_in.words.text()
    assert page.data_in.roles_model.rowCount() == 401
