"""Findings that act, as a user meets them: `tenfold run` stops with exit 3 before training on a
confounded or duplicated study, goes on after the spec accepts the finding (the card then opens
with it and the reason), and `tenfold inspect` exits 3 when something blocks."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from guiapp.core.data.demo import simulated_expression, write_demo

REASON = "Runs were processed by condition; reported as a limitation until a balanced second cohort is measured."
ACCEPT_LINE = '[findings] accept = { batch-confounded = "..." }'
TINY = """
[train]
max_epochs = 2
device = "cpu"
budget_trials = 1

[baselines]
budget_trials = 1
models = ["logistic_regression"]

[tuning]
epochs = 2

[evaluate]
shuffle_repeats = 1
learning_curve = [0.5, 1.0]

[interpret]
repeats = 1
integrated_gradients = false

[privacy]
membership_audit = false
"""


def tenfold(*args):
    return subprocess.run(
        [sys.executable, "-m", "guiapp", *map(str, args)], capture_output=True, text=True, timeout=300
    )


def confounded_table(folder: Path) -> Path:
    """Batch is the label, mostly: 95% of the samples sit in a run of their own condition."""
    demo = simulated_expression(n_samples=160, n_genes=12, n_informative=4, confounding=0.95, seed=2)
    return write_demo(demo, folder)


def copied_table(folder: Path) -> Path:
    """A clean table plus 30 of its samples copied under new sample IDs."""
    demo = simulated_expression(n_samples=150, n_genes=12, n_informative=4, seed=4)
    path = write_demo(demo, folder)
    frame = pd.read_csv(path)
    extra = frame.sample(30, random_state=0).copy()
    extra["sample_id"] = [f"copy{i}" for i in range(len(extra))]
    pd.concat([frame, extra], ignore_index=True).to_csv(path, index=False)
    return path


def write_spec(folder: Path, data: Path, accept: str = "") -> Path:
    spec = folder / "study.toml"
    spec.write_text(
        f'[question]\ntitle = "Treated vs control"\n\n[data]\npath = "{data.name}"\nlabel = "condition"\n'
        f'batch = "batch"\nidentifiers = ["sample_id"]\nsensitive = false\n{TINY}'
        + (f"\n[findings]\naccept = {{ {accept} }}\n" if accept else ""),
        encoding="utf-8",
    )
    return spec


@pytest.fixture(scope="module")
def confounded_run(tmp_path_factory):
    """A confounded study run twice: stopped, then accepted in the spec and resumed."""
    folder = tmp_path_factory.mktemp("confounded")
    spec = write_spec(folder, confounded_table(folder))
    out = folder / "out"
    stopped = tenfold("run", spec, "--out", out)
    study_after_stop = json.loads((out.parent / (out.name + ".study") / "study.json").read_text())
    study_after_stop["card written"] = (out / "model_card.md").exists()
    write_spec(folder, folder / "simulated_expression.csv", accept=f'batch-confounded = "{REASON}"')
    resumed = tenfold("run", spec, "--out", out, "--resume")
    return out, stopped, study_after_stop, resumed


def test_run_stops_before_training_with_exit_3_and_the_accept_line(confounded_run):
    out, stopped, study, _ = confounded_run
    assert stopped.returncode == 3, stopped.stderr
    assert "Traceback" not in stopped.stderr
    assert "stopped before training" in stopped.stderr
    assert "batch-confounded (Tip 7, Batch effects step)" in stopped.stderr
    assert ACCEPT_LINE in stopped.stderr
    assert "--resume" in stopped.stderr
    # Stopped before training: the split is drawn and kept, nothing was fitted, nothing exported.
    assert study["split"]["sealed"] and not study["baselines"]["results"]
    assert study["train"]["status"] == "not started" and study["split"]["test_uses"] == 0
    assert not study["card written"]


def test_accepted_in_the_spec_the_resumed_run_completes(confounded_run):
    out, _, _, resumed = confounded_run
    assert resumed.returncode == 0, resumed.stderr
    assert "Split: kept from the earlier run" in resumed.stderr  # resumed, not redone
    assert f"accepted batch-confounded: {REASON}" in resumed.stdout
    study = json.loads((out.parent / (out.name + ".study") / "study.json").read_text())
    assert study["accepted_findings"]["batch-confounded"]["reason"] == REASON
    assert study["split"]["test_uses"] == 1


def test_the_cards_first_section_lists_the_accepted_finding_with_its_reason(confounded_run):
    from huggingface_hub import ModelCard

    out = confounded_run[0]
    card = (out / "model_card.md").read_text(encoding="utf-8")
    sections = re.split(r"^## ", card, flags=re.M)
    assert sections[1].startswith("Unresolved and accepted findings")
    assert "**batch-confounded** (error, Tip 7)" in sections[1] and REASON in sections[1]
    # The headline comes after the box, with its measured number and the main caveat in words.
    assert sections[2].startswith("Headline result")
    study = json.loads((out.parent / (out.name + ".study") / "study.json").read_text())
    auc = study["evaluation"]["test_metrics"]["roc_auc"]
    assert f"**ROC AUC = {auc:.3f}**" in sections[2]
    assert f"— but batch 'batch' is confounded with the label (accepted: “{REASON}”)" in sections[2]
    ModelCard.load(out / "model_card.md")  # the Hub's parser still reads it


def test_the_json_card_report_register_and_checklist_carry_the_reason(confounded_run):
    from guiapp.core.export.card_json import validate_model_card_json

    out = confounded_run[0]
    card = json.loads((out / "model_card.json").read_text())
    validate_model_card_json(card)
    limits = [x["description"] for x in card["considerations"]["limitations"]]
    assert any(t.startswith("[batch-confounded] accepted by the study spec") and REASON in t for t in limits)
    page = (out / "report.html").read_text(encoding="utf-8")
    box, headline = page.index('id="caveats"'), page.index('class="headline"')
    assert box < headline and REASON in page[box:headline]
    register = json.loads((out / "ethics_register.json").read_text())
    text = json.dumps(register, ensure_ascii=False)
    assert "accepted:batch-confounded" in text and REASON in text
    items = {i["id"]: i for i in json.loads((out / "checklist.json").read_text())["items"]}
    assert items["findings-acted-on"]["status"] == "done" and REASON in items["findings-acted-on"]["evidence"]


def test_an_accept_line_without_a_reason_is_bad_input(tmp_path):
    spec = write_spec(tmp_path, confounded_table(tmp_path), accept='batch-confounded = ""')
    result = tenfold("run", spec, "--out", tmp_path / "out")
    assert result.returncode == 2, result.stderr
    assert "[findings] accept: batch-confounded needs a reason in words" in result.stderr
    assert not (tmp_path / "out").exists()


def test_copies_across_the_split_stop_the_run_unless_kept_together(tmp_path):
    """Copies are kept on one side of the split by default (the remedy); a study that turns that off
    and so divides its copies stops before training."""
    data = copied_table(tmp_path)
    spec = write_spec(tmp_path, data)
    spec.write_text(spec.read_text(encoding="utf-8") + "\n[split]\nkeep_copies_together = false\n", encoding="utf-8")
    result = tenfold("run", spec, "--out", tmp_path / "out")
    assert result.returncode == 3, result.stderr
    assert "Baselines: done" not in result.stdout  # stopped before training
    assert '[findings] accept = { duplicates-across-splits = "..." }' in result.stderr
    # the default split keeps the copies together: the run completes, the remedy is in the card
    result = tenfold("run", write_spec(tmp_path, data), "--out", tmp_path / "out2")
    assert result.returncode == 0, result.stderr
    card = (tmp_path / "out2" / "model_card.md").read_text(encoding="utf-8")
    box = card.split("## Unresolved and accepted findings")[1].split("## Headline result")[0]
    assert "duplicates-across-splits" not in box.split("Settled by a remedy")[0]
    assert "duplicate-samples" not in box.split("Settled by a remedy")[0]
    assert "kept together on one side of the split" in box


def test_inspect_prints_its_whole_report_and_exits_3_when_a_finding_blocks(tmp_path):
    data = confounded_table(tmp_path)
    result = tenfold("inspect", data, "--label", "condition", "--batch", "batch")
    assert result.returncode == 3, result.stderr
    assert "160 samples × 12 features" in result.stdout  # the profile …
    assert "[error] batch-confounded (Tip 7)" in result.stdout  # … and every finding are printed
    assert "split it would draw" in result.stdout
    assert ACCEPT_LINE in result.stderr and "Traceback" not in result.stderr
    # The same table without the batch column: nothing blocks.
    result = tenfold("inspect", data, "--label", "condition")
    assert result.returncode == 0, result.stderr


def test_help_documents_the_exit_codes():
    for args in (("--help",), ("inspect", "--help"), ("run", "--help")):
        text = " ".join(tenfold(*args).stdout.split())
        assert "3 a finding blocks the study" in text, args
    text = " ".join(tenfold("inspect", "--help").stdout.split())
    assert "Exit code 0: nothing blocks the study; 3: a finding blocks it" in text
