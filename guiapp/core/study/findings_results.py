"""The findings about a study's results: overfitting, evaluation, interpretation, ethics and export.

Declared here, named through :class:`guiapp.core.study.findings.Findings` (the whole catalogue).
"""

from __future__ import annotations

from guiapp.core.study.finding import FindingKind


class ResultFindings:
    """Kinds raised by the Overfitting, Evaluate, Interpret, Ethics & privacy and Export steps."""

    sensitive_data = FindingKind(
        "sensitive-data",
        10,
        "warning",
        "ethics",
        "The data are marked sensitive. A network trained on them can leak individual "
        "records (membership inference); its weights are withheld from the export unless it "
        "is trained with differential privacy (Tip 10).",
    )
    overfitting_gap = FindingKind(
        "overfitting-gap",
        7,
        "warning",
        "overfitting",
        "The network scores {train:.3f} on the training split but {tune:.3f} on the tune "
        "split ({metric}); a gap of {gap:.3f} suggests it memorises the training samples "
        "(Tip 7). Try a smaller network, more dropout or weight decay, or more data.",
    )
    network_not_better = FindingKind(
        "network-not-better-than-baseline",
        1,
        "warning",
        "evaluate",
        "The network ({network:.3f}) does not beat the best tuned baseline, {baseline_name} "
        "({baseline_score:.3f}), on the tune split ({metric}). A simpler model may be the "
        "better choice here (Tips 1 and 2).",
    )
    below_target = FindingKind(
        "below-target-metric",
        1,
        "warning",
        "evaluate",
        "The success criterion is {metric} {comparison} {target}, but the network reaches "
        "{value:.3f} on the {split} split.",
    )
    test_set_reused = FindingKind(
        "test-set-reused",
        7,
        "error",
        "evaluate",
        "The sealed test set was evaluated {uses} times (reason given: {reason!r}). Scores "
        "from a test set used more than once are optimistic (Tip 7); report this openly.",
        # Not blocking: no remedy can undo a second look, and the look itself needs a written
        # reason (quoted here); the card's box shows it above the headline.
        caveat="the sealed test set was evaluated {uses} times, so its scores are optimistic",
    )
    external_cohort_reused = FindingKind(
        "external-cohort-reused",
        7,
        "error",
        "evaluate",
        "The external cohort {name!r} was evaluated {uses} times (reason given: {reason!r}). A "
        "cohort looked at more than once is no longer an independent check (Tip 7); report this openly.",
    )
    external_cohort_shift = FindingKind(
        "external-cohort-shift",
        9,
        "info",
        "evaluate",
        "The external cohort {name!r} differs clearly from the training data: a classifier tells them "
        "apart with ROC AUC {auc:.2f}. Read its score as how the model travels to another lab or "
        "population, and look at its calibration before using its probabilities (Tip 9).",
    )
    weights_withheld = FindingKind(
        "weights-withheld",
        10,
        "info",
        "export",
        "The network weights were not exported: {reason}",
    )
    # Evaluation, overfitting guards and interpretation (Tips 4, 7 and 9).
    rare_minority_class = FindingKind(
        "rare-minority-class",
        7,
        "warning",
        "evaluate",
        "The minority class {minority!r} is only {share:.1%} of the samples. At this imbalance "
        "accuracy and ROC AUC mislead: a model can score high on them while missing most "
        "{minority!r} samples. Read PR AUC first (its chance level is the prevalence, "
        "{share:.1%}), with sensitivity and MCC (Tip 7).",
    )
    subgroup_gap = FindingKind(
        "subgroup-performance-gap",
        7,
        "warning",
        "evaluate",
        "On the {split} split, {factor} = {group!r} ({n} samples) reaches {metric} {value:.3f}, "
        "clearly below {overall:.3f} on the whole split. The model may not serve this group "
        "(Tips 7 and 10): look for a batch or population difference, and report the per-group "
        "results with the overall one.",
    )
    label_shuffle_not_beaten = FindingKind(
        "label-shuffle-not-beaten",
        7,
        "error",
        "overfitting",
        "Trained on shuffled labels, the same network configuration reaches {metric} up to "
        "{shuffled:.3f} on the tune split; on the real labels it reaches {real:.3f} (95% CI "
        "from {low:.3f}). The real score is not clearly above what memorising noise gives "
        "(Tip 7): the model may have learned nothing real. Check the labels, the data and the "
        "split before believing any score.",
        blocks=True,
        caveat="the network does not clearly beat the same network trained on shuffled labels",
    )
    label_proxy = FindingKind(
        "label-proxy-feature",
        7,
        "warning",
        "evaluate",
        "{count} feature(s) carry a leak signature on the training split (they separate the classes "
        "with a margin, code the label, follow a sorted row order, or are named for the outcome); on "
        "the tune split: {features}; best {feature!r}, {measure} {value:.3f}. Such a feature is "
        "usually a leak or a proxy (a sample order, a batch marker, a measurement taken after the "
        "outcome): find out what it is before trusting the model, and remove it if it would not be "
        "known when predicting (Tips 7 and 9).",
        caveat="{count} feature(s) on their own almost determine the label (a possible leak)",
    )
    near_perfect_small_n = FindingKind(
        "near-perfect-small-sample",
        9,
        "warning",
        "evaluate",
        "The network scores {metric} {value:.3f} on only {n} {split} samples. Near-perfect "
        "results on so few samples more often mean a leak, copied samples or an easy artefact "
        "than a solved problem (Tip 9): confirm on an independent cohort before claiming it.",
        caveat="a near-perfect score on only {n} {split} samples",
    )
    top_features_batch_associated = FindingKind(
        "top-features-batch-associated",
        9,
        "warning",
        "interpret",
        "{count} of the {top} most important features differ strongly between the batches of "
        "{batch!r} (batch explains at least {threshold:.0%} of their variance): {features}. "
        "The model may lean on the batch rather than the biology; do not read these features "
        "as biology (Tips 4 and 9).",
    )
    criterion_not_met = FindingKind(
        "success-criterion-not-met",
        4,
        "warning",
        "evaluate",
        "A success criterion set on the Question page is not met: {criterion} — measured "
        "{measured}, allowed {budget}. Say so in the report, or change the design (Tip 4).",
    )
    membership_leak = FindingKind(
        "membership-leak",
        10,
        "warning",
        "ethics",
        "The {model} leaks who was in its training data: a loss-threshold membership attack "
        "tells training samples from unseen ones with ROC AUC {auc:.2f} and finds {tpr:.1%} of "
        "training samples at a 1% false-positive rate (warning lines: AUC {auc_line}, "
        "{tpr_line:.0%}). Do not share it when the data are sensitive; train with differential "
        "privacy or regularise more (Tip 10).",
    )
    dp_utility_cost = FindingKind(
        "dp-utility-cost",
        10,
        "info",
        "ethics",
        "Training with differential privacy (ε = {epsilon:.2f}) costs {cost:.3f} of {metric} on "
        "the tune split ({private:.3f} against {non_private:.3f} without it). A larger ε buys "
        "accuracy at the price of privacy.",
    )
