"""The one object that holds a study's state, and the study folder it lives in.

Pages and CLI commands read and write a :class:`Study`; they never talk to each other.
The folder is plain files a user can put under version control: ``study.json`` (written
atomically), ``checkpoints/``, ``model/`` and ``artifacts/``.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from guiapp import __version__
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.findings import Finding
from guiapp.core.study.json_files import write_json_atomic
from guiapp.core.study.records import Acceptance, Settlement
from guiapp.core.study.sections import (
    ArchitectureState,
    BaselineResult,
    BaselinesState,
    BatchState,
    DataState,
    EthicsEntry,
    EthicsState,
    EvaluationState,
    ExportState,
    InterpretState,
    OverfittingState,
    Provenance,
    Question,
    SplitState,
    TrainState,
    TuningState,
    VerdictState,
)
from guiapp.core.study.step_table import records_after
from guiapp.core.study.vocabulary import metric_names

# The parts of a study are declared in guiapp.core.study.sections; they are named from here too.
__all__ = [
    "FORMAT_VERSION",
    "STUDY_FILE",
    "ArchitectureState",
    "BaselineResult",
    "BaselinesState",
    "BatchState",
    "DataState",
    "EthicsEntry",
    "EthicsState",
    "EvaluationState",
    "ExportState",
    "InterpretState",
    "OverfittingState",
    "Provenance",
    "Question",
    "SplitState",
    "Study",
    "TrainState",
    "TuningState",
    "VerdictState",
    "now_iso",
    "write_json_atomic",
]

STUDY_FILE = "study.json"
FORMAT_VERSION = 1


def now_iso() -> str:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()


@dataclass
class Study:
    """All state of one study. Serialises to ``study.json``; the data table is reloaded."""

    question: Question = field(default_factory=Question)
    data: DataState = field(default_factory=DataState)
    batch: BatchState = field(default_factory=BatchState)
    split: SplitState = field(default_factory=SplitState)
    baselines: BaselinesState = field(default_factory=BaselinesState)
    architecture: ArchitectureState = field(default_factory=ArchitectureState)
    train: TrainState = field(default_factory=TrainState)
    tuning: TuningState = field(default_factory=TuningState)
    verdict: VerdictState = field(default_factory=VerdictState)
    overfitting: OverfittingState = field(default_factory=OverfittingState)
    evaluation: EvaluationState = field(default_factory=EvaluationState)
    interpret: InterpretState = field(default_factory=InterpretState)
    ethics: EthicsState = field(default_factory=EthicsState)
    export: ExportState = field(default_factory=ExportState)
    checklist_mode: bool = True
    attestations: dict[str, str] = field(default_factory=dict)  # checklist item id -> the user's reason
    # finding code -> {"reason", "at", "by"}: the user accepts the finding with a reason (guiapp.core.study.blocking)
    accepted_findings: dict[str, Acceptance] = field(default_factory=dict)
    # finding code -> {"remedy", "at"[, "by"]}: a remedy applied by its step settles the finding
    settled_findings: dict[str, Settlement] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    created: str = field(default_factory=now_iso)
    tenfold_version: str = __version__
    folder: Path | None = field(default=None, compare=False, repr=False)
    # runtime only, never saved: the loaded table (pandas.DataFrame)
    table: Any = field(default=None, compare=False, repr=False)

    # ----- findings -------------------------------------------------------------------
    def set_findings(self, step: str, findings: list[Finding]) -> None:
        """Replace the findings one step raised, keeping the others; each is listed once."""
        kept = [f for f in self.findings if f.step != step]
        for f in findings:
            if f not in kept:
                kept.append(f)
        self.findings = kept

    def add_finding(self, finding: Finding) -> None:
        if finding not in self.findings:
            self.findings.append(finding)

    def finding_codes(self) -> set[str]:
        return {f.code for f in self.findings}

    # ----- one invalidation rule --------------------------------------------------------
    def invalidate_after(self, step_id: str) -> None:
        """``step_id`` changed: what every later step computed is stale, so its records (the
        steps table's ``records``) go back to their defaults. Settings and earlier steps' records
        are kept."""
        for record in records_after(step_id):
            section, name = record.split(".")
            state = getattr(self, section)
            setattr(state, name, _default(type(state), name))

    # ----- derived facts used by several steps ----------------------------------------
    @property
    def is_classification(self) -> bool:
        return self.question.task == "classification"

    @property
    def treated_as_sensitive(self) -> bool:
        """Undeclared sensitivity counts as sensitive: the safe default (Tip 10)."""
        return self.data.sensitive is not False

    @property
    def primary_metric(self) -> str:
        """The target metric when it fits the task (a changed task can leave a stale one)."""
        metric = self.question.target_metric
        if metric in metric_names(self.question.task):
            return metric
        return "roc_auc" if self.is_classification else "r2"

    # ----- folder ---------------------------------------------------------------------
    def path(self, *parts: str) -> Path:
        if self.folder is None:
            raise TenfoldError("This study has no folder yet: save it first.")
        return Path(self.folder).joinpath(*parts)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if f.name in ("folder", "table"):
                continue
            value = getattr(self, f.name)
            if f.name == "findings":
                d[f.name] = [x.to_dict() for x in value]
            elif dataclasses.is_dataclass(value) and not isinstance(value, type):
                d[f.name] = dataclasses.asdict(value)
            else:
                d[f.name] = value
        d["format_version"] = FORMAT_VERSION
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Study:
        kwargs: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name not in d:
                continue
            value = d[f.name]
            if f.name == "findings":
                kwargs[f.name] = [Finding.from_dict(x) for x in value]
            elif f.name == "data":
                value = dict(value)
                value["provenance"] = Provenance(**_known(Provenance, value.get("provenance", {})))
                kwargs[f.name] = DataState(**_known(DataState, value))
            elif isinstance(f.default_factory, type) and dataclasses.is_dataclass(f.default_factory):
                kwargs[f.name] = f.default_factory(**_known(f.default_factory, value))
            else:
                kwargs[f.name] = value
        return cls(**kwargs)

    def save(self, folder: os.PathLike | None = None) -> Path:
        """Write ``study.json`` atomically: a temp file in the folder, then a rename."""
        if folder is not None:
            self.folder = Path(folder)
        if self.folder is None:
            raise TenfoldError("Choose a study folder before saving.")
        folder = Path(self.folder)
        folder.mkdir(parents=True, exist_ok=True)
        write_json_atomic(folder / STUDY_FILE, self.to_dict())
        return folder / STUDY_FILE

    @classmethod
    def open(cls, folder: os.PathLike) -> Study:
        folder = Path(folder)
        file = folder / STUDY_FILE
        if not file.is_file():
            raise TenfoldError(
                f"{folder} is not a Tenfold study folder: it has no {STUDY_FILE}. "
                "Choose the folder you created with 'New study', or start a new one."
            )
        try:
            d = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise TenfoldError(
                f"{file} cannot be read ({exc}). If you keep the study under version "
                "control, restore the last good version of this file."
            ) from None
        try:
            if not isinstance(d, dict):
                raise TypeError("the top level is not an object")
            study = cls.from_dict(d)
        except (TypeError, ValueError, AttributeError, KeyError) as exc:
            raise TenfoldError(
                f"{file} is not a study file this version of Tenfold understands ({exc}). "
                "If you keep the study under version control, restore the last good version "
                "of this file."
            ) from None
        study.folder = folder
        return study


def _default(cls: type, name: str) -> Any:
    """The default a dataclass gives its field ``name`` (a fresh one for lists and dicts)."""
    f = next(f for f in dataclasses.fields(cls) if f.name == name)
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return f.default


def _known(cls, values: dict) -> dict:
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in values.items() if k in names}
