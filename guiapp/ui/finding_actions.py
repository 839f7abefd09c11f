"""The page's panel for findings that block the study: each with a written-reason field and
"Accept with reason…", and the acceptances already made, each with Withdraw.

In guided mode an unresolved blocking finding keeps Next off on the step that raised it (the
gating is ``checklist.can_leave``, a pure core function); in ordinary mode the panel is a
persistent banner and Next stays allowed. The panel only calls ``guiapp.core.study.blocking``.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from guiapp.core.study import blocking
from guiapp.core.study.errors import TenfoldError
from guiapp.ui.widgets import Banner

GUIDED_HEAD = (
    "Guided mode: Next stays off until each finding below is remedied on this page, or "
    "accepted with a written reason. The reason goes to the top of the model card and the "
    "report, and to the ethics register."
)
ORDINARY_HEAD = (
    "A finding blocks this study: its result cannot be trusted until a remedy settles it or "
    "you accept it with a written reason (guided mode is off, so you may go on; the card "
    "will list it as unresolved above the headline)."
)
REASON_HINT = "Why the result still holds despite this finding (required, in words)"


class FindingRow(QWidget):
    """One unresolved blocking finding: its message, a reason field and "Accept with reason…"."""

    def __init__(self, finding, on_accept: Callable[[str, str], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.code = finding.code
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 4)
        text = QLabel(f"{finding.code} (Tip {finding.tip}): {finding.message}")
        text.setWordWrap(True)
        text.setTextFormat(Qt.PlainText)
        text.setTextInteractionFlags(Qt.TextSelectableByMouse)
        layout.addWidget(text)
        row = QHBoxLayout()
        self.reason = QLineEdit()
        self.reason.setPlaceholderText(REASON_HINT)
        self.reason.setAccessibleName(f"Reason for accepting {finding.code}")
        self.accept = QPushButton("Accept with reason…")
        self.accept.setAccessibleName(f"Accept {finding.code} with the reason written beside it")
        self.accept.setToolTip(
            "Record that you accept this finding, with your reason. A remedy on this page "
            "is the better way, where one fits."
        )
        self.accept.setEnabled(False)
        self.reason.textChanged.connect(self._on_text)
        self.reason.returnPressed.connect(lambda: self.accept.isEnabled() and self.accept.click())
        self.accept.clicked.connect(lambda: on_accept(self.code, self.reason.text()))
        row.addWidget(self.reason, 1)
        row.addWidget(self.accept)
        layout.addLayout(row)

    def _on_text(self, text: str) -> None:
        try:
            blocking.check_reason(self.code, text)
        except TenfoldError:
            self.accept.setEnabled(False)
            return
        self.accept.setEnabled(True)


class AcceptedRow(QWidget):
    """An acceptance already recorded for this step, with Withdraw."""

    def __init__(
        self, code: str, reason: str, on_withdraw: Callable[[str], None], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.code = code
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 2)
        text = QLabel(f"Accepted {code}, with the reason: “{reason}”")
        text.setWordWrap(True)
        text.setTextFormat(Qt.PlainText)
        layout.addWidget(text, 1)
        self.withdraw = QPushButton("Withdraw")
        self.withdraw.setAccessibleName(f"Withdraw the acceptance of {code}")
        self.withdraw.clicked.connect(lambda: on_withdraw(self.code))
        layout.addWidget(self.withdraw)


class FindingActions(QFrame):
    """The blocking findings of one step, and what the user did about them."""

    changed = Signal()  # an acceptance was recorded or withdrawn
    failed = Signal(str)  # the core refused (a message for the page)

    def __init__(self, step_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.step_id = step_id
        self.setObjectName("findingActions")
        self.setAccessibleName("Findings that block this step")
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.head = Banner("blocked")
        self._layout.addWidget(self.head)
        self.rows: list[FindingRow] = []
        self.accepted_rows: list[AcceptedRow] = []
        self.study = None
        self._shown = None
        self.hide()

    @property
    def codes(self) -> list[str]:
        """The codes shown as unresolved (tests and screen readers ask for them)."""
        return [r.code for r in self.rows]

    def show_for(self, study) -> None:
        """Rebuild from the study: its unresolved blocking findings and its acceptances of this step."""
        self.study = study
        guided = bool(study.checklist_mode)
        found = blocking.blocking_on_step(study, self.step_id)
        mine = dict.fromkeys(f.code for f in study.findings if f.step == self.step_id and blocking.is_blocking(f))
        accepted = {code: study.accepted_findings[code]["reason"] for code in mine if code in study.accepted_findings}
        shown = ([(f.code, f.message) for f in found], accepted)
        if shown != self._shown:  # rebuilt only when it changed: a reason being typed keeps its focus
            self._rebuild(found, accepted)
            self._shown = shown
        self.head.setProperty("kind", "blocked" if guided else "caveat")
        self.head.style().unpolish(self.head)
        self.head.style().polish(self.head)
        self.head.show_message((GUIDED_HEAD if guided else ORDINARY_HEAD) if self.rows else "")
        self.setVisible(bool(self.rows or self.accepted_rows))

    def _rebuild(self, found: list, accepted: dict) -> None:
        typed = {r.code: r.reason.text() for r in self.rows}
        for row in [*self.rows, *self.accepted_rows]:
            self._layout.removeWidget(row)
            row.deleteLater()
        self.rows, self.accepted_rows = [], []
        for f in {f.code: f for f in found}.values():
            row = FindingRow(f, self._accept, self)
            row.reason.setText(typed.get(f.code, ""))
            self.rows.append(row)
            self._layout.addWidget(row)
        for code, reason in accepted.items():
            row = AcceptedRow(code, reason, self._withdraw, self)
            self.accepted_rows.append(row)
            self._layout.addWidget(row)

    def _accept(self, code: str, reason: str) -> None:
        try:
            blocking.accept_finding(self.study, code, reason)
        except TenfoldError as exc:
            self.failed.emit(str(exc))
            return
        self.changed.emit()

    def _withdraw(self, code: str) -> None:
        blocking.withdraw_acceptance(self.study, code)
        self.changed.emit()
