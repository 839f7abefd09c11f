"""Image and sequence studies from the command line: `tenfold run` on a generated FASTA file with
the 1D CNN and on a generated image folder with the 2D CNN (2 epochs, 1 trial), a complete bundle,
and `tenfold predict` on the FASTA file or image folder itself reproducing the test predictions."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from guiapp.cli import main
from guiapp.core.study.places import default_study_dir

BUNDLE = (
    "model_card.md",
    "model_card.json",
    "privacy.md",
    "metrics.json",
    "manifest.json",
    "checklist.json",
    "ethics_register.json",
    "predictions.csv",
    "report.html",
    "model/config.json",
    "model/model.safetensors",
    "model/model_dp.safetensors",
)
SPEC = """[question]
title = "{title}"
task = "classification"
[data]
path = "{path}"
label = "{label}"
sensitive = false
about_humans = false
{data}
[split]
cv = "never"  # a few dozen samples would be cross-validated; these tests are about the bundle
[baselines]
models = ["logistic_regression"]
budget_trials = 1
[model]
architecture = "{kind}"
width = {width}
depth = 1
[train]
device = "cpu"
max_epochs = 2
budget_trials = 1
[tuning]
epochs = 2
[evaluate]
shuffle_repeats = 1
learning_curve = [0.5, 1.0]
[interpret]
repeats = 1
top = 5
[privacy]
dp_epsilon = 4.0
dp_epochs = 2
[verdict]
proceed_reason = "A test of the command line on generated data."
"""


def fasta(path, n=48, seed=0, letters="ACGT", motif="GATA"):
    rng = np.random.default_rng(seed)
    lines = []
    for i in range(n):
        seq = list(rng.choice(list(letters), 20 + i % 5))  # lengths 20 to 24: padded to the longest
        label = "bound" if i % 2 else "unbound"
        if label == "bound":
            seq[8:12] = list(motif)
        lines.append(f">s{i} label={label}\n{''.join(seq)}\n")
    path.write_text("".join(lines))
    return path


def images(root, n=16, size=(10, 12), colour=False, seed=0):
    from PIL import Image

    rng = np.random.default_rng(seed)
    for cls, level in (("healthy", 60), ("tumour", 180)):
        (root / cls).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            shape = size + ((3,) if colour else ())
            Image.fromarray(np.clip(rng.normal(level, 30, shape), 0, 255).astype(np.uint8)).save(
                root / cls / f"{cls}_{i}.png"
            )
    return root


def write_spec(folder, modality, kind=None):
    if modality == "sequence":
        fasta(folder / "seqs.fa")
        values = dict(title="GATA motif", path="seqs.fa", label="label", data="", kind=kind or "cnn1d", width=8)
    else:
        images(folder / "images")
        values = dict(
            title="Tumour tiles", path="images", label="class", data="image_size = 8", kind=kind or "cnn2d", width=4
        )
    spec = folder / "spec.toml"
    spec.write_text(SPEC.format(**values))
    return spec, folder / values["path"]


@pytest.fixture(scope="module", params=["sequence", "image"])
def run(request, tmp_path_factory):
    import torch

    torch.set_num_threads(1)
    folder = tmp_path_factory.mktemp(request.param)
    spec, data = write_spec(folder, request.param)
    assert main(["run", str(spec), "--out", str(folder / "out")]) == 0
    return request.param, folder / "out", data


def predict(bundle, data, out, capsys=None):
    code = main(["predict", str(bundle), str(data), "--out", str(out)])
    return code, (capsys.readouterr().err if capsys else "")


def test_the_bundle_is_complete_and_names_the_network_and_the_loader(run):
    modality, out, _ = run
    for name in BUNDLE:
        assert (out / name).is_file(), name
    config = json.loads((out / "model" / "config.json").read_text())
    assert config["modality"] == modality
    if modality == "sequence":
        assert config["architecture"]["kind"] == "cnn1d" and config["input_shape"] == [24, 4]
        assert config["data_options"] == {"sequence_length": 24, "alphabet": "dna", "crop": "start"}
    else:
        assert config["architecture"]["kind"] == "cnn2d" and config["input_shape"] == [1, 8, 8]
        assert config["data_options"] == {"image_size": [8, 8], "colour": "grey"}
    study = json.loads((default_study_dir(out) / "study.json").read_text())
    assert study["split"]["test_uses"] == 1 and study["ethics"]["dp"]["epsilon"] <= 4.0
    assert study["overfitting"]["shuffle"]["repeats"] == 1 and study["overfitting"]["learning_curve"]["n_train"]
    assert set(study["ethics"]["membership"]["models"]) == {"network", "dp_network", "knn"}


def test_predict_on_the_fasta_file_or_image_folder_reproduces_the_test_predictions(run, tmp_path, capsys):
    modality, out, data = run
    code, err = predict(out, data, tmp_path / "preds.csv", capsys)
    assert code == 0, err
    mine = pd.read_csv(tmp_path / "preds.csv").set_index("row")
    exported = pd.read_csv(out / "predictions.csv")
    columns = [c for c in exported.columns if c.startswith("p_")]
    assert len(columns) == 2 and len(exported) >= 4
    np.testing.assert_allclose(mine.loc[exported["row"], columns].to_numpy(), exported[columns].to_numpy(), atol=2e-6)
    assert (mine.loc[exported["row"], "predicted"].to_numpy() == exported["predicted"].to_numpy()).all()
    key = "sample_id" if modality == "sequence" else "image"  # each prediction names its record or file
    assert mine[key].iloc[0] == ("s0" if modality == "sequence" else "healthy/healthy_0.png")


@pytest.mark.parametrize("run", ["image"], indirect=True)
def test_other_image_sizes_and_colour_are_read_as_the_study_read_its_own(run, tmp_path, capsys):
    _, out, _ = run
    new = images(tmp_path / "new", n=3, size=(21, 17), colour=True, seed=5)
    code, err = predict(out, new, tmp_path / "p.csv", capsys)
    assert code == 0, err
    frame = pd.read_csv(tmp_path / "p.csv")
    assert len(frame) == 6 and np.allclose(frame[["p_healthy", "p_tumour"]].sum(axis=1), 1, atol=1e-5)


@pytest.mark.parametrize("run", ["sequence"], indirect=True)
def test_records_of_another_alphabet_are_refused_by_name(run, tmp_path, capsys):
    _, out, _ = run
    rna = fasta(tmp_path / "rna.fa", n=6, letters="ACGU", motif="GAUA")
    code, err = predict(out, rna, tmp_path / "p.csv", capsys)
    assert code == 2 and "rna.fa holds RNA sequences" in err and "trained on DNA" in err and "T for U" in err
    protein = fasta(tmp_path / "protein.fa", n=6, letters="LKMWYEQ", motif="LKMW")
    code, err = predict(out, protein, tmp_path / "p.csv", capsys)
    assert code == 2 and "protein sequences" in err and "Traceback" not in err
    assert not (tmp_path / "p.csv").exists()


def test_data_of_the_other_kind_are_refused(run, tmp_path, capsys):
    modality, out, _ = run
    other = images(tmp_path / "imgs", n=2) if modality == "sequence" else fasta(tmp_path / "s.fa", n=4)
    code, err = predict(out, other, tmp_path / "p.csv", capsys)
    assert code == 2 and err.startswith("tenfold: ") and "Traceback" not in err
    assert f"trained on {modality} data" in err
    assert not (tmp_path / "p.csv").exists()


def test_a_transformer_with_differential_privacy_is_refused_before_training(tmp_path, capsys):
    spec, _ = write_spec(tmp_path, "sequence", kind="transformer")
    assert main(["run", str(spec), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "cannot train the small transformer" in err and "choose the 1D CNN" in err
    study = json.loads((default_study_dir(tmp_path / "out") / "study.json").read_text())
    assert study["architecture"]["kind"] == "transformer" and not study["train"]["weights"]  # never trained
