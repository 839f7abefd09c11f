"""The planted-flaw corpus: studies built at test time from public tables that ship inside
packages, each with one planted flaw, and their clean twins.

The tables are scikit-learn's bundled datasets (breast cancer, wine, diabetes) and the
pasilla RNA-seq counts that inmoose ships (7 samples, genes × samples, with a sample sheet).
Each :class:`Case` writes its files into a folder and names the columns; :func:`inspect_case`
runs on them the core steps that ``tenfold inspect`` and the pipeline run before training
(load and profile, batch-effect report, split) and returns every finding raised.

A flawed case lists the findings it must raise (:class:`Expect`: code, step, tip, severity).
A clean twin differs from its flawed case only by
the flaw; ``allowed`` names the warnings its data truly have, with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

# Copies split apart: the user turned the copy-aware split off.
SPLIT_APART = {"keep_copies_together": False}

WINE_SMALL_CLASS = ("too-few-samples-per-class", "wine's smallest cultivar has 48 samples, under Tip 1's 100 per class")


@dataclass(frozen=True)
class Expect:
    code: str
    step: str
    tip: int
    severity: str  # a flawed case's main findings are warnings or errors; a remedy's record is info
    column: str = ""  # the column the finding must name, when it names one


@dataclass(frozen=True)
class Case:
    name: str
    flaw: str  # what was planted, in words ("" for a clean twin)
    build: Callable[[Path], dict]  # writes the files; returns attach_data's arguments
    expects: tuple = ()  # a flawed case's findings
    twin_of: str = ""  # a clean twin: the flawed case it mirrors
    allowed: dict = field(default_factory=dict)  # a clean twin: code -> why its data have it
    task: str = "classification"
    group: str = ""  # a group column chosen by the user (the split is then a group split)
    split: dict = field(default_factory=dict)  # split settings the user changed

    @property
    def clean(self) -> bool:
        return bool(self.twin_of)


@dataclass
class Outcome:
    findings: list
    refused: str | None = None  # the message when the data were refused outright
    study: object = None

    def codes(self, min_severity: str = "info") -> list:
        order = {"info": 0, "warning": 1, "error": 2}
        return [f.code for f in self.findings if order[f.severity] >= order[min_severity]]


# ----- the public tables ------------------------------------------------------------------------


def breast_cancer() -> pd.DataFrame:
    """569 tumours × 30 features; label ``diagnosis`` (212 malignant, 357 benign)."""
    from sklearn.datasets import load_breast_cancer

    d = load_breast_cancer(as_frame=True).frame
    d["diagnosis"] = np.where(d.pop("target") == 1, "benign", "malignant")
    d.insert(0, "sample_id", [f"BC{i:04d}" for i in range(len(d))])
    return d


def wine() -> pd.DataFrame:
    """178 wines × 13 features; label ``cultivar`` (59, 71 and 48 samples)."""
    from sklearn.datasets import load_wine

    d = load_wine(as_frame=True).frame
    d["cultivar"] = d.pop("target").map({0: "barolo", 1: "grignolino", 2: "barbera"})
    d.insert(0, "sample_id", [f"W{i:03d}" for i in range(len(d))])
    return d


def diabetes() -> pd.DataFrame:
    """442 patients × 10 features; regression label ``progression`` one year later."""
    from sklearn.datasets import load_diabetes

    d = load_diabetes(as_frame=True, scaled=False).frame
    d["progression"] = d.pop("target")
    d.insert(0, "sample_id", [f"D{i:03d}" for i in range(len(d))])
    return d


def pasilla_counts() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The pasilla RNA-seq counts inmoose ships (genes × 7 samples) and its sample sheet,
    the sheet's names made to match the counts' ("treated1fb" → "treated1")."""
    from importlib.util import find_spec

    # The package's folder without importing inmoose (whose import takes seconds).
    spec = find_spec("inmoose")
    if spec is None:
        raise ModuleNotFoundError("inmoose (test extra) holds the pasilla counts")
    folder = Path(spec.submodule_search_locations[0]) / "data" / "pasilla"
    counts = pd.read_csv(folder / "pasilla_gene_counts.tsv", sep="\t")
    sheet = pd.read_csv(folder / "pasilla_sample_annotation.csv")
    sheet = pd.DataFrame({"sample": sheet["file"].str.replace(r"fb$", "", regex=True), "condition": sheet["condition"]})
    return counts, sheet


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _csv(folder: Path, name: str, table: pd.DataFrame, label: str, **kw) -> dict:
    path = folder / f"{name}.csv"
    table.to_csv(path, index=False)
    return {"path": path, "label": label, "identifiers": ["sample_id"], **kw}


def _features(table: pd.DataFrame, label: str) -> list:
    return [c for c in table.columns if c not in ("sample_id", label) and pd.api.types.is_numeric_dtype(table[c])]


# ----- the builders -----------------------------------------------------------------------------


def coded_label_column(folder: Path, leak: bool = True) -> dict:
    """Breast cancer with ``grade_code``: the label coded 0/1 (flawed) or a random 0/1 (twin)."""
    d = breast_cancer()
    code = (d["diagnosis"] == "malignant").astype(int) if leak else _rng(1).integers(0, 2, len(d))
    d.insert(5, "grade_code", code)
    return _csv(folder, "coded", d, "diagnosis")


def outcome_named_column(folder: Path, leak: bool = True) -> dict:
    """Breast cancer with a column measured after the outcome: ``pathology_review`` (a
    monotone transform of the label) or, in the twin, ``assay_score`` with no link to it."""
    d = breast_cancer()
    r = _rng(2)
    if leak:
        d["pathology_review"] = np.where(d["diagnosis"] == "malignant", 4.0, 1.0) + r.normal(0, 0.2, len(d))
    else:
        d["assay_score"] = r.normal(2.5, 1.5, len(d))
    return _csv(folder, "outcome", d, "diagnosis")


def sample_order(folder: Path, leak: bool = True) -> dict:
    """Wine measured cultivar by cultivar: the rows are sorted by label and
    ``acquisition_hour`` runs with them (flawed); in the twin the wines were measured, and
    listed, in random order."""
    d = wine()
    r = _rng(3)
    rows = np.argsort(d["cultivar"].to_numpy(), kind="stable") if leak else r.permutation(len(d))
    d = d.iloc[rows].reset_index(drop=True)
    d["acquisition_hour"] = np.arange(len(d)) * 0.25 + r.uniform(0, 0.05, len(d))
    return _csv(folder, "order", d, "cultivar")


def regression_transform(folder: Path, leak: bool = True) -> dict:
    """Diabetes with ``followup_index``: log of the target (flawed) or of a shuffled copy."""
    d = diabetes()
    target = d["progression"].to_numpy()
    d["followup_index"] = 10 * np.log(target if leak else _rng(4).permutation(target))
    return _csv(folder, "diabetes", d, "progression")


def breast_cancer_as_is(folder: Path) -> dict:
    """Breast cancer unchanged: its best single markers reach ROC AUC ≈ 0.98, real biology."""
    return _csv(folder, "breast_cancer", breast_cancer(), "diagnosis")


def _batches(labels: np.ndarray, shares: dict, seed: int) -> np.ndarray:
    """A batch per sample, drawn with the batch shares of its label."""
    r = _rng(seed)
    names = sorted({b for s in shares.values() for b in s})
    return np.array([r.choice(names, p=[shares[v].get(b, 0.0) for b in names]) for v in labels])


def full_confounding(folder: Path, flawed: bool = True) -> dict:
    """Wine measured one cultivar per run (flawed) or runs drawn at random (twin)."""
    d = wine()
    if flawed:
        d["run"] = d["cultivar"].map({"barolo": "run1", "grignolino": "run2", "barbera": "run3"})
    else:
        d["run"] = np.tile(["run1", "run2", "run3"], len(d) // 3 + 1)[: len(d)]
    return _csv(folder, "runs", d, "cultivar", batch="run")


def partial_confounding(folder: Path, flawed: bool = True) -> dict:
    """Breast cancer in two runs: 85% of the malignant and 15% of the benign tumours in run A
    (flawed: every run holds both labels, yet the label shares differ strongly) or half and
    half (twin)."""
    d = breast_cancer()
    share = (
        {"malignant": {"A": 0.85, "B": 0.15}, "benign": {"A": 0.15, "B": 0.85}}
        if flawed
        else {"malignant": {"A": 0.5, "B": 0.5}, "benign": {"A": 0.5, "B": 0.5}}
    )
    d["run"] = _batches(d["diagnosis"].to_numpy(), share, seed=5)
    return _csv(folder, "partial", d, "diagnosis", batch="run")


def mild_confounding(folder: Path, flawed: bool = True) -> dict:
    """Wine in three runs, each run 60% one cultivar (Cramér's V ≈ 0.4), or at random."""
    d = wine()
    names = {"barolo": "run1", "grignolino": "run2", "barbera": "run3"}
    share = {
        c: (
            {b: (0.6 if b == names[c] else 0.2) for b in names.values()}
            if flawed
            else {b: 1 / 3 for b in names.values()}
        )
        for c in names
    }
    d["run"] = _batches(d["cultivar"].to_numpy(), share, seed=6)
    return _csv(folder, "mild", d, "cultivar", batch="run")


def exact_copies(folder: Path, flawed: bool = True) -> dict:
    """Breast cancer with 40 tumours listed twice under new sample IDs (flawed)."""
    d = breast_cancer()
    if flawed:
        copies = d.sample(40, random_state=0).copy()
        copies["sample_id"] = [f"BCX{i:03d}" for i in range(len(copies))]
        d = pd.concat([d, copies], ignore_index=True)
    return _csv(folder, "copies", d, "diagnosis")


def near_copies(folder: Path, flawed: bool = True) -> dict:
    """Breast cancer with 40 tumours re-measured (values within 0.2%) under new IDs."""
    d = breast_cancer()
    if flawed:
        copies = d.sample(40, random_state=1).copy()
        feats = _features(d, "diagnosis")
        copies[feats] = copies[feats] * (1 + _rng(7).normal(0, 0.002, (len(copies), len(feats))))
        copies["sample_id"] = [f"BCN{i:03d}" for i in range(len(copies))]
        d = pd.concat([d, copies], ignore_index=True)
    return _csv(folder, "near_copies", d, "diagnosis")


def replicates(folder: Path, flawed: bool = True) -> dict:
    """Wine from 178 patients' cellars, each measured three times (flawed: replicates that
    share the ``patient`` column) or once (twin)."""
    d = wine()
    d.insert(1, "patient", [f"P{i:03d}" for i in range(len(d))])
    if flawed:
        feats = _features(d, "cultivar")
        r = _rng(8)
        parts = []
        for k in range(3):
            part = d.copy()
            part[feats] = part[feats] * (1 + r.normal(0, 0.01, (len(d), len(feats))))
            part["sample_id"] = [f"W{i:03d}-{k}" for i in range(len(d))]
            parts.append(part)
        d = pd.concat(parts, ignore_index=True)
    return _csv(folder, "replicates", d, "cultivar")


def tiny(folder: Path, flawed: bool = True) -> dict:
    """Breast cancer cut to 4 + 4 tumours (flawed) or 120 + 120 (twin)."""
    d = breast_cancer()
    n = 4 if flawed else 120
    d = pd.concat([d[d["diagnosis"] == v].sample(n, random_state=9) for v in ("malignant", "benign")])
    return _csv(folder, "tiny" if flawed else "enough", d, "diagnosis")


def pasilla(folder: Path) -> dict:
    """The pasilla counts as a biologist has them: genes × 7 samples, and a sample sheet."""
    counts, sheet = pasilla_counts()
    counts.to_csv(folder / "pasilla_counts.tsv", sep="\t", index=False)
    sheet.to_csv(folder / "pasilla_samples.csv", index=False)
    return {"path": folder / "pasilla_counts.tsv", "label": "condition", "samples": str(folder / "pasilla_samples.csv")}


def imbalance(folder: Path, flawed: bool = True) -> dict:
    """Breast cancer with 340 benign and 18 malignant tumours (95/5), or 200 and 200."""
    d = breast_cancer()
    sizes = {"benign": 340, "malignant": 18} if flawed else {"benign": 200, "malignant": 200}
    d = pd.concat([d[d["diagnosis"] == v].sample(n, random_state=10) for v, n in sizes.items()])
    return _csv(folder, "imbalance", d, "diagnosis")


PII_COLUMNS = ("name", "date_of_birth", "zip_code", "email")


def personal_identifiers(folder: Path, flawed: bool = True) -> dict:
    """Wine with the donors' names, dates of birth, ZIP codes and e-mail addresses."""
    d = wine()
    if flawed:
        r = _rng(11)
        n = len(d)
        first = r.choice(["Anna", "John", "Maria", "Peter", "Lena", "Omar", "Sofia", "Jan"], n)
        last = r.choice(["Smith", "Garcia", "Novak", "Khan", "Olsen", "Rossi", "Müller"], n)
        d.insert(1, "name", [f"{a} {b}" for a, b in zip(first, last, strict=False)])
        d.insert(
            2,
            "date_of_birth",
            [
                f"19{y}-{m:02d}-{day:02d}"
                for y, m, day in zip(r.integers(40, 99, n), r.integers(1, 13, n), r.integers(1, 29, n), strict=False)
            ],
        )
        d.insert(3, "zip_code", [f"{z:05d}" for z in r.integers(10000, 99999, n)])
        d.insert(
            4,
            "email",
            [f"{a.lower()}.{b.lower()}{i}@example.org" for i, (a, b) in enumerate(zip(first, last, strict=False))],
        )
    return _csv(folder, "donors", d, "cultivar")


# ----- the corpus -------------------------------------------------------------------------------


def _flawed(build, **kw):
    return lambda folder: build(folder, True, **kw)


def _twin(build, **kw):
    return lambda folder: build(folder, False, **kw)


CASES = (
    # leaks of the label
    Case(
        "coded-label-column",
        "a column equal to the encoded label",
        _flawed(coded_label_column),
        (Expect("possible-label-leak", "data", 7, "error", column="grade_code"),),
    ),
    Case("coded-label-column-twin", "", _twin(coded_label_column), twin_of="coded-label-column"),
    Case(
        "outcome-named-column",
        "a column measured after the outcome, named so",
        _flawed(outcome_named_column),
        (Expect("possible-label-leak", "data", 7, "error", column="pathology_review"),),
    ),
    Case("outcome-named-column-twin", "", _twin(outcome_named_column), twin_of="outcome-named-column"),
    Case(
        "sample-order",
        "a column whose order follows the label",
        _flawed(sample_order),
        (Expect("possible-label-leak", "data", 7, "error", column="acquisition_hour"),),
    ),
    Case("sample-order-twin", "", _twin(sample_order), twin_of="sample-order", allowed=dict([WINE_SMALL_CLASS])),
    Case(
        "regression-monotone-transform",
        "a monotone transform of a continuous label",
        _flawed(regression_transform),
        (Expect("possible-label-leak", "data", 7, "error", column="followup_index"),),
        task="regression",
    ),
    Case(
        "regression-monotone-transform-twin",
        "",
        _twin(regression_transform),
        twin_of="regression-monotone-transform",
        task="regression",
    ),
    Case("strong-real-marker", "", breast_cancer_as_is, twin_of="coded-label-column"),
    # batches and the label
    Case(
        "full-confounding",
        "each run holds one cultivar",
        _flawed(full_confounding),
        (Expect("batch-confounded", "batch", 7, "error", column="run"),),
    ),
    Case(
        "full-confounding-twin",
        "",
        _twin(full_confounding),
        twin_of="full-confounding",
        allowed=dict([WINE_SMALL_CLASS]),
    ),
    Case(
        "partial-confounding",
        "label shares differ strongly between runs (85/15)",
        _flawed(partial_confounding),
        (Expect("batch-confounded", "batch", 7, "error", column="run"),),
    ),
    Case("partial-confounding-twin", "", _twin(partial_confounding), twin_of="partial-confounding"),
    Case(
        "mild-confounding",
        "each run 60% one cultivar (Cramér's V ≈ 0.4)",
        _flawed(mild_confounding),
        (Expect("batch-partly-confounded", "batch", 7, "warning", column="run"),),
    ),
    Case(
        "mild-confounding-twin",
        "",
        _twin(mild_confounding),
        twin_of="mild-confounding",
        allowed=dict([WINE_SMALL_CLASS]),
    ),
    # copies of samples
    Case(
        "exact-copies",
        "40 tumours listed twice under new IDs",
        _flawed(exact_copies),
        (Expect("duplicate-samples", "data", 7, "warning"), Expect("copies-kept-together", "split", 7, "info")),
    ),
    Case(
        "exact-copies-split-apart",
        "40 tumours listed twice; the copy-aware split turned off",
        _flawed(exact_copies),
        (Expect("duplicate-samples", "data", 7, "warning"), Expect("duplicates-across-splits", "split", 7, "error")),
        split=SPLIT_APART,
    ),
    Case("exact-copies-twin", "", _twin(exact_copies), twin_of="exact-copies"),
    Case(
        "near-copies",
        "40 tumours re-measured within 0.2% under new IDs",
        _flawed(near_copies),
        (Expect("near-duplicate-samples", "batch", 7, "warning"), Expect("copies-kept-together", "split", 7, "info")),
    ),
    Case(
        "near-copies-split-apart",
        "40 tumours re-measured; the copy-aware split turned off",
        _flawed(near_copies),
        (
            Expect("near-duplicate-samples", "batch", 7, "warning"),
            Expect("duplicates-across-splits", "split", 7, "error"),
        ),
        split=SPLIT_APART,
    ),
    Case("near-copies-twin", "", _twin(near_copies), twin_of="near-copies"),
    Case(
        "replicates",
        "each patient measured three times",
        _flawed(replicates),
        (
            Expect("near-duplicate-samples", "batch", 7, "warning"),
            Expect("group-column-suggested", "batch", 7, "warning", column="patient"),
            Expect("copies-kept-together", "split", 7, "info"),
        ),
    ),
    Case(
        "replicates-split-apart",
        "each patient measured three times; the copy-aware split off",
        _flawed(replicates),
        (
            Expect("near-duplicate-samples", "batch", 7, "warning"),
            Expect("duplicates-across-splits", "split", 7, "error"),
        ),
        split=SPLIT_APART,
    ),
    Case(
        "replicates-twin",
        "",
        _twin(replicates),
        twin_of="replicates",
        allowed=dict(
            [
                WINE_SMALL_CLASS,
                ("identifier-like-column", "with one sample per patient, the patient code is an ID"),
                ("pii-identifier", "a patient code is a personal identifier (HIPAA item 18)"),
            ]
        ),
    ),
    # too few samples, imbalance
    Case("tiny", "8 tumours", _flawed(tiny), (Expect("too-few-samples", "data", 1, "error"),)),
    Case("tiny-twin", "", _twin(tiny), twin_of="tiny"),
    Case(
        "pasilla-counts",
        "7 RNA-seq samples (genes × samples, with a sample sheet)",
        pasilla,
        (Expect("too-few-samples", "data", 1, "error"),),
    ),
    Case(
        "imbalance",
        "95/5 classes (340 benign, 18 malignant)",
        _flawed(imbalance),
        (Expect("class-imbalance", "data", 7, "warning"),),
    ),
    Case("imbalance-twin", "", _twin(imbalance), twin_of="imbalance"),
    # people
    Case(
        "personal-identifiers",
        "names, dates of birth, ZIP codes and e-mails of the donors",
        _flawed(personal_identifiers),
        tuple(Expect("pii-identifier", "data", 10, "warning", column=c) for c in PII_COLUMNS),
    ),
    Case(
        "personal-identifiers-twin",
        "",
        _twin(personal_identifiers),
        twin_of="personal-identifiers",
        allowed=dict([WINE_SMALL_CLASS]),
    ),
)

BY_NAME = {c.name: c for c in CASES}


def inspect_case(case: Case, folder: Path, *, n_permutations: int = 0) -> Outcome:
    """The steps before training, as ``tenfold inspect`` runs them, on the case's files.

    ``n_permutations`` (the batch-predictability p-value) changes no finding; none keeps the
    corpus fast.
    """
    from guiapp.core.batch import effects as batch
    from guiapp.core.data import attach as data
    from guiapp.core.split import draw as split
    from guiapp.core.study.errors import TenfoldError
    from guiapp.core.study.model import Study

    folder.mkdir(parents=True, exist_ok=True)
    args = case.build(folder)
    study = Study()
    study.question.task = case.task
    try:
        data.attach_data(study, data.AttachRequest(args.pop("path"), sensitive=False, group=case.group, **args))
        batch.batch_effect_report(study, n_permutations=n_permutations)
        if case.group:
            study.split.strategy = "group"
        for key, value in case.split.items():
            setattr(study.split, key, value)
        split.split_study(study)
    except TenfoldError as exc:
        return Outcome(list(study.findings), refused=str(exc), study=study)
    return Outcome(list(study.findings), study=study)
