"""`tenfold predict BUNDLE DATA --out preds.csv` as a user types it: it reproduces the bundle's
test predictions, and a feature mismatch or a tampered bundle ends with exit code 2 and a message."""

from __future__ import annotations

import pickle
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from guiapp.cli import main


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    """A small study built with core calls (as `tenfold run` would), evaluated once and exported."""
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
    root = tmp_path_factory.mktemp("cli_predict")
    d = demo.simulated_expression(n_samples=200, n_genes=20, n_informative=5, effect_size=1.5, seed=2)
    study = Study()
    study.save(root / "study")
    data.attach_data(
        study, data.AttachRequest(demo.write_demo(d, root / "data"), label=d.label, batch=d.batch, sensitive=False)
    )
    split.split_study(study)
    set_architecture(study, width=16, depth=1, dropout=0.1)
    study.train.device, study.train.max_epochs = "cpu", 3
    train_network(study)
    finalize_test_evaluation(study)
    write_bundle(study, root / "export", predictions=test_predictions(study))
    return root / "export", study.data.provenance.path, list(study.data.feature_columns)


def test_predict_reproduces_the_test_predictions_of_the_bundle(bundle, tmp_path):
    out, data_path, _ = bundle
    preds = tmp_path / "preds.csv"
    done = subprocess.run(
        [sys.executable, "-m", "guiapp", "predict", str(out), str(data_path), "--out", str(preds)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Predicted 200 sample(s) with the network" in done.stderr
    mine = pd.read_csv(preds).set_index("row")
    exported = pd.read_csv(out / "predictions.csv")
    columns = [c for c in exported.columns if c.startswith("p_")]
    assert np.allclose(mine.loc[exported["row"], columns].to_numpy(), exported[columns].to_numpy(), atol=2e-6)
    assert (mine.loc[exported["row"], "predicted"].to_numpy() == exported["predicted"].to_numpy()).all()


def test_missing_feature_exits_2_with_the_column_named(bundle, tmp_path, capsys):
    out, data_path, features = bundle
    table = pd.read_csv(data_path).drop(columns=[features[0]])
    table.to_csv(tmp_path / "new.csv", index=False)
    assert main(["predict", str(out), str(tmp_path / "new.csv"), "--out", str(tmp_path / "p.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tenfold: ") and features[0] in err and "Traceback" not in err
    assert not (tmp_path / "p.csv").exists()


def test_columns_in_another_order_exit_2_unless_by_name(bundle, tmp_path, capsys):
    out, data_path, features = bundle
    table = pd.read_csv(data_path)
    table[[features[1], features[0]] + [c for c in table.columns if c not in features[:2]]].to_csv(
        tmp_path / "new.csv", index=False
    )
    args = ["predict", str(out), str(tmp_path / "new.csv"), "--out", str(tmp_path / "p.csv")]
    assert main(args) == 2
    assert "another order" in capsys.readouterr().err
    assert main(args + ["--by-name"]) == 0 and (tmp_path / "p.csv").is_file()


def test_tampered_bundle_exits_2_and_is_never_unpickled(bundle, tmp_path, capsys):
    out, data_path, _ = bundle
    tampered = tmp_path / "bundle"
    shutil.copytree(out, tampered)
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    (tampered / "model" / "model.safetensors").write_bytes(pickle.dumps(Payload()))
    assert main(["predict", str(tampered), str(data_path), "--out", str(tmp_path / "p.csv")]) == 2
    err = capsys.readouterr().err
    assert "refuses the bundle" in err and "never unpickles" in err
    assert not marker.exists() and not (tmp_path / "p.csv").exists()
