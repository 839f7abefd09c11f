"""The whole flow headless (`tenfold run`, `tenfold demo --headless`): the spec read into a study
(:mod:`.spec`), the table of steps that runs it (:mod:`.steps`), the run itself (:mod:`.run`)
and the demo's spec (:mod:`.demo`)."""

from guiapp.core.pipeline.actions import flow_order_findings, refuse_too_few_samples
from guiapp.core.pipeline.demo import DEMO_TRIAL_EPOCHS, DEMO_TRIALS, demo_spec
from guiapp.core.pipeline.run import RunResult, run_study
from guiapp.core.pipeline.spec import CRITERIA_KEYS, HEADLESS_TRIALS, SPLIT_DRAW_KEYS, apply_spec
from guiapp.core.pipeline.steps import ROWS
from guiapp.core.pipeline.table import StepFn

__all__ = [
    "CRITERIA_KEYS",
    "DEMO_TRIALS",
    "DEMO_TRIAL_EPOCHS",
    "HEADLESS_TRIALS",
    "ROWS",
    "SPLIT_DRAW_KEYS",
    "RunResult",
    "StepFn",
    "apply_spec",
    "demo_spec",
    "flow_order_findings",
    "refuse_too_few_samples",
    "run_study",
]
