"""Architectures by modality (Tip 5) and their size (Tip 3), on synthetic tensors of each modality."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from guiapp.core.evaluation.verdict import assess_before_training
from guiapp.core.models import catalogue as A
from guiapp.core.models.recommend import set_architecture
from guiapp.core.study.errors import TenfoldError

CASES = {
    "mlp": ((30,), A.default_config("mlp", (30,), 2)),
    "cnn1d": ((4, 60), A.default_config("cnn1d", (4, 60), 2, filters=8, kernel=5)),
    "cnn2d": ((1, 12, 12), A.default_config("cnn2d", (1, 12, 12), 3, filters=4, depth=2)),
    "transformer": ((4, 24), A.default_config("transformer", (4, 24), 2, d_model=16, heads=2, ff=32)),
}


@pytest.mark.parametrize("kind", list(CASES))
def test_counts_match_what_torch_builds_and_counts(kind):
    shape, config = CASES[kind]
    model = A.build(kind, config).train()
    assert A.count_parameters(kind, config) == sum(p.numel() for p in model.parameters())
    x = torch.randn(5, *shape)
    with FlopCounterMode(display=False) as counter:
        out = model(x)
    assert out.shape == (5, config["n_outputs"])
    assert A.flops_per_sample(kind, config) * 5 == counter.get_total_flops()
    assert A.memory_mb(kind, config, 64) > A.memory_mb(kind, config, 8) > 0


def test_flops_and_parameters_of_a_small_1d_cnn_by_hand():
    config = A.default_config("cnn1d", (4, 8), 2, filters=2, depth=1, kernel=3)
    # conv: 4 channels × 2 filters × 3 taps + 2 biases; output layer: 2 × 2 + 2
    assert A.count_parameters("cnn1d", config) == 4 * 2 * 3 + 2 + 2 * 2 + 2 == 32
    # conv: 8 positions × 2 filters × (4 × 3) multiply-adds; output layer: 2 × 2; 2 FLOPs each
    assert A.flops_per_sample("cnn1d", config) == 2 * (8 * 2 * 12 + 2 * 2) == 392


@pytest.mark.parametrize("kind", list(CASES))
def test_each_architecture_learns_for_two_epochs_on_data_of_its_modality(kind):
    torch.manual_seed(0)
    shape, config = CASES[kind]
    n = 64
    y = torch.randint(0, 2, (n,))
    x = torch.randn(n, *shape) * 0.1
    x.view(n, -1)[:, 0] += y * 2.0  # the label shows in one input value
    if kind in ("cnn1d", "transformer"):  # one-hot sequences: a 'G' at position 3 marks the class
        x = torch.nn.functional.one_hot(torch.randint(0, 4, (n, shape[1])), 4).float().transpose(1, 2)
        x[:, :, 3] = 0
        x[torch.arange(n), 2 * y, 3] = 1.0
    model = A.build(kind, config)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(2):
        for i in range(0, n, 16):
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x[i : i + 16]), y[i : i + 16])
            loss.backward()
            opt.step()
        with torch.no_grad():
            losses.append(float(torch.nn.functional.cross_entropy(model.eval()(x), y)))
        model.train()
    assert all(torch.isfinite(torch.tensor(losses)))


def test_the_recommendation_follows_the_modality():
    table = A.recommend("table", n_samples=500, input_shape=(30,), n_outputs=2)
    assert table.kind == "mlp" and "perceptron" in table.reason
    seq = A.recommend("sequence", n_samples=2000, input_shape=(4, 200), n_outputs=2)
    assert seq.kind == "cnn1d" and "motif" in seq.reason and seq.alternatives[0][0] == "transformer"
    assert A.recommend("sequence", n_samples=80_000, input_shape=(4, 200), n_outputs=2).kind == "transformer"
    image = A.recommend("image", n_samples=3000, input_shape=(3, 64, 64), n_outputs=5)
    assert image.kind == "cnn2d" and image.config["image_height"] == 64
    with pytest.raises(TenfoldError, match="modality"):
        A.recommend("graph", n_samples=10, input_shape=(3,), n_outputs=2)


def test_bad_configurations_are_refused():
    with pytest.raises(TenfoldError, match="odd kernel"):
        A.count_parameters("cnn1d", A.default_config("cnn1d", (4, 20), 2, kernel=4))
    with pytest.raises(TenfoldError, match="multiple of its heads"):
        A.build("transformer", A.default_config("transformer", (4, 20), 2, d_model=30, heads=4))


def test_a_network_far_larger_than_the_data_raises_a_finding(tiny_study):
    set_architecture(tiny_study, width=8, depth=1, dropout=0.1)
    assert "parameters-exceed-samples" not in tiny_study.finding_codes()
    assert tiny_study.architecture.flops == 2 * (20 * 8 + 8 * 2)
    set_architecture(tiny_study, width=512, depth=3, dropout=0.1)
    assert "parameters-exceed-samples" in tiny_study.finding_codes()
    assert tiny_study.architecture.memory_mb > 1


# ----- the study's own network, on data of each modality ---------------------------------------


def _fasta_study(folder, label="label"):
    """80 DNA sequences of 30 letters; class b carries the motif GATA at positions 11–14, and a
    three-level ``kind`` in the header gives a second task for transfer."""
    import numpy as np

    from guiapp.core.data import attach as data
    from guiapp.core.split import draw as split
    from guiapp.core.study.model import Study

    rng = np.random.default_rng(0)
    records = []
    for i in range(80):
        letters = list(rng.choice(list("ACGT"), 30))
        if i % 2:
            letters[10:14] = list("GATA")
        records.append(f">s{i} label={'ab'[i % 2]} kind={'xyz'[i % 3]}\n{''.join(letters)}\n")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "reads.fa"
    path.write_text("".join(records))
    study = Study()
    study.save(folder / f"study-{label}")
    data.attach_data(study, data.AttachRequest(path, label=label, sensitive=False))
    split.split_study(study)
    return study


def _image_study(folder):
    """60 grey 8 × 8 images in two class folders (dim and bright)."""
    import numpy as np

    Image = pytest.importorskip("PIL.Image")
    from guiapp.core.data import attach as data
    from guiapp.core.split import draw as split
    from guiapp.core.study.model import Study

    rng = np.random.default_rng(0)
    root = folder / "scans"
    for cls, level in (("healthy", 80), ("tumour", 170)):
        (root / cls).mkdir(parents=True)
        for i in range(30):
            Image.fromarray(np.clip(rng.normal(level, 40, (8, 8)), 0, 255).astype(np.uint8)).save(
                root / cls / f"{i}.png"
            )
    study = Study()
    study.save(folder / "study")
    data.attach_data(study, data.AttachRequest(root, label="class", sensitive=False))
    split.split_study(study)
    return study


def _study_of(modality, folder, study_factory):
    if modality == "sequence":
        return _fasta_study(folder)
    if modality == "image":
        return _image_study(folder)
    return study_factory()


@pytest.mark.parametrize(
    "modality,kind,layer",
    [
        ("table", "mlp", torch.nn.Linear),
        ("sequence", "cnn1d", torch.nn.Conv1d),
        ("sequence", "transformer", torch.nn.TransformerEncoder),
        ("image", "cnn2d", torch.nn.Conv2d),
    ],
)
def test_each_architecture_trains_two_epochs_on_cpu_through_the_study(modality, kind, layer, tmp_path, study_factory):
    """Loaded data of each modality, the architecture chosen on the Architecture step, and the
    Train step's own loop: 2 epochs on the CPU, weights saved, predictions for every tune row."""
    from guiapp.core.models import recommend as architecture
    from guiapp.core.models.network import load_trained_model, predict
    from guiapp.core.models.train import train_network
    from guiapp.core.split.draw import train_tune_arrays

    study = _study_of(modality, tmp_path, study_factory)
    assert study.data.modality == modality
    recommended = architecture.recommendation(study).kind
    assert recommended == {"table": "mlp", "sequence": "cnn1d", "image": "cnn2d"}[modality]
    n_params = architecture.set_architecture(study, width=16, depth=2, dropout=0.1, kind=kind)
    assert study.architecture.kind == kind and study.architecture.flops > 0
    t = study.train
    t.device, t.max_epochs, t.patience, t.batch_size = "cpu", 2, 10, 16
    train_network(study)
    assert t.status == "done" and [r["epoch"] for r in t.history] == [1, 2]
    assert all(np.isfinite(r["train_loss"]) and np.isfinite(r["tune_loss"]) for r in t.history)
    model = load_trained_model(study)
    assert sum(p.numel() for p in model.parameters()) == n_params  # the page's count is the real one
    assert any(isinstance(m, layer) for m in model.modules())
    _, _, X_tu, _ = train_tune_arrays(study)
    proba = predict(study, X_tu)
    assert proba.shape == (len(X_tu), 2) and np.allclose(proba.sum(axis=1), 1, atol=1e-5)


def test_rows_go_back_to_their_letter_and_position(tmp_path):
    from guiapp.core.models import recommend as architecture
    from guiapp.core.models.network import model_for_study

    study = _fasta_study(tmp_path)
    architecture.set_architecture(study, width=8, depth=1, dropout=0.0, kind="cnn1d")
    columns = study.data.feature_columns
    on_grid = model_for_study(study)[1]
    row = torch.zeros(1, len(columns))
    row[0, columns.index("pos12_A")] = 1.0
    grid = on_grid(row)
    assert grid.shape == (1, 4, 30)  # (letters, length): channels first for the convolutions
    assert grid[0, 0, 11] == 1.0 and grid.sum() == 1.0


def test_an_architecture_that_does_not_fit_the_data_is_refused(tiny_study, tmp_path):
    from guiapp.core.models import recommend as architecture

    with pytest.raises(TenfoldError, match="needs image data.*multilayer perceptron"):
        architecture.set_architecture(tiny_study, width=8, depth=1, dropout=0.0, kind="cnn2d")
    study = _fasta_study(tmp_path)
    with pytest.raises(TenfoldError, match="needs image data.*1D convolutional network"):
        architecture.set_architecture(study, width=8, depth=1, dropout=0.0, kind="cnn2d")
    architecture.set_architecture(study, width=8, depth=1, dropout=0.0, kind="transformer")
    architecture.set_architecture(study, width=16, depth=2, dropout=0.0)  # the kind stays
    assert study.architecture.kind == "transformer"


def test_a_cnn_transfers_its_convolutions_to_a_new_task(tmp_path):
    """Tip 5: a 1D CNN trained on one label starts another (three classes): its convolutions load
    by name and shape, the output layer is fresh."""
    from safetensors.torch import load_file

    from guiapp.core.models import recommend as architecture
    from guiapp.core.models import transfer
    from guiapp.core.models.network import model_for_study
    from guiapp.core.models.train import train_network
    from guiapp.core.split.draw import train_tune_arrays

    donor = _fasta_study(tmp_path, label="label")
    architecture.set_architecture(donor, width=8, depth=2, dropout=0.0, kind="cnn1d")
    donor.train.device, donor.train.max_epochs = "cpu", 2
    train_network(donor)
    study = _fasta_study(tmp_path, label="kind")
    architecture.set_architecture(study, width=8, depth=2, dropout=0.0, kind="cnn1d")
    report = transfer.set_pretrained(study, str(donor.path(donor.train.weights)), freeze=True)
    assert report["loaded"] == ["2.0.weight", "2.0.bias", "2.4.weight", "2.4.bias"]  # both convolutions
    assert report["fresh"] == ["2.10.weight", "2.10.bias"]  # the output layer: 3 classes here, 2 there
    weights = load_file(str(donor.path(donor.train.weights)))
    X_tr, y_tr, _, _ = train_tune_arrays(study)
    model = model_for_study(study, X_tr, y_tr)
    assert torch.equal(model[2][0].weight, weights["2.0.weight"]) and not model[2][0].weight.requires_grad


def test_the_verdict_and_the_search_follow_the_datas_form(tmp_path):
    """Before any architecture is set, the verdict already reads the loaded sequences as sequences,
    and the network's search gives each kind widths it can afford."""
    from guiapp.core.models import baselines, network_search

    study = _fasta_study(tmp_path)
    assert study.architecture.kind == "mlp"  # nothing chosen yet
    study.baselines.models, study.baselines.budget_trials = ["logistic_regression"], 0
    baselines.fit_baselines(study)
    assess_before_training(study)  # the caller records the verdict
    assert study.verdict.numbers["modality"] == "sequence"
    assert any("raw sequences" in r for r in study.verdict.reasons)
    assert network_search.network_space("cnn2d")["width"].choices == (8, 16, 32, 64)
    assert network_search.network_space("mlp")["width"].choices == (16, 32, 64, 128, 256)
    assert set(network_search.network_space("transformer")) == set(network_search.NETWORK_SPACE)
