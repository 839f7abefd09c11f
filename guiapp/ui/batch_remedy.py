"""The Batch-effects page's remedy panel: what to do about a batch effect, which batches to hold
out, why none is needed, and the batch metrics before and after ComBat.

It reads the study in ``show_study(study)`` and holds no science; the page runs the core calls.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from guiapp.core.batch.metrics import NAMES
from guiapp.core.batch.remedy import REASON_NEEDED, REMEDY_WORDS, remedy_needs_reason
from guiapp.core.batch.views import batch_sizes
from guiapp.core.study.vocabulary import BATCH_REMEDIES
from guiapp.ui.batch_panels import (
    light_icon,
    light_word,
    number_text,
)
from guiapp.ui.widgets import Banner, ResultTable, note, value_label

REMEDY_TITLES = {
    "none": "No correction: I accept the risk (the reason goes into the model card)",
    "group-split": "Group split: all samples of one donor, patient or animal stay in one part",
    "batch-holdout": "Hold out whole batches as the test set: the score says how a new batch fares",
    "batch-label-stratified": "Batch × label stratified split: every batch and label in each part, in proportion",
    "combat": "ComBat batch correction, fitted on the training split only",
}


class RemedyPanel(QWidget):
    """The remedy: what to do, which batches to hold out, why none, and the before/after metrics."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self._shown: tuple = ()
        self.choices = QButtonGroup(self)
        self.radios = {}
        for i, remedy in enumerate(BATCH_REMEDIES):
            radio = QRadioButton(REMEDY_TITLES[remedy])
            radio.setAccessibleName(f"Remedy: {remedy}")
            self.choices.addButton(radio, i)
            self.radios[remedy] = radio
            layout.addWidget(radio)
        self.choices.idToggled.connect(self._on_choice)
        self.holdout = QListWidget()
        self.holdout.setAccessibleName("Batches to hold out as the test set")
        self.holdout.setToolTip(
            "Tick the batches that form the test set; with none ticked, batches are "
            "drawn with the seed until they hold about the test fraction."
        )
        self.holdout.setMaximumHeight(120)
        layout.addWidget(self.holdout)
        self.reason = QLineEdit()
        self.reason.setAccessibleName("Why no correction is needed")
        self.reason.setPlaceholderText("Why is no correction needed? (required when a batch effect was found)")
        layout.addWidget(self.reason)
        row = QHBoxLayout()
        self.apply = QPushButton("Apply remedy")
        self.apply.setObjectName("primary")
        self.apply.setToolTip("Record the remedy in the study; it is written into the model card.")
        row.addWidget(self.apply)
        self.measure = QPushButton("Measure before and after")
        self.measure.setToolTip(
            "Batch metrics on the training split before and after ComBat (fitted on those rows only)."
        )
        row.addWidget(self.measure)
        row.addStretch(1)
        layout.addLayout(row)
        self.message = Banner("error")
        layout.addWidget(self.message)
        self.recorded = value_label("Recorded remedy")
        layout.addWidget(self.recorded)
        self.after_heading = note("Batch metrics on the training split, before and after the correction:")
        layout.addWidget(self.after_heading)
        self.after = ResultTable("Batch metrics before and after the remedy")
        layout.addWidget(self.after)

    def forget(self) -> None:
        """Another study: read its remedy afresh on the next ``show_study``."""
        self._shown = ()

    # ----- reading the widgets ------------------------------------------------------------
    def choice(self) -> str:
        checked = self.choices.checkedId()
        return BATCH_REMEDIES[checked] if checked >= 0 else "none"

    def holdout_batches(self) -> list:
        return [
            self.holdout.item(i).data(Qt.UserRole)
            for i in range(self.holdout.count())
            if self.holdout.item(i).checkState() == Qt.Checked
        ]

    def refusal(self, study) -> str:
        """Why the chosen remedy cannot be applied as it stands ('' when it can)."""
        if self.choice() == "none" and not self.reason.text().strip() and remedy_needs_reason(study):
            return REASON_NEEDED
        return ""

    def _on_choice(self, _id: int, checked: bool) -> None:
        if checked:
            self.message.clear_message()
            self._show_inputs()

    def _show_inputs(self) -> None:
        remedy = self.choice()
        self.holdout.setVisible(remedy == "batch-holdout")
        self.reason.setVisible(remedy == "none")

    # ----- the study into the widgets -----------------------------------------------------
    def show_study(self, study) -> None:
        b, d, s = study.batch, study.data, study.split
        needs = {
            "group-split": (d.group, "Needs a group column: use a suggestion above, or set it on the Data page."),
            "batch-holdout": (d.batch, "Needs a batch column: choose it on the Data page."),
            "batch-label-stratified": (d.batch, "Needs a batch column: choose it on the Data page."),
            "combat": (d.batch, "Needs a batch column: choose it on the Data page."),
        }
        for remedy, radio in self.radios.items():
            ok, why = needs.get(remedy, (True, ""))
            radio.setEnabled(bool(ok))
            radio.setToolTip("" if ok else why)
        # Re-read the choice only when the study's own changed: a refresh must not undo what the
        # user is choosing and has not applied yet.
        sizes = batch_sizes(study)
        shown = (
            b.remedy,
            b.remedy_reason,
            tuple(s.holdout_batches),
            tuple(s.test_batches),
            tuple(sizes.items()),
            d.batch,
            d.group,
        )
        if shown != self._shown:
            self._shown = shown
            self.choices.blockSignals(True)
            self.radios.get(b.remedy, self.radios["none"]).setChecked(True)
            self.choices.blockSignals(False)
            self.reason.setText(b.remedy_reason if b.remedy == "none" else "")
            held = set(s.holdout_batches or s.test_batches)
            self.holdout.clear()
            for name, n in sizes.items():
                item = QListWidgetItem(f"{name} ({n:,} samples)")
                item.setData(Qt.UserRole, name)
                item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
                item.setCheckState(Qt.Checked if name in held else Qt.Unchecked)
                self.holdout.addItem(item)
        self._show_inputs()
        self.recorded.setText(self._recorded_text(study))
        self._show_after(b.after)

    def _recorded_text(self, study) -> str:
        b, s = study.batch, study.split
        if b.remedy == "none" and not b.remedy_reason:
            return "No remedy recorded yet."
        text = f"Recorded: {REMEDY_WORDS.get(b.remedy, b.remedy)}"
        if b.remedy_reason:
            text += f", because: {b.remedy_reason}"
        if b.remedy == "batch-holdout":
            held = s.test_batches or s.holdout_batches
            text += f". Test batches: {', '.join(held) if held else 'drawn when the split is made'}"
        if b.remedy == "combat" and not s.train_idx:
            text += (
                ". ComBat is fitted on the training split: draw the split on the next page, then "
                "come back and measure before and after"
            )
        elif b.remedy == "combat" and not b.after:
            text += ". Measure before and after to see what the correction changed"
        return text + "."

    def _show_after(self, after: dict) -> None:
        before, later = after.get("before"), after.get("after")
        if not before or not later:
            self.after.hide()
            self.after_heading.hide()
            return
        lights_b, lights_a = after.get("before_lights", {}), after.get("after_lights", {})
        keys = [k for k in NAMES if k in before]
        rows = [
            [
                NAMES[k],
                f"{light_word(lights_b.get(k))}  {number_text(before[k])}",
                f"{light_word(lights_a.get(k))}  {number_text(later.get(k))}",
            ]
            for k in keys
        ]
        self.after.fill(["metric", "before", f"after (training split, {after.get('n', 0):,} samples)"], rows)
        for r, k in enumerate(keys):
            self.after.item(r, 1).setIcon(light_icon(lights_b.get(k)))
            self.after.item(r, 2).setIcon(light_icon(lights_a.get(k)))
        self.after_heading.show()
        self.after.show()

    def update_actions(self, study) -> None:
        b, s = study.batch, study.split
        self.apply.setEnabled(bool(b.explained_variance) and s.test_uses == 0)
        self.apply.setToolTip(
            "Look for batch effects first."
            if not b.explained_variance
            else "The test set was used: the remedy cannot change now (Tip 7)."
            if s.test_uses
            else "Record the remedy in the study; it is written into the model card."
        )
        self.measure.setVisible(b.remedy == "combat" and bool(s.train_idx))
        self.measure.setEnabled(b.remedy == "combat" and bool(s.train_idx))
