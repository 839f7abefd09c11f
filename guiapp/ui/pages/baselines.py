"""Step 6, Baselines: traditional models tuned with the network's budget on the same split, the
bar the network must clear, and the verdict "is deep learning warranted here?" (Tips 1 and 2)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QPushButton,
    QSpinBox,
)

from guiapp.core.evaluation import verdict
from guiapp.core.models import baselines, tuning
from guiapp.core.stats import metrics
from guiapp.core.study.errors import TenfoldError
from guiapp.ui.collapsible import collapsible
from guiapp.ui.pages.base import StepPage, preview
from guiapp.ui.pages.baselines_plot import draw_comparison
from guiapp.ui.plots import PlotArea
from guiapp.ui.why_disabled import NOT_TRAINED, enable
from guiapp.ui.widgets import ResultTable, heading, note, value_label

# The usual reasons to go on when the advisor says the baselines may be enough: one click fills the
# reason field with one, and the user's click on "Record my reason" records it.
SUGGESTED_REASONS = (
    "Compare the network with the tuned baselines on the sealed test set before deciding.",
    "The network is needed later: it will be fine-tuned on a larger cohort, where it may pay off.",
    "A practice study: the whole workflow is run even where a baseline may be enough.",
)
SAMPLERS = (("tpe", "TPE (learns from earlier trials)"), ("random", "Random search"))
BOX_COLUMNS = 3  # fits a 1280-pixel window with the checklist docked ...
BOX_ROW_WIDTH = 660  # ... unless the text is larger (display scaling that grows the text): then 2


class BaselinesPage(StepPage):
    step_id = "baselines"
    intro = (
        "Before training a network, see how well simple, well-understood models do on the same "
        "training split, each tuned with the same number of trials the network will get. Deep "
        "learning is only worth its cost where it clearly beats them; on small tables it often "
        "does not."
    )

    def build(self) -> None:
        self._build_verdict()
        self.body.addWidget(heading("Models to tune and fit"))
        self.model_grid = QGridLayout()
        self.model_boxes: dict[str, QCheckBox] = {}
        self.body.addLayout(self.model_grid)
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.WrapLongRows)  # narrow windows: fields under their labels
        self.budget = QSpinBox()
        self.budget.setRange(0, 10000)
        self.budget.setAccessibleName("Trials per model")
        self.budget.setToolTip(
            "Every baseline and the network get this many tuning trials (Tip 2). "
            "0 fits each model with its default settings."
        )
        self.budget.valueChanged.connect(self._on_budget)
        form.addRow("Trials per model (the network gets the same):", self.budget)
        self.sampler = QComboBox()
        self.sampler.setAccessibleName("Search strategy")
        self.sampler.setToolTip(
            "How the next trial's settings are chosen. Both are seeded: a rerun proposes the same trials."
        )
        for value, text in SAMPLERS:
            self.sampler.addItem(text, value)
        self.sampler.currentIndexChanged.connect(self._on_sampler)
        form.addRow("Search strategy:", self.sampler)
        self.body.addLayout(form)
        self.storage_note = note("")
        self.body.addWidget(self.storage_note)

        self.fit = self.action(QPushButton("Tune and fit baselines"))
        self.fit.setObjectName("primary")
        self.fit.setToolTip(
            "Search each chosen model's settings on the tune split, then refit the best on "
            "the training split. An interrupted search continues where it stopped."
        )
        self.fit.clicked.connect(self._fit)
        self.add_run_controls(
            self.fit,
            what="Tuning",
            cancel_tip="Stop after the current trial; finished trials are kept, and the next run continues the search.",
        )
        self.main_action = self.fit

        self.body.addWidget(heading("Scores on the tune split"))
        self.body.addWidget(
            note(
                "Each score comes with a 95% bootstrap interval: the range the score "
                "would likely fall in on another sample of this size."
            )
        )
        self.table = ResultTable("Baseline scores")
        self.body.addWidget(self.table)
        self.more_metrics = ResultTable("More baseline metrics")
        self.more_section = collapsible("Three more metrics per model", self.more_metrics)
        self.body.addWidget(self.more_section)
        self.budget_text = value_label("Tuning budgets")
        self.body.addWidget(self.budget_text)
        self.plot = PlotArea(
            "Every model's tune score with its interval appears here once the baselines are fitted.",
            "Model comparison plot",
            min_height=220,
        )
        # The table holds the numbers; the plot draws them, one click away so the page fits.
        self.plot_section = collapsible("Model comparison plot", self.plot)
        self.body.addWidget(self.plot_section)

    def _build_verdict(self) -> None:
        """The verdict and the reason to go on against it, at the top: once the baselines are
        fitted it is what the page is for, and its buttons stay in view without scrolling."""
        title = QHBoxLayout()  # the question, and beside it the button that updates its answer
        title.addWidget(heading("Is deep learning warranted here? (Tip 1)"), 1)
        self.body.addLayout(title)
        self.verdict = value_label("Verdict")
        self.body.addWidget(self.verdict)
        # The points behind the verdict, one click away: the answer and its buttons stay in view.
        self.evidence = value_label("Evidence for the verdict")
        self.evidence_section = collapsible("The evidence", self.evidence)
        self.body.addWidget(self.evidence_section)
        self.compare = self.action(QPushButton("Compare with the trained network"))
        self.compare.setToolTip(
            "Score the trained network on the tune split and test it against the best baseline with a paired bootstrap."
        )
        self.compare.clicked.connect(self._compare)
        title.addWidget(self.compare)
        # The reason field is an editable list of the usual reasons: type your own, or pick one.
        row = QHBoxLayout()
        self.suggestions = QComboBox()
        self.suggestions.setEditable(True)
        self.suggestions.setInsertPolicy(QComboBox.NoInsert)
        self.suggestions.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.suggestions.setMinimumContentsLength(24)
        self.suggestions.setAccessibleName("Usual reasons to go on")
        self.suggestions.setToolTip(
            "Type your own reason, or open the list for the usual ones; it goes into the model card."
        )
        for text in SUGGESTED_REASONS:
            self.suggestions.addItem(text, text)
        self.suggestions.activated.connect(self._on_suggestion)
        self.reason = self.suggestions.lineEdit()
        self.reason.setAccessibleName("Reason to go on")
        self.reason.setPlaceholderText("If you go on against the advice, say why (it goes into the model card)")
        self.reason.textEdited.connect(self._on_reason_typed)
        self._own_reason: int | None = None  # the study whose reason field holds the user's own words
        self.record_reason = self.action(QPushButton("Record my reason"))
        self.record_reason.clicked.connect(self._record_reason)
        row.addWidget(self.suggestions, 1)
        row.addWidget(self.record_reason)
        self.body.addLayout(row)

    # ----- study → widgets ----------------------------------------------------------------
    def arrival_action(self) -> QPushButton | None:
        """On arrival: the baselines, fitted with the budget shown (Cancel stops them)."""
        return self.fit if not self.study.baselines.results else None

    def refresh(self) -> None:
        task = self.study.question.task
        available = baselines.available(task)
        if set(self.model_boxes) != set(available):
            for box in self.model_boxes.values():
                self.model_grid.removeWidget(box)
                box.deleteLater()
            self.model_boxes = {}
            for name, title in available.items():
                box = QCheckBox(title)
                box.setAccessibleName(f"Fit {title}")
                box.setToolTip(f"Include {title.lower()} among the baselines.")
                box.toggled.connect(self._on_models)
                self.model_boxes[name] = box
            columns = BOX_COLUMNS if self._grid_width(BOX_COLUMNS) <= BOX_ROW_WIDTH else BOX_COLUMNS - 1
            for i, box in enumerate(self.model_boxes.values()):
                self.model_grid.addWidget(box, i // columns, i % columns)
        chosen = [n for n in self.study.baselines.models if n in available] or list(available)
        for name, box in self.model_boxes.items():
            box.blockSignals(True)
            box.setChecked(name in chosen)
            box.blockSignals(False)
        for widget, setter in (
            (self.budget, lambda: self.budget.setValue(self.study.baselines.budget_trials)),
            (
                self.sampler,
                lambda: self.sampler.setCurrentIndex(max(self.sampler.findData(self.study.tuning.sampler), 0)),
            ),
        ):
            widget.blockSignals(True)
            setter()
            widget.blockSignals(False)
        self.storage_note.setText(self._storage_text())
        if not self.running:
            self._fill_table()
            self._fill_verdict()
        super().refresh()

    def _grid_width(self, columns: int) -> int:
        """How wide the model boxes are in ``columns`` columns, each as wide as its widest box."""
        widths = [box.sizeHint().width() for box in self.model_boxes.values()]
        spacing = max(self.model_grid.horizontalSpacing(), 0)
        return sum(max(widths[c::columns]) for c in range(min(columns, len(widths)))) + spacing * (columns - 1)

    def _storage_text(self) -> str:
        if tuning.is_shared(self.study):
            return f"Trials are stored in {tuning.storage_text(self.study)} (shared with other workers)."
        return (
            "Trials are stored in tuning.sqlite3 in the study folder: a stopped search continues where it "
            "stopped, and a rerun with the same seed proposes the same trials."
        )

    def _fill_table(self) -> None:
        results = self.study.baselines.results
        metric = self.study.primary_metric
        if not results:
            self.table.fill(["model"], [["No baselines fitted yet."]])
            self.more_metrics.fill(["model"], [["No baselines fitted yet."]])
            self.plot.show_placeholder()
            self.budget_text.setText("")
            return
        # the study's metric first, then three more: the full panel is on the Evaluate page
        names = [metric] + [n for n in metrics.metric_names(self.study.question.task) if n != metric][:3]
        best = self.study.baselines.best(metric)
        titles = baselines.available(self.study.question.task)
        rows, tips, more = [], [], []
        for r in results:
            title = titles.get(r["name"], r["name"])
            if best is not None and r["name"] == best["name"]:
                title += "  (best)"
            search = r.get("search") or {}
            trials = (
                f"{r.get('n_trials', 0)} of {search['budget']}"
                if search
                else ("nothing to tune" if not r.get("search_space") else "defaults")
            )
            settings = (
                ", ".join(
                    f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in r.get("best_params", {}).items()
                )
                or "—"
            )
            rows.append(
                [
                    title,
                    metrics.format_metric(metric, r["tune_metrics"]),
                    trials,
                    settings,
                    f"{r.get('fit_seconds', 0):.1f} s",
                ]
            )
            more.extend(
                [
                    titles.get(r["name"], r["name"]),
                    metrics.DISPLAY_NAMES.get(n, n),
                    metrics.format_metric(n, r["tune_metrics"]),
                ]
                for n in names[1:]
            )
            if r.get("form_note"):
                rows[-1][0] += "  (scalable form)"
            space = "; ".join(f"{k}: {d}" for k, d in r.get("search_space", {}).items())
            why = "\n".join(
                t
                for t in (
                    f"Search space: {space}" if space else "",
                    f"Cost grows {r['cost']}." if r.get("cost") else "",
                    f"Scalable form: {r['form_note']}." if r.get("form_note") else "",
                )
                if t
            )
            tips.append([why] + [""] * 4)
        # One metric wide, the settings wrapped: the table fits the page without scrolling sideways.
        self.table.fill(
            ["model", metrics.DISPLAY_NAMES.get(metric, metric), "trials", "best settings", "fit time"],
            rows,
            tips,
            wrap_column=3,
        )
        self.more_metrics.fill(["model", "metric", "tune score"], more, wrap_column=2)
        self.budget_text.setText(tuning.budget_report(self.study)["text"])
        draw_comparison(self.plot, verdict.comparison_rows(self.study), metric)

    def _fill_verdict(self) -> None:
        v = self.study.verdict
        if not v.stage:
            self.verdict.setText("The verdict appears once the baselines are fitted.")
        else:
            lines = [v.headline, v.advice]
            if v.proceed_reason:
                lines.append(f"You go on because: {v.proceed_reason}")
            self.verdict.setText("\n".join(lines))
        self.evidence.setText("\n".join(f"• {r}" for r in v.reasons) if v.stage else "")
        count = len(v.reasons) if v.stage else 0
        self.evidence_section.toggle.setText(f"The evidence ({count} point{'s' if count != 1 else ''})")
        self.evidence_section.setVisible(bool(count))
        asks = v.level in verdict.NEEDS_REASON
        # The user's own words while they write them; else the recorded reason; else, where the
        # advice asks for one, the chosen suggestion (shown only: "Record my reason" records it).
        if self._own_reason != id(self.study):
            shown = self.suggestions.currentData() or SUGGESTED_REASONS[0]
            self.reason.setText(v.proceed_reason or (shown if asks else ""))
            self.reason.setCursorPosition(0)  # a long reason shows its beginning
            self._own_reason = None

    def update_actions(self) -> None:
        enable(
            self.fit,
            "" if any(b.isChecked() for b in self.model_boxes.values()) else "Tick at least one baseline model to fit.",
        )
        t = self.study.train
        enable(
            self.compare,
            "Fit the baselines first."
            if not self.study.baselines.results
            else ""
            if t.status in ("done", "cancelled") and bool(t.weights)
            else NOT_TRAINED,
        )
        enable(
            self.record_reason,
            "" if self.study.verdict.stage else "Fit the baselines first: the advisor's verdict comes from them.",
        )

    # ----- widgets → study ----------------------------------------------------------------
    def _on_models(self, _checked: bool) -> None:
        self.study.baselines.models = [n for n, b in self.model_boxes.items() if b.isChecked()]
        self.changed()

    def _on_budget(self, value: int) -> None:
        tuning.set_equal_budget(self.study, value)  # the network's search gets what the baselines get
        self.changed_soon()

    def _on_sampler(self, _index: int) -> None:
        self.study.tuning.sampler = self.sampler.currentData()
        self.changed_soon()

    def _on_suggestion(self, _index: int) -> None:
        self._own_reason = None  # the list put the chosen reason in the field
        self.reason.setCursorPosition(0)

    def _on_reason_typed(self, text: str) -> None:
        self._own_reason = id(self.study) if text.strip() else None

    def _record_reason(self) -> None:
        try:
            verdict.record_reason(self.study, self.reason.text())
        except TenfoldError as exc:
            self.show_error(str(exc))
            return
        self._own_reason = None  # recorded: the field shows the study's reason from now on
        self.changed()
        self.show_info("Your reason is recorded; the model card shows it with the verdict.")

    # ----- tasks --------------------------------------------------------------------------
    def _fit(self) -> None:
        self.start_run(
            baselines.fit_baselines,
            {"study": self.study},
            name="tuning the baselines",
            on_result=self._fitted,
            on_cancelled=self._cancelled,
        )

    def _fitted(self, results: list) -> None:
        verdict.assess_before_training(self.study)  # the verdict the fitted baselines change (bookkeeping)
        trials = sum(r.get("n_trials", 0) for r in results)
        self.status.setText(f"{len(results)} baseline(s) fitted after {trials} tuning trials in all.")
        self.show_info(f"{len(results)} baseline(s) tuned and fitted.")

    def _cancelled(self) -> None:
        self.status.setText("Stopped. The finished trials are kept: press Tune again to continue the search.")
        self.show_info("Tuning stopped; finished trials are kept in the study's tuning storage.")

    def _compare(self) -> None:
        self.run_task(
            verdict.compare_with_network,
            {"study": self.study},
            name="comparing the network with the best baseline",
            on_result=lambda _c: self.show_info("Compared: the verdict below is updated."),
        )


if __name__ == "__main__":
    raise SystemExit(preview(BaselinesPage))
