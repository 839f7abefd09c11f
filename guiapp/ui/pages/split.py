"""Step 5, Split: train / tune / test, with the test set sealed the moment it is drawn (Tip 7).

Group and hold-out-batch strategies are offered only when the study has a group or a batch
column; the batches held out as the test set are picked here or on the Batch-effects page.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSpinBox,
)

from guiapp.core.batch.views import batch_sizes, batches_per_split
from guiapp.core.split import draw as core_split
from guiapp.core.study.vocabulary import SPLIT_STRATEGIES
from guiapp.ui.page_fit import shrinkable
from guiapp.ui.pages.base import StepPage, preview
from guiapp.ui.runner import without_context
from guiapp.ui.widgets import ResultTable, heading, value_label

STRATEGY_WORDS = {
    "stratified": "Stratified: every part keeps the class proportions",
    "random": "Random: samples are shuffled and cut",
    "group": "Grouped: all samples of one donor (group column) stay in one part",
    "batch-holdout": "Hold out batches: whole batches form the test set",
    "batch-label-stratified": "Batch × label stratified: every batch and class in each part, in proportion",
}
NEEDS = {  # strategy -> (the DataState field it needs, why it is off without it)
    "group": (
        "group",
        "Needs a group column (donor, patient, animal, cell line): set it on the Data "
        "page or with a suggestion on the Batch-effects page.",
    ),
    "batch-holdout": ("batch", "Needs a batch column (run, plate, site, day): choose it on the Data page."),
    "batch-label-stratified": ("batch", "Needs a batch column (run, plate, site, day): choose it on the Data page."),
}
MAX_BATCH_NAMES = 4


class SplitPage(StepPage):
    step_id = "split"
    intro = (
        "The network learns on the training split, you choose its settings on the tune "
        "split, and the test split is locked away until the very end. A score is only "
        "honest on samples that neither the model nor your choices have seen."
    )

    def build(self) -> None:
        self._shown: tuple = ()
        form = QFormLayout()
        self.strategy = shrinkable(QComboBox())  # its longest choice would widen the page
        self.strategy.setAccessibleName("Split strategy")
        self.strategy.setToolTip(
            "Stratified keeps rare classes in every part; grouped keeps donors "
            "apart; holding out batches tests on batches the model never saw."
        )
        for value in SPLIT_STRATEGIES:  # what this core offers, in plain words
            self.strategy.addItem(STRATEGY_WORDS.get(value, value), value)
        self.strategy.currentIndexChanged.connect(self._show_picker)
        form.addRow("How to split:", self.strategy)
        self.holdout = QListWidget()
        self.holdout.setAccessibleName("Batches held out as the test set")
        self.holdout.setToolTip(
            "Tick the batches that form the test set. With none ticked, batches are "
            "drawn with the seed until they hold about the test fraction."
        )
        self.holdout.setMaximumHeight(110)
        form.addRow("Test batches:", self.holdout)
        self.test = self._percent("Test set size", "Share of samples locked away for the final evaluation.")
        form.addRow("Test set:", self.test)
        self.tune = self._percent("Tune set size", "Share of samples used to choose settings and compare models.")
        form.addRow("Tune set:", self.tune)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setAccessibleName("Random seed")
        self.seed.setToolTip("The same seed draws the same split every time (Tip 3).")
        form.addRow("Random seed:", self.seed)
        self.keep_copies = QCheckBox("Keep copies of a sample together (exact and near copies on one side)")
        self.keep_copies.setAccessibleName("Keep copies together")
        self.keep_copies.setToolTip(
            "A sample tested against its own copy inflates the score (Tip 7): each "
            "cluster of copies goes to one part of the split."
        )
        form.addRow("Copies:", self.keep_copies)
        self.form = form
        self.body.addLayout(form)

        row = QHBoxLayout()
        self.draw = self.action(QPushButton("Draw split and seal test set"))
        self.main_action = self.draw  # the page's main control: in view without scrolling
        self.draw.setObjectName("primary")
        self.draw.setToolTip(
            "Assign every sample to train, tune or test. The test samples are sealed until the final evaluation."
        )
        self.draw.clicked.connect(self._draw_split)
        row.addWidget(self.draw)
        row.addStretch(1)
        self.body.addLayout(row)
        # Remedies for a batch confounded with the label, offered where the split is drawn.
        remedies = QHBoxLayout()
        self.leave_batch_out = self.action(QPushButton("Use leave-batch-out evaluation"))
        self.leave_batch_out.setToolTip(
            "Batch is confounded with the label: hold out whole batches as the "
            "test set, so the score says how a new batch fares."
        )
        self.leave_batch_out.clicked.connect(lambda: self._split_remedy("batch-holdout"))
        self.batch_strata = self.action(QPushButton("Use a batch × label stratified split"))
        self.batch_strata.setToolTip("Keep every batch × class cell in each part, in proportion.")
        self.batch_strata.clicked.connect(lambda: self._split_remedy("batch-label-stratified"))
        remedies.addWidget(self.leave_batch_out)
        remedies.addWidget(self.batch_strata)
        remedies.addStretch(1)
        self.body.addLayout(remedies)

        self.body.addWidget(heading("Samples per split"))
        self.sealed = value_label("Test set seal")
        self.body.addWidget(self.sealed)
        self.design = value_label("How the split was drawn")
        self.body.addWidget(self.design)
        self.table = ResultTable("Samples per split and class")
        self.body.addWidget(self.table)

    def _percent(self, name: str, tip: str) -> QSpinBox:
        box = QSpinBox()
        box.setRange(5, 50)
        box.setSingleStep(5)
        box.setSuffix(" %")
        box.setAccessibleName(name)
        box.setToolTip(tip)
        return box

    def reset(self) -> None:
        super().reset()
        self._shown = ()  # another study: read its settings afresh

    # ----- the study into the widgets ----------------------------------------------------------
    def arrival_action(self) -> QPushButton | None:
        """On arrival: the split, drawn with the strategy shown; it can be redrawn until the test set is used.

        Not when the batch is confounded with the label: then the user chooses the remedy's split.
        """
        s = self.study
        confounded = s.batch.confounded and bool(s.data.batch)
        return self.draw if not s.split.sealed and s.split.test_uses == 0 and not confounded else None

    def refresh(self) -> None:
        s, d = self.study.split, self.study.data
        self._enable_strategies()
        # Re-read the settings only when the study's own changed: a refresh must not undo a
        # choice the user made here and has not drawn yet.
        sizes = batch_sizes(self.study)
        shown = (
            s.strategy,
            s.test_fraction,
            s.tune_fraction,
            s.seed,
            tuple(s.holdout_batches),
            tuple(s.test_batches),
            tuple(sizes.items()),
            d.batch,
            d.group,
        )
        if shown != self._shown:
            self._shown = shown
            self.strategy.blockSignals(True)
            self.strategy.setCurrentIndex(max(self.strategy.findData(s.strategy), 0))
            self.strategy.blockSignals(False)
            self.test.setValue(round(s.test_fraction * 100))
            self.tune.setValue(round(s.tune_fraction * 100))
            self.seed.setValue(s.seed)
            self.keep_copies.setChecked(s.keep_copies_together)
            held = set(s.holdout_batches or s.test_batches)
            self.holdout.clear()
            for name, n in sizes.items():
                item = QListWidgetItem(f"{name} ({n:,} samples)")
                item.setData(Qt.UserRole, name)
                item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
                item.setCheckState(Qt.Checked if name in held else Qt.Unchecked)
                self.holdout.addItem(item)
        self._show_picker()
        if s.sealed:
            self.sealed.setText(
                f"Test set sealed: {len(s.test_idx):,} samples, hash {s.test_hash[:12]}…"
                + (f" Used {s.test_uses} time(s) for the final evaluation." if s.test_uses else "")
            )
            self.design.setText(self._design_text())
            self._fill_table()
            self.table.show()
        else:
            self.sealed.setText("No split drawn yet.")
            self.design.setText("")
            self.table.hide()
        super().refresh()

    def _enable_strategies(self) -> None:
        d = self.study.data
        model = self.strategy.model()
        for i in range(self.strategy.count()):
            need = NEEDS.get(self.strategy.itemData(i))
            ok = need is None or bool(getattr(d, need[0]))
            model.item(i).setEnabled(ok)
            self.strategy.setItemData(i, None if ok else need[1], Qt.ToolTipRole)

    def _show_picker(self, *_args) -> None:
        on = self.strategy.currentData() == "batch-holdout"
        self.holdout.setVisible(on)
        self.form.labelForField(self.holdout).setVisible(on)

    def held_out(self) -> list:
        """The batches ticked in the picker."""
        return [
            self.holdout.item(i).data(Qt.UserRole)
            for i in range(self.holdout.count())
            if self.holdout.item(i).checkState() == Qt.Checked
        ]

    def _design_text(self) -> str:
        s, d = self.study.split, self.study.data
        text = f"Drawn with: {STRATEGY_WORDS.get(s.strategy, s.strategy).split(':')[0].lower()} split"
        if s.strategy == "batch-holdout" and s.test_batches:
            text += f"; the test set holds whole batches of '{d.batch}': {', '.join(s.test_batches)}"
        if s.n_groups:
            text += f"; each '{d.group}' group sits in one part only"
        return " ".join([text + "."] + [r["text"] for r in s.remedies])

    def _fill_table(self) -> None:
        s, d = self.study.split, self.study.data
        parts = ("train", "tune", "test")
        sizes = {name: len(getattr(s, f"{name}_idx")) for name in parts}
        if self.study.is_classification:
            classes = sorted({c for counts in s.counts.values() for c in counts})
            headers = ["split", *classes, "total"]
            rows = [[name, *[s.counts.get(name, {}).get(c, 0) for c in classes], sizes[name]] for name in parts]
        else:
            headers, rows = ["split", "samples"], [[name, sizes[name]] for name in parts]
        if s.n_groups:
            headers.append(f"groups ('{d.group}')")
            for row, name in zip(rows, parts, strict=False):
                row.append(s.n_groups.get(name, ""))
        per_batch = batches_per_split(self.study)
        if per_batch:
            headers.append(f"batches ('{d.batch}')")
            for row, name in zip(rows, parts, strict=False):
                names = list(per_batch.get(name, {}))
                row.append(", ".join(names) if len(names) <= MAX_BATCH_NAMES else f"{len(names)} batches")
        self.table.fill(headers, rows)

    def update_actions(self) -> None:
        self.draw.setEnabled(self.study.split.test_uses == 0)
        confounded = self.study.batch.confounded and bool(self.study.data.batch)
        for button in (self.leave_batch_out, self.batch_strata):
            button.setVisible(confounded)
            button.setEnabled(confounded and self.study.split.test_uses == 0)
        if self.study.split.test_uses:
            self.draw.setToolTip("The test set was already used: the split cannot change now (Tip 7).")

    # ----- actions -----------------------------------------------------------------------------
    def _draw_split(self) -> None:
        s = self.study.split
        if s.sealed:
            answer = QMessageBox.question(
                self,
                "Draw a new split?",
                "Drawing a new split throws away the baselines and the trained network, because "
                "they were fitted on the old training split. Draw a new split anyway?",
            )
            if answer != QMessageBox.Yes:
                return
        s.strategy = self.strategy.currentData()
        s.test_fraction = self.test.value() / 100
        s.tune_fraction = self.tune.value() / 100
        s.seed = self.seed.value()
        s.keep_copies_together = self.keep_copies.isChecked()
        if s.strategy == "batch-holdout":
            s.holdout_batches = self.held_out()
        self.run_task(
            without_context(core_split.split_study),
            {"study": self.study},
            name="drawing the split",
            on_result=lambda _none: self.show_info("Split drawn; the test set is sealed."),
        )

    def _split_remedy(self, remedy: str) -> None:
        """Leave-batch-out or batch × label strata for a confounded batch: the core step draws it."""
        if self.study.baselines.results or self.study.train.weights:
            answer = QMessageBox.question(
                self,
                "Draw a new split?",
                "The remedy draws a new split and throws away the baselines and the trained network "
                "fitted on the old one. Apply it anyway?",
            )
            if answer != QMessageBox.Yes:
                return
        self.study.split.keep_copies_together = self.keep_copies.isChecked()
        if remedy == "batch-holdout":
            self.study.split.holdout_batches = self.held_out()
        from guiapp.core.split.remedy_actions import apply_split_remedy  # not needed at window open

        self.run_task(
            without_context(apply_split_remedy),
            {"study": self.study, "remedy": remedy},
            name="applying the remedy",
            on_result=lambda _none: self.show_info(
                "Remedy applied; the split is drawn and recorded in the model card."
            ),
        )


if __name__ == "__main__":
    raise SystemExit(preview(SplitPage))
