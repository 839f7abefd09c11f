"""Every plot on the pages has a title and labelled axes, names its split, and saves as PNG and SVG;
a disabled control says why."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QFileDialog

from guiapp.core.data import attach as data
from guiapp.core.data import demo
from guiapp.core.evaluation import tune_evaluation
from guiapp.core.evaluation.verdict import assess_before_training
from guiapp.core.models import baselines, train
from guiapp.core.models import recommend as architecture
from guiapp.core.split import draw as split
from guiapp.core.study.model import Study
from guiapp.core.study.steps import STEP_IDS


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    """A small study: data, split, one baseline, a 3-epoch network, evaluated on the tune split."""
    import torch

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("plots")
    d = demo.simulated_expression(n_samples=120, n_genes=8, n_informative=4, effect_size=1.5, seed=4)
    study = Study()
    study.save(root / "study")
    data.attach_data(
        study, data.AttachRequest(demo.write_demo(d, root / "data"), label=d.label, batch=d.batch, sensitive=False)
    )
    split.split_study(study)
    study.baselines.models, study.baselines.budget_trials = ["logistic_regression"], 0
    baselines.fit_baselines(study)
    assess_before_training(study)  # the caller records the verdict
    architecture.set_architecture(study, width=8, depth=1, dropout=0.0)
    study.train.device, study.train.max_epochs = "cpu", 3
    train.train_network(study)
    tune_evaluation.evaluate_on_tune(study)
    study.checklist_mode = False
    study.save()
    return study


def test_every_drawn_plot_has_a_title_and_axis_labels(make_window, evaluated):
    from guiapp.ui.plots import PlotArea

    window = make_window(evaluated)
    for step in STEP_IDS:
        assert window.go_to(step, force=True)
    drawn = {}
    for page in window.pages:
        for area in page.findChildren(PlotArea):
            if not area.drawn:
                continue
            item = area._widget.getPlotItem()
            drawn[area.accessibleName()] = item
            assert item.titleLabel.text.strip(), f"{area.accessibleName()} has no title"
            for side in ("left", "bottom"):
                assert item.getAxis(side).labelText.strip(), f"{area.accessibleName()} has no {side} axis label"
    assert {"Samples per class", "ROC curve", "Precision-recall curve", "Reliability diagram"} <= set(drawn), drawn
    assert "tune split" in drawn["ROC curve"].titleLabel.text  # the split the curve is drawn on
    evaluate_page = window.page("evaluate")
    assert evaluate_page.confusion_title.text() == "Confusion matrix · tune split (counts of samples)"


def test_a_plot_saves_as_png_and_svg_from_its_corner_button(make_window, evaluated, tmp_path, monkeypatch):
    window = make_window(evaluated)
    assert window.go_to("evaluate", force=True)
    area = window.page("evaluate").roc_plot
    assert area.drawn and area.save_button.isVisible()
    actions = area.save_button.menu().actions()
    assert [a.text() for a in actions] == ["Save as PNG…", "Save as SVG…"]
    for action, kind in zip(actions, ("png", "svg"), strict=False):
        target = tmp_path / f"roc.{kind}"
        monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, t=target, **k: (str(t), "")))
        action.trigger()
        assert target.stat().st_size > 1000
    assert (tmp_path / "roc.png").read_bytes()[:4] == b"\x89PNG"
    assert b"<svg" in (tmp_path / "roc.svg").read_bytes()[:2000]


def test_the_decision_threshold_says_why_it_is_off_for_three_classes(make_window, tmp_path):
    from sklearn.datasets import load_wine

    frame = load_wine(as_frame=True).frame
    frame["target"] = frame["target"].map({0: "a", 1: "b", 2: "c"})
    frame.to_csv(tmp_path / "wine.csv", index=False)
    study = Study()
    study.save(tmp_path / "study")
    data.attach_data(study, data.AttachRequest(tmp_path / "wine.csv", label="target", sensitive=False))
    study.checklist_mode = False
    window = make_window(study)
    assert window.go_to("evaluate", force=True)
    threshold = window.page("evaluate").threshold
    assert not threshold.isEnabled()
    assert "exactly two classes" in threshold.toolTip() and "has 3" in threshold.toolTip()


def test_every_disabled_button_on_an_empty_study_says_why(window):
    from PySide6.QtWidgets import QPushButton

    silent = [
        (page.step_id, b.text())
        for page in window.pages
        for b in page.body_widget.findChildren(QPushButton)
        if not b.isEnabled() and not b.toolTip().strip()
    ]
    assert not silent, silent
    assert window.page("baselines").record_reason.toolTip().startswith("Fit the baselines first")
