"""Repeated nested cross-validation for studies too small for one split to judge (Tips 1 and 7).

With a few hundred samples, one train / tune / test split leaves tune and test parts of a
few dozen samples: one score on 36 samples says little, and its bootstrap interval can
collapse. Then the baselines and the network are judged by repeated stratified k-fold
cross-validation over the rows outside the sealed test set, with every model's tuning
*nested* inside each outer training part (the same tuning code and budget as the single
split), so no outer test fold ever guides a choice. The sealed test set is still read once
where the data allow one; where it is too small to judge alone, the card says so.

Intervals over fold scores use the corrected resampled t-interval of Nadeau & Bengio (2003;
Bouckaert & Frank 2004): folds share training samples, so their scores are correlated and a
plain t-interval over them is too narrow; the correction widens the variance by
``n_test / n_train``. When every fold scores a perfect 1, the interval would collapse; the
rule of three then bounds the error rate at 3/n over the n samples each repeat tests.
"""

from __future__ import annotations

import copy
import math
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np

from guiapp.core.models import baselines, network, network_search, train
from guiapp.core.split.draw import (
    _groups,
    _hold_out_groups,
    _stratified_or_random,
    index_hash,
    model_rows,
    require_split,
)
from guiapp.core.stats.metrics import HIGHER_IS_BETTER, is_better
from guiapp.core.stats.panel import metric_panel
from guiapp.core.study import model as state
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.model import Study
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext

CV_CHOICES = ("auto", "always", "never")
# A tune or test part smaller than this is too small to judge a model on by itself: "auto" then
# cross-validates.
MIN_PART_SIZE = 50
# A sealed test set smaller than this is still read once, but the card says it cannot judge alone.
MIN_SEALED_TEST = 20
DEFAULT_FOLDS, DEFAULT_REPEATS = 5, 3
LEVEL = 0.95
INTERVAL_METHOD = (
    "corrected resampled t-interval over the fold scores (Nadeau & Bengio 2003): the folds "
    "share training samples, so a plain t-interval would be too narrow"
)
# Metrics bounded to a range: an interval is clipped to it.
_RANGES = {
    "roc_auc": (0, 1),
    "pr_auc": (0, 1),
    "balanced_accuracy": (0, 1),
    "sensitivity": (0, 1),
    "specificity": (0, 1),
    "f1": (0, 1),
    "accuracy": (0, 1),
    "brier": (0, 1),
    "ece": (0, 1),
    "mcc": (-1, 1),
    "pearson": (-1, 1),
    "spearman": (-1, 1),
    "r2": (-math.inf, 1),
    "rmse": (0, math.inf),
    "mae": (0, math.inf),
}


def check_settings(study: Study) -> None:
    s = study.split
    if s.cv not in CV_CHOICES:
        raise TenfoldError(f"[split] cv must be one of {', '.join(CV_CHOICES)}, not {s.cv!r}.")
    if int(s.cv_folds) < 2 or int(s.cv_repeats) < 1:
        raise TenfoldError("[split] cv_folds must be 2 or more and cv_repeats 1 or more.")


def cv_reason(study: Study) -> str:
    """Why this study is cross-validated, in words; empty when its split is judged as it is."""
    check_settings(study)
    s = study.split
    if s.cv == "never":
        return ""
    if s.cv == "always":
        return 'asked for in the spec ([split] cv = "always")'
    small = [
        f"{name} part {n}" for name, n in (("tune", len(s.tune_idx)), ("test", len(s.test_idx))) if n < MIN_PART_SIZE
    ]
    if not small:
        return ""
    return (
        f"the single split leaves the {' and the '.join(small)} samples, fewer than {MIN_PART_SIZE}: too few "
        "to judge a model on one part alone"
    )


def not_possible(study: Study) -> str:
    """Why cross-validation cannot run on this study, or empty."""
    if study.batch.remedy == "combat":
        return (
            "the ComBat correction is fitted once on the training split; refitting it inside each fold "
            "is not supported yet, so the folds would see a correction fitted on their test rows"
        )
    if study.split.strategy == "batch-holdout":
        return "the split holds out whole batches; its held-out batches are the evaluation this study asked for"
    return ""


def _outer_folds(study: Study, y, idx, groups):
    """(repeat, fold, outer-train rows, outer-test rows) for every fold of every repeat."""
    # sklearn: imported lazily so the window opens fast
    from sklearn.model_selection import KFold, StratifiedGroupKFold, StratifiedKFold

    s = study.split
    k, seed = int(s.cv_folds), int(s.seed)
    if study.is_classification:
        present = np.bincount(y[idx])
        smallest = int(present[present > 0].min()) if present.any() else 0
        if smallest < 2:
            raise TenfoldError("Cross-validation needs at least two samples of every class outside the test set.")
        k = min(k, smallest)
    for r in range(int(s.cv_repeats)):
        if groups is not None:
            n_groups = len(np.unique(groups[idx]))
            kk = min(k, n_groups)
            if kk < 2:
                raise TenfoldError("Cross-validation by group needs at least two groups outside the test set.")
            if study.is_classification:
                parts = StratifiedGroupKFold(kk, shuffle=True, random_state=seed + r).split(idx, y[idx], groups[idx])
            else:  # whole groups dealt to the folds in a new order each repeat
                names = np.random.default_rng(seed + r).permutation(np.unique(groups[idx]))
                fold_of = {g: i % kk for i, g in enumerate(names)}
                which = np.array([fold_of[g] for g in groups[idx]])
                parts = [(np.flatnonzero(which != i), np.flatnonzero(which == i)) for i in range(kk)]
        elif study.is_classification:
            parts = StratifiedKFold(k, shuffle=True, random_state=seed + r).split(idx, y[idx])
        else:
            parts = KFold(k, shuffle=True, random_state=seed + r).split(idx)
        for f, (a, b) in enumerate(parts):
            yield r, f, idx[a], idx[b]


def _fold_study(study: Study, folder: Path, train, tune, test):
    """A copy of the study whose split is one fold's: its own folder, settings and results."""
    fold = copy.copy(study)
    for part in ("split", "train", "architecture", "batch", "tuning", "baselines"):
        setattr(fold, part, copy.deepcopy(getattr(study, part)))
    fold.findings = list(study.findings)
    fold.verdict, fold.overfitting = state.VerdictState(), state.OverfittingState()
    fold.evaluation, fold.interpret = state.EvaluationState(), state.InterpretState()
    fold.tuning.network, fold.tuning.comparison = {}, {}
    fold.baselines.results = []
    fold.train.processes = 1  # small data, many folds: data-parallel processes are for the final training
    s = fold.split
    s.train_idx, s.tune_idx, s.test_idx = (sorted(map(int, a)) for a in (train, tune, test))
    s.test_hash, s.sealed, s.test_uses = index_hash(s.test_idx), True, 0
    t = fold.train
    t.status, t.history, t.weights, t.best_epoch, t.seconds, t.message = "not started", [], "", None, 0.0, ""
    fold.folder = Path(folder)
    fold.folder.mkdir(parents=True, exist_ok=True)
    return fold


def corrected_interval(
    values, n_train: float, n_test: float, metric: str, *, n_tested: int, level: float = LEVEL
) -> tuple[list, str]:
    """The interval of the mean of fold scores, and a note when it is not the corrected t one."""
    from scipy.stats import t as student  # scipy: imported lazily so the window opens fast

    v = np.asarray([x for x in values if x is not None and np.isfinite(x)], dtype=float)
    if len(v) < 2:
        return [], "fewer than two folds gave a score"
    mean, sd = float(v.mean()), float(v.std(ddof=1))
    low_bound, high_bound = _RANGES.get(metric, (-math.inf, math.inf))
    if sd < 1e-12:
        if HIGHER_IS_BETTER.get(metric, True) and abs(mean - 1.0) < 1e-12 and high_bound == 1 and n_tested > 3:
            return (
                [1.0 - 3.0 / n_tested, 1.0],
                f"every one of the {len(v)} folds was perfect; the rule of three bounds the error rate at "
                f"3/{n_tested}, the samples (of the class) each repeat tests",
            )
        return [mean, mean], f"every one of the {len(v)} folds scored the same"
    J = len(v)
    half = float(student.ppf(0.5 + level / 2, J - 1)) * sd * math.sqrt(1.0 / J + n_test / max(n_train, 1))
    return [float(max(mean - half, low_bound)), float(min(mean + half, high_bound))], ""


def cross_validate(study: Study, *, force: bool = False, ctx: TaskContext = NO_CONTEXT) -> dict:
    """Judge the baselines and the network by repeated k-fold cross-validation with nested tuning.

    Runs when :func:`cv_reason` gives a reason (or ``force``); records ``study.evaluation.cv``
    and returns it. The outer folds cover the training and tune rows; the sealed test set
    stays out. In each outer training part an inner train / tune split is drawn, and the
    baselines and the network are tuned there with the study's budgets and tuning code, then
    scored once on the outer test fold.
    """
    from guiapp.core.data.attach import model_frame  # pulls pandas: imported lazily so the window opens fast

    require_split(study)
    reason = cv_reason(study) or ("asked for" if force else "")
    ev = study.evaluation
    if not reason:
        ev.cv = {}
        return ev.cv
    blocked = not_possible(study)
    if blocked:
        ev.cv = {"ran": False, "reason": reason, "not_run": blocked}
        return ev.cv
    s = study.split
    X, y, rows = model_frame(study)
    groups = _groups(study, rows) if study.data.group else None
    dev = np.asarray(sorted(s.train_idx + s.tune_idx), dtype=int)
    tune_share = s.tune_fraction / (1.0 - s.test_fraction)
    folds = list(_outer_folds(study, y, dev, groups))
    root = Path(tempfile.mkdtemp(prefix="tenfold-cv-"))
    per_fold = []
    try:
        for i, (r, f, outer_train, outer_test) in enumerate(folds):
            ctx.check()
            part = ctx.sub(i / len(folds), (i + 1) / len(folds))
            part.report(0.0, f"Cross-validation: repeat {r + 1}, fold {f + 1} ({i + 1} of {len(folds)})")
            if groups is not None:
                inner_train, inner_tune = _hold_out_groups(
                    outer_train, y, groups, tune_share, s.seed + r, study.is_classification
                )
            else:
                inner_train, inner_tune = _stratified_or_random(
                    outer_train, y, tune_share, s.seed + r, study.is_classification
                )
            fold = _fold_study(study, root / f"r{r}-f{f}", inner_train, inner_tune, outer_test)
            record = _run_fold(study, fold, (X, y, rows), (r, f, inner_train, inner_tune, outer_test), ctx=part)
            per_fold.append(record)
            shutil.rmtree(fold.folder, ignore_errors=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    # a perfect sensitivity or specificity is bounded over the positives or negatives, not all samples
    per_class = (
        {"sensitivity": int(np.sum(y[dev] == 1)), "specificity": int(np.sum(y[dev] == 0))}
        if study.is_classification and len(study.data.classes) == 2
        else {}
    )
    failed = [p for p in per_fold if p.get("error")]
    if len(failed) == len(per_fold):
        ev.cv = {"ran": False, "reason": reason, "not_run": f"every fold failed ({failed[0]['error']})"}
        return ev.cv
    ev.cv = summarise(
        study, [p for p in per_fold if not p.get("error")], reason=reason, n_dev=len(dev), n_tested_by_metric=per_class
    )
    ev.cv["failed_folds"] = [{"repeat": p["repeat"], "fold": p["fold"], "error": p["error"]} for p in failed]
    ctx.report(1.0, "Cross-validation done")
    return ev.cv


def _run_fold(study: Study, fold, data, parts, *, ctx: TaskContext = NO_CONTEXT) -> dict:
    """One outer fold: every model tuned on its inner split, then scored once on its outer test rows."""
    X, y, rows = data
    r, f, inner_train, inner_tune, outer_test = parts
    task = study.question.task
    X_te, y_te = model_rows(fold, X, y, rows, outer_test), y[outer_test]
    X_tr, y_tr = model_rows(fold, X, y, rows, inner_train), y[inner_train]
    record = {
        "repeat": r,
        "fold": f,
        "n_train": len(inner_train),
        "n_tune": len(inner_tune),
        "n_test": len(outer_test),
        "scores": {},
    }
    try:
        baselines.fit_baselines(fold, ctx=ctx.sub(0.0, 0.4))
        for result in fold.baselines.results:
            pipe = baselines.tuned_pipeline(fold, result["name"])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pipe.fit(X_tr, y_tr)
            record["scores"][result["name"]] = _scores(task, y_te, baselines.model_output(pipe, X_te, task))
        if int(study.train.budget_trials) > 0:
            network_search.tune_network(fold, ctx=ctx.sub(0.4, 0.7))
        train.train_network(fold, resume=False, ctx=ctx.sub(0.7, 1.0))
        record["scores"]["network"] = _scores(task, y_te, network.predict(fold, X_te))
        record["network_settings"] = network_search.network_settings(fold)
    except TenfoldError as exc:  # a fold too small to tune in (say, one class in its tune part)
        record["error"] = str(exc)
    return record


def _scores(task: str, y, output) -> dict:
    panel = metric_panel(task, y, output, n_boot=0, details=False)
    return {
        k: (float(v) if v is not None and np.isfinite(v) else None)
        for k, v in panel.items()
        if k != "n" and isinstance(v, (int, float))
    }


def summarise(study: Study, per_fold: list, *, reason: str, n_dev: int, n_tested_by_metric: dict | None = None) -> dict:
    """Fold means with intervals per model and metric, from the per-fold scores."""
    s = study.split
    n_train = float(np.mean([p["n_train"] + p["n_tune"] for p in per_fold]))
    n_test = float(np.mean([p["n_test"] for p in per_fold]))
    models = list(dict.fromkeys(m for p in per_fold for m in p["scores"]))
    summary: dict = {}
    for model in models:
        metrics = list(dict.fromkeys(k for p in per_fold for k in p["scores"].get(model, {})))
        summary[model] = {}
        for m in metrics:
            values = [p["scores"].get(model, {}).get(m) for p in per_fold]
            finite = [v for v in values if v is not None]
            if not finite:
                continue
            ci, note = corrected_interval(finite, n_train, n_test, m, n_tested=(n_tested_by_metric or {}).get(m, n_dev))
            summary[model][m] = {
                "mean": float(np.mean(finite)),
                "sd": float(np.std(finite, ddof=1)) if len(finite) > 1 else 0.0,
                "ci": ci,
                "n_folds": len(finite),
                "note": note,
            }
    n_sealed = len(s.test_idx)
    sealed = {
        "n": n_sealed,
        "too_small": n_sealed < MIN_SEALED_TEST,
        "words": (
            f"The sealed test set keeps {n_sealed} samples, read once at the end. "
            + (
                f"That is fewer than {MIN_SEALED_TEST}: too few to judge the model alone, so the "
                "cross-validated estimate is the result to quote."
                if n_sealed < MIN_SEALED_TEST
                else "The cross-validated estimate, over more samples, is the result to quote; the "
                "sealed test confirms it once."
            )
        ),
    }
    folds = len({p["fold"] for p in per_fold})
    repeats = len({p["repeat"] for p in per_fold})
    return {
        "ran": True,
        "reason": reason,
        "folds": folds,
        "repeats": repeats,
        "level": LEVEL,
        "method": ("repeated stratified k-fold" if study.is_classification else "repeated k-fold")
        + (" by group" if study.data.group else "")
        + "; every model tuned inside each outer training part with the study's budget",
        "interval": INTERVAL_METHOD,
        "metric": study.primary_metric,
        "n_samples": n_dev,
        "rows": "the training and tune rows; the sealed test set stays out",
        "sealed_test": sealed,
        "per_fold": per_fold,
        "summary": summary,
    }


def headline(study: Study) -> dict | None:
    """The network's fold mean of the primary metric, with its interval and the best baseline's."""
    cv = study.evaluation.cv
    if not cv or not cv.get("ran"):
        return None
    metric = cv["metric"]
    net = cv["summary"].get("network", {}).get(metric)
    best_name, best = None, None
    for name, panel in cv["summary"].items():
        if name == "network" or metric not in panel:
            continue
        if best is None or is_better(metric, panel[metric]["mean"], best["mean"]):
            best_name, best = name, panel[metric]
    return {
        "metric": metric,
        "network": net,
        "baseline": best_name,
        "baseline_result": best,
        "folds": cv["folds"],
        "repeats": cv["repeats"],
    }
