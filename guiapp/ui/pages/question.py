"""Step 2, Question: the scientific question, the task, and the success criterion (Tip 4)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
)

from guiapp.core.stats import metrics
from guiapp.core.study import vocabulary
from guiapp.ui.pages.base import StepPage, preview
from guiapp.ui.why_disabled import enable
from guiapp.ui.widgets import heading, note

NOT_SET = -0.01  # the target spin box's minimum, shown as "not set"
NO_BUDGET = "no budget"
DEFAULT_ECE = 0.05
_TASK_LABELS = {
    "classification": "Classification: predict a category (e.g. tumour vs normal)",
    "regression": "Regression: predict a number (e.g. age, expression level)",
}
TASKS = tuple((key, _TASK_LABELS[key]) for key in vocabulary.TASKS)


class QuestionPage(StepPage):
    step_id = "question"
    intro = (
        "Say what you want to learn before looking at any result. The question decides "
        "the data you need, the metric that matters and what counts as success."
    )

    def build(self) -> None:
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.WrapLongRows)  # narrow windows: fields under their labels
        self.title = QLineEdit()
        self.title.setPlaceholderText("e.g. Can tumour subtype be predicted from 50 marker genes?")
        self.title.setAccessibleName("Scientific question")
        self.title.setToolTip("One sentence: what should the model predict, from what, and why.")
        self.title.textChanged.connect(self._on_title)
        form.addRow("Scientific question:", self.title)

        self.description = QPlainTextEdit()
        self.description.setPlaceholderText("Background, the samples, how the answer will be used…")
        self.description.setAccessibleName("Description")
        self.description.setToolTip("Optional: context that goes into the model card.")
        self.description.setFixedHeight(90)
        self.description.textChanged.connect(self._on_description)
        form.addRow("Description:", self.description)

        self.task_group = QButtonGroup(self)
        task_box = QVBoxLayout()
        for i, (task, text) in enumerate(TASKS):
            radio = QRadioButton(text)
            radio.setAccessibleName(text.split(":")[0])
            radio.setProperty("task", task)
            self.task_group.addButton(radio, i)
            task_box.addWidget(radio)
        self.task_group.idToggled.connect(self._on_task)
        form.addRow("Task:", task_box)

        self.metric = QComboBox()
        self.metric.setAccessibleName("Target metric")
        self.metric.setToolTip("The metric your success criterion is stated in.")
        self.metric.currentIndexChanged.connect(self._on_metric)
        self.target = QDoubleSpinBox()
        self.target.setAccessibleName("Target value")
        self.target.setDecimals(3)
        self.target.setRange(NOT_SET, 1e6)
        self.target.setSingleStep(0.01)
        self.target.setSpecialValueText("not set")
        self.target.setToolTip(
            "The value that would count as success, decided before any result. 'not set' means no criterion yet."
        )
        self.target.valueChanged.connect(self._on_target)
        crit = QHBoxLayout()
        crit.addWidget(self.metric)
        self.direction = note("")
        crit.addWidget(self.direction)
        crit.addWidget(self.target)
        crit.addStretch(1)
        form.addRow("Success criterion:", crit)
        self.main_action = self.target  # the page's main control: in view without scrolling
        self.body.addLayout(form)
        self.task_note = note("")
        self.body.addWidget(self.task_note)
        self._build_budgets()

    def _build_budgets(self) -> None:
        self.body.addWidget(heading("Budgets"))
        self.body.addWidget(
            note(
                "Set what the model may cost before you see any result. The Evaluate page "
                "measures each one and shows it met or not met; the model card reports it."
            )
        )
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.WrapLongRows)  # narrow windows: fields under their labels
        self.max_parameters = QSpinBox()
        self.max_parameters.setRange(0, 2_000_000_000)
        self.max_parameters.setSingleStep(10_000)
        self.max_parameters.setGroupSeparatorShown(True)
        self.max_parameters.setSpecialValueText(NO_BUDGET)
        self.max_parameters.setAccessibleName("Largest model size in parameters")
        self.max_parameters.setToolTip("The most trainable parameters the network may have.")
        self.max_parameters.valueChanged.connect(self._on_budget)
        form.addRow("Model size at most (parameters):", self.max_parameters)
        self.max_latency = QDoubleSpinBox()
        self.max_latency.setRange(0.0, 1e6)
        self.max_latency.setDecimals(2)
        self.max_latency.setSpecialValueText(NO_BUDGET)
        self.max_latency.setAccessibleName("Longest inference time in milliseconds")
        self.max_latency.setToolTip("The longest time to score one sample on the CPU, in milliseconds.")
        self.max_latency.valueChanged.connect(self._on_budget)
        form.addRow("Inference time at most (ms per sample):", self.max_latency)
        self.max_minutes = QDoubleSpinBox()
        self.max_minutes.setRange(0.0, 1e6)
        self.max_minutes.setDecimals(1)
        self.max_minutes.setSpecialValueText(NO_BUDGET)
        self.max_minutes.setAccessibleName("Longest training time in minutes")
        self.max_minutes.setToolTip("The longest the final training run may take, in minutes.")
        self.max_minutes.valueChanged.connect(self._on_budget)
        form.addRow("Training time at most (minutes):", self.max_minutes)
        calibration = QHBoxLayout()
        self.calibration = QCheckBox("Calibrated probabilities needed; expected calibration error at most")
        self.calibration.setAccessibleName("Calibration needed")
        self.calibration.setToolTip("Ask for this when people will act on the predicted probabilities themselves.")
        self.calibration.toggled.connect(self._on_budget)
        calibration.addWidget(self.calibration)
        self.max_ece = QDoubleSpinBox()
        self.max_ece.setRange(0.005, 0.5)
        self.max_ece.setDecimals(3)
        self.max_ece.setSingleStep(0.01)
        self.max_ece.setValue(DEFAULT_ECE)
        self.max_ece.setAccessibleName("Largest calibration error")
        self.max_ece.valueChanged.connect(self._on_budget)
        calibration.addWidget(self.max_ece)
        calibration.addStretch(1)
        form.addRow("Calibration:", calibration)
        self.body.addLayout(form)
        self._budget_widgets = (self.max_parameters, self.max_latency, self.max_minutes, self.calibration, self.max_ece)
        from guiapp.ui.pages.criteria_panel import CriteriaPanel  # generalizability, interpretability, efficiency

        self.criteria = CriteriaPanel(self)
        self.body.addWidget(self.criteria)

    def refresh(self) -> None:
        q = self.study.question
        widgets = (self.title, self.description, self.task_group, self.metric, self.target)
        for w in widgets:
            w.blockSignals(True)
        if self.title.text() != q.title:
            self.title.setText(q.title)
        if self.description.toPlainText() != q.description:
            self.description.setPlainText(q.description)
        for button in self.task_group.buttons():
            button.setChecked(button.property("task") == q.task)
        self._fill_metrics(q.task, q.target_metric)
        self.target.setValue(NOT_SET if q.target_value is None else q.target_value)
        for w in widgets:
            w.blockSignals(False)
        for w in self._budget_widgets:
            w.blockSignals(True)
        self.max_parameters.setValue(int(q.max_parameters or 0))
        self.max_latency.setValue(float(q.max_latency_ms or 0.0))
        self.max_minutes.setValue(float(q.max_training_minutes or 0.0))
        self.calibration.setChecked(q.max_calibration_error is not None)
        enable(
            self.calibration,
            ""
            if q.task == "classification"
            else "Calibration is about predicted probabilities of classes: only for classification.",
        )
        self.max_ece.setValue(q.max_calibration_error if q.max_calibration_error is not None else self.max_ece.value())
        self.max_ece.setEnabled(q.task == "classification" and q.max_calibration_error is not None)
        for w in self._budget_widgets:
            w.blockSignals(False)
        self._update_direction()
        self.criteria.refresh()
        super().refresh()

    def _fill_metrics(self, task: str, current: str) -> None:
        self.metric.clear()
        for name in metrics.metric_names(task):
            self.metric.addItem(metrics.DISPLAY_NAMES.get(name, name), name)
        index = self.metric.findData(current)
        self.metric.setCurrentIndex(max(index, 0))

    def _update_direction(self) -> None:
        name = self.metric.currentData()
        higher = metrics.HIGHER_IS_BETTER.get(name, True)
        self.direction.setText("at least" if higher else "at most")

    # ----- edits ---------------------------------------------------------------------------
    def _on_title(self, text: str) -> None:
        self.study.question.title = text
        self.changed_soon()

    def _on_description(self) -> None:
        self.study.question.description = self.description.toPlainText()
        self.changed_soon()

    def _on_task(self, button_id: int, checked: bool) -> None:
        if not checked:
            return
        q = self.study.question
        q.task = TASKS[button_id][0]
        if q.target_metric not in metrics.metric_names(q.task):
            q.target_metric = metrics.metric_names(q.task)[0]
            q.target_value = None
        if self.study.data.feature_columns:
            self.task_note.setText(
                "The task changed after the data were loaded: load the data "
                "again on the Data page so the classes are counted anew."
            )
        self.changed()

    def _on_metric(self, _index: int) -> None:
        name = self.metric.currentData()
        if name:
            self.study.question.target_metric = name
            self._update_direction()
            self.changed()

    def _on_budget(self, *_args) -> None:
        q = self.study.question
        q.max_parameters = self.max_parameters.value() or None
        q.max_latency_ms = self.max_latency.value() or None
        q.max_training_minutes = self.max_minutes.value() or None
        asked = self.calibration.isChecked() and q.task == "classification"
        q.max_calibration_error = round(self.max_ece.value(), 6) if asked else None
        self.max_ece.setEnabled(asked)
        self.changed_soon()

    def _on_target(self, value: float) -> None:
        self.study.question.target_value = None if value <= NOT_SET else round(value, 6)
        self.changed_soon()


if __name__ == "__main__":
    raise SystemExit(preview(QuestionPage))
