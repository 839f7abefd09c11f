"""Tip 1's question, "is deep learning warranted here?", answered in plain words with the numbers.

Before training the verdict reads the samples per class (fewer than 100 is a warning), the
samples per feature and the data's modality; after training it asks whether the network beats
the best tuned baseline beyond the interval of a paired bootstrap on the tune split. The
verdict advises and never blocks: a user who goes on against it records why, and the card
carries both.
"""

from __future__ import annotations

import numpy as np

from guiapp.core.stats.metrics import DISPLAY_NAMES, HIGHER_IS_BETTER, fast_score
from guiapp.core.stats.panel import metric_panel
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.findings import Findings
from guiapp.core.study.model import now_iso
from guiapp.core.study.task_context import ProgressFn, StopFn, check_stop, no_progress

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


# ----- the paired bootstrap -------------------------------------------------------------------


def paired_bootstrap(
    metric: str,
    y_true,
    output_a,
    output_b,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    threshold: float = 0.5,
    level: float = 0.95,
) -> dict:
    """How much better model A scores than model B on the same samples, with its uncertainty.

    Each resample draws the samples once and scores both models on it, so the difference keeps
    the pairing. ``difference`` is A's advantage: positive when A is better, for metrics where
    lower is better too. ``ci`` is the percentile interval; ``p_value`` the two-sided bootstrap
    p-value of no difference (2 × the smaller share of resamples on either side of 0), so that
    p < 1 − level exactly when the interval excludes 0.
    """
    y, a, b = np.asarray(y_true), np.asarray(output_a), np.asarray(output_b)
    if not (len(y) == len(a) == len(b)) or len(y) < 2:
        raise TenfoldError("The paired bootstrap needs both models' outputs on the same two or more samples.")
    sign = 1.0 if HIGHER_IS_BETTER.get(metric, True) else -1.0
    score_a, score_b = fast_score(metric, y, a, threshold), fast_score(metric, y, b, threshold)
    rng = np.random.default_rng(seed)
    diffs = []
    for _ in range(n_boot):
        idx = rng.integers(0, len(y), len(y))
        d = sign * (fast_score(metric, y[idx], a[idx], threshold) - fast_score(metric, y[idx], b[idx], threshold))
        if np.isfinite(d):
            diffs.append(d)
    out = {
        "metric": metric,
        "score_a": score_a,
        "score_b": score_b,
        "difference": float(sign * (score_a - score_b)),
        "n": int(len(y)),
        "n_boot": int(n_boot),
        "n_valid": len(diffs),
        "level": level,
        "ci": None,
        "p_value": None,
    }
    if len(diffs) < max(10, n_boot // 4):
        return out  # the metric is undefined on most resamples (a tune split with one class)
    diffs = np.asarray(diffs)
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(diffs, [tail, 100 - tail])
    out["ci"] = [float(low), float(high)]
    out["p_value"] = float(min(1.0, 2 * min(np.mean(diffs <= 0), np.mean(diffs >= 0))))
    return out


# ----- the verdict ------------------------------------------------------------------------------


def _title(study, name: str) -> str:
    from guiapp.core.models.baselines import available

    return available(study.question.task).get(name, name)


def _facts(study) -> tuple[list[str], list[str], dict]:
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


def looks_like_counts(study) -> bool:
    """Whether the data step saw whole-number counts (a values-look-like-counts finding)."""
    return any(f.code == Findings.values_look_like_counts.code for f in study.findings)


def classical_alternative(study, *, counts: bool | None = None, n_samples: int | None = None) -> str:
    """The route a statistician would take instead of deep learning on these data, in plain words."""
    counts = looks_like_counts(study) if counts is None else counts
    n = study.data.n_samples if n_samples is None else n_samples
    if counts and study.is_classification:
        return (
            "For a table of counts with a few samples per condition, the classical route is a "
            "differential-expression test (a negative-binomial model with shared dispersions, as in "
            "DESeq2 or edgeR), which is built for exactly this design."
        )
    if n < 10:
        return (
            "With this few samples, a simple statistical test or a regularised linear model judged by "
            "leave-one-out cross-validation is the classical route; or collect more samples."
        )
    return (
        "The classical route is the tuned baselines (regularised linear models, tree ensembles), judged "
        "by repeated cross-validation rather than one small test set."
    )


def _baseline_sentence(study) -> str | None:
    metric = study.primary_metric
    best = study.baselines.best(metric)
    if best is None:
        return None
    m = best["tune_metrics"]
    ci = m.get(f"{metric}_ci")
    ci_text = f" (95% CI {ci[0]:.3f}–{ci[1]:.3f})" if ci else ""
    trials = best.get("n_trials", 0)
    tuned = f"tuned with {trials} trials" if trials else "with default settings"
    return (
        f"The best baseline, {_title(study, best['name'])} ({tuned}), reaches "
        f"{DISPLAY_NAMES.get(metric, metric)} {m[metric]:.3f}{ci_text} on the tune split: the bar "
        "the network has to clear."
    )


def _record(study, stage: str, level: str, reasons: list[str], numbers: dict) -> dict:
    v = study.verdict
    v.stage, v.level, v.reasons, v.numbers = stage, level, reasons, numbers
    v.headline = "Is deep learning warranted here? " + LEVEL_WORDS[level]
    v.advice = ADVICE[level]
    v.recorded_at = now_iso()
    refresh_findings(study)
    return verdict_dict(study)


def assess_before_training(study) -> dict:
    """The verdict from the data (and the baselines, once fitted); recorded in the study."""
    warn, other, numbers = _facts(study)
    reasons = [w[0].upper() + w[1:] for w in warn] + other
    sentence = _baseline_sentence(study)
    if sentence:
        reasons.append(sentence)
    level = "doubtful" if warn else ("uncertain" if numbers["modality"] == "table" else "promising")
    numbers["warnings"] = warn
    return _record(study, "before training", level, reasons, numbers)


def assess_after_training(study) -> dict:
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
        f"{tuned}, the network reaches {name} {net['value']:.3f}{_ci_text(net.get('ci'))} on the "
        f"tune split and the best baseline, {base['title']}, {base['value']:.3f}"
        f"{_ci_text(base.get('ci'))}. The network's advantage is {paired['difference']:+.3f}"
    )
    if ci is not None:
        sentence += (
            f" (95% CI {ci[0]:+.3f} to {ci[1]:+.3f}; paired bootstrap over {paired['n']} tune "
            f"samples, p = {_p_text(p, paired['n_valid'])})."
        )
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


def _ci_text(ci) -> str:
    return f" (95% CI {ci[0]:.3f}–{ci[1]:.3f})" if ci else ""


def _p_text(p: float, n_valid: int) -> str:
    return f"< {1 / max(n_valid, 1):.3f}" if p == 0 else f"{p:.3f}"


def record_reason(study, reason: str) -> None:
    """The user goes on against the verdict's advice: store why (the card shows it)."""
    if not reason.strip():
        raise TenfoldError("Say in a few words why you go on with deep learning here; the model card records it.")
    study.verdict.proceed_reason, study.verdict.reason_at = reason.strip(), now_iso()


def needs_reason(study) -> bool:
    return study.verdict.level in NEEDS_REASON and not study.verdict.proceed_reason


def verdict_dict(study) -> dict:
    import dataclasses

    return dataclasses.asdict(study.verdict)


def verdict_text(study) -> str:
    """The verdict as one paragraph: headline, reasons with the numbers, advice, the user's reason."""
    v = study.verdict
    if not v.stage:
        return ""
    text = " ".join([v.headline, *v.reasons, v.advice])
    if v.proceed_reason:
        text += f" The study goes on because: {v.proceed_reason}"
    return text


def refresh_findings(study) -> None:
    """The Baselines step's findings: the verdict's warning and unequal tuning budgets."""
    from guiapp.core.models.tuning import budget_report

    v, found = study.verdict, []
    if v.stage == "before training" and v.level == "doubtful":
        found.append(Findings.deep_learning_doubtful.raise_(reasons=" ".join(v.numbers.get("warnings", []))))
    paired = study.tuning.comparison.get("paired") if study.tuning.comparison else None
    if v.stage == "after training" and v.level == "not warranted" and paired and paired.get("ci"):
        found.append(
            Findings.network_not_clearly_better.raise_(
                network=v.numbers["network"],
                baseline=_title(study, paired["baseline"]),
                baseline_score=v.numbers["baseline_score"],
                metric=paired["metric"],
                difference=paired["difference"],
                low=paired["ci"][0],
                high=paired["ci"][1],
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


def compare_with_network(
    study, progress: ProgressFn = no_progress, should_stop: StopFn | None = None, n_boot: int = 1000
) -> dict:
    """Every model's tune-set score with its interval, and the network against the best baseline.

    The best baseline, fitted with its tuned settings on the training split (once), and the network
    score the same tune samples, and a paired bootstrap measures the network's advantage.
    """
    from guiapp.core.evaluation.evaluate import require_trained
    from guiapp.core.models.baselines import fitted_baseline, model_output
    from guiapp.core.models.network import predict
    from guiapp.core.models.tuning import budget_report
    from guiapp.core.split.draw import train_tune_arrays

    require_trained(study)
    metric, task = study.primary_metric, study.question.task
    best = study.baselines.best(metric)
    if best is None:
        raise TenfoldError("Fit the baselines on the Baselines page first: the network is compared with them.")
    X_tr, y_tr, X_tu, y_tu = train_tune_arrays(study)
    threshold = study.evaluation.threshold
    progress(0.1, "Scoring the network on the tune split")
    net_out = predict(study, X_tu)
    check_stop(should_stop)
    progress(0.3, f"Scoring {_title(study, best['name'])} with its tuned settings")
    base_out = model_output(fitted_baseline(study, best["name"], X_tr, y_tr), X_tu, task)
    check_stop(should_stop)
    progress(0.5, "Paired bootstrap of the network against the best baseline")
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
                "title": _title(study, r["name"]),
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
    progress(1.0, "Comparison done")
    return study.tuning.comparison


def comparison_rows(study) -> list[dict]:
    """Rows for the table and the plot: the comparison's when there is one, else the baselines'."""
    if study.tuning.comparison.get("rows"):
        return study.tuning.comparison["rows"]
    metric = study.primary_metric
    return [
        {
            "model": r["name"],
            "title": _title(study, r["name"]),
            "kind": "baseline",
            "value": r["tune_metrics"].get(metric),
            "ci": r["tune_metrics"].get(f"{metric}_ci"),
            "n_trials": r.get("n_trials", 0),
        }
        for r in study.baselines.results
    ]


# ----- the model card ----------------------------------------------------------------------------------


def card_section(study) -> dict:
    """The card's search and verdict section (``model_card_tuning.md.j2``), in words and numbers."""
    from importlib.metadata import PackageNotFoundError, version

    from guiapp.core.models.tuning import budget_report, redact

    tu, metric = study.tuning, study.primary_metric
    rows = {r["model"]: r for r in comparison_rows(study)}
    models = []
    net = tu.network
    if net:
        models.append(
            _card_row(
                f"network ({study.architecture.kind.upper()})",
                net.get("search_space", {}),
                net.get("n_trials", 0),
                net.get("budget", 0),
                net.get("best_params", {}),
                rows.get("network") or {"value": net.get("best_value")},
                net,
            )
        )
    for r in study.baselines.results:
        search = r.get("search") or {}
        models.append(
            _card_row(
                _title(study, r["name"]),
                r.get("search_space", {}),
                r.get("n_trials", 0),
                search.get("budget", 0),
                r.get("best_params", {}),
                rows.get(r["name"], {}),
                search,
            )
        )
    try:
        optuna_version = version("optuna")
    except PackageNotFoundError:
        optuna_version = "not installed"
    searched = [r.get("search") for r in study.baselines.results if r.get("search")] + ([net] if net else [])
    storage = next((s.get("storage") for s in searched if s.get("storage")), "")
    worker = f" (worker {tu.worker} of a shared search)" if (tu.storage or tu.storage_env) else ""
    strategy = (
        f"Optuna {optuna_version}, {'random search' if tu.sampler == 'random' else 'TPE sampler'} "
        f"seeded with the study's seed{worker}; each baseline trial is fitted on the "
        "training split and scored on the tune split"
    )
    if net:
        strategy += f"; each network trial trains at most {net.get('epochs_per_trial')} epochs" + (
            ", with median pruning" if net.get("pruner") == "median" else ""
        )
    strategy += "." + (f" Trials are stored in `{redact(storage)}`." if storage else "")
    budgets = budget_report(study)
    v = study.verdict
    return {
        "metric": DISPLAY_NAMES.get(metric, metric),
        "models": models,
        "strategy": strategy,
        "budget_text": budgets["text"],
        "equal": budgets["equal"],
        "budget_short": (
            "same budget as the network"
            if budgets["equal"]
            else "budgets differ from the network's"
            if budgets["equal"] is False
            else "network not searched"
        ),
        "verdict": (
            {
                "headline": v.headline,
                "reasons": v.reasons,
                "advice": v.advice,
                "proceed_reason": v.proceed_reason,
                "stage": v.stage,
            }
            if v.stage
            else None
        ),
    }


def _card_row(
    title: str, space: dict, n_trials: int, budget: int, best: dict, row: dict, search: dict | None = None
) -> dict:
    value, ci = row.get("value"), row.get("ci")
    score = "—" if value is None else f"{value:.3f}" + (f" (95% CI {ci[0]:.3f}–{ci[1]:.3f})" if ci else "")
    search = search or {}
    # Every trial that counted, so a reader sees how the search went, not only where it ended (Tip 6).
    trials = [
        {
            "number": t.get("number"),
            "state": t.get("state", ""),
            "value": "—" if t.get("value") is None else _short(float(t["value"])),
            "params": ", ".join(f"{k}={_short(v)}" for k, v in (t.get("params") or {}).items()),
            "best": t.get("number") == search.get("best_trial"),
            "error": t.get("error", ""),
        }
        for t in search.get("trials", [])
    ]
    return {
        "title": title,
        "all_trials": trials,
        "space": "; ".join(f"{k}: {d}" for k, d in space.items()) or "nothing to tune",
        "trials": f"{n_trials} of {budget}" if budget else ("—" if not space else "not searched (defaults)"),
        "best": ", ".join(f"{k}={_short(v)}" for k, v in best.items()) or "defaults",
        "score": score,
    }


def _short(value) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)
