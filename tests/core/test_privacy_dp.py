"""Differential-privacy retraining (opacus): ε reached, δ below 1/n, the utility cost, the separate
weights file, and what the sharing policy does with it."""

from __future__ import annotations

import json

import pytest

from guiapp.core.privacy.dp import DP_WEIGHTS, default_delta, dp_summary, load_dp_model, train_with_dp
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.findings import Findings


def small_trained_study(folder, sensitive=False):
    """200 simulated samples, split and trained for 3 epochs on the CPU (no baselines needed here)."""
    from guiapp.core.data import attach as data
    from guiapp.core.data import demo
    from guiapp.core.models.recommend import set_architecture
    from guiapp.core.models.train import train_network
    from guiapp.core.split import draw as split
    from guiapp.core.study.model import Study

    d = demo.simulated_expression(n_samples=200, n_genes=20, n_informative=5, effect_size=1.5)
    study = Study()
    study.save(folder / "study")
    data.attach_data(
        study,
        data.AttachRequest(demo.write_demo(d, folder / "data"), label=d.label, batch=d.batch, sensitive=sensitive),
    )
    split.split_study(study)
    set_architecture(study, width=16, depth=1, dropout=0.1)
    t = study.train
    t.device, t.max_epochs, t.batch_size, t.patience = "cpu", 3, 32, 50
    train_network(study)
    return study


@pytest.fixture(scope="module")
def dp_study(tmp_path_factory):
    """A small trained study, retrained once with DP for ε = 2 (5 epochs)."""
    study = small_trained_study(tmp_path_factory.mktemp("dp"))
    train_with_dp(study, 2.0, epochs=5)
    return study


def test_epsilon_is_within_5_percent_of_the_target(dp_study):
    dp = dp_study.ethics.dp
    n = len(dp_study.split.train_idx)
    assert abs(dp["epsilon"] - 2.0) / 2.0 < 0.05 and dp["epsilon"] <= 2.0 + 1e-9
    assert dp["target_epsilon"] == 2.0 and 0 < dp["delta"] < 1 / n and dp["delta"] == default_delta(n)
    assert dp["accountant"] == "rdp" and dp["noise_multiplier"] > 0 and dp["max_grad_norm"] == 1.0
    assert dp["epochs"] == 5 and dp["n_train"] == n and dp["fixed_layers"] == []  # an MLP needs no fix
    print(f"DP: target ε 2.0, achieved {dp['epsilon']:.4f}, δ {dp['delta']:.2g}, noise {dp['noise_multiplier']:.3f}")


def test_utility_cost_is_measured_against_the_non_private_network(dp_study):
    dp = dp_study.ethics.dp
    assert dp["metric"] == dp_study.primary_metric
    assert dp["utility_cost"] == pytest.approx(dp["non_private_tune"] - dp["dp_tune"])
    finding = next(f for f in dp_study.findings if f.code == Findings.dp_utility_cost.code)
    assert finding.step == "ethics" and "ε = 2.00" in finding.message or "ε = 1.9" in finding.message
    assert "ε =" in dp_summary(dp_study) and "RDP accountant" in dp_summary(dp_study)
    assert dp_study.split.test_uses == 0  # the sealed test set is never read for it


def test_every_dp_run_is_kept_for_the_utility_plot(dp_study):
    first = dict(dp_study.ethics.dp)
    assert [h["epsilon"] for h in first["history"]] == [first["epsilon"]]
    train_with_dp(dp_study, 8.0, epochs=2)
    history = dp_study.ethics.dp["history"]
    assert [h["target_epsilon"] for h in history] == [2.0, 8.0]
    assert history[0]["dp_tune"] == first["dp_tune"] and history[1]["dp_tune"] == dp_study.ethics.dp["dp_tune"]
    assert history[1]["epsilon"] == pytest.approx(8.0, rel=0.05)


def test_dp_weights_are_a_separate_safetensors_file(dp_study):
    dp_file = dp_study.path(DP_WEIGHTS)
    assert dp_file.is_file() and dp_file != dp_study.path(dp_study.train.weights)
    assert dp_file.read_bytes() != dp_study.path(dp_study.train.weights).read_bytes()
    header = json.loads(dp_file.read_bytes()[8 : 8 + int.from_bytes(dp_file.read_bytes()[:8], "little")])
    assert "1.weight" in header  # safetensors: a JSON header and raw numbers
    model = load_dp_model(dp_study)
    assert not model.training


def test_sensitive_data_ship_the_dp_weights_only(dp_study, tmp_path):
    from guiapp.core.export.write import write_bundle
    from guiapp.core.privacy.membership import membership_inference_audit

    dp_study.data.sensitive = True
    membership_inference_audit(dp_study, n_boot=10)
    assert set(dp_study.ethics.membership["models"]) == {"network", "dp_network", "knn"}
    out = tmp_path / "export"
    result = write_bundle(dp_study, out)
    assert result.weights_shared and result.dp_shared and not result.knn_shared
    assert (out / "model" / "model_dp.safetensors").is_file()
    assert not (out / "model" / "model.safetensors").exists()
    assert not (out / "model" / "knn_baseline.skops").exists()
    config = json.loads((out / "model" / "config.json").read_text())
    assert config["default_model"] == "dp_network" and config["models"]["network"] is None
    assert config["differential_privacy"]["epsilon"] == dp_study.ethics.dp["epsilon"]
    privacy = (out / "privacy.md").read_text()
    assert "## Differential privacy" in privacy and "DP-trained weights: shared" in privacy
    assert "kNN baseline: withheld" in privacy
    card = (out / "model_card.md").read_text()
    assert "network trained with differential privacy" in card and "RDP accountant" in card
    checklist = json.loads((out / "checklist.json").read_text())
    dp_item = next(i for i in checklist["items"] if i["id"] == "dp-recorded")
    assert dp_item["status"] == "done" and "ε" in dp_item["evidence"]


def test_bad_settings_are_refused(dp_study):
    with pytest.raises(TenfoldError, match="positive number"):
        train_with_dp(dp_study, 0)
    n = len(dp_study.split.train_idx)
    with pytest.raises(TenfoldError, match="below 1/n"):
        train_with_dp(dp_study, 1.0, delta=1.0 / n)


# ----- image and sequence networks --------------------------------------------------------------


@pytest.mark.parametrize("kind", ["cnn1d", "cnn2d"])
def test_a_cnn_is_retrained_with_dp_and_its_bundle_applies_the_dp_weights(tmp_path, kind):
    """Convolutions, pooling and Tenfold's on-grid layer need no fix: ε is reached in 2 epochs, and
    a sensitive study's bundle ships the DP weights, which `tenfold predict` rebuilds and applies."""
    import numpy as np
    from grid_studies import trained_grid_study

    from guiapp.core.export.predict import predict_table
    from guiapp.core.export.write import write_bundle
    from guiapp.core.models.network import predict
    from guiapp.core.split.draw import train_tune_arrays

    study = trained_grid_study(tmp_path, kind)
    dp = train_with_dp(study, 2.0, epochs=2)
    assert dp["epsilon"] == pytest.approx(2.0, rel=0.05) and dp["epsilon"] <= 2.0 + 1e-9
    assert dp["fixed_layers"] == [] and dp["epochs"] == 2 and study.path(DP_WEIGHTS).is_file()
    assert np.isfinite(dp["dp_tune"]) and study.split.test_uses == 0
    _, _, X_tu, _ = train_tune_arrays(study)
    mine = predict(study, X_tu, load_dp_model(study))
    assert mine.shape == (len(X_tu), 2) and np.allclose(mine.sum(axis=1), 1, atol=1e-5)

    study.data.sensitive = True
    write_bundle(study, tmp_path / "export")
    assert not (tmp_path / "export" / "model" / "model.safetensors").exists()
    frame = predict_table(tmp_path / "export", study.table)
    assert frame.attrs["model"] == "dp_network"
    whole = predict(study, study.table[study.data.feature_columns].to_numpy("float32"), load_dp_model(study))
    np.testing.assert_allclose(frame[[f"p_{c}" for c in study.data.classes]].to_numpy(), whole, atol=2e-6)


def test_the_transformer_is_refused_before_training_with_what_to_do(tmp_path):
    from grid_studies import trained_grid_study

    study = trained_grid_study(tmp_path, "transformer", n=40)
    with pytest.raises(TenfoldError) as refused:
        train_with_dp(study, 2.0, epochs=1)
    message = str(refused.value)
    assert "cannot train the small transformer" in message and "attention" in message
    assert "choose the 1D CNN" in message and "leave [privacy] dp_epsilon out" in message
    assert not study.path(DP_WEIGHTS).exists() and not study.ethics.dp.get("weights")


def test_layers_opacus_can_fix_are_swapped_in_a_copy():
    """A BatchNorm among Tenfold's own preprocessing layers (built inside functions, which
    opacus's copy through torch.save cannot handle) becomes a GroupNorm; the original stays."""
    import torch
    from opacus.validators import ModuleValidator

    from guiapp.core.models.network import build_mlp
    from guiapp.core.privacy.dp import fix_for_dp

    model = build_mlp(6, 2, 8, 1, 0.0)
    model.insert(2, torch.nn.BatchNorm1d(8))
    assert ModuleValidator.validate(model)
    fixed = fix_for_dp(model)
    assert isinstance(fixed[2], torch.nn.GroupNorm) and isinstance(model[2], torch.nn.BatchNorm1d)
    assert ModuleValidator.validate(fixed) == []
    assert fixed(torch.randn(4, 6)).shape == (4, 2)


def test_empty_poisson_batches_are_counted_as_steps(tmp_path):
    """Batches of 2 over ~100 samples: about one Poisson batch in eight is empty. Every sampled step
    adds noise and spends privacy, so ε must match opacus's RDP accountant over all
    epochs × len(loader) steps, not only the non-empty ones."""
    from opacus.accountants import RDPAccountant

    study = small_trained_study(tmp_path)
    study.train.batch_size = 2
    train_with_dp(study, 2.0, epochs=2)
    dp = study.ethics.dp
    n = len(study.split.train_idx)
    steps_per_epoch = int(1 / dp["sample_rate"])  # len() of opacus's Poisson data loader
    expected_steps = 2 * steps_per_epoch
    assert dp["steps"] == expected_steps and dp["steps_counted"] == expected_steps
    reference = RDPAccountant()
    reference.history = [(dp["noise_multiplier"], dp["sample_rate"], expected_steps)]
    assert dp["epsilon"] == pytest.approx(reference.get_epsilon(dp["delta"]), rel=1e-9)
    assert dp["empty_batches"] > 0  # the case this guards: at q = 2/n about one batch in e² is empty
    print(f"DP steps: {dp['steps']} (of which {dp['empty_batches']} empty), n = {n}, ε = {dp['epsilon']:.4f}")
