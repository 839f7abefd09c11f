"""Step 7, Architecture: the network recommended for the data, started small and sized against the
data, its settings searched with the baselines' budget, optionally started from a local checkpoint
(Tips 5, 3 and 6)."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QLineEdit, QPushButton, QSpinBox

from guiapp.core.evaluation import verdict
from guiapp.core.models import network_search, transfer, tuning
from guiapp.core.models import recommend as architecture
from guiapp.core.models.catalogue import NAMES
from guiapp.core.models.grid_networks import kinds_for
from guiapp.core.study.errors import TenfoldError
from guiapp.ui.forms import STRETCH, Button, Field, Form, button_row, make_button
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


SHAPE_FIELDS = (
    Field(
        "kind",
        "Network:",
        "combo",
        "The kind of network. Only the kinds that fit the data's form are offered: "
        "tables train an MLP; sequences a 1D CNN, a small transformer or an MLP; "
        "images a small 2D CNN or an MLP.",
        "Network kind",
        on_change="_on_kind",
    ),
    Field(
        "width",
        "Units per hidden layer:",
        "spin",
        "How many units each hidden layer has. Fewer units: a simpler model.",
        "Units per hidden layer",
        low=2,
        high=4096,
        on_change="_on_value",
        bind="architecture.width",
    ),
    Field(
        "depth",
        "Hidden layers:",
        "spin",
        "How many hidden layers the network has. One or two suit most tables.",
        "Hidden layers",
        low=1,
        high=8,
        on_change="_on_value",
        bind="architecture.depth",
    ),
    Field(
        "dropout",
        "Dropout:",
        "double",
        "Share of units switched off at random while training; it curbs overfitting.",
        "Dropout",
        low=0.0,
        high=0.9,
        step=0.05,
        decimals=2,
        on_change="_on_value",
        bind="architecture.dropout",
    ),
)
USE_ROW = (
    Button(
        "use",
        "Use this architecture",
        "Record these settings in the study; training uses them.",
        "_record",
        primary=True,
    ),
    STRETCH,
)
SEARCH_NOTE = (
    "Short trainings try widths, depths, dropout, learning rates, weight decay, "
    "batch sizes and optimizers (AdamW, Adam, SGD: adaptive methods can generalise "
    "worse, Tip 3); trials that trail the median are stopped early. The best "
    "settings replace the ones above and on the Train page."
)
SEARCH_FIELDS = (
    Field(
        "budget",
        "Trials:",
        "spin",
        "Trials of the network's search: give it the baselines' budget (Tip 2).",
        "Network trials",
        bind="train.budget_trials",
        low=1,
        high=10000,
        on_change="_on_search_settings",
    ),
    Field(
        "epochs",
        "Epochs per trial:",
        "spin",
        "Each trial trains at most this many epochs (and no more than the Train page's maximum).",
        "Epochs per trial",
        bind="tuning.epochs",
        low=1,
        high=100000,
        on_change="_on_search_settings",
    ),
)
SEARCH_BUTTON = Button(
    "search", "Search the network's settings", "Run the search; a stopped search continues where it stopped.", "_search"
)
PRETRAINED_NOTE = (
    "A local checkpoint (safetensors, or a PyTorch state dict) whose layers match "
    "this network by name and shape. Nothing is downloaded."
)
CHECKPOINT_ROW = (
    Field(
        "checkpoint",
        kind="line",
        accessible="Checkpoint file",
        placeholder="Path of a .safetensors or .pt file",
        on_change="_on_checkpoint_text",
        signal="textChanged",
        stretch=1,
    ),
    Button("browse", "Browse…", on_click="_browse"),
)
TRANSFER_ROW = (
    Field(
        "freeze",
        kind="check",
        text="Freeze the loaded layers",  # short: it shares the row with two buttons
        accessible="Freeze loaded layers",
        tip="Frozen: the loaded layers keep their weights and only the rest is trained. Unticked: every layer is fine-tuned.",
    ),
    STRETCH,
    Button("load", "Load matching layers", on_click="_load_checkpoint"),
    Button("clear", "Start from scratch", on_click="_clear_checkpoint"),
)


class ArchitecturePage(StepPage):
    step_id = "architecture"
    # Built from the field and button tables above.
    kind: QComboBox  # and width and depth: QSpinBox (names Qt's QWidget also uses)
    dropout: QDoubleSpinBox
    use: QPushButton
    budget: QSpinBox
    epochs: QSpinBox
    search: QPushButton
    checkpoint: QLineEdit
    browse: QPushButton
    freeze: QCheckBox
    load: QPushButton
    clear: QPushButton
    intro = (
        "The data's form decides the network: a multilayer perceptron for a table of measurements, "
        "convolutions for sequences and images. Start small. A network with many more parameters "
        "than training samples memorises them instead of learning."
    )

    def build(self) -> None:
        self.recommended = note("")
        self.body.addWidget(self.recommended)
        self.form = Form(self, SHAPE_FIELDS)
        self.shape_form = self.form.layout
        self.body.addLayout(self.shape_form)
        self._label_shape("mlp")
        self.body.addLayout(button_row(self, USE_ROW))
        self.main_action = self.use  # the page's main button: in view when the page opens

        self.body.addWidget(heading("Size"))
        self.size = value_label("Network size")
        self.body.addWidget(self.size)

        self.body.addWidget(heading("Hyperparameter search (Tip 6)"))
        self.body.addWidget(note(SEARCH_NOTE))
        self.search_form = Form(self, SEARCH_FIELDS)
        self.body.addLayout(self.search_form.layout)
        self.budget_text = value_label("Tuning budgets")
        self.body.addWidget(self.budget_text)
        search = make_button(self, SEARCH_BUTTON)
        self.add_run_controls(search, cancel_tip="Stop the search; finished trials are kept.", what="Search")
        self.search_table = ResultTable("Network search")
        self.body.addWidget(self.search_table)

        self.body.addWidget(heading("Start from a pretrained network (Tip 5)"))
        self.body.addWidget(note(PRETRAINED_NOTE))
        self._shown_checkpoint = None
        self.body.addLayout(button_row(self, CHECKPOINT_ROW))
        self.body.addLayout(button_row(self, TRANSFER_ROW))
        self.transfer_text = value_label("Transfer report")
        self.body.addWidget(self.transfer_text)

    # ----- study → widgets ----------------------------------------------------------------
    def arrival_action(self) -> QPushButton | None:
        """On arrival: the recommended design, applied; change it here and press the button again."""
        return self.use if not self.study.architecture.n_params else None

    def refresh(self) -> None:
        architecture.prefill_recommended(self.study)  # the form starts at what the page recommends
        a = self.study.architecture
        kinds = kinds_for(self.study.data.modality or "table")
        self.kind.blockSignals(True)
        if [self.kind.itemData(i) for i in range(self.kind.count())] != list(kinds):
            self.kind.clear()
            for k in kinds:
                self.kind.addItem(NAMES[k][0].upper() + NAMES[k][1:], k)
        self.kind.setCurrentIndex(max(self.kind.findData(a.kind), 0))
        self.kind.blockSignals(False)
        self._label_shape(a.kind)
        self.form.load(self.study, quiet=True)  # width, depth, dropout
        self.search_form.load(self.study, quiet=True)  # trials (at least 1) and epochs per trial
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
    def _on_value(self, _value: float) -> None:
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
        self.search_form.save(self.study)  # train.budget_trials and tuning.epochs
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

    def _on_checkpoint_text(self, text: str) -> None:
        self.load.setEnabled(bool(text.strip()) and not self.session.runner.busy)

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
