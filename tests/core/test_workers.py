"""`tenfold run --workers`: which executor, which folders and commands, and what is refused."""

from __future__ import annotations

import os
import sys

import pytest

from guiapp.cli import build_parser
from guiapp.core import workers
from guiapp.core.study.errors import TenfoldError


def test_each_worker_gets_its_own_study_folder_and_only_worker_0_writes_a_bundle(tmp_path):
    commands = workers.worker_commands(tmp_path / "spec.toml", tmp_path / "out", None, 3)
    parsed = [build_parser().parse_args(c) for c in commands]
    assert [a.worker for a in parsed] == [0, 1, 2]
    assert [a.search_only for a in parsed] == [False, True, True]
    assert [a.study.name for a in parsed] == ["out.study", "out.study.worker-1", "out.study.worker-2"]
    assert {a.out for a in parsed} == {(tmp_path / "out").resolve()} and not any(a.workers for a in parsed)
    assert workers.logs_folder(tmp_path / "out", None) == (tmp_path / "out.study.workers").resolve()
    resumed = workers.worker_commands(tmp_path / "spec.toml", tmp_path / "out", tmp_path / "s", 2, resume=True)
    assert all(build_parser().parse_args(c).resume for c in resumed)
    assert build_parser().parse_args(resumed[1]).study == (tmp_path / "s.worker-1").resolve()
    with pytest.raises(TenfoldError, match="at least 1 worker"):
        workers.worker_commands(tmp_path / "spec.toml", tmp_path / "out", None, 0)


def test_slurm_is_chosen_where_sbatch_is_on_the_path(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert workers.pick_executor("auto") == "local"
    with pytest.raises(TenfoldError, match="no sbatch command"):
        workers.pick_executor("slurm")
    sbatch = tmp_path / "sbatch"
    sbatch.write_text("#!/bin/sh\n")
    sbatch.chmod(0o755)
    assert workers.pick_executor("auto") == "slurm" and workers.pick_executor("local") == "local"


def test_a_missing_submitit_gets_a_message_that_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "submitit", None)  # import submitit raises ImportError
    with pytest.raises(TenfoldError, match=r"tenfold\[cluster\]"):
        workers.import_submitit()


def test_the_shared_database_must_be_named_reachable_and_not_sqlite(monkeypatch):
    monkeypatch.delenv("TENFOLD_NOT_SET", raising=False)
    with pytest.raises(TenfoldError, match="TENFOLD_NOT_SET is not set"):
        workers.shared_storage_url({"tuning": {"storage_env": "TENFOLD_NOT_SET"}})
    with pytest.raises(TenfoldError, match="is a SQLite file"):
        workers.shared_storage_url({"tuning": {"storage": "sqlite:////tmp/x.sqlite3"}})
    monkeypatch.setenv("TENFOLD_SOME_DB", "mysql+nosuchdriver://u:hunter2@db/optuna")
    with pytest.raises(TenfoldError) as refused:
        workers.shared_storage_url({"tuning": {"storage_env": "TENFOLD_SOME_DB"}})
    assert "cannot be opened" in str(refused.value) and "hunter2" not in str(refused.value)


def test_on_slurm_the_workers_are_one_job_array_with_the_asked_resources(tmp_path, monkeypatch):
    """Submitted through stand-ins for sbatch and srun: the job script and each task's command."""
    submitit = pytest.importorskip("submitit")
    from guiapp.worker_entry import run_worker

    bin_ = tmp_path / "bin"
    bin_.mkdir()
    (bin_ / "sbatch").write_text(f'#!/bin/sh\ncp "$1" {tmp_path}/job.sh\necho "Submitted batch job 4242"\n')
    (bin_ / "srun").write_text("#!/bin/sh\n")
    for tool in bin_.iterdir():
        tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_}{os.pathsep}{os.environ['PATH']}")
    commands = workers.worker_commands(tmp_path / "spec.toml", tmp_path / "out", None, 3)
    said = []
    jobs = workers.submit_workers(
        commands,
        tmp_path / "logs",
        workers.pick_executor("auto"),
        run_worker,
        partition="gpu",
        time_min=90,
        cpus=4,
        gpus=1,
        say=said.append,
    )
    assert [j.job_id for j in jobs] == ["4242_0", "4242_1", "4242_2"] and len(said) == 3
    script = (tmp_path / "job.sh").read_text()
    for line in (
        "--array=0-2",
        "--partition=gpu",
        "--time=90",
        "--cpus-per-task=4",
        "--gpus-per-node=1",
        "--job-name=tenfold",
    ):
        assert f"#SBATCH {line}" in script, line
    for k, job in enumerate(jobs):
        call = submitit.core.utils.DelayedSubmission.load(job.paths.submitted_pickle)
        assert call.function is run_worker and list(call.args) == [commands[k]]
