"""The About dialog: what Tenfold is, the components it bundles with their licences, and the
promise that it never opens a network connection."""

from __future__ import annotations

import platform
import sys
from importlib import metadata
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from guiapp import __version__

NO_NETWORK = (
    "Tenfold never opens a network connection. Your data, models and reports stay on "
    "this computer; nothing is sent anywhere, and nothing is downloaded."
)

# (name shown, distribution, licence (SPDX), what Tenfold uses it for). A component is listed
# when its distribution is installed, that is, when it is in this build.
COMPONENTS = (
    ("Tenfold", "tenfold", "BSD-3-Clause", "this program"),
    ("Python", None, "PSF-2.0", "the language Tenfold is written in"),
    ("Qt", "PySide6-Essentials", "LGPL-3.0-only", "windows, widgets and drawing"),
    ("PySide6 (Qt for Python)", "PySide6-Essentials", "LGPL-3.0-only", "Qt from Python"),
    ("Shiboken6", "shiboken6", "LGPL-3.0-only", "PySide6's binding layer"),
    ("pyqtgraph", "pyqtgraph", "MIT", "interactive plots"),
    ("PyTorch", "torch", "BSD-3-Clause", "networks and training"),
    ("NumPy", "numpy", "BSD-3-Clause", "arrays"),
    ("SciPy", "scipy", "BSD-3-Clause", "statistical tests"),
    ("pandas", "pandas", "BSD-3-Clause", "tables"),
    ("scikit-learn", "scikit-learn", "BSD-3-Clause", "baselines, metrics, demo data"),
    ("optuna", "optuna", "MIT", "hyperparameter search"),
    ("SQLAlchemy", "sqlalchemy", "MIT", "optuna's tuning storage"),
    ("Alembic", "alembic", "MIT", "optuna's storage migrations"),
    ("Captum", "captum", "BSD-3-Clause", "attributions"),
    ("Matplotlib", "matplotlib", "Matplotlib (PSF-style)", "used by Captum"),
    ("Opacus", "opacus", "Apache-2.0", "differential privacy"),
    ("anndata", "anndata", "BSD-3-Clause", ".h5ad files"),
    ("PyArrow", "pyarrow", "Apache-2.0", "Parquet files and fast CSV reading"),
    ("h5py", "h5py", "BSD-3-Clause", "reading .h5ad (AnnData) files"),
    ("openpyxl", "openpyxl", "MIT", "Excel workbooks"),
    ("Pillow", "pillow", "MIT-CMU", "image folders"),
    ("skops", "skops", "MIT", "safe scikit-learn model files"),
    ("safetensors", "safetensors", "Apache-2.0", "model weights"),
    ("huggingface_hub", "huggingface_hub", "Apache-2.0", "model-card format, offline"),
    ("Jinja2", "jinja2", "BSD-3-Clause", "report and model-card templates"),
    ("MarkupSafe", "markupsafe", "BSD-3-Clause", "safe text in templates"),
    ("jsonschema", "jsonschema", "MIT", "model-card validation"),
    ("PyYAML", "pyyaml", "MIT", "model-card metadata"),
    ("platformdirs", "platformdirs", "MIT", "settings and log folders"),
    ("superqt", "superqt", "BSD-3-Clause", "widgets"),
    ("joblib", "joblib", "BSD-3-Clause", "used by scikit-learn"),
    ("threadpoolctl", "threadpoolctl", "BSD-3-Clause", "used by scikit-learn"),
    ("SymPy", "sympy", "BSD-3-Clause", "used by PyTorch"),
    ("NetworkX", "networkx", "BSD-3-Clause", "used by PyTorch"),
    ("Model Card Toolkit schema", None, "Apache-2.0", "the model_card.json schema (v0.0.2)"),
)


def _version(dist: str | None, name: str) -> str | None:
    if dist is None:
        return platform.python_version() if name == "Python" else "0.0.2"
    if name == "Qt":
        try:
            from PySide6 import QtCore

            return QtCore.qVersion()  # the Qt libraries actually loaded
        except ImportError:
            return None
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def bundled_components() -> list[dict]:
    """The components in this installation with version and licence; read from package
    metadata, so nothing heavy (torch) is imported."""
    out = []
    for name, dist, licence, purpose in COMPONENTS:
        version = _version(dist, name)
        if version is not None:
            out.append({"name": name, "version": version, "licence": licence, "purpose": purpose})
    return out


def licences_folder() -> Path | None:
    """The folder of full licence texts that an installed build carries (packaging/build.py)."""
    if not getattr(sys, "frozen", False):
        return None
    here = Path(sys.executable).resolve().parent
    for candidate in (here / "licenses", here.parent / "Resources" / "licenses"):
        if candidate.is_dir():
            return candidate
    return None


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from guiapp.core.study.paths import log_dir
        from guiapp.ui.appearance import app_icon
        from guiapp.ui.settings import settings_file

        self.setObjectName("aboutDialog")
        self.setWindowTitle("About Tenfold")
        self.setAccessibleName("About Tenfold")
        self.resize(640, 620)

        logo = QLabel()
        logo.setPixmap(app_icon().pixmap(96, 96))
        logo.setAccessibleName("Tenfold logo")
        header = QLabel(
            f"<h2>Tenfold {__version__}</h2><p>A guided deep-learning study for biologists, after "
            "<i>Ten Quick Tips for Deep Learning in Biology</i> (Lee et al., PLoS Computational "
            "Biology, 2022). Tenfold is free software under the BSD 3-Clause licence.</p>"
        )
        header.setWordWrap(True)
        self.no_network = QLabel(NO_NETWORK)
        self.no_network.setObjectName("banner")
        self.no_network.setProperty("kind", "privacy")
        self.no_network.setWordWrap(True)
        self.no_network.setAccessibleName("Network use")

        self.components = bundled_components()
        self.table = QTableWidget(len(self.components), 4)
        self.table.setObjectName("components")
        self.table.setAccessibleName("Bundled components and their licences")
        self.table.setHorizontalHeaderLabels(["Component", "Version", "Licence", "Used for"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        for row, c in enumerate(self.components):
            for col, key in enumerate(("name", "version", "licence", "purpose")):
                self.table.setItem(row, col, QTableWidgetItem(c[key]))
        header_view = self.table.horizontalHeader()
        for col in range(3):
            header_view.setSectionResizeMode(col, QHeaderView.ResizeToContents)
        header_view.setSectionResizeMode(3, QHeaderView.Stretch)

        folder = licences_folder()
        where = (
            f"The full licence texts are in {folder}."
            if folder
            else "The full licence texts come with each component's package metadata."
        )
        notes = QLabel(
            f"{where} Qt and PySide6 are used under the GNU LGPL 3.0: you may replace the Qt "
            "libraries in Tenfold's installation folder with your own build of the same version. "
            f"<br><br>Log files: {log_dir()}<br>Settings: {settings_file()}"
        )
        notes.setObjectName("note")
        notes.setWordWrap(True)
        notes.setTextInteractionFlags(Qt.TextSelectableByMouse | Qt.TextSelectableByKeyboard)

        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.Close).setAccessibleName("Close the About dialog")

        layout = QVBoxLayout(self)
        layout.addWidget(logo, 0, Qt.AlignHCenter)
        layout.addWidget(header)
        layout.addWidget(self.no_network)
        heading = QLabel("Bundled components")
        heading.setObjectName("sectionHeading")
        layout.addWidget(heading)
        layout.addWidget(self.table, 1)
        layout.addWidget(notes)
        layout.addWidget(buttons)

    def component_names(self) -> list[str]:
        return [self.table.item(row, 0).text() for row in range(self.table.rowCount())]


def show_about(parent: QWidget) -> AboutDialog:
    """Open the dialog window-modally without blocking (so tests and the event loop go on)."""
    dialog = AboutDialog(parent)
    dialog.setAttribute(Qt.WA_DeleteOnClose)
    dialog.open()
    return dialog
