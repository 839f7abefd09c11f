"""The glossary: every term the wizard uses, in plain words for biologists, with a sketch where one helps.

Pure data and text: the Glossary dialog shows it, the pages link their words to it
(:func:`link_terms`), and a notebook can read it too.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass

from guiapp.core.study import glossary_pictures as pic


@dataclass(frozen=True)
class Term:
    key: str
    term: str
    plain: str  # what it is, in plain words
    why: str  # why it matters in a study
    aliases: tuple = ()  # other words for it, as they appear in the wizard's texts
    picture: Callable[[], str] | None = None  # () -> SVG text
    see_also: tuple = ()

    @property
    def words(self) -> tuple:
        return (self.term, *self.aliases)


TERMS = (
    # Networks and training
    Term(
        "layer",
        "Layer",
        "A network is a stack of layers. Each layer takes numbers in, mixes them with its own "
        "weights and passes new numbers on. The first takes your features; the last gives the prediction.",
        "More and wider layers can learn more, but also memorise more: start with few.",
        ("layers", "hidden layer", "hidden layers", "depth"),
        pic.layers,
        ("parameters", "mlp"),
    ),
    Term(
        "unit",
        "Unit (neuron)",
        "One number-making element of a layer: it adds up its inputs, each times a weight, "
        "and passes the sum through an activation. A layer's width is its number of units.",
        "Width times depth sets how many parameters the network has.",
        ("units", "neuron", "neurons", "width"),
    ),
    Term(
        "activation",
        "Activation",
        "A simple bend applied after each layer, such as ReLU (negative numbers become "
        "0). Without it, a stack of layers would be no more than one straight-line model.",
        "It is what lets a network learn curved, non-linear relationships.",
        ("activation function", "relu"),
        pic.activation,
    ),
    Term(
        "parameters",
        "Parameters (weights)",
        "The numbers a network learns from data: the weights of all its "
        "layers. Training adjusts them, step by step, to lower the loss.",
        "A network with far more parameters than training samples can memorise the samples instead of learning.",
        ("parameter", "weights", "trainable parameters"),
        None,
        ("layer", "overfitting"),
    ),
    Term(
        "loss",
        "Loss",
        "One number saying how wrong the network's predictions are on a set of samples (for "
        "classes, usually cross-entropy). Training tries to make it small.",
        "Watching the loss on the training and tune splits shows whether the network learns or memorises.",
        ("loss function", "cross-entropy", "tune loss"),
        pic.loss_curve,
        ("epoch", "overfitting"),
    ),
    Term(
        "epoch",
        "Epoch",
        "One pass of training over every sample of the training split. Training runs for "
        "many epochs; after each, Tenfold scores the tune split.",
        "Too few epochs and the network has not learned; too many and it starts memorising.",
        ("epochs", "maximum epochs"),
        pic.loss_curve,
        ("early-stopping",),
    ),
    Term(
        "batch-size",
        "Batch size",
        "How many samples the network looks at before each small update of its "
        "weights. Not to be confused with a batch effect.",
        "Smaller batches give noisier but often better-generalising training; larger ones need more memory.",
        ("batch sizes",),
        None,
        ("batch-effect",),
    ),
    Term(
        "learning-rate",
        "Learning rate",
        "How big a step the network takes each time it updates its weights. "
        "Too small and training crawls; too large and it overshoots and never settles.",
        "Usually the single most important setting to tune.",
        ("learning rates", "lr"),
        pic.learning_rate,
        ("hyperparameter",),
    ),
    Term(
        "optimizer",
        "Optimizer",
        "The rule that turns the loss into weight updates (SGD, Adam, AdamW).",
        "Different optimizers reach different solutions; Tenfold records which one was used.",
        ("optimiser", "adam", "adamw", "sgd"),
    ),
    Term(
        "weight-decay",
        "Weight decay",
        "A small pull of every weight towards zero at each update, so no weight "
        "grows large without good reason. A kind of regularisation.",
        "It makes the network prefer simpler explanations of the data.",
        (),
        None,
        ("regularisation",),
    ),
    Term(
        "regularisation",
        "Regularisation",
        "Anything that keeps a model from fitting the training samples too "
        "closely: dropout, weight decay, early stopping, a smaller network, more data.",
        "It trades a little training score for a better score on new samples.",
        ("regularization", "regularise", "regularize"),
        None,
        ("overfitting", "dropout", "weight-decay"),
    ),
    Term(
        "dropout",
        "Dropout",
        "During training, a random share of units is switched off at every step, so the "
        "network cannot rely on any single unit. At prediction time all units are on.",
        "A simple, effective guard against memorising the training samples.",
        (),
        pic.dropout,
        ("regularisation",),
    ),
    Term(
        "early-stopping",
        "Early stopping",
        "Training stops when the tune loss has not improved for a number of "
        "epochs (the patience), and the best weights so far are kept.",
        "It stops the network at the point before it starts memorising.",
        ("patience",),
        pic.overfitting,
    ),
    Term(
        "overfitting",
        "Overfitting",
        "The network learns its training samples, noise included, instead of what "
        "holds in general. Training scores keep improving while tune scores stall or get worse.",
        "An overfitted model looks good in the lab and fails on new samples. Deep networks overfit easily (Tip 7).",
        ("overfit", "overfits", "memorise", "memorises", "memorising"),
        pic.overfitting,
        ("regularisation", "learning-curve"),
    ),
    Term(
        "hyperparameter",
        "Hyperparameter",
        "A setting chosen before training rather than learned: learning rate, "
        "width, depth, dropout, batch size. A search tries several and keeps the best on the tune split.",
        "Results depend on them a lot; tune them systematically and give the baselines the same budget (Tip 6).",
        ("hyperparameters", "hyperparameter search", "trial", "trials"),
        None,
        ("learning-rate",),
    ),
    Term(
        "seed",
        "Seed",
        "The starting number of the random number generator that shuffles samples and sets the "
        "first weights. The same seed gives the same random choices.",
        "Recording it, with deterministic algorithms, lets anyone rerun the study and get your numbers.",
        ("seeds", "random seed", "deterministic"),
    ),
    Term(
        "checkpoint",
        "Checkpoint",
        "A copy of the network's weights saved during training, so an interrupted "
        "run can resume and the best epoch's weights are kept.",
        "Nothing is lost when the computer stops.",
        ("checkpoints",),
    ),
    Term(
        "mlp",
        "Multilayer perceptron (MLP)",
        "The plain network for tables: layers in which every unit looks at all features of the layer before.",
        "The right first choice when features have no order or neighbourhood.",
        ("multilayer perceptron", "MLP"),
        pic.layers,
        ("cnn",),
    ),
    Term(
        "cnn",
        "Convolutional network (CNN)",
        "A network that slides small pattern detectors along a sequence or "
        "across an image, so a motif is found wherever it occurs.",
        "Suits DNA, protein sequences and images; it needs far fewer parameters than an MLP there.",
        ("convolution", "convolutions", "convolutional", "CNN", "1D-CNN", "2D-CNN"),
    ),
    Term(
        "transfer-learning",
        "Transfer learning",
        "Starting from a network already trained on other, usually larger, data and training it further on yours.",
        "It helps most when you have few samples.",
        ("pretrained", "transfer"),
    ),
    # Splits and data
    Term(
        "train-set",
        "Training split",
        "The samples the network learns its weights from.",
        "Scores on it say little: the network has seen every answer.",
        ("training set", "train split", "training samples"),
        pic.split_bar,
        ("tune-set", "test-set"),
    ),
    Term(
        "tune-set",
        "Tune split (validation set)",
        "Samples held out from training and used to choose settings "
        "and to compare models. Often called the validation set.",
        "Because your choices are made on it, its score is slightly optimistic; the test split gives the honest one.",
        ("tune split", "tune set", "validation set", "validation split", "tune samples"),
        pic.split_bar,
        ("test-set",),
    ),
    Term(
        "test-set",
        "Test split (sealed)",
        "Samples locked away when the split is drawn and read once, at the "
        "very end, to estimate how the model does on new samples.",
        "Every extra look at it tunes the study to it, and the estimate stops being honest (Tip 7).",
        ("test split", "test set", "sealed test set", "sealed"),
        pic.split_bar,
    ),
    Term(
        "group-split",
        "Group split",
        "A split that keeps all samples of one donor, patient, animal or cell line in the same part.",
        "Samples of one person resemble each other; split apart, they make scores too good.",
        ("grouped", "group column", "donor"),
    ),
    Term(
        "stratified",
        "Stratified split",
        "A split that keeps each class's share the same in every part.",
        "Otherwise a small class can go missing from the tune or test split.",
        (),
    ),
    Term(
        "data-leakage",
        "Leakage",
        "Information about the answer reaching the model in a way it would not in "
        "real use: a copy of a test sample in training, a feature recorded after the outcome, scaling fitted on "
        "all samples.",
        "Leaks make scores look far better than the model is.",
        ("leak", "leaked", "label proxy", "proxy"),
    ),
    Term(
        "batch-effect",
        "Batch effect",
        "Differences between samples that come from how they were processed "
        "(run, plate, site, day) rather than from biology.",
        "A model can learn to recognise the batch instead of the biology, above all when batch and label go "
        "together (confounding).",
        ("batch effects", "batches"),
        pic.batch_effect,
        ("confounding", "pca"),
    ),
    Term(
        "confounding",
        "Confounding",
        "Two things varying together so their effects cannot be told apart: for "
        "example, all patients measured in run 1 and all controls in run 2.",
        "Then no analysis can say whether a difference is disease or run.",
        ("confounded",),
    ),
    Term(
        "pca",
        "PCA (principal components)",
        "A way to draw many features in two dimensions along the directions "
        "in which the samples differ most (PC 1, PC 2).",
        "Clusters by batch on it are a warning sign.",
        ("principal components", "main axes of variation", "PC"),
        pic.batch_effect,
    ),
    Term(
        "class-imbalance",
        "Class imbalance",
        "One class is much rarer than another (say 10% disease).",
        "A model can score high accuracy by ignoring the rare class; read PR AUC and balanced accuracy.",
        ("imbalance", "imbalanced", "minority class"),
        pic.class_imbalance,
        ("pr-auc", "balanced-accuracy"),
    ),
    Term(
        "baseline",
        "Baseline",
        "A simple, well-understood model (logistic regression, random forest, kNN…) "
        "fitted on the same split as the network.",
        "Deep learning is worth its cost only where it beats them.",
        ("baselines", "simple models", "traditional model", "traditional methods"),
    ),
    # Evaluation
    Term(
        "metric",
        "Metric",
        "A number that scores predictions against the truth: ROC AUC, PR AUC, balanced "
        "accuracy and calibration for classes; R² and RMSE for numbers.",
        "Choose the one that fits the question before seeing results: it decides what counts as success.",
        ("metrics", "target metric"),
        None,
        ("auroc", "pr-auc", "r2"),
    ),
    Term(
        "auroc",
        "ROC AUC (AUROC)",
        "The chance that the model ranks a random positive sample above a random "
        "negative one. 0.5 is guessing, 1 is perfect.",
        "It ignores how rare the positives are, so it can look good when the rare class is mostly missed.",
        ("ROC AUC", "AUROC", "ROC curve", "AUC"),
        pic.roc,
        ("pr-auc",),
    ),
    Term(
        "pr-auc",
        "PR AUC (average precision)",
        "The area under the precision–recall curve: how precise the "
        "positive calls stay as the model finds more of the positives. Chance level is the share of positives.",
        "The metric to read when the class you care about is rare.",
        ("PR AUC", "average precision", "precision-recall"),
        pic.precision_recall,
        ("auroc", "class-imbalance"),
    ),
    Term(
        "balanced-accuracy",
        "Balanced accuracy",
        "The average of the accuracy within each class.",
        "Unlike plain accuracy, a model ignoring a rare class cannot score well on it.",
        (),
    ),
    Term(
        "confidence-interval",
        "Confidence interval",
        "A range of plausible values for a score, here from the "
        "bootstrap: the score is recomputed on many resamplings of the samples. Reported as 95% intervals.",
        "A score from few samples is uncertain; the interval shows how much.",
        ("interval", "intervals", "95% interval", "bootstrap", "95% CI", "CI"),
        pic.confidence_interval,
    ),
    Term(
        "calibration",
        "Calibration",
        "Whether predicted probabilities come true as often as they say: of the "
        "samples given 80%, about 80% should be positive. Measured by ECE and the Brier score.",
        "Before anyone acts on a probability, it has to mean what it says.",
        ("calibrated", "ECE", "Brier", "reliability diagram"),
        pic.calibration,
    ),
    Term(
        "r2",
        "R² (coefficient of determination)",
        "For numbers to predict: the share of the target's variation "
        "the model explains. 1 is perfect, 0 is no better than predicting the mean.",
        "The regression counterpart of ROC AUC in Tenfold's reports.",
        ("R²", "R2", "RMSE", "MAE"),
    ),
    Term(
        "learning-curve",
        "Learning curve",
        "The score on the training and tune splits as the network is trained on more and more samples.",
        "If the tune score still rises at the end, more data would help.",
        ("learning curves",),
        pic.learning_curve,
        ("overfitting",),
    ),
    Term(
        "label-shuffle",
        "Label-shuffle control",
        "The same network trained on labels shuffled at random. It can "
        "only memorise; its tune score is what chance gives.",
        "A real model has to beat it clearly, or it learned nothing real.",
        ("shuffled labels", "label shuffle"),
    ),
    Term(
        "subgroup",
        "Subgroup results",
        "Scores computed separately for each batch, site, sex or other group.",
        "A good overall score can hide a group the model fails.",
        ("subgroups", "per subgroup", "per batch"),
    ),
    # Interpretation and privacy
    Term(
        "permutation-importance",
        "Permutation importance",
        "How much the score drops when one feature's values are shuffled among samples.",
        "It shows what the model relies on, not what causes the disease (Tip 9).",
        (),
    ),
    Term(
        "integrated-gradients",
        "Integrated gradients",
        "A way to attribute each single prediction to the "
        "features, by following the network's response from a neutral input to the real one.",
        "Features ranking high here and in permutation importance are the ones the network leans on.",
        ("attributions", "attribution"),
    ),
    Term(
        "external-cohort",
        "External cohort",
        "An independent, labelled dataset from another lab, hospital, "
        "instrument or time, scored once after the sealed test set, through the study's own preprocessing.",
        "A score on held-out samples of one dataset says little about other labs; only an independent cohort "
        "shows how the model travels (Tips 7 and 9).",
        ("external cohorts", "external validation", "independent cohort", "generalizability"),
        None,
        ("domain-classifier", "leave-one-batch-out"),
    ),
    Term(
        "domain-classifier",
        "Domain classifier (shift check)",
        "A simple model trained to tell the training "
        "samples from a cohort's samples. Its ROC AUC is 0.5 when it cannot, 1.0 when every cohort sample "
        "stands out.",
        "It measures how far a cohort lies from the data the model learned from.",
        ("shift check", "domain AUC"),
        None,
        ("external-cohort",),
    ),
    Term(
        "leave-one-batch-out",
        "Leave-one-batch-out estimate",
        "Train on all batches but one and score the "
        "held-out batch, for every batch in turn; the spread of the scores shows how much the result depends "
        "on the batch.",
        "An estimate from the study's own batches, not external validation: they share its protocol and lab.",
        ("leave one batch out", "held-out batch"),
        None,
        ("external-cohort", "batch-effect"),
    ),
    Term(
        "attribution-stability",
        "Attribution stability",
        "Whether the same features come out on top when the "
        "network is refitted on bootstrap resamples of the training split: the rank correlation of their "
        "attributions.",
        "Top features that change with every refit are not a finding to report (Tip 9).",
        ("stable attributions",),
        None,
        ("integrated-gradients",),
    ),
    Term(
        "flops",
        "FLOPs per sample",
        "The arithmetic operations a model needs to score one sample. A linear model "
        "needs a few per feature; a network many more.",
        "Performance per FLOP shows whether the network's gain is worth its cost beside a cheaper baseline.",
        ("FLOPs", "performance per FLOP", "throughput"),
    ),
    Term(
        "membership-inference",
        "Membership inference",
        "An attack that guesses, from a model's outputs, whether a given person's record was in its training data.",
        "If it works, sharing the model reveals who took part in the study (Tip 10).",
        ("membership-inference audit", "membership audit"),
    ),
    Term(
        "differential-privacy",
        "Differential privacy",
        "Training with clipped and noised updates so the model "
        "provably depends little on any one sample; ε (epsilon) measures how little — smaller is more private.",
        "The only formal guarantee for weights trained on sensitive data that leave the lab.",
        ("DP", "DP-SGD", "epsilon", "ε"),
    ),
    Term(
        "pii",
        "Personal identifiers",
        "Information that points to a person: names, dates of birth, addresses, "
        "record numbers, e-mail addresses (the HIPAA Safe Harbor list).",
        "Data holding them are personal data; they must never be features, and never leave the lab unprotected.",
        ("personal identifier", "identifiers", "identifier", "PII", "HIPAA"),
    ),
    Term(
        "provenance",
        "Provenance",
        "Where the data came from: source, version, date, and a fingerprint (SHA-256) "
        "that changes if a single byte of the file changes.",
        "Others can only check a result on the same data.",
        ("SHA-256", "fingerprint", "hash"),
    ),
    Term(
        "model-card",
        "Model card",
        "A short document that ships with a model: what it is for, how it was built "
        "and tested, how well it does for whom, and its limits.",
        "Readers judge a model by it.",
        ("model cards",),
    ),
    Term(
        "dome",
        "DOME",
        "The ELIXIR recommendations for reporting machine learning in biology, in four sections: "
        "Data, Optimization, Model, Evaluation.",
        "Tenfold's export lists the checklist by DOME section.",
        ("DOME recommendations",),
    ),
)

BY_KEY = {t.key: t for t in TERMS}

# The terms each page speaks of, for its help button (the first is shown first).
STEP_TERMS = {
    "study": ("seed", "provenance", "dome"),
    "question": (
        "metric",
        "auroc",
        "pr-auc",
        "balanced-accuracy",
        "r2",
        "calibration",
        "parameters",
        "external-cohort",
        "attribution-stability",
        "flops",
    ),
    "data": ("provenance", "pii", "class-imbalance", "stratified", "group-split"),
    "batch": ("batch-effect", "pca", "confounding", "group-split", "data-leakage"),
    "split": ("train-set", "tune-set", "test-set", "stratified", "group-split", "data-leakage"),
    "baselines": ("baseline", "hyperparameter", "tune-set", "auroc", "confidence-interval"),
    "architecture": ("layer", "unit", "activation", "parameters", "mlp", "cnn", "dropout", "transfer-learning"),
    "train": (
        "epoch",
        "loss",
        "batch-size",
        "learning-rate",
        "optimizer",
        "weight-decay",
        "dropout",
        "early-stopping",
        "seed",
        "checkpoint",
    ),
    "overfitting": ("overfitting", "regularisation", "learning-curve", "label-shuffle", "loss"),
    "evaluate": (
        "auroc",
        "pr-auc",
        "balanced-accuracy",
        "confidence-interval",
        "calibration",
        "subgroup",
        "test-set",
        "r2",
        "external-cohort",
        "domain-classifier",
        "leave-one-batch-out",
    ),
    "interpret": ("permutation-importance", "integrated-gradients", "data-leakage", "baseline"),
    "ethics": ("membership-inference", "differential-privacy", "pii", "model-card"),
    "export": ("model-card", "dome", "seed", "provenance"),
}


def term(key: str) -> Term:
    return BY_KEY[key]


def lookup(word: str) -> Term | None:
    """The term a word or phrase of the wizard names (case-insensitive), or None."""
    w = _norm(word)
    return next((t for t in TERMS if any(_norm(a) == w for a in t.words)), None)


def _norm(word: str) -> str:
    return re.sub(r"\s+", " ", word.strip().rstrip(":").strip().lower())


def picture(key: str) -> str:
    """The term's sketch as SVG text; empty when it has none."""
    t = BY_KEY[key]
    return t.picture() if t.picture else ""


def search(text: str) -> list[Term]:
    """Terms whose name, other words or explanation contain ``text``; names first."""
    q = text.strip().lower()
    if not q:
        return list(TERMS)
    named = [t for t in TERMS if any(q in w.lower() for w in t.words)]
    rest = [t for t in TERMS if t not in named and q in (t.plain + " " + t.why).lower()]
    return named + rest


def _pattern() -> re.Pattern:
    words = sorted({(w, t.key) for t in TERMS for w in t.words if len(w) > 2}, key=lambda p: -len(p[0]))
    return re.compile(r"(?<![\w-])(" + "|".join(re.escape(w) for w, _ in words) + r")(?![\w-])", re.IGNORECASE)


_PATTERN = _pattern()


def link_terms(text: str, *, scheme: str = "glossary:", once: bool = True) -> str:
    """``text`` as HTML with the glossary's words as links ``glossary:<key>``.

    Each term is linked at its first mention only (``once``), so a paragraph does not turn blue.
    Short abbreviations (two letters) are never linked: they collide with ordinary words.
    """
    seen: set = set()
    out, last = [], 0
    for m in _PATTERN.finditer(text):
        found = lookup(m.group(0))
        if found is None or (once and found.key in seen):
            continue
        seen.add(found.key)
        out.append(html.escape(text[last : m.start()]))
        out.append(f'<a href="{scheme}{found.key}">{html.escape(m.group(0))}</a>')
        last = m.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


def linked_keys(text: str) -> list[str]:
    """The keys :func:`link_terms` links in ``text``, in order."""
    return re.findall(r'href="glossary:([\w-]+)"', link_terms(text))


def entry_html(key: str) -> str:
    """One term as a small HTML page: the words, why it matters, other names, related terms."""
    t = BY_KEY[key]
    parts = [
        f"<h2>{html.escape(t.term)}</h2>",
        f"<p>{html.escape(t.plain)}</p>",
        f"<p><b>Why it matters:</b> {html.escape(t.why)}</p>",
    ]
    if t.aliases:
        parts.append("<p><i>Also called or shown as:</i> " + ", ".join(html.escape(a) for a in t.aliases) + "</p>")
    if t.see_also:
        links = ", ".join(f'<a href="glossary:{k}">{html.escape(BY_KEY[k].term)}</a>' for k in t.see_also)
        parts.append(f"<p><i>See also:</i> {links}</p>")
    return "\n".join(parts)


def tooltip(key: str) -> str:
    t = BY_KEY[key]
    return f"{t.term}: {t.plain}"


assert all(k in BY_KEY for t in TERMS for k in t.see_also)
assert all(k in BY_KEY for keys in STEP_TERMS.values() for k in keys)
assert len(BY_KEY) == len(TERMS)
__all__ = [
    "BY_KEY",
    "STEP_TERMS",
    "TERMS",
    "Term",
    "entry_html",
    "link_terms",
    "linked_keys",
    "lookup",
    "picture",
    "search",
    "term",
    "tooltip",
]
