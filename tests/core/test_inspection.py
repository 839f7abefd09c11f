"""`tenfold inspect`'s report comes from the core: the CLI prints its lines and exits with its status."""

from __future__ import annotations

import numpy as np
import pandas as pd

from guiapp.cli import main
from guiapp.core.guidance.inspection import InspectRequest, inspect_data


def _table(tmp_path, n=80):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(n, 4)), columns=[f"gene_{i}" for i in range(4)])
    frame.insert(0, "sample_id", [f"s{i}" for i in range(n)])
    frame["condition"] = ["a", "b"] * (n // 2)
    frame["run"] = ["r1"] * (n // 2) + ["r2"] * (n // 2)
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    return path


def test_the_cli_prints_the_core_report_and_exits_with_its_status(tmp_path, capsys):
    path = _table(tmp_path)
    report = inspect_data(InspectRequest(data=path, label="condition", batch="run"))
    assert report.lines()[0].startswith(f"{path}: 80 samples × ")
    assert any(line.startswith("  batch effects: ") for line in report.lines())
    assert any(line.startswith("  verdict before training: ") for line in report.lines())
    code = main(["inspect", str(path), "--label", "condition", "--batch", "run"])
    out = capsys.readouterr()
    assert out.out == "\n".join(report.lines()) + "\n"
    assert code == report.exit_status
    assert out.err == "".join(f"tenfold: {m}\n" for m in report.problems)


def test_the_json_report_has_the_profile_and_the_split(tmp_path):
    report = inspect_data(InspectRequest(data=_table(tmp_path), label="condition"))
    data = report.to_dict()
    assert data["n_samples"] == 80 and data["label"] == "condition" and data["batch"] is None
    assert set(data["split"]["sizes"]) == {"train", "tune", "test"}
    assert '"n_samples": 80' in report.to_json()
