"""Step 10, Evaluate: the metric panel on the tune split beside the baselines, then the one-time
evaluation on the sealed test set (Tips 1, 7 and 9)."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QInputDialog, QMessageBox, QPushButton

from guiapp.core import baselines, evaluate, metrics
from guiapp.ui.pages.base import StepPage, preview
from guiapp.ui.widgets import ResultTable, heading, note, value_label

FIRST_TIME = (
    "The test set has been sealed since the split. Opening it now gives the one honest "
    "estimate of how the network will do on new samples.\n\n"
    "Do this once, at the very end: after you have seen the test score, any change you make "
    "to the data, the settings or the network is tuned to the test set, and its score is no "
    "longer honest (Tip 7).\n\nEvaluate on the sealed test set now?")
AGAIN = (
    "The test set was already used for the final evaluation. Looking again makes its score "
    "optimistic. The reason you give is recorded, and the model card and the checklist will "
    "show that the test set was used more than once.\n\nWhy do you need to evaluate again?")


class EvaluatePage(StepPage):
    step_id = "evaluate"
    intro = ("Score the network on the tune split with every metric, each with a 95% interval, "
             "next to the baselines. When you are done choosing, evaluate once on the sealed "
             "test set.")

    def build(self) -> None:
        row = QHBoxLayout()
        self.tune_button = self.action(QPushButton("Evaluate on the tune split"))
        self.tune_button.setObjectName("primary")
        self.tune_button.setToolTip("Score the network on the tune split, with bootstrap intervals, beside the baselines.")
        self.tune_button.clicked.connect(self._evaluate_tune)
        row.addWidget(self.tune_button)
        row.addStretch(1)
        self.body.addLayout(row)
        self.body.addWidget(heading("Tune split: network and baselines"))
        self.tune_table = ResultTable("Tune split scores")
        self.body.addWidget(self.tune_table)

        self.body.addWidget(heading("Final evaluation on the sealed test set"))
        self.body.addWidget(note("The test set is read once, at the end. Its score is the one to report."))
        row = QHBoxLayout()
        self.final_button = self.action(QPushButton("Final evaluation on the sealed test set…"))
        self.final_button.setObjectName("danger")
        self.final_button.setToolTip("Open the sealed test set and score the network and the baselines on it. Do this once.")
        self.final_button.clicked.connect(self._final)
        row.addWidget(self.final_button)
        row.addStretch(1)
        self.body.addLayout(row)
        self.test_status = value_label("Test set status")
        self.body.addWidget(self.test_status)
        self.test_table = ResultTable("Test set scores")
        self.body.addWidget(self.test_table)

    def _panel_table(self, table: ResultTable, network: dict, baseline_panels: dict, split: str) -> None:
        names = metrics.metric_names(self.study.question.task)
        titles = baselines.available(self.study.question.task)
        columns = [("Network", network)] + [(titles.get(n, n), p) for n, p in baseline_panels.items()]
        rows = [[metrics.DISPLAY_NAMES.get(m, m) + (" (target)" if m == self.study.question.target_metric else "")]
                + [metrics.format_metric(m, panel) for _, panel in columns] for m in names]
        rows.append(["samples"] + [str(panel.get("n", "—")) for _, panel in columns])
        table.fill([f"metric ({split})"] + [c for c, _ in columns], rows)

    def refresh(self) -> None:
        e = self.study.evaluation
        if e.tune_metrics:
            tune_baselines = {r["name"]: r["tune_metrics"] for r in self.study.baselines.results}
            self._panel_table(self.tune_table, e.tune_metrics, tune_baselines, "tune")
            self.tune_table.show()
        else:
            self.tune_table.hide()
        s = self.study.split
        if e.test_metrics:
            used = f"Evaluated on {e.test_evaluated_at}; the test set was used {s.test_uses} time(s)."
            if s.unseal_reasons:
                used += " Reasons for looking again: " + "; ".join(s.unseal_reasons)
            self.test_status.setText(used)
            self._panel_table(self.test_table, e.test_metrics, e.baseline_test_metrics, "test")
            self.test_table.show()
        else:
            self.test_status.setText(f"Sealed: {len(s.test_idx):,} samples not yet seen by anything."
                                     if s.sealed else "No test set yet: draw the split first.")
            self.test_table.hide()
        super().refresh()

    def update_actions(self) -> None:
        trained = self.study.train.status in ("done", "cancelled") and bool(self.study.train.weights)
        self.tune_button.setEnabled(trained)
        ready = trained and bool(self.study.evaluation.tune_metrics)
        self.final_button.setEnabled(ready)
        self.final_button.setText("Evaluate on the test set again…" if self.study.split.test_uses
                                  else "Final evaluation on the sealed test set…")
        self.final_button.setToolTip(
            "Open the sealed test set and score the network and the baselines on it. Do this once."
            if ready else "Evaluate on the tune split first.")

    def _evaluate_tune(self) -> None:
        self.run_task(evaluate.evaluate_on_tune, {"study": self.study}, name="evaluating on the tune split")

    def _final(self) -> None:
        reason = ""
        if self.study.split.test_uses == 0:
            answer = QMessageBox.question(self, "Open the sealed test set?", FIRST_TIME,
                                          QMessageBox.Yes | QMessageBox.Cancel, QMessageBox.Cancel)
            if answer != QMessageBox.Yes:
                return
        else:
            reason, ok = QInputDialog.getMultiLineText(self, "Use the test set again?", AGAIN)
            if not ok:
                return
            if not reason.strip():
                self.show_error("Evaluating on the test set again needs a reason; nothing was done.")
                return
        self.run_task(evaluate.finalize_test_evaluation, {"study": self.study, "unseal_reason": reason},
                      name="evaluating on the sealed test set",
                      on_result=lambda _panel: self.show_info("Final evaluation done. Report these test scores."))


if __name__ == "__main__":
    raise SystemExit(preview(EvaluatePage))
