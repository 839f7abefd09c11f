"""Step 13, Export: the model card, privacy warnings, metrics, manifest, checklist and, unless
withheld, the weights (Tips 10 and 3)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QCheckBox, QFileDialog, QFormLayout, QHBoxLayout, QLineEdit, QListWidget, QPushButton

from guiapp.core.study.places import apart_problem, default_export_dir
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext
from guiapp.ui.pages.base import StepPage, preview
from guiapp.ui.why_disabled import enable
from guiapp.ui.widgets import heading, note, value_label


def export_bundle(study, out_dir, *, ctx: TaskContext = NO_CONTEXT):
    """Write the bundle with the test predictions (read only after the final evaluation)."""
    from guiapp.core.evaluation import sealed_test
    from guiapp.core.export import write as export

    return export.write_bundle(study, out_dir, predictions=sealed_test.test_predictions(study), ctx=ctx)


def weights_reason(study) -> str:
    """What the export will do with the weights, and why (empty without the export module)."""
    try:
        from guiapp.core.export.write import weights_decision
    except ImportError:
        return ""
    share, reason = weights_decision(study)
    return f"The next export will {'include' if share else 'withhold'} them: {reason}"


def shared_text(result) -> str:
    """Which models the export put in model/, in words."""
    files = [
        name
        for name, shipped in (
            ("model.safetensors (the network)", result.network_shared),
            ("model_dp.safetensors (trained with differential privacy)", result.dp_shared),
            ("knn_baseline.skops (the kNN baseline)", result.knn_shared),
        )
        if shipped
    ]
    files += [f"{Path(f).name} (ONNX)" for f in result.files if Path(f).suffix == ".onnx"]
    if not files:
        return "Withheld: the bundle has no weights. "
    return "Shared: " + ", ".join(f"model/{f}" for f in files) + " in the bundle. "


class ExportPage(StepPage):
    step_id = "export"
    intro = (
        "Write everything others need to understand, check and reuse the study: a model card, "
        "the privacy warnings, every metric with its interval, a manifest of versions, "
        "seeds and data hashes, and the checklist."
    )

    def build(self) -> None:
        self.result = None
        form = QFormLayout()
        row = QHBoxLayout()
        self.out_dir = QLineEdit()
        self.out_dir.setAccessibleName("Export folder")
        self.out_dir.setToolTip("The folder the bundle is written to. Files of an earlier export there are replaced.")
        self.choose = self.action(QPushButton("Choose folder…"))
        self.choose.clicked.connect(self._choose)
        row.addWidget(self.out_dir, 1)
        row.addWidget(self.choose)
        form.addRow("Export to:", row)
        from guiapp.core.export.onnx_export import INSTALL, onnx_available

        self.onnx = QCheckBox("Also write the network as ONNX (model/model.onnx)")
        self.onnx.setAccessibleName("Write ONNX")
        self.onnx.setEnabled(onnx_available())
        self.onnx.setToolTip(
            "ONNX runs in ONNX Runtime and other tools without Tenfold; it is written only when the weights are shared."
            if onnx_available()
            else f"Needs the onnx package: {INSTALL}"
        )
        self.onnx.toggled.connect(self._on_onnx_change)
        form.addRow("Formats:", self.onnx)
        self.body.addLayout(form)
        row = QHBoxLayout()
        self.export = self.action(QPushButton("Export"))
        self.main_action = self.export  # the page's main button: in view when the page opens
        self.export.setObjectName("primary")
        self.export.setToolTip("Write the export bundle into the folder.")
        self.export.clicked.connect(self._export)
        self.open = QPushButton("Open folder")
        self.open.setToolTip("Show the export folder in your file manager.")
        self.open.clicked.connect(self._open)
        self.open_report = QPushButton("Open report.html")
        self.open_report.setToolTip("Open the bundle's report in your web browser.")
        self.open_report.clicked.connect(self._open_report)
        row.addWidget(self.export)
        row.addWidget(self.open_report)
        row.addWidget(self.open)
        row.addStretch(1)
        self.body.addLayout(row)
        self.summary = value_label("What was written")  # the export's summary, beside its buttons
        self.body.addWidget(self.summary)

        self.body.addWidget(heading("Model weights"))
        self.weights = value_label("Model weights")
        self.body.addWidget(self.weights)
        self.body.addWidget(heading("Files written"))
        self.files = QListWidget()
        self.files.setAccessibleName("Files written")
        self.files.setMaximumHeight(220)
        self.body.addWidget(self.files)
        self.body.addWidget(
            note(
                "model_card.md opens in any text editor and on the Hugging Face Hub; "
                "privacy.md says in plain words what the bundle reveals."
            )
        )
        from guiapp.ui.apply_panel import ApplyPanel

        self.apply_panel = ApplyPanel(self, self._bundle_dir)
        self.body.addWidget(self.apply_panel)
        self.out_dir.textChanged.connect(lambda _: self.apply_panel.update_actions())

    def refresh(self) -> None:
        s = self.study
        if not self.out_dir.text():
            # beside the study folder, never inside it: the bundle is shared, the study is not
            default = s.export.last_dir or (str(default_export_dir(s.folder)) if s.folder else "")
            self.out_dir.setText(default)
        out = Path(self.out_dir.text()) if self.out_dir.text() else None
        self.onnx.blockSignals(True)
        self.onnx.setChecked(bool(s.export.onnx) and self.onnx.isEnabled())
        self.onnx.blockSignals(False)
        self.files.clear()
        if self.result is not None:
            names = [str(Path(f).relative_to(self.result.out_dir)) for f in self.result.files]
            self.weights.setText(shared_text(self.result) + self.result.reason)
        elif s.export.exported_at and out is not None and out.is_dir():
            names = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
            shared = any((out / "model" / name).is_file() for name in ("model.safetensors", "model_dp.safetensors"))
            self.weights.setText(
                f"{'Shared' if shared else 'Withheld'} in the export of {s.export.exported_at}. " + weights_reason(s)
            )
        else:
            names = []
            self.weights.setText("Not exported yet. " + weights_reason(s))
        self.files.addItems(names)
        enable(
            self.open, "" if out is not None and out.is_dir() else "The export folder does not exist yet: export first."
        )
        report = self._report_path()
        self.open_report.setEnabled(report is not None)
        self.open_report.setToolTip(
            "Open the bundle's report in your web browser."
            if report is not None
            else "Export first: the report is written with the bundle."
        )
        self.summary.setText(written_summary(names, self.weights.text()) if names else "")
        self.summary.setVisible(bool(names))
        super().refresh()

    def update_actions(self) -> None:
        self.apply_panel.update_actions()

    def _bundle_dir(self):
        """The bundle new samples are predicted with: the export folder's."""
        text = self.out_dir.text().strip()
        return Path(text) if text else None

    def reset(self) -> None:
        super().reset()
        self.result = None
        self.out_dir.clear()

    def _on_onnx_change(self, checked: bool) -> None:
        self.study.export.onnx = bool(checked)

    def _choose(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose the export folder", self.out_dir.text())
        if folder:
            self.out_dir.setText(folder)
            self.refresh()

    def _export(self) -> None:
        text = self.out_dir.text().strip()
        if not text:
            self.show_error("Choose the folder to export to first.")
            return
        problem = apart_problem(Path(text), self.study.folder)
        if problem:  # the study folder, or a folder inside it or around it: refused before any work
            self.show_error(problem)
            return
        self.run_task(
            export_bundle,
            {"study": self.study, "out_dir": Path(text)},
            name="writing the export bundle",
            on_result=self._exported,
        )

    def _exported(self, result) -> None:
        self.result = result
        self.show_info(
            f"Exported {len(result.files)} files to {result.out_dir}. SHA-256 of its manifest.json: "
            f"{result.manifest_sha256}. Publish it with the bundle, so recipients can check "
            "they got this very bundle (tenfold verify BUNDLE --expect-manifest SHA256)."
        )

    def _open(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(self.out_dir.text()))

    def _report_path(self) -> Path | None:
        text = self.out_dir.text().strip()
        path = Path(text) / "report.html" if text else None
        return path if path is not None and path.is_file() else None

    def _open_report(self) -> None:
        report = self._report_path()
        if report is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(report)))


# What each file of the bundle is, for the summary after an export.
FILE_WORDS = (
    ("model_card.md", "the model card"),
    ("report.html", "the report with its plots"),
    ("privacy.md", "the privacy warnings"),
    ("predictions.csv", "the test-set predictions"),
    ("manifest.json", "the reproducibility manifest"),
    ("checklist.json", "the checklist"),
)


def written_summary(names: list, weights: str) -> str:
    """The export in a few words: how many files, the main ones, and the weights' fate."""
    main = [words for name, words in FILE_WORDS if name in names]
    text = f"Written: {len(names)} files — " + ", ".join(main) + "."
    first = weights.split(". ")[0].strip().rstrip(".")
    return text + (f" Model weights: {first}." if first else "")


if __name__ == "__main__":
    raise SystemExit(preview(ExportPage))
