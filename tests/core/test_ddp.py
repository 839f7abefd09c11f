"""Data-parallel training ([train] processes = 2) on the CPU with gloo: the same global batch
gives the same training as one process; cancel and a killed rank leave no process behind."""

from __future__ import annotations

import multiprocessing
import os
import signal

import pytest

from guiapp.core.data import attach as data
from guiapp.core.data import demo
from guiapp.core.models import recommend as architecture
from guiapp.core.models import train
from guiapp.core.models.ddp import TrainingProcessFailed, check_processes
from guiapp.core.split import draw as split
from guiapp.core.study.errors import Cancelled, SpecError, TenfoldError
from guiapp.core.study.model import Study
from guiapp.core.study.spec import check_spec
from guiapp.core.study.task_context import TaskContext


def _study(folder, tmp_path, processes: int, **train_settings):
    s = Study()
    s.save(folder)
    d = demo.simulated_expression(n_samples=300, n_genes=20, seed=2)
    data.attach_data(s, data.AttachRequest(demo.write_demo(d, tmp_path), label=d.label, batch=d.batch, sensitive=False))
    split.split_study(s)
    architecture.set_architecture(s, width=16, depth=1, dropout=0.0)
    t = s.train
    # SGD: an adaptive optimizer would hide a gradient scaled by a constant; an odd batch size
    # splits every batch unevenly (16 + 15 rows), so the parts' weighting is checked too.
    t.device, t.max_epochs, t.batch_size, t.optimizer, t.learning_rate = "cpu", 3, 31, "sgd", 0.05
    t.processes = processes
    for key, value in train_settings.items():
        setattr(t, key, value)
    return s


def _no_training_processes_left():
    left = [p for p in multiprocessing.active_children() if p.name.startswith("tenfold-train-rank")]
    return not left


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_two_gloo_processes_train_as_one_process_does(tmp_path):
    """Same seed, same global batch: per-rank half batches with averaged gradients make the
    same steps as one process, so the loss curves and the best weights agree to float tolerance."""
    import torch
    from safetensors.torch import load_file

    one = _study(tmp_path / "one", tmp_path, processes=1)
    two = _study(tmp_path / "two", tmp_path, processes=2)
    epochs_seen = []
    r1 = train.train_network(one)
    r2 = train.train_network(two, ctx=TaskContext(on_epoch=lambda record: epochs_seen.append(record["epoch"])))

    assert r2["processes"] == 2 and r2["batch_size"] == r1["batch_size"] == 31
    assert r2["epochs"] == r1["epochs"] == 3 and r2["best_epoch"] == r1["best_epoch"]
    assert epochs_seen == [1, 2, 3]  # rank 0's epochs reach the caller's callback
    assert two.train.status == "done" and two.train.processes == 2 and two.train.batch_size_used == 31
    metric = f"tune_{one.primary_metric}"
    for a, b in zip(one.train.history, two.train.history, strict=True):
        assert a["train_loss"] == pytest.approx(b["train_loss"], abs=1e-5)
        assert a["tune_loss"] == pytest.approx(b["tune_loss"], abs=1e-5)
        assert a[metric] == pytest.approx(b[metric], abs=1e-3)
    w1 = load_file(str(one.path(one.train.weights)))
    w2 = load_file(str(two.path(two.train.weights)))
    assert w1.keys() == w2.keys()  # the plain model's names: no "module." prefix
    for key in w1:
        torch.testing.assert_close(w2[key], w1[key], atol=1e-5, rtol=1e-4)
    # The parent's study and study.json hold rank 0's record, as one process records it.
    reopened = Study.open(two.folder)
    assert reopened.train.processes == 2 and len(reopened.train.history) == 3
    assert reopened.train.status == "done" and reopened.train.best_epoch == two.train.best_epoch
    assert _no_training_processes_left()


def test_a_killed_rank_is_a_clear_error_and_no_process_is_left(tmp_path):
    s = _study(tmp_path / "s", tmp_path, processes=2, max_epochs=200, patience=200)
    pids = []

    def kill_rank_1(record):
        ranks = [p for p in multiprocessing.active_children() if p.name == "tenfold-train-rank-1"]
        pids.extend(p.pid for p in multiprocessing.active_children() if p.name.startswith("tenfold-train-rank"))
        os.kill(ranks[0].pid, signal.SIGKILL)

    with pytest.raises(TrainingProcessFailed, match=r"process 1 of 2 was killed by signal 9") as caught:
        train.train_network(s, ctx=TaskContext(on_epoch=kill_rank_1))
    assert isinstance(caught.value, TenfoldError)  # the CLI and the GUI show it in words
    assert s.train.status == "failed"
    assert len(pids) == 2 and not any(_alive(pid) for pid in pids)
    assert _no_training_processes_left()


def test_a_rank_s_own_error_reaches_the_user_in_its_words(tmp_path):
    s = _study(tmp_path / "s", tmp_path, processes=2, learning_rate=1e12)
    with pytest.raises(
        TrainingProcessFailed, match=r"loss became (nan|inf) at epoch 1: the network diverged"
    ) as caught:
        train.train_network(s)
    assert "tracebacks are in" in str(caught.value) and s.path("training-processes.log").exists()
    assert s.train.status == "failed"
    assert _no_training_processes_left()


def test_cancel_stops_every_rank_and_a_resumed_run_ends_as_an_uninterrupted_one(tmp_path):
    s = _study(tmp_path / "s", tmp_path, processes=2, patience=50)
    epochs = []
    with pytest.raises(Cancelled):
        train.train_network(
            s,
            ctx=TaskContext(
                should_stop=lambda: len(epochs) >= 1, on_epoch=lambda record: epochs.append(record["epoch"])
            ),
        )
    assert s.train.status == "cancelled" and s.train.best_epoch >= 1
    assert s.path(train.BEST_WEIGHTS).exists() and s.path(train.CHECKPOINT).exists()
    assert "Cancelled during epoch" in s.train.message
    assert _no_training_processes_left()

    stopped_after = len(s.train.history)
    assert stopped_after < 3
    train.train_network(s, resume=True)
    assert s.train.status == "done" and [r["epoch"] for r in s.train.history] == [1, 2, 3]
    assert s.train.sessions[0]["to_epoch"] == stopped_after and s.train.sessions[-1]["to_epoch"] == 3
    one = _study(tmp_path / "one", tmp_path, processes=1, patience=50)
    train.train_network(one)
    for a, b in zip(one.train.history, s.train.history, strict=True):
        assert a["tune_loss"] == pytest.approx(b["tune_loss"], abs=1e-5)
    assert _no_training_processes_left()


def test_pause_holds_every_rank(tmp_path):
    import time

    s = _study(tmp_path / "s", tmp_path, processes=2)
    arrived, paused = {}, {}

    def on_epoch(record):
        arrived[record["epoch"]] = time.monotonic()
        if record["epoch"] == 1:
            paused["from"] = time.monotonic()

    def should_pause():
        return "from" in paused and time.monotonic() - paused["from"] < 2.0

    train.train_network(s, ctx=TaskContext(should_pause=should_pause, on_epoch=on_epoch))
    assert s.train.status == "done" and sorted(arrived) == [1, 2, 3]
    assert arrived[2] - paused["from"] >= 2.0  # no rank went on during the pause
    assert _no_training_processes_left()


def test_processes_are_refused_where_they_cannot_train(tmp_path):
    s = _study(tmp_path / "s", tmp_path, processes=4, batch_size=2)
    with pytest.raises(TenfoldError, match=r"batch_size = 2 is smaller than \[train\] processes = 4"):
        check_processes(s)
    s.train.batch_size = 8
    assert check_processes(s) == ("cpu", "gloo")


def test_spec_checks_processes():
    base = {"data": {"path": "x.csv", "label": "y"}}
    check_spec({**base, "train": {"processes": 2, "batch_size": 64}})
    with pytest.raises(SpecError, match=r"\[train\] processes = 0: must be a whole number ≥ 1"):
        check_spec({**base, "train": {"processes": 0}})
    with pytest.raises(SpecError, match=r"processes = 8 is more than \[train\] batch_size = 4"):
        check_spec({**base, "train": {"processes": 8, "batch_size": 4}})


def test_the_card_and_manifest_say_how_many_processes_trained(tmp_path):
    from guiapp.core.export import model_card
    from guiapp.core.export import write as export

    s = _study(tmp_path / "s", tmp_path, processes=1)
    s.train.processes, s.train.device_used, s.train.batch_size_used = 2, "cpu", 31
    card = model_card.render_model_card(s, weights_shared=False, weights_reason="test", privacy=[])
    assert "**Data-parallel training:** 2 processes (gloo)" in card and "every batch of 31" in card
    assert export.manifest(s, tmp_path)["device"]["processes"] == 2
    s.train.processes = 1
    assert "Data-parallel" not in model_card.render_model_card(
        s, weights_shared=False, weights_reason="test", privacy=[]
    )
    assert export.manifest(s, tmp_path)["device"]["processes"] == 1
