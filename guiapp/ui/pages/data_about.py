"""The Data page's sensitivity answer and its "Sensitivity and source" tab: the questions that
suggest an answer (Tip 10), and where the data came from.

The answer itself (sensitive, not sensitive, not declared) is a row of the page's form, just
above Load, so it is seen without opening a tab; the tab holds the questions behind it.

Not a page: ``pages/data.py`` builds the row and the tab from it. The widgets are the page's attributes.
"""

from __future__ import annotations

from functools import partial

from PySide6.QtWidgets import QBoxLayout, QCheckBox, QFormLayout, QHBoxLayout, QLabel, QWidget

from guiapp.core.privacy import ethics
from guiapp.ui.forms import Field, Form
from guiapp.ui.pages.sensitivity import sensitivity_radios

ANSWER_CHOICES = ((None, "not answered"), (True, "yes"), (False, "no"))
# The questions asked with a yes/no box: (key, label, tip).
QUESTIONS = (
    ("about_humans", "About people?", "Do the samples come from people (patients, donors, volunteers)?"),
    (
        "identifiable",
        "Identifiable?",
        "Could a row be linked to a person: names, dates, places, record numbers, rare combinations of traits?",
    ),
)
# What covers the data, ticked with its reference: (key, reference key, label, example).
COVERS = (
    (
        "consent",
        "consent_reference",
        "Informed consent or ethics (IRB) approval covers the data",
        "e.g. IRB-2023-114, or the ethics committee's reference",
    ),
    (
        "data_use_agreement",
        "dua_reference",
        "A data-use agreement covers the data",
        "e.g. the agreement's title or number",
    ),
)
SOURCE_FIELDS = (
    Field(
        "source",
        "Source:",
        "line",
        "Where the data came from, so others can get the same data.",
        "Data source",
        placeholder="e.g. GEO GSE12345, or 'our lab, run of March 2024'",
    ),
    Field(
        "version",
        "Version:",
        "line",
        "Which version or release of the data this is.",
        "Data version",
        placeholder="e.g. release 2, or a date",
    ),
    Field(
        "downloaded",
        "Downloaded on:",
        "line",
        "When the file was downloaded or exported, if it matters.",
        "Download date",
        placeholder="e.g. 2024-03-01",
    ),
)


def add_sensitivity_row(page, layout: QBoxLayout) -> None:
    """The sensitivity answer as radio buttons (``page.sensitivity``) after its question, one row of ``layout``."""
    row = QHBoxLayout()
    question = QLabel("<b>Are the data sensitive?</b>")
    question.setToolTip(
        "About people, identifiable, under consent or a data-use agreement: the questions behind "
        "the answer are on the 'Sensitivity and source' tab below."
    )
    row.addWidget(question)
    page.sensitivity = sensitivity_radios(page, page._on_sensitivity)
    for button in page.sensitivity.buttons():
        row.addWidget(button)
    row.addStretch(1)
    layout.addLayout(row)


def build_about_tab(page) -> Form:
    """The tab's widget (``page.about_tab``) and its form; sets the page's answer widgets."""
    page.about_tab = QWidget()
    form = Form(page, wrap=True, layout=QFormLayout(page.about_tab))
    page.answer_boxes, page.answer_refs = {}, {}
    for key, label, tip in QUESTIONS:
        answer = partial(_answer_box, page, key)
        form.add(Field(f"answer_{key}", label, "combo", tip, label.rstrip("?"), items=ANSWER_CHOICES, on_change=answer))
        page.answer_boxes[key] = form.widget(f"answer_{key}")
    for key, ref_key, label, tip in COVERS:
        check = Field(
            f"answer_{key}", kind="check", text=label, accessible=label, on_change=partial(_answer_check, page, key)
        )
        ref = Field(
            f"answer_{ref_key}",
            accessible=f"{label}: reference",
            placeholder=f"Reference ({tip})",
            on_change=partial(_answer_ref, page, ref_key),
            stretch=1,
        )
        form.add_row("", [check, ref])
        page.answer_boxes[key] = form.widget(f"answer_{key}")
        page.answer_refs[ref_key] = form.widget(f"answer_{ref_key}")
    form.add(Field("suggestion", "", "value", accessible="Sensitivity suggestion"))
    form.add(*SOURCE_FIELDS)
    return form


def _answer_box(page, key: str, _index: int) -> None:
    page._on_answer(key, page.answer_boxes[key].currentData())


def _answer_check(page, key: str, on: bool) -> None:
    page._on_answer(key, True if on else None)


def _answer_ref(page, ref_key: str, text: str) -> None:
    page._on_answer(ref_key, text, soon=True)


def show_answers(page) -> None:
    """The study's answers in the boxes, and the suggestion they lead to."""
    study = page.study
    d = study.data
    for key, widget in page.answer_boxes.items():
        widget.blockSignals(True)
        if isinstance(widget, QCheckBox):
            widget.setChecked(bool(getattr(d, key)))
        else:
            widget.setCurrentIndex(max(widget.findData(getattr(d, key)), 0))
        widget.blockSignals(False)
    for key, edit in page.answer_refs.items():
        if edit.text().strip() != getattr(d, key):
            edit.setText(getattr(d, key))
    value, why = ethics.suggested_sensitivity(study)
    if why and value is not None and value != d.sensitive:
        page.suggestion.setText(f"Suggested: {'sensitive' if value else 'not sensitive'}, because {why}.")
    elif why and value is None:
        page.suggestion.setText(f"Note: {why}.")
    else:
        page.suggestion.setText("")
