"""The whole flow headless: a spec in, a study folder and an export bundle out.

`tenfold run` and `tenfold demo --headless` call :func:`run_study`; it makes the same core
calls, in the same order, as a user clicking through the wizard.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from guiapp.core.study.errors import BlockingFindings
from guiapp.core.study.model import Study
from guiapp.core.study.task_context import StopFn

StepFn = Callable[[str, str], None]  # (step title, message)
# Tuning budgets when a spec names none: every baseline and the network get this many trials
# (Tip 2). Small, so a spec runs in minutes; a real study raises it (the wizard suggests 20).
HEADLESS_TRIALS = 3
DEMO_TRIALS, DEMO_TRIAL_EPOCHS = 3, 10
# [question] keys of the generalizability, interpretability and efficiency criteria (guiapp.core.evaluation.criteria)
CRITERIA_KEYS = (
    "min_generalization",
    "max_generalization_drop",
    "min_attribution_stability",
    "min_linear_agreement",
    "known_markers",
    "min_known_markers",
    "interpretability_top_k",
    "max_inference_memory_mb",
    "min_throughput",
)


@dataclass
class RunResult:
    study: Study
    out_dir: Path
    files: list = field(default_factory=list)
    seconds: dict = field(default_factory=dict)  # step -> seconds
    weights_shared: bool = False
    weights_reason: str = ""
    study_dir: Path | None = None
    notes: list = field(default_factory=list)  # e.g. a stale lock taken over
    manifest_sha256: str = ""  # of the bundle's manifest.json (see `tenfold verify`)


def demo_spec(name: str, folder: Path, *, max_epochs: int = 100) -> dict:
    """A spec for a built-in dataset; its table is written to ``folder`` as a CSV file."""
    from guiapp.core.data.demo import load_demo, write_demo

    demo = load_demo(name)
    path = write_demo(demo, Path(folder))
    spec = {
        "question": {
            "title": demo.description,
            "task": "classification",
            "target_metric": "roc_auc",
            "target_value": 0.9,
            # budgets the scoreboard checks with measurements (Tip 4)
            "max_parameters": 50_000,
            "max_latency_ms": 5.0,
            "max_training_minutes": 10.0,
            "max_calibration_error": 0.1,
        },
        "data": {
            "path": str(path),
            "label": demo.label,
            "batch": demo.batch,
            **({"group": demo.group} if demo.group else {}),
            "identifiers": ["sample_id"],
            "sensitive": False,
            "source": demo.source,
            "version": demo.version,
        },
        "baselines": {"budget_trials": DEMO_TRIALS},
        "train": {"max_epochs": max_epochs, "budget_trials": DEMO_TRIALS},
        "tuning": {"epochs": DEMO_TRIAL_EPOCHS},
        "ethics": {
            "concerns": ["Built-in demonstration data: not for clinical or research conclusions."],
            "intended_use": "Demonstrating and teaching the Tenfold workflow on built-in data.",
            "out_of_scope": "Any diagnostic, clinical or research conclusion about a person or a disease.",
            "limitations": "Trained and tested on one small public dataset; performance on other "
            "cohorts, instruments or protocols is unknown.",
        },
        # The demo trains the network to show every step, whatever the verdict advises.
        "verdict": {
            "proceed_reason": "A demonstration of the whole workflow: the network is trained to "
            "show each step, not because it is expected to beat the baselines."
        },
        "checklist": {"guided": True},
    }
    if name == "breast_cancer":  # de-identified measurements of patients' tumours, public since 1995
        spec["data"].update(about_humans=True, identifiable=False)
        # Nuclear shape on its own separates the classes well; the scan flags it, and this says why
        # it is biology rather than a leak.
        known_markers = (
            "The strongest single features (concave points, perimeter, radius and area "
            "of the cell nuclei) are measured on the biopsy image before diagnosis and "
            "are known markers of malignancy, not records of the outcome."
        )
        spec["checklist"]["attest"] = {"label-proxy-checked": known_markers}
        # The card's box of caveats shows the same reason beside the finding.
        spec["findings"] = {"accept": {"label-proxy-feature": known_markers}}
    else:
        spec["data"].update(about_humans=False)
    if name == "simulated_expression":
        # An independent cohort from "another lab" (its own batch shift, the same biology), and the
        # criteria that it and the study's batches measure (guiapp.core.evaluation.criteria).
        from guiapp.core.data.demo import another_lab

        lab = another_lab()
        lab_path = Path(folder) / "simulated_expression_lab_b.csv"
        lab.table.to_csv(lab_path, index=False)
        spec["external"] = [{"path": str(lab_path), "label": lab.label, "name": "Another lab (simulated)"}]
        spec["question"].update(
            min_generalization=0.8,
            max_generalization_drop=0.1,
            min_linear_agreement=0.5,
            known_markers=list(demo.informative[:3]),
            interpretability_top_k=10,
            min_attribution_stability=0.5,
            max_inference_memory_mb=5.0,
            min_throughput=1000.0,
        )
    if demo.batch:  # the simulated runs shift every gene but are not tied to the condition
        spec["batch"] = {
            "remedy": "none",
            "remedy_reason": (
                "A teaching demo: the batch effect is left in to show how Tenfold measures it; the runs are "
                "not confounded with the condition, and the results are reported per batch."
            ),
        }
    return spec


def apply_spec(study: Study, spec: dict) -> None:
    """Copy the spec's settings into the study (everything but the data, which is loaded)."""
    q = spec.get("question", {})
    for key in (
        "title",
        "description",
        "task",
        "target_metric",
        "target_value",
        "max_parameters",
        "max_latency_ms",
        "max_training_minutes",
        "max_calibration_error",
        *CRITERIA_KEYS,
    ):
        if key in q:
            setattr(study.question, key, q[key])
    study.data.subgroups = [str(c) for c in spec.get("data", {}).get("subgroups", study.data.subgroups)]
    if "threshold" in spec.get("evaluate", {}):
        from guiapp.core.evaluation.evaluate import set_threshold

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
    from guiapp.core.guidance.checklist import attest

    for item_id, reason in spec.get("checklist", {}).get("attest", {}).items():
        attest(study, item_id, reason)  # used only while the study shows no evidence for the item


SPLIT_DRAW_KEYS = ("strategy", "test_fraction", "tune_fraction", "seed", "holdout_batches", "keep_copies_together")


def _resume_split_changes(study: Study, spec: dict) -> bool:
    """On ``--resume``: does the spec now ask for another split (a ``[split]`` key or a
    ``[batch]`` remedy written in after a stopped run)? When nothing has used the split yet (no
    network trained, the sealed test set unread), the spec's keys are applied and the split is
    drawn again, with everything after it; otherwise the run is refused with what to do."""
    from guiapp.core.study.errors import SpecError

    s, wanted = study.split, spec.get("split", {})
    changed = [
        f"[split] {k} = {wanted[k]!r}"
        for k in SPLIT_DRAW_KEYS
        if k in wanted and (([str(v) for v in wanted[k]] if k == "holdout_batches" else wanted[k]) != getattr(s, k))
    ]
    remedy = spec.get("batch", {}).get("remedy", "none")
    if remedy != "none" and remedy != study.batch.remedy:
        changed.append(f"[batch] remedy = {remedy!r}")
    if not changed or not s.sealed:
        return False
    if s.test_uses > 0 or study.train.status != "not started" or study.train.history:
        used = "the sealed test set was read" if s.test_uses > 0 else "a network was trained on it"
        raise SpecError(
            f"The spec now asks for another split ({'; '.join(changed)}), but this study's split "
            f"was already used ({used}); drawing it again would hide what the results were "
            "measured on (Tip 7). Run the edited spec as a new study: the same command with "
            "another --out folder and without --resume."
        )
    for key in SPLIT_DRAW_KEYS:
        if key in wanted:
            setattr(s, key, [str(v) for v in wanted[key]] if key == "holdout_batches" else wanted[key])
    study.tuning.network = {}  # searched on the old split; drawn again below with the baselines
    return True


def refuse_too_few_samples(study) -> None:
    """Stop before any later step when the data hold too few samples for a study (exit code 3)."""
    from guiapp.core.study.errors import StudyBlocked
    from guiapp.core.study.findings import Findings

    found = [f for f in study.findings if f.code == Findings.too_few_samples.code]
    if found:
        raise StudyBlocked(found[0].message, codes=[found[0].code])


def flow_order_findings(study) -> None:
    """Findings in the flow's order (by step, then code), whatever order the steps ran in.

    A resumed run keeps some steps and reruns others, so the order in which findings were
    raised depends on where a kill landed; the card, the report and metrics.json list them in
    one order that does not.
    """
    from guiapp.core.study.steps import STEP_IDS

    rank = {step: i for i, step in enumerate(STEP_IDS)}
    study.findings.sort(key=lambda f: (rank.get(f.step, len(rank)), f.code))


def run_study(
    spec: dict,
    out_dir,
    *,
    study_dir=None,
    on_step: StepFn | None = None,
    should_stop: StopFn | None = None,
    resume: bool = False,
    search_only: bool = False,
) -> RunResult:
    """Every step of the wizard, in order, on the spec's data; writes the export bundle.

    With ``resume``, an existing study folder (say, of a job killed on a cluster) is
    reopened: finished steps are kept, training continues from its last checkpoint, and the
    sealed test set is never evaluated a second time.

    The study folder (``study_dir``; default ``<out_dir>.study`` beside the bundle) never lies
    inside ``out_dir``: the bundle holds only what may be shared. The run holds the study's
    lock (:mod:`guiapp.core.study.lock`) from start to end, so a second writer is refused.

    With ``search_only`` (a helper worker of a shared search, :mod:`guiapp.core.workers`) the run
    stops once the baselines' and the network's searches are done, and writes no bundle.
    """
    from guiapp.core.study.lock import StudyLock
    from guiapp.core.study.places import check_apart, default_study_dir

    out_dir = Path(out_dir)
    folder = Path(study_dir) if study_dir else default_study_dir(out_dir)
    check_apart(out_dir, folder)  # before any work: the bundle is shared, the study folder is not
    lock = StudyLock(folder, command="tenfold run" + (" --resume" if resume else "")).acquire()
    if lock.note and on_step is not None:
        on_step("Study lock", lock.note)
    try:
        result = _run_locked(
            spec, out_dir, folder, on_step=on_step, should_stop=should_stop, resume=resume, search_only=search_only
        )
    finally:
        lock.release()
    if lock.note:
        result.notes.append(lock.note)
    return result


def _run_locked(
    spec: dict,
    out_dir: Path,
    folder: Path,
    *,
    on_step: StepFn | None,
    should_stop: StopFn | None,
    resume: bool,
    search_only: bool = False,
) -> RunResult:
    from guiapp.core.batch import effects as batch
    from guiapp.core.data import attach as data
    from guiapp.core.evaluation import cross_validation, evaluate, learning_curve, shuffle_control, verdict
    from guiapp.core.export.write import write_bundle
    from guiapp.core.interpretation import interpret
    from guiapp.core.models import baselines, network_search, train, transfer
    from guiapp.core.models import recommend as architecture
    from guiapp.core.privacy import dp as privacy_dp
    from guiapp.core.privacy import ethics, membership
    from guiapp.core.split import draw as split
    from guiapp.core.stats.metrics import metric_names
    from guiapp.core.study import blocking
    from guiapp.core.study.model import STUDY_FILE

    resumed = resume and (folder / STUDY_FILE).is_file()
    redraw = False
    if resumed:
        study = Study.open(folder)
        if study.data.provenance.path:  # a kill during the Data step leaves no data to reload
            data.reload_table(study)
            redraw = _resume_split_changes(study, spec)
    else:
        study = Study()
        apply_spec(study, spec)
    # [findings] accept is read on every run, a resumed one too: editing the spec is how a
    # stopped run's findings get accepted.
    blocking.apply_spec_acceptances(study, spec.get("findings", {}).get("accept", {}))
    if study.question.target_metric not in metric_names(study.question.task):
        from guiapp.core.study.errors import SpecError

        raise SpecError(
            f"[question] target_metric = {study.question.target_metric!r} does not fit "
            f"a {study.question.task} task; choose one of {', '.join(metric_names(study.question.task))}."
        )
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

    def stop_if_blocked(up_to_step, before):
        """Findings that block, and are neither remedied nor accepted, stop the run here; the
        study folder keeps every finished step for --resume."""
        found = blocking.unresolved_blocking(study, up_to_step)
        if found:
            report("Findings", f"{len(found)} block the study; stopped before {before}")
            study.save()
            raise BlockingFindings(blocking.blocking_message(found, before), found, before)

    # every [data] key: formats, sample sheet, orientation, roles, missing values, provenance
    step("Data", lambda: data.attach_from_spec(study, d, **kw), done=resumed and bool(study.data.provenance.path))
    refuse_too_few_samples(study)
    ignored = [c for c, role in d.get("roles", {}).items() if role == "ignore"]
    if ignored:  # a leaking column the spec set aside is the leak remedy, recorded for the card
        from guiapp.core.data.leaks import record_columns_set_aside

        record_columns_set_aside(study, ignored)
    if spec.get("external"):  # a cohort that does not fit the study fails now, not after training
        from guiapp.core.evaluation import external

        step("External cohorts (checked)", lambda: [external.check_cohort(study, c) for c in spec["external"]])
    study.export.carry = [str(c) for c in spec.get("export", {}).get("carry", study.export.carry)]
    if study.export.carry:  # a personal or unknown column is refused now, not after the training
        from guiapp.core.export.leaving import carried_columns

        carried_columns(study, [*study.data.roles, *(study.table.columns if study.table is not None else [])])
    remedy = spec.get("batch", {})

    def batch_step():
        report = batch.batch_effect_report(study, **kw)
        # Copies that share a column's value name the group (replicates, repeated patients): the
        # group split is applied, with a recorded note, unless the spec chose a group or a split.
        proposed = study.batch.group_suggestions[0] if study.batch.group_suggestions else {}
        if (
            proposed.get("from_copies")
            and not d.get("group")
            and "strategy" not in spec.get("split", {})
            and remedy.get("remedy", "none") == "none"
        ):
            batch.apply_group_remedy(study, proposed["column"], automatic=True)
        if remedy.get("remedy", "none") != "none" or remedy.get("remedy_reason"):
            batch.choose_remedy(study, remedy.get("remedy", "none"), remedy.get("remedy_reason", ""))
        return report

    def split_step():
        split.split_study(study)
        if study.batch.remedy == "combat":
            batch.remedy_effect(study, **kw)  # before/after metrics on the training split

    step("Batch effects", batch_step, done=resumed and bool(study.batch.explained_variance) and not redraw)
    step("Split", split_step, done=resumed and study.split.sealed and not redraw)
    stop_if_blocked("split", "training")

    def baselines_step():
        results = baselines.fit_baselines(study, **kw)
        verdict.assess_before_training(study)  # the verdict from the data and the fitted baselines
        return results

    step("Baselines", baselines_step, done=resumed and bool(study.baselines.results))
    proceed = spec.get("verdict", {}).get("proceed_reason", "")

    def record_proceed_reason():
        if proceed and verdict.needs_reason(study):
            verdict.record_reason(study, proceed)

    record_proceed_reason()

    def architecture_step():
        kind = m.get("architecture", "auto")
        if kind == "auto":  # the kind the data's modality calls for (Tip 5)
            kind = architecture.recommendation(study).kind
        architecture.set_architecture(
            study, width=m.get("width", 64), depth=m.get("depth", 2), dropout=m.get("dropout", 0.1), kind=kind
        )
        if m.get("pretrained"):
            transfer.set_pretrained(study, m["pretrained"], freeze=m.get("freeze", False))

    step("Architecture", architecture_step, done=resumed and study.architecture.n_params > 0)
    if p.get("dp_epsilon") is not None:  # refused now, not after the whole training
        privacy_dp.refuse_unfit_architecture(study)
    # The network gets the baselines' budget; its best settings replace [model] and [train] ones.
    searched = study.tuning.network.get("n_trials", 0) >= study.train.budget_trials
    if study.train.budget_trials > 0:

        def search_step():
            record = network_search.tune_network(study, **kw)
            verdict.refresh_findings(study)  # the budgets compared: equal or not
            return record

        step("Network search", search_step, done=resumed and searched)
    if search_only:  # a helper worker: the searches are shared, the rest is worker 0's
        return RunResult(study=study, out_dir=out_dir, seconds=seconds, study_dir=folder)
    stop_if_blocked("train", "training")
    step("Train", lambda: train.train_network(study, resume=True, **kw), done=resumed and study.train.status == "done")
    step("Overfitting", lambda: evaluate.overfitting_check(study, **kw))
    ev = spec.get("evaluate", {})
    step(
        "Learning curve",
        lambda: learning_curve.learning_curve(study, ev.get("learning_curve", learning_curve.DEFAULT_FRACTIONS), **kw),
        done=resumed and bool(study.overfitting.learning_curve),
    )
    step(
        "Label-shuffle control",
        lambda: shuffle_control.label_shuffle_control(
            study, ev.get("shuffle_repeats", shuffle_control.DEFAULT_REPEATS), **kw
        ),
        done=resumed and bool(study.overfitting.shuffle),
    )
    step("Evaluate (tune)", lambda: evaluate.evaluate_on_tune(study, **kw))
    # Parts too small to judge alone: repeated stratified k-fold with nested tuning ([split] cv).
    if cross_validation.cv_reason(study):
        step(
            "Cross-validation",
            lambda: cross_validation.cross_validate(study, **kw),
            done=resumed and bool(study.evaluation.cv),
        )
    step("Verdict", lambda: verdict.compare_with_network(study, **kw))
    record_proceed_reason()
    # The sealed test set is read once; a resumed run keeps the first reading, and finishes a
    # reading that a kill cut short as the same use (see evaluate.finalize_test_evaluation).
    step(
        "Evaluate (sealed test, once)",
        lambda: evaluate.finalize_test_evaluation(study, **kw),
        done=study.split.test_uses >= 1 and not study.split.test_read_pending,
    )
    step(
        "Interpret",
        lambda: interpret.interpret_model(
            study,
            n_repeats=it.get("repeats", 5),
            top=it.get("top", 20),
            attributions=it.get("integrated_gradients", True),
            **kw,
        ),
        done=resumed and bool(study.interpret.importances),
    )

    generalization_steps(study, spec, step, kw)

    if p.get("dp_epsilon") is not None:
        step(
            "Differential privacy",
            lambda: privacy_dp.train_with_dp(
                study,
                p["dp_epsilon"],
                delta=p.get("dp_delta"),
                epochs=p.get("dp_epochs"),
                max_grad_norm=p.get("dp_max_grad_norm", privacy_dp.DEFAULT_MAX_GRAD_NORM),
                **kw,
            ),
            done=resumed and bool(study.ethics.dp.get("weights")),
        )
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
    stop_if_blocked(None, "export")
    flow_order_findings(study)
    study.export.onnx = bool(spec.get("export", {}).get("onnx", study.export.onnx))
    exported = step("Export", lambda: write_bundle(study, out_dir, predictions=evaluate.test_predictions(study)))
    return RunResult(
        study=study,
        out_dir=out_dir,
        files=list(exported.files),
        seconds=seconds,
        weights_shared=exported.weights_shared,
        weights_reason=exported.reason,
        study_dir=folder,
        manifest_sha256=exported.manifest_sha256,
    )


def generalization_steps(study, spec: dict, step, kw: dict) -> None:
    """External cohorts (once each), the leave-one-batch-out estimate, attribution stability and
    efficiency, after the sealed test set and the interpretation."""
    from guiapp.core.evaluation import criteria, external, generalization

    q, ev, it = study.question, spec.get("evaluate", {}), spec.get("interpret", {})
    for c in spec.get("external", []):
        # A resumed run keeps a cohort's reading; a reason in the spec not yet recorded asks for another one.
        earlier = external._find(study, c["name"])
        done = earlier is not None and (not c.get("reason") or c["reason"].strip() in earlier.get("reasons", []))
        step(
            f"External cohort {c['name']}",
            lambda c=c: external.evaluate_cohort(
                study,
                c["path"],
                label=c["label"],
                name=c["name"],
                samples=c.get("samples", ""),
                reason=c.get("reason", ""),
                **kw,
            ),
            done=done,
        )
    if study.data.batch and ev.get("leave_one_batch_out", True):
        step(
            "Leave-one-batch-out estimate",
            lambda: generalization.leave_one_batch_out(
                study, network_epochs=ev.get("lobo_epochs", generalization.LOBO_EPOCHS), **kw
            ),
            done=bool(study.evaluation.generalization),
        )
    refits = it.get(
        "stability_refits", generalization.STABILITY_REFITS if q.min_attribution_stability is not None else 0
    )
    if refits:
        step("Attribution stability", lambda: generalization.attribution_stability(study, refits=refits, **kw))
    step("Efficiency", lambda: criteria.measure_efficiency(study, **kw))
    criteria.refresh_findings(study)
