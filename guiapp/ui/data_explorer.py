"""Exploring the loaded table on the Data page: the table itself, one column's distribution,
and any two columns against each other coloured by the label or the batch.

The table is a model over the first :data:`FIRST_ROWS` rows (sortable; a missing value is
shaded), so even a 20,000-column table opens at once. Distributions and scatters are computed
by :mod:`guiapp.core.data.exploration` on the worker thread; only drawing happens here.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QTableView, QTabWidget, QVBoxLayout, QWidget

from guiapp.ui.plots import PlotArea, bar_chart, scatter_groups
from guiapp.ui.table_model import DataFrameModel
from guiapp.ui.widgets import value_label

FIRST_ROWS = 1_000
MISSING_COLOUR = "#ffe0b2"  # a soft orange, readable in light and dark themes
SORT_ROLE = Qt.UserRole + 1


def _missing(value) -> bool:
    if value is None:
        return True
    if isinstance(value, (float, np.floating)):
        return math.isnan(value)
    return str(value) in ("nan", "<NA>", "NaT")


class FirstRowsModel(DataFrameModel):
    """The first :data:`FIRST_ROWS` rows of the table; a missing cell is shaded and says so."""

    def set_frame(self, frame) -> None:
        super().set_frame(None if frame is None else frame.iloc[:FIRST_ROWS])

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole):
        if not index.isValid() or self.frame is None:
            return None
        if role in (Qt.BackgroundRole, Qt.ToolTipRole, SORT_ROLE):
            value = self.frame.iat[index.row(), index.column()]
            if role == SORT_ROLE:  # numbers sort as numbers; a missing value sorts first
                if _missing(value):
                    return None
                return float(value) if isinstance(value, (int, float, np.integer, np.floating)) else str(value)
            if _missing(value):
                return QBrush(QColor(MISSING_COLOUR)) if role == Qt.BackgroundRole else "missing value"
            if role == Qt.BackgroundRole:
                return None
        return super().data(index, role)

    def is_missing(self, row: int, column: int) -> bool:
        return _missing(self.frame.iat[row, column])


class SortedRows(QSortFilterProxyModel):
    """Sorts the loaded rows; fetching more rows goes to the table model, as without sorting."""

    def canFetchMore(self, parent: QModelIndex = QModelIndex()) -> bool:  # noqa: N802 (Qt's name)
        return super().canFetchMore(parent)

    def fetchMore(self, parent: QModelIndex = QModelIndex()) -> None:  # noqa: N802
        super().fetchMore(parent)


class DataExplorer(QTabWidget):
    """Three tabs: Table, Distribution, Scatter. ``set_table`` shows a newly loaded table."""

    def __init__(self, page, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.page = page
        self.table_frame = None
        self.label_column = ""
        self.batch_column = ""
        self.distribution_result: dict | None = None
        self.scatter_result: dict | None = None
        self.setAccessibleName("Explore the data")
        self._stale = set()  # tabs to draw again when they are next shown
        self._build_table_tab()
        self._build_distribution_tab()
        self._build_scatter_tab()
        self.currentChanged.connect(lambda _: self._draw_shown())

    # ----- building -------------------------------------------------------------------------
    def _build_table_tab(self) -> None:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        self.table_note = value_label("Table rows shown")
        layout.addWidget(self.table_note)
        self.model = FirstRowsModel(None, self)
        self.proxy = SortedRows(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView()
        self.table.setAccessibleName("Data preview")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.AscendingOrder)  # the file's order until a header is clicked
        self.table.horizontalHeader().setDefaultSectionSize(90)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setMinimumHeight(220)
        layout.addWidget(self.table)
        self.addTab(tab, "Table")

    def _build_distribution_tab(self) -> None:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        row = QHBoxLayout()
        row.addWidget(QLabel("Column:"))
        self.distribution_column = QComboBox()
        self.distribution_column.setAccessibleName("Column to show the distribution of")
        self.distribution_column.currentIndexChanged.connect(lambda _: self._changed(1))
        row.addWidget(self.distribution_column, 1)
        layout.addLayout(row)
        self.distribution_note = value_label("Distribution summary")
        layout.addWidget(self.distribution_note)
        self.distribution_plot = PlotArea(
            "Choose a column to see how its values are spread.", "Distribution of a column", min_height=240
        )
        layout.addWidget(self.distribution_plot)
        self.addTab(tab, "Distribution")

    def _build_scatter_tab(self) -> None:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        row = QHBoxLayout()
        self.scatter_x, self.scatter_y, self.scatter_colour = QComboBox(), QComboBox(), QComboBox()
        for label, box, name in (
            ("x:", self.scatter_x, "Scatter x column"),
            ("y:", self.scatter_y, "Scatter y column"),
            ("Colour by:", self.scatter_colour, "Colour the scatter by"),
        ):
            box.setAccessibleName(name)
            box.currentIndexChanged.connect(lambda _: self._changed(2))
            row.addWidget(QLabel(label))
            row.addWidget(box, 1)
        layout.addLayout(row)
        self.scatter_note = value_label("Scatter summary")
        layout.addWidget(self.scatter_note)
        self.scatter_plot = PlotArea(
            "Choose two numeric columns to draw them against each other.", "Scatter of two columns", min_height=260
        )
        layout.addWidget(self.scatter_plot)
        self.addTab(tab, "Scatter")

    # ----- study → widgets ------------------------------------------------------------------
    def set_table(self, table, label: str = "", batch: str = "") -> None:
        """Show a newly loaded table (None: nothing loaded)."""
        self.table_frame, self.label_column, self.batch_column = table, label or "", batch or ""
        self.model.set_frame(table)
        self.table.sortByColumn(-1, Qt.AscendingOrder)
        self.distribution_result = self.scatter_result = None
        if table is None:
            self.table_note.setText("Load the data to see the table.")
        else:
            n = len(table)
            self.table_note.setText(
                f"The first {min(n, FIRST_ROWS):,} of {n:,} rows; click a column header to sort them. "
                "Missing values are shaded."
            )
        columns = [str(c) for c in table.columns] if table is not None else []
        numeric = [str(c) for c in table.columns if _is_number_column(table[c])] if table is not None else []
        boxes = (self.distribution_column, self.scatter_x, self.scatter_y, self.scatter_colour)
        for box in boxes:
            box.blockSignals(True)
            box.clear()
        self.distribution_column.addItems(columns)
        if self.label_column in columns:
            self.distribution_column.setCurrentText(self.label_column)
        self.scatter_x.addItems(numeric)
        self.scatter_y.addItems(numeric)
        self.scatter_y.setCurrentIndex(min(1, len(numeric) - 1))
        for text, column in (("label", self.label_column), ("batch", self.batch_column)):
            if column in columns:
                self.scatter_colour.addItem(f"{text} ({column})", column)
        self.scatter_colour.addItem("nothing", "")
        for box in boxes:
            box.blockSignals(False)
        self.distribution_plot.show_placeholder()
        self.scatter_plot.show_placeholder()
        self._stale = {1, 2} if table is not None else set()
        self._draw_shown()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self._draw_shown()

    def _draw_shown(self) -> None:
        """Compute only what is on screen: a table loaded behind another page costs nothing."""
        index = self.currentIndex()
        if index in self._stale and self.isVisible():
            self._stale.discard(index)
            (self.draw_distribution if index == 1 else self.draw_scatter)()

    def _changed(self, tab: int) -> None:
        self._stale.add(tab)
        self._draw_shown()

    # ----- computing (worker thread) and drawing -------------------------------------------
    def draw_distribution(self) -> None:
        table, column = self.table_frame, self.distribution_column.currentText()
        if table is None or not column:
            return

        def compute(ctx):
            from guiapp.core.data.exploration import column_distribution

            return column_distribution(table, column)

        def shown(result) -> None:
            if table is self.table_frame and column == self.distribution_column.currentText():
                self._draw_distribution(result)

        self.page.session.runner.run_in_background(compute, on_done=shown)

    def _draw_distribution(self, result: dict) -> None:
        self.distribution_result = result
        column = result["column"]
        self.distribution_plot.title = f"Distribution of {column} · all {result['n'] + result['missing']:,} samples"
        bar_chart(
            self.distribution_plot,
            result["labels"],
            result["counts"],
            y_label="samples (count)",
            x_label=f"{column} ({'bin centre' if result['kind'] == 'numeric' else 'value'})",
        )
        if result["kind"] == "numeric" and len(result["labels"]) > 10:  # every third tick: readable
            axis = self.distribution_plot._widget.getPlotItem().getAxis("bottom")
            axis.setTicks([[(i, lab) for i, lab in enumerate(result["labels"]) if i % 3 == 0]])
        self.distribution_note.setText(f"{result['n']:,} samples with a value, {result['missing']:,} missing.")

    def draw_scatter(self) -> None:
        table, x, y = self.table_frame, self.scatter_x.currentText(), self.scatter_y.currentText()
        colour = self.scatter_colour.currentData() or ""
        if table is None or not x or not y:
            if table is not None:
                self.scatter_plot.show_placeholder("The table needs numeric columns for a scatter.")
            return

        def compute(ctx):
            from guiapp.core.data.exploration import scatter_points

            return scatter_points(table, x, y, colour or None)

        def shown(result) -> None:
            if table is self.table_frame and (x, y, colour) == (
                self.scatter_x.currentText(),
                self.scatter_y.currentText(),
                self.scatter_colour.currentData() or "",
            ):
                self._draw_scatter(result, x, y, colour)

        self.page.session.runner.run_in_background(compute, on_done=shown)

    def _draw_scatter(self, result: dict, x: str, y: str, colour: str) -> None:
        self.scatter_result = result
        coloured = f", coloured by {colour}" if colour else ""
        scatter_groups(
            self.scatter_plot,
            result["xy"],
            result["groups"],
            x_label=x,
            y_label=y,
            title=f"{y} against {x}{coloured} · {result['n']:,} samples",
        )
        skipped = f"; {result['skipped']:,} rows without both numbers left out" if result["skipped"] else ""
        sampled = f"; a random {result['n']:,} of {result['n_rows']:,} drawn" if result["n"] < result["n_rows"] else ""
        self.scatter_note.setText(f"{result['n']:,} samples drawn{sampled}{skipped}.")


def _is_number_column(values) -> bool:
    import pandas as pd

    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
