"""Study specs: every value's type and range is checked before any step runs (issue 15, item 5).

A bad value ends with exit 2 and a message naming the key, the value and what is allowed;
random and mutated specs never end in exit 1 or a traceback.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from guiapp.core.data.demo import simulated_expression, write_demo
from guiapp.core.study.errors import SpecError
from guiapp.core.study.spec import KEYS, check_spec, load_spec

TINY_SPEC = {
    "question": {"title": "tiny", "task": "classification", "target_metric": "roc_auc", "target_value": 0.8},
    "data": {
        "path": "data.csv",
        "label": "condition",
        "batch": "batch",
        "identifiers": ["sample_id"],
        "sensitive": False,
    },
    "split": {"strategy": "stratified", "test_fraction": 0.2, "tune_fraction": 0.2, "seed": 1},
    "baselines": {"budget_trials": 0, "models": ["majority"]},
    "model": {"architecture": "mlp", "width": 8, "depth": 1, "dropout": 0.1},
    "train": {
        "device": "cpu",
        "max_epochs": 2,
        "batch_size": 16,
        "learning_rate": 0.01,
        "patience": 3,
        "seed": 0,
        "budget_trials": 0,
    },
    "evaluate": {"learning_curve": [0.5, 1.0], "shuffle_repeats": 1},
    "interpret": {"repeats": 1},
}


def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v == math.inf else "-inf" if v == -math.inf else repr(v))
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return "{" + ", ".join(f"{json.dumps(str(k))} = {toml_value(x)}" for k, x in v.items()) + "}"


def to_toml(spec: dict) -> str:
    """A spec as TOML text (every key quoted, so any name is valid TOML)."""
    lines = []
    for section, values in spec.items():
        if not isinstance(values, dict):
            lines.insert(0, f"{json.dumps(section)} = {toml_value(values)}")
            continue
        lines.append(f"[{json.dumps(section)}]")
        lines += [f"{json.dumps(k)} = {toml_value(v)}" for k, v in values.items()]
    return "\n".join(lines) + "\n"


def with_value(section, key, value) -> dict:
    spec = json.loads(json.dumps(TINY_SPEC))
    spec.setdefault(section, {})[key] = value
    return spec


@pytest.mark.parametrize(
    "section, key, value, words",
    [
        ("train", "batch_size", 0, "[train] batch_size = 0: must be a whole number ≥ 1"),
        ("train", "learning_rate", -1, "[train] learning_rate = -1: must be a number > 0"),
        ("train", "learning_rate", math.inf, "[train] learning_rate = inf: must be a number > 0"),
        ("split", "seed", -1, "[split] seed = -1: must be a whole number from 0 to 4294967295"),
        ("train", "seed", 2**40, "[train] seed = 1099511627776: must be a whole number from 0 to"),
        (
            "evaluate",
            "learning_curve",
            ["half"],
            '[evaluate] learning_curve = ["half"]: must be a list of training shares',
        ),
        ("evaluate", "learning_curve", [0, 1], "[evaluate] learning_curve = [0, 1]: must be a list of training shares"),
        ("train", "patience", -3, "[train] patience = -3: must be a whole number ≥ 1"),
        ("train", "max_epochs", -5, "[train] max_epochs = -5: must be a whole number ≥ 1"),
        ("train", "batch_size", 2.5, "[train] batch_size = 2.5: must be a whole number ≥ 1"),
        ("question", "target_value", 5, "[question] target_value = 5: ROC AUC is a number from 0 to 1"),
        ("question", "target_value", math.nan, "[question] target_value = nan: must be a finite number"),
        ("split", "test_fraction", 1.0, "[split] test_fraction = 1.0: must be a number from 0.05 to 0.5"),
        ("split", "tune_fraction", 0, "[split] tune_fraction = 0: must be a number from 0.05 to 0.5"),
        ("model", "dropout", 1, "[model] dropout = 1: must be a number ≥ 0 and < 1"),
        ("model", "width", 0, "[model] width = 0: must be a whole number ≥ 1"),
        ("baselines", "budget_trials", -1, "[baselines] budget_trials = -1: must be a whole number ≥ 0"),
        ("evaluate", "threshold", 1.5, "[evaluate] threshold = 1.5: must be a number > 0 and < 1"),
        ("privacy", "dp_epsilon", 0, "[privacy] dp_epsilon = 0: must be a number > 0"),
        ("data", "identifiers", "sample_id", '[data] identifiers = "sample_id": must be a list of names'),
        ("train", "device", "gpu", '[train] device = "gpu": not allowed; must be one of "auto", "cuda", "mps", "cpu"'),
        (
            "model",
            "architecture",
            "resnet",
            '[model] architecture = "resnet": not allowed; must be one of "auto", "mlp"',
        ),
        ("privacy", "share_weights", "yes", '[privacy] share_weights = "yes": not allowed; must be one of "auto"'),
        ("train", "lr_schedule", "step", '[train] lr_schedule = "step": not allowed; must be one of "none"'),
        ("baselines", "models", ["xgboost"], '"xgboost" is not a classification baseline; choose from'),
        ("train", "batchsize", 8, "unknown key 'batchsize' in [train] (did you mean 'batch_size'?)"),
        ("data", "max_epochs", 8, "unknown key 'max_epochs' in [data] (it belongs in [train])"),
        ("trian", "seed", 1, "unknown section [trian] (did you mean [train]?)"),
    ],
)
def test_a_value_out_of_range_names_key_value_and_the_allowed_range(section, key, value, words):
    with pytest.raises(SpecError) as caught:
        check_spec(with_value(section, key, value), name="spec.toml")
    assert words in str(caught.value)


@pytest.mark.parametrize(
    "metric, value, ok",
    [
        ("roc_auc", 1.0, True),
        ("roc_auc", -0.1, False),
        ("mcc", -0.5, True),
        ("mcc", -1.5, False),
        ("brier", 0.1, True),
        ("brier", 2, False),
    ],
)
def test_the_target_must_lie_inside_its_metrics_range(metric, value, ok):
    spec = with_value("question", "target_metric", metric)
    spec["question"]["target_value"] = value
    if ok:
        check_spec(spec)
    else:
        with pytest.raises(SpecError, match="so the target must be too"):
            check_spec(spec)


@pytest.mark.parametrize(
    "metric, value, ok",
    [("r2", 1.0, True), ("r2", -3.0, True), ("r2", 1.2, False), ("rmse", 0.4, True), ("rmse", -0.4, False)],
)
def test_regression_targets_are_checked_against_their_metric(metric, value, ok):
    spec = json.loads(json.dumps(TINY_SPEC))
    spec["question"].update(task="regression", target_metric=metric, target_value=value)
    spec["baselines"]["models"] = ["mean"]
    if ok:
        check_spec(spec)
    else:
        with pytest.raises(SpecError, match=f"target_value = {value}"):
            check_spec(spec)


def test_shares_that_leave_nothing_to_train_on_are_refused():
    spec = with_value("split", "test_fraction", 0.5)
    spec["split"]["tune_fraction"] = 0.4
    with pytest.raises(SpecError, match="leave too little to train on"):
        check_spec(spec)


def test_a_utf8_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "spec.toml"
    path.write_bytes(b"\xef\xbb\xbf" + to_toml(TINY_SPEC).encode("utf-8"))
    spec = load_spec(path)
    assert spec["train"]["batch_size"] == 16 and spec["data"]["path"] == str(tmp_path / "data.csv")


def test_the_valid_tiny_spec_passes():
    check_spec(json.loads(json.dumps(TINY_SPEC)))


# ----- random and mutated specs: exit 0, 2 or 3, never 1, never a traceback ---------------------

ALL_KEYS = [(s, k) for s, keys in KEYS.items() for k in keys]
scalars = (
    st.integers(-(10**12), 10**12)
    | st.sampled_from([0, 1, -1, 2**31, 2**32, 2**63 - 1])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.booleans()
    | st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
    | st.sampled_from(
        [
            "auto",
            "cpu",
            "mlp",
            "roc_auc",
            "r2",
            "group",
            "batch",
            "condition",
            "sample_id",
            "gene_0",
            "random",
            "combat",
            "none",
            "never",
            "data.csv",
            "half",
            "",
        ]
    )
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text("abcdefgh_", min_size=1, max_size=6), inner, max_size=2)
    ),
    max_leaves=4,
)
TINY_KEYS = [(s, k) for s, keys in TINY_SPEC.items() for k in keys]
near_values = (
    st.integers(-3, 3)
    | st.sampled_from([0.0, 0.5, 1.0, 1.5, -0.5, 5, 1e-9, 2**32, math.nan])
    | st.lists(st.integers(-1, 2) | st.sampled_from([0.5, "half"]), max_size=3)
)
mutation = st.one_of(
    st.tuples(st.just("set"), st.sampled_from(TINY_KEYS), near_values),
    st.tuples(st.just("set"), st.sampled_from(ALL_KEYS), values),
    st.tuples(st.just("drop"), st.sampled_from(ALL_KEYS), st.none()),
    st.tuples(
        st.just("unknown"),
        st.tuples(
            st.sampled_from(list(KEYS) + ["extra", "Train"]),
            st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=10),
        ),
        values,
    ),
)


def apply_mutations(mutations) -> dict:
    spec = json.loads(json.dumps(TINY_SPEC))
    for kind, (section, key), value in mutations:
        if kind == "drop":
            spec.get(section, {}).pop(key, None)
        else:
            spec.setdefault(section, {})[key] = value
    return spec


class _Reached(Exception):
    """The run got past every check and into the first training step."""


@pytest.fixture(scope="module")
def table_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("spec-data")
    write_demo(simulated_expression(n_samples=60, n_genes=5, seed=3), folder).rename(folder / "data.csv")
    return folder


@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
@given(mutations=st.lists(mutation, min_size=1, max_size=3))
@example(mutations=[("set", ("split", "seed"), -1)])  # crashed in the batch-effect PCA (exit 1)
@example(mutations=[("set", ("split", "test_fraction"), 0.7)])
@example(mutations=[("drop", ("data", "label"), None)])
def test_random_and_mutated_specs_never_end_as_a_bug(table_dir, mutations, monkeypatch_module):
    """`tenfold run` on a mutated spec, in process, up to the first step that trains: the data
    are loaded, batch effects measured and the split drawn for real; then the run stops."""
    from guiapp import cli

    spec = apply_mutations(mutations)
    crashes = []
    monkeypatch_module.setattr(cli, "_write_crash_log", lambda: crashes.append(_traceback()) or Path("crash.log"))
    with tempfile.TemporaryDirectory(dir=table_dir) as tmp:
        path = Path(tmp) / "spec.toml"
        path.write_text(to_toml(spec), encoding="utf-8")
        (Path(tmp) / "data.csv").symlink_to(table_dir / "data.csv")
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = cli.main(["run", str(path), "--out", str(Path(tmp) / "out")])
    assert code in (0, 2, 3), f"exit {code} for {spec}\n{err.getvalue()}\n{''.join(crashes)}"
    assert "Traceback" not in err.getvalue()
    if code == 2:
        # The run's banner may come first; the error is the last thing said, and says what to do.
        last = err.getvalue().strip().splitlines()[-1]
        assert last.startswith("tenfold: ") and len(last) > 20


def _traceback() -> str:
    import traceback

    return traceback.format_exc()


@pytest.fixture(scope="module")
def monkeypatch_module():
    """The run stops when the first training step begins: everything before it ran for real."""
    from guiapp.cli import commands
    from guiapp.core import pipeline

    real = pipeline.run_study
    patch = pytest.MonkeyPatch()

    def run_until_training(spec, out_dir, **kwargs):
        def on_step(title, message):
            if title == "Baselines":
                raise _Reached

        try:
            real(spec, out_dir, on_step=on_step, resume=kwargs.get("resume", False))
        except _Reached:
            return None
        raise AssertionError("the run never reached the baselines")

    patch.setattr(pipeline, "run_study", run_until_training)
    patch.setattr(commands, "print_result", lambda result: 0)  # the summary a finished run prints
    yield patch
    patch.undo()
