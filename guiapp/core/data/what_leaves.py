"""What leaves the study with an export: which columns ``predictions.csv`` carries, and its row key.

A column leaves only when the user chose to carry it (``[export] carry``; by default the label,
the batch and the subgroup columns) and nothing marks it as personal: not the personal-identifier
scan, not its name, not its role (identifiers, and columns found to look like identifiers).
Rows are keyed by the sample ID where that ID is not personal. Where it is, each row gets a
pseudonymous key (an HMAC of the row under a secret kept in the study folder); the table that
leads from key back to record, ``private/row_keys.csv``, stays in the study folder.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from guiapp.core.data.pii import category_by_name
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.findings import Findings
from guiapp.core.study.model import Study

PRIVATE_DIR = "private"
ROW_KEYS_FILE = "private/row_keys.csv"
ROW_KEY_SECRET = "private/row_key.secret"
ROW_KEY = "row_key"


def personal_columns(study: Study, columns=()) -> list[str]:
    """Columns marked personal: by the personal-identifier scan, or (the study's named columns and
    ``columns``) by a name that says so (``dob``, ``zip``, ``patient_id``…).

    A column that merely looks like a sample identifier (a distinct value in every row) is not
    personal by that alone; as an identifier it still never leaves, unless it keys the rows.
    """
    d = study.data
    marked = [str(h.get("column")) for h in d.pii if h.get("column")]
    marked += [
        str(f.values.get("column"))
        for f in study.findings
        if f.code == Findings.personal_identifier.code and f.values.get("column")
    ]
    names = [
        *map(str, d.roles),
        *map(str, columns),
        *map(str, d.identifiers),
        d.sample_id,
        d.group,
        d.batch,
        d.label,
        *map(str, d.subgroups),
    ]
    marked += [c for c in names if c and category_by_name(c) is not None]
    return list(dict.fromkeys(marked))


def id_columns(study: Study, columns) -> list[str]:
    """The columns that name each sample, among ``columns``: the sample ID first, then the identifiers."""
    columns = [str(c) for c in columns]
    names = (study.data.sample_id, *map(str, study.data.identifiers))
    return [name for name in dict.fromkeys(names) if name and name in columns]


def key_column(study: Study, columns) -> str | None:
    """The sample-ID column that may key predictions.csv: the sample ID, else the first identifier,
    that nothing marks as personal (None when every ID column is personal, or there is none)."""
    ids = id_columns(study, columns)
    personal = set(personal_columns(study, ids))
    return next((name for name in ids if name not in personal), None)


def chosen_columns(study: Study) -> list[str]:
    """The columns the user chose to carry: ``[export] carry``, else the label, batch and subgroups."""
    d = study.data
    chosen = list(study.export.carry) if getattr(study.export, "carry", None) else [d.label, d.batch, *d.subgroups]
    return [str(c) for c in dict.fromkeys(chosen) if c]


def carried_columns(study: Study, columns) -> list[str]:
    """Of ``columns``, those that leave: chosen, and neither personal, an identifier nor a feature."""
    d = study.data
    present = [str(c) for c in columns]
    personal = set(personal_columns(study, present))
    chosen = chosen_columns(study)
    refused = [c for c in chosen if c in personal]
    if refused and getattr(study.export, "carry", None):
        raise TenfoldError(
            f"[export] carry names {', '.join(map(repr, refused))}, marked personal (by the personal-identifier "
            "scan, by its name or as an identifier): a personal column never leaves the study. Take it out of "
            "carry; predictions.csv is keyed by the sample ID, or by a pseudonymous row key when the ID is personal."
        )
    unknown = [c for c in chosen if c not in present and getattr(study.export, "carry", None)]
    if unknown:
        raise TenfoldError(
            f"[export] carry names {', '.join(map(repr, unknown))}, which the data table does not "
            f"have; choose among: {', '.join(present[:30])}."
        )
    like_ids = {str(f.values.get("column")) for f in study.findings if f.code == Findings.identifier_like_column.code}
    never = personal | like_ids | set(map(str, d.identifiers)) | set(map(str, d.feature_columns))
    return [c for c in chosen if c in present and c not in never]


def left_out(study: Study, columns) -> list[str]:
    """The personal columns among ``columns``: named in privacy.md as never leaving."""
    return [c for c in personal_columns(study, columns) if c in {str(c) for c in columns}]


def _secret(study: Study) -> bytes:
    """The study's row-key secret, made on first use; without a study folder, one for this call only."""
    if study.folder is None:
        return secrets.token_bytes(32)
    path = study.path(ROW_KEY_SECRET)
    if path.is_file():
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(key.hex(), encoding="ascii")
    os.replace(tmp, path)
    return key


def row_keys(study: Study, rows) -> list[str]:
    """A pseudonymous key for each table row number in ``rows``: stable for the study, meaningless outside it."""
    secret = _secret(study)
    return [hmac.new(secret, f"row:{int(r)}".encode(), hashlib.sha256).hexdigest()[:16] for r in rows]


def prediction_rows(study: Study, rows, te):
    """The rows of predictions.csv before the predictions: the key columns, then the carried ones.

    ``rows`` is the labelled table (:func:`guiapp.core.data.attach.model_frame`), ``te`` the test rows.
    A personal sample ID is replaced by a row key, and the key's mapping is written to the study
    folder (``private/row_keys.csv``).
    """
    import pandas as pd  # pandas: imported lazily so the window opens fast

    columns = [str(c) for c in rows.columns]
    carried = carried_columns(study, columns)
    te = [int(i) for i in te]
    picked = rows.iloc[te]
    frame = pd.DataFrame(index=range(len(te)))
    key = key_column(study, columns)
    ids = id_columns(study, columns)
    if key is not None or not ids:
        frame["row"] = te  # the table's row number: no more personal than the sample ID beside it
        if key is not None:
            frame[key] = picked[key].to_numpy()
    else:  # every ID is personal: a pseudonymous key, and the way back stays in the study folder
        keys = row_keys(study, te)
        frame[ROW_KEY] = keys
        _write_mapping(study, pd.DataFrame({ROW_KEY: keys, "row": te, **{c: picked[c].to_numpy() for c in ids}}))
    for c in carried:
        if c not in frame.columns:
            frame[c] = picked[c].to_numpy()
    return frame


def _write_mapping(study: Study, mapping) -> Path | None:
    if study.folder is None:
        return None
    path = study.path(ROW_KEYS_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    mapping.to_csv(tmp, index=False)
    os.replace(tmp, path)
    return path
