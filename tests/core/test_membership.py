"""The membership-inference audit: the attack's numbers, an overfit model against a regularised
one, the kNN baseline, the finding and the register entry it opens."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from guiapp.core.data import attach as data
from guiapp.core.data import demo
from guiapp.core.models.recommend import set_architecture
from guiapp.core.privacy import ethics
from guiapp.core.privacy.membership import (
    KNN_FILE,
    attack_scores,
    audit_summary,
    leaks,
    loss_threshold_attack,
    membership_inference_audit,
    per_sample_loss,
)
from guiapp.core.split import draw as split
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.findings import Findings
from guiapp.core.study.model import Study
from guiapp.core.study.task_context import TaskContext


def test_attack_scores_read_chance_and_perfect_separation():
    rng = np.random.default_rng(0)
    same = attack_scores(rng.exponential(size=2000), rng.exponential(size=2000))
    assert same[0] == pytest.approx(0.5, abs=0.03) and same[1] < 0.06 and same[2] < 0.03
    auc, advantage, tpr = attack_scores(np.full(50, 0.01), np.full(50, 2.0) + rng.random(50))
    assert (auc, advantage, tpr) == (1.0, 1.0, 1.0)
    # ties between a member and a non-member count half, as in the ROC AUC
    assert attack_scores(np.array([1.0, 1.0]), np.array([1.0, 1.0]))[0] == pytest.approx(0.5)


def test_per_sample_loss_is_the_true_class_cross_entropy():
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [1.0, 0.0]])
    loss = per_sample_loss(probs, np.array([0, 0, 1]), classification=True)
    assert loss[:2] == pytest.approx([-np.log(0.9), -np.log(0.2)])
    assert np.isfinite(loss[2]) and loss[2] > 10  # probability 0 is clipped, not infinite
    assert per_sample_loss(np.array([1.0, 3.0]), np.array([2.0, 3.0]), classification=False) == pytest.approx([1, 0])


def test_result_carries_intervals_counts_and_a_reading():
    rng = np.random.default_rng(1)
    r = loss_threshold_attack(rng.exponential(0.5, 120), rng.exponential(1.0, 120), model="network", n_boot=50)
    assert r.auc_ci[0] <= r.auc <= r.auc_ci[1] and r.advantage_ci[0] <= r.advantage_ci[1]
    assert (r.n_members, r.n_non_members) == (120, 120) and 0 <= r.tpr_at_low_fpr_p <= 1
    assert "ROC AUC" in r.reading and "120" in r.reading and "guessing" in r.reading
    assert r.roc["fpr"][0] == 0 and r.roc["tpr"][-1] == 1
    with pytest.raises(TenfoldError, match="at least two"):
        loss_threshold_attack([0.1], [0.2, 0.3])


def test_warning_rule():
    assert leaks(0.56, 0.0) and not leaks(0.55, 0.0)
    assert leaks(0.6, 0.0, auc_ci=[0.52, 0.68]) and not leaks(0.6, 0.0, auc_ci=[0.48, 0.7])  # chance excluded?
    assert leaks(0.5, 0.05, p_value=0.01)
    assert not leaks(0.5, 0.05, p_value=0.3)  # 5% at 1% FPR that guessing reaches often: no leak


@pytest.fixture(scope="module")
def small_hard_study(tmp_path_factory):
    """160 samples × 60 genes with a weak signal: a big network can only memorise."""
    root = tmp_path_factory.mktemp("membership")
    d = demo.simulated_expression(n_samples=160, n_genes=60, n_informative=5, effect_size=0.8, seed=0)
    study = Study()
    study.save(root / "study")
    data.attach_data(
        study, data.AttachRequest(demo.write_demo(d, root / "data"), label=d.label, batch=d.batch, sensitive=True)
    )
    study.split.tune_fraction = 0.3
    split.split_study(study)
    return study


def overfit(study, steps: int = 400) -> None:
    """A deliberately overfit network: 2 × 256 units, no dropout or weight decay, full-batch
    steps until the training loss is zero; stored as the study's trained weights."""
    import torch

    from guiapp.core.models.network import model_for_study, save_weights
    from guiapp.core.split.draw import train_tune_arrays

    set_architecture(study, width=256, depth=2, dropout=0.0)
    X, y, _, _ = train_tune_arrays(study)
    torch.manual_seed(0)
    model = model_for_study(study, X, y)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.0)
    X, y = torch.as_tensor(X), torch.as_tensor(y)
    for _ in range(steps):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(X), y).backward()
        optimizer.step()
    save_weights(model, study.path("checkpoints/best.safetensors"))
    study.train.weights, study.train.status = "checkpoints/best.safetensors", "done"


def regularise(study) -> None:
    """A small network with dropout, strong weight decay and early stopping on the tune loss."""
    from guiapp.core.models.train import train_network

    set_architecture(study, width=4, depth=1, dropout=0.5)
    t = study.train
    t.device, t.max_epochs, t.patience, t.weight_decay, t.learning_rate = "cpu", 40, 3, 1.0, 3e-3
    t.batch_size, t.status = 32, "not started"
    train_network(study, resume=False)


def test_overfit_network_reads_high_and_a_regularised_one_lower(small_hard_study):
    study = small_hard_study
    overfit(study)
    high = membership_inference_audit(study, models=["network"], n_boot=50)["models"]["network"]
    assert high["auc"] > 0.75 and high["warn"]
    assert high["n_members"] == high["n_non_members"] == len(study.split.tune_idx)  # balanced
    assert Findings.membership_leak.code in study.finding_codes()

    regularise(study)
    low = membership_inference_audit(study, models=["network"], n_boot=50)["models"]["network"]
    assert low["auc"] < high["auc"] - 0.1
    assert low["advantage"] < high["advantage"]
    print(f"attack AUC: overfit {high['auc']:.3f} {high['auc_ci']}, regularised {low['auc']:.3f} {low['auc_ci']}")


@pytest.fixture
def small_study(tmp_path):
    from test_privacy_dp import small_trained_study

    return small_trained_study(tmp_path)


def test_audit_covers_the_knn_baseline_and_keeps_it_as_skops(small_study):
    result = membership_inference_audit(small_study, n_boot=20)
    assert set(result["models"]) == {"network", "knn"}
    knn = result["models"]["knn"]
    assert 0 <= knn["auc"] <= 1 and knn["n_members"] > 0
    assert result["knn_file"] == KNN_FILE and Path(small_study.path(KNN_FILE)).is_file()
    assert Path(small_study.path(KNN_FILE)).read_bytes()[:2] == b"PK"  # a skops zip, not a pickle
    lines = audit_summary(small_study)
    assert len(lines) == 2 and "kNN baseline" in lines[1]


def test_progress_and_stop(small_study):
    from guiapp.core.study.errors import Cancelled

    calls = []
    membership_inference_audit(
        small_study, models=["network"], n_boot=5, ctx=TaskContext(progress=lambda f, m: calls.append(f))
    )
    assert calls[-1] == 1.0 and calls == sorted(calls)
    with pytest.raises(Cancelled):
        membership_inference_audit(small_study, n_boot=5, ctx=TaskContext(should_stop=lambda: True))


def test_a_leak_opens_one_register_entry_however_often_it_is_found(small_hard_study):
    study = small_hard_study
    overfit(study, steps=300)
    membership_inference_audit(study, models=["network"], n_boot=10)
    new = ethics.sync_register(study)
    leak = [e for e in new if e["finding"].startswith(Findings.membership_leak.code)]
    assert len(leak) == 1 and leak[0]["raised_by"] == ethics.AUTOMATIC and leak[0]["status"] == "open"
    ethics.resolve_entry(study, study.ethics.register.index(leak[0]), "Weights withheld")
    membership_inference_audit(study, models=["network"], n_boot=10)
    assert ethics.sync_register(study) == []  # the same finding again: no second entry
    assert study.ethics.register[study.ethics.register.index(leak[0])]["status"] == "resolved"


def test_regression_uses_squared_errors(regression_study, quick_training):
    from guiapp.core.models.train import train_network

    quick_training(regression_study, epochs=2)
    train_network(regression_study)
    result = membership_inference_audit(regression_study, n_boot=5)
    assert set(result["models"]) == {"network", "knn"}
    assert all(r["mean_loss_members"] >= 0 for r in result["models"].values())


def test_the_knn_file_has_the_same_bytes_whenever_and_wherever_it_is_saved(tmp_path, monkeypatch):
    """skops names arrays after memory addresses and dates zip entries: a resumed run that
    rewrites the kNN must still give the bundle's hashes of an uninterrupted run."""
    import copy
    import time
    import zipfile

    import skops.io as sio
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from guiapp.core.privacy.membership import save_knn

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(30, 4)), np.arange(30) % 2
    pipe = make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=3)).fit(X, y)
    assert save_knn(pipe, tmp_path / "a.skops")
    later = time.time() + 3600 * 24 * 400  # another day, another year
    monkeypatch.setattr(time, "localtime", lambda secs=None: time.gmtime(later))
    assert save_knn(copy.deepcopy(pipe), tmp_path / "b.skops")  # the same model, other objects
    assert (tmp_path / "a.skops").read_bytes() == (tmp_path / "b.skops").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.skops") as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    loaded = sio.load(tmp_path / "a.skops", trusted=sio.get_untrusted_types(file=tmp_path / "a.skops"))
    np.testing.assert_array_equal(loaded.predict_proba(X), pipe.predict_proba(X))
