"""Apply to new samples on the Export page: the same predictions file as `tenfold predict`."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A small study trained 2 epochs, evaluated once and exported (core calls, as `tenfold run`)."""
    import torch

    from guiapp.core.data import attach as data
    from guiapp.core.data import demo
    from guiapp.core.evaluation.sealed_test import finalize_test_evaluation, test_predictions
    from guiapp.core.export.write import write_bundle
    from guiapp.core.models.recommend import set_architecture
    from guiapp.core.models.train import train_network
    from guiapp.core.split import draw as split
    from guiapp.core.study.model import Study

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("apply")
    d = demo.simulated_expression(n_samples=120, n_genes=10, n_informative=4, effect_size=1.5, seed=3)
    study = Study()
    study.save(root / "study")
    data.attach_data(
        study, data.AttachRequest(demo.write_demo(d, root / "data"), label=d.label, batch=d.batch, sensitive=False)
    )
    split.split_study(study)
    set_architecture(study, width=8, depth=1, dropout=0.1)
    study.train.device, study.train.max_epochs = "cpu", 2
    train_network(study)
    finalize_test_evaluation(study)
    write_bundle(study, root / "export", predictions=test_predictions(study))
    return study, root / "export"


def test_apply_to_new_samples_writes_what_tenfold_predict_writes(exported, make_window, run_and_wait, tmp_path):
    study, bundle = exported
    new = tmp_path / "new.csv"
    pd.read_csv(study.data.provenance.path).head(30).to_csv(new, index=False)
    window = make_window(study)
    page = window.page("export")
    panel = page.apply_panel
    page.out_dir.setText("")
    assert not panel.apply.isEnabled() and "Export the study first" in panel.apply.toolTip()
    page.out_dir.setText(str(bundle))
    assert not panel.apply.isEnabled() and "new samples" in panel.apply.toolTip()
    panel.data_path.setText(str(new))
    assert panel.out_path.text() == str(tmp_path / "new_predictions.csv")
    run_and_wait(window, panel.apply)
    assert not page.error.text(), page.error.text()
    assert panel.model.rowCount() == 30 and "sample_id" in list(panel.frame.columns)
    assert "Predicted 30 sample(s)" in panel.result.text()

    cli_out = tmp_path / "cli.csv"
    done = subprocess.run(
        [sys.executable, "-m", "guiapp", "predict", str(bundle), str(new), "--out", str(cli_out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "new_predictions.csv").read_bytes() == cli_out.read_bytes()


def test_a_missing_feature_column_is_named_on_the_page(exported, make_window, run_and_wait, tmp_path):
    study, bundle = exported
    feature = study.data.feature_columns[0]
    new = tmp_path / "short.csv"
    pd.read_csv(study.data.provenance.path).head(12).drop(columns=[feature]).to_csv(new, index=False)
    window = make_window(study)
    page = window.page("export")
    page.out_dir.setText(str(bundle))
    page.apply_panel.data_path.setText(str(new))
    run_and_wait(window, page.apply_panel.apply)
    assert feature in page.error.text() and "lacks" in page.error.text()
    assert not (tmp_path / "short_predictions.csv").exists()
