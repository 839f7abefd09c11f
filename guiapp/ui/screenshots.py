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
from typing import Optional

WINDOW_SIZE = (1280, 800)


def build_demo_study(folder: Path, dataset: str = "breast_cancer", epochs: int = 40):
    """A demo study with every step run; returns ``(study, batch_report)``."""
    from guiapp.core import (architecture, baselines, batch, demo, ethics, evaluate, interpret,
                             split, train)
    from guiapp.ui.pages.export import export_bundle

    study = demo.create_demo_study(dataset, Path(folder) / "study")
    study.question.target_metric, study.question.target_value = "roc_auc", 0.95
    ethics.set_sensitivity(study, False)  # both built-in datasets are public or simulated
    report = batch.batch_effect_report(study)
    split.split_study(study)
    baselines.fit_baselines(study)
    architecture.set_architecture(study, width=32, depth=2, dropout=0.1)
    study.train.device, study.train.max_epochs, study.train.patience = "cpu", epochs, epochs
    train.train_network(study)
    evaluate.overfitting_check(study)
    evaluate.evaluate_on_tune(study)
    evaluate.finalize_test_evaluation(study)
    interpret.permutation_importance(study, n_repeats=3, top=15)
    ethics.add_entry(study, "The tumours come from one clinic in Wisconsin; the model may not "
                     "transfer to other populations or imaging set-ups.", raised_by="Study owner",
                     mitigation="State the limitation in the model card.")
    ethics.set_share_weights(study, "auto", "Public data; Tenfold's default rule applies.")
    export_bundle(study, Path(folder) / "study" / "export")
    study.save()
    return study, report


def render_all_pages(study, out_dir, *, batch_report=None, size=WINDOW_SIZE) -> list[Path]:
    """Save one PNG of the main window per step; returns the files written."""
    from PySide6.QtWidgets import QApplication

    from guiapp.core.steps import STEP_IDS
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
            window.go_to(step_id, force=True)
            window.current_page().clear_messages()
            for _ in range(5):  # layouts and plots settle over a few event-loop passes
                app.processEvents()
            path = out / f"{i + 1:02d}-{step_id}.png"
            window.grab().save(str(path))
            paths.append(path)
    finally:
        window.runner.shutdown()
        window.close()
    return paths


def main(argv: Optional[list] = None) -> int:
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
