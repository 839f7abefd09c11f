"""The Data page's data-in controls: how to read the file (detected or chosen), sample sheet,
orientation, missing values, provenance details, loader options, the profile in words and
plots, the column roles and a preview.

Kept apart from ``pages/data.py`` so that page stays small; the page owns the file, label,
batch and group choices and the sensitivity questions, and asks this panel for the rest of
the arguments of :func:`guiapp.core.data.attach.attach_data`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
)

# core.readers and core.roles bring pandas: imported when a file is chosen, not when the window opens.
from guiapp.core.study.errors import DataError
from guiapp.core.study.vocabulary import MISSING_STRATEGIES, MODALITIES
from guiapp.ui.data_sections import DataSections
from guiapp.ui.forms import Button, Field, Form, labelled_row

_MISSING_LABELS = {
    "median": "Fill with the training median",
    "most-frequent": "Fill with the training's most frequent value",
    "drop-rows": "Drop samples with missing values",
    "drop-columns": "Drop features with missing values",
}
MISSING_WORDS = tuple((key, _MISSING_LABELS[key]) for key in MISSING_STRATEGIES)
_READ_AS_LABELS = {
    "auto": "Detect from the file",
    "table": "Table: CSV/TSV, Parquet, Excel, AnnData .h5ad",
    "image": "Images: a folder with a subfolder per class, or images plus a CSV of labels",
    "sequence": "Sequences: a FASTA file, or a folder of FASTA files (one per class)",
}
READ_AS = tuple((key, _READ_AS_LABELS[key]) for key in ("auto", *MODALITIES))
FILE_FILTER = (
    "Data (*.csv *.tsv *.txt *.tab *.gz *.parquet *.pq *.xlsx *.xlsm *.h5ad *.fa *.fasta *.fna *.faa);;"
    "Tables (*.csv *.tsv *.txt *.tab *.gz);;Parquet (*.parquet *.pq);;Excel (*.xlsx *.xlsm);;"
    "AnnData (*.h5ad);;FASTA (*.fa *.fasta *.fna *.faa *.gz);;All files (*)"
)


FORMAT_FIELDS = (
    Field(
        "read_as",
        "Read as:",
        "combo",
        "Tenfold detects the format from the file or folder; choose one when it guesses wrong.",
        "Read the data as",
        items=tuple((key, words) for key, words in READ_AS),
        on_change="_on_read_as",
    ),
    Field("detected", "", "note", accessible="Detected format"),
    Field(
        "sheet",
        "Excel sheet:",
        "combo",
        "The workbook has several sheets: choose the one with one sample per row.",
        "Excel sheet",
        on_change="_on_sheet",
    ),
)
OPTION_FIELDS = (
    Field(
        "samples",
        "Sample sheet:",
        "path",
        "A CSV, TSV or Excel table joined to the data by sample ID. Tenfold reports the IDs that match no sample.",
        "Sample sheet",
        placeholder="Optional: a sheet with one row per sample (labels, batches, donors)",
        on_change="page._on_path",
        signal="editingFinished",
        buttons=(Button("browse_samples", "Choose sheet…", on_click="_choose_sheet"),),
    ),
    Field(
        "transposed",
        "Orientation:",
        "check",
        "Tenfold looks at the first rows as soon as the file is chosen, and again "
        "when loading, and turns such tables; untick to keep the file as it is.",
        "Features as rows",
        text="Features are rows and samples are columns (genes × samples): turn the table",
        on_change="_on_transposed",
    ),
    Field("transposed_note", "", "note", accessible="Orientation note", hidden=True),
    Field(
        "missing",
        "Missing values:",
        "combo",
        "Filling is fitted on the training split only; dropping happens before the split.",
        "Missing values",
        items=tuple((key, words) for key, words in MISSING_WORDS),
    ),
)
PROVENANCE_FIELDS = (
    Field("accession", "Accession:", accessible="Accession", placeholder="e.g. GSE12345, E-MTAB-1234, PRJNA000000"),
    Field("url", "URL:", accessible="Data URL", placeholder="where the file can be downloaded"),
)


def _readers():
    from guiapp.core.data import readers

    return readers


class DataInPanel:
    """Widgets the Data page adds to its form and body; reads and shows the study's data state."""

    # Built from FORMAT_FIELDS, OPTION_FIELDS and PROVENANCE_FIELDS.
    read_as: QComboBox
    detected: QLabel
    sheet: QComboBox
    samples: QLineEdit
    transposed: QCheckBox
    transposed_note: QLabel
    missing: QComboBox
    accession: QLineEdit
    url: QLineEdit

    def __init__(self, page) -> None:
        self.page = page
        self._transposed_choice: bool | None = None  # None: let Tenfold detect it
        self.orientation_hint = None  # samples.OrientationHint of the chosen file, read before loading
        self._peeks = 0  # the latest orientation look; older answers are for another file

    @property
    def roles_pending(self) -> bool:
        """The roles table's rows are being counted on the worker thread."""
        return self.sections.roles_pending

    # ----- building ------------------------------------------------------------------------
    def add_format_rows(self, form: QFormLayout) -> None:
        """How to read the file: detected from it, or chosen (a FASTA file named .txt, say)."""
        self._sheet_choice = ""
        self._sheets_seen: tuple = (None, [])
        self._path_shown = ""
        self._modality_seen: tuple = (None, "table")
        self.format_form = Form(self, FORMAT_FIELDS, layout=form, actions=self.page.action)

    def add_form_rows(self, form: QFormLayout, provenance: QFormLayout | None = None) -> None:
        """The reading options into ``form``; accession and URL into ``provenance`` (``form`` if None)."""
        self.options_form = Form(self, OPTION_FIELDS, layout=form, actions=self.page.action)
        self.image_size = QSpinBox()
        self.image_size.setRange(8, 1024)
        self.image_size.setValue(64)
        self.image_size.setSuffix(" px")
        self.image_size.setAccessibleName("Image size")
        self.colour = QComboBox()
        self.colour.setAccessibleName("Image colour")
        for text in ("auto", "grey", "rgb"):
            self.colour.addItem(text, text)
        self.image_row = labelled_row(("resized to", self.image_size), ("colour", self.colour))
        form.addRow("Images:", self.image_row)
        self.seq_length = QSpinBox()
        self.seq_length.setRange(0, 100_000)
        self.seq_length.setSpecialValueText("the longest")
        self.seq_length.setAccessibleName("Sequence length")
        self.seq_length.setToolTip("Shorter sequences are padded with zeros, longer ones cropped to this length.")
        self.alphabet = QComboBox()
        self.alphabet.setAccessibleName("Sequence alphabet")
        for key, words in (("auto", "detect"), ("dna", "DNA"), ("rna", "RNA"), ("protein", "protein")):
            self.alphabet.addItem(words, key)
        self.crop = QComboBox()
        self.crop.setAccessibleName("Keep of longer sequences")
        for key in ("start", "centre", "end"):
            self.crop.addItem(f"the {key}", key)
        self.sequence_row = labelled_row(
            ("length", self.seq_length), ("alphabet", self.alphabet), ("of longer ones keep", self.crop)
        )
        form.addRow("Sequences:", self.sequence_row)
        self._form = form
        self.provenance_form = Form(self, PROVENANCE_FIELDS, layout=provenance if provenance is not None else form)

    def add_sections(self, body, roles=None, explore=None) -> None:
        """The profile into ``body``; the column roles and the explorer into ``roles`` and ``explore``
        (``body`` when not given)."""
        self.sections = DataSections(self.page, body, roles, explore)
        self.words, self.missing_plot = self.sections.words, self.sections.missing_plot
        self.roles_model, self.roles, self.apply_roles = (
            self.sections.roles_model,
            self.sections.roles,
            self.sections.apply_roles,
        )
        self.explorer, self.preview_model, self.preview = (
            self.sections.explorer,
            self.sections.preview_model,
            self.sections.preview,
        )

    # ----- study → widgets -----------------------------------------------------------------
    def show_new_study(self, study) -> None:
        d = study.data
        self.read_as.blockSignals(True)
        chosen = d.options.get("modality") if d.options.get("read_as") == "chosen" else "auto"
        self.read_as.setCurrentIndex(max(self.read_as.findData(chosen), 0))
        self.read_as.blockSignals(False)
        self.samples.setText(d.samples)
        self.accession.setText(d.provenance.accession)
        self.url.setText(d.provenance.url)
        self._transposed_choice = None
        self.orientation_hint, self._peeks = None, self._peeks + 1
        self.sections.role_edits = {}
        self.missing.setCurrentIndex(max(self.missing.findData(d.missing), 0))
        self.image_size.setValue(int((d.options.get("image_size") or [64])[0]))
        self.colour.setCurrentIndex(max(self.colour.findData(d.options.get("colour", "auto")), 0))
        self.seq_length.setValue(int(d.options.get("sequence_length") or 0))
        self.alphabet.setCurrentIndex(max(self.alphabet.findData(d.options.get("alphabet", "auto")), 0))
        self.crop.setCurrentIndex(max(self.crop.findData(d.options.get("crop", "start")), 0))
        self._sheet_choice = d.options.get("sheet", "")
        self._path_shown = self.page.path.text().strip()
        self.show_detected()

    def show(self, study) -> None:
        d = study.data
        text = self.page.path.text().strip()
        loaded_here = bool(d.provenance.sha256) and bool(text) and str(Path(text).resolve()) == d.provenance.path
        hint = None if loaded_here else self.orientation_hint
        detected = bool(d.transposed) if loaded_here or hint is None else True
        self.transposed.blockSignals(True)
        self.transposed.setChecked(detected if self._transposed_choice is None else self._transposed_choice)
        self.transposed.blockSignals(False)
        turned = [f.message for f in study.findings if f.code == "data-transposed"] if loaded_here else []
        words = turned[0] if turned else hint.words if hint is not None else ""
        self.transposed_note.setText(words)
        self.transposed_note.setVisible(bool(words))
        self._show_options()
        self.sections.show(study)

    def peek_orientation(self) -> None:
        """Look at the chosen table's first rows on the worker thread: is it genes × samples?"""
        self._peeks += 1
        self.orientation_hint = None
        text = self.page.path.text().strip()
        if not text or not Path(text).is_file() or self.modality() != "table":
            return
        sheet = self.samples.text().strip()
        kwargs = dict(
            label=self.page.label.currentData() or "",
            sheet=self.sheet_name(),
            samples=sheet if sheet and Path(sheet).is_file() else "",
        )
        peek = self._peeks

        def look(ctx):
            from guiapp.core.data.orientation import peek_orientation

            try:
                return peek_orientation(text, **kwargs)
            except DataError:
                return None  # loading names what is wrong with the file

        def shown(hint) -> None:
            if peek == self._peeks:
                self.orientation_hint = hint
                self.show(self.page.study)
                self.page.orientation_checked.emit(hint)

        self.page.session.runner.run_in_background(look, on_done=shown)

    def modality(self) -> str:
        """``table``, ``image`` or ``sequence``: as chosen, else as detected from the path."""
        chosen = self.read_as.currentData()
        if chosen != "auto":
            return chosen
        text = self.page.path.text().strip()
        if not text or not Path(text).exists():
            return "table"
        key = (text, Path(text).stat().st_mtime)  # a folder is looked into: once per path, not per refresh
        if self._modality_seen[0] != key:
            self._modality_seen = (key, _readers().modality_of(text))
        return self._modality_seen[1]

    def show_detected(self) -> None:
        """Say how the file will be read; a file that cannot be read at all is the page's error."""
        text = self.page.path.text().strip()
        if text != self._path_shown:  # another file: its sheets are not the last file's
            self._path_shown, self._sheet_choice = text, ""
        self.detected.setText("")
        if not text or not Path(text).exists():
            return
        self._show_options()
        chosen = self.read_as.currentData()
        try:
            words = _readers().detect_format(text)
        except DataError:
            words = ""
        if chosen == "auto":
            self.detected.setText(f"Detected: {words}." if words else "")
        else:
            kind = dict(READ_AS)[chosen].split(":")[0].lower()
            self.detected.setText(
                f"Read as {kind}, as you chose" + (f" (the file looks like a {words})." if words else ".")
            )

    def _show_options(self) -> None:
        kind = self.modality()
        self._form.setRowVisible(self.image_row, kind == "image")
        self._form.setRowVisible(self.sequence_row, kind == "sequence")
        text = self.page.path.text().strip()
        sheets = self._excel_sheets(text) if kind == "table" else []
        self.sheet.blockSignals(True)
        self.sheet.clear()
        self.sheet.addItem("the first sheet with data", "")
        for name in sheets:
            self.sheet.addItem(name, name)
        self.sheet.setCurrentIndex(max(self.sheet.findData(self._sheet_choice), 0))
        self.sheet.blockSignals(False)
        self._form.setRowVisible(self.sheet, len(sheets) > 1)

    def _excel_sheets(self, text: str) -> list:
        """The workbook's sheet names, read once per file version (refresh runs often)."""
        if not text or not Path(text).is_file() or _readers().file_format(text) != "excel":
            return []
        key = (text, Path(text).stat().st_mtime)
        if self._sheets_seen[0] != key:
            self._sheets_seen = (key, _readers().excel_sheets(text))
        return self._sheets_seen[1]

    def sheet_name(self) -> str:
        """The Excel sheet to read ("" for the first with data)."""
        return self.sheet.currentData() or "" if self._form.isRowVisible(self.sheet) else ""

    def _on_read_as(self, _index: int) -> None:
        self.page._on_path()

    def _on_sheet(self, _index: int = 0) -> None:
        self._sheet_choice = self.sheet.currentData() or ""
        self.page._on_path()

    # ----- widgets → attach_data -----------------------------------------------------------
    def load_kwargs(self, study) -> dict:
        text = self.page.path.text().strip()
        same_file = bool(text) and str(Path(text).resolve()) == study.data.provenance.path
        transposed = self._transposed_choice
        if transposed is None and self.orientation_hint is not None and not same_file:
            transposed = True  # as the page offered before loading, so the box says what happens
        kwargs = dict(
            samples=self.samples.text().strip(),
            transposed=transposed,
            missing=self.missing.currentData(),
            accession=self.accession.text().strip(),
            url=self.url.text().strip(),
        )
        if same_file and self.sections.role_edits:
            kwargs["roles"] = {**study.data.roles, **self.sections.role_edits}
        kind = self.modality()
        options: dict = {}
        if self.read_as.currentData() != "auto":
            options.update(modality=kind, read_as="chosen")
        if kind == "image":
            options.update(image_size=self.image_size.value(), colour=self.colour.currentData())
        elif kind == "sequence":
            options.update(alphabet=self.alphabet.currentData(), crop=self.crop.currentData())
            if self.seq_length.value():
                options["sequence_length"] = self.seq_length.value()
        elif self.sheet_name():
            options["sheet"] = self.sheet_name()
        if options:
            kwargs["options"] = options
        return kwargs

    def extra_columns(self) -> list:
        """The sample sheet's columns, offered as label, batch and group too."""
        text = self.samples.text().strip()
        if not text or not Path(text).is_file():
            return []
        try:
            return _readers().read_columns(text)
        except DataError:
            return []  # the load itself names what is wrong with the sheet

    def forget_edits(self) -> None:
        self.sections.role_edits = {}
        self._transposed_choice = None

    # ----- reactions -------------------------------------------------------------------------
    def _on_transposed(self, checked: bool) -> None:
        self._transposed_choice = checked

    def _choose_sheet(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.page,
            "Choose a sample sheet",
            self.samples.text(),
            "Tables (*.csv *.tsv *.txt *.xlsx *.parquet);;All files (*)",
        )
        if path:
            self.samples.setText(path)
            self.page._on_path()
