"""Findings that block: in guided mode Next stays off on the step that raised one until a remedy
settles it or the user accepts it with a written reason; in ordinary mode it is a banner."""

from __future__ import annotations

import string

import pandas as pd
import pytest

from guiapp.core.batch import effects as batch
from guiapp.core.data import attach as data
from guiapp.core.data import demo
from guiapp.core.guidance import checklist
from guiapp.core.privacy.ethics import set_sensitivity
from guiapp.core.split import draw as split
from guiapp.core.split import remedy_actions
from guiapp.core.study import blocking
from guiapp.core.study.findings import Findings
from guiapp.core.study.model import Study

PERMUTATIONS = 3
REASON = "Runs followed the condition; reported as a limitation until a balanced cohort is measured."


def ready(study: Study) -> Study:
    """Question and sensitivity answered, so only findings can hold a step."""
    study.question.title, study.question.target_value = "Treated vs control", 0.8
    set_sensitivity(study, False)
    study.checklist_mode = True
    return study


@pytest.fixture
def confounded(tmp_path) -> Study:
    """Batch is the condition, mostly; the batch report has run, and the user said why no
    correction (so the batch step's checklist items hold and only the finding blocks)."""
    study = demo.create_demo_study(
        "simulated_expression", tmp_path / "study", n_samples=160, n_genes=12, n_informative=4, confounding=0.95
    )
    batch.batch_effect_report(study, n_permutations=PERMUTATIONS)
    remedy_actions.choose_remedy(study, "none", "The runs are reported per batch.")
    study.save()
    return ready(study)


@pytest.fixture
def copied(tmp_path) -> Study:
    """30 samples copied under new IDs; the stratified split puts copies on both sides."""
    table = demo.simulated_expression(n_samples=150, n_genes=12, n_informative=4, seed=4)
    path = demo.write_demo(table, tmp_path / "data")
    frame = pd.read_csv(path)
    extra = frame.sample(30, random_state=0).copy()
    extra["sample_id"] = [f"copy{i}" for i in range(len(extra))]
    pd.concat([frame, extra], ignore_index=True).to_csv(path, index=False)
    study = Study()
    study.save(tmp_path / "study")
    data.attach_data(study, data.AttachRequest(path, label="condition"))
    batch.batch_effect_report(study, n_permutations=PERMUTATIONS)  # looks for copies, as the Batch page does
    study.split.keep_copies_together = False  # the default remedy turned off: the copies divide
    split.split_study(study)
    # the copies make the batch report suggest a group column; here the samples are independent
    checklist.attest(study, "group-aware-split", "One sample per animal; the copies are a data-entry error.")
    study.save()
    assert "duplicates-across-splits" in study.finding_codes()
    return ready(study)


def test_guided_mode_blocks_the_batch_step_until_the_finding_is_accepted(qtbot, make_window, confounded):
    window = make_window(confounded)
    assert window.go_to("batch")
    page = window.current_page()
    actions = page.finding_actions
    assert actions.isVisibleTo(page) and actions.codes == ["batch-confounded"]
    assert actions.head.text().startswith("Guided mode: Next stays off")
    assert not window.next.isEnabled() and "batch-confounded" in window.next.toolTip()
    assert not window.go_next() and window.current_step == "batch"
    assert not window.go_to("split")  # the step list will not jump past it either
    assert "finish the Batch effects step first" in page.blocked.text()

    row = actions.rows[0]
    assert not row.accept.isEnabled()  # a reason is required …
    row.reason.setText("...")
    assert not row.accept.isEnabled()  # … in words
    row.reason.setText(REASON)
    assert row.accept.isEnabled()
    with qtbot.waitSignal(window.session.changed, timeout=5000):
        row.accept.click()
    assert window.study.accepted_findings["batch-confounded"]["reason"] == REASON
    assert actions.codes == [] and [r.code for r in actions.accepted_rows] == ["batch-confounded"]
    assert window.next.isEnabled()
    saved = Study.open(confounded.folder)
    assert saved.accepted_findings["batch-confounded"]["reason"] == REASON  # written to study.json

    # Withdrawn, it blocks again.
    with qtbot.waitSignal(window.session.changed, timeout=5000):
        actions.accepted_rows[0].withdraw.click()
    assert actions.codes == ["batch-confounded"] and not window.next.isEnabled()


def test_guided_mode_blocks_the_split_step_until_a_remedy_or_a_reason(qtbot, make_window, copied):
    window = make_window(copied)
    assert window.go_to("split")
    page = window.current_page()
    assert page.finding_actions.codes == ["duplicates-across-splits"]
    assert not window.next.isEnabled() and not window.go_next()
    assert window.current_step == "split"
    # A remedy applied by its step settles the finding: Next comes back without any acceptance.
    blocking.settle_by_remedy(
        window.study, "duplicates-across-splits", "Copy-aware split: each cluster of copies on one side."
    )
    window.session.notify_changed()
    page.refresh()
    assert page.finding_actions.codes == [] and window.next.isEnabled()
    assert not window.study.accepted_findings


def test_ordinary_mode_shows_a_persistent_banner_and_lets_you_on(qtbot, make_window, copied):
    copied.checklist_mode = False
    window = make_window(copied)
    assert window.go_to("split")
    page = window.current_page()
    actions = page.finding_actions
    assert actions.isVisibleTo(page) and actions.codes == ["duplicates-across-splits"]
    assert actions.head.text().startswith("A finding blocks this study")
    assert actions.head.property("kind") == "caveat"
    assert window.next.isEnabled() and window.go_next()
    assert window.current_step == "baselines"
    # Back on the page, the banner is still there: it stays until a remedy or a reason.
    assert window.go_to("split") and window.current_page().finding_actions.codes == ["duplicates-across-splits"]
    # Turning guided mode on turns the banner into a stop.
    window.guided_action.setChecked(True)
    assert actions.head.text().startswith("Guided mode") and not window.next.isEnabled()


def _placeholder_values(template: str) -> dict:
    return {name: 1 for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("kind", [k for k in Findings.all() if k.blocks], ids=lambda k: k.code)
def test_every_blocking_kind_holds_its_own_step_and_a_reason_releases_it(qtbot, make_window, demo_study, kind):
    """Each blocking kind, raised on its step: the page offers acceptance, the stop names the
    finding, and a written reason lifts it (other open checklist items may still hold the step)."""
    study = ready(demo_study)
    study.add_finding(kind.raise_(**_placeholder_values(kind.template)))
    window = make_window(study)
    window.go_to(kind.step, force=True)
    page = window.current_page()
    assert page.finding_actions.codes == [kind.code]
    assert not window.next.isEnabled() and kind.code in window.next.toolTip()
    row = page.finding_actions.rows[0]
    row.reason.setText(REASON)
    with qtbot.waitSignal(window.session.changed, timeout=5000):
        row.accept.click()
    assert page.finding_actions.codes == [] and kind.code not in window.next.toolTip()
    assert blocking.unresolved_blocking(window.study) == []


# The step each blocking kind must hold: where the user can act on it.
BLOCKING_STEPS = {
    "batch-confounded": "batch",
    "possible-label-leak": "data",
    "duplicates-across-splits": "split",
    "label-shuffle-not-beaten": "overfitting",
}


def test_each_blocking_kind_is_raised_on_the_step_where_it_is_acted_on():
    assert {k.code: k.step for k in Findings.all() if k.blocks} == BLOCKING_STEPS


@pytest.mark.parametrize("kind", [k for k in Findings.all() if k.blocks], ids=lambda k: k.code)
def test_ordinary_mode_shows_each_blocking_kind_as_a_banner_on_its_step(qtbot, make_window, demo_study, kind):
    study = ready(demo_study)
    study.checklist_mode = False
    study.add_finding(kind.raise_(**_placeholder_values(kind.template)))
    window = make_window(study)
    window.go_to(kind.step, force=True)
    page = window.current_page()
    actions = page.finding_actions
    assert actions.isVisibleTo(page) and actions.codes == [kind.code]
    assert actions.head.text().startswith("A finding blocks this study")
    assert actions.head.property("kind") == "caveat"
    # other pages show no banner for it: it belongs to the step that raised it
    other = next(s for s in BLOCKING_STEPS.values() if s != kind.step)
    window.go_to(other, force=True)
    assert kind.code not in window.current_page().finding_actions.codes
