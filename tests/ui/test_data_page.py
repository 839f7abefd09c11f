"""The Data page: bad files show their message, the roles table edits roles, a genes × samples
table is offered turned, the preview is a model over the table (not a widget per cell), image
and FASTA folders are detected or chosen, the sample sheet's unmatched IDs are reported, the
missing-value choice and the provenance are kept, and personal identifiers suggest "sensitive"."""

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


def roles_counted(qtbot, page) -> None:
    """The roles table's rows are counted on the worker thread after a load: wait for them."""
    qtbot.waitUntil(lambda: not page.data_in.roles_pending, timeout=10_000)


def choose(page, combo_name: str, value: str) -> None:
    combo = getattr(page, combo_name)
    index = combo.findData(value)
    assert index >= 0, f"{value!r} is not offered in {combo_name}"
    combo.setCurrentIndex(index)


@pytest.mark.parametrize(
    "name, label, expected",
    [
        ("ragged_rows.csv", "c", "line 6 has 5 fields"),
        ("infinite_value.csv", "condition", "holds an infinite value"),
        ("foreign_characters.fa", "label", "has '1' at position 12"),
        ("duplicate_sample_ids.csv", "condition", "sample ID 'S004'"),
    ],
)
def test_a_bad_file_shows_its_message_and_keeps_what_was_typed(
    qtbot, window, page, run_and_wait, name, label, expected
):
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
    roles_counted(qtbot, page)
    model = page.data_in.roles_model
    assert model.rowCount() == 10
    note = model.index(model.row_of("email"), 4).data()
    assert "personal identifier" in note
    assert any(f.code == "pii-identifier" for f in window.study.findings)
    # the identifier scan suggests "sensitive" once the data are said to be about people
    assert "email" in page.suggestion.text()
    page.answer_boxes["about_humans"].setCurrentIndex(page.answer_boxes["about_humans"].findData(True))
    assert page.suggestion.text().startswith("Suggested: sensitive") and "email" in page.suggestion.text()
    # weight → identifier, donor → group, through the table's editor role
    assert model.setData(model.index(model.row_of("weight"), 1), "identifier", Qt.EditRole)
    assert model.setData(model.index(model.row_of("donor"), 1), "group", Qt.EditRole)
    assert not model.setData(model.index(model.row_of("donor"), 1), "bogus", Qt.EditRole)
    assert page.group.currentData() == "donor"
    run_and_wait(window, page.data_in.apply_roles)
    roles_counted(qtbot, page)
    d = window.study.data
    assert d.group == "donor" and d.roles["weight"] == "identifier"
    assert "weight" not in d.feature_columns and "weight" in d.identifiers
    assert (
        page.data_in.roles_model.data(page.data_in.roles_model.index(page.data_in.roles_model.row_of("weight"), 1))
        == "identifier"
    )


def genes_by_samples(tmp_path, n_genes: int, n_samples: int) -> None:
    """``expr.csv``, genes as rows (Ensembl IDs) and GEO samples as columns, and its ``sheet.csv``."""
    rng = np.random.default_rng(n_genes)
    ids = [f"GSM{100 + i}" for i in range(n_samples)]
    matrix = pd.DataFrame(rng.normal(7, 1, (n_genes, n_samples)).round(3), columns=ids)
    matrix.insert(0, "gene", [f"ENSG{j:011d}" for j in range(n_genes)])
    matrix.to_csv(tmp_path / "expr.csv", index=False)
    sheet = pd.DataFrame({"gsm": ids, "condition": ["tumour", "normal"] * (n_samples // 2)})
    sheet.to_csv(tmp_path / "sheet.csv", index=False)


def test_a_genes_by_samples_table_is_offered_turned(qtbot, window, page, run_and_wait, tmp_path):
    genes_by_samples(tmp_path, 120, 30)
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


def test_a_genes_by_samples_table_is_offered_turned_as_soon_as_it_is_chosen(
    qtbot, window, page, run_and_wait, tmp_path
):
    genes_by_samples(tmp_path, 600, 12)
    expression_with_extras(tmp_path)
    box, note = page.data_in.transposed, page.data_in.transposed_note
    with qtbot.waitSignal(page.orientation_checked, timeout=10_000) as seen:
        page.set_path(tmp_path / "expr.csv")
    assert seen.args[0] is not None and window.study.table is None  # said before anything was loaded
    assert box.isChecked() and note.isVisibleTo(page)
    assert note.text().startswith(
        "600 rows named like genes or probes (ENSG00000000000…) and 12 columns of "
        "numbers named like samples (GSM100…): this looks like genes × samples"
    )
    # an ordinary samples × features table is not offered turned
    with qtbot.waitSignal(page.orientation_checked, timeout=10_000) as seen:
        page.set_path(tmp_path / "samples.csv")
    assert seen.args[0] is None and not box.isChecked() and not note.isVisibleTo(page)
    # back to the matrix, with its sample sheet: loading turns it, as the page offered
    with qtbot.waitSignal(page.orientation_checked, timeout=10_000):
        page.set_path(tmp_path / "expr.csv")
    page.data_in.samples.setText(str(tmp_path / "sheet.csv"))
    with qtbot.waitSignal(page.orientation_checked, timeout=10_000) as seen:
        page._on_path()
    assert "named by the sample sheet's IDs" in seen.args[0].words and box.isChecked()
    choose(page, "label", "condition")
    run_and_wait(window, page.load)
    assert window.study.data.transposed is True and window.study.data.n_features == 600
    assert box.isChecked() and "turned it" in note.text()


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
    roles_counted(qtbot, page)
    assert page.data_in.roles_model.rowCount() == 401


def image_folder(root: Path) -> Path:
    """Two classes of 8 × 8 grey PNGs, 12 each, one subfolder per class."""
    from PIL import Image

    rng = np.random.default_rng(3)
    for k, cls in enumerate(("healthy", "lesion")):
        (root / "scans" / cls).mkdir(parents=True)
        for i in range(12):
            pixels = (rng.random((8, 8)) * 120 + 100 * k).astype(np.uint8)
            Image.fromarray(pixels, mode="L").save(root / "scans" / cls / f"{cls}_{i:02d}.png")
    return root / "scans"


def fasta_records(rng, n: int, prefix: str, motif: str = "") -> str:
    return "".join(f">{prefix}{i}\n{''.join(rng.choice(list('ACGT'), 24)) + motif}\n" for i in range(n))


def test_an_image_folder_is_detected_and_loaded_at_the_chosen_size(qtbot, window, page, run_and_wait, tmp_path):
    page.set_path(image_folder(tmp_path))
    assert page.data_in.detected.text() == "Detected: image folder."
    assert page.data_in.image_row.isVisibleTo(page) and not page.data_in.sequence_row.isVisibleTo(page)
    assert not page.data_in.sheet.isVisibleTo(page)
    page.data_in.image_size.setValue(16)
    choose(page, "label", "class")
    run_and_wait(window, page.load)
    d = window.study.data
    assert not page.error.text()
    assert d.modality == "image" and d.input_shape == [1, 16, 16] and d.class_counts == {"healthy": 12, "lesion": 12}
    assert "Read as images: each sample a 1 × 16 × 16 array" in page.summary.text()
    assert page.counts.has_plot  # the samples per class, drawn


def test_a_fasta_folder_and_a_fasta_file_named_txt_load_as_sequences(qtbot, window, page, run_and_wait, tmp_path):
    rng = np.random.default_rng(4)
    folder = tmp_path / "peaks"
    folder.mkdir()
    (folder / "bound.fa").write_text(fasta_records(rng, 12, "b", "GATTACA"))
    (folder / "unbound.fa").write_text(fasta_records(rng, 12, "u"))
    page.set_path(folder)
    assert "folder of FASTA files" in page.data_in.detected.text()
    choose(page, "label", "class")
    run_and_wait(window, page.load)
    d = window.study.data
    assert d.modality == "sequence" and d.options["alphabet"] == "dna" and d.input_shape == [31, 4]
    assert d.class_counts == {"bound": 12, "unbound": 12}

    # a FASTA file with a .txt name looks like a table; the user says what it is
    text = "".join(
        f">s{i} label={'yes' if i % 2 else 'no'}\n{''.join(rng.choice(list('ACGT'), 20))}\n" for i in range(24)
    )
    (tmp_path / "reads.txt").write_text(text)
    page.set_path(tmp_path / "reads.txt")
    assert page.data_in.detected.text().startswith("Detected: text table")
    page.data_in.read_as.setCurrentIndex(page.data_in.read_as.findData("sequence"))
    assert page.data_in.detected.text().startswith("Read as sequences, as you chose")
    assert page.data_in.sequence_row.isVisibleTo(page) and not page.data_in.image_row.isVisibleTo(page)
    choose(page, "label", "label")  # the header's key=value field is offered once read as FASTA
    page.data_in.seq_length.setValue(12)
    page.data_in.crop.setCurrentIndex(page.data_in.crop.findData("end"))
    run_and_wait(window, page.load)
    d = window.study.data
    assert not page.error.text(), page.error.text()
    assert d.modality == "sequence" and d.options["modality"] == "sequence" and d.n_samples == 24
    assert d.input_shape == [12, 4] and d.options["crop"] == "end" and d.options["cropped"] == 24


def test_an_excel_sheet_is_chosen_among_several(qtbot, window, page, run_and_wait, tmp_path):
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path) as book:
        pd.DataFrame({"note": ["pilot run, do not use"]}).to_excel(book, sheet_name="readme", index=False)
        t = pd.read_csv(expression_with_extras(tmp_path))
        t.to_excel(book, sheet_name="samples", index=False)
    page.set_path(path)
    assert page.data_in.detected.text() == "Detected: Excel workbook."
    sheet = page.data_in.sheet
    assert sheet.isVisibleTo(page) and [sheet.itemData(i) for i in range(sheet.count())] == ["", "readme", "samples"]
    assert page.label.findData("condition") < 0  # the first sheet has no such column
    sheet.setCurrentIndex(sheet.findData("samples"))
    choose(page, "label", "condition")
    run_and_wait(window, page.load)
    d = window.study.data
    assert not page.error.text(), page.error.text()
    assert d.options["sheet"] == "samples" and d.n_samples == 60
    # reopened, the page shows the same file, sheet and label, and the table is read again
    window.session.save()
    with qtbot.waitSignal(window.runner.finished, timeout=60_000):
        window.session.open_study(window.study.folder)
    page = window.current_page()
    assert page.data_in.sheet.currentData() == "samples" and page.label.currentData() == "condition"
    assert page.data_in.detected.text() == "Detected: Excel workbook." and len(window.study.table) == 60


def test_reading_a_table_as_images_is_refused_on_the_page_and_keeps_the_entries(
    qtbot, window, page, run_and_wait, tmp_path
):
    page.set_path(expression_with_extras(tmp_path))
    choose(page, "label", "condition")
    page.version.setText("release 7")
    page.data_in.accession.setText("GSE777")
    page.data_in.read_as.setCurrentIndex(page.data_in.read_as.findData("image"))
    run_and_wait(window, page.load)
    assert "is a file, and images are read from a folder" in page.error.text()
    assert window.study.table is None
    assert page.version.text() == "release 7" and page.data_in.accession.text() == "GSE777"
    assert page.label.currentData() == "condition"


def test_a_file_that_cannot_be_read_says_why_as_soon_as_it_is_chosen(qtbot, window, page):
    page.set_path(BAD / "binary.csv")
    assert "binary bytes" in page.error.text() and "binary.csv" in page.error.text()


def test_the_sample_sheet_join_reports_unmatched_ids_on_the_page(qtbot, window, page, run_and_wait, tmp_path):
    rng = np.random.default_rng(5)
    ids = [f"S{i:03d}" for i in range(40)]
    t = pd.DataFrame(rng.normal(size=(40, 6)).round(3), columns=[f"g{j}" for j in range(6)])
    t.insert(0, "sample_id", ids)
    t.to_csv(tmp_path / "measurements.csv", index=False)
    sheet = pd.DataFrame(
        {
            "sample": ids[3:] + ["S900", "S901"],
            "condition": (["a", "b"] * 20)[:39],
            "site": (["north", "south"] * 20)[:39],
        }
    )
    sheet.to_csv(tmp_path / "sheet.csv", index=False)
    page.set_path(tmp_path / "measurements.csv")
    page.data_in.samples.setText(str(tmp_path / "sheet.csv"))
    page._on_path()
    choose(page, "label", "condition")
    run_and_wait(window, page.load)
    assert not page.error.text(), page.error.text()
    assert "sample-sheet-unmatched" in page.findings.codes
    text = " ".join(page.findings.texts())
    assert "S000" in text and "S900" in text
    assert (
        "Sample sheet sheet.csv: 37 samples matched by 'sample'; 3 sample(s) without a row, 2 row(s) "
        "without a sample" in page.summary.text()
    )
    assert window.study.data.samples == str(tmp_path / "sheet.csv")


def test_the_missing_value_choice_and_the_provenance_are_kept_in_the_study(qtbot, window, page, run_and_wait, tmp_path):
    rng = np.random.default_rng(6)
    t = pd.DataFrame(rng.normal(size=(50, 5)).round(3), columns=[f"g{j}" for j in range(5)])
    t.loc[::7, "g1"] = np.nan
    t["condition"] = ["a", "b"] * 25
    t.to_csv(tmp_path / "holes.csv", index=False)
    page.set_path(tmp_path / "holes.csv")
    choose(page, "label", "condition")
    run_and_wait(window, page.load)  # filled with the training median, by default
    assert window.study.data.missing == "median" and "g1" in window.study.data.feature_columns
    assert page.data_in.missing_plot.has_plot  # missing values per column, drawn
    assert "1 features have missing values" in page.data_in.words.text()
    page.data_in.missing.setCurrentIndex(page.data_in.missing.findData("drop-columns"))
    page.source.setText("GEO")
    page.version.setText("2")
    page.downloaded.setText("2026-01-02")
    page.data_in.accession.setText("GSE1")
    page.data_in.url.setText("https://example.org/holes.csv")
    run_and_wait(window, page.load)
    d = window.study.data
    assert d.missing == "drop-columns" and d.dropped["columns"] == ["g1"] and "g1" not in d.feature_columns
    assert "missing-values-dropped" in page.findings.codes
    p = d.provenance
    assert (p.source, p.version, p.downloaded, p.accession, p.url) == (
        "GEO",
        "2",
        "2026-01-02",
        "GSE1",
        "https://example.org/holes.csv",
    )
    # the study file keeps them, and a reopened study shows them again
    window.session.save()
    from guiapp.core.study.model import Study

    back = Study.open(window.study.folder)
    assert back.data.provenance == p and back.data.missing == "drop-columns"


def test_count_columns_are_offered_a_log_transform_with_its_control(qtbot, window, page, run_and_wait, tmp_path):
    rng = np.random.default_rng(0)
    table = pd.DataFrame(
        {
            "sample_id": [f"S{i}" for i in range(60)],
            "condition": ["a", "b"] * 30,
            "reads": rng.poisson(np.exp(rng.normal(4, 1.5, 60))),  # counts over decades
            "ph": rng.normal(7, 0.2, 60),
        }
    )
    table.to_csv(tmp_path / "counts.csv", index=False)
    page.set_path(tmp_path / "counts.csv")
    choose(page, "label", "condition")
    run_and_wait(window, page.load)
    assert page.log_button.isVisible() and page.log_button.text() == "Apply log1p to 1 column(s)"
    assert "reads" in page.log_advice.text() and "ph" not in page.log_advice.text()
    page.log_button.click()
    assert window.study.data.transform == {"log1p": ["reads"]}
    assert not page.log_button.isVisible() and page.log_undo.isVisible()  # no advice on a handled column
    from guiapp.core.data.attach import model_frame

    X, _, rows = model_frame(window.study)
    column = window.study.data.feature_columns.index("reads")
    assert np.allclose(X[:, column], np.log1p(rows["reads"].to_numpy()), atol=1e-5)
    page.log_undo.click()
    assert window.study.data.transform == {} and page.log_button.isVisible()


def wine_like(path: Path, n: int = 60) -> Path:
    """A sample ID, measurements, a run column and the cultivar last, as the wine walkthrough's table."""
    rng = np.random.default_rng(1)
    table = pd.DataFrame(rng.normal(5, 1, (n, 4)).round(3), columns=["alcohol", "malic_acid", "ash", "proline"])
    table.insert(0, "sample_id", [f"W{i:03d}" for i in range(n)])
    table["run"] = [f"run{i % 3 + 1}" for i in range(n)]
    table["cultivar"] = [f"class_{i % 3}" for i in range(n)]
    table.to_csv(path, index=False)
    return path


def test_a_new_file_gets_its_label_column_guessed_and_said(qtbot, window, page, run_and_wait, tmp_path):
    with qtbot.waitSignal(page.label_guessed, timeout=10_000) as seen:
        page.set_path(wine_like(tmp_path / "wine.csv"))
    assert seen.args[0].column == "cultivar"
    assert page.label.currentData() == "cultivar" and page.batch.currentData() == "run"
    assert page.label_note.isVisible()
    assert page.label_note.text() == (
        "Guessed: 'cultivar', the last text column with few distinct values; change it if wrong."
    )
    choose(page, "label", "run")  # the user's choice: the note no longer applies
    assert not page.label_note.isVisible()
    page.set_path(tmp_path / "wine.csv")  # the same file again: the choice stays
    assert page.label.currentData() == "run"
    choose(page, "label", "cultivar")
    run_and_wait(window, page.load)
    assert window.study.data.label == "cultivar"


def test_load_right_after_choosing_a_file_uses_the_guessed_label(qtbot, window, page, run_and_wait, tmp_path):
    page.set_path(wine_like(tmp_path / "wine.csv"))
    assert page.label.currentData() is None or page.label.currentData() == ""  # the guess is on its way
    run_and_wait(window, page.load)
    assert window.study.data.label == "cultivar" and window.study.data.n_samples == 60


def test_a_table_of_numbers_gets_no_label_guess(qtbot, page, tmp_path):
    rng = np.random.default_rng(2)
    pd.DataFrame(rng.normal(size=(30, 4)), columns=["a", "b", "c", "y"]).to_csv(tmp_path / "numbers.csv", index=False)
    with qtbot.waitSignal(page.label_guessed, timeout=10_000) as seen:
        page.set_path(tmp_path / "numbers.csv")
    assert seen.args[0] is None
    assert page.label.currentIndex() == 0 and page.label.currentText() == "— choose the column to predict —"
    assert not page.label_note.isVisible()


def test_a_saved_studys_label_is_not_replaced_by_a_guess(qtbot, make_window, tmp_path):
    from guiapp.core.study.model import Study

    window = make_window(None)
    window.session.new_study(tmp_path / "study")
    window.study.checklist_mode = False
    assert window.go_to("data")
    page = window.current_page()
    page.set_path(wine_like(tmp_path / "wine.csv"))
    choose(page, "label", "run")
    choose(page, "batch", "")
    with qtbot.waitSignal(window.runner.finished, timeout=60_000):
        page.load.click()
    assert window.study.data.label == "run"
    reopened = make_window(Study.open(window.study.folder))
    assert reopened.go_to("data")
    again = reopened.current_page()
    assert again.label.currentData() == "run" and not again.label_note.isVisible()
    again.set_path(tmp_path / "wine.csv")  # the loaded file chosen again: nothing is guessed
    assert again.label.currentData() == "run" and not again.label_guess.pending


def test_the_sensitivity_answer_is_in_view_above_load_whatever_the_tab(page):
    from PySide6.QtWidgets import QRadioButton

    radios = page.findChildren(QRadioButton)
    assert len(radios) == 3 and page.sensitivity.buttons() == radios
    assert page.sensitivity.button(1).text() == "Not sensitive"
    assert not page.about_tab.findChildren(QRadioButton)  # the tab keeps the questions behind the answer
    for index in range(page.tabs.count()):
        page.tabs.setCurrentIndex(index)
        assert page.sensitivity.button(1).isVisible()
    page.sensitivity.button(1).click()
    assert page.study.data.sensitive is False
