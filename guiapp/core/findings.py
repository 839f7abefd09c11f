"""Findings: every warning Tenfold raises about a study, declared once with a stable code.

A finding has a ``code`` that never changes (scripts and tests ask for it), the ``tip``
of Lee et al. (2022) it comes from, a ``severity`` and a plain-words ``message`` that says
what to do. The GUI shows them on the page and in the checklist, the model card lists them,
and ``inspect --json`` and ``metrics.json`` carry them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

SEVERITIES = ("info", "warning", "error")


@dataclass(frozen=True)
class FindingKind:
    """A declared kind of finding; ``raise_`` fills its message template."""

    code: str
    tip: int
    severity: str
    step: str
    template: str

    def raise_(self, **values: Any) -> "Finding":
        return Finding(
            code=self.code,
            tip=self.tip,
            severity=self.severity,
            step=self.step,
            message=self.template.format(**values),
            values={k: _plain(v) for k, v in values.items()},
        )


@dataclass(frozen=True)
class Finding:
    code: str
    tip: int
    severity: str
    step: str
    message: str
    values: dict = field(default_factory=dict, compare=False, hash=False)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Finding":
        return cls(**d)


def _plain(value: Any) -> Any:
    """Numbers and strings that JSON can carry."""
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


class Findings:
    """The catalogue: one attribute per kind, so code and tests name them."""

    too_few_samples_per_class = FindingKind(
        "too-few-samples-per-class", 1, "warning", "data",
        "The smallest class ({label_value!r}) has only {count} samples. With fewer than "
        "{minimum} samples per class a deep network rarely beats a tuned traditional model "
        "(Tip 1): compare carefully with the baselines, or collect more data.",
    )
    class_imbalance = FindingKind(
        "class-imbalance", 7, "warning", "data",
        "The classes are imbalanced: the largest is {ratio:.1f} times the smallest "
        "({minority!r} is {share:.0%} of samples). Accuracy and ROC AUC can look good while "
        "the minority class is missed; read balanced accuracy and PR AUC (Tip 7).",
    )
    missing_values = FindingKind(
        "missing-values", 4, "info", "data",
        "{n_columns} feature column(s) have missing values ({share:.1%} of all cells). "
        "Tenfold fills them with the training-set median, fitted on the training split only.",
    )
    constant_features = FindingKind(
        "constant-features", 4, "info", "data",
        "{n_columns} feature column(s) have the same value in every sample and carry no "
        "information: {examples}. They are kept but cannot help any model.",
    )
    duplicate_samples = FindingKind(
        "duplicate-samples", 7, "warning", "data",
        "{count} sample(s) are exact copies of another sample's features. Copies that fall "
        "on both sides of the split inflate the scores (Tip 7): remove them, or mark a group "
        "column so copies stay together.",
    )
    label_missing = FindingKind(
        "label-missing", 4, "warning", "data",
        "{count} sample(s) have no label in column {label!r}; they are left out of the study.",
    )
    identifier_like_column = FindingKind(
        "identifier-like-column", 10, "warning", "data",
        "Column {column!r} looks like a sample identifier (a distinct value in every row). "
        "It is not used as a feature; mark it as an identifier so exports drop it.",
    )
    batch_effect = FindingKind(
        "batch-effect", 4, "warning", "batch",
        "Samples cluster by batch ({batch!r}): the batch silhouette on the first principal "
        "components is {silhouette:.2f} (0 means well mixed, 1 means batches fully apart). "
        "A model may learn the batch instead of the biology (Tips 4 and 7): consider a "
        "hold-out-batch split or a correction fitted on training data only.",
    )
    batch_confounded = FindingKind(
        "batch-confounded", 7, "error", "batch",
        "Batch {batch!r} is confounded with the label (Cramér's V = {cramers_v:.2f}): "
        "{detail} A model may learn the batch instead of the biology (Tips 4 and 7).",
    )
    near_duplicate_samples = FindingKind(
        "near-duplicate-samples", 7, "warning", "batch",
        "{count} pair(s) of samples are near-copies: their standardised features differ by "
        "less than {threshold} standard deviations on average. Replicates or re-measured "
        "samples on both sides of the split inflate the scores (Tip 7): mark a group column "
        "so they stay together, or remove the copies.",
    )
    group_column_suggested = FindingKind(
        "group-column-suggested", 7, "info", "batch",
        "Column {column!r} may say which samples belong together ({reason}). Samples of one "
        "donor, patient, animal or cell line are not independent: choose it as the group "
        "column and a group split, so that no group is on both sides of the split (Tip 7).",
    )
    duplicates_across_splits = FindingKind(
        "duplicates-across-splits", 7, "error", "split",
        "{count} pair(s) of copies ({exact} exact, {near} near) fall on different sides of "
        "the split, so the model is tested on samples it has in effect seen (Tip 7). Mark a "
        "group column and draw a group split, or remove the copies, then split again.",
    )
    groups_across_splits = FindingKind(
        "groups-across-splits", 7, "warning", "split",
        "{count} group(s) of {column!r} have samples on more than one side of the split "
        "(e.g. {examples}). Scores then reward recognising the group, not the biology "
        "(Tip 7): choose the group split strategy.",
    )
    sensitive_data = FindingKind(
        "sensitive-data", 10, "warning", "ethics",
        "The data are marked sensitive. A network trained on them can leak individual "
        "records (membership inference); its weights are withheld from the export unless it "
        "is trained with differential privacy (Tip 10).",
    )
    sensitivity_undeclared = FindingKind(
        "sensitivity-undeclared", 10, "warning", "data",
        "Nobody has said whether these data are sensitive (about people, identifiable, under "
        "consent or a data-use agreement). Answer on the Data page; until then Tenfold treats "
        "them as sensitive and withholds the weights.",
    )
    overfitting_gap = FindingKind(
        "overfitting-gap", 7, "warning", "overfitting",
        "The network scores {train:.3f} on the training split but {tune:.3f} on the tune "
        "split ({metric}); a gap of {gap:.3f} suggests it memorises the training samples "
        "(Tip 7). Try a smaller network, more dropout or weight decay, or more data.",
    )
    network_not_better = FindingKind(
        "network-not-better-than-baseline", 1, "warning", "evaluate",
        "The network ({network:.3f}) does not beat the best tuned baseline, {baseline} "
        "({baseline_score:.3f}), on the tune split ({metric}). A simpler model may be the "
        "better choice here (Tips 1 and 2).",
    )
    below_target = FindingKind(
        "below-target-metric", 1, "warning", "evaluate",
        "The success criterion is {metric} ≥ {target}, but the network reaches {value:.3f} on "
        "the {split} split.",
    )
    training_cancelled = FindingKind(
        "training-cancelled", 3, "info", "train",
        "Training was stopped after epoch {epoch} of {max_epochs}; the best weights so far "
        "were kept.",
    )
    test_set_reused = FindingKind(
        "test-set-reused", 7, "error", "evaluate",
        "The sealed test set was evaluated {uses} times (reason given: {reason!r}). Scores "
        "from a test set used more than once are optimistic (Tip 7); report this openly.",
    )
    weights_withheld = FindingKind(
        "weights-withheld", 10, "info", "export",
        "The network weights were not exported: {reason}",
    )
    nondeterministic = FindingKind(
        "nondeterministic-training", 3, "warning", "train",
        "Deterministic algorithms were turned off, so a rerun with the same seed may give "
        "different weights (Tip 3).",
    )

    @classmethod
    def all(cls) -> list[FindingKind]:
        return [v for v in vars(cls).values() if isinstance(v, FindingKind)]

    @classmethod
    def by_code(cls, code: str) -> FindingKind:
        for kind in cls.all():
            if kind.code == code:
                return kind
        raise KeyError(code)
