"""What leaves the study with an export, as the bundle and privacy.md state it: the columns a
predictions table handed to the export may not carry, and what predictions.csv holds, in words.
The rules themselves (which columns are personal, the row key) are
:mod:`guiapp.core.data.what_leaves`.
"""

from __future__ import annotations

from guiapp.core.data.what_leaves import (
    ROW_KEYS_FILE,
    carried_columns,
    id_columns,
    key_column,
    left_out,
    personal_columns,
)
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.model import Study


def drop_from_export(study: Study, frame) -> list[str]:
    """Columns of a predictions table handed to the export that may not leave it."""
    columns = [str(c) for c in frame.columns]
    key = key_column(study, columns)
    personal = set(personal_columns(study, columns))
    identifiers = set(map(str, study.data.identifiers)) | ({study.data.sample_id} if study.data.sample_id else set())
    return [c for c in columns if c in personal or (c in identifiers and c != key)]


def predictions_text(study: Study) -> str:
    """What predictions.csv holds, in plain words, for privacy.md: true of the file it describes."""
    columns = [str(c) for c in study.data.roles] or [study.data.label]
    key = key_column(study, columns)
    if key is not None:
        keyed = f"keyed by the sample ID column {key!r} (not personal) and the table's row number"
    elif id_columns(study, columns):
        keyed = (
            "keyed by a pseudonymous row key instead of the sample ID, which is personal; the table that "
            f"leads from key to record stays in the study folder ({ROW_KEYS_FILE})"
        )
    else:
        keyed = "keyed by the table's row number"
    try:
        carried = carried_columns(study, columns)
    except TenfoldError:
        carried = []
    text = (
        f"predictions.csv holds one row per test sample, {keyed}, with the predictions and only these "
        f"columns of the data: {', '.join(carried) or 'none'}."
    )
    personal = left_out(study, columns)
    if personal:
        text += (
            " Columns marked personal never leave, in predictions.csv or any other file: " + ", ".join(personal) + "."
        )
    return text + " Together with the original data it can still be linked back to individuals."
