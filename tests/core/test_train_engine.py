"""The training engine under stress: a killed run, an out-of-memory retry, repeats, pause."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

from guiapp.core.data import attach as data
from guiapp.core.data import demo
from guiapp.core.models import engine, train
from guiapp.core.models import recommend as architecture
from guiapp.core.split import draw as split
from guiapp.core.study.errors import Cancelled
from guiapp.core.study.model import Study
from guiapp.core.study.places import default_study_dir
from guiapp.core.study.task_context import TaskContext


@pytest.fixture
def study(tmp_path):
    s = Study()
    s.save(tmp_path / "study")
    d = demo.simulated_expression(n_samples=200, n_genes=20, seed=2)
    data.attach_data(s, data.AttachRequest(demo.write_demo(d, tmp_path), label=d.label, batch=d.batch, sensitive=False))
    split.split_study(s)
    architecture.set_architecture(s, width=16, depth=1, dropout=0.0)
    s.train.max_epochs, s.train.device = 3, "cpu"
    return s


def test_out_of_memory_halves_the_batch_and_retries_once(study, monkeypatch):
    import torch

    real = engine.loss_fn
    calls = {"n": 0}

    def failing_once(s):
        loss = real(s)

        def compute(out, target):
            calls["n"] += 1
            if calls["n"] == 1:
                raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
            return loss(out, target)

        return compute

    monkeypatch.setattr(engine, "loss_fn", failing_once)
    study.train.batch_size = 32
    result = train.train_network(study)
    assert result["batch_size"] == 16
    assert study.train.batch_size_used == 16 and study.train.status == "done"
    assert "ran out of memory" in study.train.message and "16" in study.train.message


def test_out_of_memory_twice_gives_up_with_the_error(study, monkeypatch):
    import torch

    def always(s):
        def compute(out, target):
            raise torch.cuda.OutOfMemoryError("CUDA out of memory")

        return compute

    monkeypatch.setattr(engine, "loss_fn", always)
    with pytest.raises(torch.cuda.OutOfMemoryError):
        train.train_network(study)
    assert study.train.status == "failed"


def test_repeats_report_mean_and_sd_and_keep_the_trained_weights(study):
    train.train_network(study)
    weights = study.path(study.train.weights).read_bytes()
    history = list(study.train.history)
    result = train.repeat_training(study, seeds=(0, 1, 2))
    assert len(result["scores"]) == 3 and result["sd"] >= 0
    assert min(result["scores"]) <= result["mean"] <= max(result["scores"])
    assert study.path(study.train.weights).read_bytes() == weights
    assert study.train.history == history and study.train.repeats == result


def test_cosine_schedule_lowers_the_learning_rate(study):
    study.train.lr_schedule = "cosine"
    study.train.max_epochs = 4
    train.train_network(study)
    rates = [r["learning_rate"] for r in study.train.history]
    assert rates[0] == pytest.approx(study.train.learning_rate) and rates[-1] < rates[0]


def test_pause_holds_training_until_released_and_cancel_still_works(study):
    paused = {"on": True, "polls": 0}

    def should_pause():
        paused["polls"] += 1
        if paused["polls"] > 3:  # released by the "user" after a few polls
            paused["on"] = False
        return paused["on"]

    train.train_network(study, ctx=TaskContext(should_pause=should_pause))
    assert paused["polls"] > 3 and study.train.status == "done"

    study.train.status = "not started"
    with pytest.raises(Cancelled):
        train.train_network(study, ctx=TaskContext(should_stop=lambda: True, should_pause=lambda: True), resume=False)


def test_a_killed_headless_run_resumes_and_finishes(tmp_path):
    d = demo.simulated_expression(n_samples=1500, n_genes=100, seed=5)
    demo.write_demo(d, tmp_path)
    spec = tmp_path / "spec.toml"
    spec.write_text(f"""
[data]
path = "{d.name}.csv"
label = "condition"
identifiers = ["sample_id"]
sensitive = false
[baselines]
budget_trials = 0
[model]
width = 64
[train]
max_epochs = 80
patience = 1000
device = "cpu"
budget_trials = 0
[interpret]
repeats = 1
top = 5
""")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "guiapp", "run", str(spec), "--out", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    study_dir = default_study_dir(out)  # beside the bundle, never in it
    checkpoint = study_dir / "checkpoints" / "last.pt"
    deadline = time.monotonic() + 120
    while not checkpoint.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "the run finished before it could be killed: make it longer"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    state = json.loads((study_dir / "study.json").read_text())
    assert state["train"]["status"] == "running"  # killed mid-training

    resumed = subprocess.run(cmd + ["--resume"], capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"Took over the lock of process {proc.pid}" in resumed.stderr  # the killed run's lock was stale
    study = Study.open(study_dir)
    epochs = [r["epoch"] for r in study.train.history]
    assert study.train.status == "done" and epochs == list(range(1, 81))
    assert study.split.test_uses == 1
    assert (out / "model_card.md").is_file()
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert again.returncode == 2 and "--resume" in again.stderr


def test_regression_targets_far_from_zero_train_as_well_as_small_ones(tmp_path):
    import numpy as np
    import pandas as pd

    from guiapp.core.evaluation import tune_evaluation

    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 10))
    y = 1000 + 300 * X[:, 0] + 100 * X[:, 1] + rng.normal(scale=30, size=400)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(10)]).assign(y=y)
    frame.to_csv(tmp_path / "r.csv", index=False)
    s = Study()
    s.question.task, s.question.target_metric = "regression", "r2"
    s.save(tmp_path / "s")
    data.attach_data(s, data.AttachRequest(tmp_path / "r.csv", label="y", sensitive=False))
    split.split_study(s)
    architecture.set_architecture(s, width=32, depth=2, dropout=0.0)
    s.train.max_epochs, s.train.device = 30, "cpu"
    train.train_network(s)
    assert tune_evaluation.evaluate_on_tune(s)["r2"] > 0.8
