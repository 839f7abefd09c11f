"""The data-sensitivity answer, shown on the Data page and again on the Ethics page (Tip 10).

Not a page: both pages build their radio buttons from here, so neither imports the other.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QButtonGroup, QRadioButton, QWidget

SENSITIVITY = (
    (True, "Sensitive", "About people, identifiable, or covered by consent or a data-use agreement."),
    (False, "Not sensitive", "Public or non-human data that anyone may see."),
    (None, "Not declared yet", "Tenfold treats undeclared data as sensitive and withholds the weights."),
)


def sensitivity_radios(page: QWidget, on_choice: Callable[[bool | None], object]) -> QButtonGroup:
    """The three sensitivity answers as radio buttons (the Ethics page shows the same)."""
    group = QButtonGroup(page)
    for i, (_value, text, tip) in enumerate(SENSITIVITY):
        radio = QRadioButton(text)
        radio.setToolTip(tip)
        radio.setAccessibleName(f"Data sensitivity: {text}")
        group.addButton(radio, i)
    group.idToggled.connect(lambda i, checked: checked and on_choice(SENSITIVITY[i][0]))
    return group


def select_sensitivity(group: QButtonGroup, value: bool | None) -> None:
    group.blockSignals(True)
    index = [v for v, _, _ in SENSITIVITY].index(value)
    group.button(index).setChecked(True)
    group.blockSignals(False)


def chosen_sensitivity(group: QButtonGroup) -> bool | None:
    """The checked answer; None when none is checked (not declared)."""
    checked = group.checkedId()
    return SENSITIVITY[checked][0] if checked >= 0 else None
