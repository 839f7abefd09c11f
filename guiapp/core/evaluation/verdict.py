"""Tip 1's question, "is deep learning warranted here?", answered in plain words with the numbers.

Before training the verdict reads the samples per class (fewer than 100 is a warning), the
samples per feature and the data's modality; after training it asks whether the network beats
the best tuned baseline beyond the interval of a paired bootstrap on the tune split. The
verdict advises and never blocks: a user who goes on against it records why, and the card
carries both.
"""

from __future__ import annotations

import dataclasses

from guiapp.core.data.classical import classical_alternative
from guiapp.core.evaluation.common import require_trained
from guiapp.core.models.baselines import available, fitted_baseline, model_output
from guiapp.core.models.network import predict
from guiapp.core.models.tuning import budget_report
from guiapp.core.split.draw import train_tune_arrays
from guiapp.core.stats.interval_text import ci_clause, interval_range, is_flat
from guiapp.core.stats.metrics import DISPLAY_NAMES
from guiapp.core.stats.paired_bootstrap import paired_bootstrap
from guiapp.core.stats.panel import metric_panel
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.findings import Findings
from guiapp.core.study.model import Study, now_iso
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext

MIN_PER_CLASS = 100  # Tip 1: with fewer samples per class, deep learning rarely wins
MIN_PER_FEATURE = 10  # fewer training samples per feature: regularised linear models are hard to beat
SMALL_N = 50  # with fewer samples in all, the verdict names the classical route in plain words
NEEDS_REASON = ("doubtful", "not warranted")  # going on against these asks for a reason
LEVEL_WORDS = {
    "promising": "Probably: these data suit deep learning.",
    "uncertain": "Possibly. The comparison with the tuned baselines after training will tell.",
    "doubtful": "Doubtful.",
    "warranted": "Yes, on this evidence: the network beats the best tuned baseline beyond the interval.",
    "not warranted": "Not on this evidence: the network does not beat the best tuned baseline beyond the interval.",
}
ADVICE = {
    "promising": "Go on; the tuned baselines still set the bar the network has to clear.",
    "uncertain": (
        "Go on, and let the comparison after training decide: the network has to beat the "
        "best tuned baseline beyond the bootstrap interval."
    ),
    "doubtful": (
        "Expect a tuned traditional model to do as well. You can still train the network to "
        "compare; if you go on, record why."
    ),
    "warranted": "Keep the network, and confirm the difference on the sealed test set.",
    "not warranted": (
        "Prefer the simpler model, or record why the network is still needed (for "
        "example, to fine-tune later on more data)."
    ),
}
MODALITY_WORDS = {
    "table": (
        "The data are a table of {p} measured features. On tables, tuned tree ensembles and "
        "regularised linear models usually match deep networks; deep learning's strength is "
        "learning its own features from raw sequences, images or very large data."
    ),
    "sequence": (
        "The data are raw sequences: learning features from them (motifs, their "
        "combinations) is what deep networks do better than hand-made features."
    ),
    "image": (
        "The data are images: convolutional networks learn features from pixels that "
        "traditional models cannot use directly."
    ),
}


# ----- the verdict ------------------------------------------------------------------------------


def model_title(study: Study, name: str) -> str:
    return available(study.question.task).get(name, name)


def _facts(study: Study) -> tuple[list[str], list[str], dict]:
    """(warnings, other reasons, numbers) from the data alone."""
    d, a = study.data, study.architecture
    modality = d.modality or a.modality or "table"  # the loaded data decide, before any architecture is set
    n_train = len(study.split.train_idx) or d.n_samples
    p = len(d.feature_columns) or d.n_features
    numbers: dict = {"n_samples": d.n_samples, "n_train": n_train, "n_features": p, "modality": modality}
    warn, other = [], []
    if study.is_classification and d.class_counts:
        smallest, count = min(d.class_counts.items(), key=lambda kv: kv[1])
        in_train = (study.split.counts or {}).get("train", {}).get(str(smallest))
        numbers.update(smallest_class=smallest, smallest_class_n=int(count))
        where = f", {in_train} of them for training" if in_train is not None else ""
        if count < MIN_PER_CLASS:
            warn.append(
                f"the smallest class, {smallest!r}, has only {count} samples{where} "
                f"(fewer than {MIN_PER_CLASS} per class)."
            )
        else:
            other.append(
                f"Every class has at least {MIN_PER_CLASS} samples (the smallest, {smallest!r}, has {count}{where})."
            )
    elif not study.is_classification and d.n_samples < MIN_PER_CLASS:
        warn.append(f"there are only {d.n_samples} samples (fewer than {MIN_PER_CLASS}).")
    if p:
        ratio = n_train / p
        numbers["samples_per_feature"] = round(ratio, 2)
        if ratio < MIN_PER_FEATURE:
            warn.append(
                f"{n_train} training samples for {p} features is {ratio:.1f} per feature (fewer "
                f"than {MIN_PER_FEATURE}), where regularised linear models are hard to beat."
            )
        else:
            other.append(f"{n_train} training samples for {p} features ({ratio:.0f} per feature).")
    if d.n_samples and d.n_samples < SMALL_N:
        alternative = classical_alternative(study)
        numbers["classical_alternative"] = alternative
        warn.append(f"only {d.n_samples} samples in all (fewer than {SMALL_N}). {alternative}")
    other.append(MODALITY_WORDS.get(modality, MODALITY_WORDS["table"]).format(p=p))
    return warn, other, numbers


def _baseline_sentence(study: Study) -> str | None:
    metric = study.primary_metric
    best = study.baselines.best(metric)
    if best is None:
        return None
    m = best["tune_metrics"]
    ci_text = ci_clause(m.get(f"{metric}_ci"), model=best["name"])
    trials = best.get("n_trials", 0)
    tuned = f"tuned with {trials} trials" if trials else "with default settings"
    return (
        f"The best baseline, {model_title(study, best['name'])} ({tuned}), reaches "
        f"{DISPLAY_NAMES.get(metric, metric)} {m[metric]:.3f}{ci_text} on the tune split: the bar "
        "the network has to clear."
    )


def _record(study: Study, stage: str, level: str, reasons: list[str], numbers: dict) -> dict:
    v = study.verdict
    v.stage, v.level, v.reasons, v.numbers = stage, level, reasons, numbers
    v.headline = "Is deep learning warranted here? " + LEVEL_WORDS[level]
    v.advice = ADVICE[level]
    v.recorded_at = now_iso()
    refresh_findings(study)
    return verdict_dict(study)


def assess_before_training(study: Study) -> dict:
    """The verdict from the data (and the baselines, once fitted); recorded in the study."""
    warn, other, numbers = _facts(study)
    reasons = [w[0].upper() + w[1:] for w in warn] + other
    sentence = _baseline_sentence(study)
    if sentence:
        reasons.append(sentence)
    level = "doubtful" if warn else ("uncertain" if numbers["modality"] == "table" else "promising")
    numbers["warnings"] = warn
    return _record(study, "before training", level, reasons, numbers)


def assess_after_training(study: Study) -> dict:
    """The verdict once the network was compared with the best tuned baseline."""
    comparison = study.tuning.comparison
    if not comparison.get("paired"):
        return assess_before_training(study)
    warn, other, numbers = _facts(study)
    paired, metric = comparison["paired"], comparison["metric"]
    name = DISPLAY_NAMES.get(metric, metric)
    rows = {r["model"]: r for r in comparison["rows"]}
    net, base = rows["network"], rows[paired["baseline"]]
    ci, p = paired["ci"], paired["p_value"]
    beats = ci is not None and ci[0] > 0
    trials = comparison.get("budget", {})
    tuned = (
        f"Tuned with {trials['network']} trials each"
        if trials.get("equal")
        else "Tuned with unequal budgets (see the warning)"
    )
    if trials.get("network") is None:
        tuned = "With the network not searched (its settings were set by hand)"
    sentence = (
        f"{tuned}, the network reaches {name} {net['value']:.3f}{ci_clause(net.get('ci'))} on the "
        f"tune split and the best baseline, {base['title']}, {base['value']:.3f}"
        f"{ci_clause(base.get('ci'), model=paired['baseline'])}. The network's advantage is "
        f"{paired['difference']:+.3f}"
    )
    if ci is not None:
        sentence += f" ({paired_interval_text(ci, paired['n'])}, p = {_p_text(p, paired['n_valid'])})."
    else:
        sentence += " (no interval: the metric is undefined on most resamples of the tune split)."
    reasons = [sentence] + [w[0].upper() + w[1:] for w in warn] + other
    numbers.update(
        network=net["value"],
        baseline=paired["baseline"],
        baseline_score=base["value"],
        difference=paired["difference"],
        difference_ci=ci,
        p_value=p,
        warnings=warn,
    )
    return _record(study, "after training", "warranted" if beats else "not warranted", reasons, numbers)


def paired_interval_text(ci, n: int | None = None) -> str:
    """The paired bootstrap's interval of the network's advantage, for the verdict and its finding
    alike: "+0.000 to +0.000" would read as certainty, so a flat one says there is no spread."""
    over = f" over {n} tune samples" if n else ""
    if is_flat(ci):
        return f"no spread to show: at least 95% of the paired bootstrap resamples{over} gave {ci[0]:+.3f}"
    return f"95% CI {interval_range(ci, signed=True)}; paired bootstrap{over}"


def _p_text(p: float, n_valid: int) -> str:
    return f"< {1 / max(n_valid, 1):.3f}" if p == 0 else f"{p:.3f}"


def record_reason(study: Study, reason: str) -> None:
    """The user goes on against the verdict's advice: store why (the card shows it)."""
    if not reason.strip():
        raise TenfoldError("Say in a few words why you go on with deep learning here; the model card records it.")
    study.verdict.proceed_reason, study.verdict.reason_at = reason.strip(), now_iso()


def needs_reason(study: Study) -> bool:
    return study.verdict.level in NEEDS_REASON and not study.verdict.proceed_reason


def verdict_dict(study: Study) -> dict:
    return dataclasses.asdict(study.verdict)


def verdict_text(study: Study) -> str:
    """The verdict as one paragraph: headline, reasons with the numbers, advice, the user's reason."""
    v = study.verdict
    if not v.stage:
        return ""
    text = " ".join([v.headline, *v.reasons, v.advice])
    if v.proceed_reason:
        text += f" The study goes on because: {v.proceed_reason}"
    return text


def refresh_findings(study: Study) -> None:
    """The Baselines step's findings: the verdict's warning and unequal tuning budgets."""
    v, found = study.verdict, []
    if v.stage == "before training" and v.level == "doubtful":
        found.append(Findings.deep_learning_doubtful.raise_(reasons=" ".join(v.numbers.get("warnings", []))))
    paired = study.tuning.comparison.get("paired") if study.tuning.comparison else None
    if v.stage == "after training" and v.level == "not warranted" and paired and paired.get("ci"):
        found.append(
            Findings.network_not_clearly_better.raise_(
                network=v.numbers["network"],
                baseline=model_title(study, paired["baseline"]),
                baseline_score=v.numbers["baseline_score"],
                metric=paired["metric"],
                difference=paired["difference"],
                low=paired["ci"][0],
                high=paired["ci"][1],
                interval=paired_interval_text(paired["ci"]),
                p=paired["p_value"],
            )
        )
    budgets = budget_report(study)
    if budgets["equal"] is False:
        low, high = min(budgets["baselines"].values()), max(budgets["baselines"].values())
        found.append(
            Findings.unequal_tuning_budget.raise_(
                baselines=f"{low}" if low == high else f"{low} to {high}", network=budgets["network"]
            )
        )
    study.set_findings("baselines", found)


# ----- the comparison after training ---------------------------------------------------------------


def compare_with_network(study: Study, *, n_boot: int = 1000, ctx: TaskContext = NO_CONTEXT) -> dict:
    """Every model's tune-set score with its interval, and the network against the best baseline.

    The best baseline, fitted with its tuned settings on the training split (once), and the network
    score the same tune samples, and a paired bootstrap measures the network's advantage.
    """
    require_trained(study)
    metric, task = study.primary_metric, study.question.task
    best = study.baselines.best(metric)
    if best is None:
        raise TenfoldError("Fit the baselines on the Baselines page first: the network is compared with them.")
    X_tr, y_tr, X_tu, y_tu = train_tune_arrays(study)
    threshold = study.evaluation.threshold
    ctx.report(0.1, "Scoring the network on the tune split")
    net_out = predict(study, X_tu)
    ctx.check()
    ctx.report(0.3, f"Scoring {model_title(study, best['name'])} with its tuned settings")
    base_out = model_output(fitted_baseline(study, best["name"], X_tr, y_tr), X_tu, task)
    ctx.check()
    ctx.report(0.5, "Paired bootstrap of the network against the best baseline")
    paired = paired_bootstrap(
        metric, y_tu, net_out, base_out, n_boot=n_boot, seed=study.split.seed, threshold=threshold
    )
    paired["network"], paired["baseline"] = "network", best["name"]
    panel = metric_panel(
        task, y_tu, net_out, metrics=[metric], details=False, seed=study.split.seed, threshold=threshold
    )
    rows = [
        {
            "model": "network",
            "title": f"Network ({study.architecture.kind.upper()})",
            "kind": "network",
            "value": panel[metric],
            "ci": panel.get(f"{metric}_ci"),
            "n_trials": study.tuning.network.get("n_trials", 0) if study.tuning.network else 0,
        }
    ]
    for r in study.baselines.results:
        rows.append(
            {
                "model": r["name"],
                "title": model_title(study, r["name"]),
                "kind": "baseline",
                "value": r["tune_metrics"].get(metric),
                "ci": r["tune_metrics"].get(f"{metric}_ci"),
                "n_trials": r.get("n_trials", 0),
            }
        )
    study.tuning.comparison = {
        "metric": metric,
        "rows": rows,
        "paired": paired,
        "n_tune": int(len(y_tu)),
        "budget": budget_report(study),
        "compared_at": now_iso(),
    }
    assess_after_training(study)
    ctx.report(1.0, "Comparison done")
    return study.tuning.comparison


def comparison_rows(study: Study) -> list[dict]:
    """Rows for the table and the plot: the comparison's when there is one, else the baselines'."""
    if study.tuning.comparison.get("rows"):
        return study.tuning.comparison["rows"]
    metric = study.primary_metric
    return [
        {
            "model": r["name"],
            "title": model_title(study, r["name"]),
            "kind": "baseline",
            "value": r["tune_metrics"].get(metric),
            "ci": r["tune_metrics"].get(f"{metric}_ci"),
            "n_trials": r.get("n_trials", 0),
        }
        for r in study.baselines.results
    ]
