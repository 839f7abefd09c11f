"""The numbers and facts a model card states, worded once for both of its formats (the Hugging
Face Markdown card of :mod:`guiapp.core.export.model_card` and the Model Card Toolkit JSON of
:mod:`guiapp.core.export.card_json`) and for ``report.html``: metric names, values with their
intervals, and what the study says about itself.
"""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path
from typing import Any

from guiapp.core.models.baselines import available
from guiapp.core.privacy.dp import dp_summary
from guiapp.core.privacy.membership import MODEL_NAMES
from guiapp.core.stats.interval_text import CONSTANT, ci_cell, ci_clause, is_flat, no_spread_reason
from guiapp.core.stats.metric_words import METRIC_NAMES, metric_display_name
from guiapp.core.study.model import Study

# What the card says where a field only the study owner can write was left empty.
NOT_PROVIDED = "Not provided by the study owner."

LOWER_IS_BETTER = {"log_loss", "brier", "ece", "rmse", "mae", "mse"}
# Numbers a metric panel carries that are not metrics (``n``: how many samples were scored).
NOT_METRICS = {"n"}

ARCHITECTURE_NAMES = {
    "mlp": "multilayer perceptron (MLP)",
    "cnn1d": "1D convolutional network",
    "cnn2d": "2D convolutional network",
    "transformer": "small transformer",
}


@dataclasses.dataclass(frozen=True)
class MetricValue:
    """One reported number: the metric key, its value and an optional confidence interval."""

    key: str
    value: float
    ci: tuple[float, float] | None = None

    @property
    def name(self) -> str:
        return metric_display_name(self.key)

    @property
    def text(self) -> str:
        return _fmt(self.value)

    @property
    def ci_text(self) -> str:
        """The "95% CI" column: "[0.412, 0.588]", "none (constant)" for a flat interval, or ""."""
        return ci_cell(self.ci, brackets=True)

    @property
    def flat(self) -> bool:
        return is_flat(self.ci)

    @property
    def no_spread(self) -> str:
        return no_spread_reason()

    @property
    def ci_clause(self) -> str:
        """What follows the value in a sentence: " (95% CI [0.412, 0.588])", " (no spread: …)" or ""."""
        if not self.ci:
            return ""
        return ci_clause(self.ci) if is_flat(self.ci) else f" (95% CI {self.ci_text})"

    @property
    def with_ci(self) -> str:
        """Value and interval in one table cell: "0.731 [0.650, 0.802]" or "0.500 (constant)"."""
        return f"{self.text} ({CONSTANT})" if is_flat(self.ci) else f"{self.text} {self.ci_text}".strip()


def metric_values(metrics: dict | None) -> list[MetricValue]:
    """The scalar metrics of a ``*_metrics`` dict, known names first, with ``<key>_ci`` attached.

    Anything that is not a plain number (curves, per-batch tables) is left to report.html.
    """
    metrics = metrics or {}
    keys = [k for k in metrics if k not in NOT_METRICS and not k.endswith("_ci") and _is_number(metrics[k])]
    order = list(METRIC_NAMES)
    keys.sort(key=lambda k: (order.index(k) if k in order else len(order), k))
    return [MetricValue(k, float(metrics[k]), _ci(metrics.get(f"{k}_ci"))) for k in keys]


def _ci(value: Any) -> tuple[float, float] | None:
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(map(_is_number, value)):
        return float(value[0]), float(value[1])
    return None


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return not isinstance(value, (str, bytes))


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if _is_number(value):
        v = float(value)
        return "n/a" if math.isnan(v) else f"{v:.3f}"
    return str(value)


def as_dict(obj: Any) -> dict:
    """Register entries and baseline results may be dataclasses or dicts; the card wants dicts."""
    return dataclasses.asdict(obj) if dataclasses.is_dataclass(obj) and not isinstance(obj, type) else dict(obj)


# ----- facts about the study, shared by both formats ---------------------------------------


def model_name(study: Study) -> str:
    return study.question.title.strip() or "Tenfold model"


def baseline_name(study: Study, key: str) -> str:
    return available(study.question.task).get(key, str(key).replace("_", " "))


def task_type(study: Study) -> str:
    if study.data.modality == "image" and study.is_classification:
        return "image-classification"  # the Hub's tag; it has none for image regression
    return "tabular-classification" if study.is_classification else "tabular-regression"


def dataset_name(study: Study) -> str:
    prov = study.data.provenance
    return prov.source or study.data.builtin or Path(prov.path).name or "unnamed dataset"


def dataset_type(study: Study) -> str:
    """A slug for ``model-index``: the Hub wants an identifier here, not prose."""
    raw = study.data.builtin or Path(study.data.provenance.path).stem or dataset_name(study)
    return re.sub(r"[^a-z0-9]+", "-", raw.lower()).strip("-") or "dataset"


def split_sizes(study: Study) -> dict[str, int]:
    split = study.split
    sizes = {"train": len(split.train_idx), "tune": len(split.tune_idx), "test": len(split.test_idx)}
    # A study reopened from a trimmed spec may keep only the per-class counts.
    for name, counts in (split.counts or {}).items():
        if not sizes.get(name) and isinstance(counts, dict):
            sizes[name] = int(sum(counts.values()))
    return sizes


def reported_metrics(study: Study) -> tuple[str, list[MetricValue]]:
    """The metrics the card headlines: the sealed test set's if evaluated, else the tune split's."""
    test = metric_values(study.evaluation.test_metrics)
    if test:
        return "test", test
    return "tune", metric_values(study.evaluation.tune_metrics)


def architecture_text(study: Study) -> str:
    a = study.architecture
    kind = ARCHITECTURE_NAMES.get(a.kind, a.kind)
    params = f", {a.n_params:,} trainable parameters" if a.n_params else ""
    return f"{kind}: {a.depth} hidden layer(s) of width {a.width}, dropout {a.dropout}{params}"


def sensitivity_text(study: Study) -> str:
    if study.data.sensitive is None:
        return "not declared (treated as sensitive)"
    return "declared sensitive" if study.data.sensitive else "declared not sensitive"


def sensitivity_answers(study: Study) -> list[str]:
    """The Data page's sensitivity answers as sentences, for the card and privacy.md."""
    d = study.data

    def yes_no(value) -> str:
        return "not answered" if value is None else ("yes" if value else "no")

    consent = yes_no(d.consent) + (f" (reference {d.consent_reference})" if d.consent_reference else "")
    dua = yes_no(d.data_use_agreement) + (f" (reference {d.dua_reference})" if d.dua_reference else "")
    return [
        f"Sensitivity: {sensitivity_text(study)}",
        f"About people: {yes_no(d.about_humans)}",
        f"Identifiable: {yes_no(d.identifiable)}",
        f"Informed consent or ethics (IRB) approval: {consent}",
        f"Data-use agreement: {dua}",
    ]


def subgroup_slices(study: Study) -> list[dict]:
    """Per-batch and per-subgroup results with intervals, as the evaluation step recorded them.

    Read from ``study.evaluation.test_groups`` (after the sealed evaluation) or else
    ``tune_groups``: ``[{factor, metric, groups: [{group, n, metrics, flagged}]}]``.
    """
    ev = study.evaluation
    split, tables = (
        ("test", getattr(ev, "test_groups", None))
        if getattr(ev, "test_groups", None)
        else ("tune", getattr(ev, "tune_groups", None))
    )
    out = []
    for table in tables or []:
        if not isinstance(table, dict):
            continue
        key = table.get("metric") or study.primary_metric
        for g in table.get("groups", []):
            panel = g.get("metrics") or {}
            values = [m for m in metric_values(panel) if m.key == key] or metric_values(panel)[:1]
            if values:
                out.append(
                    {
                        "factor": str(table.get("factor", "")),
                        "level": str(g.get("group", "")),
                        "metric": values[0],
                        "n": g.get("n"),
                        "split": split,
                        "flagged": bool(g.get("flagged")),
                    }
                )
    return out


def _privacy_context(study: Study) -> dict:
    m = study.ethics.membership or {}
    audit = []
    for key, r in (m.get("models") or {}).items():
        audit.append(
            {
                "name": MODEL_NAMES.get(key, key),
                "auc": MetricValue("auc", r["auc"], _ci(r.get("auc_ci"))),
                "advantage": MetricValue("advantage", r["advantage"], _ci(r.get("advantage_ci"))),
                "tpr": MetricValue("tpr", r["tpr_at_low_fpr"], _ci(r.get("tpr_at_low_fpr_ci"))),
                "n": f"{r['n_members']} / {r['n_non_members']}",
                "verdict": "leaks membership" if r["warn"] else "below the warning lines",
                "reading": r.get("reading", ""),
            }
        )
    return {
        "sensitivity_answers": sensitivity_answers(study),
        "audit": audit,
        "audit_meta": m,
        "dp": study.ethics.dp or {},
        "dp_text": dp_summary(study),
    }
