"""Step 11, Interpret: which features the network relies on, with the caveat beside it
(Tips 8 and 9)."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QPushButton, QSpinBox

from guiapp.core import interpret, metrics
from guiapp.ui.pages.base import StepPage, preview
from guiapp.ui.plots import PlotArea, horizontal_bars
from guiapp.ui.widgets import Banner, heading


class InterpretPage(StepPage):
    step_id = "interpret"
    intro = ("Permutation importance shuffles one feature at a time in the tune split and "
             "measures how much the network's score drops. Features whose shuffling hurts most "
             "are the ones the network leans on.")

    def build(self) -> None:
        self.caveat = Banner("caveat")
        self.caveat.show_message(interpret.CAVEAT)
        self.caveat.setAccessibleName("Caveat")
        self.body.addWidget(self.caveat)
        form = QFormLayout()
        self.repeats = QSpinBox()
        self.repeats.setRange(1, 100)
        self.repeats.setValue(5)
        self.repeats.setAccessibleName("Shuffles per feature")
        self.repeats.setToolTip("More shuffles give steadier numbers and take longer.")
        form.addRow("Shuffles per feature:", self.repeats)
        self.top = QSpinBox()
        self.top.setRange(3, 200)
        self.top.setValue(20)
        self.top.setAccessibleName("Features to show")
        self.top.setToolTip("How many of the most important features to keep and show.")
        form.addRow("Features to show:", self.top)
        self.body.addLayout(form)
        row = QHBoxLayout()
        self.run_button = self.action(QPushButton("Measure feature importance"))
        self.run_button.setObjectName("primary")
        self.run_button.setToolTip("Shuffle each feature in the tune split and measure the drop in score.")
        self.run_button.clicked.connect(self._run)
        row.addWidget(self.run_button)
        row.addStretch(1)
        self.body.addLayout(row)
        self.body.addWidget(heading("Most important features"))
        self.plot = PlotArea("The most important features appear here once measured.",
                             "Feature importance", min_height=380)
        self.body.addWidget(self.plot)

    def refresh(self) -> None:
        imp = self.study.interpret.importances
        if imp:
            name = metrics.DISPLAY_NAMES.get(self.study.interpret.metric, self.study.interpret.metric)
            self.plot.setMinimumHeight(max(260, 22 * len(imp) + 80))
            horizontal_bars(self.plot, [i["feature"] for i in imp], [i["mean"] for i in imp],
                            [i["std"] for i in imp], x_label=f"drop in tune {name} when shuffled")
        else:
            self.plot.show_placeholder()
        super().refresh()

    def _run(self) -> None:
        self.run_task(interpret.permutation_importance,
                      {"study": self.study, "n_repeats": self.repeats.value(), "top": self.top.value()},
                      name="measuring feature importance")


if __name__ == "__main__":
    raise SystemExit(preview(InterpretPage))
