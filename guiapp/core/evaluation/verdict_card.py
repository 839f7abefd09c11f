"""The model card's search and verdict section (``model_card_tuning.md.j2``): how every model was
tuned, every trial that counted, the equal-budget check and the verdict, in words and numbers.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from guiapp.core.evaluation.verdict import comparison_rows, model_title
from guiapp.core.models.tuning import budget_report, redact
from guiapp.core.stats.interval_text import value_cell
from guiapp.core.stats.metrics import DISPLAY_NAMES
from guiapp.core.study.model import Study


def card_section(study: Study) -> dict:
    """The card's search and verdict section (``model_card_tuning.md.j2``), in words and numbers."""
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
                model_title(study, r["name"]),
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
    score = value_cell(value, ci)
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
