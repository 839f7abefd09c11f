#!/usr/bin/env bash
# Build Tenfold's Linux bundle (CPU variant) and smoke-test the built program as a user gets it:
# unpacked from the tarball into an empty folder, with an empty home, no Python on the path,
# and no network. It runs the headless demo to a full export bundle; inspects a Parquet file, an
# Excel sheet, an AnnData .h5ad, a PNG folder and a FASTA file (generated here); runs a small
# sequence study (1D CNN, tuning, DP copy) and predicts on its FASTA; then opens the wizard
# offscreen, checks it and closes it, printing ok.
#
#   bash packaging/check_bundle.sh            # build, then test
#   SKIP_BUILD=1 bash packaging/check_bundle.sh   # test the tarball already in dist/
#
# Too slow for every CI run: about 4 minutes on 2 shared cores, most of it PyInstaller (packaging/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
# The build environment of packaging/README.md (not the development .venv, whose test extras
# — onnx, anndata, pytest — must not decide what goes into the bundle).
PY=${PYTHON:-$ROOT/.build-cpu/bin/python}
EPOCHS=${EPOCHS:-10}

if [ ! -x "$PY" ]; then  # a fresh machine: make it as the README does
  python3 packaging/build.py --variant cpu --setup-venv .build-cpu --setup-only
  PY=$ROOT/.build-cpu/bin/python
fi
"$PY" -c "import PyInstaller" 2>/dev/null || "$PY" -m pip install -q -e ".[packaging]"

# Qt's X11 plugin links these; where the build machine has them, the bundle carries them.
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 \
    >/dev/null 2>&1 || echo "note: could not install the xcb libraries; the bundle leans on the user's"
fi

started=$(date +%s)
if [ -z "${SKIP_BUILD:-}" ]; then
  "$PY" packaging/build.py --variant cpu
fi
built=$(date +%s)
tarball=$(ls -t dist/tenfold-*-linux-*-cpu.tar.gz | head -1)

work=$(mktemp -d)
show_crash_logs() {  # a failed run of the program leaves its traceback in the log folder
  find "$work/home" -name 'crash-*.log' -exec sh -c 'echo "--- $1"; cat "$1"' _ {} \; 2>/dev/null || true
  rm -rf "$work"
}
trap show_crash_logs EXIT
tar -xzf "$tarball" -C "$work"
exe=$work/tenfold/tenfold
mkdir -p "$work/home" "$work/run"

# No network: a new network namespace holds only a loopback device.
if unshare -rn true 2>/dev/null; then
  nonet=(unshare -rn); network="none (unshare -rn)"
else
  nonet=(); network="NOT cut: unshare is not allowed here"
fi
run() {  # the program with a clean environment: no venv, no PYTHONPATH, an empty home
  (cd "$work/run" && env -i PATH=/usr/bin:/bin HOME="$work/home" LANG=C.UTF-8 QT_QPA_PLATFORM=offscreen \
     "$@")
}

echo "== version"
run "${nonet[@]}" "$exe" --version

echo "== headless demo (network: $network)"
demo_started=$(date +%s)
run "${nonet[@]}" "$exe" demo --headless --out "$work/demo" --epochs "$EPOCHS"
demo_seconds=$(( $(date +%s) - demo_started ))
for f in model_card.md model_card.json privacy.md report.html metrics.json manifest.json \
         checklist.json ethics_register.json predictions.csv; do
  [ -s "$work/demo/$f" ] || { echo "FAIL: the export bundle has no $f" >&2; exit 1; }
done
"$PY" - "$work/demo" <<'PYCHECK'
import json, sys
from pathlib import Path
from importlib import resources
import jsonschema
out = Path(sys.argv[1])
schema = json.loads(resources.files("guiapp.resources").joinpath("schema", "model_card.schema.v0.0.2.json").read_text())
jsonschema.validate(json.loads((out / "model_card.json").read_text()), schema)
manifest = json.loads((out / "manifest.json").read_text())
text = json.dumps(manifest)
assert "torch" in text, "the manifest names no torch version"
assert (out / "model").is_dir() or "withheld" in (out / "model_card.md").read_text().lower()
print("export bundle:", ", ".join(sorted(p.name for p in out.iterdir())))
print("model_card.json is valid against the Model Card Toolkit schema v0.0.2")
PYCHECK

echo "== the data readers (inputs generated here: Parquet, Excel, AnnData .h5ad, a PNG folder, FASTA)"
"$PY" - "$work/inputs" <<'PYINPUTS'
import sys
from pathlib import Path
import numpy as np
import pandas as pd
from PIL import Image
from guiapp.core.data.anndata_io import write_h5ad
out = Path(sys.argv[1]); out.mkdir(parents=True)
rng = np.random.default_rng(0)
n, p = 40, 6
X = rng.normal(size=(n, p)).astype(np.float32)
labels = np.where(np.arange(n) % 2, "tumour", "normal")
X[labels == "tumour", 0] += 2.0
table = pd.DataFrame(X, columns=[f"gene{j}" for j in range(p)])
table.insert(0, "sample_id", [f"S{i:03d}" for i in range(n)])
table["label"] = labels
table.to_parquet(out / "table.parquet")
table.to_excel(out / "table.xlsx", index=False)
write_h5ad(out / "cells.h5ad", X, pd.DataFrame({"label": pd.Categorical(labels)},
           index=[f"cell{i}" for i in range(n)]), [f"gene{j}" for j in range(p)])
for cls, level in (("healthy", 60), ("tumour", 180)):
    (out / "images" / cls).mkdir(parents=True)
    for i in range(16):
        Image.fromarray(np.clip(rng.normal(level, 30, (8, 8)), 0, 255).astype(np.uint8)).save(
            out / "images" / cls / f"{cls}_{i}.png")
records = []
for i in range(48):  # the test suite's GATA-motif sequences (tests/e2e/test_grid_cli.py)
    seq = list(rng.choice(list("ACGT"), 20 + i % 5))
    label = "bound" if i % 2 else "unbound"
    if label == "bound":
        seq[8:12] = list("GATA")
    records.append(f">s{i} label={label}\n{''.join(seq)}\n")
(out / "seqs.fa").write_text("".join(records))
(out / "seq_spec.toml").write_text("""[question]
title = "GATA motif"
task = "classification"
[data]
path = "seqs.fa"
label = "label"
sensitive = false
about_humans = false
[baselines]
models = ["logistic_regression"]
budget_trials = 1
[model]
architecture = "cnn1d"
width = 8
depth = 1
[train]
device = "cpu"
max_epochs = 2
budget_trials = 1
[tuning]
epochs = 2
[evaluate]
shuffle_repeats = 1
learning_curve = [0.5, 1.0]
[interpret]
repeats = 1
top = 5
[privacy]
dp_epsilon = 4.0
dp_epochs = 2
[verdict]
proceed_reason = "The bundle check on generated data."
""")
PYINPUTS
inspect_started=$(date +%s)
for input in table.parquet table.xlsx cells.h5ad images seqs.fa; do
  label=label; [ "$input" = images ] && label=class
  run "${nonet[@]}" "$exe" inspect "$work/inputs/$input" --label "$label" --json > "$work/inspect-$input.json" \
    || { echo "FAIL: tenfold inspect $input" >&2; cat "$work/inspect-$input.json" >&2; exit 1; }
done
inspect_seconds=$(( $(date +%s) - inspect_started ))
"$PY" - "$work" <<'PYINSPECT'
import json, sys
from pathlib import Path
work = Path(sys.argv[1])
expect = {"table.parquet": ("table", 40), "table.xlsx": ("table", 40), "cells.h5ad": ("table", 40),
          "images": ("image", 32), "seqs.fa": ("sequence", 48)}
for name, (modality, n) in expect.items():
    out = json.loads((work / f"inspect-{name}.json").read_text())
    assert out["n_samples"] == n, (name, out["n_samples"])
    assert len(out["class_counts"]) == 2, (name, out["class_counts"])
    assert modality == "table" or out["modality"] == modality, (name, out["modality"])
    print(f"inspect {name}: {out['modality']}, {out['n_samples']} samples × {out['n_features']} features, "
          f"classes {out['class_counts']}")
PYINSPECT

echo "== a sequence study (1D CNN, tuning, DP copy) and predict on its FASTA (network: $network)"
seq_started=$(date +%s)
run "${nonet[@]}" "$exe" run "$work/inputs/seq_spec.toml" --out "$work/seq"
run "${nonet[@]}" "$exe" predict "$work/seq" "$work/inputs/seqs.fa" --out "$work/seq-preds.csv"
if [ -f "$work/demo/model/config.json" ]; then
  run "${nonet[@]}" "$exe" predict "$work/demo" "$work/demo.study/data/breast_cancer.csv" --by-name --out "$work/demo-preds.csv"
fi
seq_seconds=$(( $(date +%s) - seq_started ))
"$PY" - "$work" <<'PYPREDICT'
import sys
from pathlib import Path
import numpy as np
import pandas as pd
work = Path(sys.argv[1])
for name in ("model/model.safetensors", "model/model_dp.safetensors", "model/config.json", "model_card.json"):
    assert (work / "seq" / name).is_file(), f"the sequence study's bundle has no {name}"
mine = pd.read_csv(work / "seq-preds.csv").set_index("row")
exported = pd.read_csv(work / "seq" / "predictions.csv")
columns = [c for c in exported.columns if c.startswith("p_")]
np.testing.assert_allclose(mine.loc[exported["row"], columns].to_numpy(), exported[columns].to_numpy(), atol=2e-6)
print(f"predict on seqs.fa: {len(mine)} records; the sealed test set's {len(exported)} predictions reproduced")
demo = work / "demo-preds.csv"
if demo.exists():
    frame = pd.read_csv(demo)
    print(f"predict on the demo table: {len(frame)} samples")
PYPREDICT

echo "== wizard smoke test (offscreen, network: $network)"
smoke_started=$(date +%s)
run "${nonet[@]}" env TENFOLD_SMOKE_TEST=1 "$exe" | tee "$work/smoke.txt"
smoke_seconds=$(( $(date +%s) - smoke_started ))
[ "$(tail -1 "$work/smoke.txt")" = "ok" ] || { echo "FAIL: the wizard smoke test did not print ok" >&2; exit 1; }
grep -q "build: installed bundle" "$work/smoke.txt" || { echo "FAIL: the smoke test did not run frozen" >&2; exit 1; }

bundle_mib=$(du -sm "$work/tenfold" | cut -f1)
tar_mib=$(( $(stat -c %s "$tarball") / 1048576 ))
echo "== summary"
echo "build (PyInstaller + tarball): $(( built - started )) s"
echo "bundle: ${bundle_mib} MiB unpacked, $tarball ${tar_mib} MiB"
echo "headless demo ($EPOCHS epochs): ${demo_seconds} s; inspect ×5: ${inspect_seconds} s; sequence study + predict: ${seq_seconds} s"
echo "wizard smoke test: ${smoke_seconds} s; network: $network"
echo "check_bundle: ok"
