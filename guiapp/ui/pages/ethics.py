"""Step 12, Ethics & privacy: the ethics register and the decision on sharing the weights (the
step's two required decisions, on the first tab with the sensitivity answer and the privacy
warnings the export will carry), the model card's own fields, the membership-inference audit and
differential privacy (Tip 10)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
)

from guiapp.core.privacy import ethics
from guiapp.core.study.errors import TenfoldError
from guiapp.ui.page_fit import Collapsible, FitTabs, building_into, cap_height
from guiapp.ui.pages.base import StepPage, preview
from guiapp.ui.pages.privacy_panels import PrivacyPanels
from guiapp.ui.pages.sensitivity import select_sensitivity, sensitivity_radios
from guiapp.ui.why_disabled import NOT_TRAINED, enable
from guiapp.ui.widgets import Banner, ResultTable, heading, note, value_label

SHARE = (
    (
        "auto",
        "Tenfold decides: share only if the data are declared not sensitive (or the copy trained with differential privacy)",
    ),
    ("never", "Never share the weights"),
    ("always", "Always share the weights and the kNN baseline (needs a reason if the data may be sensitive)"),
)
NO_CONCERNS = ethics.NO_CONCERNS
REGISTER_HEIGHT = 140  # about four entries; a longer register scrolls inside its table
CARD_PROMPTS = (
    (
        "intended_use",
        "Intended use:",
        "What the model is for, and for whom: e.g. 'Ranking samples for "
        "follow-up assays in our lab'. The card says 'not provided' while this is empty.",
    ),
    (
        "out_of_scope",
        "Out-of-scope uses:",
        "Uses the model must not be put to: e.g. 'Any diagnosis of a patient; other tissues or platforms'.",
    ),
    (
        "limitations",
        "Limitations:",
        "Where the model is known or likely to fail: e.g. 'One hospital, one "
        "sequencing platform; few samples over 70 years of age'.",
    ),
)


def privacy_warnings(study) -> list[str]:
    """The export's privacy warnings; none when the export module is not there."""
    try:
        from guiapp.core.export.write import privacy_warnings as warnings
    except ImportError:
        return []
    return warnings(study)


class EthicsPage(StepPage):
    step_id = "ethics"
    intro = (
        "A network trained on data about people can reveal whether a person's record was "
        "in its training data. Record the concerns you see, how you address them, what the model "
        "is for, how much it leaks, and whether the trained weights may leave the lab."
    )

    def build(self) -> None:
        # Three short tabs instead of one long page. The first holds the step's two required
        # decisions (the register and the weights), both in view when the page opens; then the
        # card's own words and the privacy audit.
        self._shown_decision: tuple | None = None
        self.tabs = FitTabs("Ethics and privacy sections")
        self.body.addWidget(self.tabs)
        with building_into(self, self.tabs.add("Decisions")):
            self._build_register()
            self._build_sharing()
        with building_into(self, self.tabs.add("Model card")):
            self._build_card()
        with building_into(self, self.tabs.add("Privacy audit")):
            self._build_audit()
        self.tabs.follow_buttons()

    def _build_register(self) -> None:
        self.body.addWidget(heading("Ethics register"))
        self.body.addWidget(
            note(
                "Findings that are ethical concerns (identifiers among the columns, a batch confounded "
                "with the label, a subgroup served worse, a model that leaks membership) open entries by themselves."
            )
        )
        self.register = ResultTable("Ethics register")
        self.register.itemSelectionChanged.connect(self._on_select)
        self.body.addWidget(self.register)
        row = QHBoxLayout()
        self.none = self.action(QPushButton("Record that there are no concerns"))
        self.none.setToolTip("Writing down that you looked and found none is part of the study too.")
        self.none.clicked.connect(self._no_concerns)
        self.main_action = self.none  # the step's first required decision: in view when the page opens
        row.addWidget(self.none)
        row.addStretch(1)
        self.body.addLayout(row)
        # Adding, editing and resolving take a form: folded under the register until it is needed
        # (selecting an entry opens it), so the weights decision below stays in view.
        self.concern_section = Collapsible("Add, edit or resolve a concern")
        self.body.addWidget(self.concern_section)
        with building_into(self, self.concern_section.body):
            self._build_concern_form()

    def _build_concern_form(self) -> None:
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
        self.save_entry = self.action(QPushButton("Save changes to selected"))
        self.save_entry.setToolTip("Write the fields above into the selected entry.")
        self.save_entry.clicked.connect(self._update)
        self.resolve = self.action(QPushButton("Mark selected as resolved…"))
        self.resolve.setToolTip("Mark the selected entry resolved with the mitigation above (asked for if empty).")
        self.resolve.clicked.connect(self._resolve)
        for b in (self.add, self.save_entry, self.resolve):
            row.addWidget(b)
        row.addStretch(1)
        self.body.addLayout(row)

    def _build_card(self) -> None:
        self.body.addWidget(heading("For the model card: what only you can say"))
        form = QFormLayout()
        self.card_fields = {}
        for key, label, tip in CARD_PROMPTS:
            edit = QPlainTextEdit()
            edit.setAccessibleName(label.rstrip(":"))
            edit.setPlaceholderText(tip)
            edit.setToolTip(tip)
            edit.setMaximumHeight(64)
            edit.textChanged.connect(lambda key=key, edit=edit: self._on_card_field(key, edit))
            form.addRow(label, edit)
            self.card_fields[key] = edit
        self.body.addLayout(form)

    def _build_audit(self) -> None:
        self.privacy = PrivacyPanels()
        self.audit_button = self.action(self.privacy.audit_button)
        self.audit_button.clicked.connect(self._audit)
        self.dp_button = self.action(self.privacy.dp_button)
        self.dp_button.clicked.connect(self._dp)
        cap_height(300, self.privacy.attack_plot, self.privacy.dp_plot)
        self.body.addWidget(self.privacy)

    def _build_sharing(self) -> None:
        self.body.addWidget(heading("Sharing the trained weights"))
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.WrapLongRows)  # narrow windows: fields under their labels
        row = QHBoxLayout()
        self.sensitivity = sensitivity_radios(self, self._on_sensitivity)
        for button in self.sensitivity.buttons():
            row.addWidget(button)
        row.addStretch(1)
        form.addRow("The data are:", row)
        self.share = QComboBox()
        # The choices are long sentences: the box shows what fits and the list opens wide.
        self.share.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.share.setMinimumContentsLength(24)
        self.share.setAccessibleName("Share the weights")
        self.share.setToolTip("Whether the export bundle includes the network's weights and the kNN baseline.")
        for value, text in SHARE:
            self.share.addItem(text, value)
        form.addRow("Weights:", self.share)
        row = QHBoxLayout()
        self.reason = QLineEdit()
        self.reason.setAccessibleName("Reason for the decision")
        self.reason.setPlaceholderText("Optional; needed to share the weights of data that may be sensitive")
        self.reason.setToolTip("Why you chose this; it goes into the model card.")
        row.addWidget(self.reason, 1)
        self.record = self.action(QPushButton("Record decision"))
        self.record.setToolTip("Store the weight-sharing decision and its reason in the study.")
        self.record.clicked.connect(self._record_share)
        row.addWidget(self.record)
        form.addRow("Reason:", row)
        self.body.addLayout(form)
        self.decision = value_label("Recorded decision")
        self.body.addWidget(self.decision)
        self.answers = value_label("Sensitivity answers")
        self.body.addWidget(self.answers)
        # The warnings depend on the answer and the decision just above; folded, they keep the tab short.
        self.privacy_section = Collapsible("Privacy warnings the export will carry")
        self.body.addWidget(self.privacy_section)
        self.privacy_notes = []
        self.privacy_box = QFormLayout()
        self.privacy_section.body.addLayout(self.privacy_box)

    def refresh(self) -> None:
        from guiapp.core.export.card_values import sensitivity_answers

        s = self.study
        if not self.session.runner.busy and ethics.sync_register(s):
            self.session.save()  # findings opened entries: keep them even if nothing else changes
        select_sensitivity(self.sensitivity, s.data.sensitive)
        self.answers.setText(" · ".join(sensitivity_answers(s)[1:]) + "  (answer on the Data page)")
        rows = [
            [
                e.get("date", ""),
                e.get("concern", ""),
                e.get("raised_by", ""),
                e.get("status", ""),
                e.get("mitigation", ""),
            ]
            for e in s.ethics.register
        ]
        self.register.blockSignals(True)
        self.register.fill(
            ["date", "concern", "raised by", "status", "mitigation"],
            rows or [["", "Nothing recorded yet.", "", "", ""]],
            wrap_column=1,
        )
        self.register.blockSignals(False)
        # A long register scrolls inside its table: the decisions below it stay in view.
        self.register.setMinimumHeight(min(self.register.minimumHeight(), REGISTER_HEIGHT))
        self.register.setMaximumHeight(min(self.register.maximumHeight(), REGISTER_HEIGHT))
        for key, edit in self.card_fields.items():
            value = getattr(s.ethics, key, "")
            if edit.toPlainText().strip() != value:
                edit.blockSignals(True)
                edit.setPlainText(value)
                edit.blockSignals(False)
        self.privacy.show_study(s)
        self._show_decision(s)
        decided = getattr(s.ethics, "decided_at", "")
        self.decision.setText(
            f"Recorded on {decided}: {dict(SHARE).get(s.ethics.share_weights, s.ethics.share_weights)}."
            if decided
            else "No decision recorded yet: choose, give a reason if you like, and press 'Record decision'."
        )
        for w in self.privacy_notes:
            self.privacy_box.removeRow(w)
        self.privacy_notes = []
        warnings = privacy_warnings(s)
        for text in warnings:
            label = Banner("privacy")
            label.show_message(text)
            self.privacy_box.addRow(label)
            self.privacy_notes.append(label)
        self.privacy_section.toggle.setText(f"Privacy warnings the export will carry ({len(warnings)})")
        self.privacy_section.setVisible(bool(warnings))
        super().refresh()

    def _show_decision(self, study) -> None:
        """The recorded choice and reason into the widgets, only when they change: a refresh (a
        register entry just added) must not undo a choice the user is making and has not recorded."""
        shown = (id(study), study.ethics.decided_at, study.ethics.share_weights, study.ethics.share_reason)
        if shown == self._shown_decision:
            return
        self._shown_decision = shown
        self.share.setCurrentIndex(max(self.share.findData(study.ethics.share_weights), 0))
        self.reason.setText(study.ethics.share_reason)

    def update_actions(self) -> None:
        has = bool(self.study.ethics.register)
        empty = "" if has else "The register has no entries yet: add one first."
        enable(self.resolve, empty)
        enable(self.save_entry, empty)
        trained = self.study.train.status in ("done", "cancelled") and bool(self.study.train.weights)
        enable(self.audit_button, "" if trained else NOT_TRAINED)
        enable(self.dp_button, "" if trained else NOT_TRAINED)

    # ----- actions -------------------------------------------------------------------------
    def _selected(self) -> int:
        row = self.register.currentRow()
        return row if 0 <= row < len(self.study.ethics.register) else -1

    def _on_select(self) -> None:
        row = self._selected()
        if row < 0:
            return
        entry = self.study.ethics.register[row]
        self.concern_section.set_open(True)
        self.concern.setText(entry.get("concern", ""))
        self.raised_by.setText(entry.get("raised_by", ""))
        self.mitigation.setText(entry.get("mitigation", ""))

    def _on_sensitivity(self, value) -> None:
        ethics.set_sensitivity(self.study, value)
        self.changed()

    def _on_card_field(self, key: str, edit: QPlainTextEdit) -> None:
        ethics.set_card_fields(self.study, **{key: edit.toPlainText()})
        self.changed_soon()

    def _add(self) -> None:
        try:
            ethics.add_entry(
                self.study, self.concern.text(), raised_by=self.raised_by.text(), mitigation=self.mitigation.text()
            )
        except TenfoldError as exc:
            self.show_error(str(exc))
            return
        for edit in (self.concern, self.raised_by, self.mitigation):
            edit.clear()
        self.clear_messages()
        self.changed()

    def _update(self) -> None:
        try:
            ethics.edit_entry(
                self.study,
                self._selected(),
                concern=self.concern.text(),
                raised_by=self.raised_by.text(),
                mitigation=self.mitigation.text(),
            )
        except TenfoldError as exc:
            self.show_error(str(exc))
            return
        self.clear_messages()
        self.show_info("Entry updated.")
        self.changed()

    def _no_concerns(self) -> None:
        try:
            ethics.declare_no_concerns(self.study, raised_by=self.raised_by.text())
        except TenfoldError as exc:
            self.show_error(str(exc))
            return
        self.changed()

    def _resolve(self) -> None:
        row = self._selected()
        if row < 0:
            self.show_error("Select the entry to resolve in the register first.")
            return
        text, ok = self.mitigation.text(), True
        if not text.strip():
            text, ok = QInputDialog.getText(self, "Resolve the concern", "How was it addressed?")
        if ok:
            ethics.resolve_entry(self.study, row, text)
            self.changed()

    def _audit(self) -> None:
        from guiapp.core.privacy.membership import membership_inference_audit  # sklearn and torch: loaded here

        self.run_task(
            membership_inference_audit,
            {"study": self.study},
            name="auditing membership inference",
            on_result=lambda _r: self.show_info("Membership audit done."),
        )

    def _dp(self) -> None:
        from guiapp.core.privacy.dp import train_with_dp

        self.run_task(
            train_with_dp,
            {
                "study": self.study,
                "target_epsilon": self.privacy.epsilon.value(),
                "epochs": self.privacy.dp_epochs.value(),
            },
            name="training with differential privacy",
            on_result=lambda dp: self.show_info(f"Trained with differential privacy: ε = {dp['epsilon']:.2f}."),
        )

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
