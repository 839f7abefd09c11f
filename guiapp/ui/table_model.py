"""Qt models over the loaded table: a preview of its cells and an editable list of column roles.

Both are model/view (``QAbstractTableModel``): the view asks only for the cells it draws, so
a 2,000 × 20,000 table previews as fast as a small one. Nothing here computes science; the
roles model only records the user's choices for the Data page to hand to the core.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt, Signal
from PySide6.QtWidgets import QComboBox, QStyledItemDelegate

from guiapp.core.data.roles import ROLE_WORDS, ROLES

PREVIEW_BATCH = 500  # rows handed to the view at a time (fetchMore)


def format_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return "—"
        return f"{value:.6g}"
    text = str(value)
    return "—" if text in ("nan", "<NA>", "NaT") else text


class DataFrameModel(QAbstractTableModel):
    """A read-only view of a pandas DataFrame; rows arrive in batches as the user scrolls."""

    def __init__(self, frame=None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._frame = None
        self._columns: list = []
        self._loaded = 0
        self.set_frame(frame)

    def set_frame(self, frame) -> None:
        self.beginResetModel()
        self._frame = frame
        self._columns = [str(c) for c in frame.columns] if frame is not None else []
        self._loaded = min(PREVIEW_BATCH, len(frame)) if frame is not None else 0
        self.endResetModel()

    @property
    def frame(self):
        return self._frame

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802 (Qt's name)
        return 0 if parent.isValid() else self._loaded

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._columns)

    def canFetchMore(self, parent: QModelIndex = QModelIndex()) -> bool:  # noqa: N802
        return self._frame is not None and not parent.isValid() and self._loaded < len(self._frame)

    def fetchMore(self, parent: QModelIndex = QModelIndex()) -> None:  # noqa: N802
        more = min(PREVIEW_BATCH, len(self._frame) - self._loaded)
        self.beginInsertRows(QModelIndex(), self._loaded, self._loaded + more - 1)
        self._loaded += more
        self.endInsertRows()

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole):
        if not index.isValid() or self._frame is None:
            return None
        if role in (Qt.DisplayRole, Qt.ToolTipRole):
            return format_cell(self._frame.iat[index.row(), index.column()])
        if role == Qt.TextAlignmentRole:
            value = self._frame.iat[index.row(), index.column()]
            if isinstance(value, (int, float, np.integer, np.floating)):
                return int(Qt.AlignRight | Qt.AlignVCenter)
        return None

    def headerData(self, section: int, orientation, role: int = Qt.DisplayRole):  # noqa: N802
        if role != Qt.DisplayRole:
            return None
        if orientation == Qt.Horizontal:
            return self._columns[section] if section < len(self._columns) else None
        return str(section + 1)


class RolesModel(QAbstractTableModel):
    """One row per column of the table: its role (editable), kind, missing values and a note."""

    HEADERS = ("column", "role", "kind", "missing", "note")
    role_edited = Signal(str, str)  # column, new role

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list = []  # [column, role, kind, missing, note]

    def set_columns(self, rows: list) -> None:
        self.beginResetModel()
        self._rows = [list(r) for r in rows]
        self.endResetModel()

    def roles(self) -> dict:
        return {r[0]: r[1] for r in self._rows}

    def row_of(self, column: str) -> int:
        for i, r in enumerate(self._rows):
            if r[0] == column:
                return i
        return -1

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.HEADERS)

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole):
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        if role in (Qt.DisplayRole, Qt.EditRole):
            return str(row[index.column()])
        if role == Qt.ToolTipRole and index.column() == 1:
            return ROLE_WORDS.get(row[1], "")
        return None

    def flags(self, index: QModelIndex):
        base = super().flags(index)
        return base | Qt.ItemIsEditable if index.column() == 1 else base

    def setData(self, index: QModelIndex, value, role: int = Qt.EditRole) -> bool:  # noqa: N802
        if role != Qt.EditRole or index.column() != 1 or value not in ROLES:
            return False
        row = self._rows[index.row()]
        if row[1] == value:
            return False
        row[1] = value
        self.dataChanged.emit(index, index, [Qt.DisplayRole, Qt.EditRole])
        self.role_edited.emit(row[0], value)
        return True

    def headerData(self, section: int, orientation, role: int = Qt.DisplayRole):  # noqa: N802
        if role == Qt.DisplayRole and orientation == Qt.Horizontal:
            return self.HEADERS[section]
        return None


class RoleDelegate(QStyledItemDelegate):
    """Edits a role with a combo box of the seven roles."""

    def createEditor(self, parent, option, index):  # noqa: N802
        box = QComboBox(parent)
        box.setAccessibleName("Column role")
        for role in ROLES:
            box.addItem(role)
            box.setItemData(box.count() - 1, ROLE_WORDS[role], Qt.ToolTipRole)
        return box

    def setEditorData(self, editor, index) -> None:  # noqa: N802
        editor.setCurrentText(index.data(Qt.EditRole))

    def setModelData(self, editor, model, index) -> None:  # noqa: N802
        model.setData(index, editor.currentText(), Qt.EditRole)
