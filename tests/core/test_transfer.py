"""Transfer learning from a local checkpoint (Tip 5): matching layers load, the rest is reported."""

from __future__ import annotations

import pickle

import pytest
import torch
from safetensors.torch import save_file

from guiapp.core.models import transfer
from guiapp.core.models.network import build_mlp, model_for_study
from guiapp.core.models.recommend import set_architecture
from guiapp.core.models.train import train_network
from guiapp.core.split.draw import train_tune_arrays
from guiapp.core.study.errors import TenfoldError


@pytest.fixture
def donor():
    """A network trained elsewhere: same 20 inputs and first layer, but 5 outputs and other statistics."""
    torch.manual_seed(1)
    model = build_mlp(20, 5, 16, 2, 0.0, center=torch.full((20,), 7.0))
    return {k: v.clone() for k, v in model.state_dict().items()}


def test_matching_layers_load_and_mismatched_ones_are_reported(tiny_study, donor, tmp_path):
    set_architecture(tiny_study, width=16, depth=1, dropout=0.0)
    path = tmp_path / "donor.safetensors"
    save_file(donor, str(path))
    report = transfer.set_pretrained(tiny_study, str(path))
    assert report["loaded"] == ["1.weight", "1.bias"]  # first hidden layer: same name, same shape
    skipped = {s["name"]: s["reason"] for s in report["skipped"]}
    assert "shape (16, 16) there, (2, 16) here" in skipped["4.weight"]  # its second hidden layer
    assert "preprocessing statistics" in skipped["0.center"]  # never another dataset's statistics
    assert "no layer of that name" in skipped["7.weight"]
    assert report["fresh"] == ["4.weight", "4.bias"]
    assert "Loaded 2 tensor(s)" in report["text"] and "Every layer is fine-tuned" in report["text"]
    assert "pretrained-layers-skipped" in tiny_study.finding_codes()

    # the network that trains starts from the checkpoint; its own statistics stay
    X_tr, y_tr, _, _ = train_tune_arrays(tiny_study)
    model = model_for_study(tiny_study, X_tr, y_tr)
    assert torch.equal(model[1].weight, donor["1.weight"])
    assert not torch.equal(model[0].center, donor["0.center"])


def test_frozen_layers_keep_their_weights_while_the_rest_trains(tiny_study, donor, tmp_path, quick_training):
    quick_training(tiny_study, epochs=2)
    set_architecture(tiny_study, width=16, depth=1, dropout=0.0)
    path = tmp_path / "donor.pt"
    torch.save(donor, path)  # a plain state dict, read with weights_only=True
    transfer.set_pretrained(tiny_study, str(path), freeze=True)
    assert tiny_study.architecture.transfer["frozen"] == ["1.weight", "1.bias"]
    train_network(tiny_study)
    from safetensors.torch import load_file

    trained = load_file(str(tiny_study.path(tiny_study.train.weights)))
    assert torch.equal(trained["1.weight"], donor["1.weight"])
    fresh = model_for_study(tiny_study)
    assert not torch.equal(trained["4.weight"], fresh[4].weight)


def test_only_plain_tensors_are_read(tmp_path):
    with pytest.raises(TenfoldError, match="does not exist"):
        transfer.read_checkpoint(tmp_path / "missing.safetensors")
    evil = tmp_path / "evil.pt"
    with open(evil, "wb") as fh:
        pickle.dump({"weight": torch.zeros(2), "hook": print}, fh, protocol=2)  # an object that is not a tensor
    with pytest.raises(TenfoldError, match="weights_only=True"):
        transfer.read_checkpoint(evil)
    nested = tmp_path / "ckpt.pt"
    torch.save({"model": {"1.weight": torch.zeros(3, 3)}, "epoch": 4}, nested)  # a Tenfold checkpoint
    assert list(transfer.read_checkpoint(nested)) == ["1.weight"]


def test_clearing_the_checkpoint_starts_from_scratch(tiny_study, donor, tmp_path):
    set_architecture(tiny_study, width=16, depth=1, dropout=0.0)
    save_file(donor, str(tmp_path / "d.safetensors"))
    transfer.set_pretrained(tiny_study, str(tmp_path / "d.safetensors"))
    transfer.set_pretrained(tiny_study, "")
    a = tiny_study.architecture
    assert (a.pretrained, a.transfer) == ("", {}) and "pretrained-layers-skipped" not in tiny_study.finding_codes()
