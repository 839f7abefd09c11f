"""The Train page: devices, pause and resume, cancel, a failing worker, repeats, live view, export.

Tiny runs (2–3 epochs on the breast-cancer table); every wait is on a signal or a condition,
and the window fixtures shut every worker down.
"""

from __future__ import annotations

import dataclasses
import threading

import pytest

from guiapp.core.models import devices, train
from guiapp.core.split import draw as split

TIMEOUT = 30_000


@pytest.fixture
def split_study(demo_study):
    split.split_study(demo_study)
    demo_study.checklist_mode = False  # these tests jump straight to the Train page
    demo_study.train.max_epochs = demo_study.train.patience = 3
    demo_study.save()
    return demo_study


def open_train_page(qtbot, window):
    """Show the Train page and wait for its device probe (which runs on the worker thread)."""
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=TIMEOUT)  # the table is read in the background
    page = window.page("train")
    assert window.go_to("train")
    # Other warm-ups may finish first (each emits warmed_up): wait for this page's probe itself.
    qtbot.waitUntil(lambda: page.devices is not None, timeout=TIMEOUT)
    return page


def combo_values(box):
    return [box.itemData(i) for i in range(box.count())]


@pytest.fixture
def hold_after_first_epoch(monkeypatch):
    """Training that waits after epoch 1 until the test lets it go, so a click lands mid-run."""
    real = train.train_network
    gate = threading.Event()

    def gated(study, *, ctx, **kwargs):
        def record_then_wait(record):
            ctx.epoch(record)
            if record["epoch"] == 1:
                gate.wait(TIMEOUT / 1000)

        return real(study, ctx=dataclasses.replace(ctx, on_epoch=record_then_wait), **kwargs)

    monkeypatch.setattr(train, "train_network", gated)
    yield gate
    gate.set()  # never leave a worker waiting


def test_the_device_combo_offers_only_devices_this_computer_has(qtbot, make_window, split_study):
    page = open_train_page(qtbot, make_window(split_study))
    has = devices.available_devices()
    offered = combo_values(page.device)
    assert offered[0] == "auto" and "cpu" in offered
    assert all(has[d] for d in offered[1:])
    assert page.device_info.text()  # the device's name (and memory when known)
    if not (has["cuda"] or has["mps"]):
        assert not page.mixed_precision.isEnabled()
        assert "needs a GPU" in page.mixed_precision.toolTip()


def test_a_device_the_computer_lacks_is_never_offered(qtbot, make_window, split_study, monkeypatch):
    monkeypatch.setattr(devices, "available_devices", lambda: {"cuda": False, "mps": False, "cpu": True})
    split_study.train.device = "cuda"  # a study made on a GPU workstation, opened on a laptop
    split_study.train.mixed_precision = "bf16"
    page = open_train_page(qtbot, make_window(split_study))
    assert combo_values(page.device) == ["auto", "cpu"]
    assert page.device.currentData() == "auto"
    assert "does not have" in page.device_info.text() and "CPU" in page.device_info.text()
    assert not page.mixed_precision.isEnabled() and page.mixed_precision.currentData() == "off"
    assert "needs a GPU" in page.mixed_precision.toolTip()


def test_a_gpu_is_offered_with_its_name_memory_and_mixed_precision(qtbot, make_window, split_study, monkeypatch):
    monkeypatch.setattr(devices, "available_devices", lambda: {"cuda": True, "mps": False, "cpu": True})
    real = devices.device_description
    monkeypatch.setattr(
        devices,
        "device_description",
        lambda d: {"name": "NVIDIA RTX 4090", "memory_gb": 24.0} if d == "cuda" else real(d),
    )
    page = open_train_page(qtbot, make_window(split_study))
    assert combo_values(page.device) == ["auto", "cuda", "cpu"]
    assert page.resolved_device() == "cuda"
    assert "NVIDIA RTX 4090" in page.device_info.text() and "24 GB" in page.device_info.text()
    assert page.mixed_precision.isEnabled()
    page.device.setCurrentIndex(page.device.findData("cpu"))
    assert not page.mixed_precision.isEnabled()

    split_study.train.device_memory_gb = 24.0  # as a run on that GPU records it
    page._show_memory({"device_memory_mb": 1536.0})
    assert page.memory.isVisibleTo(page) and page.memory.maximum() == 24 * 1024
    assert page.memory.format() == "GPU memory in use: 1,536 MB of 24,576 MB"
    page._show_memory({"device_memory_mb": None})  # a CPU run
    assert not page.memory.isVisibleTo(page)


def test_training_shows_live_curves_speed_and_learning_rate_and_exports_plots(
    qtbot, make_window, split_study, monkeypatch, tmp_path
):
    window = make_window(split_study)
    page = open_train_page(qtbot, window)
    page.device.setCurrentIndex(page.device.findData("cpu"))
    page.max_epochs.setValue(2)
    page.lr_schedule.setCurrentIndex(page.lr_schedule.findData("cosine"))
    with qtbot.waitSignal(window.runner.finished, timeout=TIMEOUT):
        page.train_button.click()
    t = window.study.train
    assert t.status == "done" and t.lr_schedule == "cosine" and t.mixed_precision == "off"
    assert page.curves.n_points == 2 and page.curves.has_plot
    assert page.metric_curve.n_points == 2 and page.metric_curve.has_plot
    assert page.metric_curve.values("tune_roc_auc") == [r["tune_roc_auc"] for r in t.history]
    assert "samples/s" in page.speed.text() and "learning rate" in page.speed.text()
    assert not page.memory.isVisibleTo(page)  # no GPU memory meter on the CPU
    assert not page.pause_button.isVisibleTo(page)

    from PySide6.QtWidgets import QFileDialog

    saved = []
    for action in page.export_menu.actions():
        target = tmp_path / f"plot{len(saved)}"
        monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, _t=target: (str(_t), "")))
        action.trigger()
        saved.extend(tmp_path.glob(f"{target.name}.*"))
    assert sorted(p.suffix for p in saved) == [".png", ".png", ".svg", ".svg"]
    for path in saved:
        head = path.read_bytes()[:200]
        assert head.startswith(b"\x89PNG") if path.suffix == ".png" else b"<svg" in path.read_bytes()
    assert not page.error.isVisibleTo(page)


def test_pause_holds_the_epoch_count_then_resume_finishes(qtbot, make_window, split_study, hold_after_first_epoch):
    window = make_window(split_study)
    page = open_train_page(qtbot, window)
    with qtbot.waitSignal(window.runner.epoch, timeout=TIMEOUT):
        page.train_button.click()
    assert page.pause_button.isVisibleTo(page) and page.pause_button.text() == "Pause"
    page.pause_button.click()
    assert page.pause_button.text() == "Resume" and "Paused" in page.eta.text()
    assert window.runner.paused and not window.runner.pause_holding  # the worker has not seen it yet
    hold_after_first_epoch.set()
    qtbot.waitUntil(lambda: window.runner.pause_holding, timeout=TIMEOUT)
    with qtbot.assertNotEmitted(window.runner.epoch, wait=300):
        pass
    assert page.curves.n_points == 1 and window.runner.busy

    with qtbot.waitSignal(window.runner.finished, timeout=TIMEOUT):
        page.pause_button.click()
    t = window.study.train
    assert t.status == "done" and [r["epoch"] for r in t.history] == [1, 2, 3]
    assert page.curves.n_points == 3
    assert not page.pause_button.isVisibleTo(page) and page.train_button.isEnabled()


def test_cancel_a_paused_run_keeps_it_resumable(qtbot, make_window, split_study, hold_after_first_epoch):
    window = make_window(split_study)
    page = open_train_page(qtbot, window)
    with qtbot.waitSignal(window.runner.epoch, timeout=TIMEOUT):
        page.train_button.click()
    page.pause_button.click()
    hold_after_first_epoch.set()
    qtbot.waitUntil(lambda: window.runner.pause_holding, timeout=TIMEOUT)
    with qtbot.waitSignal(window.runner.cancelled, timeout=TIMEOUT):
        page.cancel_button.click()
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=TIMEOUT)
    assert window.study.train.status == "cancelled" and len(window.study.train.history) == 1
    assert "Cancelled" in page.info.text()
    assert page.resume_button.isVisibleTo(page) and page.resume_button.isEnabled()
    assert not page.pause_button.isVisibleTo(page) and page.pause_button.text() == "Pause"
    assert not window.runner.paused

    with qtbot.waitSignal(window.runner.finished, timeout=TIMEOUT):
        page.resume_button.click()
    assert [r["epoch"] for r in window.study.train.history] == [1, 2, 3]


def test_a_worker_exception_shows_on_the_page_and_the_wizard_stays_usable(qtbot, make_window, split_study, monkeypatch):
    window = make_window(split_study)
    page = open_train_page(qtbot, window)
    real = train.train_network

    def broken(study, **kwargs):
        raise RuntimeError("tensor shapes do not match (an internal detail)")

    monkeypatch.setattr(train, "train_network", broken)
    with qtbot.waitSignal(window.runner.error, timeout=TIMEOUT):
        page.train_button.click()
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=TIMEOUT)
    assert page.error.isVisibleTo(page)
    assert "unexpected problem while training the network (RuntimeError)" in page.error.text()
    assert "internal detail" not in page.error.text()  # no traceback text for the user
    assert page.train_button.isEnabled() and page.max_epochs.isEnabled() and page.repeat_button.isEnabled()
    assert not page.cancel_button.isEnabled()
    assert window.go_to("architecture") and window.go_to("train")

    monkeypatch.setattr(train, "train_network", real)
    page.max_epochs.setValue(2)
    with qtbot.waitSignal(window.runner.finished, timeout=TIMEOUT):
        page.train_button.click()
    assert window.study.train.status == "done" and not page.error.isVisibleTo(page)


def test_repeats_over_three_seeds_show_mean_and_sd(qtbot, make_window, split_study):
    window = make_window(split_study)
    page = open_train_page(qtbot, window)
    page.max_epochs.setValue(2)
    page.seed.setValue(7)
    with qtbot.waitSignal(window.runner.finished, timeout=TIMEOUT):
        page.repeat_button.click()
    r = window.study.train.repeats
    assert r["seeds"] == [7, 8, 9] and len(r["scores"]) == 3
    text = page.repeats.text()
    assert f"{r['mean']:.3f} ± {r['sd']:.3f}" in text and "mean ± sd" in text
    assert "±" in page.info.text()
    assert window.study.train.status == "not started"  # repeats only measure
    assert page.train_button.isEnabled()
