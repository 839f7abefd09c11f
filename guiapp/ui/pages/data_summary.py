"""The Data page's "What is in the table" tab in words: the loaded data's summary lines and the
log-transform advice (with the columns it is about), shown and applied from the tab's buttons.

Not a page: ``pages/data.py`` shows these texts and calls these functions.
"""

from __future__ import annotations

from pathlib import Path

from guiapp.core.data import transform
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.model import Study


def summary_lines(study: Study) -> list[str]:
    """The loaded data in a few lines: size, label, batch and group, form, sample sheet, file."""
    d = study.data
    prov = d.provenance
    lines = [
        f"{d.n_samples:,} samples × {d.n_features:,} features, label '{d.label}'"
        + (f" ({len(d.classes)} classes)" if d.classes else ""),
        f"Batch column: {d.batch or 'none'} · group column: {getattr(d, 'group', '') or 'none'}",
    ]
    if d.modality != "table":
        shape = " × ".join(map(str, d.input_shape))
        lines.append(
            f"Read as {'images' if d.modality == 'image' else 'sequences'}: each sample a {shape} array"
            + (f" ({d.options.get('alphabet', '').upper()})" if d.modality == "sequence" else "")
        )
    sheet = d.sample_sheet or {}
    if sheet:
        lines.append(
            f"Sample sheet {Path(sheet.get('sheet', '')).name}: {sheet.get('matched', 0):,} samples matched "
            f"by '{sheet.get('sheet_key', '')}'; {sheet.get('data_unmatched', 0):,} sample(s) without a "
            f"row, {sheet.get('sheet_unmatched', 0):,} row(s) without a sample"
        )
    if d.identifiers:
        lines.append("Not used as features (identifiers): " + ", ".join(map(str, d.identifiers)))
    lines.append(f"File: {Path(prov.path).name}, {prov.size_bytes / 1024:,.0f} kB, SHA-256 {prov.sha256[:16]}…")
    if study.table is None:
        lines.append(
            "The table is not in memory: Tenfold is reading the file again, "
            "or it could not (see above). Load it again if needed."
        )
    return lines


def log_suggested(study: Study) -> list:
    """The feature columns that look like counts or intensities and are not yet log-transformed."""
    d = study.data
    done = set(transform.log1p_columns(d.transform))
    return [c for c in (d.profile or {}).get("log1p_suggested", []) if c not in done and c in d.feature_columns]


def log_advice_words(study: Study, suggested: list) -> list[str]:
    """What is transformed already, and the advice about the suggested columns."""
    d = study.data
    words = []
    if transform.log1p_columns(d.transform):
        words.append(transform.describe(d.transform, d.feature_columns).replace("`", "'").capitalize())
    if suggested:
        names = ", ".join(suggested[:5]) + (f" and {len(suggested) - 5} more" if len(suggested) > 5 else "")
        words.append(
            f"{len(suggested)} column(s) look like counts or intensities ({names}): a log transform "
            "usually helps a network."
        )
    return words


def show_log_advice(page) -> None:
    """The Data page's log-transform advice and its buttons, as the study stands."""
    study = page.study
    suggested, done = log_suggested(study), transform.log1p_columns(study.data.transform)
    words = log_advice_words(study, suggested)
    page.log_advice.setText(" ".join(words))
    page.log_advice.setVisible(bool(words))
    page.log_button.setText(f"Apply log1p to {len(suggested)} column(s)")
    page.log_button.setVisible(bool(suggested))
    page.log_undo.setVisible(bool(done))


def set_log(page, columns: list) -> None:
    """Log-transform ``columns`` (none: remove the transform), unless the sealed test was used."""
    if page.study.split.test_uses:
        page.show_error(
            "The sealed test set has been used: changing the features now would change the "
            "study after its result. Start a new study to transform the data."
        )
        return
    try:
        transform.set_log1p(page.study, columns)
    except TenfoldError as exc:
        page.show_error(str(exc))
        return
    page.changed()
