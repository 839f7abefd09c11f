"""The form helper the pages are built with: fields become the owner's widgets, rows keep the
list's order and labels, bound fields read and write the study, and changes are signalled."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QLabel, QLineEdit, QPushButton, QSpinBox, QWidget

from guiapp.ui.forms import STRETCH, Button, Field, Form, button_row


class Owner(QWidget):
    """Stands in for a page: widgets land on it, action buttons are registered with it."""

    def __init__(self) -> None:
        super().__init__()
        self.actions: list = []
        self.clicked = 0
        self.kinds: list = []

    def action(self, button):
        self.actions.append(button)
        return button

    def _on_kind(self, index: int) -> None:
        self.kinds.append(index)

    def _click(self) -> None:
        self.clicked += 1


FIELDS = (
    Field("kind", "Kind:", "combo", "Which kind.", "Kind", bind="train.kind", items=(("a", "A"), ("b", "B"))),
    Field("epochs", "Epochs:", "spin", "How many.", "Epochs", bind="train.epochs", low=1, high=50),
    Field("rate", "Rate:", "double", "", "Rate", bind="train.rate", decimals=6, low=0.000001, high=1.0),
    Field("exact", "", "check", "", "Exact", bind="train.exact", text="Exact runs"),
    Field("name", "Name:", "line", placeholder="a name", bind="name"),
    Field("hint", "", "note", text="A note under the fields."),
)


def study():
    return SimpleNamespace(name="first", train=SimpleNamespace(kind="b", epochs=7, rate=0.000123, exact=True))


def test_fields_become_named_widgets_in_labelled_rows(qtbot):
    owner = Owner()
    qtbot.addWidget(owner)
    form = Form(owner, FIELDS)
    assert isinstance(owner.kind, QComboBox) and [owner.kind.itemData(i) for i in range(2)] == ["a", "b"]
    assert isinstance(owner.epochs, QSpinBox) and (owner.epochs.minimum(), owner.epochs.maximum()) == (1, 50)
    assert isinstance(owner.rate, QDoubleSpinBox) and owner.rate.minimum() == pytest.approx(0.000001)
    assert isinstance(owner.exact, QCheckBox) and owner.exact.text() == "Exact runs"
    assert isinstance(owner.name, QLineEdit) and owner.name.placeholderText() == "a name"
    assert isinstance(owner.hint, QLabel) and owner.hint.text() == "A note under the fields."
    assert owner.kind.accessibleName() == "Kind" and owner.kind.toolTip() == "Which kind."
    assert form.layout.rowCount() == len(FIELDS)
    assert form.label_for("epochs").text() == "Epochs:"
    assert form.label_for("exact") is None  # no label: the row is the check box alone
    assert form.inputs() == [owner.kind, owner.epochs, owner.rate, owner.exact, owner.name]


def test_load_and_save_follow_the_bound_paths(qtbot):
    owner = Owner()
    qtbot.addWidget(owner)
    form = Form(owner, FIELDS)
    s = study()
    form.load(s)
    assert form.values() == {"kind": "b", "epochs": 7, "rate": pytest.approx(0.000123), "exact": True, "name": "first"}
    owner.epochs.setValue(12)
    owner.kind.setCurrentIndex(0)
    owner.name.setText("second")
    form.save(s, "epochs")
    assert s.train.epochs == 12 and s.train.kind == "b"  # only the named field was written
    form.save(s)
    assert (s.train.kind, s.name) == ("a", "second")
    form.set_value("kind", "missing")  # a value the box does not offer: its first choice
    assert owner.kind.currentData() == "a"


def test_changes_are_signalled_and_quiet_loads_are_not(qtbot):
    owner = Owner()
    qtbot.addWidget(owner)
    form = Form(owner, (Field("kind", "Kind:", "combo", items=(("a", "A"), ("b", "B")), on_change="_on_kind"),))
    seen: list = []
    form.changed.connect(seen.append)
    owner.kind.setCurrentIndex(1)
    assert seen == ["kind"] and owner.kinds == [1]
    form.set_value("kind", "a", quiet=True)
    assert seen == ["kind"] and owner.kinds == [1] and owner.kind.currentData() == "a"


def test_enabled_when_is_asked_by_update_enabled(qtbot):
    owner = Owner()
    qtbot.addWidget(owner)
    allowed = {"on": False}
    form = Form(owner, (Field("epochs", "Epochs:", "spin", enabled_when=lambda: allowed["on"]),))
    form.update_enabled()
    assert not owner.epochs.isEnabled()
    allowed["on"] = True
    form.update_enabled()
    assert owner.epochs.isEnabled()


def test_a_button_row_keeps_its_order_stretch_and_actions(qtbot):
    owner = Owner()
    qtbot.addWidget(owner)
    row = button_row(
        owner,
        (
            Button("go", "Go", "Start it.", "_click", primary=True),
            "Then:",
            12,
            STRETCH,
            Button("stop", "Stop", on_click="_click", action=False),
        ),
    )
    owner.setLayout(row)
    assert (
        isinstance(owner.go, QPushButton) and owner.go.objectName() == "primary" and owner.go.toolTip() == "Start it."
    )
    assert owner.actions == [owner.go]  # Stop stays usable while a task runs
    assert [row.itemAt(i).widget() for i in range(row.count())][:2] == [owner.go, row.itemAt(1).widget()]
    assert row.itemAt(1).widget().text() == "Then:"
    assert row.itemAt(2).spacerItem() is not None and row.itemAt(3).spacerItem() is not None
    assert row.itemAt(4).widget() is owner.stop
    owner.go.click()
    owner.stop.click()
    assert owner.clicked == 2
