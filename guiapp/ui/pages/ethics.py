"""Step 12, Ethics & privacy: the sensitivity answer, the ethics register, the decision on
sharing the weights, and the privacy warnings the export will carry (Tip 10)."""

from __future__ import annotations

from PySide6.QtWidgets import (QComboBox, QFormLayout, QHBoxLayout, QInputDialog, QLineEdit,
                               QPushButton)

from guiapp.core import ethics
from guiapp.core.errors import TenfoldError
from guiapp.ui.pages.base import StepPage, preview
from guiapp.ui.pages.data import select_sensitivity, sensitivity_radios
from guiapp.ui.widgets import Banner, ResultTable, heading, value_label

SHARE = (("auto", "Tenfold decides: share only if the data are declared not sensitive"),
         ("never", "Never share the weights"),
         ("always", "Always share the weights (needs a reason if the data may be sensitive)"))
NO_CONCERNS = "No ethical concerns were identified for this study."


def privacy_warnings(study) -> list[str]:
    """The export's privacy warnings; none when the export module is not there."""
    try:
        from guiapp.core.export import privacy_warnings as warnings
    except ImportError:
        return []
    return warnings(study)


class EthicsPage(StepPage):
    step_id = "ethics"
    intro = ("A network trained on data about people can reveal whether a person's record was "
             "in its training data. Record the concerns you see, how you address them, and "
             "whether the trained weights may leave the lab.")

    def build(self) -> None:
        self.body.addWidget(heading("Are the data sensitive?"))
        row = QHBoxLayout()
        self.sensitivity = sensitivity_radios(self, self._on_sensitivity)
        for button in self.sensitivity.buttons():
            row.addWidget(button)
        row.addStretch(1)
        self.body.addLayout(row)

        self.body.addWidget(heading("Ethics register"))
        self.register = ResultTable("Ethics register")
        self.body.addWidget(self.register)
        form = QFormLayout()
        self.concern = QLineEdit()
        self.concern.setAccessibleName("Concern")
        self.concern.setPlaceholderText("e.g. The cohort is 90% of European ancestry")
        self.concern.setToolTip("What could go wrong, for whom.")
        form.addRow("Concern:", self.concern)
        self.raised_by = QLineEdit()
        self.raised_by.setAccessibleName("Raised by")
        self.raised_by.setToolTip("Who raised the concern (a name or a role).")
        form.addRow("Raised by:", self.raised_by)
        self.mitigation = QLineEdit()
        self.mitigation.setAccessibleName("Mitigation")
        self.mitigation.setPlaceholderText("e.g. Report per-ancestry results; state the limit in the model card")
        self.mitigation.setToolTip("What you do about it (optional now; add it when you resolve the entry).")
        form.addRow("Mitigation:", self.mitigation)
        self.body.addLayout(form)
        row = QHBoxLayout()
        self.add = self.action(QPushButton("Add to register"))
        self.add.setToolTip("Add this concern to the study's ethics register.")
        self.add.clicked.connect(self._add)
        self.none = self.action(QPushButton("Record that there are no concerns"))
        self.none.setToolTip("Writing down that you looked and found none is part of the study too.")
        self.none.clicked.connect(self._no_concerns)
        self.resolve = self.action(QPushButton("Mark selected as resolved…"))
        self.resolve.setToolTip("Mark the selected entry resolved and say how.")
        self.resolve.clicked.connect(self._resolve)
        for b in (self.add, self.none, self.resolve):
            row.addWidget(b)
        row.addStretch(1)
        self.body.addLayout(row)

        self.body.addWidget(heading("Sharing the trained weights"))
        form = QFormLayout()
        self.share = QComboBox()
        self.share.setAccessibleName("Share the weights")
        self.share.setToolTip("Whether the export bundle includes the network's weights.")
        for value, text in SHARE:
            self.share.addItem(text, value)
        form.addRow("Weights:", self.share)
        self.reason = QLineEdit()
        self.reason.setAccessibleName("Reason for the decision")
        self.reason.setToolTip("Why you chose this; it goes into the model card.")
        form.addRow("Reason:", self.reason)
        self.body.addLayout(form)
        self.decision = value_label("Recorded decision")
        self.body.addWidget(self.decision)
        row = QHBoxLayout()
        self.record = self.action(QPushButton("Record decision"))
        self.record.setToolTip("Store the weight-sharing decision and its reason in the study.")
        self.record.clicked.connect(self._record_share)
        row.addWidget(self.record)
        row.addStretch(1)
        self.body.addLayout(row)

        self.privacy_heading = heading("Privacy warnings the export will carry")
        self.body.addWidget(self.privacy_heading)
        self.privacy_notes = []
        self.privacy_box = QFormLayout()
        self.body.addLayout(self.privacy_box)

    def refresh(self) -> None:
        s = self.study
        select_sensitivity(self.sensitivity, s.data.sensitive)
        rows = [[e.get("date", ""), e.get("concern", ""), e.get("raised_by", ""), e.get("status", ""),
                 e.get("mitigation", "")] for e in s.ethics.register]
        self.register.fill(["date", "concern", "raised by", "status", "mitigation"],
                           rows or [["", "Nothing recorded yet.", "", "", ""]], wrap_column=1)
        self.share.setCurrentIndex(max(self.share.findData(s.ethics.share_weights), 0))
        self.reason.setText(s.ethics.share_reason)
        decided = getattr(s.ethics, "decided_at", "")
        self.decision.setText(f"Recorded on {decided}: {dict(SHARE).get(s.ethics.share_weights, s.ethics.share_weights)}."
                              if decided else "No decision recorded yet: choose, give a reason if "
                              "you like, and press 'Record decision'.")
        for w in self.privacy_notes:
            self.privacy_box.removeRow(w)
        self.privacy_notes = []
        warnings = privacy_warnings(s)
        for text in warnings:
            label = Banner("privacy")
            label.show_message(text)
            self.privacy_box.addRow(label)
            self.privacy_notes.append(label)
        self.privacy_heading.setVisible(bool(warnings))
        super().refresh()

    def update_actions(self) -> None:
        self.resolve.setEnabled(bool(self.study.ethics.register))

    # ----- actions -------------------------------------------------------------------------
    def _on_sensitivity(self, value) -> None:
        ethics.set_sensitivity(self.study, value)
        self.changed()

    def _add(self) -> None:
        try:
            ethics.add_entry(self.study, self.concern.text(), raised_by=self.raised_by.text(),
                             mitigation=self.mitigation.text())
        except TenfoldError as exc:
            self.show_error(str(exc))
            return
        for edit in (self.concern, self.raised_by, self.mitigation):
            edit.clear()
        self.clear_messages()
        self.changed()

    def _no_concerns(self) -> None:
        ethics.add_entry(self.study, NO_CONCERNS, raised_by=self.raised_by.text(), status="resolved")
        self.changed()

    def _resolve(self) -> None:
        row = self.register.currentRow()
        if not (0 <= row < len(self.study.ethics.register)):
            self.show_error("Select the entry to resolve in the register first.")
            return
        text, ok = QInputDialog.getText(self, "Resolve the concern", "How was it addressed?")
        if ok:
            ethics.resolve_entry(self.study, row, text)
            self.changed()

    def _record_share(self) -> None:
        try:
            ethics.set_share_weights(self.study, self.share.currentData(), self.reason.text())
        except TenfoldError as exc:
            self.show_error(str(exc))
            return
        self.clear_messages()
        self.show_info("Decision recorded.")
        self.changed()


if __name__ == "__main__":
    raise SystemExit(preview(EthicsPage))
