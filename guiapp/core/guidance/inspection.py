"""A data file's report before any training (`tenfold inspect`): its profile, batch effects, the
split the study would draw, the verdict's pre-training part and every finding.

:func:`inspect_data` returns an :class:`InspectReport`; the CLI prints its text lines or its JSON
and exits with its status, and the Data page can show the same lines.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from guiapp.core.batch import effects as batch
from guiapp.core.batch.effects import BatchEffectReport
from guiapp.core.data import attach as data
from guiapp.core.data.profile import DataProfile
from guiapp.core.evaluation import verdict
from guiapp.core.guidance.exit_codes import EXIT_BAD_INPUT, EXIT_BLOCKED, UNACCEPTABLE_CODES
from guiapp.core.split import draw as split
from guiapp.core.study.blocking import blocking_message, unresolved_blocking
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.model import Study
from guiapp.core.study.vocabulary import MissingStrategy, Task


@dataclass(frozen=True)
class InspectRequest:
    """What `tenfold inspect` was asked: the file and the columns that matter."""

    data: Path
    label: str
    batch: str = ""
    group: str = ""
    task: Task = "classification"
    samples: str = ""
    sample_id: str = ""
    transposed: bool | None = None
    missing: MissingStrategy = "median"


@dataclass
class InspectReport:
    request: InspectRequest
    study: Study
    profile: DataProfile
    batch_effects: BatchEffectReport
    split: dict  # the split the study would draw, or the reason none can be drawn
    problems: list[str] = field(default_factory=list)  # what stops the study, one message each
    exit_status: int = 0  # 0: nothing blocks; 2: a data error; 3: a finding blocks the study

    def to_dict(self) -> dict:
        study, profile, r = self.study, self.profile, self.request
        return {
            "file": study.data.provenance.__dict__,
            "label": r.label,
            "batch": r.batch or None,
            "group": r.group or None,
            "task": r.task,
            "n_samples": profile.n_samples,
            "n_features": profile.n_features,
            "class_counts": profile.class_counts,
            "missing_by_column": profile.missing_by_column,
            "constant_columns": profile.constant_columns,
            "duplicate_rows": profile.duplicate_rows,
            "identifier_columns": profile.identifier_columns,
            "non_numeric_columns": profile.non_numeric_columns,
            "modality": study.data.modality,
            "input_shape": study.data.input_shape,
            "transposed": study.data.transposed,
            "sample_sheet": study.data.sample_sheet or None,
            "roles": study.data.roles,
            "personal_identifiers": study.data.pii,
            "profile": study.data.profile,
            "batch_effect": self.batch_effects.to_dict(),
            "split": self.split,
            "verdict": verdict.verdict_dict(study),
            "findings": [f.to_dict() for f in study.findings],
            "blocking": [f.code for f in unresolved_blocking(study)],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, default=_json_value)

    def lines(self) -> list[str]:
        """The report in words, one line each, as `tenfold inspect` prints it."""
        return [*self.profile_lines(), *self.batch_lines(), *self.split_lines(), *self.finding_lines()]

    def profile_lines(self) -> list[str]:
        study, profile = self.study, self.profile
        sha = study.data.provenance.sha256
        out = [
            f"{self.request.data}: {profile.n_samples} samples × {profile.n_features} features (SHA-256 {sha[:16]}…)"
        ]
        if profile.class_counts:
            out.append("  classes: " + ", ".join(f"{k} {v}" for k, v in profile.class_counts.items()))
        if profile.identifier_columns:
            out.append("  identifier columns (not used as features): " + ", ".join(profile.identifier_columns))
        if profile.non_numeric_columns:
            out.append("  non-numeric columns (not used): " + ", ".join(profile.non_numeric_columns))
        out += [f"  {line}" for line in study.data.profile.get("words", [])]
        sheet = study.data.sample_sheet
        if sheet:
            out.append(
                f"  sample sheet {Path(sheet['sheet']).name}: {sheet['matched']} matched by {sheet['sheet_key']!r}, "
                f"{sheet['data_unmatched']} sample(s) without a row, {sheet['sheet_unmatched']} row(s) without a sample"
            )
        out += [f"  personal identifier? {h['column']}: {h['kind']} ({h['evidence']})" for h in study.data.pii]
        return out

    def batch_lines(self) -> list[str]:
        report = self.batch_effects
        out = [f"  batch effects: {report.reading}"]
        if report.metrics is not None:
            for m in report.metrics.results.values():
                value = "—" if m.value is None else f"{m.value:.3f}"
                out.append(f"    {m.name}: {value} [{m.light or 'n/a'}] (range {m.low:g}…{m.high:g}) — {m.meaning}")
        if report.group_suggestions:
            out.append(
                "  possible group columns: "
                + ", ".join(f"{g['column']} ({g['reason']})" for g in report.group_suggestions)
            )
        return out

    def split_lines(self) -> list[str]:
        info = self.split
        if info.get("error"):
            return [f"  split: {info['error']}"]
        sizes = info["sizes"]
        return [
            f"  split it would draw ({info['strategy']}): train {sizes['train']}, tune {sizes['tune']}, "
            f"test {sizes['test']}; {info['duplicates_across']} pair(s) of copies across parts"
        ]

    def finding_lines(self) -> list[str]:
        study = self.study
        out = [f"  verdict before training: {verdict.verdict_text(study)}"]
        if not study.findings:
            out.append("  No warnings.")
        out += [f"  [{f.severity}] {f.code} (Tip {f.tip}): {f.message}" for f in study.findings]
        return out


def inspect_data(request: InspectRequest) -> InspectReport:
    """Profile ``request.data`` as a study would, draw the split it would draw, and list every
    finding; nothing is trained and nothing is sealed."""
    study = Study()
    study.question.task = request.task
    profile = data.attach_data(
        study,
        data.AttachRequest(
            request.data,
            label=request.label,
            batch=request.batch,
            group=request.group,
            samples=request.samples,
            sample_id=request.sample_id,
            transposed=request.transposed,
            missing=request.missing,
        ),
    )
    report = batch.batch_effect_report(study)
    # Draw the split the study would draw, to see which copies and groups it would put on
    # both sides; inspect never trains, so nothing is sealed against later use.
    study.split.strategy = "group" if request.group else study.split.strategy
    split_info = _would_draw(study)
    report.duplicates_across_split = batch.pairs_across_current_split(study)
    verdict.assess_before_training(study)  # the verdict's pre-training part (Tip 1)
    problems, status = data_errors(study)
    return InspectReport(request, study, profile, report, split_info, problems, status)


def _would_draw(study: Study) -> dict:
    try:
        blocked = [f for f in study.findings if f.code in UNACCEPTABLE_CODES]
        if blocked:
            raise TenfoldError(f"none drawn: too few samples for a study (see {blocked[0].code} below).")
        split.split_study(study)
        s = study.split
        return {
            "strategy": s.strategy,
            "seed": s.seed,
            "sizes": {"train": len(s.train_idx), "tune": len(s.tune_idx), "test": len(s.test_idx)},
            "groups": s.n_groups or None,
            "duplicates_across": len(batch.pairs_across_current_split(study)),
            "error": None,
        }
    except TenfoldError as exc:
        return {"strategy": study.split.strategy, "error": str(exc)}


def data_errors(study: Study) -> tuple[list[str], int]:
    """What stops the study, and the exit status. A data error found by the profile (a class with
    one sample) stops it, as a bad file does (2). A finding that blocks the study gives 3: too few
    samples for any study, or a finding a spec's [findings] accept line could accept (that line
    is in the message)."""
    # A possible label leak is a finding about the study, not bad input: it never exits 2.
    errors = [
        f for f in study.findings if f.step == "data" and f.severity == "error" and f.code != "possible-label-leak"
    ]
    messages = [f.message for f in errors]
    if any(f.code in UNACCEPTABLE_CODES for f in errors):
        return messages, EXIT_BLOCKED
    if errors:
        return messages, EXIT_BAD_INPUT
    found = unresolved_blocking(study)
    if found:  # the whole report comes first; this says what stops the study
        return [
            blocking_message(found, "training").replace("The study stopped", "The study would stop", 1)
        ], EXIT_BLOCKED
    return [], 0


def _json_value(obj: Any) -> Any:
    """numpy numbers and arrays inside the report, as plain JSON."""
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if hasattr(obj, "item"):
        return obj.item()
    raise TypeError(f"cannot print {type(obj).__name__} as JSON")
