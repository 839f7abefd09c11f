"""The Data page's sections below Load: the profile in words with the missing values per column,
the column roles (editable), and the data explorer.

Built by :class:`guiapp.ui.data_panels.DataInPanel`, which forwards the study to :meth:`DataSections.show`.
"""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractItemView, QHBoxLayout, QHeaderView, QPushButton, QTableView

from guiapp.ui.plots import PlotArea, horizontal_bars
from guiapp.ui.table_model import RoleDelegate, RolesModel
from guiapp.ui.widgets import heading, note, value_label


def _role_table(table, roles, pii, sheet_columns=None):
    """Runs on the worker thread: one row per column for the roles table."""
    from guiapp.core.data.roles import role_table

    return role_table(table, roles, pii, sheet_columns=sheet_columns)


class DataSections:
    """The profile, the column roles and the explorer; the role edits waiting for a new check."""

    def __init__(self, page, body, roles=None, explore=None) -> None:
        self.page = page
        self.role_edits: dict = {}
        self._shown_table = None
        self.roles_pending = False  # the roles table's rows are being counted on the worker thread

        roles = body if roles is None else roles
        explore = body if explore is None else explore
        self.words = value_label("Data profile in words")
        body.addWidget(self.words)
        self.missing_plot = PlotArea(
            "Missing values per feature appear here once the data are loaded.",
            "Missing values per column",
            min_height=200,
        )
        self.missing_plot.setMaximumSize(560, 260)
        body.addWidget(self.missing_plot)
        body = roles
        body.addWidget(heading("Column roles"))
        body.addWidget(
            note(
                "What each column is for. Identifiers never become features. Double-click a role "
                "to change it, then check the data again."
            )
        )
        self.roles_model = RolesModel(page)
        self.roles_model.role_edited.connect(self._on_role)
        self.roles = QTableView()
        self.roles.setAccessibleName("Column roles")
        self.roles.setModel(self.roles_model)
        self.roles.setItemDelegateForColumn(1, RoleDelegate(self.roles))
        self.roles.setEditTriggers(QAbstractItemView.DoubleClicked | QAbstractItemView.SelectedClicked)
        self.roles.verticalHeader().setVisible(False)
        self.roles.horizontalHeader().setSectionResizeMode(QHeaderView.Interactive)
        self.roles.horizontalHeader().setStretchLastSection(True)
        self.roles.setMinimumHeight(200)
        body.addWidget(self.roles)
        row = QHBoxLayout()
        self.apply_roles = page.action(QPushButton("Check again with these roles"))
        self.apply_roles.setToolTip("Profile the data again with the roles as edited.")
        self.apply_roles.clicked.connect(page._load)
        row.addWidget(self.apply_roles)
        row.addStretch(1)
        body.addLayout(row)
        body = explore
        body.addWidget(heading("Explore the data"))
        from guiapp.ui.data_explorer import (
            DataExplorer,
        )  # numpy and the table model: loaded when the sections are built

        self.explorer = DataExplorer(page)
        self.preview_model, self.preview = self.explorer.model, self.explorer.table
        body.addWidget(self.explorer)

    def show(self, study) -> None:
        """The study's profile; the roles and the explorer again when the table changed."""
        d = study.data
        profile = d.profile or {}
        self.words.setText("\n".join(profile.get("words", [])))
        missing = profile.get("missing_by_column") or {}
        if missing and d.n_samples:
            top = list(missing.items())[:12]
            horizontal_bars(
                self.missing_plot,
                [c for c, _ in top],
                [n / d.n_samples for _, n in top],
                x_label="share of samples missing (fraction, 0–1)",
            )
        else:
            self.missing_plot.show_placeholder("No missing values." if profile else None)
        table = study.table
        if table is not self._shown_table:
            self._shown_table = table
            self.explorer.set_table(table, d.label, d.batch)
            self.role_edits = {}
            self._count_roles(table, dict(d.roles), list(d.pii), list((d.sample_sheet or {}).get("columns_added", [])))

    def _count_roles(self, table, roles: dict, pii: list, sheet_columns: list | None = None) -> None:
        """Fill the roles table from rows counted on the worker thread (a second on 20,000 columns)."""
        self.roles_model.set_columns([])
        if table is None:
            self.roles_pending = False
            return
        self.roles_pending = True

        def shown(rows) -> None:
            if table is self._shown_table:
                self.roles_model.set_columns(rows)
                self.roles_pending = False

        self.page.session.runner.run_in_background(
            lambda ctx: _role_table(table, roles, pii, sheet_columns), on_done=shown
        )

    def _on_role(self, column: str, role: str) -> None:
        self.role_edits[column] = role
        combo = {"label": self.page.label, "batch": self.page.batch, "group": self.page.group}.get(role)
        if combo is not None and combo.findData(column) >= 0:
            combo.setCurrentIndex(combo.findData(column))
        self.page.show_info("Role changed. Press 'Check again with these roles' to profile the data with it.")
