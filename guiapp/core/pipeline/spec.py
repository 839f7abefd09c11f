"""A spec's settings copied into the study, and what a resumed run's edited spec may change."""

from __future__ import annotations

from guiapp.core.evaluation.tune_evaluation import set_threshold
from guiapp.core.guidance.checklist import attest
from guiapp.core.study.errors import SpecError
from guiapp.core.study.model import Study

# Tuning budgets when a spec names none: every baseline and the network get this many trials
# (Tip 2). Small, so a spec runs in minutes; a real study raises it (the wizard suggests 20).
HEADLESS_TRIALS = 3
# [question] keys of the generalizability, interpretability and efficiency criteria (guiapp.core.evaluation.criteria)
CRITERIA_KEYS = (
    "min_generalization",
    "max_generalization_drop",
    "min_attribution_stability",
    "min_linear_agreement",
    "known_markers",
    "min_known_markers",
    "interpretability_top_k",
    "max_inference_memory_mb",
    "min_throughput",
)
QUESTION_KEYS = (
    "title",
    "description",
    "task",
    "target_metric",
    "target_value",
    "max_parameters",
    "max_latency_ms",
    "max_training_minutes",
    "max_calibration_error",
    *CRITERIA_KEYS,
)
SPLIT_DRAW_KEYS = ("strategy", "test_fraction", "tune_fraction", "seed", "holdout_batches", "keep_copies_together")


def apply_spec(study: Study, spec: dict) -> None:
    """Copy the spec's settings into the study (everything but the data, which is loaded)."""
    q = spec.get("question", {})
    for key in QUESTION_KEYS:
        if key in q:
            setattr(study.question, key, q[key])
    study.data.subgroups = [str(c) for c in spec.get("data", {}).get("subgroups", study.data.subgroups)]
    if "threshold" in spec.get("evaluate", {}):
        set_threshold(study, spec["evaluate"]["threshold"])
    if "target_metric" not in q:
        study.question.target_metric = "roc_auc" if study.is_classification else "r2"
    for key, value in spec.get("split", {}).items():
        setattr(study.split, key, _split_value(key, value))
    if "models" in spec.get("baselines", {}):
        study.baselines.models = list(spec["baselines"]["models"])
    study.baselines.budget_trials = int(spec.get("baselines", {}).get("budget_trials", HEADLESS_TRIALS))
    study.train.budget_trials = int(spec.get("train", {}).get("budget_trials", HEADLESS_TRIALS))
    for key, value in spec.get("tuning", {}).items():
        setattr(study.tuning, key, value)
    for key, value in spec.get("train", {}).items():
        setattr(study.train, key, value)
    study.checklist_mode = spec.get("checklist", {}).get("guided", study.checklist_mode)
    for item_id, reason in spec.get("checklist", {}).get("attest", {}).items():
        attest(study, item_id, reason)  # used only while the study shows no evidence for the item


def _split_value(key: str, value):
    return [str(v) for v in value] if key == "holdout_batches" else value


def resume_split_changes(study: Study, spec: dict) -> bool:
    """On ``--resume``: does the spec now ask for another split (a ``[split]`` key or a
    ``[batch]`` remedy written in after a stopped run)? When nothing has used the split yet (no
    network trained, the sealed test set unread), the spec's keys are applied and the split is
    drawn again, with everything after it; otherwise the run is refused with what to do."""
    s, wanted = study.split, spec.get("split", {})
    changed = [
        f"[split] {k} = {wanted[k]!r}"
        for k in SPLIT_DRAW_KEYS
        if k in wanted and _split_value(k, wanted[k]) != getattr(s, k)
    ]
    remedy = spec.get("batch", {}).get("remedy", "none")
    if remedy != "none" and remedy != study.batch.remedy:
        changed.append(f"[batch] remedy = {remedy!r}")
    if not changed or not s.sealed:
        return False
    if s.test_uses > 0 or study.train.status != "not started" or study.train.history:
        used = "the sealed test set was read" if s.test_uses > 0 else "a network was trained on it"
        raise SpecError(
            f"The spec now asks for another split ({'; '.join(changed)}), but this study's split "
            f"was already used ({used}); drawing it again would hide what the results were "
            "measured on (Tip 7). Run the edited spec as a new study: the same command with "
            "another --out folder and without --resume."
        )
    for key in SPLIT_DRAW_KEYS:
        if key in wanted:
            setattr(s, key, _split_value(key, wanted[key]))
    study.tuning.network = {}  # searched on the old split; drawn again below with the baselines
    return True
