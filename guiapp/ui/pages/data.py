"""Step 3, Data: choose the table, its label and batch columns, say whether it is sensitive,
record where it came from, and load it (Tips 4 and 10)."""

from __future__ import annotations

import csv
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from guiapp.core.data import transform

# core.data and core.readers bring pandas: imported when a file is chosen, not when the window opens.
from guiapp.core.privacy import ethics
from guiapp.core.study.errors import DataError
from guiapp.ui.data_panels import FILE_FILTER, DataInPanel
from guiapp.ui.forms import STRETCH, Button, Field, Form, button_row
from guiapp.ui.pages.base import StepPage, preview
from guiapp.ui.pages.data_about import add_sensitivity_row, build_about_tab, show_answers
from guiapp.ui.pages.data_label import LabelGuesser
from guiapp.ui.pages.data_summary import log_suggested, set_log, show_log_advice, summary_lines
from guiapp.ui.pages.sensitivity import chosen_sensitivity, select_sensitivity
from guiapp.ui.plots import PlotArea, bar_chart
from guiapp.ui.runner import without_context
from guiapp.ui.widgets import value_label

NO_BATCH = "(no batch column)"
NO_GROUP = "(one sample per donor: no group column)"
BATCH_NAMES = {"batch", "run", "plate", "lane", "flowcell", "flow_cell", "sequencing_run", "run_id", "batch_id"}


def read_header(path: Path, modality: str = "", sheet: str = "") -> list[str]:
    """The column names a data file offers (any format), reading little of it."""
    from guiapp.core.data import readers

    return readers.read_columns(path, modality=modality, sheet=sheet)


FILE_FIELDS = (
    Field(
        "path",
        "Data file:",
        "path",
        "The table to analyse: a header row with column names, one sample per row.",
        "Data file",
        placeholder="A table (CSV, TSV, Parquet, Excel, AnnData .h5ad), a FASTA file, or a folder of images",
        on_change="_on_path",
        signal="editingFinished",
        buttons=(
            Button("browse", "Choose file…", on_click="_choose_file"),
            Button(
                "browse_folder",
                "Folder…",
                "A folder of images (one subfolder per class, or images plus a CSV of labels), "
                "or a folder of FASTA files (one file per class).",
                "_choose_folder",
            ),
        ),
    ),
    Field(
        "batch",
        "Batch column:",
        "combo",
        "The column saying which run, plate, site or day each sample came from, "
        "if any. Tenfold uses it to look for batch effects.",
        "Batch column",
    ),
    Field(
        "group",
        "Group column (donor, patient…):",
        "combo",
        "The column naming the donor, patient or animal each sample came from, "
        "if several samples share one. Samples of one group are kept on one "
        "side of the split, so the test set holds unseen donors (Tip 7).",
        "Group column",
    ),
)
# The label choice and, beside it, the note saying when Tenfold guessed it (pages/data_label.py).
LABEL_ROW = (
    Field(
        "label", kind="combo", tip="The column the model should learn to predict.", accessible="Label column", stretch=1
    ),
    Field("label_note", kind="note", accessible="Label column guess", hidden=True, stretch=1),
)
LOAD_ROW = (
    Button(
        "load",
        "Load and check the data",
        "Read the table, compute its SHA-256 and profile it. Nothing is changed in the file.",
        "_load",
        primary=True,
    ),
    Button(
        "set_aside",
        "Set the leaking features aside",
        "A feature that gives the label away (possible-label-leak) will not exist when "
        "the model is used: stop using it as a feature (Tip 7).",
        "_set_aside_leaks",
    ),
    STRETCH,
)
LOG_ROW = (
    Field("log_advice", kind="value", accessible="Log transform", stretch=1),
    Button(
        "log_button",
        "Apply log1p",
        "Take log(1 + x) of these columns before the split. It learns nothing from "
        "the data, so nothing leaks; the spec records it as [data] transform.",
        "_apply_log",
    ),
    Button("log_undo", "Remove the log transform", on_click="_remove_log"),
)


class DataPage(StepPage):
    step_id = "data"
    orientation_checked = Signal(object)  # the chosen table's first rows were looked at (a hint or None)
    label_guessed = Signal(object)  # the label guess of a chosen file arrived (a LabelGuess or None)
    # Built from FILE_FIELDS, LOAD_ROW, LOG_ROW and the about tab (pages/data_about.py).
    path: QLineEdit
    browse: QPushButton
    browse_folder: QPushButton
    label: QComboBox
    label_note: QLabel
    batch: QComboBox
    group: QComboBox
    load: QPushButton
    set_aside: QPushButton
    log_advice: QLabel
    log_button: QPushButton
    log_undo: QPushButton
    about_tab: QWidget
    sensitivity: QButtonGroup
    answer_boxes: dict[str, QComboBox | QCheckBox]
    answer_refs: dict[str, QLineEdit]
    suggestion: QLabel
    source: QLineEdit
    version: QLineEdit
    downloaded: QLineEdit
    intro = (
        "Load a table with one sample per row and one column per feature, plus the column "
        "to predict. Tenfold records the file's fingerprint (SHA-256) so anyone can check "
        "they have the same data, and looks for problems before any model sees it."
    )

    def build(self) -> None:
        self._study_shown = None
        self.form = Form(self, FILE_FIELDS[:1], wrap=True)
        self.data_in = DataInPanel(self)
        self.data_in.add_format_rows(self.form.layout)
        self.form.add_row("Label column:", LABEL_ROW)
        self.form.add(*FILE_FIELDS[1:])
        self.label_guess = LabelGuesser(self)
        # The questions behind the sensitivity answer and the provenance go on a tab of their own,
        # so the page fits the window; the answer itself sits at the top, beside the checklist's
        # note that asks for it and above the findings that loading adds.
        about = build_about_tab(self)
        self.data_in.add_form_rows(self.form.layout, provenance=about.layout)
        add_sensitivity_row(self, self.quick_answers)
        self.body.addLayout(self.form.layout)
        self.body.addLayout(button_row(self, LOAD_ROW))
        self.main_action = self.load
        # What was found, right under Load: a tab each, so the page stays about one window tall.
        summary, roles, explore = self._build_tabs()
        self.summary = value_label("Data summary")
        summary.addWidget(self.summary)
        self.counts = PlotArea(
            "The samples per class appear here once the data are loaded.", "Samples per class", min_height=220
        )
        self.counts.setMaximumSize(560, 240)
        summary.addWidget(self.counts)
        # The log transform: offered when columns look like counts or intensities (the advice's control).
        summary.addLayout(button_row(self, LOG_ROW))
        self.data_in.add_sections(summary, roles=roles, explore=explore)

    def _build_tabs(self) -> tuple[QVBoxLayout, QVBoxLayout, QVBoxLayout]:
        """The tabs under Load; the layouts of the summary, the column roles and the explorer."""
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Data details")
        self.tabs.setDocumentMode(True)
        summary_tab = QWidget()
        summary = QVBoxLayout(summary_tab)
        summary.setContentsMargins(0, 8, 0, 0)
        self.tabs.addTab(summary_tab, "What is in the table")
        self.tabs.addTab(self.about_tab, "Sensitivity and source")
        self.roles_tab, self.explore_tab = QWidget(), QWidget()
        roles = QVBoxLayout(self.roles_tab)
        explore = QVBoxLayout(self.explore_tab)
        for layout in (roles, explore):
            layout.setContentsMargins(0, 8, 0, 0)
        self.tabs.addTab(self.roles_tab, "Column roles")
        self.tabs.addTab(self.explore_tab, "Explore")
        self.body.addWidget(self.tabs)
        return summary, roles, explore

    # ----- study → widgets ----------------------------------------------------------------
    def refresh(self) -> None:
        s = self.study
        if self._study_shown is not s:  # a new or reopened study: show what it holds
            self._study_shown = s
            self.path.setText(s.data.provenance.path)
            self.data_in.show_new_study(s)  # the format, sheet and options first: the columns depend on them
            self._fill_columns(s.data.label, s.data.batch, getattr(s.data, "group", ""))
            self.label_guess.forget()
            self.source.setText(s.data.provenance.source)
            self.version.setText(s.data.provenance.version)
            self.downloaded.setText(s.data.provenance.downloaded)
        select_sensitivity(self.sensitivity, s.data.sensitive)
        # The tab says when its question is still open: guided mode waits for the answer.
        self.tabs.setTabText(
            self.tabs.indexOf(self.about_tab),
            "Sensitivity and source" + (" (to answer)" if s.data.sensitive is None else ""),
        )
        self._show_answers()
        self._show_summary()
        self.data_in.show(s)
        super().refresh()

    # ----- the sensitivity questions (Tip 10) ------------------------------------------------
    def _show_answers(self) -> None:
        show_answers(self)

    def _on_answer(self, key: str, value, soon: bool = False) -> None:
        ethics.set_sensitivity_answers(self.study, **{key: value})
        if soon:
            self.changed_soon()
        else:
            self.changed()

    def _show_summary(self) -> None:
        d = self.study.data
        if not d.provenance.sha256:
            self.summary.setText("No data loaded yet.")
            self.counts.show_placeholder()
            return
        self.summary.setText("\n".join(summary_lines(self.study)))
        show_log_advice(self)
        if d.class_counts:
            bar_chart(
                self.counts,
                list(d.class_counts),
                list(d.class_counts.values()),
                y_label="samples (count)",
                x_label=f"class ({d.label})",
            )
        else:
            self.counts.show_placeholder("Regression: the label is a number, so there are no classes to count.")

    def _fill_columns(self, label: str = "", batch: str = "", group: str = "", guess_batch: bool = False) -> None:
        columns: list[str] = []
        text = self.path.text().strip()
        self.error.clear_message()
        if text and Path(text).exists():
            try:
                columns = read_header(Path(text), self.data_in.modality(), self.data_in.sheet_name())
                columns += [c for c in self.data_in.extra_columns() if c not in columns]
            except DataError as exc:  # the file's own named problem, as loading would say it
                self.show_error(str(exc))
            except (OSError, UnicodeDecodeError, csv.Error):
                self.show_error(
                    f"The column names of {Path(text).name} could not be read: it does "
                    "not look like a text table (CSV or TSV, UTF-8). Export it as CSV "
                    "from your spreadsheet program and choose that file."
                )
        self.label.clear()
        self.label.addItem("— choose the column to predict —", "")
        for c in columns:
            self.label.addItem(c, c)
        self.label.setCurrentIndex(max(self.label.findData(label), 0))
        if guess_batch and not batch:
            # A new file's column named like a batch (run, plate, lane...) is offered as the batch
            # column; the user sees it and can choose "no batch column" (Tip 7).
            batch = next((c for c in columns if c.strip().lower() in BATCH_NAMES), "")
        for combo, none, current in ((self.batch, NO_BATCH, batch), (self.group, NO_GROUP, group)):
            combo.clear()
            combo.addItem(none, "")
            for c in columns:
                combo.addItem(c, c)
            combo.setCurrentIndex(max(combo.findData(current), 0))

    # ----- actions -------------------------------------------------------------------------
    def set_path(self, path) -> None:
        """Show a file and read its column names (the file dialog and tests use this)."""
        self.path.setText(str(path))
        self._on_path()

    def _on_path(self) -> None:
        new_file = str(Path(self.path.text().strip()).resolve()) != self.study.data.provenance.path
        if new_file:
            self.data_in.forget_edits()
        self.data_in.show_detected()
        self._fill_columns(
            self.label.currentData() or self.study.data.label,
            self.batch.currentData() or self.study.data.batch,
            self.group.currentData() or getattr(self.study.data, "group", ""),
            guess_batch=new_file,
        )
        if new_file:  # a new file without a label: the likely label column is chosen for the user
            self.label_guess.ask()
        else:
            self.label_guess.show_note()
        self.data_in.peek_orientation()

    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a data table", self.path.text(), FILE_FILTER)
        if path:
            self.set_path(path)

    def _choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Choose a folder of images or of FASTA files", self.path.text())
        if path:
            self.set_path(path)

    def _sensitivity(self):
        return chosen_sensitivity(self.sensitivity)

    def _on_sensitivity(self, value) -> None:
        if self.study.data.provenance.sha256:
            ethics.set_sensitivity(self.study, value)
        else:
            self.study.data.sensitive = value
        self.changed()

    def _load(self) -> None:
        text = self.path.text().strip()
        if not text:
            self.show_error("Choose the data file first.")
            return
        if self.label_guess.wait_before_load():  # loads once the label guess has arrived
            return
        from guiapp.core.data import attach as core_data

        request = core_data.AttachRequest(
            path=Path(text),
            label=self.label.currentData() or "",
            batch=self.batch.currentData() or "",
            group=self.group.currentData() or "",
            sensitive=self._sensitivity(),
            source=self.source.text().strip(),
            version=self.version.text().strip(),
            downloaded=self.downloaded.text().strip(),
            **self.data_in.load_kwargs(self.study),
        )
        kwargs = dict(study=self.study, request=request)
        self.run_task(core_data.attach_data, kwargs, name="loading the data", on_result=self._loaded)

    def update_actions(self) -> None:
        super().update_actions()
        leak = any(f.code == "possible-label-leak" for f in self.study.findings)
        self.set_aside.setVisible(leak)
        self.set_aside.setEnabled(leak and self.study.split.test_uses == 0)

    def _set_aside_leaks(self) -> None:
        from guiapp.core.split.leak_remedies import set_aside_leaking_features

        self.run_task(
            without_context(set_aside_leaking_features),
            {"study": self.study},
            name="setting leaking features aside",
            on_result=lambda columns: self.show_info(
                f"Set aside: {', '.join(columns)}. They are no longer features (recorded in the model card)."
            ),
        )

    # ----- the log transform (pages/data_summary.py) ---------------------------------------------
    def _remove_log(self) -> None:
        set_log(self, [])

    def _apply_log(self) -> None:
        set_log(self, transform.log1p_columns(self.study.data.transform) + log_suggested(self.study))

    def _loaded(self, _profile) -> None:
        # Loading replaced the data step's findings: bring back those of the sensitivity answers.
        ethics.set_sensitivity(self.study, self.study.data.sensitive)
        self.show_info("Data loaded and checked.")


if __name__ == "__main__":
    raise SystemExit(preview(DataPage))
