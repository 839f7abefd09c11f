"""The checklist side panel: the ten tips, each item's status from the study, and attestation.

It only shows ``checklist.evaluate_checklist(study)``; clicking an item asks the main window to
go to the step that satisfies it, and attesting one asks for the reason.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDockWidget,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMenu,
    QMessageBox,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from guiapp.core.guidance import checklist
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.steps import step
from guiapp.ui.session import Session
from guiapp.ui.widgets import STATUS_STYLE, status_icon

ITEM_ID = Qt.UserRole
STEP_ID = Qt.UserRole + 1
STATUS = Qt.UserRole + 2
STATUS_WORDS = {
    checklist.DONE: "done",
    checklist.ATTESTED: "attested",
    checklist.OPEN: "open",
    checklist.VIOLATED: "violated",
    checklist.NOT_APPLICABLE: "not applicable",
}


class WrappingDelegate(QStyledItemDelegate):
    """Rows as tall as their wrapped text: item texts are sentences, not labels."""

    def __init__(self, tree: QTreeWidget) -> None:
        super().__init__(tree)
        self.tree = tree

    def sizeHint(self, option, index) -> QSize:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        depth = 1 + (1 if index.parent().isValid() else 0)
        width = max(self.tree.viewport().width() - depth * self.tree.indentation() - 28, 80)
        text = opt.fontMetrics.boundingRect(QRect(0, 0, width, 10000), Qt.TextWordWrap, opt.text)
        return QSize(width, max(text.height() + 6, 20))


def item_tooltip(row: dict, word: str) -> str:
    """The tip's advice in Tenfold's words, why the item matters, and where things stand."""
    text = (
        f"{row['text']} — {word}.\n\nWhy: {row['why']}\n\nTip {row['tip']} ({row['tip_title']}): "
        f"{checklist.TIP_ADVICE[row['tip']]}"
    )
    if row["evidence"]:
        label = "Your reason" if row["status"] == checklist.ATTESTED else "Evidence"
        text += f"\n\n{label}: {row['evidence']} [{row['evidence_at']}]"
    return text + f"\n\nDone on the {step(row['step']).title} step; click to go there."


def tip_status(items: list[dict]) -> str:
    return checklist.step_status(items)[0]


class ChecklistPanel(QDockWidget):
    step_requested = Signal(str)
    attested = Signal()

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__("Checklist", parent)
        self.setObjectName("checklistDock")
        self.session = session
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 6, 6, 6)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Checklist summary")
        layout.addWidget(self.summary)
        self.tree = QTreeWidget()
        self.tree.setAccessibleName("Checklist")
        self.tree.setColumnCount(1)
        self.tree.setHeaderHidden(True)
        self.tree.setWordWrap(True)
        self.tree.setUniformRowHeights(False)
        self.tree.setTextElideMode(Qt.ElideNone)
        self.tree.setIndentation(14)
        self.tree.setItemDelegate(WrappingDelegate(self.tree))
        self.tree.header().setSectionResizeMode(QHeaderView.Stretch)
        # Wrapped rows need their heights recomputed when the panel is resized.
        self.tree.header().sectionResized.connect(lambda *_: self.tree.doItemsLayout())
        self.tree.setContextMenuPolicy(Qt.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._menu)
        self.tree.itemClicked.connect(self._on_click)
        self.tree.itemActivated.connect(self._on_click)  # Enter on the keyboard
        layout.addWidget(self.tree)
        legend = QLabel(
            " ".join(
                f'<span style="color:{c}">{g or "○"}</span>&nbsp;{STATUS_WORDS[k]}'
                for k, (c, g) in STATUS_STYLE.items()
                if k != checklist.NOT_APPLICABLE
            )
        )
        legend.setObjectName("note")
        legend.setAccessibleName("Legend of the status icons")
        layout.addWidget(legend)
        hint = QLabel(
            "Click an item to go to its step; hover for why it matters. Right-click to attest "
            "an item yourself, with your reason."
        )
        hint.setObjectName("note")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        body.setMinimumWidth(320)
        self.setWidget(body)
        self._tips: dict[int, QTreeWidgetItem] = {}
        self._items: dict[str, QTreeWidgetItem] = {}
        self.refresh()

    def refresh(self) -> None:
        rows = checklist.evaluate_checklist(self.session.study)
        if not self._items:
            self._build(rows)
        for row in rows:
            node = self._items[row["id"]]
            status = row["status"]
            word = STATUS_WORDS.get(status, status) + ("" if row["required"] else ", optional")
            node.setIcon(0, status_icon(status))
            node.setToolTip(0, item_tooltip(row, word))
            node.setData(0, STATUS, status)
            node.setData(0, Qt.AccessibleTextRole, f"{row['text']}: {word}")
        for tip, node in self._tips.items():
            items = [r for r in rows if r["tip"] == tip]
            done = sum(r["status"] in (checklist.DONE, checklist.ATTESTED) for r in items)
            status, optional_open = checklist.step_status(items)
            node.setIcon(0, status_icon(status, badge=bool(optional_open)))
            node.setText(0, f"Tip {tip} · {checklist.TIPS[tip]} ({done}/{len(items)})")
        s = checklist.summary(rows)
        done = s.get(checklist.DONE, 0) + s.get(checklist.ATTESTED, 0)
        text = f"{done} of {s['total']} items done"
        if s.get(checklist.VIOLATED):
            text += f", {s[checklist.VIOLATED]} violated"
        mode = (
            "Guided mode: open required items keep you on their step."
            if self.session.study.checklist_mode
            else "Ordinary mode: open items are warnings."
        )
        self.summary.setText(f"{text}. {mode}")

    def _build(self, rows: list[dict]) -> None:
        self.tree.clear()
        for tip in sorted({r["tip"] for r in rows}):
            node = QTreeWidgetItem([f"Tip {tip} · {checklist.TIPS[tip]}"])
            node.setToolTip(0, f"Tip {tip}: {checklist.TIPS[tip]}\n\n{checklist.TIP_ADVICE[tip]}")
            font = node.font(0)
            font.setBold(True)
            node.setFont(0, font)
            self.tree.addTopLevelItem(node)
            self._tips[tip] = node
            for row in (r for r in rows if r["tip"] == tip):
                child = QTreeWidgetItem([row["text"] + ("" if row["required"] else " (optional)")])
                child.setData(0, ITEM_ID, row["id"])
                child.setData(0, STEP_ID, row["step"])
                node.addChild(child)
                self._items[row["id"]] = child
            node.setExpanded(True)

    # ----- interaction ---------------------------------------------------------------------
    def _on_click(self, node: QTreeWidgetItem, _column: int = 0) -> None:
        step_id = node.data(0, STEP_ID)
        if step_id:
            self.step_requested.emit(step_id)

    def _menu(self, pos) -> None:
        node = self.tree.itemAt(pos)
        if node is None or not node.data(0, ITEM_ID):
            return
        item_id = node.data(0, ITEM_ID)
        status = {r["id"]: r["status"] for r in checklist.evaluate_checklist(self.session.study)}[item_id]
        menu = QMenu(self)
        go = QAction(f"Go to the {step(node.data(0, STEP_ID)).title} step", menu)
        go.triggered.connect(lambda: self.step_requested.emit(node.data(0, STEP_ID)))
        menu.addAction(go)
        attest = QAction("Attest…", menu)
        attest.setEnabled(status == checklist.OPEN)
        attest.triggered.connect(lambda: self.attest_item(item_id))
        menu.addAction(attest)
        if status == checklist.ATTESTED:
            withdraw = QAction("Withdraw attestation", menu)
            withdraw.triggered.connect(lambda: self.withdraw(item_id))
            menu.addAction(withdraw)
        menu.exec(self.tree.viewport().mapToGlobal(pos))

    def attest_item(self, item_id: str) -> bool:
        """Ask for a reason and attest the item by hand; True when recorded."""
        text = next(i.text for i in checklist.ITEMS if i.id == item_id)
        reason, ok = QInputDialog.getMultiLineText(
            self,
            "Attest a checklist item",
            f"{text}\n\nTenfold could not see evidence for this item in the study. If it holds "
            "anyway, say why; the reason goes into checklist.json and the model card.",
        )
        if not ok:
            return False
        try:
            checklist.attest(self.session.study, item_id, reason)
        except TenfoldError as exc:
            QMessageBox.warning(self, "Not attested", str(exc))
            return False
        self.session.notify_changed()
        self.attested.emit()
        return True

    def withdraw(self, item_id: str) -> None:
        checklist.withdraw(self.session.study, item_id)
        self.session.notify_changed()
        self.attested.emit()
