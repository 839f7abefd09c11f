"""The Glossary dialog, and labels whose words open it.

The words and sketches come from :mod:`guiapp.core.study.glossary`; this module only shows them. One
dialog per window: the help button of every page and every linked word open it at a term.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QByteArray, QEvent, QObject, Qt, Signal
from PySide6.QtGui import QCursor
from PySide6.QtSvgWidgets import QSvgWidget
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QTextBrowser,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from guiapp.core.study import glossary

SCHEME = "glossary:"


class GlossaryDialog(QDialog):
    """Every term in plain words: a searchable list, the explanation, and a sketch where one helps."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("glossaryDialog")
        self.setWindowTitle("Glossary")
        self.setAccessibleName("Glossary of the words Tenfold uses")
        self.resize(760, 520)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search the glossary…")
        self.search.setAccessibleName("Search the glossary")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        self.terms = QListWidget()
        self.terms.setAccessibleName("Terms")
        self.terms.setMaximumWidth(240)
        self.terms.currentItemChanged.connect(self._on_current)
        self.page_terms = QLabel()
        self.page_terms.setObjectName("note")
        self.page_terms.setWordWrap(True)
        self.page_terms.linkActivated.connect(self._on_link)
        self.text = QTextBrowser()
        self.text.setAccessibleName("Explanation")
        self.text.setOpenLinks(False)
        self.text.anchorClicked.connect(lambda url: self._on_link(url.toString()))
        self.picture = QSvgWidget()
        self.picture.setAccessibleName("Sketch")
        self.picture.setFixedSize(330, 195)
        right = QVBoxLayout()
        right.addWidget(self.page_terms)
        right.addWidget(self.text, 1)
        right.addWidget(self.picture, 0, Qt.AlignHCenter)
        left = QVBoxLayout()
        left.addWidget(self.search)
        left.addWidget(self.terms, 1)
        row = QHBoxLayout()
        row.addLayout(left)
        row.addLayout(right, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addLayout(row, 1)
        layout.addWidget(buttons)
        self._fill(glossary.TERMS)
        self.show_term(glossary.TERMS[0].key)

    @property
    def current_key(self) -> str:
        item = self.terms.currentItem()
        return item.data(Qt.UserRole) if item is not None else ""

    def show_term(self, key: str) -> None:
        """Select ``key`` (clearing a search that hides it) and show its explanation."""
        if key not in glossary.BY_KEY:
            return
        if not self._select(key):
            self.search.clear()
            self._select(key)

    def show_page_terms(self, keys: Iterable[str]) -> None:
        """Name the terms a page uses, as links above the explanation; show the first."""
        keys = [k for k in keys if k in glossary.BY_KEY]
        self.page_terms.setText(
            ("On this page: " + ", ".join(f'<a href="{SCHEME}{k}">{glossary.BY_KEY[k].term}</a>' for k in keys))
            if keys
            else ""
        )
        self.page_terms.setVisible(bool(keys))
        if keys:
            self.show_term(keys[0])

    # ----- slots -----------------------------------------------------------------------------
    def _fill(self, terms) -> None:
        self.terms.blockSignals(True)
        self.terms.clear()
        for t in terms:
            item = QListWidgetItem(t.term)
            item.setData(Qt.UserRole, t.key)
            self.terms.addItem(item)
        self.terms.blockSignals(False)

    def _select(self, key: str) -> bool:
        for row in range(self.terms.count()):
            if self.terms.item(row).data(Qt.UserRole) == key:
                self.terms.setCurrentRow(row)
                self._show(key)
                return True
        return False

    def _filter(self, text: str) -> None:
        current = self.current_key
        self._fill(glossary.search(text))
        if not self._select(current) and self.terms.count():
            self.terms.setCurrentRow(0)
            self._show(self.terms.item(0).data(Qt.UserRole))

    def _on_current(self, item, _previous) -> None:
        if item is not None:
            self._show(item.data(Qt.UserRole))

    def _show(self, key: str) -> None:
        self.text.setHtml(glossary.entry_html(key))
        svg = glossary.picture(key)
        self.picture.load(QByteArray(svg.encode("utf-8")))
        self.picture.setVisible(bool(svg))

    def _on_link(self, link: str) -> None:
        if link.startswith(SCHEME):
            self.show_term(link[len(SCHEME) :])


class GlossaryLinks(QObject):
    """Opens the window's one glossary at a term; makes labels' words lead there.

    ``link_label`` turns a label's plain text into text whose glossary words are links: hovering
    one shows its meaning, clicking opens the glossary there. ``explain_label`` leaves a label's
    text alone (form labels such as "Learning rate:") and gives it the meaning as a tooltip and a
    click that opens the glossary.
    """

    opened = Signal(str)  # the term shown

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.dialog: GlossaryDialog | None = None

    def _window(self) -> QWidget | None:
        owner = self.parent()
        while owner is not None and not isinstance(owner, QWidget):
            owner = owner.parent()
        return owner

    def open(self, key: str = "", page_terms: Iterable[str] = ()) -> GlossaryDialog:
        if self.dialog is None:
            self.dialog = GlossaryDialog(self._window())
        page_terms = list(page_terms)
        self.dialog.show_page_terms(page_terms)
        if key:
            self.dialog.show_term(key)
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()
        self.opened.emit(self.dialog.current_key)
        return self.dialog

    def link_label(self, label: QLabel, text: str) -> list[str]:
        """Show ``text`` in ``label`` with its glossary words linked; the keys linked."""
        label.setTextFormat(Qt.RichText)
        label.setText(glossary.link_terms(text))
        label.setTextInteractionFlags(Qt.LinksAccessibleByMouse | Qt.LinksAccessibleByKeyboard)
        label.setAccessibleDescription(text)
        label.linkActivated.connect(self._on_link)
        label.linkHovered.connect(self._on_hover)
        return glossary.linked_keys(text)

    def explain_label(self, label: QLabel) -> str | None:
        """A label naming one term: its meaning as tooltip, a click opens the glossary. The key, or None."""
        text = label.text().strip()
        # Only field names ("Learning rate:"): a label showing a value may change its words later.
        found = glossary.lookup(text) if text.endswith(":") and label.textFormat() != Qt.RichText else None
        if found is None or label.toolTip():
            return None
        label.setToolTip(glossary.tooltip(found.key) + "\n\nClick for the glossary.")
        label.setCursor(QCursor(Qt.WhatsThisCursor))
        label.setProperty("glossaryKey", found.key)
        label.installEventFilter(self)
        return found.key

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.MouseButtonRelease and watched.property("glossaryKey"):
            self.open(watched.property("glossaryKey"))
            return True
        return False

    def _on_link(self, link: str) -> None:
        if link.startswith(SCHEME):
            self.open(link[len(SCHEME) :])

    def _on_hover(self, link: str) -> None:
        if link.startswith(SCHEME) and link[len(SCHEME) :] in glossary.BY_KEY:
            QToolTip.showText(QCursor.pos(), glossary.tooltip(link[len(SCHEME) :]))
        else:
            QToolTip.hideText()


def links_for(owner: QObject) -> GlossaryLinks:
    """The one :class:`GlossaryLinks` of ``owner`` (a session): every page shares its dialog."""
    links = owner.findChild(GlossaryLinks, options=Qt.FindDirectChildrenOnly)
    return links if links is not None else GlossaryLinks(owner)
