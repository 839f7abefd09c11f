"""The findings of the study's design: batch effects, the split, the baselines, the architecture, training.

Declared here, named through :class:`guiapp.core.study.findings.Findings` (the whole catalogue).
"""

from __future__ import annotations

from guiapp.core.study.finding import FindingKind


class DesignFindings:
    """Kinds raised by the Batch-effects, Split, Baselines, Architecture and Train steps."""

    batch_effect = FindingKind(
        "batch-effect",
        4,
        "warning",
        "batch",
        "Samples cluster by batch ({batch!r}): the batch silhouette on the first principal "
        "components is {silhouette:.2f} (0 means well mixed, 1 means batches fully apart). "
        "A model may learn the batch instead of the biology (Tips 4 and 7): consider a "
        "hold-out-batch split or a correction fitted on training data only.",
        caveat="samples cluster by batch {batch!r}",
    )
    batch_partly_confounded = FindingKind(
        "batch-partly-confounded",
        7,
        "warning",
        "batch",
        "Batch {batch!r} and the label are partly tied (Cramér's V = {cramers_v:.2f}, chi-square p = "
        "{p:.2g}): the share of each label differs between batches, though every batch holds several "
        "labels. A model can lean on the batch for part of its score, and no correction can tell the "
        "batch's share from the label's (Tips 4 and 7). What to do: a batch × label stratified split "
        "(split strategy 'batch-label-stratified') or a leave-batch-out evaluation ('batch-holdout'), "
        "read the per-batch results, and report the tie as a limitation.",
        caveat="batch {batch!r} and the label are partly tied",
    )
    batch_confounded = FindingKind(
        "batch-confounded",
        7,
        "error",
        "batch",
        "Batch {batch!r} is confounded with the label (Cramér's V = {cramers_v:.2f}): "
        "{detail} A model may learn the batch instead of the biology, and no correction "
        "(ComBat included) can undo confounding: it cannot tell the batch from the label (Tips 4 and 7). "
        "What to do: a balanced design (each label in every batch) if samples can still be run; "
        "otherwise a leave-batch-out evaluation (split strategy 'batch-holdout') or a batch × label "
        "stratified split ('batch-label-stratified'), and report the confounding as a limitation.",
        blocks=True,
        caveat="batch {batch!r} is confounded with the label",
    )
    near_duplicate_samples = FindingKind(
        "near-duplicate-samples",
        7,
        "warning",
        "batch",
        "{count} pair(s) of samples are near-copies: their standardised features differ by "
        "less than {threshold} standard deviations on average. Replicates or re-measured "
        "samples on both sides of the split inflate the scores (Tip 7). {advice}",
    )
    group_column_suggested = FindingKind(
        "group-column-suggested",
        7,
        "warning",
        "batch",
        "Column {column!r} may say which samples belong together ({reason}). Samples of one "
        "donor, patient, animal or cell line are not independent: use it as the group "
        "column and a group split, so that no group is on both sides of the split (Tip 7).",
    )
    copies_kept_together = FindingKind(
        "copies-kept-together",
        7,
        "info",
        "split",
        "{clusters} cluster(s) of copies ({samples} samples: exact and near copies) were kept "
        "together on one side of the split, so no sample is tested against its own copy (Tip 7).",
    )
    duplicates_across_splits = FindingKind(
        "duplicates-across-splits",
        7,
        "error",
        "split",
        "{count} pair(s) of copies ({exact} exact, {near} near) fall on different sides of "
        "the split, so the model is tested on samples it has in effect seen (Tip 7). Draw the "
        "split again with copies kept together (Split page; [split] keep_copies_together = true), "
        "mark a group column and draw a group split, or remove the copies.",
        blocks=True,
        caveat="{count} pair(s) of copied samples fall on both sides of the split",
    )
    groups_across_splits = FindingKind(
        "groups-across-splits",
        7,
        "warning",
        "split",
        "{count} group(s) of {column!r} have samples on more than one side of the split "
        "(e.g. {examples}). Scores then reward recognising the group, not the biology "
        "(Tip 7): choose the group split strategy.",
        caveat="{count} group(s) of {column!r} have samples on both sides of the split",
    )
    training_cancelled = FindingKind(
        "training-cancelled",
        3,
        "info",
        "train",
        "Training was stopped after epoch {epoch} of {max_epochs}; the best weights so far were kept.",
    )
    nondeterministic = FindingKind(
        "nondeterministic-training",
        3,
        "warning",
        "train",
        "Deterministic algorithms were turned off, so a rerun with the same seed may give different weights (Tip 3).",
    )
    # Baselines, tuning, the verdict and the architecture (Tips 1, 2, 3 and 5).
    deep_learning_doubtful = FindingKind(
        "deep-learning-doubtful",
        1,
        "warning",
        "baselines",
        "Is deep learning warranted here? Doubtful: {reasons} Expect a tuned traditional model to "
        "do as well (Tips 1 and 2). You may go on to compare; record why on the Baselines page.",
    )
    network_not_clearly_better = FindingKind(
        "network-not-clearly-better",
        1,
        "warning",
        "baselines",
        "Tuned with the same budget, the network ({network:.3f}) is not clearly better than the "
        "best baseline, {baseline} ({baseline_score:.3f}), on the tune split ({metric}): the "
        "difference is {difference:+.3f} ({interval}, p = {p:.3f}). The simpler model may serve as well (Tips 1 and 2).",
    )
    unequal_tuning_budget = FindingKind(
        "unequal-tuning-budget",
        2,
        "warning",
        "baselines",
        "The baselines were tuned with {baselines} trials each but the network with {network}. "
        "Unequal tuning favours the model tuned harder (Tip 2): give both the same budget "
        "(budget_trials under [baselines] and [train]) and search again.",
    )
    parameters_exceed_samples = FindingKind(
        "parameters-exceed-samples",
        3,
        "warning",
        "architecture",
        "The {kind} has {n_params:,} trainable parameters for {n_train:,} training samples "
        "({ratio:.0f} per sample). A network this large can memorise its training samples: "
        "start smaller (Tip 3), and read the overfitting step closely.",
    )
    pretrained_layers_skipped = FindingKind(
        "pretrained-layers-skipped",
        5,
        "info",
        "architecture",
        "{skipped} tensor(s) of the checkpoint {checkpoint} did not match this network by name and "
        "shape and were not loaded (e.g. {examples}); {loaded} were loaded. Layers left out "
        "start from a fresh initialisation.",
    )
