"""Tenfold never opens a network connection: the headless demo (with differential privacy, the
membership audit, the export and `predict` on its bundle) runs under an audit hook that records
every socket connection and name lookup."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from guiapp.core.study.places import default_study_dir

WRAPPER = textwrap.dedent('''
    """Run Tenfold's headless demo with every socket connection recorded (a sitecustomize-like hook)."""
    import json, sys

    events = []

    def hook(event, args):
        if event in ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "urllib.Request"):
            events.append([event, repr(args)[:200]])
            if event == "socket.connect":
                raise ConnectionRefusedError("Tenfold tried to open a network connection")

    sys.addaudithook(hook)  # before Tenfold, torch or any library is imported

    from pathlib import Path
    from guiapp.core.pipeline import demo_spec, run_study
    from guiapp.core.export.predict import predict_file
    from guiapp.core.study.spec import check_spec

    out = Path(sys.argv[1])
    spec = demo_spec("breast_cancer", out / "data", max_epochs=2)
    # The demo's own steps, with small budgets so the check stays quick; DP and the audit are on.
    spec["baselines"] = {"models": ["logistic_regression"], "budget_trials": 0}
    spec["train"]["budget_trials"] = 0  # no network search
    spec["evaluate"] = {"shuffle_repeats": 1, "learning_curve": [1.0]}
    spec["interpret"] = {"repeats": 1, "integrated_gradients": False}
    spec["privacy"] = {"dp_epsilon": 3.0, "dp_epochs": 2}
    check_spec(spec, name="the demo spec")
    result = run_study(spec, out)
    predict_file(out, spec["data"]["path"], out / "new_predictions.csv")
    json.dump({"events": events, "weights_shared": result.weights_shared}, open(out / "audit.json", "w"))
''')


def test_headless_demo_and_predict_open_no_connection(tmp_path):
    script = tmp_path / "run_with_socket_audit.py"
    script.write_text(WRAPPER, encoding="utf-8")
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, str(script), str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    audit = json.loads((out / "audit.json").read_text())
    assert audit["events"] == [], audit["events"]
    assert audit["weights_shared"]  # the demo data are not sensitive: the bundle has a model to apply
    assert (out / "new_predictions.csv").is_file() and (out / "model" / "model_dp.safetensors").is_file()
    study = json.loads((default_study_dir(out) / "study.json").read_text())
    assert set(study["ethics"]["membership"]["models"]) == {"network", "dp_network", "knn"}
