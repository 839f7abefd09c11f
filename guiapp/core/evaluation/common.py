"""What every evaluation step shares: the trained network it needs, the findings it replaces,
the study's metric panel, the tuned baseline, and the findings of a target missed or a test set
read twice.
"""

from __future__ import annotations

from collections.abc import Iterable

from guiapp.core.models import baselines
from guiapp.core.stats.metrics import HIGHER_IS_BETTER
from guiapp.core.stats.panel import metric_panel
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.findings import Findings
from guiapp.core.study.model import Study

# Findings of one split (tune or test), replaced split by split.
SPLIT_CODES = {Findings.below_target.code, Findings.subgroup_gap.code, Findings.near_perfect_small_n.code}


def require_trained(study: Study) -> None:
    if study.train.status not in ("done", "cancelled") or not study.train.weights:
        raise TenfoldError("Train the network on the Train page first.")


def replace_findings(study: Study, step: str, codes: Iterable[str], new: list, split: str | None = None) -> None:
    """Replace this step's findings of ``codes`` (of one split, when given), keep the rest."""
    codes = set(codes)

    def mine(f) -> bool:
        return f.step == step and f.code in codes and (split is None or f.values.get("split", split) == split)

    study.findings = [f for f in study.findings if not mine(f)] + list(new)


def baseline_pipeline(study: Study, name: str):
    """The baseline ``name`` unfitted, with the settings its tuning chose (defaults without one)."""
    if hasattr(baselines, "tuned_pipeline"):
        return baselines.tuned_pipeline(study, name)
    return baselines.make_pipeline(name, study.question.task, seed=study.split.seed)


def study_panel(study: Study, y, out, **kw) -> dict:
    classes = study.data.classes if study.is_classification else None
    return metric_panel(
        study.question.task, y, out, seed=study.split.seed, threshold=study.evaluation.threshold, classes=classes, **kw
    )


def target_findings(study: Study, panel: dict, split: str) -> list:
    q = study.question
    if q.target_value is None or q.target_metric not in panel:
        return []
    value = panel[q.target_metric]
    met = value >= q.target_value if HIGHER_IS_BETTER[q.target_metric] else value <= q.target_value
    if met:
        return []
    return [
        Findings.below_target.raise_(
            metric=q.target_metric,
            target=q.target_value,
            value=value,
            split=split,
            comparison="≥" if HIGHER_IS_BETTER[q.target_metric] else "≤",
        )
    ]


def test_reuse_findings(study: Study) -> list:
    s = study.split
    if s.test_uses > 1:
        return [Findings.test_set_reused.raise_(uses=s.test_uses, reason="; ".join(s.unseal_reasons))]
    return []
