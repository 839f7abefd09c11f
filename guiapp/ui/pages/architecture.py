"""Step 7, Architecture: a small multilayer perceptron for tables, sized against the data
(Tips 5 and 3)."""

from __future__ import annotations

from PySide6.QtWidgets import QDoubleSpinBox, QFormLayout, QHBoxLayout, QPushButton, QSpinBox

from guiapp.core import architecture
from guiapp.core.errors import TenfoldError
from guiapp.ui.pages.base import StepPage, preview
from guiapp.ui.widgets import heading, note, value_label


class ArchitecturePage(StepPage):
    step_id = "architecture"
    intro = ("For a table of measurements Tenfold uses a multilayer perceptron: layers of units "
             "that each combine all the features. Start small. A network with many more "
             "parameters than training samples memorises them instead of learning.")

    def build(self) -> None:
        self.body.addWidget(note("Network type: multilayer perceptron (MLP) for tabular data. The "
                                 "features are standardised inside the network with statistics "
                                 "from the training split only."))
        form = QFormLayout()
        self.width = QSpinBox()
        self.width.setRange(2, 4096)
        self.width.setAccessibleName("Units per hidden layer")
        self.width.setToolTip("How many units each hidden layer has. Fewer units: a simpler model.")
        form.addRow("Units per hidden layer:", self.width)
        self.depth = QSpinBox()
        self.depth.setRange(1, 8)
        self.depth.setAccessibleName("Hidden layers")
        self.depth.setToolTip("How many hidden layers the network has. One or two suit most tables.")
        form.addRow("Hidden layers:", self.depth)
        self.dropout = QDoubleSpinBox()
        self.dropout.setRange(0.0, 0.9)
        self.dropout.setSingleStep(0.05)
        self.dropout.setDecimals(2)
        self.dropout.setAccessibleName("Dropout")
        self.dropout.setToolTip("Share of units switched off at random while training; it curbs overfitting.")
        form.addRow("Dropout:", self.dropout)
        self.body.addLayout(form)
        for box in (self.width, self.depth, self.dropout):
            box.valueChanged.connect(self._on_value)

        row = QHBoxLayout()
        self.use = self.action(QPushButton("Use this architecture"))
        self.use.setObjectName("primary")
        self.use.setToolTip("Record these settings in the study; training uses them.")
        self.use.clicked.connect(self._record)
        row.addWidget(self.use)
        row.addStretch(1)
        self.body.addLayout(row)

        self.body.addWidget(heading("Size"))
        self.size = value_label("Network size")
        self.body.addWidget(self.size)

    def refresh(self) -> None:
        a = self.study.architecture
        for box, value in ((self.width, a.width), (self.depth, a.depth), (self.dropout, a.dropout)):
            box.blockSignals(True)
            box.setValue(value)
            box.blockSignals(False)
        reading = architecture.size_reading(self.study)
        self.size.setText(reading or "Press 'Use this architecture' to record the size and see the parameter count.")
        super().refresh()

    def _on_value(self, _value) -> None:
        # Live while the arrows are held; the study is saved once they are released.
        if self._set():
            self.size.setText(architecture.size_reading(self.study))
            self.changed_soon()

    def _record(self) -> None:
        if self._set():
            self.changed()

    def _set(self) -> bool:
        self.error.clear_message()
        try:
            architecture.set_architecture(self.study, width=self.width.value(), depth=self.depth.value(),
                                          dropout=self.dropout.value())
        except TenfoldError as exc:
            self.show_error(str(exc))
            return False
        return True


if __name__ == "__main__":
    raise SystemExit(preview(ArchitecturePage))
