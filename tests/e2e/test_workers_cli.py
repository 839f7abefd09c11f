"""Workers sharing one study's searches through a real PostgreSQL server (tests/conftest.py):
two `tenfold run` processes, and `tenfold run --workers 2` with submitit's local executor."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from guiapp.core.data.demo import simulated_expression, write_demo
from guiapp.core.models import tuning

BASELINES = ["logistic_regression", "knn"]
BASELINE_TRIALS, NETWORK_TRIALS = 3, 4
SPEC = f"""
[question]
title = "Treated vs control"

[data]
path = "{{data}}"
label = "condition"
batch = "batch"

[batch]
remedy = "none"
remedy_reason = "The runs are not tied to the condition; results are reported per batch."

[split]
cv = "never"

[train]
max_epochs = 2
device = "cpu"
budget_trials = {NETWORK_TRIALS}

[baselines]
budget_trials = {BASELINE_TRIALS}
models = {json.dumps(BASELINES)}

[tuning]
epochs = 2
storage_env = "TENFOLD_TEST_DB"

[evaluate]
shuffle_repeats = 1
learning_curve = [0.5, 1.0]
leave_one_batch_out = false

[interpret]
repeats = 1
integrated_gradients = false

[privacy]
membership_audit = false
"""


def write_spec(folder: Path) -> Path:
    data = write_demo(simulated_expression(n_samples=160, n_genes=12, n_informative=4, seed=3), folder)
    spec = folder / "study.toml"
    spec.write_text(SPEC.replace("{data}", data.name))
    return spec


def worker_env(tmp_path, postgres_db, postgres_server) -> dict:
    """The README's recipe: the URL (no password) in an environment variable, the password in a
    libpq password file that PGPASSFILE names."""
    host, port, user, password = postgres_server
    passfile = tmp_path / "pgpass"
    passfile.write_text(f"{host}:{port}:*:{user}:{password}\n")
    passfile.chmod(0o600)
    return {**os.environ, "TENFOLD_TEST_DB": postgres_db[0], "PGPASSFILE": str(passfile)}


def tenfold(*args, env=None, **kw):
    return subprocess.Popen(
        [sys.executable, "-m", "guiapp", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        **kw,
    )


def searches(url: str) -> dict:
    """Every search in the shared database: {name: its trials}."""
    optuna = tuning.import_optuna()
    storage = tuning.open_storage(url, shared=True)
    try:
        return {
            name: optuna.load_study(study_name=name, storage=storage).get_trials(deepcopy=False)
            for name in optuna.get_all_study_names(storage=storage)
        }
    finally:
        tuning.close_storage(storage)


def records(study_dir: Path) -> dict:
    """The search records a worker's study keeps: {model: (trials, best settings)}."""
    state = json.loads((study_dir / "study.json").read_text())
    found = {r["name"]: r["search"] for r in state["baselines"]["results"] if r.get("search")}
    found["network"] = state["tuning"]["network"]
    return {
        name: (
            [(t["number"], t["value"], t["params"], t["worker"]) for t in r["trials"]],
            r["best_trial"],
            r["best_params"],
        )
        for name, r in found.items()
    }


def check_exact_budgets(url: str) -> set:
    """Each search ran exactly its budget of trials, all finished; returns the workers that ran them."""
    found = searches(url)
    budgets = sorted(len(trials) for trials in found.values())
    assert budgets == sorted([BASELINE_TRIALS] * len(BASELINES) + [NETWORK_TRIALS]), budgets
    for trials in found.values():
        assert all(t.state.name == "COMPLETE" for t in trials)
    return {t.user_attrs["worker"] for trials in found.values() for t in trials}


def nowhere_in(*folders: Path, secrets: tuple) -> None:
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                assert not [s for s in secrets if s.encode() in data], path


def test_two_tenfold_run_workers_share_the_searches_and_run_exactly_the_budget(tmp_path, postgres_db, postgres_server):
    spec = write_spec(tmp_path)
    env = worker_env(tmp_path, postgres_db, postgres_server)
    runs = [tenfold("run", spec, "--out", tmp_path / f"out{k}", "--worker", k, env=env) for k in (0, 1)]
    outputs = [run.communicate(timeout=300) for run in runs]
    for run, (_out, err) in zip(runs, outputs, strict=False):
        assert run.returncode == 0, err
    workers = check_exact_budgets(postgres_db[1])
    assert workers == {0, 1}, workers  # both took trials of the shared searches
    # each worker waited for the other's trials and chose the same best settings from all of them
    first, second = records(tmp_path / "out0.study"), records(tmp_path / "out1.study")
    assert first == second
    assert all(
        len(trials) == (NETWORK_TRIALS if name == "network" else BASELINE_TRIALS)
        for name, (trials, _, _) in first.items()
    )
    # so both trained the same network: the same scores on the tune and the sealed test split
    scores = [json.loads((tmp_path / f"out{k}" / "metrics.json").read_text()) for k in (0, 1)]
    assert scores[0]["test"] == scores[1]["test"] and scores[0]["tune"] == scores[1]["tune"]
    # neither the password nor the database's address reaches a file (storage_env names the variable)
    nowhere_in(tmp_path / "out0", tmp_path / "out0.study", secrets=(postgres_server[3], postgres_db[0]))


def test_workers_flag_submits_local_workers_and_worker_0_writes_the_one_bundle(tmp_path, postgres_db, postgres_server):
    pytest.importorskip("submitit")
    spec = write_spec(tmp_path)
    env = worker_env(tmp_path, postgres_db, postgres_server)
    out = tmp_path / "out"
    run = tenfold("run", spec, "--out", out, "--workers", 2, "--executor", "local", env=env)
    stdout, stderr = run.communicate(timeout=300)
    assert run.returncode == 0, stderr
    assert "worker 0: done" in stderr and "worker 1: done" in stderr
    assert "Export bundle:" in stdout and (out / "model_card.md").is_file()
    helper = tmp_path / "out.study.worker-1"
    assert (helper / "study.json").is_file() and (tmp_path / "out.study.workers").is_dir()
    state = json.loads((helper / "study.json").read_text())
    assert state["tuning"]["worker"] == 1 and state["train"]["status"] != "done"  # searched, did not train
    check_exact_budgets(postgres_db[1])
    assert records(tmp_path / "out.study") == records(helper)
    nowhere_in(
        out,
        tmp_path / "out.study",
        helper,
        tmp_path / "out.study.workers",
        secrets=(postgres_server[3], postgres_db[0]),
    )


@pytest.mark.parametrize(
    "storage, words",
    [
        ("", "needs a tuning database that every worker can reach"),
        ('storage = "sqlite:///shared.sqlite3"', "is a SQLite file"),
    ],
)
def test_workers_without_a_shared_database_are_refused(tmp_path, storage, words):
    spec = write_spec(tmp_path)
    spec.write_text(spec.read_text().replace('storage_env = "TENFOLD_TEST_DB"', storage))
    run = tenfold("run", spec, "--out", tmp_path / "out", "--workers", 2, "--executor", "local")
    stdout, stderr = run.communicate(timeout=120)
    assert run.returncode == 2 and words in stderr and "PostgreSQL" in stderr and "Traceback" not in stderr
    assert not (tmp_path / "out.study.workers").exists()  # nothing was submitted


SBATCH = Path(__file__).resolve().parents[2] / "docs" / "tenfold-array.sbatch"


@pytest.mark.parametrize("task, started", [(0, False), (2, False), (2, True)])
def test_the_readme_sbatch_array_script_starts_the_right_worker(tmp_path, task, started):
    """The script's command, as each array task runs it, is one `tenfold run` accepts."""
    from guiapp.cli import build_parser

    shim = tmp_path / "bin" / "tenfold"
    shim.parent.mkdir()
    shim.write_text(f"#!{sys.executable}\nimport json, sys\nprint(json.dumps(sys.argv[1:]))\n")
    shim.chmod(0o755)
    study = tmp_path / ("results/run1.study" if task == 0 else f"results/run1.study.worker-{task}")
    if started:
        study.mkdir(parents=True)
        (study / "study.json").write_text("{}")
    env = {**os.environ, "PATH": f"{shim.parent}{os.pathsep}{os.environ['PATH']}", "SLURM_ARRAY_TASK_ID": str(task)}
    env.pop("TENFOLD_DB", None)
    done = subprocess.run(["bash", str(SBATCH)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    args = build_parser().parse_args(json.loads(done.stdout))
    assert args.command == "run" and args.worker == task and args.resume == started
    assert args.search_only == (task > 0) and str(args.out) == "results/run1"
    assert tmp_path / args.study == study and not args.workers
