"""The headless run is a table read from the wizard's steps list."""

from guiapp.core.pipeline import ROWS
from guiapp.core.study.steps import STEP_IDS, STEPS


def test_every_row_names_a_wizard_step():
    assert {row.step for row in ROWS} <= set(STEP_IDS)


def test_every_wizard_step_from_data_to_export_has_a_reported_row():
    reported = {row.step for row in ROWS if not row.check}
    assert set(STEP_IDS[STEP_IDS.index("data") :]) <= reported


def test_a_row_without_a_title_reports_its_wizard_step_title():
    titles = {s.id: s.title for s in STEPS}
    for row in ROWS:
        if not row.check and not row.title and row.expand is None:
            assert row.label == titles[row.step]


def test_the_rows_report_the_run_in_the_wizard_order():
    labels = [row.label for row in ROWS if not row.check and row.expand is None]
    assert labels[:3] == ["Data", "External cohorts (checked)", "Batch effects"]
    assert labels[-3:] == ["Membership audit", "Ethics & privacy", "Export"]
