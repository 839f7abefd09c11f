"""The checklist: the ten tips as items ticked from evidence in the study (or attested).

:func:`evaluate_checklist` is one pure function of the study; the side panel, guided mode,
the CLI, ``checklist.json`` and the DOME table of the card and the report all read it. What
each item looks for is in :mod:`guiapp.core.guidance.evidence`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from guiapp.core.guidance import evidence as ev
from guiapp.core.guidance.evidence import ATTESTED, DONE, NOT_APPLICABLE, OPEN, VIOLATED, ok
from guiapp.core.study.steps import STEP_IDS, step
from guiapp.core.study.vocabulary import CHECKLIST_ITEM_IDS

__all__ = [
    "ATTESTED",
    "DONE",
    "DOME_SECTIONS",
    "ITEMS",
    "Item",
    "NOT_APPLICABLE",
    "OPEN",
    "TIPS",
    "TIP_ADVICE",
    "VIOLATED",
    "attest",
    "blocking_items",
    "can_leave",
    "checklist_document",
    "evaluate_checklist",
    "leave_message",
    "summary",
    "withdraw",
]

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


ITEMS = (
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
    # Baselines
    Item(
        "baselines-same-split",
        2,
        "Evaluation",
        "baselines",
        "Traditional baselines were fitted on the same split",
        "A network is only worth its cost if it beats a well-set simple model.",
        lambda s: ok(bool(s.baselines.results), ", ".join(r["name"] for r in s.baselines.results)),
        "study.json#/baselines/results",
    ),
    Item(
        "verdict-recorded",
        1,
        "Evaluation",
        "baselines",
        "The verdict 'is deep learning warranted here?' is recorded (with your reason if you go on against it)",
        "Deep learning costs data, time and transparency; a tuned simple model is often as good.",
        ev.verdict_recorded,
        "study.json#/verdict",
    ),
    # Architecture
    Item(
        "architecture-small",
        5,
        "Model",
        "architecture",
        "The network starts small; its size is known",
        "A small network that fits the data is easier to train and less prone to overfit.",
        lambda s: ok(s.architecture.n_params > 0, f"{s.architecture.kind}, {s.architecture.n_params:,} parameters"),
        "study.json#/architecture/n_params",
    ),
    Item(
        "network-tuned",
        6,
        "Optimization",
        "architecture",
        "The network's hyperparameters were searched",
        "Learning rate, width and dropout change results a lot; a systematic search on the tune set settles them.",
        ev.network_tuned,
        "study.json#/tuning/network",
        required=False,
    ),
    Item(
        "baselines-tuned-equally",
        2,
        "Optimization",
        "architecture",
        "Baselines were tuned with the same budget as the network",
        "A model tuned harder than its rivals looks better for that alone.",
        ev.tuned_equally,
        "study.json#/tuning/network/n_trials",
        required=False,
    ),
    # Train
    Item(
        "seed-and-determinism",
        3,
        "Optimization",
        "train",
        "One seed and deterministic algorithms are recorded",
        "Without them a rerun gives different numbers and nobody can check yours.",
        ev.seed_and_determinism,
        "study.json#/train/seed",
    ),
    Item(
        "training-curves",
        6,
        "Optimization",
        "train",
        "Training and tune curves were recorded",
        "Curves show whether training converged and when it started to overfit.",
        lambda s: ok(bool(s.train.history), f"{len(s.train.history)} epochs, best {s.train.best_epoch}"),
        "study.json#/train/history",
    ),
    # Overfitting
    Item(
        "overfitting-checked",
        7,
        "Evaluation",
        "overfitting",
        "The train/tune gap was checked",
        "A large gap means the network memorises its training samples.",
        lambda s: ok(
            s.overfitting.gap is not None, f"gap {s.overfitting.gap:.3f}" if s.overfitting.gap is not None else ""
        ),
        "study.json#/overfitting/gap",
    ),
    Item(
        "label-shuffle-control",
        7,
        "Evaluation",
        "overfitting",
        "The label-shuffle control was run (real vs shuffled labels)",
        "A network that scores no better than one trained on shuffled labels learned nothing real.",
        ev.shuffle_control,
        "study.json#/overfitting/shuffle",
        required=False,
    ),
    Item(
        "learning-curve",
        7,
        "Evaluation",
        "overfitting",
        "The learning curve was inspected",
        "Score against training-set size says whether more data would help and how much is memorised.",
        ev.learning_curve,
        "study.json#/overfitting/learning_curve",
        required=False,
    ),
    # Evaluate
    Item(
        "imbalance-aware-metrics",
        7,
        "Evaluation",
        "evaluate",
        "Metrics that survive imbalance are reported",
        "Accuracy hides a missed minority class; PR AUC and balanced accuracy do not.",
        lambda s: ok(
            bool(s.evaluation.tune_metrics),
            "ROC AUC, PR AUC, balanced accuracy" if s.is_classification else "R², RMSE, MAE",
        ),
        "study.json#/evaluation/tune_metrics",
    ),
    Item(
        "intervals-reported",
        9,
        "Evaluation",
        "evaluate",
        "Scores carry confidence intervals",
        "A score from a few hundred samples is uncertain; the interval says how much.",
        lambda s: ok(any(k.endswith("_ci") for k in s.evaluation.tune_metrics), "bootstrap 95% intervals"),
        "study.json#/evaluation/tune_metrics",
    ),
    Item(
        "compared-with-baselines",
        1,
        "Evaluation",
        "evaluate",
        "The network was compared with the best baseline",
        "Deep learning is warranted only where it beats the simpler models.",
        lambda s: ok(bool(s.evaluation.tune_metrics) and bool(s.baselines.results), "tune-set comparison"),
        "study.json#/tuning/comparison",
    ),
    Item(
        "subgroup-results",
        7,
        "Evaluation",
        "evaluate",
        "Results per batch and per subgroup were reported",
        "A good overall score can hide a hospital, a run or a group of people the model fails.",
        ev.subgroups,
        "study.json#/evaluation/tune_groups",
        required=False,
    ),
    Item(
        "calibration-checked",
        9,
        "Evaluation",
        "evaluate",
        "Calibration of the probabilities was checked",
        "A predicted 90% should come true about nine times in ten before anyone acts on it.",
        ev.calibration,
        "study.json#/evaluation/tune_metrics/ece",
        required=False,
    ),
    Item(
        "label-proxy-checked",
        9,
        "Evaluation",
        "evaluate",
        "No single feature gives the label away (or you say why it is no leak)",
        "A feature that alone predicts the label is often a leak: recorded after the outcome, or a sample order.",
        ev.label_proxy,
        "study.json#/findings",
        required=False,
    ),
    Item(
        "test-used-once",
        7,
        "Evaluation",
        "evaluate",
        "The sealed test set was used exactly once",
        "Every extra look at the test set tunes the study to it.",
        ev.test_used,
        "study.json#/split/test_uses",
    ),
    # Interpret
    Item(
        "interpretation-run",
        8,
        "Model",
        "interpret",
        "The model's important features were examined",
        "Seeing what a model relies on catches leaks and builds (or removes) trust.",
        lambda s: ok(bool(s.interpret.importances), ", ".join(i["feature"] for i in s.interpret.importances[:3])),
        "study.json#/interpret/importances",
    ),
    # Ethics & privacy
    Item(
        "ethics-register",
        10,
        "Data",
        "ethics",
        "Ethical concerns are recorded in the register",
        "Writing concerns down — or that there are none — is part of the study.",
        lambda s: ok(bool(s.ethics.register), f"{len(s.ethics.register)} entries"),
        "ethics_register.json",
    ),
    Item(
        "weights-decision",
        10,
        "Model",
        "ethics",
        "The decision on sharing the weights is recorded",
        "Weights trained on sensitive data can leak it; sharing must be a decision.",
        lambda s: ok(
            bool(s.ethics.decided_at), f"share weights: {s.ethics.share_weights}, recorded {s.ethics.decided_at}"
        ),
        "study.json#/ethics/decided_at",
    ),
    Item(
        "membership-audit",
        10,
        "Model",
        "ethics",
        "A membership-inference audit was run",
        "A model can reveal who was in its training data; the audit measures how much.",
        ev.membership_audited,
        "study.json#/ethics/membership",
        required=False,
    ),
    Item(
        "dp-recorded",
        10,
        "Model",
        "ethics",
        "Whether differential privacy was used is recorded",
        "Only differential privacy gives a formal guarantee for weights that leave the lab.",
        ev.dp_recorded,
        "study.json#/ethics/dp",
        required=False,
    ),
    Item(
        "card-fields-written",
        10,
        "Model",
        "ethics",
        "Intended use and limitations are written",
        "Only the study owner knows what the model is for and where it fails.",
        ev.card_fields,
        "study.json#/ethics/intended_use",
        required=False,
    ),
    # Export
    Item(
        "findings-acted-on",
        7,
        "Evaluation",
        "export",
        "Every finding that blocks the study is remedied or accepted with a reason",
        "A batch confounded with the label, copies across the split or a failed shuffle control undo the "
        "result unless a remedy settles them or the card states them, with your reason, above the headline.",
        ev.findings_acted_on,
        "study.json#/accepted_findings",
        required=False,
    ),
    Item(
        "versions-recorded",
        3,
        "Optimization",
        "export",
        "Versions, device and seeds are in the manifest",
        "Library versions and hardware change results; the manifest records them.",
        lambda s: ok(bool(s.export.exported_at), f"manifest.json, {s.export.exported_at}"),
        "manifest.json",
        required=False,
    ),
)


def evaluate_checklist(study) -> list[dict]:
    """Every item with its status and evidence, from the study alone."""
    rows = []
    for item in ITEMS:
        status, evidence = item.check(study)
        satisfied_by = "" if status == OPEN else "evidence"
        evidence_at = item.evidence_at
        if status == OPEN and item.id in study.attestations:
            status, evidence, satisfied_by = ATTESTED, study.attestations[item.id], "attestation"
            evidence_at = f"study.json#/attestations/{item.id}"
        rows.append(
            {
                "id": item.id,
                "tip": item.tip,
                "tip_title": TIPS[item.tip],
                "dome": item.dome,
                "step": item.step,
                "text": item.text,
                "why": item.why,
                "status": status,
                "evidence": evidence,
                "evidence_at": evidence_at,
                "satisfied_by": satisfied_by,
                "required": item.required,
            }
        )
    return rows


def blocking_items(study, step_id: str, items: list | None = None) -> list[dict]:
    """Required items of ``step_id`` still open: in guided mode the step cannot be left."""
    items = items if items is not None else evaluate_checklist(study)
    return [i for i in items if i["step"] == step_id and i["required"] and i["status"] == OPEN]


def can_leave(study, step_id: str, items: list | None = None) -> tuple[bool, str]:
    """Whether Next may leave ``step_id``, and why not, in plain words (one line)."""
    if not study.checklist_mode:
        return True, ""
    from guiapp.core.study.blocking import blocking_on_step

    found = blocking_on_step(study, step_id)
    open_items = blocking_items(study, step_id, items)
    if not open_items and not found:
        return True, ""
    reasons = [
        f"apply a remedy for the finding {code}, or accept it with a reason on this page"
        for code in dict.fromkeys(f.code for f in found)
    ]
    reasons += [f"{i['text'].lower()} (Tip {i['tip']})" for i in open_items]
    return False, "Guided mode: before you go on, " + "; ".join(reasons) + "."


def leave_message(study, step_id: str, items: list | None = None) -> str:
    """What the page says about its open required items: which, and why each matters.

    In guided mode they keep Next disabled; in ordinary mode they are warnings. Empty when
    none is open.
    """
    open_items = blocking_items(study, step_id, items)
    if not open_items:
        return ""
    lines = [f"• {i['text']} (Tip {i['tip']}). {i['why']}" for i in open_items]
    if study.checklist_mode:
        head = (
            f"Guided mode: Next stays off until {'this item is' if len(lines) == 1 else 'these items are'} "
            "done, or attested with a reason in the checklist panel:"
        )
    else:
        head = "Checklist warning: this step still has open items (guided mode is off, so you may go on):"
    return "\n".join([head, *lines])


def step_status(items: list[dict]) -> tuple[str, int]:
    """A step's (or a tip's) status and how many optional items are still open.

    Violated if any item is violated; open while a required item is open; done once every
    required item is done or attested: optional open items do not make a finished step look
    unfinished, they are counted for a small badge instead.
    """
    statuses = {i["status"] for i in items}
    optional_open = sum(1 for i in items if i["status"] == OPEN and not i["required"])
    if VIOLATED in statuses:
        return VIOLATED, optional_open
    if any(i["status"] == OPEN and i["required"] for i in items):
        return OPEN, optional_open
    return DONE, optional_open


def summary(items: list[dict]) -> dict:
    out: dict = {}
    for i in items:
        out[i["status"]] = out.get(i["status"], 0) + 1
    out["total"] = len(items)
    return out


def attest(study, item_id: str, reason: str) -> None:
    """Record the user's word that an item holds, with the reason (evidence still wins)."""
    if not reason.strip():
        from guiapp.core.study.errors import TenfoldError

        raise TenfoldError("Give a reason when you attest a checklist item yourself.")
    if item_id not in {i.id for i in ITEMS}:
        raise KeyError(item_id)
    study.attestations[item_id] = reason.strip()


def withdraw(study, item_id: str) -> None:
    study.attestations.pop(item_id, None)


def checklist_document(study) -> dict:
    """The content of ``checklist.json``: every item, the counts, and the items by DOME section."""
    items = evaluate_checklist(study)
    return {
        "guided_mode": bool(study.checklist_mode),
        "statuses": {
            "done": "the study shows it",
            "attested": "the user says it holds, with a reason",
            "open": "not done yet",
            "violated": "the study shows it was broken",
            "not applicable": "does not apply to this study, with the reason",
        },
        "items": items,
        "summary": summary(items),
        "dome": {section: [i["id"] for i in items if i["dome"] == section] for section in DOME_SECTIONS},
        "tips": {str(t): {"title": TIPS[t], "advice": TIP_ADVICE[t]} for t in TIPS},
    }


assert all(i.step in STEP_IDS and i.dome in DOME_SECTIONS and step(i.step) for i in ITEMS)
assert tuple(i.id for i in ITEMS) == CHECKLIST_ITEM_IDS, "checklist items and vocabulary.CHECKLIST_ITEM_IDS differ"
