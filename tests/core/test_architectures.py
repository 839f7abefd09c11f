"""Architectures by modality (Tip 5) and their size (Tip 3), on synthetic tensors of each modality."""

from __future__ import annotations

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from guiapp.core import architectures as A
from guiapp.core.architecture import set_architecture
from guiapp.core.errors import TenfoldError

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
            loss = torch.nn.functional.cross_entropy(model(x[i:i + 16]), y[i:i + 16])
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
