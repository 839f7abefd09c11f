"""Step 5, Split: train / tune / test, with the test set sealed the moment it is drawn (Tip 7)."""

from __future__ import annotations

from PySide6.QtWidgets import (QComboBox, QFormLayout, QHBoxLayout, QMessageBox, QPushButton,
                               QSpinBox)

from guiapp.core import split as core_split
from guiapp.ui.pages.base import StepPage, preview
from guiapp.ui.widgets import ResultTable, heading, value_label

STRATEGY_WORDS = {
    "stratified": "Stratified: every part keeps the class proportions",
    "random": "Random: samples are shuffled and cut",
    "group": "Grouped: all samples of one donor (group column) stay in one part",
    "batch-holdout": "Hold out batches: whole batches form the test set",
}


class SplitPage(StepPage):
    step_id = "split"
    intro = ("The network learns on the training split, you choose its settings on the tune "
             "split, and the test split is locked away until the very end. A score is only "
             "honest on samples that neither the model nor your choices have seen.")

    def build(self) -> None:
        form = QFormLayout()
        self.strategy = QComboBox()
        self.strategy.setAccessibleName("Split strategy")
        self.strategy.setToolTip("Stratified keeps rare classes in every part; random ignores the classes.")
        for value in core_split.STRATEGIES:  # what this core offers, in plain words
            self.strategy.addItem(STRATEGY_WORDS.get(value, value), value)
        form.addRow("How to split:", self.strategy)
        self.test = self._percent("Test set size", "Share of samples locked away for the final evaluation.")
        form.addRow("Test set:", self.test)
        self.tune = self._percent("Tune set size", "Share of samples used to choose settings and compare models.")
        form.addRow("Tune set:", self.tune)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setAccessibleName("Random seed")
        self.seed.setToolTip("The same seed draws the same split every time (Tip 3).")
        form.addRow("Random seed:", self.seed)
        self.body.addLayout(form)

        row = QHBoxLayout()
        self.draw = self.action(QPushButton("Draw split and seal test set"))
        self.draw.setObjectName("primary")
        self.draw.setToolTip("Assign every sample to train, tune or test. The test samples are sealed "
                             "until the final evaluation.")
        self.draw.clicked.connect(self._draw_split)
        row.addWidget(self.draw)
        row.addStretch(1)
        self.body.addLayout(row)

        self.body.addWidget(heading("Samples per split"))
        self.sealed = value_label("Test set seal")
        self.body.addWidget(self.sealed)
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

    def refresh(self) -> None:
        s = self.study.split
        self.strategy.setCurrentIndex(max(self.strategy.findData(s.strategy), 0))
        self.test.setValue(round(s.test_fraction * 100))
        self.tune.setValue(round(s.tune_fraction * 100))
        self.seed.setValue(s.seed)
        if s.sealed:
            self.sealed.setText(f"Test set sealed: {len(s.test_idx):,} samples, hash {s.test_hash[:12]}…"
                                + (f" Used {s.test_uses} time(s) for the final evaluation." if s.test_uses else ""))
            sizes = {name: len(getattr(s, f"{name}_idx")) for name in ("train", "tune", "test")}
            if self.study.is_classification:
                classes = sorted({c for counts in s.counts.values() for c in counts})
                headers = ["split", *classes, "total"]
                rows = [[name, *[s.counts.get(name, {}).get(c, 0) for c in classes], n]
                        for name, n in sizes.items()]
            else:
                headers, rows = ["split", "samples"], [[name, n] for name, n in sizes.items()]
            self.table.fill(headers, rows)
            self.table.show()
        else:
            self.sealed.setText("No split drawn yet.")
            self.table.hide()
        super().refresh()

    def update_actions(self) -> None:
        self.draw.setEnabled(self.study.split.test_uses == 0)
        if self.study.split.test_uses:
            self.draw.setToolTip("The test set was already used: the split cannot change now (Tip 7).")

    def _draw_split(self) -> None:
        s = self.study.split
        if s.sealed:
            answer = QMessageBox.question(
                self, "Draw a new split?",
                "Drawing a new split throws away the baselines and the trained network, because "
                "they were fitted on the old training split. Draw a new split anyway?")
            if answer != QMessageBox.Yes:
                return
        s.strategy = self.strategy.currentData()
        s.test_fraction = self.test.value() / 100
        s.tune_fraction = self.tune.value() / 100
        s.seed = self.seed.value()
        self.run_task(core_split.split_study, {"study": self.study}, name="drawing the split",
                      on_result=lambda _none: self.show_info("Split drawn; the test set is sealed."))


if __name__ == "__main__":
    raise SystemExit(preview(SplitPage))
