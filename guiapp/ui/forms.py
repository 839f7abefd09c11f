"""Pages built from lists: a form's rows and a row of buttons, each described by a small spec.

A page's ``build()`` lists its fields (:class:`Field`) and buttons (:class:`Button`);
:class:`Form` creates the widgets in that order, sets each as an attribute of its owner (the
page or panel, under the field's ``name``), and lays them out as rows of a ``QFormLayout``.
The same form then reads its bound fields from the study (:meth:`Form.load`) and writes them
back (:meth:`Form.save`), and says when a field changed (:attr:`Form.changed`).

Widgets are created, named and added in the order the list gives, so the tab order follows
the list as it followed the hand-written layout code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, Literal

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from guiapp.ui.widgets import note, value_label

Kind = Literal["combo", "spin", "double", "check", "line", "path", "note", "value"]

# The signal each kind reports a change with, unless the field names another.
CHANGE_SIGNALS = {
    "combo": "currentIndexChanged",
    "spin": "valueChanged",
    "double": "valueChanged",
    "check": "toggled",
    "line": "textEdited",
    "path": "textEdited",
}


# A handler: a callable, or the name of the owner's method ("_start", "session.runner.cancel"),
# so that a table of fields can be written once at module level.
Handler = Callable[..., Any] | str


def resolve(owner: object, handler: Handler) -> Callable[..., Any]:
    """The callable a handler names on ``owner``."""
    return attrgetter(handler)(owner) if isinstance(handler, str) else handler


@dataclass(frozen=True)
class Button:
    """A push button: ``name`` is the owner's attribute; ``action`` buttons are off while a task runs."""

    name: str
    text: str
    tip: str = ""
    on_click: Handler | None = None
    primary: bool = False  # the page's main button (object name "primary")
    action: bool = True  # registered with the page's ``action()``
    accessible: str = ""


@dataclass(frozen=True)
class Field:
    """One row of a form (or one control of a row).

    ``name`` is the owner's attribute for the widget; ``label`` the row's label ("" for none);
    ``bind`` a dotted path into the study ("train.max_epochs") that :meth:`Form.load` reads and
    :meth:`Form.save` writes; ``enabled_when`` is asked by :meth:`Form.update_enabled`.
    """

    name: str
    label: str = ""
    kind: Kind = "line"
    tip: str = ""
    accessible: str = ""
    bind: str = ""
    items: Sequence[tuple[Any, str]] = ()  # combo: (value, text)
    low: float = 0
    high: float = 99
    decimals: int = 2  # double
    step: float = 0  # double: the arrows' step (0: Qt's)
    adaptive: bool = False  # double: the step follows the value's decimals
    suffix: str = ""
    special: str = ""  # spin: the text shown at the minimum
    text: str = ""  # check: its text; note: its text; line: its initial text
    placeholder: str = ""
    on_change: Handler | None = None
    signal: str = ""  # the change signal, when not the kind's usual one
    enabled_when: Handler | None = None
    buttons: Sequence[Button] = ()  # path: the buttons beside the line edit
    hidden: bool = False
    stretch: int = 0  # in a row: the share of the row's spare width it takes


STRETCH = None  # in a row: the stretch between the controls before it and after it

# In a row, besides buttons and fields: STRETCH, a text (a plain label) or a number (a gap in pixels).
RowItem = Button | Field | str | int | None


Register = Callable[[QAbstractButton], Any]


def make_button(owner: object, spec: Button, actions: Register | None = None) -> QPushButton:
    """The button of ``spec``, set as ``owner.<name>``; an action button is handed to ``actions``
    (default: the owner's ``action()``, as a page has) to be turned off while a task runs."""
    button = QPushButton(spec.text)
    if spec.action:
        (actions or owner.action)(button)  # type: ignore[attr-defined]  # owner: a StepPage
    if spec.primary:
        button.setObjectName("primary")
    if spec.accessible:
        button.setAccessibleName(spec.accessible)
    if spec.tip:
        button.setToolTip(spec.tip)
    if spec.on_click is not None:
        button.clicked.connect(resolve(owner, spec.on_click))
    setattr(owner, spec.name, button)
    return button


def make_widget(owner: object, spec: Field) -> QWidget:
    """The control of ``spec``, set as ``owner.<name>``, with its change handler connected."""
    widget = _create(spec)
    if spec.accessible:
        widget.setAccessibleName(spec.accessible)
    if spec.tip:
        widget.setToolTip(spec.tip)
    if spec.on_change is not None:
        getattr(widget, spec.signal or CHANGE_SIGNALS[spec.kind]).connect(resolve(owner, spec.on_change))
    if spec.hidden:
        widget.hide()
    setattr(owner, spec.name, widget)
    return widget


def _create(spec: Field) -> QWidget:
    if spec.kind == "combo":
        combo = QComboBox()
        for value, text in spec.items:
            combo.addItem(text, value)
        return combo
    if spec.kind == "spin":
        spin = QSpinBox()
        spin.setRange(int(spec.low), int(spec.high))
        if spec.suffix:
            spin.setSuffix(spec.suffix)
        if spec.special:
            spin.setSpecialValueText(spec.special)
        return spin
    if spec.kind == "double":
        double = QDoubleSpinBox()
        double.setDecimals(spec.decimals)  # before the range, which it rounds
        double.setRange(spec.low, spec.high)
        if spec.step:
            double.setSingleStep(spec.step)
        if spec.adaptive:
            double.setStepType(QAbstractSpinBox.AdaptiveDecimalStepType)
        return double
    if spec.kind == "check":
        return QCheckBox(spec.text)
    if spec.kind in ("line", "path"):
        edit = QLineEdit()
        if spec.text:
            edit.setText(spec.text)
        if spec.placeholder:
            edit.setPlaceholderText(spec.placeholder)
        return edit
    if spec.kind == "note":
        return note(spec.text)
    if spec.kind == "value":
        label = value_label(spec.accessible)
        if spec.text:
            label.setText(spec.text)
        return label
    raise ValueError(f"Field {spec.name!r}: there is no kind {spec.kind!r}.")


def button_row(owner: object, items: Iterable[RowItem], actions: Register | None = None) -> QHBoxLayout:
    """Buttons and controls side by side; ``STRETCH`` puts the row's stretch there, a text a
    label, a number a gap of that many pixels."""
    row = QHBoxLayout()
    for item in items:
        if item is STRETCH:
            row.addStretch(1)
        elif isinstance(item, str):
            row.addWidget(QLabel(item))
        elif isinstance(item, int):
            row.addSpacing(item)
        elif isinstance(item, Button):
            row.addWidget(make_button(owner, item, actions))
        else:
            row.addWidget(make_widget(owner, item), item.stretch)
    return row


def labelled_row(*pairs: tuple[str, QWidget]) -> QWidget:
    """Labelled controls side by side, as one form row ("resized to [64 px] colour [auto]")."""
    layout = QHBoxLayout()
    layout.setContentsMargins(0, 0, 0, 0)
    for label, widget in pairs:
        layout.addWidget(QLabel(label))
        layout.addWidget(widget)
    layout.addStretch(1)
    row = QWidget()
    row.setLayout(layout)
    return row


class Form(QObject):
    """Rows of labelled fields in a ``QFormLayout``, built from :class:`Field` specs."""

    changed = Signal(str)  # a field's value changed (its name), by the user or by code

    def __init__(
        self,
        owner: object,
        fields: Iterable[Field] = (),
        *,
        layout: QFormLayout | None = None,
        wrap: bool = False,
        actions: Register | None = None,
    ) -> None:
        super().__init__(owner if isinstance(owner, QObject) else None)
        self.owner = owner
        self.actions = actions
        self.layout = QFormLayout() if layout is None else layout
        if wrap:  # narrow windows: fields under their labels
            self.layout.setRowWrapPolicy(QFormLayout.WrapLongRows)
        self.specs: dict[str, Field] = {}
        self.widgets: dict[str, QWidget] = {}
        self.add(*fields)

    # ----- building --------------------------------------------------------------------------
    def add(self, *fields: Field) -> Form:
        for spec in fields:
            if spec.kind == "path":
                self._add_path(spec)
                continue
            widget = make_widget(self.owner, spec)
            self._register(spec, widget)
            self.layout.addRow(spec.label, widget)
        return self

    def _add_path(self, spec: Field) -> None:
        edit = make_widget(self.owner, spec)
        self._register(spec, edit)
        row = QHBoxLayout()
        row.addWidget(edit, 1)
        for button in spec.buttons:
            row.addWidget(make_button(self.owner, button, self.actions))
        self.layout.addRow(spec.label, row)

    def _register(self, spec: Field, widget: QWidget) -> None:
        self.specs[spec.name] = spec
        self.widgets[spec.name] = widget
        signal = spec.signal or CHANGE_SIGNALS.get(spec.kind)
        if signal:
            getattr(widget, signal).connect(lambda *_args, name=spec.name: self.changed.emit(name))

    def add_row(self, label: str, items: Iterable[RowItem]) -> QHBoxLayout:
        """A row of several controls and buttons under one label."""
        items = list(items)
        row = button_row(self.owner, items, self.actions)
        for item in items:
            if isinstance(item, Field):
                self._register(item, getattr(self.owner, item.name))
        self.layout.addRow(label, row)
        return row

    # ----- values ----------------------------------------------------------------------------
    def widget(self, name: str) -> QWidget:
        return self.widgets[name]

    def value(self, name: str) -> Any:
        widget = self.widgets[name]
        if isinstance(widget, QComboBox):
            return widget.currentData()
        if isinstance(widget, (QSpinBox, QDoubleSpinBox)):
            return widget.value()
        if isinstance(widget, QAbstractButton):
            return widget.isChecked()
        if isinstance(widget, QLineEdit):
            return widget.text()
        raise TypeError(f"Field {name!r} has no value")

    def set_value(self, name: str, value: Any, *, quiet: bool = False) -> None:
        """Show ``value``; a combo box without it shows its first choice. ``quiet``: no signals."""
        widget = self.widgets[name]
        blocked = widget.blockSignals(True) if quiet else None
        if isinstance(widget, QComboBox):
            widget.setCurrentIndex(max(widget.findData(value), 0))
        elif isinstance(widget, (QSpinBox, QDoubleSpinBox)):
            widget.setValue(value)
        elif isinstance(widget, QAbstractButton):
            widget.setChecked(bool(value))
        elif isinstance(widget, QLineEdit):
            widget.setText(value)
        if quiet:
            widget.blockSignals(bool(blocked))

    def values(self) -> dict[str, Any]:
        return {name: self.value(name) for name in self._input_names()}

    def inputs(self) -> list[QWidget]:
        """The controls a user sets (not the notes and value lines), in the form's order."""
        return [self.widgets[name] for name in self._input_names()]

    def _input_names(self) -> list[str]:
        return [name for name, spec in self.specs.items() if spec.kind in CHANGE_SIGNALS]

    def load(self, study: object, *, quiet: bool = False) -> None:
        """Show each bound field's value from the study."""
        for name, spec in self.specs.items():
            if spec.bind:
                self.set_value(name, _get(study, spec.bind), quiet=quiet)

    def save(self, study: object, *names: str) -> None:
        """Write the bound fields (all, or those named) into the study."""
        for name in names or tuple(self.specs):
            spec = self.specs[name]
            if spec.bind:
                holder, _, attr = spec.bind.rpartition(".")
                setattr(_get(study, holder) if holder else study, attr, self.value(name))

    def update_enabled(self) -> None:
        """Enable each field that has an ``enabled_when`` as it says."""
        for name, spec in self.specs.items():
            if spec.enabled_when is not None:
                self.widgets[name].setEnabled(resolve(self.owner, spec.enabled_when)())

    def set_row_visible(self, name: str, visible: bool) -> None:
        self.layout.setRowVisible(self.widgets[name], visible)

    def label_for(self, name: str) -> QWidget | None:
        return self.layout.labelForField(self.widgets[name])


def _get(obj: object, path: str) -> Any:
    for part in path.split(".") if path else ():
        obj = getattr(obj, part)
    return obj
