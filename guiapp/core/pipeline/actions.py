"""What the rows of the headless run call: the steps that need more than one core call, and the
gates and spec settings between them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from guiapp.core.batch import effects as batch
from guiapp.core.batch import remedy as batch_remedy
from guiapp.core.data.what_leaves import carried_columns
from guiapp.core.evaluation import external, generalization, sealed_test, verdict
from guiapp.core.export.write import write_bundle
from guiapp.core.interpretation import interpret
from guiapp.core.models import baselines, network_search, transfer
from guiapp.core.models import recommend as architecture
from guiapp.core.pipeline.table import Row, Run
from guiapp.core.privacy import dp as privacy_dp
from guiapp.core.privacy import ethics
from guiapp.core.split import draw as split
from guiapp.core.split import remedy_actions
from guiapp.core.split.leak_remedies import record_columns_set_aside
from guiapp.core.study import blocking
from guiapp.core.study.errors import BlockingFindings, StudyBlocked
from guiapp.core.study.findings import Findings
from guiapp.core.study.model import Study
from guiapp.core.study.steps import STEP_IDS

# ----- gates and checks ---------------------------------------------------------------------


def refuse_too_few_samples(study: Study) -> None:
    """Stop before any later step when the data hold too few samples for a study (exit code 3)."""
    found = [f for f in study.findings if f.code == Findings.too_few_samples.code]
    if found:
        raise StudyBlocked(found[0].message, codes=[found[0].code])


def flow_order_findings(study: Study) -> None:
    """Findings in the flow's order (by step, then code), whatever order the steps ran in.

    A resumed run keeps some steps and reruns others, so the order in which findings were
    raised depends on where a kill landed; the card, the report and metrics.json list them in
    one order that does not.
    """
    rank = {step: i for i, step in enumerate(STEP_IDS)}
    study.findings.sort(key=lambda f: (rank.get(f.step, len(rank)), f.code))


def stop_if_blocked(up_to_step: str | None, before: str) -> Callable[[Run], None]:
    def gate(run: Run) -> None:
        """Findings that block, and are neither remedied nor accepted, stop the run here; the
        study folder keeps every finished step for --resume."""
        found = blocking.unresolved_blocking(run.study, up_to_step)
        if found:
            run.report("Findings", f"{len(found)} block the study; stopped before {before}")
            run.study.save()
            raise BlockingFindings(blocking.blocking_message(found, before), found, before)

    return gate


def set_aside(run: Run) -> None:
    ignored = [c for c, role in run.section("data").get("roles", {}).items() if role == "ignore"]
    if ignored:  # a leaking column the spec set aside is the leak remedy, recorded for the card
        record_columns_set_aside(run.study, ignored)


def carry(run: Run) -> None:
    study = run.study
    study.export.carry = [str(c) for c in run.section("export").get("carry", study.export.carry)]
    if study.export.carry:  # a personal or unknown column is refused now, not after the training
        carried_columns(study, [*study.data.roles, *(study.table.columns if study.table is not None else [])])


def proceed_reason(run: Run) -> None:
    proceed = run.section("verdict").get("proceed_reason", "")
    if proceed and verdict.needs_reason(run.study):
        verdict.record_reason(run.study, proceed)


def wants_dp(run: Run) -> bool:
    return run.section("privacy").get("dp_epsilon") is not None


def before_export(run: Run) -> None:
    flow_order_findings(run.study)
    run.study.export.onnx = bool(run.section("export").get("onnx", run.study.export.onnx))


# ----- the steps ------------------------------------------------------------------------------


def batch_step(run: Run) -> Any:
    study, d, remedy = run.study, run.section("data"), run.section("batch")
    report = batch.batch_effect_report(study, **run.kw)
    # Copies that share a column's value name the group (replicates, repeated patients): the
    # group split is applied, with a recorded note, unless the spec chose a group or a split.
    proposed = study.batch.group_suggestions[0] if study.batch.group_suggestions else {}
    if (
        proposed.get("from_copies")
        and not d.get("group")
        and "strategy" not in run.section("split")
        and remedy.get("remedy", "none") == "none"
    ):
        remedy_actions.apply_group_remedy(study, proposed["column"], automatic=True)
    if remedy.get("remedy", "none") != "none" or remedy.get("remedy_reason"):
        remedy_actions.choose_remedy(study, remedy.get("remedy", "none"), remedy.get("remedy_reason", ""))
    return report


def split_step(run: Run) -> None:
    split.split_study(run.study)
    if run.study.batch.remedy == "combat":
        batch_remedy.remedy_effect(run.study, **run.kw)  # before/after metrics on the training split


def baselines_step(run: Run) -> Any:
    """The tuned baselines, then the verdict from the data and the fitted baselines."""
    results = baselines.fit_baselines(run.study, **run.kw)
    verdict.assess_before_training(run.study)
    return results


def search_step(run: Run) -> Any:
    """The network's search, then the verdict's findings again: the budgets compared, equal or not."""
    record = network_search.tune_network(run.study, **run.kw)
    verdict.refresh_findings(run.study)
    return record


def architecture_step(run: Run) -> None:
    m, study = run.section("model"), run.study
    kind = m.get("architecture", "auto")
    if kind == "auto":  # the kind the data's modality calls for (Tip 5)
        kind = architecture.recommendation(study).kind
    architecture.set_architecture(
        study, width=m.get("width", 64), depth=m.get("depth", 2), dropout=m.get("dropout", 0.1), kind=kind
    )
    if m.get("pretrained"):
        transfer.set_pretrained(study, m["pretrained"], freeze=m.get("freeze", False))


def interpret_step(run: Run) -> None:
    it = run.section("interpret")
    interpret.interpret_model(
        run.study,
        n_repeats=it.get("repeats", 5),
        top=it.get("top", 20),
        attributions=it.get("integrated_gradients", True),
        **run.kw,
    )


def external_rows(run: Run) -> list[Row]:
    """One step per external cohort, each read once; a resumed run keeps a cohort's reading,
    and a reason in the spec not yet recorded asks for another one."""

    def row(c: dict) -> Row:
        def kept(run: Run) -> bool:
            earlier = external._find(run.study, c["name"])
            return earlier is not None and (not c.get("reason") or c["reason"].strip() in earlier.get("reasons", []))

        def evaluate_cohort(run: Run) -> Any:
            return external.evaluate_cohort(
                run.study,
                c["path"],
                label=c["label"],
                name=c["name"],
                samples=c.get("samples", ""),
                reason=c.get("reason", ""),
                **run.kw,
            )

        return Row("evaluate", evaluate_cohort, title=f"External cohort {c['name']}", kept=kept)

    return [row(c) for c in run.spec.get("external", [])]


def stability_refits(run: Run) -> int:
    default = generalization.STABILITY_REFITS if run.study.question.min_attribution_stability is not None else 0
    return run.section("interpret").get("stability_refits", default)


def dp_step(run: Run) -> Any:
    p = run.section("privacy")
    return privacy_dp.train_with_dp(
        run.study,
        p["dp_epsilon"],
        delta=p.get("dp_delta"),
        epochs=p.get("dp_epochs"),
        max_grad_norm=p.get("dp_max_grad_norm", privacy_dp.DEFAULT_MAX_GRAD_NORM),
        **run.kw,
    )


def ethics_step(run: Run) -> None:
    study, d, e = run.study, run.section("data"), run.section("ethics")
    known = {entry["concern"] for entry in study.ethics.register}
    for concern in e.get("concerns", []):
        if concern not in known:
            ethics.add_entry(study, concern, raised_by="study spec")
    ethics.set_sensitivity_answers(study, **{k: d[k] for k in ethics.ANSWERS if k in d})
    ethics.set_sensitivity(study, d.get("sensitive"))
    ethics.set_card_fields(study, **{k: v for k, v in e.items() if k in ethics.CARD_FIELDS})
    ethics.sync_register(study)  # findings that are ethical concerns open entries by themselves
    # The spec's choice (or its default, "auto") is the recorded decision.
    p = run.section("privacy")
    ethics.set_share_weights(study, p.get("share_weights", "auto"), p.get("share_reason", ""))


def export_step(run: Run) -> None:
    run.exported = write_bundle(run.study, run.out_dir, predictions=sealed_test.test_predictions(run.study), **run.kw)
