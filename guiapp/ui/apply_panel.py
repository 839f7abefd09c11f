"""Apply the exported model to new samples in the window: what ``tenfold predict`` does.

The panel gathers a bundle folder, new data (a table, or a folder of images or FASTA files)
and where to save, then runs :func:`guiapp.core.export.predict.predict_file` — the very function the
command calls — on the worker thread. The columns are checked against the model there, and a
mismatch comes back as the page's error message. The saved CSV is the command's, byte for byte.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from guiapp.ui.table_model import DataFrameModel
from guiapp.ui.widgets import heading, note, value_label

NO_BUNDLE = "Export the study first: the model is applied from the export folder's model/ (model/config.json)."
NO_DATA = "Choose the new samples first: a table with the model's feature columns, or a folder."


def default_output(data_path: Path) -> Path:
    """Beside the new data: ``new.csv`` → ``new_predictions.csv``; a folder → ``folder_predictions.csv``."""
    return data_path.parent / f"{data_path.stem if data_path.is_file() else data_path.name}_predictions.csv"


class ApplyPanel(QWidget):
    """ "Apply to new samples" on the Export page; ``bundle_dir()`` names the export folder."""

    def __init__(self, page, bundle_dir, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.page = page
        self.bundle_dir = bundle_dir
        self.frame = None
        self.setAccessibleName("Apply to new samples")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(heading("Apply to new samples"))
        layout.addWidget(
            note(
                "Predict new samples with the exported model, as `tenfold predict` does: the "
                "new table must hold the model's feature columns, by name."
            )
        )
        form = QFormLayout()
        row = QHBoxLayout()
        self.data_path = QLineEdit()
        self.data_path.setAccessibleName("New samples")
        self.data_path.setToolTip(
            "A CSV/TSV table with the model's feature columns; for an image or sequence "
            "model also a folder of images or a FASTA file or folder."
        )
        self.data_path.textChanged.connect(self._on_data_change)
        self.choose_file = QPushButton("Choose file…")
        self.choose_file.clicked.connect(self._choose_file)
        self.choose_folder = QPushButton("Choose folder…")
        self.choose_folder.clicked.connect(self._choose_folder)
        row.addWidget(self.data_path, 1)
        row.addWidget(self.choose_file)
        row.addWidget(self.choose_folder)
        form.addRow("New samples:", row)
        self.out_path = QLineEdit()
        self.out_path.setAccessibleName("Save predictions to")
        self.out_path.setToolTip("The CSV file the predictions are written to, one row per sample.")
        self.out_path.textChanged.connect(lambda _: self.update_actions())
        form.addRow("Save to:", self.out_path)
        self.by_name = QCheckBox("Take the feature columns by name when their order differs (--by-name)")
        self.by_name.setAccessibleName("Take columns by name")
        form.addRow("", self.by_name)
        layout.addLayout(form)
        row = QHBoxLayout()
        self.apply = page.action(QPushButton("Apply to new samples"))
        self.apply.clicked.connect(self._apply)
        row.addWidget(self.apply)
        row.addStretch(1)
        layout.addLayout(row)
        self.result = value_label("Predictions status")
        layout.addWidget(self.result)
        self.model = DataFrameModel(None, self)
        self.table = QTableView()
        self.table.setAccessibleName("Predictions")
        self.table.setModel(self.model)
        self.table.setMinimumHeight(160)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setVisible(False)
        layout.addWidget(self.table)
        self.update_actions()

    def _bundle(self) -> Path | None:
        folder = self.bundle_dir()
        return folder if folder is not None and (folder / "model" / "config.json").is_file() else None

    def update_actions(self) -> None:
        """Apply is on with a bundle, new samples and a file to save to; off, it says why."""
        if self.page.session.runner.busy:
            return
        reason = ""
        if self._bundle() is None:
            reason = NO_BUNDLE
        elif not self.data_path.text().strip():
            reason = NO_DATA
        elif not self.out_path.text().strip():
            reason = "Say where to save the predictions (a .csv file)."
        self.apply.setEnabled(not reason)
        self.apply.setToolTip(
            reason or "Check the columns against the model, predict every sample and save the predictions as CSV."
        )

    def _on_data_change(self, text: str) -> None:
        text = text.strip()
        if text and not self.out_path.isModified():
            self.out_path.setText(str(default_output(Path(text))))
        self.update_actions()

    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Choose the new samples",
            self.data_path.text(),
            "Tables and sequences (*.csv *.tsv *.txt *.fasta *.fa *.fna);;All files (*)",
        )
        if path:
            self.data_path.setText(path)

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose the folder of new samples", self.data_path.text())
        if folder:
            self.data_path.setText(folder)

    def _apply(self) -> None:
        bundle = self._bundle()
        if bundle is None:
            self.page.show_error(NO_BUNDLE)
            return
        from guiapp.core.export.predict import predict_file  # the function `tenfold predict` calls

        self.page.run_task(
            predict_file,
            {
                "bundle_dir": bundle,
                "data_path": Path(self.data_path.text().strip()),
                "out_path": Path(self.out_path.text().strip()),
                "by_name": self.by_name.isChecked(),
            },
            name="applying the model to new samples",
            on_result=self._applied,
        )

    def _applied(self, frame) -> None:
        self.frame = frame
        self.model.set_frame(frame)
        self.table.setVisible(True)
        model = frame.attrs.get("model", "network").replace("_", " ")
        self.result.setText(f"Predicted {len(frame)} sample(s) with the {model} → {self.out_path.text().strip()}")
