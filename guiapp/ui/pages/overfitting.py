"""Step 9, Overfitting: the train/tune gap with the loss curves, the learning curve, and the
label-shuffle control (Tip 7)."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QPushButton, QSpinBox

from guiapp.core.evaluation import learning_curve, overfitting, shuffle_control
from guiapp.core.stats import metrics
from guiapp.ui.eval_plots import real_vs_shuffled, xy_lines
from guiapp.ui.live_curves import LossCurves
from guiapp.ui.page_fit import FitTabs, building_into, cap_height
from guiapp.ui.pages.base import StepPage, preview
from guiapp.ui.plots import PlotArea
from guiapp.ui.widgets import Banner, heading, note, value_label

CURVE_CHOICES = (
    ("25%, 50%, 100% of the training split", (0.25, 0.5, 1.0)),
    ("10%, 25%, 50%, 75%, 100%", (0.1, 0.25, 0.5, 0.75, 1.0)),
    ("50%, 100% (quick)", (0.5, 1.0)),
)


class OverfittingPage(StepPage):
    step_id = "overfitting"
    intro = (
        "A network can memorise its training samples instead of learning what generalises. "
        "Compare its score on the samples it was trained on with its score on the tune "
        "samples, see how the score grows with more training samples, and check that it "
        "beats the same network trained on shuffled labels."
    )

    def build(self) -> None:
        row = QHBoxLayout()
        self.check = self.action(QPushButton("Check for overfitting"))
        self.main_action = self.check  # the page's main button: in view when the page opens
        self.check.setObjectName("primary")
        self.check.setToolTip("Score the best weights on the training and the tune split.")
        self.check.clicked.connect(self._check)
        row.addWidget(self.check)
        row.addStretch(1)
        self.body.addLayout(row)

        form = QFormLayout()
        self.train_score = value_label("Training split score")
        self.tune_score = value_label("Tune split score")
        self.gap = value_label("Gap")
        form.addRow("Training split:", self.train_score)
        form.addRow("Tune split:", self.tune_score)
        form.addRow("Gap:", self.gap)
        self.body.addLayout(form)
        self.reading = value_label("Overfitting reading")
        self.body.addWidget(self.reading)
        self.body.addWidget(heading("Loss curves"))
        self.curves = LossCurves("The loss curves of the training run appear here.")
        self.curves.title = "Loss per epoch · training and tune splits"
        self.body.addWidget(self.curves)
        # The two slower controls are tabs below the check: the page stays about one window tall.
        self.tabs = FitTabs("Overfitting controls")
        self.body.addWidget(self.tabs)
        with building_into(self, self.tabs.add("Learning curve")):
            self._build_learning_curve()
        with building_into(self, self.tabs.add("Label-shuffle control")):
            self._build_shuffle()
        self.tabs.follow_buttons()

    def _build_learning_curve(self) -> None:
        self.body.addWidget(heading("Learning curve"))
        self.body.addWidget(
            note(
                "The network (same settings, early stopping on the tune split) and the best "
                "baseline are retrained on growing shares of the training split. A tune score "
                "still rising at the right says more samples would help."
            )
        )
        row = QHBoxLayout()
        self.curve_shares = QComboBox()
        self.curve_shares.setAccessibleName("Training shares")
        for text, shares in CURVE_CHOICES:
            self.curve_shares.addItem(text, shares)
        row.addWidget(self.curve_shares)
        self.curve_button = self.action(QPushButton("Compute the learning curve"))
        self.curve_button.setToolTip("Retrain on each share in the background; the study's own network is not changed.")
        self.curve_button.clicked.connect(self._learning_curve)
        row.addWidget(self.curve_button)
        row.addStretch(1)
        self.body.addLayout(row)
        self.curve_plot = PlotArea("The learning curve appears here once computed.", "Learning curve")
        self.body.addWidget(self.curve_plot)
        self.curve_reading = value_label("Learning curve reading")
        self.body.addWidget(self.curve_reading)

    def _build_shuffle(self) -> None:
        self.body.addWidget(heading("Label-shuffle control"))
        self.body.addWidget(
            note(
                "The same network configuration is trained on training labels shuffled at random, "
                "several times, and scored on the tune split. Whatever it reaches there is what "
                "memorising noise gives; the real network has to be clearly above it."
            )
        )
        row = QHBoxLayout()
        self.repeats = QSpinBox()
        self.repeats.setRange(1, 50)
        self.repeats.setValue(shuffle_control.DEFAULT_REPEATS)
        self.repeats.setAccessibleName("Shuffled runs")
        self.repeats.setToolTip("How many networks to train on shuffled labels. More runs give a firmer verdict.")
        row.addWidget(self.repeats)
        self.shuffle_button = self.action(QPushButton("Run the label-shuffle control"))
        self.shuffle_button.setToolTip(
            "Retrain on shuffled labels in the background; the study's own network is not changed."
        )
        self.shuffle_button.clicked.connect(self._shuffle)
        row.addWidget(self.shuffle_button)
        row.addStretch(1)
        self.body.addLayout(row)
        self.shuffle_verdict = Banner("info")
        self.shuffle_verdict.setAccessibleName("Label-shuffle verdict")
        self.body.addWidget(self.shuffle_verdict)
        self.shuffle_plot = PlotArea(
            "Real and shuffled-label scores appear here once the control has run.",
            "Real and shuffled-label scores",
            min_height=220,
        )
        self.body.addWidget(self.shuffle_plot)
        cap_height(300, self.curves, self.curve_plot, self.shuffle_plot)

    def arrival_action(self) -> QPushButton | None:
        """On arrival: the overfitting check (read-only)."""
        return self.check if self.study.overfitting.gap is None else None

    def refresh(self) -> None:
        o = self.study.overfitting
        name = metrics.DISPLAY_NAMES.get(o.metric, o.metric)
        if o.gap is None:
            for label in (self.train_score, self.tune_score, self.gap):
                label.setText("—")
            self.reading.setText("Not checked yet.")
        else:
            self.train_score.setText(f"{name} {o.train_score:.3f}")
            self.tune_score.setText(f"{name} {o.tune_score:.3f}")
            self.gap.setText(f"{o.gap:+.3f} (Tenfold warns above {overfitting.GAP_WARN:.2f})")
            self.reading.setText(o.reading)
        t = self.study.train
        self.curves.set_history(t.history, t.best_epoch)
        self._show_learning_curve(o.learning_curve)
        self._show_shuffle(o.shuffle)
        super().refresh()

    def _show_learning_curve(self, lc: dict) -> None:
        if not lc or not lc.get("n_train"):
            self.curve_plot.show_placeholder()
            self.curve_reading.setText("")
            return
        n = lc["n_train"]
        series = [
            ("network, train", n, lc["network"]["train"], 0, False),
            ("network, tune", n, lc["network"]["tune"], 0, True),
        ]
        base = lc.get("baseline") or {}
        if base.get("tune"):
            series += [
                (f"{base['name']}, train", n, base["train"], 1, False),
                (f"{base['name']}, tune", n, base["tune"], 1, True),
            ]
        self.curve_plot.title = "Learning curve · training and tune splits"
        xy_lines(
            self.curve_plot,
            series,
            x_label="training samples",
            y_label=metrics.DISPLAY_NAMES.get(lc["metric"], lc["metric"]),
            symbols=True,
        )
        self.curve_reading.setText(lc.get("reading", ""))

    def _show_shuffle(self, sh: dict) -> None:
        if not sh:
            self.shuffle_plot.show_placeholder()
            self.shuffle_verdict.clear_message()
            return
        self.shuffle_verdict.setProperty("kind", "error" if sh.get("flagged") else "info")
        self.shuffle_verdict.style().polish(self.shuffle_verdict)
        self.shuffle_verdict.show_message(sh.get("reading", ""))
        self.shuffle_plot.title = "Real and shuffled labels · tune split"
        real_vs_shuffled(
            self.shuffle_plot,
            sh["real"],
            sh.get("real_ci"),
            sh["shuffled_tune"],
            metric=metrics.DISPLAY_NAMES.get(sh["metric"], sh["metric"]),
        )

    def _check(self) -> None:
        self.run_task(overfitting.overfitting_check, {"study": self.study}, name="checking for overfitting")

    def _learning_curve(self) -> None:
        self.run_task(
            learning_curve.learning_curve,
            {"study": self.study, "fractions": self.curve_shares.currentData()},
            name="computing the learning curve",
        )

    def _shuffle(self) -> None:
        self.run_task(
            shuffle_control.label_shuffle_control,
            {"study": self.study, "repeats": self.repeats.value()},
            name="running the label-shuffle control",
        )


if __name__ == "__main__":
    raise SystemExit(preview(OverfittingPage))
