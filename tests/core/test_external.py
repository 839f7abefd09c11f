"""External cohorts, the leave-one-batch-out estimate and the new criteria, on the simulated-expression
demo: its spec brings a cohort from "another lab" (its own batch shift, the same biology)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from guiapp.core.data.attach import reload_table
from guiapp.core.data.demo import another_lab, simulated_expression
from guiapp.core.evaluation import criteria, external, generalization
from guiapp.core.evaluation.criterion_status import MET, NOT_MET
from guiapp.core.evaluation.scoreboard import scoreboard
from guiapp.core.study.errors import DataError, SpecError, TenfoldError
from guiapp.core.study.findings import Findings
from guiapp.core.study.model import Study


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """The simulated-expression demo's own spec, with tiny budgets."""
    from guiapp.core.pipeline import demo_spec, run_study

    out = tmp_path_factory.mktemp("sim")
    spec = demo_spec("simulated_expression", out / "data", max_epochs=4)
    spec["baselines"] = {"budget_trials": 1, "models": ["logistic_regression", "random_forest"]}
    spec["train"].update(budget_trials=0, device="cpu")
    spec["evaluate"] = {"shuffle_repeats": 1, "learning_curve": [0.5, 1.0], "lobo_epochs": 2}
    spec["interpret"] = {"repeats": 1, "stability_refits": 1}
    spec["privacy"] = {"membership_audit": False}
    result = run_study(spec, out / "bundle")
    return spec, result


def test_the_demo_cohort_shares_the_biology_but_not_the_lab():
    study = simulated_expression()
    lab = another_lab()
    genes = [c for c in study.table.columns if c.startswith("GENE")]
    assert list(lab.table.columns) == list(study.table.columns)
    # the same signal: the informative genes separate the conditions by about the effect size
    for t in (study.table, lab.table):
        diff = t[t.condition == "treated"][genes[:10]].mean() - t[t.condition == "control"][genes[:10]].mean()
        assert 0.6 < diff.mean() < 1.4
    # its own shift: mean profiles differ far more than the study's own runs differ from each other
    shift = np.abs(lab.table[genes].mean() - study.table[genes].mean()).mean()
    runs = study.table.groupby("batch")[genes].mean()
    assert shift > 1.5 * np.abs(runs - study.table[genes].mean()).to_numpy().mean()


def test_the_demo_evaluates_its_external_cohort_once(demo_run):
    spec, result = demo_run
    (record,) = result.study.evaluation.external
    assert record["name"] == "Another lab (simulated)" and record["uses"] == 1
    assert record["n"] == 200 and {"roc_auc", "roc_auc_ci", "ece", "brier"} <= set(record["metrics"])
    assert set(record["baselines"]) == {"logistic_regression", "random_forest"}
    change = record["change"]
    assert change["difference"] == pytest.approx(change["external"] - change["internal_test"])
    lo, hi = change["difference_ci"]
    assert lo <= change["difference"] <= hi
    # another lab's shift is plain to a domain classifier; the finding says how to read the score
    assert record["shift"]["domain_auc"] > 0.9
    assert len(record["shift"]["embedding"]["cohort"]) > 0
    assert Findings.external_cohort_shift.code in result.study.finding_codes()


def test_a_second_evaluation_needs_a_reason_and_is_counted(demo_run):
    spec, result = demo_run
    study = Study.open(result.study.folder)
    reload_table(study)
    cohort = spec["external"][0]
    with pytest.raises(TenfoldError, match="already evaluated"):
        external.evaluate_cohort(study, cohort["path"], label="condition", name=cohort["name"])
    assert study.evaluation.external[0]["uses"] == 1
    record = external.evaluate_cohort(
        study, cohort["path"], label="condition", name=cohort["name"].upper(), reason="the lab sent corrected files"
    )
    assert record["uses"] == 2 and record["reasons"] == ["the lab sent corrected files"]
    assert len(study.evaluation.external) == 1
    assert Findings.external_cohort_reused.code in study.finding_codes()


def test_a_cohort_is_checked_like_predict_input(demo_run, tmp_path):
    spec, result = demo_run
    study = result.study
    lab = another_lab(30).table
    lab.drop(columns=["GENE0003", "GENE0150"]).to_csv(tmp_path / "short.csv", index=False)
    with pytest.raises(DataError, match="lacks 2 .*GENE0003, GENE0150"):
        external.read_cohort(study, tmp_path / "short.csv", label="condition", name="short")
    lab.assign(condition=np.where(lab.condition == "treated", "case", "ctrl")).to_csv(
        tmp_path / "other.csv", index=False
    )
    with pytest.raises(DataError, match="another label set.*'case', 'ctrl'.*'control', 'treated'"):
        external.read_cohort(study, tmp_path / "other.csv", label="condition", name="other")
    with pytest.raises(DataError, match="no label column 'status'"):
        external.read_cohort(study, tmp_path / "other.csv", label="status", name="other")
    # extra columns are named and left aside; columns in another order are taken by name
    shuffled = lab.assign(site="B")[["site", "condition"] + list(reversed(study.data.feature_columns))]
    shuffled.to_csv(tmp_path / "shuffled.csv", index=False)
    cohort = external.read_cohort(study, tmp_path / "shuffled.csv", label="condition", name="shuffled")
    assert cohort.extra_columns == ["site"]
    np.testing.assert_allclose(cohort.X, lab[study.data.feature_columns].to_numpy(dtype=np.float32))


def test_leave_one_batch_out_is_an_estimate_in_the_card_and_report(demo_run):
    spec, result = demo_run
    g = result.study.evaluation.generalization
    assert g["kind"] == "estimate" and g["models"] == ["logistic_regression", "network"]
    assert {e["batch"] for e in g["per_batch"]} == {"run1", "run2", "run3"}
    test_rows = set(result.study.split.test_idx)
    assert sum(e["n"] for e in g["per_batch"]) == result.study.data.n_samples - len(test_rows)
    worst = g["summary"]["network"]["worst"]
    assert worst == min(e["scores"]["network"] for e in g["per_batch"])
    out = result.out_dir
    card = (out / "model_card.md").read_text(encoding="utf-8")
    assert "## External validation" in card and "### Another lab (simulated)" in card
    assert "Leave-one-batch-out (estimate, not external validation)" in card
    assert "Estimate, not external validation" in (out / "report.html").read_text(encoding="utf-8")
    mct = json.loads((out / "model_card.json").read_text())
    slices = {m["slice"] for m in mct["quantitative_analysis"]["performance_metrics"]}
    assert "external cohort: Another lab (simulated)" in slices
    assert any(s.startswith("leave-one-batch-out estimate: held-out batch") for s in slices)


def test_the_scoreboard_measures_the_new_criteria(demo_run):
    spec, result = demo_run
    study = result.study
    rows = {r["criterion"]: r for r in scoreboard(study)}
    for name in (
        "Generalizability",
        "Generalizability (drop)",
        "Interpretability: stability",
        "Interpretability: agreement",
        "Interpretability: known markers",
        "Efficiency: inference memory",
        "Efficiency: throughput",
    ):
        assert rows[name]["status"] in (MET, NOT_MET), name
    record = study.evaluation.external[0]
    assert rows["Generalizability"]["measured"].startswith(f"{record['metrics']['roc_auc']:.3f} on the cohort")
    assert (rows["Generalizability"]["status"] == MET) == (record["metrics"]["roc_auc"] >= 0.8)
    # a threshold above the measurement flips the row, and a finding follows
    study.question.min_generalization = 1.01
    criteria.refresh_findings(study)
    assert {r["criterion"]: r for r in scoreboard(study)}["Generalizability"]["status"] == NOT_MET
    assert any(
        f.values.get("criterion") == "Generalizability"
        for f in study.findings
        if f.code == Findings.criterion_not_met.code
    )
    eff = study.evaluation.efficiency
    assert 0 < eff["peak_memory_mb"] < 5
    names = [r["name"] for r in eff["per_flop"]]
    assert names == ["network", "logistic_regression", "random_forest"]
    lr = eff["per_flop"][1]
    assert lr["flops"] < eff["flops_per_sample"]  # a linear model is far cheaper than the network


def test_without_cohorts_the_estimate_stands_in_and_says_so(demo_run):
    spec, result = demo_run
    study = Study.open(result.study.folder)
    study.evaluation.external = []
    study.question.min_generalization = 0.5
    row = {r["criterion"]: r for r in scoreboard(study)}["Generalizability"]
    assert "(estimate)" in row["measured"] and "not external validation" in row["detail"]


def test_top_k_rank_correlation():
    a = np.array([5.0, 4, 3, 2, 1, 0, 0, 0])
    assert generalization.top_k_rank_correlation(a, a, 3) == pytest.approx(1.0)
    assert generalization.top_k_rank_correlation(a, a[::-1].copy(), 3) < 0


def test_external_tables_in_the_spec_are_checked(tmp_path):
    from guiapp.core.study.spec import check_spec, load_spec

    base = {"data": {"path": "a.csv", "label": "y"}}
    with pytest.raises(SpecError, match=r"\[\[external\]\] number 1 needs name"):
        check_spec({**base, "external": [{"path": "b.csv", "label": "y"}]})
    with pytest.raises(SpecError, match="unknown key 'lable'"):
        check_spec({**base, "external": [{"path": "b.csv", "lable": "y", "name": "B"}]})
    with pytest.raises(SpecError, match="two \\[\\[external\\]\\] cohorts are named"):
        check_spec(
            {
                **base,
                "external": [
                    {"path": "b.csv", "label": "y", "name": "B"},
                    {"path": "c.csv", "label": "y", "name": "b"},
                ],
            }
        )
    (tmp_path / "s.toml").write_text(
        '[data]\npath = "a.csv"\nlabel = "y"\n\n[[external]]\npath = "lab/b.csv"\nlabel = "y"\nname = "B"\n'
    )
    spec = load_spec(tmp_path / "s.toml")
    assert spec["external"][0]["path"] == str((tmp_path / "lab" / "b.csv").resolve())


def test_the_wizard_demo_study_brings_the_other_labs_cohort(tmp_path):
    from guiapp.core.data.demo import create_demo_study

    study = create_demo_study("simulated_expression", tmp_path / "study")
    path = tmp_path / "study" / "data" / "simulated_expression_lab_b.csv"
    cohort = external.read_cohort(study, path, label="condition", name="Another lab")
    assert cohort.n == 200 and cohort.X.shape == (200, 200) and cohort.extra_columns == []


def test_combat_treats_the_cohort_as_a_batch_it_has_not_seen(tmp_path):
    """The study's ComBat (fitted on training rows) corrects the cohort from its own features:
    the other lab's shift, plain before, is mostly gone after."""
    from guiapp.core.pipeline import run_study
    from guiapp.core.split.draw import train_tune_arrays

    d = simulated_expression(n_samples=200, n_genes=20, n_informative=5, effect_size=1.5, seed=3)
    d.table.to_csv(tmp_path / "d.csv", index=False)
    another_lab(60, study_samples=200, n_genes=20, n_informative=5, effect_size=1.5, seed=3).table.to_csv(
        tmp_path / "lab.csv", index=False
    )
    spec = {
        "question": {"title": "t", "task": "classification"},
        "data": {
            "path": str(tmp_path / "d.csv"),
            "label": "condition",
            "batch": "batch",
            "identifiers": ["sample_id"],
            "sensitive": False,
        },
        "batch": {"remedy": "combat", "remedy_reason": "test"},
        "train": {"max_epochs": 2, "device": "cpu", "budget_trials": 0},
        "baselines": {"budget_trials": 0, "models": ["logistic_regression"]},
        "interpret": {"repeats": 1, "integrated_gradients": False},
        "evaluate": {"shuffle_repeats": 1, "learning_curve": [1.0], "leave_one_batch_out": False},
        "privacy": {"membership_audit": False},
        "external": [{"path": str(tmp_path / "lab.csv"), "label": "condition", "name": "Lab B"}],
    }
    study = run_study(spec, tmp_path / "out").study
    cohort = external.read_cohort(study, tmp_path / "lab.csv", label="condition", name="Lab B")
    corrected = external.prepared_rows(study, cohort)
    X_tr = train_tune_arrays(study)[0]
    assert external.shift_check(study, X_tr, cohort.X)["domain_auc"] > 0.9
    assert external.shift_check(study, X_tr, corrected)["domain_auc"] < 0.75
    assert study.evaluation.external[0]["shift"]["domain_auc"] < 0.75  # the recorded check saw the corrected rows
