"""The Architecture page offers the networks that fit the data's form, labels their settings in
their own words, records the choice, and searches the chosen kind's settings (optimizer included)
through the task runner."""

from __future__ import annotations

import numpy as np
import pytest

from guiapp.core.data import attach as data
from guiapp.core.split import draw as split
from guiapp.core.study.model import Study
from guiapp.ui.pages.architecture import ArchitecturePage
from guiapp.ui.session import Session

TIMEOUT_MS = 60_000


@pytest.fixture
def page(qtbot, tmp_path):
    """The page alone on a split study of 60 DNA sequences (class b carries a motif)."""
    rng = np.random.default_rng(0)
    records = []
    for i in range(60):
        letters = list(rng.choice(list("ACGT"), 24))
        if i % 2:
            letters[5:9] = list("GATA")
        records.append(f">s{i} label={'ab'[i % 2]}\n{''.join(letters)}\n")
    (tmp_path / "reads.fa").write_text("".join(records))
    study = Study()
    study.save(tmp_path / "study")
    data.attach_data(study, data.AttachRequest(tmp_path / "reads.fa", label="label", sensitive=False))
    split.split_study(study)
    study.train.device, study.train.max_epochs, study.train.batch_size = "cpu", 2, 16
    session = Session(study)
    page = ArchitecturePage(session)
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    yield page
    session.runner.shutdown()


def test_a_sequence_study_offers_cnn_and_transformer_and_searches_the_chosen_one(qtbot, page):
    study = page.study
    assert [page.kind.itemData(i) for i in range(page.kind.count())] == ["cnn1d", "transformer", "mlp"]
    assert "Recommended for sequence data: 1D convolutional network" in page.recommended.text()

    page.kind.setCurrentIndex(page.kind.findData("transformer"))
    assert study.architecture.kind == "transformer"
    assert page.shape_form.labelForField(page.depth).text() == "Encoder layers:"
    page.width.setValue(16)
    assert study.architecture.width == 16 and f"{study.architecture.n_params:,} parameters" in page.size.text()

    page.budget.setValue(2)
    page.epochs.setValue(2)
    with qtbot.waitSignal(page.task_finished, timeout=TIMEOUT_MS):
        page.search.click()
    assert not page.error.isVisibleTo(page), page.error.text()
    net = study.tuning.network
    assert net["n_trials"] == 2 and net["fixed"]["architecture"] == "transformer"
    assert "optimizer" in net["search_space"] and study.train.optimizer == net["best_params"]["optimizer"]
    assert study.architecture.kind == "transformer"  # the search tunes the chosen kind, never swaps it
    rows = [page.search_table.cell_text(r, 0) for r in range(page.search_table.rowCount())]
    assert "optimizer" in rows


def test_a_table_study_offers_only_the_mlp(qtbot, tmp_path):
    from guiapp.core.data import demo

    table = demo.simulated_expression(n_samples=60, n_genes=8, n_informative=3)
    study = Study()
    study.save(tmp_path / "table-study")
    data.attach_data(
        study, data.AttachRequest(demo.write_demo(table, tmp_path / "table"), label=table.label, sensitive=False)
    )
    session = Session(study)
    page = ArchitecturePage(session)
    qtbot.addWidget(page)
    page.refresh()
    try:
        assert [page.kind.itemData(i) for i in range(page.kind.count())] == ["mlp"]
        assert page.shape_form.labelForField(page.width).text() == "Units per hidden layer:"
        assert "Recommended for table data: multilayer perceptron" in page.recommended.text()
        # The form starts at what the page recommends ("two hidden layers of 32 units").
        assert "two hidden layers of 32 units" in page.recommended.text()
        assert (page.width.value(), page.depth.value()) == (32, 2)
        assert (study.architecture.width, study.architecture.depth) == (32, 2)
    finally:
        session.runner.shutdown()
