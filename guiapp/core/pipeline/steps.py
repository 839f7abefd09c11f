"""The headless run as a table: one row per thing `tenfold run` does, in the wizard's order
(the rows' machinery is in :mod:`.table`, what they call in :mod:`.actions`)."""

from __future__ import annotations

from typing import Any

from guiapp.core.data import attach as data
from guiapp.core.evaluation import (
    criteria,
    cross_validation,
    external,
    generalization,
    learning_curve,
    overfitting,
    sealed_test,
    shuffle_control,
    tune_evaluation,
    verdict,
)
from guiapp.core.models import train
from guiapp.core.pipeline import actions
from guiapp.core.pipeline.table import Predicate, Row, Run, check
from guiapp.core.privacy import dp as privacy_dp
from guiapp.core.privacy import membership


def _resumed(test: Predicate) -> Predicate:
    """Kept when the run resumes a study in which ``test`` holds."""
    return lambda run: run.resumed and test(run)


def _ev(run: Run, key: str, default: Any) -> Any:
    """A [evaluate] key of the spec."""
    return run.section("evaluate").get(key, default)


# The run, row by row. Every wizard step from Data to Export has its rows here (a test checks it).
ROWS: tuple[Row, ...] = (
    # every [data] key: formats, sample sheet, orientation, roles, missing values, provenance
    Row(
        "data",
        lambda r: data.attach_from_spec(r.study, r.spec["data"], **r.kw),
        kept=_resumed(lambda r: bool(r.study.data.provenance.path)),
    ),
    check("data", lambda r: actions.refuse_too_few_samples(r.study)),
    check("data", actions.set_aside),
    # a cohort that does not fit the study fails now, not after training
    Row(
        "data",
        lambda r: [external.check_cohort(r.study, c) for c in r.spec["external"]],
        title="External cohorts (checked)",
        when=lambda r: bool(r.spec.get("external")),
    ),
    check("export", actions.carry),
    Row("batch", actions.batch_step, kept=_resumed(lambda r: bool(r.study.batch.explained_variance) and not r.redraw)),
    Row("split", actions.split_step, kept=_resumed(lambda r: r.study.split.sealed and not r.redraw)),
    check("split", actions.stop_if_blocked("split", "training")),
    Row(
        "baselines",
        actions.baselines_step,
        kept=_resumed(lambda r: bool(r.study.baselines.results)),
    ),
    check("baselines", actions.proceed_reason),
    Row("architecture", actions.architecture_step, kept=_resumed(lambda r: r.study.architecture.n_params > 0)),
    # refused now, not after the whole training
    check("architecture", lambda r: privacy_dp.refuse_unfit_architecture(r.study), when=actions.wants_dp),
    # The network gets the baselines' budget; its best settings replace [model] and [train] ones.
    Row(
        "architecture",
        actions.search_step,
        title="Network search",
        when=lambda r: r.study.train.budget_trials > 0,
        kept=_resumed(lambda r: r.study.tuning.network.get("n_trials", 0) >= r.study.train.budget_trials),
    ),
    # a helper worker: the searches are shared, the rest is worker 0's
    check("train", lambda r: None, when=lambda r: r.search_only, last=True),
    check("train", actions.stop_if_blocked("train", "training")),
    Row(
        "train",
        lambda r: train.train_network(r.study, resume=True, **r.kw),
        kept=_resumed(lambda r: r.study.train.status == "done"),
    ),
    Row("overfitting", lambda r: overfitting.overfitting_check(r.study, **r.kw)),
    Row(
        "overfitting",
        lambda r: learning_curve.learning_curve(
            r.study, _ev(r, "learning_curve", learning_curve.DEFAULT_FRACTIONS), **r.kw
        ),
        title="Learning curve",
        kept=_resumed(lambda r: bool(r.study.overfitting.learning_curve)),
    ),
    Row(
        "overfitting",
        lambda r: shuffle_control.label_shuffle_control(
            r.study, _ev(r, "shuffle_repeats", shuffle_control.DEFAULT_REPEATS), **r.kw
        ),
        title="Label-shuffle control",
        kept=_resumed(lambda r: bool(r.study.overfitting.shuffle)),
    ),
    Row("evaluate", lambda r: tune_evaluation.evaluate_on_tune(r.study, **r.kw), title="Evaluate (tune)"),
    # Parts too small to judge alone: repeated stratified k-fold with nested tuning ([split] cv).
    Row(
        "evaluate",
        lambda r: cross_validation.cross_validate(r.study, **r.kw),
        title="Cross-validation",
        when=lambda r: bool(cross_validation.cv_reason(r.study)),
        kept=_resumed(lambda r: bool(r.study.evaluation.cv)),
    ),
    Row("evaluate", lambda r: verdict.compare_with_network(r.study, **r.kw), title="Verdict"),
    check("evaluate", actions.proceed_reason),
    # The sealed test set is read once; a resumed run keeps the first reading, and finishes a
    # reading that a kill cut short as the same use (see evaluate.finalize_test_evaluation).
    Row(
        "evaluate",
        lambda r: sealed_test.finalize_test_evaluation(r.study, **r.kw),
        title="Evaluate (sealed test, once)",
        kept=lambda r: r.study.split.test_uses >= 1 and not r.study.split.test_read_pending,
    ),
    Row("interpret", actions.interpret_step, kept=_resumed(lambda r: bool(r.study.interpret.importances))),
    # External cohorts (once each), the leave-one-batch-out estimate, attribution stability and
    # efficiency, after the sealed test set and the interpretation.
    Row("evaluate", lambda r: None, expand=actions.external_rows),
    Row(
        "evaluate",
        lambda r: generalization.leave_one_batch_out(
            r.study, network_epochs=_ev(r, "lobo_epochs", generalization.LOBO_EPOCHS), **r.kw
        ),
        title="Leave-one-batch-out estimate",
        when=lambda r: bool(r.study.data.batch) and _ev(r, "leave_one_batch_out", True),
        kept=lambda r: bool(r.study.evaluation.generalization),
    ),
    Row(
        "interpret",
        lambda r: generalization.attribution_stability(r.study, refits=actions.stability_refits(r), **r.kw),
        title="Attribution stability",
        when=lambda r: bool(actions.stability_refits(r)),
    ),
    Row("evaluate", lambda r: criteria.measure_efficiency(r.study, **r.kw), title="Efficiency"),
    check("evaluate", lambda r: criteria.refresh_findings(r.study)),
    Row(
        "ethics",
        actions.dp_step,
        title="Differential privacy",
        when=actions.wants_dp,
        kept=_resumed(lambda r: bool(r.study.ethics.dp.get("weights"))),
    ),
    Row(
        "ethics",
        lambda r: membership.membership_inference_audit(r.study, **r.kw),
        title="Membership audit",
        when=lambda r: r.section("privacy").get("membership_audit", True),
    ),
    Row("ethics", actions.ethics_step),
    check("ethics", actions.stop_if_blocked(None, "export")),
    check("export", actions.before_export),
    Row("export", actions.export_step),
)
