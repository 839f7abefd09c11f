"""Step 1, Study: create or open a study folder, or start from a built-in demo; guided mode."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QHBoxLayout, QPushButton

from guiapp.core.data.demo import DATASETS
from guiapp.ui import dialogs
from guiapp.ui.pages.base import StepPage, preview
from guiapp.ui.widgets import heading, note, value_label

DEMO_NAMES = {
    "breast_cancer": "Breast cancer (Wisconsin, 569 tumours)",
    "simulated_expression": "Simulated gene expression with batches",
}


class StudyPage(StepPage):
    step_id = "study"
    intro = (
        "A study is a folder on your computer that holds everything about one analysis: "
        "your answers, the data's fingerprint, the trained network and the export. "
        "Keep it under version control if you like: it is plain files."
    )

    def build(self) -> None:
        self.body.addWidget(heading("Study folder"))
        self.folder_label = value_label("Study folder")
        self.body.addWidget(self.folder_label)
        row = QHBoxLayout()
        self.new_button = self.action(QPushButton("New study folder…"))
        self.main_action = self.new_button  # the page's main control: in view without scrolling
        self.new_button.setToolTip("Choose an empty folder; Tenfold creates study.json in it.")
        self.open_button = self.action(QPushButton("Open study folder…"))
        self.open_button.setToolTip("Choose a folder that holds a study.json written by Tenfold.")
        self.new_button.clicked.connect(self._new_study)
        self.open_button.clicked.connect(lambda: dialogs.open_study(self, self.session))
        row.addWidget(self.new_button)
        row.addWidget(self.open_button)
        row.addStretch(1)
        self.body.addLayout(row)

        self.body.addWidget(heading("Or try a built-in dataset"))
        self.body.addWidget(
            note(
                "Tenfold ships two small datasets so you can walk through every "
                "step before using your own data. Nothing is downloaded."
            )
        )
        demo_row = QHBoxLayout()
        self.demo_combo = QComboBox()
        self.demo_combo.setAccessibleName("Built-in dataset")
        for name in DATASETS:
            self.demo_combo.addItem(DEMO_NAMES.get(name, name), name)
        self.demo_button = self.action(QPushButton("Start a demo study"))
        self.demo_button.setToolTip("Creates a new study in Tenfold's data folder with this dataset loaded.")
        self.demo_button.clicked.connect(self._start_demo)
        demo_row.addWidget(self.demo_combo)
        demo_row.addWidget(self.demo_button)
        demo_row.addStretch(1)
        self.body.addLayout(demo_row)

        self.body.addWidget(heading("How strict should Tenfold be?"))
        self.guided = QCheckBox("Guided checklist mode: do not let me move on while a step's checklist items are open")
        self.guided.setToolTip(
            "In guided mode, Next stays on the page until the step's required "
            "checklist items are done or attested, and says which ones."
        )
        self.guided.toggled.connect(self._on_guided)
        self.body.addWidget(self.guided)

        form = QFormLayout()
        self.created = value_label("Created")
        self.version = value_label("Tenfold version")
        form.addRow("Created:", self.created)
        form.addRow("Written by Tenfold:", self.version)
        self.body.addLayout(form)

    def refresh(self) -> None:
        s = self.study
        self.folder_label.setText(
            str(s.folder) if s.folder else "No folder yet. Create a new study folder, open one, or start a demo."
        )
        self.guided.blockSignals(True)
        self.guided.setChecked(s.checklist_mode)
        self.guided.blockSignals(False)
        self.created.setText(s.created)
        self.version.setText(s.tenfold_version)
        super().refresh()

    def _on_guided(self, checked: bool) -> None:
        self.study.checklist_mode = checked
        self.changed()

    def _new_study(self) -> None:
        """A new folder: the Question step is the obvious next one, so go there."""
        if dialogs.new_study(self, self.session):
            self.next_requested.emit()

    def _start_demo(self) -> None:
        if not self.session.start_demo(self.demo_combo.currentData()):
            self.show_error("Another task is still running; wait for it to finish first.")
        else:
            self.show_info("Preparing the demo study…")


if __name__ == "__main__":
    raise SystemExit(preview(StudyPage))
