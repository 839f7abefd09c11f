"""How the Batch-effects page draws the samples: the view (PCA or UMAP) and the column the points
are coloured by, offered from the study's batch, label and metadata columns.

Not a page: ``pages/batch.py`` builds its view row from these fields.
"""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox

from guiapp.core.batch import views as batch_views
from guiapp.core.study.model import Study
from guiapp.ui.forms import Field

NO_BATCH_TIP = "There is no batch column: choose one on the Data page to colour by batch."

COLOUR_FIELD = Field(
    "color_by",
    kind="combo",
    accessible="Colour the samples by",
    tip="Batch shows technical groups; label shows the biology you want to "
    "predict; any other column of the table can hint at hidden groups.",
    on_change="_on_color_by",
)


def view_field() -> Field:
    """PCA, and UMAP where umap-learn is installed (the tip says which)."""
    items: tuple[tuple[str, str], ...]
    if batch_views.umap_available():
        items = (("pca", "PCA"), ("umap", "UMAP"))
        tip = (
            "PCA is linear: distances mean something. UMAP keeps neighbourhoods "
            "and can show groups PCA hides; its distances between groups do not."
        )
    else:
        items, tip = (("pca", "PCA"),), "PCA: the main linear axes of variation. " + batch_views.UMAP_HINT
    return Field("view_kind", kind="combo", accessible="View", tip=tip, items=items, on_change="_on_view_kind")


def fill_colour_columns(combo: QComboBox, study: Study) -> None:
    """Batch, label and the other metadata columns; the study's choice selected (signals blocked)."""
    d = study.data
    columns = [c for c in batch_views.metadata_columns(study) if c not in (d.batch, d.label)]
    wanted = [
        ("batch", f"batch ('{d.batch}')" if d.batch else "batch (none chosen)"),
        ("label", f"label ('{d.label}')" if d.label else "label"),
    ]
    wanted += [(c, c) for c in columns]
    have = [(combo.itemData(i), combo.itemText(i)) for i in range(combo.count())]
    combo.blockSignals(True)
    if have != wanted:
        combo.clear()
        for key, text in wanted:
            combo.addItem(text, key)
        item = combo.model().item(0)
        item.setEnabled(bool(d.batch))
        item.setToolTip("" if d.batch else NO_BATCH_TIP)
    index = combo.findData(batch_views.colour_choice(study))
    if index < 0 or (index == 0 and not d.batch):
        index = 1  # the chosen column is gone: the label, for display only
    combo.setCurrentIndex(index)
    combo.blockSignals(False)


def colour_column(key: str | None, study: Study) -> str:
    """The table column a colour choice stands for."""
    d = study.data
    if key == "batch":
        return d.batch or d.label
    if key == "label":
        return d.label
    return key or d.label
