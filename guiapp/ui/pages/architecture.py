"""Step 7, Architecture: the network recommended for the data, started small and sized against the
data, its settings searched with the baselines' budget, optionally started from a local checkpoint
(Tips 5, 3 and 6)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
)

from guiapp.core.evaluation import verdict
from guiapp.core.models import network_search, transfer, tuning
from guiapp.core.models import recommend as architecture
from guiapp.core.models.catalogue import NAMES
from guiapp.core.models.grid_networks import kinds_for
from guiapp.core.study.errors import TenfoldError
from guiapp.ui.pages.base import StepPage, preview
from guiapp.ui.why_disabled import enable
from guiapp.ui.widgets import ResultTable, heading, note, value_label

CHECKPOINT_FILTER = "Weights (*.safetensors *.pt *.pth *.bin);;All files (*)"
# What "width" and "depth" mean for each kind, in the form's words.
SHAPE_WORDS = {
    "mlp": ("Units per hidden layer:", "Hidden layers:"),
    "cnn1d": ("Filters per convolution:", "Convolution layers:"),
    "cnn2d": ("Filters in the first convolution (doubling after each):", "Convolution layers:"),
    "transformer": ("Model width (attention and embedding):", "Encoder layers:"),
}


class ArchitecturePage(StepPage):
    step_id = "architecture"
    intro = (
        "The data's form decides the network: a multilayer perceptron for a table of measurements, "
        "convolutions for sequences and images. Start small. A network with many more parameters "
        "than training samples memorises them instead of learning."
    )

    def build(self) -> None:
        self.recommended = note("")
        self.body.addWidget(self.recommended)
        form = QFormLayout()
        self.shape_form = form
        self.kind = QComboBox()
        self.kind.setAccessibleName("Network kind")
        self.kind.setToolTip(
            "The kind of network. Only the kinds that fit the data's form are offered: "
            "tables train an MLP; sequences a 1D CNN, a small transformer or an MLP; "
            "images a small 2D CNN or an MLP."
        )
        self.kind.currentIndexChanged.connect(self._on_kind)
        form.addRow("Network:", self.kind)
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
        self._label_shape("mlp")

        row = QHBoxLayout()
        self.use = self.action(QPushButton("Use this architecture"))
        self.main_action = self.use  # the page's main button: in view when the page opens
        self.use.setObjectName("primary")
        self.use.setToolTip("Record these settings in the study; training uses them.")
        self.use.clicked.connect(self._record)
        row.addWidget(self.use)
        row.addStretch(1)
        self.body.addLayout(row)

        self.body.addWidget(heading("Size"))
        self.size = value_label("Network size")
        self.body.addWidget(self.size)

        self.body.addWidget(heading("Hyperparameter search (Tip 6)"))
        self.body.addWidget(
            note(
                "Short trainings try widths, depths, dropout, learning rates, weight decay, "
                "batch sizes and optimizers (AdamW, Adam, SGD: adaptive methods can generalise "
                "worse, Tip 3); trials that trail the median are stopped early. The best "
                "settings replace the ones above and on the Train page."
            )
        )
        form = QFormLayout()
        self.budget = QSpinBox()
        self.budget.setRange(1, 10000)
        self.budget.setAccessibleName("Network trials")
        self.budget.setToolTip("Trials of the network's search: give it the baselines' budget (Tip 2).")
        self.budget.valueChanged.connect(self._on_search_settings)
        form.addRow("Trials:", self.budget)
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 100000)
        self.epochs.setAccessibleName("Epochs per trial")
        self.epochs.setToolTip(
            "Each trial trains at most this many epochs (and no more than the Train page's maximum)."
        )
        self.epochs.valueChanged.connect(self._on_search_settings)
        form.addRow("Epochs per trial:", self.epochs)
        self.body.addLayout(form)
        self.budget_text = value_label("Tuning budgets")
        self.body.addWidget(self.budget_text)
        self.search = self.action(QPushButton("Search the network's settings"))
        self.search.setToolTip("Run the search; a stopped search continues where it stopped.")
        self.search.clicked.connect(self._search)
        self.add_run_controls(self.search, cancel_tip="Stop the search; finished trials are kept.", what="Search")
        self.search_table = ResultTable("Network search")
        self.body.addWidget(self.search_table)

        self.body.addWidget(heading("Start from a pretrained network (Tip 5)"))
        self.body.addWidget(
            note(
                "A local checkpoint (safetensors, or a PyTorch state dict) whose layers match "
                "this network by name and shape. Nothing is downloaded."
            )
        )
        row = QHBoxLayout()
        self.checkpoint = QLineEdit()
        self.checkpoint.setAccessibleName("Checkpoint file")
        self.checkpoint.setPlaceholderText("Path of a .safetensors or .pt file")
        self.checkpoint.textChanged.connect(
            lambda text: self.load.setEnabled(bool(text.strip()) and not self.session.runner.busy)
        )
        self._shown_checkpoint = None
        self.browse = self.action(QPushButton("Browse…"))
        self.browse.clicked.connect(self._browse)
        row.addWidget(self.checkpoint, 1)
        row.addWidget(self.browse)
        self.body.addLayout(row)
        row = QHBoxLayout()
        self.freeze = QCheckBox("Freeze the loaded layers (train only the rest)")
        self.freeze.setAccessibleName("Freeze loaded layers")
        self.freeze.setToolTip("Frozen: the loaded layers keep their weights. Unticked: every layer is fine-tuned.")
        self.load = self.action(QPushButton("Load matching layers"))
        self.load.clicked.connect(self._load_checkpoint)
        self.clear = self.action(QPushButton("Start from scratch"))
        self.clear.clicked.connect(self._clear_checkpoint)
        row.addWidget(self.freeze)
        row.addStretch(1)
        row.addWidget(self.load)
        row.addWidget(self.clear)
        self.body.addLayout(row)
        self.transfer_text = value_label("Transfer report")
        self.body.addWidget(self.transfer_text)

    # ----- study → widgets ----------------------------------------------------------------
    def refresh(self) -> None:
        architecture.prefill_recommended(self.study)  # the form starts at what the page recommends
        a, t = self.study.architecture, self.study.train
        kinds = kinds_for(self.study.data.modality or "table")
        self.kind.blockSignals(True)
        if [self.kind.itemData(i) for i in range(self.kind.count())] != list(kinds):
            self.kind.clear()
            for k in kinds:
                self.kind.addItem(NAMES[k][0].upper() + NAMES[k][1:], k)
        self.kind.setCurrentIndex(max(self.kind.findData(a.kind), 0))
        self.kind.blockSignals(False)
        self._label_shape(a.kind)
        for box, value in (
            (self.width, a.width),
            (self.depth, a.depth),
            (self.dropout, a.dropout),
            (self.budget, max(t.budget_trials, 1)),
            (self.epochs, self.study.tuning.epochs),
        ):
            box.blockSignals(True)
            box.setValue(value)
            box.blockSignals(False)
        if self.study.data.feature_columns:
            r = architecture.recommendation(self.study)
            modality = self.study.data.modality or "table"
            self.recommended.setText(
                f"Recommended for {modality} data: {NAMES[r.kind]}. {r.reason} "
                "The features are standardised inside the network with statistics from "
                "the training split only."
            )
        reading = architecture.size_reading(self.study)
        self.size.setText(reading or "Press 'Use this architecture' to record the size and see the parameter count.")
        self.budget_text.setText(self._budget_text())
        if not self.running:
            self._fill_search()
        if a.pretrained != self._shown_checkpoint:  # never overwrite a path the user is typing
            self._shown_checkpoint = a.pretrained
            self.checkpoint.setText(a.pretrained)
            self.freeze.setChecked(a.freeze)
        self.transfer_text.setText(a.transfer.get("text", ""))
        super().refresh()

    def _budget_text(self) -> str:
        b, n = self.study.baselines.budget_trials, self.study.train.budget_trials
        text = tuning.budget_report(self.study)["text"]
        if b != n:
            text += f" The baselines' budget is {b} trials per model and the network's {n}: make them equal (Tip 2)."
        return text

    def _fill_search(self) -> None:
        net = self.study.tuning.network
        if not net:
            self.search_table.fill(["setting"], [["The network's settings have not been searched yet."]])
            return
        rows = [[name, space, _value(net["best_params"].get(name))] for name, space in net["search_space"].items()]
        rows.append(["tune score", net.get("metric", ""), _value(net.get("best_value"))])
        rows.append(
            [
                "trials",
                f"{net['n_trials']} of {net['budget']} ({net['n_pruned']} pruned, {net['n_failed']} failed)",
                f"best: trial {net['best_trial']}",
            ]
        )
        self.search_table.fill(["setting", "search space", "best"], rows)

    def update_actions(self) -> None:
        enable(
            self.search,
            "Load the data first (Data page)."
            if not self.study.data.feature_columns
            else ""
            if self.study.split.sealed
            else "Draw the split first (Split page): the search scores on the tune part.",
        )
        enable(self.load, "" if self.checkpoint.text().strip() else "Choose a checkpoint file first.")

    # ----- widgets → study ----------------------------------------------------------------
    def _on_value(self, _value) -> None:
        # Live while the arrows are held; the study is saved once they are released.
        if self._set():
            self.size.setText(architecture.size_reading(self.study))
            self.changed_soon()

    def _on_kind(self, _index: int) -> None:
        self._label_shape(self.kind.currentData())
        if self._set():
            self.size.setText(architecture.size_reading(self.study))
            self.changed()

    def _label_shape(self, kind) -> None:
        width_words, depth_words = SHAPE_WORDS.get(kind, SHAPE_WORDS["mlp"])
        for box, words in ((self.width, width_words), (self.depth, depth_words)):
            self.shape_form.labelForField(box).setText(words)
            box.setAccessibleName(words.rstrip(":"))

    def _on_search_settings(self, _value) -> None:
        self.study.train.budget_trials, self.study.tuning.epochs = self.budget.value(), self.epochs.value()
        self.budget_text.setText(self._budget_text())
        self.changed_soon()

    def _record(self) -> None:
        if self._set():
            self.changed()

    def _set(self) -> bool:
        self.error.clear_message()
        try:
            architecture.set_architecture(
                self.study,
                width=self.width.value(),
                depth=self.depth.value(),
                dropout=self.dropout.value(),
                kind=self.kind.currentData() or None,
            )
        except TenfoldError as exc:
            self.show_error(str(exc))
            return False
        return True

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a checkpoint", "", CHECKPOINT_FILTER)
        if path:
            self.checkpoint.setText(path)
            self.update_actions()

    def _load_checkpoint(self) -> None:
        try:
            transfer.set_pretrained(self.study, self.checkpoint.text(), freeze=self.freeze.isChecked())
        except TenfoldError as exc:
            self.show_error(str(exc))
            return
        self.changed()
        self.show_info(self.study.architecture.transfer.get("text", ""))

    def _clear_checkpoint(self) -> None:
        transfer.set_pretrained(self.study, "")
        self.changed()

    # ----- the search ---------------------------------------------------------------------
    def _search(self) -> None:
        self.start_run(
            network_search.tune_network,
            {"study": self.study},
            name="searching the network's settings",
            starting="Starting… (the first trial loads the deep-learning library)",
            on_result=self._searched,
            on_cancelled=self._cancelled,
        )

    def _searched(self, record: dict) -> None:
        verdict.refresh_findings(self.study)  # the budgets compared, equal or not (bookkeeping)
        self.status.setText(
            f"Searched {record['n_trials']} trials in {record['seconds']:.0f} s; the best settings "
            "are recorded. Train the network with them on the Train page."
        )
        self.show_info("The best settings are recorded here and on the Train page.")

    def _cancelled(self) -> None:
        self.status.setText("Stopped. The finished trials are kept: search again to continue.")
        self.show_info("Search stopped; finished trials are kept in the study's tuning storage.")


def _value(v) -> str:
    if v is None:
        return "—"
    return f"{v:.4g}" if isinstance(v, float) else str(v)


if __name__ == "__main__":
    raise SystemExit(preview(ArchitecturePage))
