"""Training (Tips 3 and 6): reproducible, cancellable, resumable; plus the network itself."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from guiapp.core.data import attach as data
from guiapp.core.models.network import count_parameters, load_trained_model, model_for_study, predict
from guiapp.core.models.recommend import set_architecture, size_reading
from guiapp.core.models.train import BEST_WEIGHTS, CHECKPOINT, pick_device, train_network
from guiapp.core.split.draw import train_tune_arrays
from guiapp.core.study.errors import Cancelled, TenfoldError
from guiapp.core.study.model import Study
from guiapp.core.study.task_context import TaskContext


def weights(study) -> dict:
    return load_file(str(study.path(study.train.weights)))


def last_checkpoint_model(study) -> dict:
    return torch.load(study.path(CHECKPOINT), weights_only=False)["model"]


def same_tensors(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def losses(study) -> list:
    return [(h["epoch"], h["train_loss"], h["tune_loss"]) for h in study.train.history]


def cancel_after_first_epoch():
    """A stop flag that turns on once the first epoch has been reported."""
    state = {"stop": False}
    return (lambda: state["stop"]), (lambda record: state.update(stop=True))


def test_the_same_seed_gives_bit_identical_weights(study_factory, quick_training):
    a, b = quick_training(study_factory()), quick_training(study_factory())
    assert a.folder != b.folder
    train_network(a)
    train_network(b)
    assert same_tensors(weights(a), weights(b))
    assert losses(a) == losses(b)


def test_another_seed_gives_other_weights(study_factory, quick_training):
    a, b = quick_training(study_factory()), quick_training(study_factory(), seed=1)
    train_network(a)
    train_network(b)
    wa, wb = weights(a), weights(b)
    assert wa.keys() == wb.keys()
    assert not torch.equal(wa["1.weight"], wb["1.weight"])


def test_a_run_records_history_status_and_weights(tiny_study, quick_training):
    quick_training(tiny_study)
    records, fractions = [], []
    summary = train_network(
        tiny_study, ctx=TaskContext(progress=lambda f, m: fractions.append(f), on_epoch=records.append)
    )
    t = tiny_study.train
    assert t.status == "done" and summary["epochs"] == 3
    assert [h["epoch"] for h in t.history] == [1, 2, 3] and records == t.history
    assert {"train_loss", "tune_loss", "tune_roc_auc", "eta_seconds"} <= set(t.history[0])
    assert t.best_epoch == min(t.history, key=lambda h: h["tune_loss"])["epoch"]
    assert t.weights == BEST_WEIGHTS and tiny_study.path(BEST_WEIGHTS).is_file()
    assert t.device_used == "cpu"
    assert fractions[-1] == pytest.approx(1.0)
    assert Study.open(tiny_study.folder).train.status == "done"  # saved as it goes


def test_the_network_standardises_with_training_rows_only(tiny_study, quick_training):
    quick_training(tiny_study)
    train_network(tiny_study)
    model = load_trained_model(tiny_study)
    X_tr, _, X_tu, _ = train_tune_arrays(tiny_study)
    np.testing.assert_allclose(model[0].center.numpy(), X_tr.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(model[0].scale.numpy(), X_tr.std(axis=0), rtol=1e-4)
    X_all = np.vstack([X_tr, X_tu])
    assert not np.allclose(model[0].center.numpy(), X_all.mean(axis=0), rtol=1e-5)
    probs = predict(tiny_study, X_tu, model=model)
    assert probs.shape == (len(X_tu), 2)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


def test_cancel_keeps_the_best_weights_and_resume_continues(tiny_study, quick_training):
    quick_training(tiny_study)
    should_stop, on_epoch = cancel_after_first_epoch()
    with pytest.raises(Cancelled):
        train_network(tiny_study, ctx=TaskContext(should_stop=should_stop, on_epoch=on_epoch))
    t = tiny_study.train
    assert t.status == "cancelled"
    assert [h["epoch"] for h in t.history] == [1]
    assert t.best_epoch == 1 and tiny_study.path(BEST_WEIGHTS).is_file()
    assert "training-cancelled" in tiny_study.finding_codes()
    assert Study.open(tiny_study.folder).train.status == "cancelled"

    train_network(tiny_study, resume=True)
    assert t.status == "done"
    assert [h["epoch"] for h in t.history] == [1, 2, 3]


def test_a_resumed_run_ends_like_an_uninterrupted_one(study_factory, quick_training):
    whole = quick_training(study_factory())
    train_network(whole)

    broken = quick_training(study_factory())
    should_stop, on_epoch = cancel_after_first_epoch()
    with pytest.raises(Cancelled):
        train_network(broken, ctx=TaskContext(should_stop=should_stop, on_epoch=on_epoch))
    # resume as after a restart: from the folder, not from the object in memory
    reopened = Study.open(broken.folder)
    data.reload_table(reopened)
    train_network(reopened, resume=True)

    assert losses(reopened) == losses(whole)
    assert reopened.train.best_epoch == whole.train.best_epoch
    assert same_tensors(weights(reopened), weights(whole))
    assert same_tensors(last_checkpoint_model(reopened), last_checkpoint_model(whole))


def test_training_time_adds_up_across_a_kill_and_a_resume(tiny_study, quick_training):
    """study.json is written at start and end only: after a kill it still says 0 s. The
    checkpoint carries the time of the epochs it holds, and the resumed run adds its own."""
    import shutil

    quick_training(tiny_study)
    at_start = tiny_study.path("study-at-start.json")
    should_stop, on_epoch = cancel_after_first_epoch()

    def snapshot(record):  # study.json on disk as a kill after epoch 1 would leave it
        shutil.copy(tiny_study.path("study.json"), at_start)
        on_epoch(record)

    with pytest.raises(Cancelled):
        train_network(tiny_study, ctx=TaskContext(should_stop=should_stop, on_epoch=snapshot))
    first = tiny_study.train.seconds
    assert first > 0
    shutil.copy(at_start, tiny_study.path("study.json"))
    killed = Study.open(tiny_study.folder)
    assert killed.train.status == "running" and killed.train.seconds == 0.0  # what a kill leaves
    data.reload_table(killed)
    train_network(killed, resume=True)
    t = killed.train
    assert [(s["from_epoch"], s["to_epoch"]) for s in t.sessions] == [(1, 1), (2, 3)]
    assert t.sessions[0]["seconds"] == pytest.approx(first, abs=1e-3)
    assert t.seconds == pytest.approx(sum(s["seconds"] for s in t.sessions), abs=2e-3)
    assert t.seconds > first and t.history[-1]["seconds"] == pytest.approx(t.seconds, abs=1e-3)


def test_training_again_after_a_finished_run_starts_afresh(tiny_study, quick_training):
    quick_training(tiny_study)
    train_network(tiny_study)
    first = weights(tiny_study)
    train_network(tiny_study, resume=True)  # done runs are never resumed
    assert [h["epoch"] for h in tiny_study.train.history] == [1, 2, 3]
    assert same_tensors(weights(tiny_study), first)


def test_early_stopping_when_the_tune_loss_stops_improving(tiny_study, quick_training):
    quick_training(tiny_study, epochs=10)
    tiny_study.train.learning_rate, tiny_study.train.weight_decay, tiny_study.train.patience = 0.0, 0.0, 2
    train_network(tiny_study)
    t = tiny_study.train
    assert [h["epoch"] for h in t.history] == [1, 2, 3]
    assert t.best_epoch == 1 and t.status == "done"
    assert "Stopped early at epoch 3" in t.message


@pytest.mark.parametrize("patience", [2, 100])  # stopped early; ran every epoch
def test_a_kill_after_the_last_epoch_resumes_to_the_same_end(study_factory, quick_training, patience):
    """Killed after the last epoch's checkpoint but before study.json said "done": the resume
    trains nothing more and reports the run as the uninterrupted one does."""
    import json
    import shutil

    def make():
        study = quick_training(study_factory(), epochs=10 if patience == 2 else 3)
        study.train.patience = patience
        if patience == 2:
            study.train.learning_rate, study.train.weight_decay = 0.0, 0.0
        return study

    whole = make()
    train_network(whole)
    killed = make()
    at_start = killed.path("study-at-start.json")
    train_network(killed, ctx=TaskContext(on_epoch=lambda r: shutil.copy(killed.path("study.json"), at_start)))
    shutil.copy(at_start, killed.path("study.json"))  # what a kill before the final save leaves
    assert json.loads(at_start.read_text())["train"]["status"] == "running"
    reopened = Study.open(killed.folder)
    data.reload_table(reopened)
    train_network(reopened, resume=True)
    t, w = reopened.train, whole.train
    assert [h["epoch"] for h in t.history] == [h["epoch"] for h in w.history]
    assert losses(reopened) == losses(whole) and t.best_epoch == w.best_epoch
    assert t.message == w.message and t.status == "done"
    assert same_tensors(weights(reopened), weights(whole))


def test_a_diverging_run_names_the_learning_rate(tiny_study, quick_training):
    quick_training(tiny_study)
    tiny_study.train.learning_rate = 1e6
    with pytest.raises(TenfoldError, match="Lower the learning rate") as info:
        train_network(tiny_study)
    assert "1e+06" in str(info.value)
    assert tiny_study.train.status == "failed"


def test_infinite_inputs_give_a_tenfold_error_not_a_crash(tiny_study, quick_training):
    tiny_study.table.loc[tiny_study.table.index[:3], tiny_study.data.feature_columns[0]] = np.inf
    quick_training(tiny_study)
    with pytest.raises(TenfoldError, match="learning rate"):
        train_network(tiny_study)


def test_regression_training(regression_study, quick_training):
    quick_training(regression_study)
    regression_study.train.learning_rate = 1e-2
    train_network(regression_study)
    t = regression_study.train
    assert t.status == "done" and "tune_r2" in t.history[0]
    assert t.history[-1]["train_loss"] < t.history[0]["train_loss"]
    _, _, X_tu, y_tu = train_tune_arrays(regression_study)
    pred = predict(regression_study, X_tu)
    assert pred.shape == y_tu.shape


def test_turning_determinism_off_is_flagged(tiny_study, quick_training):
    quick_training(tiny_study)
    tiny_study.train.deterministic = False
    try:
        train_network(tiny_study)
    finally:
        torch.use_deterministic_algorithms(True)
    assert "nondeterministic-training" in tiny_study.finding_codes()


def test_training_needs_a_folder_and_a_split(study_factory, quick_training):
    study = quick_training(study_factory(do_split=False))
    with pytest.raises(TenfoldError, match="Draw the train / tune / test split"):
        train_network(study)
    study.folder = None
    with pytest.raises(TenfoldError, match="Save the study in a folder"):
        train_network(study)


def test_pick_device():
    assert pick_device("cpu") == "cpu"
    assert pick_device("auto") in ("cuda", "mps", "cpu")
    with pytest.raises(TenfoldError, match="Unknown device 'tpu'"):
        pick_device("tpu")


def test_load_trained_model_before_training_says_so(tiny_study):
    with pytest.raises(TenfoldError, match="not been trained yet"):
        load_trained_model(tiny_study)


@pytest.mark.parametrize("width, depth", [(16, 1), (8, 3)])
def test_the_parameter_count_matches_the_real_network(tiny_study, width, depth):
    n = set_architecture(tiny_study, width=width, depth=depth, dropout=0.2)
    model = model_for_study(tiny_study)
    assert n == tiny_study.architecture.n_params == sum(p.numel() for p in model.parameters())
    assert n == count_parameters(20, 2, width, depth)


@pytest.mark.parametrize(
    "kwargs",
    [dict(width=16, depth=0, dropout=0.1), dict(width=1, depth=2, dropout=0.1), dict(width=16, depth=2, dropout=1.0)],
)
def test_impossible_architectures_are_refused(tiny_study, kwargs):
    with pytest.raises(TenfoldError, match="hidden layers"):
        set_architecture(tiny_study, **kwargs)


def test_size_reading_warns_about_big_networks(tiny_study):
    set_architecture(tiny_study, width=8, depth=1, dropout=0.1)
    assert size_reading(tiny_study).endswith("A reasonable start.")
    set_architecture(tiny_study, width=64, depth=1, dropout=0.1)  # tens of parameters per sample
    reading = size_reading(tiny_study)
    assert "Many more parameters than training samples" in reading and "reasonable start" not in reading
    set_architecture(tiny_study, width=512, depth=3, dropout=0.1)
    assert "start smaller" in size_reading(tiny_study)


def test_regression_with_a_leftover_classification_metric_still_trains(regression_study, quick_training):
    regression_study.question.target_metric = "roc_auc"  # the default, left over after switching task
    quick_training(regression_study, epochs=2)
    train_network(regression_study)
    assert "tune_r2" in regression_study.train.history[-1]


def test_the_recommended_network_is_prefilled_until_one_is_chosen(tiny_study):
    from guiapp.core.models.recommend import prefill_recommended, recommendation

    tiny_study.architecture.width = 64  # the study's stored default, unlike the recommendation
    assert prefill_recommended(tiny_study)
    a = tiny_study.architecture
    assert (a.kind, a.width, a.depth) == ("mlp", recommendation(tiny_study).config["width"], 2) and a.width == 32
    set_architecture(tiny_study, width=16, depth=1, dropout=0.0)
    assert not prefill_recommended(tiny_study) and tiny_study.architecture.width == 16
