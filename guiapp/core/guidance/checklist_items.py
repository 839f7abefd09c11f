"""The checklist's tips, its item type, and the items of the steps before any model: question,
data, batch effects and split (a declarative table; the model steps' items are in
:mod:`guiapp.core.guidance.checklist_model_items`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from guiapp.core.guidance import evidence as ev
from guiapp.core.guidance.evidence import ok

TIPS = {
    1: "Concepts that apply to machine learning also apply to deep learning",
    2: "Use traditional methods to establish performance baselines",
    3: "Understand the complexities of training deep neural networks",
    4: "Know your data and your question",
    5: "Choose an appropriate data representation and neural network architecture",
    6: "Tune your hyperparameters extensively and systematically",
    7: "Address deep neural networks' increased tendency to overfit the dataset",
    8: "Deep learning models can be made more transparent",
    9: "Don't over-interpret predictions",
    10: "Actively consider the ethical implications of your work",
}

# Each tip's advice in Tenfold's words, for the panel's tooltips.
TIP_ADVICE = {
    1: "A deep network is still a machine-learning model: it needs enough samples per class, an honest "
    "split and metrics that fit the question. It is worth its cost only where it beats simpler models.",
    2: "Fit simple, well-understood models (logistic regression, random forests…) on the same split and "
    "tune them as hard as the network. They set the bar the network has to clear.",
    3: "Training depends on seeds, library versions, hardware and settings. Record them and make runs "
    "deterministic, so that you and others can get the same numbers again.",
    4: "Decide the question and what counts as success before looking at results. Know where the data "
    "came from, how many samples each class has, and whether batches or donors tie samples together.",
    5: "Match the network to the data (a table, a sequence, an image) and start small: a network that "
    "fits the data is easier to train and less likely to memorise it.",
    6: "Settings such as the learning rate, width and dropout change results a lot. Search them "
    "systematically, on the tune set only, with a budget you report.",
    7: "Deep networks memorise easily. Keep a test set sealed until the end, keep copies and donors on "
    "one side of the split, and compare training and tune scores, shuffled labels and learning curves.",
    8: "Look at which features the model relies on. It catches leaks and tells you whether the model "
    "learned biology or an artefact.",
    9: "A score is an estimate: give intervals, check calibration and subgroups, and do not read "
    "important features as causes. Near-perfect results on few samples usually mean a leak.",
    10: "Data about people bring duties: consent, de-identification, and care with what you share. "
    "Models can leak their training data; decide and record what leaves the lab.",
}

# The ELIXIR DOME recommendations' sections, in their order.
DOME_SECTIONS = ("Data", "Optimization", "Model", "Evaluation")


@dataclass(frozen=True)
class Item:
    id: str
    tip: int
    dome: str  # one of DOME_SECTIONS
    step: str  # the step that satisfies it
    text: str
    why: str
    check: Callable  # study -> (status, evidence)
    evidence_at: str  # where the evidence lives: a JSON pointer into study.json, or a bundle file
    required: bool = True  # in guided mode, the step cannot be left while it is open


STUDY_ITEMS = (
    # Question
    Item(
        "question-stated",
        4,
        "Data",
        "question",
        "The scientific question is stated",
        "A clear question decides the data, the metric and what success means.",
        lambda s: ok(bool(s.question.title.strip()), s.question.title),
        "study.json#/question/title",
    ),
    Item(
        "success-criteria",
        4,
        "Evaluation",
        "question",
        "A success criterion is set (metric and target)",
        "Deciding the target before seeing results keeps the evaluation honest.",
        lambda s: ok(s.question.target_value is not None, f"{s.question.target_metric} ≥ {s.question.target_value}"),
        "study.json#/question/target_value",
    ),
    # Data
    Item(
        "provenance-recorded",
        4,
        "Data",
        "data",
        "Data provenance is recorded (file hash, source, version)",
        "Others can only reproduce a result if they can get the same data.",
        lambda s: ok(bool(s.data.provenance.sha256), f"SHA-256 {s.data.provenance.sha256[:12]}…"),
        "study.json#/data/provenance",
    ),
    Item(
        "samples-per-class",
        1,
        "Data",
        "data",
        "Samples per class are reported",
        "With few samples per class, deep learning rarely beats simpler models.",
        lambda s: ok(
            bool(s.data.class_counts) or (not s.is_classification and s.data.n_samples > 0),
            ", ".join(f"{k}: {v}" for k, v in s.data.class_counts.items()) or f"{s.data.n_samples} samples",
        ),
        "study.json#/data/class_counts",
    ),
    Item(
        "sensitivity-declared",
        10,
        "Data",
        "data",
        "Whether the data are sensitive is declared",
        "Models trained on personal data can leak it; the export depends on this answer.",
        lambda s: ok(s.data.sensitive is not None, "sensitive" if s.data.sensitive else "not sensitive"),
        "study.json#/data/sensitive",
    ),
    Item(
        "pii-scan-run",
        10,
        "Data",
        "data",
        "The data were scanned for personal identifiers",
        "Names, dates of birth, addresses or record numbers in a table make every copy of it personal data.",
        ev.pii_scanned,
        "study.json#/data/pii_scan",
    ),
    Item(
        "no-identifier-features",
        4,
        "Data",
        "data",
        "No identifier column is used as a feature",
        "A sample ID or a record number can stand in for the label by accident; the model then learns the ID.",
        ev.no_identifier_features,
        "study.json#/data/identifiers",
    ),
    Item(
        "consent-recorded",
        10,
        "Data",
        "data",
        "Consent, ethics (IRB) approval or a data-use agreement is recorded",
        "Data about people may be used only as their consent or agreement allows.",
        ev.consent_recorded,
        "study.json#/data/consent_reference",
        required=False,
    ),
    # Batch effects
    Item(
        "batch-effects-checked",
        7,
        "Data",
        "batch",
        "Batch effects were looked at",
        "Models learn batches (runs, sites, days) as readily as biology.",
        ev.batch_checked,
        "study.json#/batch/silhouette",
    ),
    Item(
        "batch-remedy-chosen",
        4,
        "Data",
        "batch",
        "A batch effect that was found has a remedy (or a reason for none)",
        "A batch effect left alone lets the model score well by recognising the run, not the biology.",
        ev.batch_remedy,
        "study.json#/batch/remedy",
    ),
    # Split
    Item(
        "test-set-sealed",
        7,
        "Data",
        "split",
        "A test set is held out and sealed",
        "Only data the model and its tuning never saw give an honest estimate.",
        lambda s: ok(s.split.sealed, f"{len(s.split.test_idx)} samples, hash {s.split.test_hash[:12]}…"),
        "study.json#/split/test_hash",
    ),
    Item(
        "samples-per-split",
        7,
        "Data",
        "split",
        "Samples per split (and per class in each) are reported",
        "A tune or test set of a handful of samples, or missing a class, cannot measure anything reliably.",
        ev.samples_per_split,
        "study.json#/split/counts",
    ),
    Item(
        "group-aware-split",
        7,
        "Data",
        "split",
        "Samples of one donor or group stay on one side of the split",
        "Samples of one patient or animal resemble each other; split apart, they let the test reward recognition.",
        ev.group_aware_split,
        "study.json#/split/n_groups",
    ),
    Item(
        "no-duplicates-across-splits",
        7,
        "Data",
        "split",
        "No copies of a sample fall on both sides of the split",
        "A copy in the test set of a training sample is a question the model has already seen answered.",
        ev.no_duplicates_across_splits,
        "study.json#/batch/duplicate_pairs",
    ),
    Item(
        "preprocessing-train-only",
        7,
        "Data",
        "split",
        "Preprocessing is fitted on the training split only",
        "Scaling with statistics that include test samples leaks information.",
        lambda s: ok(
            s.split.sealed,
            "imputation and scaling fitted on training rows"
            + ("; ComBat fitted on training rows" if s.batch.remedy == "combat" else ""),
        ),
        "study.json#/split/train_idx",
    ),
)
