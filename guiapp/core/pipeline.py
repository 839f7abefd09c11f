"""The whole flow headless: a spec in, a study folder and an export bundle out.

`tenfold run` and `tenfold demo --headless` call :func:`run_study`; it makes the same core
calls, in the same order, as a user clicking through the wizard.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from guiapp.core.study import Study
from guiapp.core.tasks import StopFn

StepFn = Callable[[str, str], None]  # (step title, message)
# Tuning budgets when a spec names none: every baseline and the network get this many trials
# (Tip 2). Small, so a spec runs in minutes; a real study raises it (the wizard suggests 20).
HEADLESS_TRIALS = 3
DEMO_TRIALS, DEMO_TRIAL_EPOCHS = 3, 10


@dataclass
class RunResult:
    study: Study
    out_dir: Path
    files: list = field(default_factory=list)
    seconds: dict = field(default_factory=dict)  # step -> seconds
    weights_shared: bool = False
    weights_reason: str = ""


def demo_spec(name: str, folder: Path, *, max_epochs: int = 100) -> dict:
    """A spec for a built-in dataset; its table is written to ``folder`` as a CSV file."""
    from guiapp.core.demo import load_demo, write_demo

    demo = load_demo(name)
    path = write_demo(demo, Path(folder))
    spec = {
        "question": {"title": demo.description, "task": "classification",
                     "target_metric": "roc_auc", "target_value": 0.9,
                     # budgets the scoreboard checks with measurements (Tip 4)
                     "max_parameters": 50_000, "max_latency_ms": 5.0, "max_training_minutes": 10.0,
                     "max_calibration_error": 0.1},
        "data": {"path": str(path), "label": demo.label, "batch": demo.batch,
                 **({"group": demo.group} if demo.group else {}),
                 "identifiers": ["sample_id"], "sensitive": False,
                 "source": demo.source, "version": demo.version},
        "baselines": {"budget_trials": DEMO_TRIALS},
        "train": {"max_epochs": max_epochs, "budget_trials": DEMO_TRIALS},
        "tuning": {"epochs": DEMO_TRIAL_EPOCHS},
        "ethics": {"concerns": ["Built-in demonstration data: not for clinical or research conclusions."],
                   "intended_use": "Demonstrating and teaching the Tenfold workflow on built-in data.",
                   "out_of_scope": "Any diagnostic, clinical or research conclusion about a person or a disease.",
                   "limitations": "Trained and tested on one small public dataset; performance on other "
                                  "cohorts, instruments or protocols is unknown."},
        # The demo trains the network to show every step, whatever the verdict advises.
        "verdict": {"proceed_reason": "A demonstration of the whole workflow: the network is trained to "
                                      "show each step, not because it is expected to beat the baselines."},
        "checklist": {"guided": True},
    }
    if name == "breast_cancer":  # de-identified measurements of patients' tumours, public since 1995
        spec["data"].update(about_humans=True, identifiable=False)
        # Nuclear shape on its own separates the classes well; the scan flags it, and this says why
        # it is biology rather than a leak.
        spec["checklist"]["attest"] = {
            "label-proxy-checked": "The strongest single features (concave points, perimeter, radius and area "
                                   "of the cell nuclei) are measured on the biopsy image before diagnosis and "
                                   "are known markers of malignancy, not records of the outcome."}
    else:
        spec["data"].update(about_humans=False)
    if demo.batch:  # the simulated runs shift every gene but are not tied to the condition
        spec["batch"] = {"remedy": "none", "remedy_reason": (
            "A teaching demo: the batch effect is left in to show how Tenfold measures it; the runs are "
            "not confounded with the condition, and the results are reported per batch.")}
    return spec


def apply_spec(study: Study, spec: dict) -> None:
    """Copy the spec's settings into the study (everything but the data, which is loaded)."""
    q = spec.get("question", {})
    for key in ("title", "description", "task", "target_metric", "target_value", "max_parameters",
                "max_latency_ms", "max_training_minutes", "max_calibration_error"):
        if key in q:
            setattr(study.question, key, q[key])
    study.data.subgroups = [str(c) for c in spec.get("data", {}).get("subgroups", study.data.subgroups)]
    if "threshold" in spec.get("evaluate", {}):
        from guiapp.core.evaluate import set_threshold

        set_threshold(study, spec["evaluate"]["threshold"])
    if "target_metric" not in q:
        study.question.target_metric = "roc_auc" if study.is_classification else "r2"
    for key, value in spec.get("split", {}).items():
        setattr(study.split, key, [str(v) for v in value] if key == "holdout_batches" else value)
    if "models" in spec.get("baselines", {}):
        study.baselines.models = list(spec["baselines"]["models"])
    study.baselines.budget_trials = int(spec.get("baselines", {}).get("budget_trials", HEADLESS_TRIALS))
    study.train.budget_trials = int(spec.get("train", {}).get("budget_trials", HEADLESS_TRIALS))
    for key, value in spec.get("tuning", {}).items():
        setattr(study.tuning, key, value)
    for key, value in spec.get("train", {}).items():
        setattr(study.train, key, value)
    study.checklist_mode = spec.get("checklist", {}).get("guided", study.checklist_mode)
    from guiapp.core.checklist import attest

    for item_id, reason in spec.get("checklist", {}).get("attest", {}).items():
        attest(study, item_id, reason)  # used only while the study shows no evidence for the item


def flow_order_findings(study) -> None:
    """Findings in the flow's order (by step, then code), whatever order the steps ran in.

    A resumed run keeps some steps and reruns others, so the order in which findings were
    raised depends on where a kill landed; the card, the report and metrics.json list them in
    one order that does not.
    """
    from guiapp.core.steps import STEP_IDS

    rank = {step: i for i, step in enumerate(STEP_IDS)}
    study.findings.sort(key=lambda f: (rank.get(f.step, len(rank)), f.code))


def run_study(spec: dict, out_dir, *, study_dir=None, on_step: Optional[StepFn] = None,
              should_stop: Optional[StopFn] = None, resume: bool = False) -> RunResult:
    """Every step of the wizard, in order, on the spec's data; writes the export bundle.

    With ``resume``, an existing study folder (say, of a job killed on a cluster) is
    reopened: finished steps are kept, training continues from its last checkpoint, and the
    sealed test set is never evaluated a second time.
    """
    from guiapp.core import (architecture, baselines, batch, data, ethics, evaluate, interpret, learning_curve,
                             membership, network_search, privacy_dp, shuffle_control, split, train, transfer,
                             verdict)
    from guiapp.core.export import write_bundle
    from guiapp.core.metrics import metric_names

    from guiapp.core.study import STUDY_FILE

    out_dir = Path(out_dir)
    folder = Path(study_dir) if study_dir else out_dir / "study"
    resumed = resume and (folder / STUDY_FILE).is_file()
    if resumed:
        study = Study.open(folder)
        if study.data.provenance.path:  # a kill during the Data step leaves no data to reload
            data.reload_table(study)
    else:
        study = Study()
        apply_spec(study, spec)
    if study.question.target_metric not in metric_names(study.question.task):
        from guiapp.core.errors import SpecError

        raise SpecError(f"[question] target_metric = {study.question.target_metric!r} does not fit "
                        f"a {study.question.task} task; choose one of {', '.join(metric_names(study.question.task))}.")
    study.save(folder)
    d = spec["data"]
    m = spec.get("model", {})
    p = spec.get("privacy", {})
    it = spec.get("interpret", {})
    seconds: dict = {}
    report = on_step or (lambda title, message: None)

    def step(title, fn, done=False):
        if done:
            report(title, "kept from the earlier run")
            return None
        report(title, "…")
        t0 = time.perf_counter()
        result = fn()
        seconds[title] = round(time.perf_counter() - t0, 2)
        study.save()
        report(title, f"done in {seconds[title]:.1f} s")
        return result

    kw = {"should_stop": should_stop}
    # every [data] key: formats, sample sheet, orientation, roles, missing values, provenance
    step("Data", lambda: data.attach_from_spec(study, d, **kw), done=resumed and bool(study.data.provenance.path))
    remedy = spec.get("batch", {})

    def batch_step():
        report = batch.batch_effect_report(study, **kw)
        if remedy.get("remedy", "none") != "none" or remedy.get("remedy_reason"):
            batch.choose_remedy(study, remedy.get("remedy", "none"), remedy.get("remedy_reason", ""))
        return report

    def split_step():
        split.split_study(study)
        if study.batch.remedy == "combat":
            batch.remedy_effect(study, **kw)  # before/after metrics on the training split

    step("Batch effects", batch_step, done=resumed and bool(study.batch.explained_variance))
    step("Split", split_step, done=resumed and study.split.sealed)
    step("Baselines", lambda: baselines.fit_baselines(study, **kw),
         done=resumed and bool(study.baselines.results))
    proceed = spec.get("verdict", {}).get("proceed_reason", "")

    def record_proceed_reason():
        if proceed and verdict.needs_reason(study):
            verdict.record_reason(study, proceed)

    record_proceed_reason()
    def architecture_step():
        kind = m.get("architecture", "auto")
        if kind == "auto":  # the kind the data's modality calls for (Tip 5)
            kind = architecture.recommendation(study).kind
        architecture.set_architecture(study, width=m.get("width", 64), depth=m.get("depth", 2),
                                      dropout=m.get("dropout", 0.1), kind=kind)
        if m.get("pretrained"):
            transfer.set_pretrained(study, m["pretrained"], freeze=m.get("freeze", False))

    step("Architecture", architecture_step, done=resumed and study.architecture.n_params > 0)
    if p.get("dp_epsilon") is not None:  # refused now, not after the whole training
        privacy_dp.refuse_unfit_architecture(study)
    # The network gets the baselines' budget; its best settings replace [model] and [train] ones.
    searched = study.tuning.network.get("n_trials", 0) >= study.train.budget_trials
    if study.train.budget_trials > 0:
        step("Network search", lambda: network_search.tune_network(study, **kw), done=resumed and searched)
    step("Train", lambda: train.train_network(study, resume=True, **kw),
         done=resumed and study.train.status == "done")
    step("Overfitting", lambda: evaluate.overfitting_check(study, **kw))
    ev = spec.get("evaluate", {})
    step("Learning curve", lambda: learning_curve.learning_curve(
        study, ev.get("learning_curve", learning_curve.DEFAULT_FRACTIONS), **kw),
        done=resumed and bool(study.overfitting.learning_curve))
    step("Label-shuffle control", lambda: shuffle_control.label_shuffle_control(
        study, ev.get("shuffle_repeats", shuffle_control.DEFAULT_REPEATS), **kw),
        done=resumed and bool(study.overfitting.shuffle))
    step("Evaluate (tune)", lambda: evaluate.evaluate_on_tune(study, **kw))
    step("Verdict", lambda: verdict.compare_with_network(study, **kw))
    record_proceed_reason()
    # The sealed test set is read once; a resumed run keeps the first reading, and finishes a
    # reading that a kill cut short as the same use (see evaluate.finalize_test_evaluation).
    step("Evaluate (sealed test, once)", lambda: evaluate.finalize_test_evaluation(study, **kw),
         done=study.split.test_uses >= 1 and not study.split.test_read_pending)
    step("Interpret", lambda: interpret.interpret_model(
        study, n_repeats=it.get("repeats", 5), top=it.get("top", 20),
        attributions=it.get("integrated_gradients", True), **kw),
        done=resumed and bool(study.interpret.importances))

    if p.get("dp_epsilon") is not None:
        step("Differential privacy", lambda: privacy_dp.train_with_dp(
            study, p["dp_epsilon"], delta=p.get("dp_delta"), epochs=p.get("dp_epochs"),
            max_grad_norm=p.get("dp_max_grad_norm", privacy_dp.DEFAULT_MAX_GRAD_NORM), **kw),
            done=resumed and bool(study.ethics.dp.get("weights")))
    if p.get("membership_audit", True):
        step("Membership audit", lambda: membership.membership_inference_audit(study, **kw))

    def ethics_step():
        known = {e["concern"] for e in study.ethics.register}
        for concern in spec.get("ethics", {}).get("concerns", []):
            if concern not in known:
                ethics.add_entry(study, concern, raised_by="study spec")
        ethics.set_sensitivity_answers(study, **{k: d[k] for k in ethics.ANSWERS if k in d})
        ethics.set_sensitivity(study, d.get("sensitive"))
        ethics.set_card_fields(study, **{k: v for k, v in spec.get("ethics", {}).items() if k in ethics.CARD_FIELDS})
        ethics.sync_register(study)  # findings that are ethical concerns open entries by themselves
        # The spec's choice (or its default, "auto") is the recorded decision.
        ethics.set_share_weights(study, p.get("share_weights", "auto"), p.get("share_reason", ""))

    step("Ethics & privacy", ethics_step)
    flow_order_findings(study)
    study.export.onnx = bool(spec.get("export", {}).get("onnx", study.export.onnx))
    exported = step("Export", lambda: write_bundle(study, out_dir,
                                                   predictions=evaluate.test_predictions(study)))
    return RunResult(study=study, out_dir=out_dir, files=list(exported.files), seconds=seconds,
                     weights_shared=exported.weights_shared, weights_reason=exported.reason)
