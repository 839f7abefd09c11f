"""Remedies instead of acceptances, as a user meets them headless: a confounded study stopped
with exit 3 goes on with `--resume` once the spec asks for a leave-batch-out split (the split is
drawn again, the finding is settled, the card records the split and shows no caveat for it); a
split already used is never drawn again; a leaky column set aside in the spec's roles lets the
study complete with no leak caveat."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from guiapp.core.data.demo import simulated_expression, write_demo
from tests.e2e.test_findings_act import confounded_table, tenfold, write_spec


def card_box(out: Path) -> tuple[str, str]:
    """The card's "Unresolved and accepted findings" box: (unresolved part, settled part)."""
    card = (out / "model_card.md").read_text(encoding="utf-8")
    box = card.split("## Unresolved and accepted findings")[1].split("## Headline result")[0]
    unresolved, _, settled = box.partition("Settled by a remedy")
    return unresolved, settled


def report_box(out: Path) -> str:
    page = (out / "report.html").read_text(encoding="utf-8")
    return page[page.index('id="caveats"') : page.index('class="headline"')]


@pytest.fixture(scope="module")
def remedied_run(tmp_path_factory):
    """A confounded study stopped before training, then given a leave-batch-out split in the spec."""
    folder = tmp_path_factory.mktemp("remedied")
    spec = write_spec(folder, confounded_table(folder))
    out = folder / "out"
    stopped = tenfold("run", spec, "--out", out)
    spec.write_text(spec.read_text(encoding="utf-8") + '\n[split]\nstrategy = "batch-holdout"\n', encoding="utf-8")
    resumed = tenfold("run", spec, "--out", out, "--resume")
    return spec, out, stopped, resumed


def test_a_remedy_written_in_after_the_stop_redraws_the_split_on_resume(remedied_run):
    _, out, stopped, resumed = remedied_run
    assert stopped.returncode == 3, stopped.stderr
    assert resumed.returncode == 0, resumed.stderr
    assert "Split: done" in resumed.stderr and "Split: kept from the earlier run" not in resumed.stderr
    assert "accepted batch-confounded" not in resumed.stdout  # remedied, not accepted
    study = json.loads((out.parent / (out.name + ".study") / "study.json").read_text())
    split = study["split"]
    assert split["strategy"] == "batch-holdout" and split["test_batches"] and split["test_uses"] == 1
    # whole batches form the test set: no test sample shares a batch with a training sample
    frame = pd.read_csv(out.parent / "simulated_expression.csv")
    assert not set(frame["batch"].iloc[split["test_idx"]]) & set(frame["batch"].iloc[split["train_idx"]])
    assert "batch-confounded" in study["settled_findings"] and not study["accepted_findings"]


def test_the_remedied_card_shows_no_confounding_caveat_and_records_the_split(remedied_run):
    from guiapp.core.export.card_json import validate_model_card_json

    out = remedied_run[1]
    unresolved, settled = card_box(out)
    assert "batch-confounded" not in unresolved and "batch-partly-confounded" not in unresolved
    assert re.search(
        r"\*\*batch-confounded\*\*: Split: leave-batch-out \(whole batches run\d+ held out as the "
        r"test set\) because batch `batch` is confounded with the label",
        settled,
    )
    assert "No correction (ComBat included) can undo confounding" in settled
    headline = (out / "model_card.md").read_text(encoding="utf-8").split("## Headline result")[1].split("\n## ")[0]
    assert "confounded" not in headline  # the headline names no caveat the remedy settled
    box = report_box(out)
    assert "batch-confounded" not in box.split("Settled by a remedy")[0]
    card = json.loads((out / "model_card.json").read_text())
    validate_model_card_json(card)
    limits = [x["description"] for x in card["considerations"]["limitations"]]
    assert not any("[batch-confounded]" in t for t in limits)
    # batches that each hold one class cannot be scored one by one: said in words, not left blank
    (estimate,) = [t for t in limits if t.startswith("Estimate, not external validation")]
    assert "(leave one batch out): no batch could be scored (the other batches lack a class" in estimate


def test_a_split_already_used_is_not_drawn_again_on_resume(remedied_run):
    spec, out, _, _ = remedied_run
    before = (out.parent / (out.name + ".study") / "study.json").read_text()
    spec.write_text(
        spec.read_text(encoding="utf-8").replace('"batch-holdout"', '"batch-label-stratified"'), encoding="utf-8"
    )
    result = tenfold("run", spec, "--out", out, "--resume")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "[split] strategy = 'batch-label-stratified'" in result.stderr
    assert "the sealed test set was read" in result.stderr and "another --out folder" in result.stderr
    assert (
        json.loads((out.parent / (out.name + ".study") / "study.json").read_text())["split"]
        == json.loads(before)["split"]
    )


def leaky_table(folder: Path) -> Path:
    """A clean simulated table plus a column that gives the label away (a coded pathology grade)."""
    demo = simulated_expression(n_samples=150, n_genes=12, n_informative=4, seed=4)
    path = write_demo(demo, folder)
    frame = pd.read_csv(path)
    grade = (frame["condition"] == frame["condition"].iloc[0]) * 2.0
    frame["pathology_grade"] = grade + np.random.default_rng(0).normal(0, 0.1, len(frame))
    frame.to_csv(path, index=False)
    return path


def test_a_leaky_study_stops_and_completes_with_the_column_set_aside(tmp_path):
    data = leaky_table(tmp_path)
    result = tenfold("run", write_spec(tmp_path, data), "--out", tmp_path / "out")
    assert result.returncode == 3, result.stderr
    assert "possible-label-leak (Tip 7, Data step)" in result.stderr and "'pathology_grade'" in result.stderr
    assert '[findings] accept = { possible-label-leak = "..." }' in result.stderr
    # the remedy the finding names: the column marked 'ignore' in the spec's roles
    spec = write_spec(tmp_path, data)
    spec.write_text(
        spec.read_text(encoding="utf-8").replace(
            "sensitive = false\n", 'sensitive = false\nroles = { pathology_grade = "ignore" }\n', 1
        ),
        encoding="utf-8",
    )
    result = tenfold("run", spec, "--out", tmp_path / "out2")
    assert result.returncode == 0, result.stderr
    out = tmp_path / "out2"
    unresolved, settled = card_box(out)
    assert "possible-label-leak" not in unresolved + settled
    assert "possible-label-leak" not in report_box(out)
    study = json.loads((tmp_path / "out2.study" / "study.json").read_text())
    assert "possible-label-leak" not in [f["code"] for f in study["findings"]]
    assert study["data"]["roles"]["pathology_grade"] == "ignore"
    # the remedy is recorded: what was set aside and why, in the study and the card
    sentence = (
        "Feature(s) 'pathology_grade' set aside by the study spec (not used by any model) because they "
        "carried a leak signature."
    )
    assert {"finding": "possible-label-leak", "remedy": "feature-set-aside", "text": sentence} in study["split"][
        "remedies"
    ]
    assert f"- **Remedy:** {sentence}" in (out / "model_card.md").read_text(encoding="utf-8")
