"""The planted-flaw corpus (tests/flaw_corpus.py): each flawed study raises the right finding
at the right step with the right tip; each clean twin raises no warning or error beyond what
its data truly have.

Every expectation is asserted strictly.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

_spec = importlib.util.spec_from_file_location("flaw_corpus", Path(__file__).parents[1] / "flaw_corpus.py")
corpus = sys.modules.setdefault("flaw_corpus", importlib.util.module_from_spec(_spec))
if not hasattr(corpus, "CASES"):
    _spec.loader.exec_module(corpus)

SERIOUS = ("warning", "error")


@pytest.fixture(scope="module")
def inspected(tmp_path_factory):
    """Each case inspected once per module, however many expectations ask about it."""
    done = {}

    def run(name: str):
        if name not in done:
            done[name] = corpus.inspect_case(corpus.BY_NAME[name], tmp_path_factory.mktemp(name))
        return done[name]

    return run


def _names(finding) -> set:
    return {str(v) for v in finding.values.values() if isinstance(v, str)}


def _expectations():
    for case in corpus.CASES:
        for e in case.expects:
            label = f"{case.name}:{e.code}" + (f":{e.column}" if e.column else "")
            yield pytest.param(case.name, e, id=label)


@pytest.mark.parametrize("name, expect", list(_expectations()))
def test_a_flawed_study_raises_the_right_finding(inspected, name, expect):
    out = inspected(name)
    assert out.refused is None, f"the data were refused instead of reported: {out.refused}"
    same_code = [f for f in out.findings if f.code == expect.code]
    if expect.column:
        same_code = [f for f in same_code if expect.column in _names(f) or repr(expect.column) in f.message]
    raised = [(f.code, f.severity, f.step, f.tip) for f in out.findings]
    assert same_code, f"{expect.code} ({expect.column or 'any column'}) not raised; raised: {raised}"
    f = same_code[0]
    assert (f.step, f.tip, f.severity) == (expect.step, expect.tip, expect.severity), f.message


@pytest.mark.parametrize("name", [c.name for c in corpus.CASES if c.clean])
def test_a_clean_twin_raises_nothing_beyond_what_its_data_have(inspected, name):
    case = corpus.BY_NAME[name]
    out = inspected(name)
    assert out.refused is None, out.refused
    beyond = [
        f"{f.code} [{f.severity}, {f.step}]: {f.message}"
        for f in out.findings
        if f.severity in SERIOUS and f.code not in case.allowed
    ]
    assert not beyond, "\n".join(beyond)
    # what it is allowed is really there (at any level), so the list cannot go stale
    for code, why in case.allowed.items():
        assert code in out.codes("info"), f"{code} allowed ({why}) but no longer raised"


@pytest.mark.parametrize("name", [c.name for c in corpus.CASES])
def test_flawed_studies_block_on_their_errors_and_clean_twins_do_not(inspected, name):
    from guiapp.core.study.blocking import unresolved_blocking

    case, out = corpus.BY_NAME[name], inspected(name)
    assert out.refused is None, out.refused
    blocking = {f.code for f in unresolved_blocking(out.study)}
    raised_errors = {e.code for e in case.expects if e.severity == "error"} & set(out.codes("error"))
    if "too-few-samples" in raised_errors:
        # no reason can make too few samples enough: the study stops without an accept line
        from guiapp.core.pipeline import refuse_too_few_samples
        from guiapp.core.study.errors import StudyBlocked

        with pytest.raises(StudyBlocked):
            refuse_too_few_samples(out.study)
        raised_errors.discard("too-few-samples")
    assert raised_errors <= blocking
    if case.clean:
        assert not blocking


def test_the_corpus_covers_every_planted_flaw_with_clean_twins():
    flawed = [c for c in corpus.CASES if not c.clean]
    clean = [c for c in corpus.CASES if c.clean]
    assert len(flawed) >= 10 and len(clean) >= 10
    # every flawed study has a finding at warning or error level to raise
    assert all(c.flaw and any(e.severity in SERIOUS for e in c.expects) for c in flawed)
    assert all(c.twin_of in corpus.BY_NAME and not corpus.BY_NAME[c.twin_of].clean for c in clean)
    required = {
        "coded-label-column",
        "sample-order",
        "strong-real-marker",
        "full-confounding",
        "partial-confounding",
        "exact-copies",
        "near-copies",
        "replicates",
        "tiny",
        "pasilla-counts",
        "imbalance",
        "personal-identifiers",
    }
    assert required <= set(corpus.BY_NAME)


# ----- the planted flaws are really there --------------------------------------------------------


def _table(build, folder, *args) -> tuple[pd.DataFrame, dict]:
    args = build(folder, *args)
    path = Path(args["path"])
    return pd.read_csv(path, sep="\t" if path.suffix == ".tsv" else ","), args


def test_the_leaks_follow_the_label_and_their_twins_do_not(tmp_path):
    from scipy.stats import spearmanr
    from sklearn.metrics import roc_auc_score

    def link(build, column, label, leak):
        """How well the column alone orders the label: |Spearman ρ|, or 2·|AUC − ½| for two classes."""
        t, _ = _table(build, tmp_path, leak)
        if label == "progression":
            return abs(spearmanr(t[column], t[label]).statistic)
        return 2 * abs(roc_auc_score(t[label] == "malignant", t[column]) - 0.5)

    for build, column, label in (
        (corpus.coded_label_column, "grade_code", "diagnosis"),
        (corpus.outcome_named_column, "pathology_review", "diagnosis"),
        (corpus.regression_transform, "followup_index", "progression"),
    ):
        assert link(build, column, label, True) == pytest.approx(1.0)
    assert link(corpus.coded_label_column, "grade_code", "diagnosis", False) < 0.15
    assert link(corpus.regression_transform, "followup_index", "progression", False) < 0.15
    # sample order: the hour runs with the rows; sorted by it, the cultivars come in three
    # unbroken runs (flawed) or change at random (twin)
    for leak, changes in ((True, lambda n: n == 2), (False, lambda n: n > 50)):
        t, _ = _table(corpus.sample_order, tmp_path, leak)
        assert t["acquisition_hour"].is_monotonic_increasing
        runs = t["cultivar"].to_numpy()
        assert changes((runs[1:] != runs[:-1]).sum())


def test_the_copies_and_replicates_hide_under_new_ids(tmp_path):
    t, _ = _table(corpus.exact_copies, tmp_path, True)
    feats = corpus._features(t, "diagnosis")
    assert t["sample_id"].is_unique and t.duplicated(feats).sum() == 40
    t, _ = _table(corpus.near_copies, tmp_path, True)
    assert t["sample_id"].is_unique and t.duplicated(feats).sum() == 0 and len(t) == 569 + 40
    t, _ = _table(corpus.replicates, tmp_path, True)
    assert t["sample_id"].is_unique and t.groupby("patient").size().eq(3).all()


def test_the_sizes_and_people_are_as_described(tmp_path):
    t, _ = _table(corpus.imbalance, tmp_path, True)
    share = t["diagnosis"].value_counts(normalize=True)
    assert share["malignant"] == pytest.approx(0.05, abs=0.003)
    t, _ = _table(corpus.tiny, tmp_path, True)
    assert len(t) == 8
    counts, args = _table(lambda folder, *_: corpus.pasilla(folder), tmp_path)
    sheet = pd.read_csv(args["samples"])
    assert counts.shape == (14599, 8) and set(sheet["sample"]) == set(counts.columns[1:])
    t, _ = _table(corpus.personal_identifiers, tmp_path, True)
    assert t["email"].str.contains("@").all() and t["zip_code"].astype(str).str.fullmatch(r"\d{5}").all()
    t, _ = _table(corpus.full_confounding, tmp_path, True)
    assert (pd.crosstab(t["run"], t["cultivar"]).gt(0).sum(axis=1) == 1).all()
    t, _ = _table(corpus.partial_confounding, tmp_path, True)
    both = pd.crosstab(t["run"], t["diagnosis"])
    assert (both > 20).all().all() and np.diag(both.to_numpy()[:, ::-1]).min() > 3 * both.to_numpy().min()
