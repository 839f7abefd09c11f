"""`[data] transform` as a user writes it: `tenfold run` records the log transform in the bundle and
trains on log1p values; `tenfold predict` applies the same transform to new samples."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
from safetensors.numpy import load_file

SPEC = """[question]
task = "classification"
target_metric = "roc_auc"

[data]
path = "counts.csv"
label = "condition"
identifiers = ["sample_id"]
sensitive = false
about_humans = false
transform = {{ log1p = {columns} }}

[split]
strategy = "stratified"

[train]
max_epochs = 2
device = "cpu"
budget_trials = 1

[baselines]
budget_trials = 1
models = ["logistic_regression"]

[tuning]
epochs = 2

[verdict]
proceed_reason = "A test of the log transform, not of the verdict."

[evaluate]
shuffle_repeats = 1
learning_curve = [0.5, 1.0]

[interpret]
repeats = 1
integrated_gradients = false

[privacy]
membership_audit = false
"""


def tenfold(*args):
    return subprocess.run(
        [sys.executable, "-m", "guiapp", *map(str, args)], capture_output=True, text=True, timeout=300
    )


def counts_table(n: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    y = np.arange(n) % 2
    table = pd.DataFrame({"sample_id": [f"S{i:03d}" for i in range(n)], "condition": np.where(y, "treated", "control")})
    for g in range(6):
        rate = np.exp(rng.normal(4, 1.5, n) + (1.0 * y if g < 2 else 0))  # counts over orders of magnitude
        table[f"gene_{g}"] = rng.poisson(rate)
    return table


def test_run_records_the_log_transform_and_predict_applies_it(tmp_path):
    table = counts_table()
    table.to_csv(tmp_path / "counts.csv", index=False)
    logged = ["gene_0", "gene_1", "gene_2", "gene_3", "gene_4", "gene_5"]
    (tmp_path / "spec.toml").write_text(SPEC.format(columns=json.dumps(logged)), encoding="utf-8")
    out = tmp_path / "out"
    result = tenfold("run", tmp_path / "spec.toml", "--out", out)
    assert result.returncode == 0, result.stderr[-3000:]

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["spec"]["data"]["transform"] == {"log1p": logged}
    assert json.loads((out / "model" / "config.json").read_text())["transform"] == {"log1p": logged}
    assert "log(1 + x) applied to every feature column" in (out / "model_card.md").read_text(encoding="utf-8")

    # The network's standardisation was fitted on log1p values: its means are those of log counts.
    weights = load_file(str(out / "model" / "model.safetensors"))
    (means,) = [v for k, v in weights.items() if k.endswith("center") and v.shape == (len(logged),)]
    raw = table[logged].to_numpy(dtype=float)
    assert np.all(means <= np.log1p(raw).max(axis=0)) and np.all(means < raw.mean(axis=0) / 4)

    # `tenfold predict` transforms new samples the same way: it reproduces the study's predictions.
    preds = tmp_path / "preds.csv"
    done = tenfold("predict", out, tmp_path / "counts.csv", "--out", preds)
    assert done.returncode == 0, done.stderr
    mine = pd.read_csv(preds).set_index("row")
    exported = pd.read_csv(out / "predictions.csv")
    columns = [c for c in exported.columns if c.startswith("p_")]
    assert np.allclose(mine.loc[exported["row"], columns].to_numpy(), exported[columns].to_numpy(), atol=2e-6)


def test_a_negative_value_in_a_logged_column_is_bad_input(tmp_path):
    table = counts_table(40)
    table.loc[3, "gene_1"] = -5
    table.to_csv(tmp_path / "counts.csv", index=False)
    (tmp_path / "spec.toml").write_text(SPEC.format(columns='["gene_1"]'), encoding="utf-8")
    result = tenfold("run", tmp_path / "spec.toml", "--out", tmp_path / "out")
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Column 'gene_1'" in result.stderr and "row 4" in result.stderr and "Traceback" not in result.stderr
