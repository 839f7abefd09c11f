"""The pages fit under high-DPI display scaling (125 %, 150 %, 200 %) as they do at 100 %.

Qt 6 lays a window out in device-independent pixels and reads its scaling (QT_SCALE_FACTOR,
QT_FONT_DPI) once, when the application starts; so each case runs tests/ui/fit_scaled.py in its
own process, which runs the checks of test_layout_fit_a and _b at 1280×800 and 1366×768 (in
device-independent pixels, the checklist docked) and prints what does not fit. The test also
checks that the scaling really took effect, so it cannot pass by ignoring the variable.

The processes start together, once per module, on two studies built once here: one through the
Baselines step (as in test_layout_fit_a) and one with every step run (as in test_layout_fit_b).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ui.fit_check import SIZES, study_through_baselines

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("fit_scaled.py")
# Whatever scaling the machine running the tests sets is left out: each case sets its own.
QT_SCALING = (
    "QT_SCALE_FACTOR",
    "QT_SCREEN_SCALE_FACTORS",
    "QT_FONT_DPI",
    "QT_ENABLE_HIGHDPI_SCALING",
    "QT_SCALE_FACTOR_ROUNDING_POLICY",
    "QT_AUTO_SCREEN_SCALE_FACTOR",
    "QT_USE_PHYSICAL_DPI",
)
SCALES = (1.25, 1.5, 2.0)
# 125 % display scaling with Qt's scaling off (QT_ENABLE_HIGHDPI_SCALING=0): the window keeps its
# 1280×800 pixels and the text, set in points, grows with the logical DPI (a line 18 px instead
# of 14). The pages in FIT_WITH_LARGER_TEXT fit even so, and no page but Data needs a horizontal
# scrollbar. Still too long at 1280×800: Data (its tabs scroll sideways; the page is taller than
# two views), Baselines (the main button below the fold; its score table scrolls sideways),
# Ethics (the main button below the fold), and on a finished study Architecture and Evaluate
# (taller than two views). With Qt's own scaling on (Tenfold's default) the text keeps its size
# in device-independent pixels, and every page fits (test_pages_fit_under_display_scaling).
FONT_DPI = 120
FONT_CASE = f"font {FONT_DPI} dpi"
FIT_WITH_LARGER_TEXT = ("study", "question", "batch", "split", "train", "overfitting", "interpret", "export")
WIDER_THAN_THE_WINDOW = ("data",)
CASES = {
    **{f"scale {s:g}": ({"QT_SCALE_FACTOR": f"{s:g}"}, SIZES) for s in SCALES},
    FONT_CASE: ({"QT_ENABLE_HIGHDPI_SCALING": "0", "QT_FONT_DPI": str(FONT_DPI)}, ((1280, 800),)),
}
TIMEOUT_S = 300


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Every case's fit check started at once, each in its own process on its own copy of the studies."""
    from guiapp.core.stats.panel import metric_panel
    from guiapp.ui.screenshots import build_demo_study

    built = tmp_path_factory.mktemp("dpi-studies")
    study_through_baselines(built / "baselines")
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(metric_panel.__kwdefaults__, "n_boot", 30)
        build_demo_study(built / "finished", "breast_cancer", epochs=2, trials=2, trial_epochs=2)
    env = {k: v for k, v in os.environ.items() if k not in QT_SCALING}
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    started = {}
    for i, (case, (scaling, sizes)) in enumerate(CASES.items()):
        folder = tmp_path_factory.mktemp(f"dpi-case{i}")
        for name in ("baselines", "finished"):
            shutil.copytree(built / name / "study", folder / name)
        args = [folder / "baselines", folder / "finished", folder / "settings", *(f"{w}x{h}" for w, h in sizes)]
        out, err = (folder / "out.json").open("w"), (folder / "err.txt").open("w")
        process = subprocess.Popen(
            [sys.executable, str(SCRIPT), *map(str, args)], env=env | scaling, cwd=ROOT, stdout=out, stderr=err
        )
        started[case] = (process, folder, out, err)
    yield started
    for process, _folder, out, err in started.values():
        if process.poll() is None:
            process.kill()
            process.wait()
        out.close()
        err.close()


def result(runs, case: str) -> dict:
    process, folder, out, err = runs[case]
    try:
        process.wait(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    out.close()
    err.close()
    stderr = (folder / "err.txt").read_text(encoding="utf-8")
    assert process.returncode == 0, f"{case}: the fit check stopped:\n{stderr[-4000:]}"
    return json.loads((folder / "out.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("scale", SCALES, ids=lambda s: f"{s:g}x")
def test_pages_fit_under_display_scaling(runs, scale):
    found = result(runs, f"scale {scale:g}")
    assert found["device_pixel_ratio"] == scale  # the scale took effect: the window draws at 1.25, 1.5, 2×
    assert found["logical_dpi"] == 96  # ... and lays out in device-independent pixels
    assert found["problems"] == {"empty": {}, "through baselines": {}, "finished": {}}


def test_pages_fit_with_text_grown_by_display_scaling(runs):
    found = result(runs, FONT_CASE)
    assert found["device_pixel_ratio"] == 1 and found["logical_dpi"] == FONT_DPI  # the text grows, not the window
    assert found["text_line_px"] > result(runs, "scale 1.25")["text_line_px"]
    problems = {where: p for state in found["problems"].values() for where, p in state.items()}
    assert {w: p for w, p in problems.items() if w.split(" at ")[0] in FIT_WITH_LARGER_TEXT} == {}
    sideways = {
        w: [p for p in kinds if p.startswith(("horizontal scrollbar", "button "))] for w, kinds in problems.items()
    }
    assert {w: p for w, p in sideways.items() if p and w.split(" at ")[0] not in WIDER_THAN_THE_WINDOW} == {}
