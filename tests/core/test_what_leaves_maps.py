"""Sample images shown beside attribution maps are data: a sensitive study's bundle holds none."""

from __future__ import annotations

import json

import numpy as np
import pytest

from guiapp.core.export.write import write_bundle
from guiapp.core.interpretation.attribution_maps import quantise


@pytest.mark.parametrize("sensitive", [True, False])
def test_example_images_leave_only_when_the_data_are_not_sensitive(tmp_path, sensitive):
    from tests.core.test_export import make_study

    study = make_study(tmp_path / "study", sensitive=sensitive)
    picture = np.arange(64, dtype=float).reshape(8, 8)
    study.interpret.maps = {
        "kind": "image",
        "shape": [1, 8, 8],
        "mean": quantise(np.eye(8) + 0.1),
        "examples": [
            {
                "row": 0,
                "label": "predicted basal (0.97)",
                "image": quantise(picture),
                "integrated_gradients": quantise(np.eye(8)),
            }
        ],
        "edge": "top",
        "edge_ratio": 1.0,
        "method": "integrated gradients",
        "reading": "…",
    }
    out = tmp_path / "export"
    write_bundle(study, out)
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "Mean |integrated gradients| over the tune split" in report  # the map itself is no sample
    assert ("Tune sample 1" in report) is not sensitive
    manifest = json.loads((out / "manifest.json").read_text())
    assert "examples" not in manifest["spec"]["interpret"]["maps"]
    assert study.interpret.maps["examples"]  # the study keeps them for its own pages
