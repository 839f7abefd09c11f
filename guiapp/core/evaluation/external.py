"""External cohorts (Tips 7 and 9): independent labelled datasets, scored once after the sealed test.

A cohort is a file, its label column and a name (e.g. "Hospital B, 2024"), with an optional
sample sheet. :func:`read_cohort` checks it as ``tenfold predict`` checks new samples: the
study's features by name (missing ones are named and refused), the same label set. It goes
through the study's own preprocessing, fitted on the training split only: the network's
built-in imputation and scaling, the training split's most frequent values, and the study's
ComBat fit, which treats the cohort as a batch it has not seen (from its features, never its
labels).

:func:`evaluate_cohort` records each cohort like the sealed test set: once; a second look
needs a reason, is counted and is shown in the card. Each result holds the whole metric panel
with intervals and calibration, the baselines on the same cohort, the change from the internal
test set with a bootstrap interval of the difference, and a shift check: a domain classifier
(training rows vs cohort rows, cross-validated logistic regression) and the cohort drawn on
the study's PCA embedding.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from guiapp.core.study.errors import DataError, TenfoldError
from guiapp.core.study.findings import Findings
from guiapp.core.study.model import now_iso
from guiapp.core.study.task_context import ProgressFn, StopFn, check_stop, no_progress

N_BOOT = 200
MAX_SHIFT_ROWS = 1000  # rows of each side the domain classifier and the embedding use
MAX_EMBEDDING_POINTS = 300
SHIFT_WARN_AUC = 0.8  # a domain classifier this good: the cohort clearly differs from the training data
# the [data] options that say how a file is read; a cohort is read the same way
READ_OPTIONS = ("modality", "sheet", "image_size", "colour", "sequence_length", "alphabet", "crop", "sheet_id")


@dataclass
class Cohort:
    """One cohort's rows as the study's models take them."""

    name: str
    path: str
    label: str
    samples: str = ""
    X: np.ndarray = field(default=None, repr=False)  # features in the study's order, float32
    y: np.ndarray = field(default=None, repr=False)  # class codes (study's order) or values
    batches: np.ndarray = field(default=None, repr=False)
    n: int = 0
    dropped_unlabelled: int = 0
    extra_columns: list = field(default_factory=list)  # columns the study does not use; left aside
    sha256: str = ""


def _find(study, name: str) -> dict | None:
    key = name.strip().casefold()
    return next((r for r in study.evaluation.external if r.get("name", "").casefold() == key), None)


def read_cohort(study, path, *, label: str, name: str, samples: str = "", should_stop: StopFn | None = None) -> Cohort:
    """Read and check a cohort; a :class:`DataError` names what is missing or different."""
    from guiapp.core.data.attach import file_provenance, load_dataset
    from guiapp.core.data.feature_check import check_features
    from guiapp.core.data.profile import label_values

    if not name or not str(name).strip():
        raise TenfoldError(
            'Give the external cohort a name, e.g. "Hospital B, 2024": the card and the report name each cohort.'
        )
    if not label or not str(label).strip():
        raise TenfoldError(f"Name the label column of the external cohort {name!r}.")
    if not study.data.feature_columns:
        raise TenfoldError("Load the study's data first: a cohort is checked against its features.")
    path = Path(path).expanduser()
    options = {k: v for k, v in (study.data.options or {}).items() if k in READ_OPTIONS}
    loaded = load_dataset(
        path,
        label=label,
        samples=samples or "",
        transposed=study.data.transposed or None,
        options=options,
        should_stop=should_stop,
    )
    table = loaded.table
    if label not in table.columns:
        shown = ", ".join(map(str, list(table.columns)[:12]))
        raise DataError(
            f"The external cohort {name!r} ({path.name}) has no label column {label!r}. Its "
            f"columns include: {shown}. Give the column that holds "
            f"{'the classes' if study.is_classification else 'the value to predict'}."
        )
    features = check_features(
        table, list(study.data.feature_columns), by_name=True, file_name=f"The external cohort {name!r} ({path.name})"
    )
    labelled = table[table[label].notna()].reset_index(drop=True)
    cohort = Cohort(
        name=str(name).strip(),
        path=str(path),
        label=label,
        samples=str(samples or ""),
        dropped_unlabelled=int(len(table) - len(labelled)),
    )
    if len(labelled) < 2:
        raise DataError(
            f"The external cohort {name!r} has {len(labelled)} labelled sample(s) in {label!r}; "
            "a cohort needs labelled samples to be scored."
        )
    if study.is_classification:
        values = label_values(labelled[label]).astype(str)
        classes = [str(c) for c in study.data.classes]
        lookup = {c: i for i, c in enumerate(classes)}
        unknown = sorted(set(values) - set(classes))
        if unknown:
            raise DataError(
                f"The external cohort {name!r} uses another label set in {label!r}: "
                f"{', '.join(map(repr, unknown[:8]))} {'is' if len(unknown) == 1 else 'are'} not among the study's "
                f"classes ({', '.join(map(repr, classes))}). Recode the cohort's labels to the study's classes "
                "(the same spelling), or drop the samples of other classes."
            )
        cohort.y = values.map(lookup).to_numpy().astype(np.int64)
    else:
        import pandas as pd

        y = pd.to_numeric(labelled[label], errors="coerce")
        if y.isna().any():
            bad = labelled[label][y.isna()].iloc[0]
            raise DataError(
                f"The external cohort {name!r} has a non-numeric value {bad!r} in {label!r}; this "
                "study predicts a number."
            )
        cohort.y = y.to_numpy(dtype=np.float32)
    used = set(features) | {
        label,
        study.data.batch,
        study.data.group,
        *study.data.identifiers,
        *loaded.id_columns,
        *loaded.meta_columns,
    }
    cohort.extra_columns = [str(c) for c in table.columns if c not in used]
    from guiapp.core.data import transform  # the study's log transform, applied to the cohort alike

    transform.check_columns(
        labelled,
        [c for c in transform.log1p_columns(study.data.transform) if c in features],
        file_name=f"the external cohort {name!r}",
    )
    cohort.X = transform.apply(
        labelled[features].to_numpy(dtype=np.float32, na_value=np.nan),
        list(study.data.feature_columns),
        study.data.transform,
    )
    batch = study.data.batch
    cohort.batches = (
        labelled[batch].astype(str).to_numpy()
        if batch and batch in labelled.columns
        else np.array([f"external: {cohort.name}"] * len(labelled))
    )
    cohort.n = int(len(labelled))
    cohort.sha256 = file_provenance(path).sha256 if path.is_file() else ""
    return cohort


def prepared_rows(study, cohort: Cohort) -> np.ndarray:
    """The cohort's rows after the study's own preprocessing, fitted on the training split only."""
    from guiapp.core.data.attach import model_frame

    X = cohort.X.copy()
    needs_fill = getattr(study.data, "missing", "median") == "most-frequent" and np.isnan(X).any()
    if not needs_fill and study.batch.remedy != "combat":
        return X  # the networks and baselines fill and scale inside, with training-split values
    X_all, y_all, rows = model_frame(study)
    train = np.asarray(study.split.train_idx, dtype=int)
    if needs_fill:
        for j in np.flatnonzero(np.isnan(X).any(axis=0)):
            values = X_all[train, j]
            values = values[~np.isnan(values)]
            if len(values):
                uniq, counts = np.unique(values, return_counts=True)
                X[np.isnan(X[:, j]), j] = uniq[np.argmax(counts)]
            else:
                X[np.isnan(X[:, j]), j] = 0.0
    if study.batch.remedy == "combat":
        from guiapp.core.batch.combat import study_batches, study_correction

        batches = study_batches(study, rows)
        model = study_correction(study, X_all[train], y_all[train], batches[train])
        X = model.transform(X, cohort.batches).astype(np.float32)
    return X


def check_cohort(study, spec: dict) -> Cohort:
    """A spec's ``[[external]]`` table read and checked (before training: a bad file fails fast)."""
    return read_cohort(study, spec["path"], label=spec["label"], name=spec["name"], samples=spec.get("samples", ""))


def evaluate_cohort(
    study,
    path,
    *,
    label: str,
    name: str,
    samples: str = "",
    reason: str = "",
    progress: ProgressFn = no_progress,
    should_stop: StopFn | None = None,
) -> dict:
    """Score the network and the baselines on one external cohort, once; record the result.

    A second evaluation of a cohort of the same name needs ``reason``; it is counted, kept
    with the result and raised as a finding.
    """
    from guiapp.core.evaluation import scoreboard
    from guiapp.core.evaluation.evaluate import _panel, _replace, baseline_pipeline, require_trained
    from guiapp.core.models.baselines import model_output
    from guiapp.core.models.network import predict
    from guiapp.core.split.draw import train_tune_arrays

    require_trained(study)
    if study.split.test_uses < 1:
        raise TenfoldError(
            "Evaluate the sealed test set first: external cohorts are scored after it, so the "
            "model and its settings are final before any outside data are seen."
        )
    earlier = _find(study, name or "")
    if earlier is not None and not reason.strip():
        raise TenfoldError(
            f"The external cohort {earlier['name']!r} was already evaluated on {earlier['evaluated_at'][:10]}. "
            "Looking again makes its score optimistic (Tip 7); if you must, give a reason — it is counted "
            "and shown in the model card."
        )
    progress(0.05, f"Reading the external cohort {name}")
    cohort = read_cohort(study, path, label=label, name=name, samples=samples, should_stop=should_stop)
    X = prepared_rows(study, cohort)
    check_stop(should_stop)
    progress(0.2, f"Scoring the network on {cohort.name}")
    out = predict(study, X)
    panel = _panel(study, cohort.y, out)
    X_tr, y_tr, _, _ = train_tune_arrays(study)
    baseline_panels = {}
    names = [r["name"] for r in study.baselines.results]
    for i, b in enumerate(names):
        check_stop(should_stop)
        progress(0.3 + 0.3 * i / max(len(names), 1), f"Scoring baseline {b} on {cohort.name}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pipe = baseline_pipeline(study, b).fit(X_tr, y_tr)
        baseline_panels[b] = _panel(study, cohort.y, model_output(pipe, X, study.question.task), details=False)
    progress(0.65, "Comparing with the internal test set")
    change = change_from_test(study, cohort.y, out)
    check_stop(should_stop)
    progress(0.8, "Measuring how far the cohort lies from the training data")
    shift = shift_check(study, X_tr, X)
    record = {
        "name": cohort.name,
        "file": Path(cohort.path).name,
        "sha256": cohort.sha256,
        "label": cohort.label,
        "samples": Path(cohort.samples).name if cohort.samples else "",
        "n": cohort.n,
        "dropped_unlabelled": cohort.dropped_unlabelled,
        "extra_columns": cohort.extra_columns[:50],
        "n_extra_columns": len(cohort.extra_columns),
        "class_counts": _class_counts(study, cohort.y),
        "metric": study.primary_metric,
        "metrics": panel,
        "baselines": baseline_panels,
        "change": change,
        "shift": shift,
        "evaluated_at": now_iso(),
        "uses": 1,
        "reasons": [],
    }
    if earlier is not None:
        record["uses"] = int(earlier.get("uses", 1)) + 1
        record["reasons"] = list(earlier.get("reasons", [])) + [reason.strip()]
        record["first_evaluated_at"] = earlier.get("first_evaluated_at", earlier.get("evaluated_at"))
        study.evaluation.external = [r for r in study.evaluation.external if r is not earlier]
    study.evaluation.external.append(record)
    _replace(
        study,
        "evaluate",
        {Findings.external_cohort_reused.code, Findings.external_cohort_shift.code},
        cohort_findings(study),
    )
    _replace(study, "evaluate", {Findings.criterion_not_met.code}, scoreboard.scoreboard_findings(study))
    progress(1.0, f"External cohort {cohort.name} evaluated")
    return record


def cohort_findings(study) -> list:
    out = []
    for r in study.evaluation.external:
        if r.get("uses", 1) > 1:
            out.append(
                Findings.external_cohort_reused.raise_(
                    name=r["name"], uses=r["uses"], reason="; ".join(r.get("reasons", []))
                )
            )
        auc = (r.get("shift") or {}).get("domain_auc")
        if auc is not None and auc >= SHIFT_WARN_AUC:
            out.append(Findings.external_cohort_shift.raise_(name=r["name"], auc=auc))
    return out


def _class_counts(study, y) -> dict:
    if not study.is_classification:
        return {"n": int(len(y))}
    values, counts = np.unique(y, return_counts=True)
    return {str(study.data.classes[v]): int(c) for v, c in zip(values, counts, strict=False)}


def test_outputs(study):
    """The network's outputs on the internal test rows (only after the sealed evaluation)."""
    from guiapp.core.data.attach import model_frame
    from guiapp.core.models.network import predict
    from guiapp.core.split.draw import model_rows

    if study.split.test_uses < 1:
        return None, None
    X, y, rows = model_frame(study)
    te = np.asarray(study.split.test_idx, dtype=int)
    return y[te], predict(study, model_rows(study, X, y, rows, te))


def change_from_test(study, y_ext, out_ext, *, n_boot: int = N_BOOT) -> dict:
    """External minus internal-test score of the primary metric, with a bootstrap interval.

    The two sets are resampled independently; ``drop`` is how much worse the cohort is (positive:
    worse, in the metric's own direction).
    """
    from guiapp.core.stats.metrics import HIGHER_IS_BETTER, fast_score

    metric = study.primary_metric
    threshold = study.evaluation.threshold
    y_te, out_te = test_outputs(study)
    if y_te is None:
        return {}
    internal = float(fast_score(metric, y_te, out_te, threshold))
    external = float(fast_score(metric, y_ext, out_ext, threshold))
    rng = np.random.default_rng(study.split.seed)
    diffs = []
    for _ in range(n_boot):
        i = rng.integers(0, len(y_te), len(y_te))
        j = rng.integers(0, len(y_ext), len(y_ext))
        d = fast_score(metric, y_ext[j], out_ext[j], threshold) - fast_score(metric, y_te[i], out_te[i], threshold)
        if np.isfinite(d):
            diffs.append(d)
    sign = 1.0 if HIGHER_IS_BETTER.get(metric, True) else -1.0
    ci = [float(np.percentile(diffs, 2.5)), float(np.percentile(diffs, 97.5))] if len(diffs) >= 10 else None
    return {
        "metric": metric,
        "internal_test": internal,
        "external": external,
        "difference": external - internal,
        "difference_ci": ci,
        "drop": sign * (internal - external),
        "n_test": int(len(y_te)),
        "n_boot": n_boot,
    }


def shift_check(study, X_train: np.ndarray, X_cohort: np.ndarray) -> dict:
    """How different the cohort is from the training rows.

    A domain classifier (logistic regression on the training split's standardised features,
    5-fold cross-validated) tells training rows from cohort rows: ROC AUC 0.5 means it cannot,
    1.0 means every cohort sample is recognisable. The cohort is also drawn on the first two
    principal components of the training rows (the batch step's embedding, fitted on training only).
    """
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    rng = np.random.default_rng(study.split.seed)
    a = X_train if len(X_train) <= MAX_SHIFT_ROWS else X_train[rng.choice(len(X_train), MAX_SHIFT_ROWS, replace=False)]
    b = (
        X_cohort
        if len(X_cohort) <= MAX_SHIFT_ROWS
        else X_cohort[rng.choice(len(X_cohort), MAX_SHIFT_ROWS, replace=False)]
    )
    fill = np.nan_to_num(np.nanmedian(a, axis=0)) if np.isnan(a).any() else np.median(a, axis=0)
    center = np.nanmean(np.where(np.isnan(a), fill, a), axis=0)
    scale = np.nanstd(np.where(np.isnan(a), fill, a), axis=0)
    scale = np.where(scale > 1e-12, scale, 1.0)

    def standard(M):
        return ((np.where(np.isnan(M), fill, M) - center) / scale).astype(np.float64)

    A, B = standard(a), standard(b)
    Z = np.vstack([A, B])
    d = np.r_[np.zeros(len(A)), np.ones(len(B))].astype(int)
    folds = int(min(5, len(A), len(B)))
    auc = None
    if folds >= 2:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clf = LogisticRegression(C=0.1, max_iter=500)
            p = cross_val_predict(
                clf,
                Z,
                d,
                cv=StratifiedKFold(folds, shuffle=True, random_state=study.split.seed),
                method="predict_proba",
            )[:, 1]
        auc = float(roc_auc_score(d, p))
    pca = PCA(n_components=2, random_state=study.split.seed).fit(A) if A.shape[1] >= 2 else None
    embedding = {}
    if pca is not None:
        pa, pb = pca.transform(A), pca.transform(B)
        ka = rng.choice(len(pa), min(len(pa), MAX_EMBEDDING_POINTS), replace=False)
        kb = rng.choice(len(pb), min(len(pb), MAX_EMBEDDING_POINTS), replace=False)
        embedding = {
            "training": np.round(pa[np.sort(ka)], 3).tolist(),
            "cohort": np.round(pb[np.sort(kb)], 3).tolist(),
            "explained_variance": [round(float(v), 4) for v in pca.explained_variance_ratio_],
        }
    if auc is None:
        reading = "Too few samples to train a domain classifier."
    elif auc >= SHIFT_WARN_AUC:
        reading = (
            f"A classifier tells the cohort from the training data with ROC AUC {auc:.2f}: the cohort differs "
            "clearly (another lab, instrument or population). Its score says how the model travels."
        )
    elif auc >= 0.6:
        reading = f"A classifier tells the cohort from the training data with ROC AUC {auc:.2f}: a modest shift."
    else:
        reading = f"A classifier barely tells the cohort from the training data (ROC AUC {auc:.2f}): little shift."
    return {
        "domain_auc": auc,
        "method": f"logistic regression, {folds}-fold cross-validated, training vs cohort",
        "n_training": int(len(A)),
        "n_cohort": int(len(B)),
        "embedding": embedding,
        "reading": reading,
    }


def summary(record: dict, *, embedding: bool = False) -> dict:
    """One cohort's result for ``metrics.json``: the panels without their curve details."""
    out = {k: v for k, v in record.items() if k not in ("metrics", "baselines", "shift")}
    out["metrics"] = {k: v for k, v in record.get("metrics", {}).items() if k != "details"}
    out["calibration"] = ((record.get("metrics") or {}).get("details") or {}).get("reliability")
    out["baselines"] = {
        k: {m: v for m, v in p.items() if m != "details"} for k, p in record.get("baselines", {}).items()
    }
    shift = dict(record.get("shift") or {})
    if not embedding:
        shift.pop("embedding", None)
    out["shift"] = shift
    return out


def worst_cohort(study) -> dict | None:
    """The cohort with the worst primary-metric score, or None without cohorts."""
    from guiapp.core.stats.metrics import HIGHER_IS_BETTER

    metric = study.primary_metric
    scored = [
        r
        for r in study.evaluation.external
        if r.get("metrics", {}).get(metric) is not None and np.isfinite(r["metrics"][metric])
    ]
    if not scored:
        return None
    sign = 1 if HIGHER_IS_BETTER.get(metric, True) else -1
    return min(scored, key=lambda r: sign * r["metrics"][metric])


def metrics_section(study) -> dict:
    """``metrics.json``'s keys for this module's results and the new criteria's measurements."""
    e = study.evaluation
    return {
        "external": [summary(r) for r in e.external],
        "generalization_estimate": e.generalization or None,
        "efficiency": e.efficiency or None,
        "attribution_stability": study.interpret.stability or None,
    }
