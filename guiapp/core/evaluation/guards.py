"""Over-interpretation guards (Tip 9): the checks that say when a good score or a feature
ranking should not be believed as it stands, and the caveats the model card carries.

- :func:`label_proxy_scan`: a feature that gives the label away (a leak or a proxy), by the
  rule of :mod:`guiapp.core.data.leaks`, and strong single markers;
- :func:`near_perfect_findings`: near-perfect performance measured on few samples;
- :func:`batch_associated_features`: top features that differ strongly between batches;
- :func:`guard_texts`: every caveat in words, from the study alone, for the card and pages.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from guiapp.core.data.leaks import findings_from_signals, scan_features
from guiapp.core.split.draw import train_tune_arrays
from guiapp.core.stats.metrics import BOUNDED, DISPLAY_NAMES, HIGHER_IS_BETTER, score
from guiapp.core.study.findings import Findings
from guiapp.core.study.model import Study

PROXY_AUC = 0.95  # single-feature tune ROC AUC (classification)
PROXY_RHO = 0.95  # single-feature tune |Spearman ρ| (regression)
NEAR_PERFECT = 0.99
SMALL_N = 1000  # samples in the whole study
BATCH_ETA2 = 0.25  # share of a feature's variance explained by batch
TOP_FOR_BATCH = 10
MAX_LISTED = 5
CAUSATION = (
    "Correlation is not causation: the features a model relies on are associated with the "
    "label in these samples; they are not shown to cause it, and a different but "
    "correlated feature could serve the model as well (Tip 9)."
)


def replace_findings(study: Study, step: str, codes: Iterable[str], findings: list) -> None:
    """Replace the findings of ``codes`` raised at ``step``, keeping the step's other findings."""
    codes = set(codes)
    study.findings = [f for f in study.findings if not (f.step == step and f.code in codes)] + list(findings)


# ----- one feature that determines the label ---------------------------------------------------


def _filled(X: np.ndarray, fill: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(X), fill, X)


def _rank_auc(positive: np.ndarray, X: np.ndarray) -> np.ndarray:
    """ROC AUC of every column of ``X`` as a score for ``positive`` (ties count half)."""
    from scipy.stats import rankdata  # scipy: imported lazily so the window opens fast

    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        return np.full(X.shape[1], np.nan)
    ranks = rankdata(X, axis=0)
    return (ranks[positive].sum(axis=0) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def single_feature_scores(task: str, X_tr, y_tr, X_tu, y_tu) -> tuple[str, np.ndarray]:
    """How well each feature alone predicts the tune labels, its direction fitted on train.

    Binary: ROC AUC, oriented by the training split; multiclass: macro ROC AUC of a depth-3
    tree on the one feature; regression: |Spearman ρ| with the sign of the training split.
    """
    fill = np.nanmedian(X_tr, axis=0)
    fill = np.where(np.isnan(fill), 0.0, fill)
    X_tr, X_tu = _filled(X_tr, fill), _filled(X_tu, fill)
    if task == "classification":
        classes = np.unique(y_tr)
        if len(classes) == 2 and set(classes) <= {0, 1}:
            sign = np.where(_rank_auc(y_tr == 1, X_tr) >= 0.5, 1.0, -1.0)
            return "ROC AUC", _rank_auc(y_tu == 1, X_tu * sign)
        from sklearn.tree import DecisionTreeClassifier  # sklearn: imported lazily so the window opens fast

        k = int(max(y_tr.max(), y_tu.max())) + 1
        out = np.full(X_tr.shape[1], np.nan)
        for j in range(X_tr.shape[1]):
            tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X_tr[:, [j]], y_tr)
            probs = np.zeros((len(y_tu), k))
            probs[:, tree.classes_] = tree.predict_proba(X_tu[:, [j]])
            out[j] = score("roc_auc", y_tu, probs)
        return "ROC AUC", out
    from scipy.stats import rankdata  # scipy: imported lazily so the window opens fast

    def rho(X, y):
        rx, ry = rankdata(X, axis=0), rankdata(y)
        rx, ry = rx - rx.mean(axis=0), ry - ry.mean()
        denom = np.sqrt((rx**2).sum(axis=0) * (ry**2).sum())
        with np.errstate(invalid="ignore", divide="ignore"):
            return (rx * ry[:, None]).sum(axis=0) / denom

    sign = np.where(np.nan_to_num(rho(X_tr, y_tr)) >= 0, 1.0, -1.0)
    return "Spearman ρ", rho(X_tu * sign, y_tu)


def label_proxy_scan(study: Study, X_tr=None, y_tr=None, X_tu=None, y_tu=None) -> list:
    """Features that give the label away, by the same rule as the scan before training
    (:func:`guiapp.core.data.leaks.scan_features`), applied to the training split; the tune split
    gives each one's score. Strong single markers are listed once: here only when the data
    step has not listed them already."""
    if X_tr is None:
        X_tr, y_tr, X_tu, y_tu = train_tune_arrays(study)
    names = study.data.feature_columns
    signals = scan_features(names, X_tr, y_tr, task=study.question.task, label=study.data.label, seed=study.split.seed)
    out = []
    leaks = [s for s in signals if s.leak]
    if leaks:
        measure, values = single_feature_scores(study.question.task, X_tr, y_tr, X_tu, y_tu)
        index = {name: j for j, name in enumerate(names)}
        hits = sorted(((float(np.nan_to_num(values[index[s.name]])), s.name) for s in leaks), reverse=True)
        listed = ", ".join(f"{name} ({v:.3f})" for v, name in hits[:MAX_LISTED])
        if len(hits) > MAX_LISTED:
            listed += f" and {len(hits) - MAX_LISTED} more"
        out.append(
            Findings.label_proxy.raise_(
                feature=hits[0][1], measure=measure, value=hits[0][0], count=len(hits), features=listed
            )
        )
    listed_before = any(f.code == Findings.strong_single_markers.code and f.step != "evaluate" for f in study.findings)
    strong = [s for s in signals if not s.leak]
    if strong and not listed_before:
        measure = "ROC AUC" if study.is_classification else "|Spearman ρ|"
        out += findings_from_signals(strong, measure=measure, step="evaluate", where="the training split")
    return out


# ----- near-perfect scores on few samples ----------------------------------------------------


def near_perfect_findings(study: Study, panel: dict, split: str) -> list:
    metric = study.primary_metric
    value = panel.get(metric)
    if value is None or not np.isfinite(value) or not HIGHER_IS_BETTER.get(metric, True):
        return []
    if (metric in BOUNDED or metric == "r2") and value >= NEAR_PERFECT and study.data.n_samples < SMALL_N:
        return [
            Findings.near_perfect_small_n.raise_(
                metric=DISPLAY_NAMES.get(metric, metric), value=value, n=int(panel.get("n", 0)), split=split
            )
        ]
    return []


# ----- batch-associated top features ---------------------------------------------------------


def eta_squared(x: np.ndarray, groups: np.ndarray) -> float:
    """Share of ``x``'s variance explained by ``groups`` (one-way ANOVA η²)."""
    ok = ~np.isnan(x)
    x, groups = x[ok], groups[ok]
    if len(x) < 3 or np.var(x) == 0:
        return 0.0
    total = np.sum((x - x.mean()) ** 2)
    between = sum(np.sum(groups == g) * (x[groups == g].mean() - x.mean()) ** 2 for g in np.unique(groups))
    return float(between / total)


def batch_associated_features(study: Study, features: list[str]) -> list[dict]:
    """η² of batch for each named feature, on the training rows as the model sees them (after a
    batch correction, if one was chosen); [] without a batch column."""
    from guiapp.core.data.attach import model_frame  # pulls pandas: imported lazily so the window opens fast

    if not study.data.batch:
        return []
    _, _, rows = model_frame(study)
    if study.data.batch not in rows.columns:
        return []
    X_tr = train_tune_arrays(study)[0]
    tr = np.asarray(study.split.train_idx, dtype=int)
    batches = rows[study.data.batch].astype(str).to_numpy()[tr]
    index = {c: j for j, c in enumerate(study.data.feature_columns)}
    out = []
    for name in features:
        if name in index:
            out.append({"feature": name, "eta2": round(eta_squared(X_tr[:, index[name]].astype(float), batches), 4)})
    return out


def batch_findings(study: Study, associations: list[dict], top: int) -> list:
    strong = [a for a in associations if a["eta2"] >= BATCH_ETA2]
    if not strong:
        return []
    listed = ", ".join(f"{a['feature']} ({a['eta2']:.0%})" for a in strong[:MAX_LISTED])
    return [
        Findings.top_features_batch_associated.raise_(
            count=len(strong), top=top, batch=study.data.batch, threshold=BATCH_ETA2, features=listed
        )
    ]


# ----- the caveats in words --------------------------------------------------------------------


def guard_texts(study: Study) -> list[str]:
    """Every over-interpretation caveat that applies to this study, most serious first."""
    codes = {f.code: f for f in study.findings}
    texts = []
    shuffle = study.overfitting.shuffle or {}
    if shuffle.get("flagged"):
        texts.append(
            "The label-shuffle control failed: the network does not score clearly above the "
            "same configuration trained on shuffled labels, so its feature rankings describe "
            "noise. Do not interpret them."
        )
    if Findings.label_proxy.code in codes:
        f = codes[Findings.label_proxy.code]
        texts.append(
            f"One feature nearly determines the label on its own ({f.values.get('feature')}, "
            f"{f.values.get('measure')} {f.values.get('value', float('nan')):.3f}): check it is not a "
            "leak or a proxy recorded after the outcome before reading anything else."
        )
    if Findings.near_perfect_small_n.code in codes:
        f = codes[Findings.near_perfect_small_n.code]
        texts.append(
            f"Near-perfect performance ({f.values.get('metric')} {f.values.get('value', 0):.3f}) "
            f"on a small study ({study.data.n_samples} samples): more often a leak or an easy "
            "artefact than a solved problem; confirm on an independent cohort."
        )
    if Findings.top_features_batch_associated.code in codes:
        f = codes[Findings.top_features_batch_associated.code]
        texts.append(
            f"Some top features differ strongly between batches of {study.data.batch!r} "
            f"({f.values.get('features')}): they may mark the batch rather than the biology."
        )
    agreement = study.interpret.agreement or {}
    if agreement.get("k") and agreement.get("overlap") is not None and agreement["overlap"] < 0.5:
        texts.append(
            f"The network and the linear baseline share only {agreement['shared_count']} of their "
            f"top {agreement['k']} features: feature rankings depend on the model, so read neither "
            "as a list of causes."
        )
    maps = getattr(study.interpret, "maps", None) or {}
    if maps.get("warning"):  # attribution on an image's border or a sequence's padding
        texts.append(maps["warning"])
    texts.append(CAUSATION)
    return texts


def interpretation_ready(study: Study) -> str | None:
    """Why the guards cannot speak yet, or None."""
    if not (study.interpret.importances or study.interpret.attributions):
        return "Run the interpretation first."
    return None
