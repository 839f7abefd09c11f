#!/usr/bin/env bash
# Build Tenfold's Linux bundle (CPU variant) and smoke-test the built program as a user gets it:
# unpacked from the tarball into an empty folder, with an empty home, no Python on the path,
# and no network. It runs the headless demo to a full export bundle, then opens the wizard
# offscreen, checks it and closes it, printing ok.
#
#   bash packaging/check_bundle.sh            # build, then test
#   SKIP_BUILD=1 bash packaging/check_bundle.sh   # test the tarball already in dist/
#
# Too slow for every CI run: 8-13 minutes on 2 cores, most of it PyInstaller (packaging/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=${PYTHON:-$ROOT/.venv/bin/python}
EPOCHS=${EPOCHS:-10}

if [ ! -x "$PY" ]; then  # a fresh machine: the README's set-up, plus PyInstaller
  python3 -m venv .venv
  .venv/bin/pip install -q torch==2.13.0 -e ".[packaging]"
  PY=$ROOT/.venv/bin/python
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
echo "headless demo ($EPOCHS epochs): ${demo_seconds} s; wizard smoke test: ${smoke_seconds} s; network: $network"
echo "check_bundle: ok"
