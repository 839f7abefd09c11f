"""Build Tenfold's installable bundle with PyInstaller: one folder with Python, Qt and torch.

    python packaging/build.py [--variant cpu|cuda] [--setup-venv DIR [--setup-only]] [--no-archive]

Runs in the Python environment it is started with (which must hold the torch build of the
variant and PyInstaller: ``pip install -r packaging/requirements-cpu.txt -e ".[packaging]"``), or
makes that environment first with ``--setup-venv DIR``. Then, by system:

- Linux: dist/<variant>/tenfold/ and dist/tenfold-<version>-linux-<arch>-<variant>.tar.gz
- Windows: dist/<variant>/tenfold/ and, where Inno Setup's iscc is on PATH, an installer .exe
- macOS: dist/<variant>/Tenfold.app and a .dmg (hdiutil)

Each bundle carries the licence texts of what it ships in licenses/. Build time and sizes are
printed and kept in dist/build-<variant>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
DIST = ROOT / "dist"
LICENCE_FILE = re.compile(r"(^|/)(LICEN[CS]E|COPYING|NOTICE|AUTHORS)[^/]*$", re.I)


def version() -> str:
    text = (ROOT / "guiapp" / "__init__.py").read_text(encoding="utf-8")
    return re.search(r'__version__ = "([^"]+)"', text).group(1)


def say(message: str) -> None:
    print(f"[build] {message}", flush=True)


def check_environment(variant: str) -> None:
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        sys.exit('PyInstaller is missing here: pip install -e ".[packaging]" (or use --setup-venv DIR).')
    probe = subprocess.run(
        [sys.executable, "-c", "import torch; print(torch.version.cuda or '')"], capture_output=True, text=True
    )
    if probe.returncode != 0:
        sys.exit(f"torch does not import in {sys.executable}:\n{probe.stderr}")
    cuda = probe.stdout.strip()
    if variant == "cpu" and cuda:
        sys.exit(
            f"This environment's torch is a CUDA {cuda} build; the cpu variant needs the CPU-only "
            "build: pip install -r packaging/requirements-cpu.txt"
        )
    if variant == "cuda" and not cuda and sys.platform != "darwin":
        sys.exit(
            "This environment's torch is a CPU-only build; the cuda variant needs a CUDA build: "
            "pip install -r packaging/requirements-cuda.txt"
        )
    say(
        f"torch {metadata.version('torch')} ({'CUDA ' + cuda if cuda else 'CPU only'}), "
        f"PyInstaller {metadata.version('pyinstaller')}, Python {platform.python_version()}"
    )


def index_reachable(url: str, seconds: float = 10) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=seconds):
            return True
    except Exception:  # no DNS, no route, a proxy that refuses it, an HTTP error
        return False


def requirements_file(variant: str) -> Path:
    """requirements-<variant>.txt, or where its extra index (PyTorch's) cannot be reached, a copy
    without it that pins the plain release (``torch==2.13.0``). pip would otherwise retry the
    index for every package (minutes), then fail or take whatever torch its other sources have;
    check_environment() still refuses a torch of the wrong build."""
    source = PACKAGING / f"requirements-{variant}.txt"
    text = source.read_text(encoding="utf-8")
    urls = re.findall(r"^--extra-index-url\s+(\S+)", text, re.M)
    if all(index_reachable(url) for url in urls):
        return source
    say(
        f"{', '.join(urls)} cannot be reached: installing the plain torch release from the usual "
        "package sources (pip's own index, find-links); the build checks that it is the right build."
    )
    text = re.sub(r"^--extra-index-url.*$", "", text, flags=re.M)
    text = re.sub(r"^(torch==[^+\s;]+)\+\w+", r"\1", text, flags=re.M)
    fallback = ROOT / "build" / f"requirements-{variant}-offline.txt"
    fallback.parent.mkdir(parents=True, exist_ok=True)
    fallback.write_text(text, encoding="utf-8")
    return fallback


def setup_venv(folder: Path, variant: str) -> Path:
    """A clean build environment with exactly the variant's torch; returns its python."""
    python = folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "-r", str(requirements_file(variant)), "-e", f"{ROOT}[packaging]"],
        check=True,
    )
    return python


def run_pyinstaller(variant: str) -> float:
    env = dict(os.environ, TENFOLD_VARIANT=variant)
    started = time.monotonic()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level",
            "WARN",
            "--distpath",
            str(DIST / variant),
            "--workpath",
            str(ROOT / "build" / f"pyinstaller-{variant}"),
            str(PACKAGING / "tenfold.spec"),
        ],
        check=True,
        env=env,
        cwd=ROOT,
    )
    return time.monotonic() - started


def bundle_folder(variant: str) -> Path:
    if sys.platform == "darwin":
        return DIST / variant / "Tenfold.app"
    return DIST / variant / "tenfold"


def copy_licences(bundle: Path, variant: str) -> int:
    """licenses/<distribution>/… for every distribution in the bundle (the spec lists them)."""
    target = bundle / ("Contents/Resources/licenses" if bundle.suffix == ".app" else "licenses")
    if target.exists():
        shutil.rmtree(target)
    listed = DIST / variant / "bundled-distributions.json"
    bundled = {n.lower().replace("_", "-") for n in json.loads(listed.read_text(encoding="utf-8"))}
    count = 0
    for dist in metadata.distributions():
        name = dist.metadata["Name"] or "unknown"
        if name.lower().replace("_", "-") not in bundled:
            continue
        for file in dist.files or ():
            if LICENCE_FILE.search(str(file)) and not str(file).endswith((".py", ".pyc")):
                source = Path(dist.locate_file(file))
                if source.is_file():
                    dest = target / name / Path(str(file)).name
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    if dest.exists():  # two files of one name (e.g. LICENSE in two folders)
                        dest = dest.with_name(f"{dest.stem}-{count}{dest.suffix}")
                    shutil.copyfile(source, dest)
                    count += 1
    # Qt's wheels carry no licence text: ship the LGPL 3.0 (and the GPL 3.0 it builds on).
    for name in ("PySide6_Essentials", "shiboken6"):
        if name.lower().replace("_", "-") in bundled:
            (target / name).mkdir(parents=True, exist_ok=True)
            for text in ("LGPL-3.0.txt", "GPL-3.0.txt"):
                shutil.copyfile(PACKAGING / "licenses" / text, target / name / text)
    if (ROOT / "LICENSE").is_file():
        (target / "tenfold").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / "LICENSE", target / "tenfold" / "LICENSE")
    schema_licence = ROOT / "resources" / "schema" / "LICENSE-model-card-toolkit.txt"
    (target / "model-card-toolkit").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(schema_licence, target / "model-card-toolkit" / schema_licence.name)
    python_licence = Path(sys.base_prefix) / (
        "LICENSE.txt" if os.name == "nt" else f"lib/python{sys.version_info.major}.{sys.version_info.minor}/LICENSE.txt"
    )
    if python_licence.is_file():
        (target / "python").mkdir(exist_ok=True)
        shutil.copyfile(python_licence, target / "python" / "LICENSE.txt")
    return count


def add_linux_files(bundle: Path) -> None:
    """The desktop entry, the icon, and install.sh, which puts them in the user's menus."""
    shutil.copyfile(PACKAGING / "linux" / "tenfold.desktop", bundle / "tenfold.desktop")
    shutil.copyfile(ROOT / "resources" / "icons" / "tenfold-256.png", bundle / "tenfold.png")
    shutil.copyfile(PACKAGING / "linux" / "install.sh", bundle / "install.sh")
    (bundle / "install.sh").chmod(0o755)


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def linux_archive(bundle: Path, variant: str) -> Path:
    archive = DIST / f"tenfold-{version()}-linux-{platform.machine()}-{variant}.tar.gz"
    with tarfile.open(archive, "w:gz", compresslevel=6) as tar:
        tar.add(bundle, arcname="tenfold")
    return archive


def windows_installer(variant: str) -> Path | None:
    iscc = shutil.which("iscc") or shutil.which("ISCC")
    if iscc is None:
        say(
            "Inno Setup's iscc is not on PATH: no installer. Install Inno Setup 6 and run "
            f"iscc /DVariant={variant} /DAppVersion={version()} packaging\\windows\\tenfold.iss"
        )
        return None
    subprocess.run(
        [iscc, f"/DVariant={variant}", f"/DAppVersion={version()}", str(PACKAGING / "windows" / "tenfold.iss")],
        check=True,
    )
    found = sorted(DIST.glob(f"Tenfold-{version()}-windows-*-{variant}-setup*.exe"))
    return found[-1] if found else None


def macos_dmg(variant: str) -> Path:
    subprocess.run(["bash", str(PACKAGING / "macos" / "make_dmg.sh"), variant, version()], check=True)
    return DIST / f"Tenfold-{version()}-macos-{platform.machine()}-{variant}.dmg"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument(
        "--setup-venv",
        type=Path,
        metavar="DIR",
        help="make a build environment in DIR from requirements-<variant>.txt and build there",
    )
    parser.add_argument("--no-archive", action="store_true", help="leave the folder; no tarball, installer or .dmg")
    parser.add_argument(
        "--setup-only", action="store_true", help="with --setup-venv: make the environment, build nothing"
    )
    args = parser.parse_args(argv)

    if args.setup_venv:
        python = setup_venv(args.setup_venv.resolve(), args.variant)
        if args.setup_only:
            return 0
        rest = ["--variant", args.variant] + (["--no-archive"] if args.no_archive else [])
        return subprocess.run([str(python), str(Path(__file__).resolve()), *rest]).returncode

    check_environment(args.variant)
    say(f"PyInstaller: building the {args.variant} variant of Tenfold {version()} …")
    seconds = run_pyinstaller(args.variant)
    bundle = bundle_folder(args.variant)
    licences = copy_licences(bundle, args.variant)
    if sys.platform.startswith("linux"):
        add_linux_files(bundle)
    info = {
        "variant": args.variant,
        "version": version(),
        "system": platform.platform(),
        "pyinstaller_seconds": round(seconds),
        "bundle": str(bundle.relative_to(ROOT)),
        "bundle_bytes": folder_size(bundle),
        "licence_files": licences,
    }
    say(f"bundle {bundle} ({info['bundle_bytes'] / 2**20:.0f} MiB) in {seconds:.0f} s")

    if not args.no_archive:
        started = time.monotonic()
        if sys.platform.startswith("linux"):
            artifact = linux_archive(bundle, args.variant)
        elif sys.platform == "win32":
            artifact = windows_installer(args.variant)
        else:
            artifact = macos_dmg(args.variant)
        info["archive_seconds"] = round(time.monotonic() - started)
        if artifact is not None and artifact.exists():
            info["artifact"] = str(artifact.relative_to(ROOT))
            info["artifact_bytes"] = artifact.stat().st_size
            say(f"{artifact} ({info['artifact_bytes'] / 2**20:.0f} MiB) in {info['archive_seconds']} s")
    (DIST / f"build-{args.variant}.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
