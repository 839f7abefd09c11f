"""Step 10, Evaluate: the metric panel on the tune split beside the baselines, with curves,
calibration, per-batch and per-subgroup results and the success-criteria scoreboard; then the
one-time evaluation on the sealed test set (Tips 1, 4, 7 and 9)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QInputDialog,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
)

from guiapp.core.evaluation import (
    conclusion,
    cross_validation,
    cross_validation_card,
    score_table,
    scoreboard,
    sealed_test,
    subgroups,
    tune_evaluation,
)
from guiapp.core.stats import metrics
from guiapp.core.study.errors import TenfoldError
from guiapp.ui.forms import STRETCH, Button, button_row
from guiapp.ui.page_fit import Collapsible, FitTabs, building_into
from guiapp.ui.pages.base import StepPage, preview
from guiapp.ui.pages.evaluate_results import ScoreTable, build_curves, show_curves, show_groups, show_scores
from guiapp.ui.pages.evaluate_words import (
    AGAIN,
    FIRST_TIME,
    IMBALANCE_LEAD,
    SCORE_LEGEND,
    THRESHOLD_TIP,
    threshold_off_reason,
)
from guiapp.ui.why_disabled import NOT_TRAINED, enable
from guiapp.ui.widgets import Banner, ResultTable, heading, note, value_label


class EvaluatePage(StepPage):
    step_id = "evaluate"
    tune_button: QPushButton  # the buttons come from Button specs
    final_button: QPushButton
    cv_button: QPushButton
    intro = (
        "Score the network on the tune split with every metric, each with a 95% interval, "
        "next to the baselines, per batch and per subgroup, and against the success criteria. "
        "When you are done choosing, evaluate once on the sealed test set."
    )

    def build(self) -> None:
        # The step's two decisions side by side above the tabs, in view when the page opens; each
        # brings the tab with its result to the front when it is done. Four short tabs instead of
        # one long page.
        self._build_actions()
        self.tabs = FitTabs("Evaluation sections")
        self.body.addWidget(self.tabs)
        with building_into(self, self.tabs.add("Tune split")):
            self._build_tune()
        with building_into(self, self.tabs.add("Cross-validation")):
            self._build_cross_validation()
        with building_into(self, self.tabs.add("Sealed test")):
            self._build_test()
        from guiapp.ui.pages.external_panel import ExternalCohortsPanel  # external cohorts, the estimate, criteria

        self.external = ExternalCohortsPanel(self)
        self.tabs.add("External cohorts").addWidget(self.external)
        self.tabs.follow_buttons()

    def _build_actions(self) -> None:
        tune = Button(
            "tune_button",
            "Evaluate on the tune split",
            "Score the network on the tune split, with bootstrap intervals, beside the baselines.",
            "_evaluate_tune",
            primary=True,
        )
        final = Button(
            "final_button",
            "Final evaluation on the sealed test set…",
            "Open the sealed test set and score the network and the baselines on it. Do this once.",
            "_final",
        )
        self.body.addLayout(button_row(self, (tune, final, STRETCH)))
        self.final_button.setObjectName("danger")
        self.main_action = self.tune_button  # the page's main button: in view when the page opens

    def _build_tune(self) -> None:
        form = QFormLayout()
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(0.01, 0.99)
        self.threshold.setSingleStep(0.05)
        self.threshold.setDecimals(2)
        self.threshold.setAccessibleName("Decision threshold")
        self.threshold.setToolTip(THRESHOLD_TIP)
        self.threshold.valueChanged.connect(self._on_threshold)
        form.addRow("Decision threshold:", self.threshold)
        self.subgroup_list = QListWidget()
        self.subgroup_list.setAccessibleName("Subgroup columns")
        self.subgroup_list.setToolTip(
            "Columns whose groups (site, sex, age band…) get their own metrics. The batch column always does."
        )
        self.subgroup_list.setMaximumHeight(110)
        self.subgroup_list.itemChanged.connect(self._on_subgroup)
        self.no_subgroups = note(
            "No other column to split the samples by (site, sex, age…): only the "
            "batch column, if any, gets its own results."
        )
        box = QVBoxLayout()
        box.addWidget(self.subgroup_list)
        box.addWidget(self.no_subgroups)
        self.body.addLayout(form)
        self.imbalance = Banner("info")
        self.imbalance.setAccessibleName("Imbalance note")
        self.body.addWidget(self.imbalance)
        self.body.addWidget(heading("Tune split: network and baselines"))
        self.tune_table = ScoreTable("Tune split scores")
        self.body.addWidget(self.tune_table)
        self.tune_legend = note(SCORE_LEGEND)
        self.body.addWidget(self.tune_legend)
        self.body.addWidget(heading("Success criteria"))
        self.scoreboard_table = ResultTable("Success criteria")
        self.body.addWidget(self.scoreboard_table)
        self._build_curves()
        # Which subgroups, and their scores: details most studies read after the overall result.
        self.groups_section = Collapsible("Per batch and per subgroup")
        self.body.addWidget(self.groups_section)
        subgroups = QFormLayout()
        subgroups.addRow("Subgroups:", box)
        self.groups_section.body.addLayout(subgroups)
        self.groups_table = ResultTable("Per-group scores")
        self.groups_section.body.addWidget(self.groups_table)
        self.groups_note = note("")
        self.groups_section.body.addWidget(self.groups_note)

    def _build_test(self) -> None:
        self.body.addWidget(heading("Final evaluation on the sealed test set"))
        self.body.addWidget(
            note(
                "The test set is read once, at the end, by the final-evaluation button above the tabs. "
                "Its score is the one to report."
            )
        )
        self.test_status = value_label("Test set status")
        self.body.addWidget(self.test_status)
        self.conclusion = value_label("Conclusion")  # the study's answer, after the sealed test
        self.conclusion.setWordWrap(True)
        self.body.addWidget(self.conclusion)
        self.test_table = ScoreTable("Test set scores")
        self.body.addWidget(self.test_table)
        self.test_legend = note(SCORE_LEGEND)
        self.body.addWidget(self.test_legend)

    def _build_cross_validation(self) -> None:
        self.body.addWidget(heading("Repeated cross-validation"))
        self.cv_note = note("")
        self.body.addWidget(self.cv_note)
        cross_validate = Button(
            "cv_button",
            "Cross-validate (repeated, tuning nested)",
            "Judge the baselines and the network on repeated k-fold cross-validation of the "
            "training and tune rows, every model tuned inside each fold with the same "
            "budget. The sealed test set stays out. Slow: every fold tunes every model.",
            "_cross_validate",
        )
        self.body.addLayout(button_row(self, (cross_validate, STRETCH)))
        self.cv_table = ResultTable("Cross-validation fold means")
        self.body.addWidget(self.cv_table)

    def _show_cross_validation(self) -> None:
        s = self.study
        section = cross_validation_card.card_section(s)
        reason = cross_validation.cv_reason(s) if s.split.sealed and s.split.cv in cross_validation.CV_CHOICES else ""
        if section and section["ran"]:
            self.cv_note.setText(f"{section['sentence']} {section['sealed']}")
            self.cv_table.fill(
                ["model", f"{section['metric']}, fold mean", "95% CI", "SD over folds", "folds"],
                [[r["model"], r["mean"], r["ci"], r["sd"], str(r["n_folds"])] for r in section["rows"]],
            )
            self.cv_table.show()
            return
        self.cv_table.hide()
        if section:
            self.cv_note.setText(section["text"])
        elif reason:
            self.cv_note.setText(
                f"Recommended: {reason}. Cross-validation judges every model on all the training "
                "and tune samples instead of one small part."
            )
        else:
            self.cv_note.setText("Not needed: the tune and test parts are large enough to judge a model on.")

    def _cross_validate(self) -> None:
        self.flush()
        self.run_task(
            cross_validation.cross_validate,
            {"study": self.study, "force": True},
            name="cross-validating the baselines and the network",
        )

    def _build_curves(self) -> None:
        build_curves(self)

    # ----- reading the study ----------------------------------------------------------------
    def _metric_order(self) -> list:
        names = list(metrics.panel_metric_names(self.study.question.task))
        target = self.study.question.target_metric
        if target in names:  # the success criterion's metric first, then PR AUC where it leads
            names.remove(target)
            names.insert(0, target)
        if tune_evaluation.rare_minority(self.study) and "pr_auc" in names:
            names.remove("pr_auc")
            names.insert(0, "pr_auc")
        return names

    def _show_scores(self, table: ScoreTable, legend, split: str) -> None:
        show_scores(table, legend, score_table.split_table(self.study, split, self._metric_order()), split)

    def arrival_action(self) -> QPushButton | None:
        """On arrival: the tune-split evaluation; never the sealed test."""
        return self.tune_button if not self.study.evaluation.tune_metrics else None

    def refresh(self) -> None:
        s, e = self.study, self.study.evaluation
        binary = s.is_classification and len(s.data.classes) == 2
        self.threshold.blockSignals(True)
        self.threshold.setValue(e.threshold)
        self.threshold.setEnabled(binary)
        self.threshold.setToolTip(THRESHOLD_TIP if binary else threshold_off_reason(s))
        self.threshold.setPrefix(f"p({s.data.classes[1]}) > " if binary else "")
        self.threshold.blockSignals(False)
        self._fill_subgroups()
        self.imbalance.show_message(IMBALANCE_LEAD if tune_evaluation.rare_minority(s) else "")
        self.tune_table.setVisible(bool(e.tune_metrics))
        self.tune_legend.setVisible(bool(e.tune_metrics))
        if e.tune_metrics:
            self._show_scores(self.tune_table, self.tune_legend, "tune")
        self._show_curves(e.test_metrics or e.tune_metrics, "test" if e.test_metrics else "tune")
        self._show_groups(e.test_groups or e.tune_groups, "test" if e.test_groups else "tune")
        self._show_scoreboard()
        self._show_cross_validation()
        sp = s.split
        if e.test_metrics:
            used = f"Evaluated on {e.test_evaluated_at}; the test set was used {sp.test_uses} time(s)."
            if sp.unseal_reasons:
                used += " Reasons for looking again: " + "; ".join(sp.unseal_reasons)
            self.test_status.setText(used)
            self.conclusion.setText("Conclusion: " + conclusion.conclusion(s))
            self.conclusion.show()
            self._show_scores(self.test_table, self.test_legend, "test")
            self.test_table.show()
            self.test_legend.show()
        else:
            self.test_status.setText(
                f"Sealed: {len(sp.test_idx):,} samples not yet seen by anything."
                if sp.sealed
                else "No test set yet: draw the split first."
            )
            self.test_table.hide()
            self.test_legend.hide()
            self.conclusion.hide()
        self.external.refresh()
        super().refresh()

    def _fill_subgroups(self) -> None:
        self.subgroup_list.blockSignals(True)
        self.subgroup_list.clear()
        chosen = set(self.study.data.subgroups)
        for col in subgroups.subgroup_candidates(self.study):
            if col == self.study.data.batch:
                continue
            item = QListWidgetItem(col)
            item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
            item.setCheckState(Qt.Checked if col in chosen else Qt.Unchecked)
            self.subgroup_list.addItem(item)
        self.subgroup_list.blockSignals(False)
        self.subgroup_list.setVisible(self.subgroup_list.count() > 0)
        self.no_subgroups.setVisible(self.subgroup_list.count() == 0)

    def _show_curves(self, panel: dict, split: str = "tune") -> None:
        show_curves(self, panel, split)

    def _show_groups(self, results: list, split: str) -> None:
        show_groups(self, results, split)

    def _show_scoreboard(self) -> None:
        rows = scoreboard.scoreboard(self.study)
        if rows:
            self.scoreboard_table.fill(
                ["criterion", "target", "measured", "status"],
                [[r["criterion"], r["target"], r["measured"], r["status"]] for r in rows],
                tooltips=[[None, None, r["detail"] or None, None] for r in rows],
                wrap_column=2,
            )
        else:
            self.scoreboard_table.fill(
                ["criterion", "status"], [["No success criterion set", "set them on the Question page"]]
            )

    def update_actions(self) -> None:
        trained = self.study.train.status in ("done", "cancelled") and bool(self.study.train.weights)
        enable(self.tune_button, "" if trained else NOT_TRAINED)
        ready = trained and bool(self.study.evaluation.tune_metrics)
        self.final_button.setEnabled(ready)
        impossible = cross_validation.not_possible(self.study) if trained else ""
        enable(
            self.cv_button,
            NOT_TRAINED if not trained else f"Cross-validation cannot run here: {impossible}." if impossible else "",
        )
        self.final_button.setText(
            "Evaluate on the test set again…"
            if self.study.split.test_uses
            else "Final evaluation on the sealed test set…"
        )
        self.final_button.setToolTip(
            "Open the sealed test set and score the network and the baselines on it. Do this once."
            if ready
            else "Evaluate on the tune split first."
        )
        self.external.update_actions()

    # ----- edits -----------------------------------------------------------------------------
    def _on_threshold(self, value: float) -> None:
        try:
            tune_evaluation.set_threshold(self.study, value)
        except TenfoldError as exc:
            self.show_error(str(exc))
            return
        if self.study.evaluation.tune_metrics:
            self.show_info("The threshold changed: evaluate on the tune split again to apply it.")
        self.changed_soon()

    def _on_subgroup(self, _item: QListWidgetItem) -> None:
        self.study.data.subgroups = [
            self.subgroup_list.item(i).text()
            for i in range(self.subgroup_list.count())
            if self.subgroup_list.item(i).checkState() == Qt.Checked
        ]
        if self.study.evaluation.tune_metrics:
            self.show_info("The subgroups changed: evaluate on the tune split again to see them.")
        self.changed_soon()

    def _evaluate_tune(self) -> None:
        self.flush()
        self.run_task(
            tune_evaluation.evaluate_on_tune,
            {"study": self.study},
            name="evaluating on the tune split",
            on_result=lambda _panel: self.tabs.show_widget(self.tune_table),  # the scores just made
        )

    def _final(self) -> None:
        reason = ""
        if self.study.split.test_uses == 0:
            answer = QMessageBox.question(
                self, "Open the sealed test set?", FIRST_TIME, QMessageBox.Yes | QMessageBox.Cancel, QMessageBox.Cancel
            )
            if answer != QMessageBox.Yes:
                return
        else:
            reason, ok = QInputDialog.getMultiLineText(self, "Use the test set again?", AGAIN)
            if not ok:
                return
            if not reason.strip():
                self.show_error("Evaluating on the test set again needs a reason; nothing was done.")
                return
        self.flush()
        self.run_task(
            sealed_test.finalize_test_evaluation,
            {"study": self.study, "unseal_reason": reason},
            name="evaluating on the sealed test set",
            on_result=self._final_done,
        )

    def _final_done(self, _panel) -> None:
        self.tabs.show_widget(self.test_table)  # the user asked for these scores: bring them into view
        self.show_info("Final evaluation done. Report these test scores.")


if __name__ == "__main__":
    raise SystemExit(preview(EvaluatePage))
