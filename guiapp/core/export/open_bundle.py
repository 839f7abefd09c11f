"""Opening an export bundle safely: no pickle, ever.

A pickle runs whatever code its author put in it the moment it is loaded, so a bundle
that came by e-mail must never be unpickled. Tenfold's bundles hold networks as safetensors
(a JSON header and raw numbers) and the kNN baseline as skops (loaded only when every type in
it is one Tenfold writes). Before anything is read, :func:`open_bundle` (through
:func:`verify_bundle`) refuses a bundle with any pickle-bearing file in it, a file the
manifest does not list or whose SHA-256 differs from the one listed, a path in config.json
that leads outside the bundle, and, given the SHA-256 of ``manifest.json`` published
elsewhere, a manifest that is not that one: a manifest inside the bundle proves nothing by
itself, since whoever changes a file can re-hash it.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from guiapp.core.study.errors import TenfoldError

CONFIG = "model/config.json"
MANIFEST, MANIFEST_SHA = "manifest.json", "manifest.sha256"
PICKLE_SUFFIXES = {".pkl", ".pickle", ".pt", ".pth", ".ckpt", ".bin", ".joblib", ".npy", ".npz", ".h5"}
MODEL_KINDS = ("network", "dp_network", "knn")


class BundleError(TenfoldError):
    """The bundle cannot be used as it is: refused, damaged or incomplete."""


@dataclass
class Bundle:
    folder: Path
    config: dict
    manifest: dict = field(default_factory=dict)

    manifest_sha256: str = ""

    def model_file(self, kind: str) -> Path | None:
        name = (self.config.get("models") or {}).get(kind)
        return inside_bundle(self.folder, name, "model/config.json", under="model") if name else None

    @property
    def available(self) -> list[str]:
        return [k for k in MODEL_KINDS if self.model_file(k) is not None]


# ----- checks before anything is loaded ---------------------------------------------------------


def _pickle_reason(path: Path) -> str | None:
    """Why a file counts as pickle-bearing, or None."""
    if path.suffix.lower() in PICKLE_SUFFIXES:
        return f"its name ends in {path.suffix}, a format that holds pickles"
    with path.open("rb") as fh:
        head = fh.read(4)
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return "it is a pickle"
    if head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(path) as z:
                inner = [n for n in z.namelist() if n.endswith((".pkl", ".pickle")) or n.endswith("data.pkl")]
        except zipfile.BadZipFile:
            return None
        if inner:
            return f"it is an archive with a pickle inside ({inner[0]})"
    return None


def refuse_pickles(folder: Path) -> None:
    """Raise :class:`BundleError` when a file of the bundle holds (or may hold) a pickle.

    Checked: the bundle's own files and everything under ``model/``. A ``study/`` folder that
    ``tenfold run --out`` keeps beside the bundle is never read when a bundle is applied.
    """
    folder = Path(folder)
    paths = [p for p in folder.iterdir() if p.is_file()] + sorted((folder / "model").rglob("*"))
    for path in sorted(paths):
        if path.is_file():
            why = _pickle_reason(path)
            if why:
                raise BundleError(
                    f"Tenfold refuses the bundle {folder}: {path.relative_to(folder).as_posix()} "
                    f"may run code when loaded ({why}). Tenfold never unpickles files; its own bundles "
                    "hold models only as safetensors and skops. Ask the sender for the bundle as "
                    "Tenfold wrote it."
                )


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sha256_of(path) -> str:
    """The SHA-256 of a file, as 64 hex digits."""
    return _sha256(Path(path))


def _refuse(folder: Path, why: str) -> BundleError:
    return BundleError(
        f"Tenfold refuses the bundle {folder}: {why} Ask the sender for the bundle as Tenfold "
        "wrote it (and for the SHA-256 of its manifest.json, to check it with --expect-manifest)."
    )


def inside_bundle(folder: Path, relative, where: str, under: str = "") -> Path:
    """``folder / under / relative``, refused unless ``relative`` is a plain relative path that
    stays inside the bundle."""
    folder = Path(folder)
    rel = str(relative)
    parts = Path(rel.replace("\\", "/")).parts
    if (
        not rel
        or Path(rel).is_absolute()
        or rel.startswith(("/", "\\"))
        or ".." in parts
        or ":" in rel
        or "\0" in rel
        or len(rel) > 1000
    ):
        raise _refuse(folder, f"{where} names the path {rel[:200]!r}, which leads outside the bundle.")
    path = folder / under / rel
    try:
        path.resolve().relative_to(folder.resolve())
    except (ValueError, OSError, RuntimeError):
        raise _refuse(folder, f"{where} names {rel!r}, which resolves outside the bundle (a link?).") from None
    return path


def verify_hashes(folder: Path, manifest: dict) -> None:
    """Every file the manifest lists is present and byte for byte the one the export wrote;
    no file under ``model/`` (at any depth) or beside the manifest is missing from the list."""
    folder = Path(folder)
    entries = manifest.get("files")
    if not isinstance(entries, list) or not all(
        isinstance(f, dict) and isinstance(f.get("path"), str) and isinstance(f.get("sha256"), str) for f in entries
    ):
        raise _refuse(folder, "its manifest.json has no valid list of files and their SHA-256.")
    recorded = {}
    for f in entries:
        inside_bundle(folder, f["path"], "manifest.json")
        recorded[Path(f["path"]).as_posix()] = f["sha256"].lower()
    present = [p for p in folder.iterdir() if p.is_file() or p.is_symlink()]
    if (folder / "model").is_dir():
        present += [p for p in (folder / "model").rglob("*") if not p.is_dir() or p.is_symlink()]
    for path in sorted(present):
        rel = path.relative_to(folder).as_posix()
        if rel in (MANIFEST, MANIFEST_SHA):
            continue
        if path.is_symlink():
            raise _refuse(folder, f"{rel} is a link; a bundle holds only plain files.")
        if rel not in recorded:
            raise _refuse(
                folder, f"{rel} is not among the files its manifest.json lists, so it was added after the export."
            )
    for rel, digest in sorted(recorded.items()):
        path = folder / rel
        if not path.is_file():
            raise _refuse(folder, f"{rel}, listed in its manifest.json, is missing.")
        if _sha256(path) != digest:
            raise _refuse(
                folder, f"{rel} has changed since the export (its SHA-256 differs from the one in manifest.json)."
            )


def check_manifest_hash(folder: Path, expected: str | None) -> str:
    """The SHA-256 of ``manifest.json``; refused when it differs from ``expected`` (hex, any case)."""
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.is_file():
        raise BundleError(f"{folder} has no manifest.json: a Tenfold export bundle always has one.")
    actual = _sha256(path)
    if expected is not None:
        wanted = expected.strip().lower()
        if len(wanted) != 64 or any(c not in "0123456789abcdef" for c in wanted):
            raise BundleError(
                f"--expect-manifest {expected!r} is not a SHA-256: give the 64 hex digits the sender published."
            )
        if actual != wanted:
            raise BundleError(
                f"Tenfold refuses the bundle {folder}: its manifest.json has the SHA-256 {actual}, "
                f"not the {wanted} you expected. The bundle is not the one that was published; "
                "do not use it."
            )
    return actual


def verify_bundle(folder, *, expect_manifest: str | None = None) -> dict:
    """Check a bundle without loading any model: no pickles, the manifest's hash (when one is
    expected), every file listed and unchanged, nothing unlisted, config paths inside the bundle.

    Returns the manifest, with the SHA-256 of ``manifest.json`` under ``"_sha256"``.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise BundleError(f"{folder} is not a folder. Give the folder `tenfold run` or the Export page wrote.")
    try:
        refuse_pickles(folder)
        digest = check_manifest_hash(folder, expect_manifest)
        manifest = _read_json(folder / MANIFEST, "a Tenfold export bundle always has one.")
        verify_hashes(folder, manifest)
        if (folder / CONFIG).is_file():
            _check_config_paths(folder, _read_json(folder / CONFIG, ""))
    except OSError as exc:  # an unreadable file or folder: the bundle cannot be checked, so it is not used
        raise BundleError(
            f"Tenfold cannot check the bundle {folder}: {exc.filename or 'a file'} cannot be read "
            f"({exc.strerror or exc})."
        ) from None
    return {**manifest, "_sha256": digest}


def _check_config_paths(folder: Path, config: dict) -> None:
    """Every file config.json names lies inside the bundle's model/ folder and is listed."""
    models = config.get("models") or {}
    onnx = config.get("onnx") or {}
    onnx = onnx.get("files") or {} if isinstance(onnx, dict) else onnx
    if not isinstance(models, dict) or not isinstance(onnx, dict):
        raise _refuse(folder, "model/config.json's 'models' (or 'onnx' files) is not a table of file names.")
    names = dict(models)
    names.update({f"onnx {k}": v for k, v in onnx.items()})
    for kind, name in names.items():
        if name is None:
            continue
        if not isinstance(name, str):
            raise _refuse(folder, f"model/config.json names {name!r} for the {kind}, which is not a file name.")
        path = inside_bundle(folder, name, "model/config.json", under="model")
        try:
            path.resolve().relative_to((folder / "model").resolve())
        except ValueError:
            raise _refuse(folder, f"model/config.json names {name!r}, outside the bundle's model/ folder.") from None


def _whole(v, low: int = 1) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and low <= v <= 2**31 - 1


def _names(v) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


# config.json key -> (check, what a config Tenfold writes holds there); keys absent are not checked
_CONFIG_RULES = {
    "task": (lambda v: v in ("classification", "regression"), '"classification" or "regression"'),
    "feature_columns": (lambda v: _names(v) and len(v) >= 1, "the list of feature column names"),
    "classes": (
        lambda v: isinstance(v, list) and all(isinstance(x, (str, int, float)) and not isinstance(x, bool) for x in v),
        "the list of classes",
    ),
    "n_outputs": (lambda v: v is None or _whole(v), "a whole number ≥ 1"),
    "identifiers": (_names, "a list of column names"),
    "default_model": (lambda v: v in MODEL_KINDS, " or ".join(MODEL_KINDS)),
    "modality": (lambda v: v is None or v in ("table", "image", "sequence"), '"table", "image" or "sequence"'),
    "input_shape": (
        lambda v: v is None or (isinstance(v, list) and all(_whole(x) for x in v)),
        "a list of whole numbers ≥ 1",
    ),
    "data_options": (lambda v: v is None or isinstance(v, dict), "a table of options"),
    "differential_privacy": (lambda v: v is None or isinstance(v, dict), "a table, or null"),
    "batch_correction": (lambda v: isinstance(v, str), "text"),
    "transform": (
        lambda v: isinstance(v, dict) and all(k == "log1p" and _names(c) for k, c in v.items()),
        'a table {"log1p": [column names]}',
    ),
    "architecture": (
        lambda v: (
            isinstance(v, dict)
            and isinstance(v.get("kind", "mlp"), str)
            and _whole(v.get("width"))
            and _whole(v.get("depth"))
            and isinstance(v.get("dropout", 0.0), (int, float))
            and not isinstance(v.get("dropout", 0.0), bool)
            and 0 <= v.get("dropout", 0.0) < 1
        ),
        "a table with kind, width ≥ 1, depth ≥ 1 and dropout in [0, 1)",
    ),
}


def check_config(folder: Path, config: dict) -> None:
    """config.json holds what Tenfold writes there, so a network is never rebuilt from nonsense."""
    for key, (check, words) in _CONFIG_RULES.items():
        if key in config and not check(config[key]):
            raise _refuse(folder, f"model/config.json's {key!r} is {json.dumps(config[key])[:80]}, not {words}.")
    if config["task"] == "classification":
        classes, n = config.get("classes") or [], config.get("n_outputs")
        if len(classes) < 2 or (n is not None and n != len(classes)):
            raise _refuse(
                folder,
                "model/config.json's classes and n_outputs do not agree (a classifier needs two "
                "or more classes, one output each).",
            )


def _read_json(path: Path, what: str) -> dict:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BundleError(f"{path.parent} has no {path.name}: {what}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleError(f"{path} cannot be read ({exc}).") from None
    if not isinstance(value, dict):
        raise BundleError(f"{path} is not a JSON object.")
    return value


def open_bundle(folder, *, expect_manifest: str | None = None) -> Bundle:
    """Check a bundle (:func:`verify_bundle`) and read its config; loads no model yet."""
    folder = Path(folder)
    if folder.is_dir() and not (folder / CONFIG).is_file():
        refuse_pickles(folder)
        _read_json(
            folder / CONFIG,
            "this bundle holds no model (the weights were withheld, or it is not a Tenfold export bundle).",
        )
    manifest = verify_bundle(folder, expect_manifest=expect_manifest)
    digest = manifest.pop("_sha256")
    config = _read_json(
        folder / CONFIG, "this bundle holds no model (the weights were withheld, or it is not a Tenfold export bundle)."
    )
    for key in ("feature_columns", "task", "architecture"):
        if key not in config:
            raise BundleError(f"{folder / CONFIG} lacks {key!r}: it is not a config Tenfold wrote.")
    check_config(folder, config)
    bundle = Bundle(folder=folder, config=config, manifest=manifest, manifest_sha256=digest)
    if not bundle.available:
        raise BundleError(f"{folder} holds no model files: the weights were withheld from this export.")
    return bundle
