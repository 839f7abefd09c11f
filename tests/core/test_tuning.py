"""Equal tuning (Tips 2 and 6): the same budget for every model, seeded, stored, resumable, shareable."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from guiapp.core.evaluation.verdict import assess_before_training, refresh_findings
from guiapp.core.guidance.checklist import evaluate_checklist
from guiapp.core.models import baselines, network_search, tuning
from guiapp.core.study.errors import Cancelled
from guiapp.core.study.task_context import TaskContext

QUICK = ["logistic_regression", "knn", "majority"]


def status(study, item: str) -> str:
    return next(i["status"] for i in evaluate_checklist(study) if i["id"] == item)


def quick_search(study, quick_training, trials: int = 2, network_trials: int | None = None):
    """Baselines and the network tuned with tiny budgets: 2-epoch network trials on the CPU."""
    study.baselines.models = QUICK
    study.baselines.budget_trials = trials
    study.train.budget_trials = trials if network_trials is None else network_trials
    quick_training(study, epochs=2)
    study.tuning.epochs = 2
    baselines.fit_baselines(study)
    assess_before_training(study)  # the caller records the verdict
    record = network_search.tune_network(study)
    refresh_findings(study)  # the caller refreshes the verdict's findings
    return record


def toy_search(storage, name, budget, seed=0, **kw):
    space = {"x": tuning.Dim("float", 0.0, 1.0), "k": tuning.Dim("int", 1, 9)}
    return tuning.run_search(
        storage=storage,
        study_name=name,
        direction="maximize",
        space=space,
        objective=lambda p, trial: p["x"] - abs(p["k"] - 5) / 10,
        budget=budget,
        seed=seed,
        **kw,
    )


def test_every_model_gets_the_same_budget_and_the_card_says_so(tiny_study, quick_training):
    record = quick_search(tiny_study, quick_training)
    results = {r["name"]: r for r in tiny_study.baselines.results}
    assert results["logistic_regression"]["n_trials"] == results["knn"]["n_trials"] == record["n_trials"] == 2
    assert results["majority"]["n_trials"] == 0 and results["majority"]["search_space"] == {}  # chance level
    report = tuning.budget_report(tiny_study)
    assert report["equal"] is True and report["baselines"] == {"logistic_regression": 2, "knn": 2}
    assert "each of the 2 tunable baselines and the network got 2 trials" in report["text"]
    assert status(tiny_study, "baselines-tuned-equally") == "done"
    # the best settings were written back into the study
    a, t = tiny_study.architecture, tiny_study.train
    best = record["best_params"]
    assert (a.width, a.depth, t.batch_size) == (best["width"], best["depth"], best["batch_size"])
    assert t.learning_rate == pytest.approx(best["learning_rate"])
    assert set(record["search_space"]) == {
        "width",
        "depth",
        "dropout",
        "learning_rate",
        "weight_decay",
        "batch_size",
        "optimizer",
    }
    assert record["search_space"]["optimizer"] == "one of adamw, adam, sgd"
    assert t.optimizer == best["optimizer"]
    # the first trial is the settings the study started from: the search never ends below them
    assert record["trials"][0]["params"]["width"] == 16 and record["trials"][0]["params"]["depth"] == 1

    # A bigger network budget continues the same search, and the difference is called out.
    tiny_study.train.budget_trials = 3
    record = network_search.tune_network(tiny_study)
    refresh_findings(tiny_study)  # the caller refreshes the verdict's findings
    assert [tr["number"] for tr in record["trials"]] == [0, 1, 2] and record["resumed_from"] == 2
    assert tuning.budget_report(tiny_study)["equal"] is False
    assert status(tiny_study, "baselines-tuned-equally") == "violated"
    assert "unequal-tuning-budget" in tiny_study.finding_codes()


def test_the_search_is_reproducible_with_the_same_seed(study_factory):
    def run():
        study = study_factory()
        study.baselines.models, study.baselines.budget_trials = ["logistic_regression", "knn"], 4
        baselines.fit_baselines(study)
        assess_before_training(study)  # the caller records the verdict
        return [(r["best_params"], [t["value"] for t in r["search"]["trials"]]) for r in study.baselines.results]

    assert run() == run()


def test_the_storage_is_a_file_in_the_study_folder_and_a_bigger_budget_resumes(tiny_study):
    tiny_study.baselines.models, tiny_study.baselines.budget_trials = ["logistic_regression"], 2
    baselines.fit_baselines(tiny_study)
    assess_before_training(tiny_study)  # the caller records the verdict
    assert tiny_study.path(tuning.STORAGE_FILE).is_file()
    first = tiny_study.baselines.results[0]["search"]
    assert first["n_trials"] == 2 and first["storage"].endswith("tuning.sqlite3")

    tiny_study.baselines.budget_trials = 4
    baselines.fit_baselines(tiny_study)
    assess_before_training(tiny_study)  # the caller records the verdict
    search = tiny_study.baselines.results[0]["search"]
    assert search["study_name"] == first["study_name"]
    assert [t["number"] for t in search["trials"]] == [0, 1, 2, 3]
    assert search["resumed_from"] == 2 and search["n_trials"] == 4
    assert search["trials"][:2] == first["trials"]  # the first two trials are the same, not redone


def test_a_killed_search_resumes_without_losing_or_repeating_trials(tmp_path):
    storage = tuning.open_storage(f"sqlite:///{tmp_path / 'tuning.sqlite3'}")
    calls = []
    with pytest.raises(Cancelled):
        toy_search(
            storage,
            "toy",
            5,
            ctx=TaskContext(progress=lambda f, m: calls.append(m), should_stop=lambda: len(calls) >= 2),
        )
    optuna = tuning.import_optuna()
    killed = optuna.load_study(study_name="toy", storage=storage)
    killed.ask()  # a trial a killed process left "running"
    assert len(killed.trials) == 3

    record = toy_search(storage, "toy", 5)
    assert record["resumed_from"] == 2 and record["abandoned"] == 1
    assert record["n_trials"] == 5 and record["n_complete"] == 5
    assert [t["number"] for t in record["trials"]] == [0, 1, 2, 3, 4]  # the killed trial 2 is finished in place
    # What an uninterrupted search proposes, in the same order: nothing proposed twice, nothing lost.
    fresh = toy_search(storage, "toy-uninterrupted", 5)
    assert [(t["params"], t["value"]) for t in record["trials"]] == [(t["params"], t["value"]) for t in fresh["trials"]]


@pytest.mark.parametrize("stop_at", [0, 1, 2])
def test_a_trial_cancelled_in_flight_is_finished_first_on_resume_as_the_same_trial(tmp_path, stop_at):
    """Trial 0 is the default settings: a search stopped inside it retries the defaults."""
    storage = tuning.open_storage(f"sqlite:///{tmp_path / 'tuning.sqlite3'}")
    space = {"x": tuning.Dim("float", 0.0, 1.0), "k": tuning.Dim("int", 1, 9)}
    calls = []

    def objective(params, trial):
        calls.append((trial.number, params))
        if len(calls) == stop_at + 1 and stop:
            raise Cancelled()  # as a cancel (or a kill) inside the trial
        return params["x"] - abs(params["k"] - 5) / 10

    def search(name):
        return tuning.run_search(
            storage=storage,
            study_name=name,
            direction="maximize",
            space=space,
            objective=objective,
            budget=4,
            seed=3,
            start={"x": 0.25, "k": 2},
        )

    stop = True
    with pytest.raises(Cancelled):
        search("stopped")
    interrupted = calls[-1]
    stop = False
    calls.clear()
    resumed = search("stopped")
    assert calls[0] == interrupted  # the interrupted trial is retried first, same number, same settings
    fresh = search("uninterrupted")
    assert resumed["trials"] == [
        {**t, "seconds": r["seconds"]} for t, r in zip(fresh["trials"], resumed["trials"], strict=False)
    ]
    assert resumed["trials"][0]["params"] == {"x": 0.25, "k": 2}  # the defaults, retried when interrupted
    assert resumed["abandoned"] == 1 and resumed["resumed_from"] == stop_at
    assert len({json.dumps(t["params"], sort_keys=True) for t in resumed["trials"]}) == 4


def test_a_setting_that_fails_counts_as_a_failed_trial(tmp_path):
    storage = tuning.open_storage(f"sqlite:///{tmp_path / 't.sqlite3'}")

    def objective(params, trial):
        if trial.number == 1:
            raise ValueError("this setting cannot be fitted")
        return params["x"]

    record = tuning.run_search(
        storage=storage,
        study_name="f",
        direction="maximize",
        space={"x": tuning.Dim("float", 0, 1)},
        objective=objective,
        budget=3,
        seed=0,
    )
    assert record["n_trials"] == 3 and record["n_failed"] == 1
    assert "cannot be fitted" in tuning.first_error(record) and record["best_trial"] in (0, 2)


WORKER = textwrap.dedent("""
    import sys, time
    from guiapp.core.models import tuning

    url, worker = sys.argv[1], int(sys.argv[2])
    storage = tuning.open_storage(url, shared=True)
    space = {"x": tuning.Dim("float", 0.0, 1.0), "k": tuning.Dim("int", 1, 1000)}

    def objective(params, trial):
        time.sleep(0.05)  # long enough for the two workers to interleave
        return params["x"]

    record = tuning.run_search(storage=storage, study_name="shared", direction="maximize", space=space,
                               objective=objective, budget=12, seed=0, worker=worker, shared=True)
    print(json.dumps({k: record[k] for k in ("n_trials", "best_trial", "best_params", "trials")}))
""").replace("import sys, time", "import json, sys, time")


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_two_workers_share_one_search_with_exactly_its_budget(tmp_path, database, request):
    if database == "sqlite":
        url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    else:  # a real server (tests/conftest.py); skipped, loudly, where none is installed
        url = request.getfixturevalue("postgres_db")[1]
    tuning.open_storage(url, shared=True)  # the database exists before the workers start
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    workers = [
        subprocess.Popen([sys.executable, str(script), url, str(k)], stdout=subprocess.PIPE, text=True) for k in (0, 1)
    ]
    outputs = [w.communicate(timeout=120)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0]

    optuna = tuning.import_optuna()
    shared = optuna.load_study(study_name="shared", storage=tuning.open_storage(url, shared=True))
    everything = shared.get_trials(deepcopy=False)
    done = tuning.counted_trials(everything, running=False)
    assert len(everything) == len(done) == 12  # the budget, exactly: no trial over it was even started
    assert len({t.number for t in done}) == len(done)
    params = [json.dumps(t.params, sort_keys=True) for t in done]
    assert len(set(params)) == len(params)  # differently seeded workers propose different trials
    assert {t.user_attrs["worker"] for t in done} == {0, 1}  # both did share the work
    record = tuning.search_record(shared, 12, "maximize", {})
    assert record["n_trials"] == 12 and record["extra_ignored"] == 0
    # each worker waited for the other's trials, and both chose the same best from all twelve
    seen = [json.loads(out.strip().splitlines()[-1]) for out in outputs]
    assert seen[0] == seen[1] and seen[0]["n_trials"] == 12
    assert seen[0]["best_trial"] == record["best_trial"] and seen[0]["best_params"] == record["best_params"]


def test_workers_meeting_an_empty_shared_database_at_once_all_open_it(postgres_db):
    """Each creates optuna's tables; all but the first clash on a name just made and retry."""
    code = (
        "import sys, time\nfrom guiapp.core.models import tuning\n"
        "time.sleep(max(0.0, float(sys.argv[2]) - time.time()))\n"  # start together
        "tuning.close_storage(tuning.open_storage(sys.argv[1], shared=True))\n"
    )
    import time

    at = time.time() + 6
    openers = [
        subprocess.Popen([sys.executable, "-c", code, postgres_db[1], str(at)], stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    results = [(o.wait(timeout=120), o.stderr.read()) for o in openers]
    assert [r for r, _ in results] == [0, 0, 0, 0], [e for _, e in results]


STALLED = textwrap.dedent("""
    import sys, time
    import optuna
    from guiapp.core.models import tuning

    url, worker = sys.argv[1], int(sys.argv[2])
    # heartbeats every second, a trial silent for 2 s failed (the defaults: 30 s and 120 s)
    storage = optuna.storages.RDBStorage(url, heartbeat_interval=1, grace_period=2)

    def objective(params, trial):
        if worker == 0:  # worker 0 hangs in its first trial, until it is killed
            print("started", flush=True)
            time.sleep(600)
        return params["x"]

    record = tuning.run_search(storage=storage, study_name="s", direction="maximize",
                               space={"x": tuning.Dim("float", 0.0, 1.0)}, objective=objective, budget=4, seed=0,
                               worker=worker, shared=True)
    print(record["n_trials"], record["best_trial"], flush=True)
""")


def test_a_killed_workers_trial_is_failed_and_its_place_run_again_by_another(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    tuning.open_storage(url, shared=True)
    script = tmp_path / "worker.py"
    script.write_text(STALLED)
    stalled = subprocess.Popen([sys.executable, str(script), url, "0"], stdout=subprocess.PIPE, text=True)
    try:
        assert stalled.stdout.readline().strip() == "started"
    finally:
        stalled.kill()
        stalled.wait(timeout=30)
    helper = subprocess.run([sys.executable, str(script), url, "1"], capture_output=True, text=True, timeout=120)
    assert helper.returncode == 0, helper.stderr
    assert helper.stdout.split()[0] == "4"
    optuna = tuning.import_optuna()
    trials = optuna.load_study(study_name="s", storage=tuning.open_storage(url, shared=True)).get_trials()
    # the killed worker's trial failed and does not count; worker 1 ran the four places of the budget
    assert [t.state.name for t in trials] == ["FAIL", "COMPLETE", "COMPLETE", "COMPLETE", "COMPLETE"]
    assert trials[0].user_attrs["worker"] == 0 and "error" not in trials[0].user_attrs
    assert [t.user_attrs["worker"] for t in trials[1:]] == [1, 1, 1, 1]
    assert len(tuning.counted_trials(trials, running=False)) == 4


def test_a_password_never_reaches_the_card():
    url = "postgresql://tenfold:s3cret@db.lab:5432/tuning"
    assert tuning.redact(url) == "postgresql://tenfold:***@db.lab:5432/tuning"


def test_dims_describe_themselves_and_clip_starting_points():
    assert tuning.log_float(1e-3, 10).describe() == "log-uniform 0.001–10"
    assert tuning.Dim("int", 1, 9).describe() == "integer 1–9"
    assert tuning.Dim("choice", choices=(16, 32, 64)).clip(50) == 64
    assert tuning.Dim("int", 1, 9).clip(20) == 9


def test_a_new_split_makes_the_old_network_search_stale(tiny_study, quick_training):
    quick_search(tiny_study, quick_training, trials=1)
    assert tuning.budget_report(tiny_study)["network"] == 1
    tiny_study.split.seed = 5
    from guiapp.core.split.draw import split_study

    split_study(tiny_study)
    assert tuning.budget_report(tiny_study)["network"] is None  # searched on rows that changed
    assert status(tiny_study, "baselines-tuned-equally") == "open"


def test_the_network_search_tries_optimizers_and_each_trial_trains_with_its_own(
    tiny_study, quick_training, monkeypatch
):
    """Tip 3: adaptive optimizers can generalise worse, so the search tries SGD too, and the
    optimizer a trial names is the one torch steps with."""
    from guiapp.core.models import engine, train

    used = []
    real = engine.make_optimizer

    def spy(model, t, device):
        optimizer = real(model, t, device)
        used.append(type(optimizer).__name__)
        return optimizer

    monkeypatch.setattr(engine, "make_optimizer", spy)
    quick_training(tiny_study, epochs=2)
    tiny_study.tuning.epochs, tiny_study.tuning.sampler, tiny_study.train.budget_trials = 2, "random", 4
    record = network_search.tune_network(tiny_study)
    refresh_findings(tiny_study)  # the caller refreshes the verdict's findings
    chosen = [tr["params"]["optimizer"] for tr in record["trials"]]
    assert chosen[0] == "adamw"  # the first trial is the study's own setting
    assert len(set(chosen)) >= 2 and set(chosen) <= set(train.OPTIMIZERS)
    assert used == [{"adamw": "AdamW", "adam": "Adam", "sgd": "SGD"}[c] for c in chosen]
    assert tiny_study.train.optimizer == record["best_params"]["optimizer"]


def test_training_with_sgd_uses_momentum_and_an_unknown_optimizer_is_refused(tiny_study, quick_training):
    import torch

    from guiapp.core.models import train
    from guiapp.core.study.errors import TenfoldError

    quick_training(tiny_study, epochs=2)
    tiny_study.train.optimizer = "sgd"
    train.train_network(tiny_study)
    state = torch.load(tiny_study.path(train.CHECKPOINT), weights_only=True)["optimizer"]
    assert state["param_groups"][0]["momentum"] == train.SGD_MOMENTUM
    assert tiny_study.train.status == "done"
    tiny_study.train.optimizer = "lbfgs"
    with pytest.raises(TenfoldError, match="Unknown optimizer 'lbfgs'"):
        train.train_network(tiny_study, resume=False)


KILLED_WORKER = textwrap.dedent("""
    import sys, time
    from guiapp.core.models import tuning

    storage = tuning.open_storage(sys.argv[1])
    space = {"x": tuning.Dim("float", 0.0, 1.0), "k": tuning.Dim("int", 1, 9)}

    def objective(params, trial):
        time.sleep(0.2)  # a trial in flight when the process is killed
        return params["x"]

    tuning.run_search(storage=storage, study_name="killed", direction="maximize", space=space,
                      objective=objective, budget=1000, seed=0)
""")


def test_a_search_whose_process_was_killed_resumes_where_it_stopped(tmp_path):
    """A real kill (SIGKILL, no clean-up): the finished trials are kept, the one in flight is
    marked failed and not counted, and the search goes on numbering after it."""
    import os
    import signal
    import time

    url = f"sqlite:///{tmp_path / 'tuning.sqlite3'}"
    script = tmp_path / "worker.py"
    script.write_text(KILLED_WORKER)
    worker = subprocess.Popen([sys.executable, str(script), url])
    optuna = tuning.import_optuna()
    deadline = time.monotonic() + 120
    try:
        while True:  # a subprocess, not Qt: poll its database until two trials are done
            assert time.monotonic() < deadline and worker.poll() is None
            try:
                trials = optuna.load_study(study_name="killed", storage=url).get_trials(deepcopy=False)
            except KeyError:  # the worker has not created the search yet
                trials = []
            if sum(t.state.name == "COMPLETE" for t in trials) >= 2 and trials[-1].state.name == "RUNNING":
                break
            time.sleep(0.05)
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    storage = tuning.open_storage(url)
    before = optuna.load_study(study_name="killed", storage=storage).get_trials(deepcopy=False)
    complete = [t.number for t in before if t.state.name == "COMPLETE"]
    assert before[-1].state.name == "RUNNING"  # the kill left a trial hanging

    budget = len(complete) + 2
    record = toy_search(storage, "killed", budget)
    assert record["resumed_from"] == len(complete) and record["abandoned"] == 1
    assert record["n_trials"] == budget and record["n_complete"] == budget
    numbers = [t["number"] for t in record["trials"]]
    assert numbers[: len(complete)] == complete  # kept, not redone
    # the trial in flight is finished in place, as the same trial with the settings it held
    assert numbers[-2:] == [before[-1].number, before[-1].number + 1]
    assert record["trials"][-2]["params"] == before[-1].params
    tuning.close_storage(storage)


def test_one_budget_for_every_model_and_a_negative_one_is_refused():
    """Tip 2: the network's search gets the trials the baselines get, set in one place."""
    from guiapp.core.study.errors import TenfoldError
    from guiapp.core.study.model import Study

    study = Study()
    tuning.set_equal_budget(study, 7)
    assert study.baselines.budget_trials == study.train.budget_trials == 7
    with pytest.raises(TenfoldError, match=r"0 \(no search\) or more trials"):
        tuning.set_equal_budget(study, -1)
    assert study.baselines.budget_trials == study.train.budget_trials == 7  # a refused budget changes nothing
