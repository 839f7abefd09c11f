"""Step 11, Interpret: which features the network relies on (permutation importance and
integrated gradients), how far the linear baseline agrees, and the over-interpretation
guards beside them (Tips 8 and 9)."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QFormLayout, QHBoxLayout, QPushButton, QSpinBox

from guiapp.core.evaluation import guards
from guiapp.core.interpretation import interpret
from guiapp.core.stats import metrics
from guiapp.ui.attribution_view import AttributionMaps
from guiapp.ui.page_fit import Collapsible, cap_height
from guiapp.ui.pages.base import StepPage, preview
from guiapp.ui.plots import PlotArea, horizontal_bars
from guiapp.ui.widgets import Banner, ResultTable, heading, note, value_label


class InterpretPage(StepPage):
    step_id = "interpret"
    intro = (
        "Permutation importance shuffles one feature at a time in the tune split and "
        "measures how much the network's score drops; integrated gradients attribute each "
        "prediction to the features. Features that rank high on both are the ones the network "
        "leans on. For images and sequences the attributions are also drawn as maps: where in "
        "the image, and at which positions of the sequence, the output comes from."
    )

    def build(self) -> None:
        self.caveat = Banner("caveat")
        self.caveat.show_message(interpret.CAVEAT)
        self.caveat.setAccessibleName("Caveat")
        self.body.addWidget(self.caveat)
        # How thoroughly to measure: settings most runs keep, folded away so the results fit.
        self.settings = Collapsible("Settings (shuffles per feature, features shown, attributions)")
        self.body.addWidget(self.settings)
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
        self.use_ig = QCheckBox("Integrated gradients (captum)")
        self.use_ig.setChecked(interpret.captum_available())
        self.use_ig.setEnabled(interpret.captum_available())
        self.use_ig.setAccessibleName("Integrated gradients")
        self.use_ig.setToolTip(
            "Attribute each tune prediction to the features, from the training means."
            if interpret.captum_available()
            else "Install the captum package to use this."
        )
        form.addRow("Attributions:", self.use_ig)
        self.settings.body.addLayout(form)
        row = QHBoxLayout()
        self.run_button = self.action(QPushButton("Measure feature importance"))
        self.main_action = self.run_button  # the page's main button: in view when the page opens
        self.run_button.setObjectName("primary")
        self.run_button.setToolTip("Shuffle each feature, attribute the predictions, compare with the linear baseline.")
        self.run_button.clicked.connect(self._run)
        row.addWidget(self.run_button)
        row.addStretch(1)
        self.body.addLayout(row)
        self.body.addWidget(heading("Over-interpretation guards"))
        self.guards = value_label("Over-interpretation guards")
        self.body.addWidget(self.guards)
        self.body.addWidget(heading("Most important features (permutation importance)"))
        self.plot = PlotArea(
            "The most important features appear here once measured.", "Feature importance", min_height=320
        )
        self.body.addWidget(self.plot)
        self.body.addWidget(heading("Integrated gradients"))
        self.ig_plot = PlotArea(
            "Integrated-gradient attributions appear here once measured.", "Integrated gradients", min_height=260
        )
        self.body.addWidget(self.ig_plot)
        cap_height(380, self.plot)  # a drawn plot asks for more: keep both rankings about one window tall
        cap_height(300, self.ig_plot)
        self.ig_note = note("")
        self.body.addWidget(self.ig_note)
        self.maps_heading = heading("Attribution maps")
        self.body.addWidget(self.maps_heading)
        self.maps = AttributionMaps()
        self.body.addWidget(self.maps)
        self.body.addWidget(heading("Agreement with the linear baseline"))
        self.agreement = value_label("Agreement with the linear baseline")
        self.body.addWidget(self.agreement)
        self.agreement_table = ResultTable("Top features of the network and the linear baseline")
        self.body.addWidget(self.agreement_table)

    def arrival_action(self) -> QPushButton | None:
        """On arrival: the interpretation (read-only)."""
        return self.run_button if not self.study.interpret.importances else None

    def refresh(self) -> None:
        it = self.study.interpret
        if it.importances:
            name = metrics.DISPLAY_NAMES.get(it.metric, it.metric)
            self.plot.setMinimumHeight(max(260, 22 * len(it.importances) + 80))
            self.plot.title = "Permutation importance · tune split"
            horizontal_bars(
                self.plot,
                [i["feature"] for i in it.importances],
                [i["mean"] for i in it.importances],
                [i["std"] for i in it.importances],
                x_label=f"drop in tune {name} when shuffled",
            )
        else:
            self.plot.show_placeholder()
        shown = it.attributions[: self.top.value()]
        if shown:
            self.ig_plot.setMinimumHeight(max(240, 22 * len(shown) + 80))
            self.ig_plot.title = "Integrated gradients · tune split"
            horizontal_bars(
                self.ig_plot,
                [a["feature"] for a in shown],
                [a["mean_abs"] for a in shown],
                x_label="mean |attribution| on the tune split",
            )
        else:
            self.ig_plot.show_placeholder()
        self.ig_note.setText(it.attribution_note)
        self.maps.show_maps(it.maps)
        self.maps_heading.setVisible(bool(it.maps))
        self._show_agreement(it.agreement or {})
        texts = guards.guard_texts(self.study) if (it.importances or it.attributions) else []
        self.guards.setText("\n".join(f"• {t}" for t in texts) or "Shown once the features are measured.")
        super().refresh()

    def _show_agreement(self, a: dict) -> None:
        if not a.get("k"):
            self.agreement.setText("Shown once the features are measured.")
            self.agreement_table.hide()
            return
        rho = a.get("spearman")
        self.agreement.setText(
            f"{a['shared_count']} of the network's top {a['k']} features ({a.get('network_measure', '')}) are also "
            f"among the linear baseline's top {a['k']}"
            + (f"; rank correlation ρ = {rho:.2f}" if rho is not None else "")
            + ". Low agreement means the ranking depends on the model: read neither as a list of causes."
        )
        rows = [
            [str(i + 1), n, lin, "shared" if n in a["shared"] else ""]
            for i, (n, lin) in enumerate(zip(a["network_top"], a["linear_top"], strict=False))
        ]
        self.agreement_table.fill(["rank", "network", "linear baseline", ""], rows)
        self.agreement_table.show()

    def _run(self) -> None:
        self.run_task(
            interpret.interpret_model,
            {
                "study": self.study,
                "n_repeats": self.repeats.value(),
                "top": self.top.value(),
                "attributions": self.use_ig.isChecked(),
            },
            name="measuring feature importance",
        )


if __name__ == "__main__":
    raise SystemExit(preview(InterpretPage))
