"""The glossary's terms on splits, data and evaluation, in plain words for biologists.

Pure data; :mod:`guiapp.core.study.glossary` gathers every part into ``TERMS`` and links the
pages' words to them.
"""

from __future__ import annotations

from guiapp.core.study import glossary_pictures as pic
from guiapp.core.study.glossary_term import Term

DATA_TERMS = (
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
)
