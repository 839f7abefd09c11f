"""Step 6, Baselines: traditional models on the same split, the bar the network must clear
(Tips 1 and 2)."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QPushButton

from guiapp.core import baselines, metrics
from guiapp.ui.pages.base import StepPage, preview
from guiapp.ui.widgets import ResultTable, heading, note


class BaselinesPage(StepPage):
    step_id = "baselines"
    intro = ("Before training a network, see how well simple, well-understood models do on the "
             "same training split. Deep learning is only worth its cost where it clearly beats "
             "them; on small tables it often does not.")

    def build(self) -> None:
        self.body.addWidget(heading("Models to fit"))
        self.model_row = QHBoxLayout()
        self.model_boxes: dict[str, QCheckBox] = {}
        self.body.addLayout(self.model_row)
        row = QHBoxLayout()
        self.fit = self.action(QPushButton("Fit baselines"))
        self.fit.setObjectName("primary")
        self.fit.setToolTip("Fit each chosen model on the training split and score it on the tune split.")
        self.fit.clicked.connect(self._fit)
        row.addWidget(self.fit)
        row.addStretch(1)
        self.body.addLayout(row)
        self.body.addWidget(heading("Scores on the tune split"))
        self.body.addWidget(note("Each score comes with a 95% bootstrap interval: the range the score "
                                 "would likely fall in on another sample of this size."))
        self.table = ResultTable("Baseline scores")
        self.body.addWidget(self.table)

    def refresh(self) -> None:
        task = self.study.question.task
        available = baselines.available(task)
        if set(self.model_boxes) != set(available):
            for box in self.model_boxes.values():
                self.model_row.removeWidget(box)
                box.deleteLater()
            self.model_boxes = {}
            for name, title in available.items():
                box = QCheckBox(title)
                box.setAccessibleName(f"Fit {title}")
                box.setToolTip(f"Include {title.lower()} among the baselines.")
                box.toggled.connect(self._on_models)
                self.model_boxes[name] = box
                self.model_row.addWidget(box)
        chosen = [n for n in self.study.baselines.models if n in available] or list(available)
        for name, box in self.model_boxes.items():
            box.blockSignals(True)
            box.setChecked(name in chosen)
            box.blockSignals(False)
        self._fill_table()
        super().refresh()

    def _fill_table(self) -> None:
        results = self.study.baselines.results
        if not results:
            self.table.fill(["model"], [["No baselines fitted yet."]])
            return
        names = metrics.metric_names(self.study.question.task)
        best = self.study.baselines.best(self.study.primary_metric)
        titles = baselines.available(self.study.question.task)
        rows = []
        for r in results:
            title = titles.get(r["name"], r["name"])
            if best is not None and r["name"] == best["name"]:
                title += "  (best)"
            rows.append([title] + [metrics.format_metric(n, r["tune_metrics"]) for n in names]
                        + [f"{r.get('fit_seconds', 0):.1f} s"])
        self.table.fill(["model"] + [metrics.DISPLAY_NAMES.get(n, n) for n in names] + ["fit time"], rows)

    def _on_models(self, _checked: bool) -> None:
        self.study.baselines.models = [n for n, b in self.model_boxes.items() if b.isChecked()]
        self.changed()

    def update_actions(self) -> None:
        self.fit.setEnabled(any(b.isChecked() for b in self.model_boxes.values()))

    def _fit(self) -> None:
        self.run_task(baselines.fit_baselines, {"study": self.study}, name="fitting the baselines",
                      on_result=lambda results: self.show_info(f"{len(results)} baseline(s) fitted."))


if __name__ == "__main__":
    raise SystemExit(preview(BaselinesPage))
