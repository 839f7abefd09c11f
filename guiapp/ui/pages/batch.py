"""Step 4, Batch effects: see them, measure them, check the study design, choose a remedy
(Tips 4 and 7).

The samples are drawn on their first two principal components (or a UMAP) coloured by batch,
label or any other column of the table; the batch metrics, the batch × label confounding,
suggested group columns and copies of samples are read from the study, so a reopened study
shows them without computing again. The 2-D positions are stored in the study folder
(``guiapp.core.batch.views``) and loaded in the background when the page is shown.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QMessageBox, QPushButton, QWidget

from guiapp.core.batch import embedding_store
from guiapp.core.batch import views as batch_views
from guiapp.core.batch.effects import BatchEffectReport
from guiapp.core.batch.remedy import REMEDY_WORDS
from guiapp.core.guidance.plain_summaries import batch_mixing
from guiapp.core.split.remedy_actions import apply_group_remedy, apply_remedy
from guiapp.ui import detail_level
from guiapp.ui.batch_panels import ConfoundingPanel, IndependencePanel, MetricsTable
from guiapp.ui.batch_remedy import RemedyPanel
from guiapp.ui.collapsible import collapsible
from guiapp.ui.forms import STRETCH, Button, button_row
from guiapp.ui.page_fit import cap_height
from guiapp.ui.pages.base import StepPage, preview
from guiapp.ui.pages.batch_view import COLOUR_FIELD, colour_column, fill_colour_columns, view_field
from guiapp.ui.plain_summary import DETAILS_HINT, LightSummary
from guiapp.ui.plots import PlotArea, bar_chart
from guiapp.ui.runner import without_context
from guiapp.ui.scatter import SampleScatter
from guiapp.ui.why_disabled import enable
from guiapp.ui.widgets import heading, note, value_label

RUN_ROW = (
    Button(
        "run_button",
        "Look for batch effects",
        "PCA of the standardised features, the batch metrics, batch × label "
        "confounding, group columns and copies of samples.",
        "_run",
        primary=True,
    ),
    Button(
        "draw_button", "Draw again", "Draw the samples from the stored positions, or compute them again.", "_draw_again"
    ),
    STRETCH,
    Button(
        "export_button",
        "Save plot…",
        "Save the plot with its legend as PNG, or SVG for editing (an SVG of very many points is a large file).",
        "_export",
    ),
)


class BatchPage(StepPage):
    step_id = "batch"
    # Built from RUN_ROW and the view row (pages/batch_view.py).
    run_button: QPushButton
    draw_button: QPushButton
    export_button: QPushButton
    view_kind: QComboBox
    color_by: QComboBox
    intro = (
        "Samples processed in different runs, plates, sites or days often differ for "
        "technical reasons, and a network learns such batch differences as readily as "
        "biology. Here the samples are drawn on their main axes of variation and the batch "
        "effect is measured; then choose what to do about it."
    )
    n_permutations: int | None = None  # batch predictability: the core's default (tests: fewer)
    remedy_permutations = 9

    def build(self) -> None:
        self.report: BatchEffectReport | None = None
        self.view = None  # the SampleView drawn
        self._view_key = ""
        self._auto_tried = ""
        self._remedy_running = False

        self.body.addLayout(button_row(self, RUN_ROW))
        self.main_action = self.run_button
        self.body.addLayout(button_row(self, ("View:", view_field(), 18, "Colour by:", COLOUR_FIELD, STRETCH)))
        self._build_plots()
        self._build_panels()
        self.task_finished.connect(lambda: setattr(self, "_remedy_running", False))

    def _build_plots(self) -> None:
        """The samples' scatter, and the variance per component folded under it."""
        self.plot = SampleScatter(
            "The samples are drawn here after you look for batch effects.",
            "Samples on their principal components",
            min_height=340,
        )
        cap_height(460, self.plot)  # the page stays within two views with text grown by display scaling (125 %)
        self.body.addWidget(self.plot)

        variance_box = QWidget()
        row = QHBoxLayout(variance_box)
        row.setContentsMargins(0, 0, 0, 0)
        self.variance = PlotArea("", "Variance explained per principal component", min_height=170)
        self.variance.setFixedSize(300, 170)
        self.variance.setToolTip(
            "Share of the variation in the standardised features that each principal component holds."
        )
        row.addWidget(self.variance)
        self.reading = value_label("Batch-effect reading")
        row.addWidget(self.reading, 1)
        # Secondary to the scatter above: one click away, so the page fits the window.
        self.variance_section = collapsible("Variance per principal component", variance_box)
        self.body.addWidget(self.variance_section)

    def _build_panels(self) -> None:
        """Batch mixing, batch × label, samples that are not independent, and the remedy."""
        self.body.addWidget(heading("Batch mixing"))
        self.mixing = LightSummary("Batch mixing summary")
        self.body.addWidget(self.mixing)
        self.details_hint = note(DETAILS_HINT + " (batch silhouette, iLISI, kBET…)")
        self.body.addWidget(self.details_hint)
        self.metrics = MetricsTable()
        self.body.addWidget(self.metrics)
        detail_level.follow(self._show_details)
        self.body.addWidget(heading("Batch and label"))
        self.confounding = ConfoundingPanel()
        self.body.addWidget(self.confounding)
        self.body.addWidget(heading("Samples that are not independent"))
        self.independence = IndependencePanel()
        self.independence.use_group.connect(self._use_group)
        for button in self.independence.buttons:
            self.action(button)
        self.body.addWidget(self.independence)
        self.body.addWidget(heading("What to do about it"))
        self.body.addWidget(
            note(
                "Choose a remedy; it is recorded in the study and the model card. "
                "Group and hold-out-batch remedies set the split strategy."
            )
        )
        self.remedy = RemedyPanel()
        self.action(self.remedy.apply).clicked.connect(self._apply_remedy)
        self.action(self.remedy.measure).clicked.connect(self._measure)
        self.body.addWidget(self.remedy)

    # ----- showing ---------------------------------------------------------------------------
    def set_report(self, report: BatchEffectReport | None) -> None:
        """Show a report computed elsewhere (the screenshots), drawing its PCA positions."""
        self.report = report
        if report is None:
            self.view = None
        elif self.study.table is not None:
            self._set_view(batch_views.sample_view(self.study, "pca", report.coordinates, report.explained_variance))
        self.refresh()

    def reset(self) -> None:
        super().reset()
        self.report, self.view, self._view_key, self._auto_tried = None, None, "", ""
        self.remedy.forget()
        self.plot.show_placeholder("The samples are drawn here after you look for batch effects.")

    def arrival_action(self) -> QPushButton | None:
        """On arrival: the batch-effect check (read-only)."""
        return self.run_button if not self.study.batch.explained_variance else None

    def refresh(self) -> None:
        b = self.study.batch
        self._fill_colour_columns()
        if b.explained_variance:
            sil = "not measured (no batch column)" if b.silhouette is None else f"{b.silhouette:.2f}"
            self.reading.setText(f"Batch silhouette: {sil}. {b.reading}")
            k = len(b.explained_variance)
            bar_chart(
                self.variance,
                [str(i + 1) for i in range(k)],
                [100 * v for v in b.explained_variance],
                y_label=f"% of variance, PC 1–{k}",
                x_label="principal component",
            )
        else:
            self.reading.setText("Not looked at yet.")
            self.variance.show_placeholder("")
        if self.view is not None and self._view_key != self._current_key():
            self.view = None  # drawn for other data or features
        if self.view is None:
            self.plot.show_placeholder(
                "Drawing the samples…"
                if self._can_auto_load()
                else "Press 'Draw again' to draw the samples."
                if b.explained_variance
                else "The samples are drawn here after you look for batch effects."
            )
            if self.isVisible():
                QTimer.singleShot(0, self._auto_load)
        elif self.plot.column != self._column():
            self.plot.colour_by(self._column())
        self.metrics.show_study(self.study)
        self.mixing.show_level(*batch_mixing(self.metrics.shown_lights.values()))
        self.confounding.show_study(self.study)
        self.independence.show_study(self.study)
        self.remedy.show_study(self.study)
        super().refresh()

    def _show_details(self, on: bool) -> None:
        """Technical details: the metrics table and the silhouette reading beside the PCA bars."""
        self.metrics.set_details(on)
        self.reading.setVisible(on)
        self.details_hint.setVisible(not on)

    def update_actions(self) -> None:
        has_table = self.study.table is not None
        no_table = "" if has_table else "Load the data first (Data page)."
        enable(self.run_button, no_table)
        self.draw_button.setVisible(self.view is None and bool(self.study.batch.explained_variance))
        enable(self.draw_button, no_table)
        enable(self.export_button, "" if self.plot.has_plot else "Nothing drawn yet: look for batch effects first.")
        self.remedy.update_actions(self.study)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        QTimer.singleShot(0, self._auto_load)

    def show_error(self, message: str) -> None:
        super().show_error(message)
        if self._remedy_running:  # shown where the user clicked, too
            self.remedy.message.show_message(message)

    # ----- colour columns -------------------------------------------------------------------
    def _current_key(self) -> str:
        return embedding_store.embedding_key(self.study) if self.study.table is not None else ""

    def _fill_colour_columns(self) -> None:
        fill_colour_columns(self.color_by, self.study)

    def _column(self) -> str:
        """The table column the samples are coloured by."""
        return colour_column(self.color_by.currentData(), self.study)

    def _on_color_by(self, _index: int) -> None:
        batch_views.choose_colour(self.study, self.color_by.currentData())
        if self.view is not None:
            self.plot.colour_by(self._column())
        self.changed()

    # ----- drawing the samples --------------------------------------------------------------
    def _set_view(self, view) -> None:
        self.view = view
        self._view_key = self._current_key()
        self.view_kind.blockSignals(True)
        self.view_kind.setCurrentIndex(max(self.view_kind.findData(view.kind), 0))
        self.view_kind.blockSignals(False)
        self.plot.set_view(view, self._column())

    def _can_auto_load(self) -> bool:
        s = self.study
        return (
            s.table is not None
            and bool(s.batch.explained_variance)
            and self._auto_tried != self._current_key() + self.view_kind.currentData()
            and embedding_store.has_stored_embedding(s, self.view_kind.currentData())
        )

    def _auto_load(self) -> None:
        """Load the stored positions of a reopened study (once per data and view)."""
        if self.view is not None or not self.isVisible() or self.session.runner.busy or not self._can_auto_load():
            return
        self._auto_tried = self._current_key() + self.view_kind.currentData()
        self._draw_samples(self.view_kind.currentData())

    def _draw_again(self) -> None:
        self._draw_samples(self.view_kind.currentData())

    def _draw_samples(self, kind: str) -> None:
        self.run_task(
            batch_views.draw_samples,
            {"study": self.study, "kind": kind},
            name="drawing the samples",
            on_result=self._set_view,
        )

    def _on_view_kind(self, _index: int) -> None:
        kind = self.view_kind.currentData()
        if self.study.table is None or not self.study.batch.explained_variance:
            return
        if self.view is None or self.view.kind != kind:
            self._draw_samples(kind)

    # ----- actions ---------------------------------------------------------------------------
    def _run(self) -> None:
        kwargs = {"study": self.study}
        if self.n_permutations is not None:
            kwargs["n_permutations"] = self.n_permutations
        self.run_task(
            batch_views.look_for_batch_effects, kwargs, name="looking for batch effects", on_result=self._on_report
        )

    def _on_report(self, result) -> None:
        self.report, view = result
        self._set_view(view)

    def _export(self) -> None:
        folder = self.study.folder / "artifacts" if self.study.folder is not None else Path.home()
        default = folder / f"samples-{self.view.kind if self.view else 'pca'}-{self._column()}.png"
        path, chosen = QFileDialog.getSaveFileName(
            self, "Save the plot", str(default), "PNG image (*.png);;SVG drawing (*.svg)"
        )
        if not path:
            return
        if not Path(path).suffix:
            path += ".svg" if "svg" in chosen.lower() else ".png"
        try:
            saved = self.plot.export(path)
        except (OSError, ValueError) as exc:
            self.show_error(f"The plot could not be saved to {path}: {exc}")
            return
        self.show_info(f"Plot saved to {saved}.")

    def _use_group(self, column: str) -> None:
        self.run_task(
            without_context(apply_group_remedy),
            {"study": self.study, "column": column},
            name="setting the group column",
            on_result=lambda _none: self.show_info(
                f"'{column}' is now the group column, and the split is drawn by group: each "
                "group stays on one side (recorded in the model card)."
            ),
        )

    def _apply_remedy(self) -> None:
        self.remedy.message.clear_message()
        refusal = self.remedy.refusal(self.study)
        if refusal:
            self.remedy.message.show_message(refusal)
            return
        remedy, s = self.remedy.choice(), self.study.split
        fitted = bool(self.study.baselines.results) or self.study.train.status != "not started"
        if s.sealed and fitted and remedy != self.study.batch.remedy:
            answer = QMessageBox.question(
                self,
                "Change the remedy?",
                "Changing the remedy can redraw the split or change the features every model sees, "
                "so the baselines and the trained network are thrown away. Change it anyway?",
            )
            if answer != QMessageBox.Yes:
                return
        holdout = self.remedy.holdout_batches() if remedy == "batch-holdout" else None
        self._remedy_running = True
        started = self.run_task(
            apply_remedy,
            {
                "study": self.study,
                "remedy": remedy,
                "reason": self.remedy.reason.text(),
                "holdout_batches": holdout,
                "n_permutations": self.remedy_permutations,
            },
            name="applying the remedy",
            on_result=lambda _after: self._remedy_done(remedy),
        )
        if not started:
            self._remedy_running = False

    def _remedy_done(self, remedy: str) -> None:
        self.show_info(f"Remedy recorded: {REMEDY_WORDS[remedy]}.")

    def _measure(self) -> None:
        from guiapp.core.batch.remedy import remedy_effect

        self.run_task(
            remedy_effect,
            {"study": self.study, "n_permutations": self.remedy_permutations},
            name="measuring the batch metrics before and after ComBat",
        )


if __name__ == "__main__":
    raise SystemExit(preview(BatchPage))
