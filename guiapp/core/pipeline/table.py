"""The machinery of the headless run's table: a run's state, a row, and the loop that runs rows.

A row names the wizard step it belongs to (:data:`guiapp.core.study.steps.STEPS`; its title is
what the run reports, the step's own title unless the row gives one), the function that runs
it, when it is skipped, and when a resumed run keeps the earlier result. A row made with
:func:`check` runs silently: a refusal, a spec setting or a gate between steps.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from guiapp.core.export.write import ExportResult
from guiapp.core.study.model import Study
from guiapp.core.study.steps import step as wizard_step
from guiapp.core.study.task_context import TaskContext

StepFn = Callable[[str, str], None]  # (step title, message)


@dataclass
class Run:
    """One headless run's state, as the rows read and write it."""

    study: Study
    spec: dict
    out_dir: Path
    resumed: bool
    redraw: bool
    search_only: bool
    ctx: TaskContext  # handed to every step: a stop asked for stops the step running (the CLI shows no progress)
    report: StepFn
    seconds: dict = field(default_factory=dict)  # step title -> seconds
    exported: ExportResult | None = None

    @property
    def kw(self) -> dict[str, Any]:
        """The arguments every step takes: the run's task context."""
        return {"ctx": self.ctx}

    def section(self, name: str) -> dict:
        return self.spec.get(name, {})


Predicate = Callable[[Run], bool]


def _always(run: Run) -> bool:
    return True


def _never(run: Run) -> bool:
    return False


@dataclass(frozen=True)
class Row:
    step: str  # the wizard step (guiapp.core.study.steps) it belongs to
    run: Callable[[Run], Any]
    title: str = ""  # what the run reports; "" is the wizard step's title
    when: Predicate = _always  # skipped (not reported) when this is false
    kept: Predicate = _never  # "kept from the earlier run" when this is true
    check: bool = False  # runs silently: no report, no timing, no save
    last: bool = False  # the run ends after this row (when it is not skipped)
    expand: Callable[[Run], list[Row]] | None = None  # rows made when reached (one per cohort)

    @property
    def label(self) -> str:
        return self.title or wizard_step(self.step).title


def check(step_id: str, fn: Callable[[Run], Any], when: Predicate = _always, last: bool = False) -> Row:
    return Row(step_id, fn, when=when, check=True, last=last)


def run_rows(run: Run, rows: tuple[Row, ...] | list[Row]) -> bool:
    """Run the rows in order; True when a ``last`` row ended the run."""
    for row in rows:
        if not row.when(run):
            continue
        if row.expand is not None:
            if run_rows(run, row.expand(run)):
                return True
        elif row.check:
            row.run(run)
        else:
            _timed(run, row)
        if row.last:
            return True
    return False


def _timed(run: Run, row: Row) -> Any:
    title = row.label
    if row.kept(run):
        run.report(title, "kept from the earlier run")
        return None
    run.report(title, "…")
    t0 = time.perf_counter()
    result = row.run(run)
    run.seconds[title] = round(time.perf_counter() - t0, 2)
    run.study.save()
    run.report(title, f"done in {run.seconds[title]:.1f} s")
    return result
