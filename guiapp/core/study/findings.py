"""Findings: every warning Tenfold raises about a study, declared once with a stable code.

A finding has a ``code`` that never changes (scripts and tests ask for it), the ``tip``
of Lee et al. (2022) it comes from, a ``severity`` and a plain-words ``message`` that says
what to do. The GUI shows them on the page and in the checklist, the model card lists them,
and ``inspect --json`` and ``metrics.json`` carry them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
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
    # A blocking kind means the study's result cannot be trusted until the user acts: a remedy
    # settles it, or the user accepts it with a written reason (guiapp.core.study.blocking).
    blocks: bool = False
    # A short phrase for the headline of the card ("batch 'run' is confounded with the label"),
    # filled from the same values as the template; empty: the message's first sentence.
    caveat: str = ""

    def raise_(self, **values: Any) -> Finding:
        return Finding(
            code=self.code,
            tip=self.tip,
            severity=self.severity,
            step=self.step,
            message=self.template.format(**values),
            values={k: _plain(v) for k, v in values.items()},
            blocks=self.blocks,
        )


@dataclass(frozen=True)
class Finding:
    code: str
    tip: int
    severity: str
    step: str
    message: str
    values: dict = field(default_factory=dict, compare=False, hash=False)
    blocks: bool = False

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Finding:
        """Tolerant of older study files: a finding saved before kinds declared ``blocks`` takes
        its kind's word; keys this version does not know are left aside."""
        known = {f.name for f in fields(cls)}
        d = {k: v for k, v in d.items() if k in known}
        if "blocks" not in d:
            kind = next((k for k in Findings.all() if k.code == d.get("code")), None)
            d["blocks"] = bool(kind and kind.blocks)
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
        "too-few-samples-per-class",
        1,
        "warning",
        "data",
        "The smallest class ({label_value!r}) has only {count} samples. With fewer than "
        "{minimum} samples per class a deep network rarely beats a tuned traditional model "
        "(Tip 1): compare carefully with the baselines, or collect more data.",
    )
    class_imbalance = FindingKind(
        "class-imbalance",
        7,
        "warning",
        "data",
        "The classes are imbalanced: the largest is {ratio:.1f} times the smallest "
        "({minority!r} is {share:.0%} of samples). Accuracy and ROC AUC can look good while "
        "the minority class is missed; read balanced accuracy and PR AUC (Tip 7).",
    )
    missing_values = FindingKind(
        "missing-values",
        4,
        "info",
        "data",
        "{n_columns} feature column(s) have missing values ({share:.1%} of all cells). "
        "Tenfold fills them with the training-set median, fitted on the training split only.",
    )
    constant_features = FindingKind(
        "constant-features",
        4,
        "info",
        "data",
        "{n_columns} feature column(s) have the same value in every sample and carry no "
        "information: {examples}. They are kept but cannot help any model.",
    )
    duplicate_samples = FindingKind(
        "duplicate-samples",
        7,
        "warning",
        "data",
        "{count} sample(s) are exact copies of another sample's features. Copies that fall "
        "on both sides of the split inflate the scores (Tip 7): the copy-aware split (on by "
        "default) keeps each cluster of copies on one side; if they are the same sample under two "
        "names, remove the copies.",
    )
    label_missing = FindingKind(
        "label-missing",
        4,
        "warning",
        "data",
        "{count} sample(s) have no label in column {label!r}; they are left out of the study.",
    )
    identifier_like_column = FindingKind(
        "identifier-like-column",
        4,
        "info",
        "data",
        "Column {column!r} looks like a sample identifier (a distinct value in every row), so it "
        "was set aside as an identifier: it is not used as a feature, and exports drop it (Tip 4).",
    )
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
    possible_label_leak = FindingKind(
        "possible-label-leak",
        7,
        "error",
        "data",
        "{count} feature(s) carry a leak signature on {where}: {features}. A feature that gives "
        "the label away is usually recorded after the outcome (a diagnosis code, a review, a "
        "sample order) and will not exist when the model is used; the scores would be false "
        "(Tip 7). Remove it from the features (mark it 'ignore' on the Data page or in the spec's "
        "roles), or, if it truly is measured before the outcome, accept this finding with the reason.",
        blocks=True,
        caveat="{count} feature(s) carry a label-leak signature",
    )
    strong_single_markers = FindingKind(
        "strong-single-markers",
        7,
        "info",
        "data",
        "Strong single markers: {count} feature(s) on their own predict the label well but not "
        "perfectly on {where} ({measure}): {features}. This is common for real biology; confirm "
        "each is known before prediction (measured before the outcome, not derived from it), and do "
        "not read the network's gain over them as new biology (Tips 7 and 9).",
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
    sensitive_data = FindingKind(
        "sensitive-data",
        10,
        "warning",
        "ethics",
        "The data are marked sensitive. A network trained on them can leak individual "
        "records (membership inference); its weights are withheld from the export unless it "
        "is trained with differential privacy (Tip 10).",
    )
    sensitivity_undeclared = FindingKind(
        "sensitivity-undeclared",
        10,
        "warning",
        "data",
        "Nobody has said whether these data are sensitive (about people, identifiable, under "
        "consent or a data-use agreement). Answer on the Data page; until then Tenfold treats "
        "them as sensitive and withholds the weights.",
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
        "The network ({network:.3f}) does not beat the best tuned baseline, {baseline} "
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
    training_cancelled = FindingKind(
        "training-cancelled",
        3,
        "info",
        "train",
        "Training was stopped after epoch {epoch} of {max_epochs}; the best weights so far were kept.",
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
    nondeterministic = FindingKind(
        "nondeterministic-training",
        3,
        "warning",
        "train",
        "Deterministic algorithms were turned off, so a rerun with the same seed may give different weights (Tip 3).",
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
    consent_unrecorded = FindingKind(
        "consent-unrecorded",
        10,
        "warning",
        "data",
        "The data are about people, but no informed consent, ethics (IRB) approval or data-use "
        "agreement is recorded. Record the reference on the Data page before training on them, "
        "and share nothing derived from them until you have (Tip 10).",
    )
    sensitivity_inconsistent = FindingKind(
        "sensitivity-inconsistent",
        10,
        "warning",
        "data",
        "The data are declared not sensitive, but the answers say {why}. Data about "
        "identifiable people, or under consent or a data-use agreement, are sensitive: change "
        "the answer, or record in the ethics register why they are not (Tip 10).",
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
        "difference is {difference:+.3f} (95% CI {low:+.3f} to {high:+.3f}; paired bootstrap "
        "p = {p:.3f}). The simpler model may serve as well (Tips 1 and 2).",
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

    # Data in: formats, sample sheets, profile and personal identifiers (Tips 4 and 10).
    near_constant_features = FindingKind(
        "near-constant-features",
        4,
        "info",
        "data",
        "{n_columns} feature column(s) have nearly the same value in every sample (one value at "
        "least 19 times as common as any other): {examples}. They carry little information and "
        "can make a small class look separable by chance.",
    )
    values_look_like_counts = FindingKind(
        "values-look-like-counts",
        4,
        "info",
        "data",
        "The feature values are whole numbers up to {maximum:,.0f}: they look like raw counts. "
        "Networks learn better from normalised, log-transformed values (e.g. log1p of counts per "
        'million): apply log1p on the Data page (or [data] transform = "log1p" in a spec), or '
        "normalise them before loading if the question allows (Tip 4).",
    )
    personal_identifier = FindingKind(
        "pii-identifier",
        10,
        "warning",
        "data",
        "Column {column!r} looks like {kind}, a personal identifier under HIPAA Safe Harbor "
        "({evidence}). It is not used as a feature; remove it (or generalise it) before sharing "
        "the data or anything derived from them, and declare the data sensitive (Tip 10).",
    )
    personal_group_column = FindingKind(
        "pii-group-column",
        10,
        "warning",
        "data",
        "The group column {column!r} looks like {kind}, a personal identifier under HIPAA Safe Harbor "
        "({evidence}). Keep it as the group, never as a feature: it keeps each person's samples on one "
        "side of the split. Pseudonymise it (replace each value by a code) before sharing the data or "
        "anything derived from them, and declare the data sensitive (Tip 10).",
    )
    sample_sheet_unmatched = FindingKind(
        "sample-sheet-unmatched",
        4,
        "warning",
        "data",
        "The sample sheet {sheet} matched {matched} sample(s) by {key!r}; {data_unmatched} sample(s) "
        "of the data have no row in it (e.g. {data_examples}) and {sheet_unmatched} row(s) of it match "
        "no sample (e.g. {sheet_examples}). Samples without a row have no label and are left out: "
        "check that both files name the samples the same way.{advice}",
    )
    label_table_found = FindingKind(
        "label-table-found",
        4,
        "info",
        "data",
        "The labels come from {table}, found in the data folder: its column {key!r} names {matched} of the "
        "samples.{passed_over}",
    )
    tables_passed_over = FindingKind(
        "tables-passed-over",
        4,
        "info",
        "data",
        "Tables in the data folder that are not label tables were passed over: {tables}. If one holds "
        "your labels, choose it as the sample sheet.",
    )
    data_transposed = FindingKind(
        "data-transposed",
        4,
        "info",
        "data",
        "The table held features as rows and samples as columns; Tenfold turned it so each of the "
        "{n_samples} samples is a row of {n_features} features (the sample names are in "
        "'sample_id').",
    )
    class_with_one_sample = FindingKind(
        "class-with-one-sample",
        7,
        "error",
        "data",
        "Class {label_value!r} of the label column {label!r} has a single sample (row {row} of "
        "{file}; {others} other class(es) too). One sample cannot be both learned from and tested "
        "on, so no split can hold it in every part: merge the class into a related one, leave that "
        "sample's label empty to leave it out, or collect more samples of it (Tip 7).",
    )
    missing_values_most_frequent = FindingKind(
        "missing-values-most-frequent",
        4,
        "info",
        "data",
        "{n_columns} feature column(s) have missing values ({share:.1%} of all cells). As chosen, "
        "Tenfold fills them with each feature's most frequent value on the training split, fitted "
        "on the training split only.",
    )
    missing_rows_dropped = FindingKind(
        "missing-values-dropped",
        4,
        "info",
        "data",
        "As chosen, {rows} sample(s) and {columns} feature column(s) with missing values were "
        "dropped before the split.",
    )
    # Small studies and sample sheets (Tips 1 and 4).
    too_few_samples = FindingKind(
        "too-few-samples",
        1,
        "error",
        "data",
        "{n_samples} samples{how}: a study needs at least {minimum} to train, tune and test a model "
        "on separate samples. Tenfold profiles these data but will not train on them (Tip 1). "
        "{alternative}",
    )
    sample_ids_matched_by_rule = FindingKind(
        "sample-ids-matched-by-rule",
        4,
        "info",
        "data",
        "The sample sheet {sheet} names the samples differently from the data; compared name by name, "
        "{rule}. Tenfold matched {matched} sample(s) under that rule. If the match is wrong, set "
        '[data] samples_id_match = "exact" and rename the samples in the sheet.',
    )
    sheet_columns_not_features = FindingKind(
        "sheet-columns-not-features",
        4,
        "info",
        "data",
        "The sample sheet's numeric columns ({columns}) describe how the samples were made (lanes, "
        "read counts, file names), so they are kept as metadata, not features. If one is a real "
        "measurement of the samples, list it under [data] sheet_features or mark it 'feature' in the "
        "roles table.",
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
