"""Render every page of a fully run demo study to PNG, for the README.

``python -m guiapp.ui.screenshots OUT_DIR [--dataset NAME]`` builds a demo study headlessly
(small settings), runs every core step, and saves one window image per step.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

WINDOW_SIZE = (1280, 800)
# Pages whose key result sits below the fold: the picture starts at this widget instead.
SCROLL_TO = {"baselines": "table"}
# The ethics register's example entry, in the words of each built-in dataset.
CONCERNS = {
    "breast_cancer": "The tumours come from one clinic in Wisconsin; the model may not "
    "transfer to other populations or imaging set-ups.",
    "simulated_expression": "Simulated samples from two labs; a real cohort's labs, donors and "
    "platforms may differ more than these.",
}


def build_demo_study(
    folder: Path,
    dataset: str = "breast_cancer",
    epochs: int = 40,
    trials: int | None = None,
    trial_epochs: int | None = None,
):
    """A demo study with every step run; returns ``(study, batch_report)``.

    Every baseline and the network are tuned with the same number of trials (the headless
    demo's, unless ``trials`` says otherwise), so the pages show equal tuning (Tip 2), the
    comparison and the verdict after training.
    """
    from guiapp.core.batch import effects as batch
    from guiapp.core.batch.remedy import remedy_needs_reason
    from guiapp.core.data import demo
    from guiapp.core.evaluation import overfitting, sealed_test, tune_evaluation, verdict
    from guiapp.core.interpretation import interpret
    from guiapp.core.models import baselines, network_search, train, tuning
    from guiapp.core.models import recommend as architecture
    from guiapp.core.pipeline import DEMO_TRIAL_EPOCHS, DEMO_TRIALS
    from guiapp.core.privacy import ethics
    from guiapp.core.split import draw as split
    from guiapp.core.split.remedy_actions import choose_remedy
    from guiapp.ui.pages.export import export_bundle

    study = demo.create_demo_study(dataset, Path(folder) / "study")
    study.question.target_metric, study.question.target_value = "roc_auc", 0.95
    ethics.set_sensitivity(study, False)  # both built-in datasets are public or simulated
    report = batch.batch_effect_report(study)
    if remedy_needs_reason(study):  # the demo keeps its batches and writes the risk into the card
        choose_remedy(
            study,
            "none",
            "A teaching demo: the batch effect is left in to show how Tenfold measures it; the card states the risk.",
        )
    split.split_study(study)
    tuning.set_equal_budget(study, DEMO_TRIALS if trials is None else trials)
    study.tuning.epochs = DEMO_TRIAL_EPOCHS if trial_epochs is None else trial_epochs
    baselines.fit_baselines(study)
    verdict.assess_before_training(study)
    architecture.set_architecture(study, width=32, depth=2, dropout=0.1)
    study.train.device, study.train.max_epochs, study.train.patience = "cpu", epochs, epochs
    network_search.tune_network(study)
    verdict.refresh_findings(study)
    train.train_network(study)
    overfitting.overfitting_check(study)
    tune_evaluation.evaluate_on_tune(study)
    verdict.compare_with_network(study)
    if verdict.needs_reason(study):  # the demo goes on against the advice, and says why
        verdict.record_reason(study, "A teaching demo: the whole workflow is shown even where a baseline suffices.")
    sealed_test.finalize_test_evaluation(study)
    if dataset == "simulated_expression":  # the other lab's cohort and the estimate, on the Evaluate page
        from guiapp.core.evaluation import external, generalization

        external.evaluate_cohort(
            study,
            Path(folder) / "study" / "data" / "simulated_expression_lab_b.csv",
            label="condition",
            name="Another lab (simulated)",
        )
        generalization.leave_one_batch_out(study, network_epochs=5)
    interpret.permutation_importance(study, n_repeats=3, top=15)
    concern = CONCERNS.get(dataset, "The samples come from one source; the model may not transfer to others.")
    ethics.add_entry(
        study,
        concern,
        raised_by="Study owner",
        mitigation="State the limitation in the model card.",
    )
    ethics.set_share_weights(study, "auto", "Public data; Tenfold's default rule applies.")
    export_bundle(study, Path(folder) / "export")  # beside the study folder, never inside it
    study.save()
    return study, report


def render_all_pages(study, out_dir, *, batch_report=None, size=WINDOW_SIZE, steps: tuple | None = None) -> list[Path]:
    """Save one PNG of the main window per step (or per step in ``steps``); returns the files written."""
    from PySide6.QtWidgets import QApplication

    from guiapp.core.study.steps import STEP_IDS
    from guiapp.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    window = MainWindow(study)
    window.resize(*size)
    window.show()
    if batch_report is not None:
        window.page("batch").set_report(batch_report)
    paths = []
    try:
        for i, step_id in enumerate(STEP_IDS):
            if steps is not None and step_id not in steps:
                continue
            window.go_to(step_id, force=True)
            page = window.current_page()
            page.clear_messages()
            for _ in range(5):  # layouts and plots settle over a few event-loop passes
                app.processEvents()
            if step_id in SCROLL_TO:
                _scroll_to(page, getattr(page, SCROLL_TO[step_id]))
                for _ in range(3):
                    app.processEvents()
            path = out / f"{i + 1:02d}-{step_id}.png"
            window.grab().save(str(path))
            paths.append(path)
    finally:
        window.runner.shutdown()
        window.close()
    return paths


def _scroll_to(page, widget) -> None:
    """Scroll the page so that ``widget`` (with the heading above it) starts the view."""
    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QScrollArea

    area = page.findChild(QScrollArea)
    if area is None:
        return
    top = widget.mapTo(area.widget(), QPoint(0, 0)).y()
    area.verticalScrollBar().setValue(max(top - 90, 0))


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", help="folder for the PNG files")
    parser.add_argument("--dataset", default="breast_cancer", help="built-in dataset to use")
    parser.add_argument("--epochs", type=int, default=40, help="training epochs for the demo network")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory(prefix="tenfold-screens-") as tmp:
        study, report = build_demo_study(Path(tmp), args.dataset, args.epochs)
        for path in render_all_pages(study, args.out_dir, batch_report=report):
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
