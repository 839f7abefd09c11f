"""The Evaluate page's section for generalizability: external cohorts (each scored once, after the
sealed test), the leave-one-batch-out estimate, and the stability and efficiency measurements.
It binds to :mod:`guiapp.core.evaluation.external`, :mod:`guiapp.core.evaluation.generalization` and
:mod:`guiapp.core.evaluation.criteria`; every computation runs on the page's task runner."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from guiapp.core.evaluation import criteria, criteria_rows, external, generalization
from guiapp.core.stats import interval_text, metrics
from guiapp.ui.plots import PlotArea, scatter_groups
from guiapp.ui.why_disabled import NOT_TRAINED, enable
from guiapp.ui.widgets import ResultTable, heading, note

AGAIN = (
    "This cohort was already evaluated. Looking again makes its score optimistic: it is no longer "
    "an independent check. The reason you give is recorded and counted, and the model card shows it."
    "\n\nWhy do you need to evaluate it again?"
)


class ExternalCohortsPanel(QWidget):
    """Adds, evaluates and shows external cohorts; runs the estimate and the criteria measurements."""

    def __init__(self, page) -> None:
        super().__init__(page)
        self.page = page
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(heading("External cohorts (generalizability)"))
        box.addWidget(
            note(
                "After the sealed test, score the model once on independent, labelled data from "
                "another lab, hospital or instrument. The cohort needs the study's features by name and "
                "its label column; it goes through the study's own preprocessing."
            )
        )
        form = QFormLayout()
        pick = QHBoxLayout()
        self.path = QLineEdit()
        self.path.setAccessibleName("External cohort file")
        self.path.setPlaceholderText("a table with the study's feature columns and a label column")
        pick.addWidget(self.path)
        self.browse = QPushButton("Choose…")
        self.browse.clicked.connect(self._browse)
        pick.addWidget(self.browse)
        form.addRow("Cohort file:", pick)
        self.label = QLineEdit()
        self.label.setAccessibleName("External cohort label column")
        form.addRow("Label column:", self.label)
        self.name = QLineEdit()
        self.name.setAccessibleName("External cohort name")
        self.name.setPlaceholderText("e.g. Hospital B, 2024")
        form.addRow("Cohort name:", self.name)
        self.samples = QLineEdit()
        self.samples.setAccessibleName("External cohort sample sheet")
        self.samples.setPlaceholderText("optional: a sample sheet joined by sample ID")
        form.addRow("Sample sheet:", self.samples)
        box.addLayout(form)
        row = QHBoxLayout()
        self.evaluate_button = page.action(QPushButton("Evaluate this cohort once"))
        self.evaluate_button.setToolTip(
            "Score the network and the baselines on the cohort, with intervals, the "
            "change from the internal test set and a shift check."
        )
        self.evaluate_button.clicked.connect(self._evaluate)
        row.addWidget(self.evaluate_button)
        row.addStretch(1)
        box.addLayout(row)
        row = QHBoxLayout()  # the estimates on a row of their own: three buttons overflow with larger text
        self.lobo_button = page.action(QPushButton("Leave-one-batch-out estimate"))
        self.lobo_button.setToolTip(
            "Train on all batches but one and score the held-out one, for each batch. "
            "An estimate, not external validation."
        )
        self.lobo_button.clicked.connect(self._lobo)
        row.addWidget(self.lobo_button)
        self.measure_button = page.action(QPushButton("Measure stability and efficiency"))
        self.measure_button.setToolTip(
            "Attribution stability across bootstrap refits (when asked for on the "
            "Question page), peak inference memory and performance per FLOP."
        )
        self.measure_button.clicked.connect(self._measure)
        row.addWidget(self.measure_button)
        row.addStretch(1)
        box.addLayout(row)
        self.cohort_table = ResultTable("External cohort scores")
        box.addWidget(self.cohort_table)
        self.shift_plot = PlotArea(
            "Each cohort is drawn here on the training split's principal components.",
            "External cohort shift",
            min_height=240,
        )
        box.addWidget(self.shift_plot)
        self.estimate_note = note("")
        box.addWidget(self.estimate_note)
        self.estimate_table = ResultTable("Leave-one-batch-out estimate")
        box.addWidget(self.estimate_table)
        self.efficiency_note = note("")
        box.addWidget(self.efficiency_note)

    # ----- reading the study ----------------------------------------------------------------
    def refresh(self) -> None:
        s = self.page.study
        if not self.label.text() and s.data.label:
            self.label.setText(s.data.label)
        metric = s.primary_metric
        name = metrics.DISPLAY_NAMES.get(metric, metric)
        rows = []
        for r in s.evaluation.external:
            c = r.get("change") or {}
            ci = c.get("difference_ci")
            auc = (r.get("shift") or {}).get("domain_auc")
            rows.append(
                [
                    r["name"],
                    str(r["n"]),
                    metrics.format_metric(metric, r["metrics"]),
                    "—" if not c else interval_text.difference_cell(c["difference"], ci),
                    "—" if auc is None else f"{auc:.2f}",
                    str(r.get("uses", 1)),
                ]
            )
        self.cohort_table.fill(
            ["cohort", "n", name, "change from the test set (95% CI)", "domain AUC", "evaluations"],
            rows or [["No external cohort yet", "", "", "", "", ""]],
        )
        self._draw_shift(s)
        g = s.evaluation.generalization or {}
        if g.get("per_batch"):
            models = g["models"]
            self.estimate_note.setText(f"{generalization.ESTIMATE_NOTE}")
            self.estimate_table.fill(
                ["held-out batch", "n"] + [f"{m} ({name})" for m in models],
                [
                    [e["batch"], str(e["n"])]
                    + ["—" if e["scores"].get(m) is None else f"{e['scores'][m]:.3f}" for m in models]
                    for e in g["per_batch"]
                ],
            )
            self.estimate_table.show()
        else:
            self.estimate_note.setText("")
            self.estimate_table.hide()
        eff = s.evaluation.efficiency or {}
        self.efficiency_note.setText(
            ""
            if not eff
            else f"Peak inference memory {eff['peak_memory_mb']:.2f} MB (batch of {eff['memory_batch']}). "
            "Performance per FLOP: " + "; ".join(criteria_rows.per_flop_text(r) for r in eff.get("per_flop", [])) + "."
        )

    def _draw_shift(self, s) -> None:
        xy, groups = [], []
        for r in s.evaluation.external:
            emb = (r.get("shift") or {}).get("embedding") or {}
            if emb.get("cohort"):
                if not xy:
                    xy += emb["training"]
                    groups += ["training split"] * len(emb["training"])
                xy += emb["cohort"]
                groups += [r["name"]] * len(emb["cohort"])
        if not xy:
            self.shift_plot.show_placeholder()
            return
        scatter_groups(
            self.shift_plot,
            xy,
            groups,
            x_label="PC1 of the training split",
            y_label="PC2",
            title="External cohorts on the study's embedding",
        )

    def update_actions(self) -> None:
        s = self.page.study
        trained = s.train.status in ("done", "cancelled") and bool(s.train.weights)
        self.evaluate_button.setEnabled(trained and s.split.test_uses >= 1)
        self.evaluate_button.setToolTip(
            "Score the cohort once, after the sealed test."
            if s.split.test_uses
            else "Evaluate on the sealed test set first."
        )
        enable(
            self.lobo_button,
            "Needs a batch column (Data page)."
            if not s.data.batch
            else ""
            if s.baselines.results or trained
            else "Fit the baselines or train the network first.",
        )
        enable(self.measure_button, "" if trained else NOT_TRAINED)

    # ----- actions ---------------------------------------------------------------------------
    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Choose the external cohort", "", "Tables (*.csv *.tsv *.txt *.xlsx *.h5ad);;All files (*)"
        )
        if path:
            self.path.setText(path)

    def _evaluate(self) -> None:
        s = self.page.study
        name = self.name.text().strip()
        reason = ""
        if name and external._find(s, name) is not None:
            reason, ok = QInputDialog.getMultiLineText(self, "Evaluate this cohort again?", AGAIN)
            if not ok:
                return
            if not reason.strip():
                self.page.show_error("Evaluating a cohort again needs a reason; nothing was done.")
                return
        self.page.flush()
        self.page.run_task(
            external.evaluate_cohort,
            {
                "study": s,
                "path": self.path.text().strip(),
                "label": self.label.text().strip(),
                "name": name,
                "samples": self.samples.text().strip(),
                "reason": reason,
            },
            name="evaluating the external cohort",
            on_result=lambda r: self.page.show_info(f"External cohort {r['name']} evaluated."),
        )

    def _lobo(self) -> None:
        self.page.flush()
        self.page.run_task(
            generalization.leave_one_batch_out, {"study": self.page.study}, name="the leave-one-batch-out estimate"
        )

    def _measure(self) -> None:
        self.page.flush()
        self.page.run_task(
            criteria.measure_criteria, {"study": self.page.study}, name="measuring stability and efficiency"
        )
