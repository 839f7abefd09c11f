"""The checklist: the ten tips as items ticked from evidence in the study (or attested).

:func:`evaluate_checklist` is one pure function of the study; the side panel, guided mode,
the CLI and ``checklist.json`` all read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from guiapp.core.steps import STEP_IDS

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

# Status words, as the panel shows them.
DONE, ATTESTED, OPEN, VIOLATED, NOT_APPLICABLE = "done", "attested", "open", "violated", "not applicable"


@dataclass(frozen=True)
class Item:
    id: str
    tip: int
    dome: str  # Data, Optimization, Model, Evaluation (ELIXIR DOME)
    step: str  # the step that satisfies it
    text: str
    why: str
    check: Callable  # study -> (status, evidence)
    required: bool = True  # in guided mode, the step cannot be left while it is open


def _ok(cond: bool, evidence: str = "") -> tuple:
    return (DONE, evidence) if cond else (OPEN, "")


def _test_used(study):
    uses = study.split.test_uses
    if uses == 0:
        return OPEN, ""
    if uses == 1:
        return DONE, f"evaluated once, {study.evaluation.test_evaluated_at}"
    return VIOLATED, f"evaluated {uses} times: " + "; ".join(study.split.unseal_reasons)


def _consent_recorded(study):
    d = study.data
    if d.consent_reference or d.dua_reference or d.consent or d.data_use_agreement:
        refs = ", ".join(r for r in (d.consent_reference, d.dua_reference) if r)
        return DONE, "consent / ethics approval / data-use agreement recorded" + (f": {refs}" if refs else "")
    if d.about_humans is False:
        return DONE, "the data are not about people"
    if d.about_humans and d.identifiable is False and d.sensitive is False:
        return DONE, "de-identified data about people, declared not sensitive"
    return OPEN, ""


def _membership_audited(study):
    models = (study.ethics.membership or {}).get("models") or {}
    if not models:
        return OPEN, ""
    return DONE, "; ".join(f"{k} attack AUC {r['auc']:.2f}" for k, r in models.items())


def _dp_recorded(study):
    dp = study.ethics.dp or {}
    if dp.get("weights"):
        return DONE, f"DP-SGD: ε = {dp['epsilon']:.2f}, δ = {dp['delta']:.1g} ({dp['accountant']})"
    if not study.ethics.decided_at:
        return OPEN, ""
    if study.ethics.share_weights == "always" and study.treated_as_sensitive:
        return DONE, "no DP; weights of sensitive data shared by the owner's decision: " + study.ethics.share_reason
    if study.treated_as_sensitive or study.ethics.share_weights == "never":
        return DONE, "no DP; the network's weights are withheld"
    return DONE, "no DP needed: the data are declared not sensitive"


def _card_fields(study):
    e = study.ethics
    if e.intended_use.strip() and e.limitations.strip():
        return DONE, f"intended use: {e.intended_use.strip()[:60]}"
    return OPEN, ""


def _batch_checked(study):
    if not study.batch.explained_variance:
        return OPEN, ""
    if study.batch.silhouette is None:
        return DONE, "PCA inspected; no batch column declared"
    return DONE, f"batch silhouette {study.batch.silhouette:.2f}"


def _shuffle_control(study):
    sh = study.overfitting.shuffle or {}
    if not sh:
        return OPEN, ""
    def num(v) -> str:
        return f"{v:.3f}" if isinstance(v, (int, float)) else "—"

    shuffled = ", ".join(num(v) for v in sh.get("shuffled_tune", []))
    evidence = f"{sh.get('metric')}: real {num(sh.get('real'))} vs shuffled {shuffled}"
    return (VIOLATED, evidence + " — not clearly above") if sh.get("flagged") else (DONE, evidence)


def _learning_curve(study):
    lc = study.overfitting.learning_curve or {}
    if not lc.get("n_train"):
        return OPEN, ""
    return DONE, f"{lc.get('metric')} at {', '.join(map(str, lc['n_train']))} training samples"


def _subgroups(study):
    groups = study.evaluation.tune_groups
    if groups:
        flagged = sum(g["flagged"] for r in groups for g in r["groups"])
        return DONE, (", ".join(r["factor"] for r in groups)
                      + (f"; {flagged} group(s) clearly worse" if flagged else "; no large gap"))
    if study.evaluation.tune_metrics:  # evaluated, and nothing to split by
        return NOT_APPLICABLE, "no batch column or subgroup chosen"
    return OPEN, ""


def _calibration(study):
    panel = study.evaluation.test_metrics or study.evaluation.tune_metrics
    if not panel:
        return OPEN, ""
    if not study.is_classification:
        return NOT_APPLICABLE, "regression"
    if panel.get("ece") is None:
        return OPEN, ""
    brier = panel.get("brier")
    evidence = f"ECE {panel['ece']:.3f}" + (f", Brier {brier:.3f}" if brier is not None else "") + "; reliability diagram"
    limit = study.question.max_calibration_error
    if limit is not None and panel["ece"] > limit:
        return VIOLATED, evidence + f" — above the budget {limit:g}"
    return DONE, evidence


def _verdict_recorded(study):
    v = study.verdict
    if not v.stage or not study.baselines.results:  # a new split drops the baselines it rested on
        return OPEN, ""
    if v.level in ("doubtful", "not warranted") and not v.proceed_reason:
        return OPEN, ""  # advice against going on: the user says why they go on anyway
    evidence = f"{v.level}, {v.stage}"
    return DONE, evidence + (f"; going on because: {v.proceed_reason}" if v.proceed_reason else "")


def _tuned_equally(study):
    from guiapp.core.tuning import budget_report

    budgets = budget_report(study)
    if budgets["equal"] is None:
        return OPEN, ""
    if budgets["equal"]:
        return DONE, f"{budgets['network']} trials each for {len(budgets['baselines'])} baselines and the network"
    return VIOLATED, budgets["text"]


ITEMS = (
    Item("question-stated", 4, "Data", "question", "The scientific question is stated",
         "A clear question decides the data, the metric and what success means.",
         lambda s: _ok(bool(s.question.title.strip()), s.question.title)),
    Item("success-criteria", 4, "Evaluation", "question", "A success criterion is set (metric and target)",
         "Deciding the target before seeing results keeps the evaluation honest.",
         lambda s: _ok(s.question.target_value is not None,
                       f"{s.question.target_metric} ≥ {s.question.target_value}")),
    Item("provenance-recorded", 4, "Data", "data", "Data provenance is recorded (file hash, source, version)",
         "Others can only reproduce a result if they can get the same data.",
         lambda s: _ok(bool(s.data.provenance.sha256), f"SHA-256 {s.data.provenance.sha256[:12]}…")),
    Item("samples-per-class", 1, "Data", "data", "Samples per class are reported",
         "With few samples per class, deep learning rarely beats simpler models.",
         lambda s: _ok(bool(s.data.class_counts) or (not s.is_classification and s.data.n_samples > 0),
                       ", ".join(f"{k}: {v}" for k, v in s.data.class_counts.items()))),
    Item("sensitivity-declared", 10, "Data", "data", "Whether the data are sensitive is declared",
         "Models trained on personal data can leak it; the export depends on this answer.",
         lambda s: _ok(s.data.sensitive is not None,
                       "sensitive" if s.data.sensitive else "not sensitive")),
    Item("batch-effects-checked", 7, "Data", "batch", "Batch effects were looked at",
         "Models learn batches (runs, sites, days) as readily as biology.", _batch_checked),
    Item("test-set-sealed", 7, "Data", "split", "A test set is held out and sealed",
         "Only data the model and its tuning never saw give an honest estimate.",
         lambda s: _ok(s.split.sealed, f"{len(s.split.test_idx)} samples, hash {s.split.test_hash[:12]}…")),
    Item("preprocessing-train-only", 7, "Data", "split", "Preprocessing is fitted on the training split only",
         "Scaling with statistics that include test samples leaks information.",
         lambda s: _ok(s.split.sealed, "imputation and scaling fitted on training rows")),
    Item("baselines-same-split", 2, "Evaluation", "baselines", "Traditional baselines were fitted on the same split",
         "A network is only worth its cost if it beats a well-set simple model.",
         lambda s: _ok(bool(s.baselines.results), ", ".join(r["name"] for r in s.baselines.results))),
    Item("verdict-recorded", 1, "Evaluation", "baselines",
         "The verdict 'is deep learning warranted here?' is recorded (with your reason if you go on against it)",
         "Deep learning costs data, time and transparency; a tuned simple model is often as good.",
         _verdict_recorded),
    Item("architecture-small", 5, "Model", "architecture", "The network starts small; its size is known",
         "A small network that fits the data is easier to train and less prone to overfit.",
         lambda s: _ok(s.architecture.n_params > 0, f"{s.architecture.n_params:,} parameters")),
    Item("baselines-tuned-equally", 2, "Optimization", "architecture",
         "Baselines were tuned with the same budget as the network",
         "A model tuned harder than its rivals looks better for that alone.", _tuned_equally, required=False),
    Item("seed-and-determinism", 3, "Optimization", "train", "One seed and deterministic algorithms are recorded",
         "Without them a rerun gives different numbers and nobody can check yours.",
         lambda s: (DONE, f"seed {s.train.seed}, deterministic") if s.train.history and s.train.deterministic
         else ((VIOLATED, "deterministic algorithms were off") if s.train.history else (OPEN, ""))),
    Item("training-curves", 6, "Optimization", "train", "Training and tune curves were recorded",
         "Curves show whether training converged and when it started to overfit.",
         lambda s: _ok(bool(s.train.history), f"{len(s.train.history)} epochs, best {s.train.best_epoch}")),
    Item("overfitting-checked", 7, "Evaluation", "overfitting", "The train/tune gap was checked",
         "A large gap means the network memorises its training samples.",
         lambda s: _ok(s.overfitting.gap is not None,
                       f"gap {s.overfitting.gap:.3f}" if s.overfitting.gap is not None else "")),
    Item("label-shuffle-control", 7, "Evaluation", "overfitting",
         "The label-shuffle control was run (real vs shuffled labels)",
         "A network that scores no better than one trained on shuffled labels learned nothing real.",
         _shuffle_control, required=False),
    Item("learning-curve", 7, "Evaluation", "overfitting", "The learning curve was inspected",
         "Score against training-set size says whether more data would help and how much is memorised.",
         _learning_curve, required=False),
    Item("imbalance-aware-metrics", 7, "Evaluation", "evaluate", "Metrics that survive imbalance are reported",
         "Accuracy hides a missed minority class; PR AUC and balanced accuracy do not.",
         lambda s: _ok(bool(s.evaluation.tune_metrics), "ROC AUC, PR AUC, balanced accuracy"
                       if s.is_classification else "R², RMSE, MAE")),
    Item("intervals-reported", 9, "Evaluation", "evaluate", "Scores carry confidence intervals",
         "A score from a few hundred samples is uncertain; the interval says how much.",
         lambda s: _ok(any(k.endswith("_ci") for k in s.evaluation.tune_metrics), "bootstrap 95% intervals")),
    Item("compared-with-baselines", 1, "Evaluation", "evaluate", "The network was compared with the best baseline",
         "Deep learning is warranted only where it beats the simpler models.",
         lambda s: _ok(bool(s.evaluation.tune_metrics) and bool(s.baselines.results), "tune-set comparison")),
    Item("subgroup-results", 7, "Evaluation", "evaluate", "Results per batch and per subgroup were reported",
         "A good overall score can hide a hospital, a run or a group of people the model fails.",
         _subgroups, required=False),
    Item("calibration-checked", 9, "Evaluation", "evaluate", "Calibration of the probabilities was checked",
         "A predicted 90% should come true about nine times in ten before anyone acts on it.",
         _calibration, required=False),
    Item("test-used-once", 7, "Evaluation", "evaluate", "The sealed test set was used exactly once",
         "Every extra look at the test set tunes the study to it.", _test_used),
    Item("interpretation-run", 8, "Model", "interpret", "The model's important features were examined",
         "Seeing what a model relies on catches leaks and builds (or removes) trust.",
         lambda s: _ok(bool(s.interpret.importances),
                       ", ".join(i["feature"] for i in s.interpret.importances[:3]))),
    Item("ethics-register", 10, "Data", "ethics", "Ethical concerns are recorded in the register",
         "Writing concerns down — or that there are none — is part of the study.",
         lambda s: _ok(bool(s.ethics.register), f"{len(s.ethics.register)} entries")),
    Item("weights-decision", 10, "Model", "ethics", "The decision on sharing the weights is recorded",
         "Weights trained on sensitive data can leak it; sharing must be a decision.",
         lambda s: _ok(bool(s.ethics.decided_at),
                       f"share weights: {s.ethics.share_weights}, recorded {s.ethics.decided_at}")),
    Item("consent-recorded", 10, "Data", "data", "Consent, ethics (IRB) approval or a data-use agreement is recorded",
         "Data about people may be used only as their consent or agreement allows.", _consent_recorded,
         required=False),
    Item("membership-audit", 10, "Model", "ethics", "A membership-inference audit was run",
         "A model can reveal who was in its training data; the audit measures how much.",
         _membership_audited, required=False),
    Item("dp-recorded", 10, "Model", "ethics", "Whether differential privacy was used is recorded",
         "Only differential privacy gives a formal guarantee for weights that leave the lab.",
         _dp_recorded, required=False),
    Item("card-fields-written", 10, "Model", "ethics", "Intended use and limitations are written",
         "Only the study owner knows what the model is for and where it fails.", _card_fields,
         required=False),
    Item("versions-recorded", 3, "Optimization", "export", "Versions, device and seeds are in the manifest",
         "Library versions and hardware change results; the manifest records them.",
         lambda s: _ok(bool(s.export.exported_at), f"manifest.json, {s.export.exported_at}"), required=False),
)


def evaluate_checklist(study) -> list[dict]:
    """Every item with its status and evidence, from the study alone."""
    rows = []
    for item in ITEMS:
        status, evidence = item.check(study)
        if status == OPEN and item.id in study.attestations:
            status, evidence = ATTESTED, study.attestations[item.id]
        rows.append({"id": item.id, "tip": item.tip, "tip_title": TIPS[item.tip], "dome": item.dome,
                     "step": item.step, "text": item.text, "why": item.why, "status": status,
                     "evidence": evidence, "required": item.required})
    return rows


def blocking_items(study, step_id: str, items: Optional[list] = None) -> list[dict]:
    """Required items of ``step_id`` still open: in guided mode the step cannot be left."""
    items = items if items is not None else evaluate_checklist(study)
    return [i for i in items if i["step"] == step_id and i["required"] and i["status"] == OPEN]


def can_leave(study, step_id: str) -> tuple[bool, str]:
    """Whether Next may leave ``step_id``, and why not, in plain words."""
    if not study.checklist_mode:
        return True, ""
    open_items = blocking_items(study, step_id)
    if not open_items:
        return True, ""
    return False, "Guided mode: before you go on, " + "; ".join(
        f"{i['text'].lower()} (Tip {i['tip']})" for i in open_items) + "."


def summary(items: list[dict]) -> dict:
    out: dict = {}
    for i in items:
        out[i["status"]] = out.get(i["status"], 0) + 1
    out["total"] = len(items)
    return out


def attest(study, item_id: str, reason: str) -> None:
    if not reason.strip():
        from guiapp.core.errors import TenfoldError

        raise TenfoldError("Give a reason when you attest a checklist item yourself.")
    if item_id not in {i.id for i in ITEMS}:
        raise KeyError(item_id)
    study.attestations[item_id] = reason.strip()


assert all(i.step in STEP_IDS for i in ITEMS)
