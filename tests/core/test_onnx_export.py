"""ONNX as an option of the export bundle: the file is written beside the safetensors, listed in
config.json and the manifest, withheld with the weights, and (with ONNX Runtime) gives the
network's own outputs on the test rows."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from guiapp.core.evaluation.sealed_test import finalize_test_evaluation
from guiapp.core.evaluation.sealed_test import test_predictions as predictions_on_test
from guiapp.core.export import onnx_export
from guiapp.core.export.open_bundle import open_bundle
from guiapp.core.export.write import write_bundle
from guiapp.core.models.train import train_network
from guiapp.core.study.errors import TenfoldError


@pytest.fixture
def evaluated(tiny_study, quick_training):
    quick_training(tiny_study)
    train_network(tiny_study)
    finalize_test_evaluation(tiny_study)
    return tiny_study


def test_without_the_onnx_package_the_option_says_how_to_get_it(evaluated, tmp_path, monkeypatch):
    monkeypatch.setattr(onnx_export, "find_spec", lambda name: None)
    with pytest.raises(TenfoldError, match=r'pip install "tenfold\[onnx\]"'):
        write_bundle(evaluated, tmp_path / "out", onnx=True)
    assert not (tmp_path / "out" / "model_card.md").exists()  # refused before anything was written
    write_bundle(evaluated, tmp_path / "plain")  # the option is off by default
    assert not (tmp_path / "plain" / "model" / "model.onnx").exists()


def test_the_installed_app_without_onnx_does_not_ask_for_pip(evaluated, tmp_path, monkeypatch):
    monkeypatch.setattr(onnx_export, "find_spec", lambda name: None)
    monkeypatch.setattr(onnx_export.sys, "frozen", True, raising=False)
    with pytest.raises(TenfoldError, match="installed Tenfold app does not include the ONNX writer"):
        write_bundle(evaluated, tmp_path / "out", onnx=True)


def test_onnx_file_is_listed_and_matches_torch_on_the_test_rows(evaluated, tmp_path):
    pytest.importorskip("onnx")
    out = tmp_path / "out"
    frame = predictions_on_test(evaluated)
    write_bundle(evaluated, out, predictions=frame, onnx=True)
    path = out / "model" / "model.onnx"
    assert path.is_file()
    config = json.loads((out / "model" / "config.json").read_text())
    assert config["onnx"]["files"] == {"network": "model.onnx"}
    assert config["onnx"]["input"] == "features" and config["onnx"]["output"] == "probabilities"
    manifest = json.loads((out / "manifest.json").read_text())
    assert "model/model.onnx" in {f["path"] for f in manifest["files"]}
    open_bundle(out)  # an ONNX file is no pickle, and its hash is recorded: the bundle still opens

    ort = pytest.importorskip("onnxruntime")
    from guiapp.core.data.attach import model_frame
    from guiapp.core.models.network import load_trained_model, predict

    X, _, _ = model_frame(evaluated)
    X_test = X[np.asarray(evaluated.split.test_idx)].astype(np.float32)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["features"]
    got = session.run(None, {"features": X_test})[0]
    want = predict(evaluated, X_test, model=load_trained_model(evaluated))
    assert got.shape == want.shape == (len(X_test), 2)
    np.testing.assert_allclose(got, want, atol=1e-5)
    # and the probabilities the bundle's predictions.csv holds
    csv = pd.read_csv(out / "predictions.csv")
    classes = evaluated.data.classes
    np.testing.assert_allclose(got, csv[[f"p_{c}" for c in classes]].to_numpy(), atol=2e-6)
    # missing values are filled inside the graph, as in torch
    X_gap = X_test.copy()
    X_gap[0, 0] = np.nan
    np.testing.assert_allclose(
        session.run(None, {"features": X_gap})[0],
        predict(evaluated, X_gap, model=load_trained_model(evaluated)),
        atol=1e-5,
    )


def test_regression_onnx_gives_the_prediction(regression_trained, tmp_path):
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    from guiapp.core.models.network import load_trained_model, predict
    from guiapp.core.split.draw import train_tune_arrays

    write_bundle(regression_trained, tmp_path / "out", onnx=True)
    session = ort.InferenceSession(str(tmp_path / "out" / "model" / "model.onnx"), providers=["CPUExecutionProvider"])
    _, _, X, _ = train_tune_arrays(regression_trained)
    got = session.run(None, {"features": X.astype(np.float32)})[0]
    assert got.shape == (len(X), 1)
    np.testing.assert_allclose(
        got[:, 0], predict(regression_trained, X, model=load_trained_model(regression_trained)), rtol=1e-5, atol=1e-4
    )


def test_withheld_weights_take_the_onnx_file_with_them(evaluated, tmp_path):
    pytest.importorskip("onnx")
    write_bundle(evaluated, tmp_path / "out", onnx=True)
    assert (tmp_path / "out" / "model" / "model.onnx").is_file()
    evaluated.data.sensitive = True  # sensitive, no differential privacy: nothing leaves
    write_bundle(evaluated, tmp_path / "out", onnx=True)
    assert not (tmp_path / "out" / "model" / "model.onnx").exists()
    assert not (tmp_path / "out" / "model" / "model.safetensors").exists()


@pytest.fixture
def regression_trained(study_factory, quick_training):
    from guiapp.core.data import attach as data
    from guiapp.core.data import demo
    from guiapp.core.split import draw as split
    from guiapp.core.study.model import Study

    study = study_factory(do_split=False)
    table = demo.simulated_expression(n_samples=160, n_genes=8, n_informative=3, seed=2).table
    table["score"] = table["GENE0000"] * 100 + 1000
    path = study.folder.parent / "reg.csv"
    table.drop(columns=["condition"]).to_csv(path, index=False)
    study = Study()
    study.question.task = "regression"
    study.save(path.parent / "reg_study")
    data.attach_data(study, data.AttachRequest(path, label="score", sensitive=False))
    split.split_study(study)
    quick_training(study)
    train_network(study)
    return study


@pytest.mark.parametrize("kind, shape", [("cnn2d", [1, 8, 8]), ("cnn1d", [12, 4]), ("transformer", [12, 4])])
def test_image_and_sequence_networks_export_too(kind, shape, tmp_path):
    """The grid networks take the flattened rows, so their ONNX graphs do too (the
    transformer's fused attention kernel is switched off while exporting)."""
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    import torch

    from guiapp.core.models.grid_networks import build_grid_network
    from guiapp.core.study.model import Study

    s = Study()
    s.data.modality, s.data.input_shape, s.data.classes = (
        ("image" if kind == "cnn2d" else "sequence"),
        shape,
        ["a", "b"],
    )
    s.data.options = {"alphabet": "dna"}
    s.data.feature_columns = (
        [f"px_{y}_{x}" for y in range(8) for x in range(8)]
        if kind == "cnn2d"
        else [f"pos{p + 1}_{c}" for p in range(12) for c in "ACGT"]
    )
    s.architecture.kind = kind
    model = build_grid_network(s, kind).eval()
    path = onnx_export.export_network(
        model, tmp_path / "m.onnx", n_features=len(s.data.feature_columns), task="classification"
    )
    x = np.random.default_rng(0).random((5, len(s.data.feature_columns)), dtype=np.float32)
    with torch.no_grad():
        want = torch.softmax(model(torch.as_tensor(x)), dim=1).numpy()
    got = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"features": x})[0]
    np.testing.assert_allclose(got, want, atol=1e-5)
    assert torch.backends.mha.get_fastpath_enabled()  # switched back on for training and inference
