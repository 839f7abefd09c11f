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
# The only types a kNN baseline file may contain; anything else is refused unloaded.
TRUSTED_SKLEARN_TYPES = frozenset(
    {
        "sklearn.pipeline.Pipeline",
        "sklearn.impute._base.SimpleImputer",
        "sklearn.preprocessing._data.StandardScaler",
        "sklearn.neighbors._classification.KNeighborsClassifier",
        "sklearn.neighbors._regression.KNeighborsRegressor",
        "sklearn.neighbors._kd_tree.KDTree",
        "sklearn.neighbors._ball_tree.BallTree",
        "sklearn.metrics._dist_metrics.EuclideanDistance64",
        "sklearn.metrics._dist_metrics.EuclideanDistance32",
        "sklearn.metrics._dist_metrics.MinkowskiDistance64",
        "sklearn.metrics._dist_metrics.ManhattanDistance64",
        "sklearn.utils._bunch.Bunch",
        "builtins.slice",
        "numpy.dtype",
        "numpy.ndarray",
        "numpy.float64",
        "numpy.int64",
    }
)
# Every node of a skops file Tenfold writes is one of these, and names only these types (the
# containers and values its estimators hold); skops' own default trust (which also admits, for
# example, FunctionTransformer and numpy functions) is never relied on.
TRUSTED_SKOPS_TYPES = TRUSTED_SKLEARN_TYPES | {
    "builtins.dict",
    "builtins.list",
    "builtins.tuple",
    "builtins.str",
    "builtins.int",
    "builtins.float",
    "builtins.bool",
    "builtins.NoneType",
    "numpy.float32",
    "numpy.int32",
}
TRUSTED_SKOPS_LOADERS = frozenset(
    {"ObjectNode", "DictNode", "ListNode", "TupleNode", "JsonNode", "NdArrayNode", "DTypeNode", "TypeNode", "SliceNode"}
)
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


# ----- loading the models -----------------------------------------------------------------------


def load_network(bundle: Bundle, kind: str = "network"):
    """The network (or its DP-trained copy) in eval mode on the CPU, from safetensors only."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from guiapp.core.models.network import build_mlp

    path = bundle.model_file(kind)
    if path is None or not path.is_file():
        raise BundleError(
            f"This bundle has no {kind.replace('_', ' ')} weights; it has: {', '.join(bundle.available)}."
        )
    c = bundle.config
    a = c["architecture"]
    regression = c["task"] != "classification"
    try:
        if a.get("kind", "mlp") != "mlp":
            model = _grid_network(c, a, regression)
        else:
            n_outputs = int(c.get("n_outputs") or (len(c.get("classes", [])) if not regression else 1))
            model = build_mlp(
                len(c["feature_columns"]),
                n_outputs,
                int(a["width"]),
                int(a["depth"]),
                float(a.get("dropout", 0.0)),
                regression=regression,
            )
    except (TypeError, ValueError, KeyError, IndexError, RuntimeError) as exc:
        raise BundleError(
            f"The network in {bundle.folder} cannot be rebuilt from its config.json ({exc}); "
            "it is not a config Tenfold wrote."
        ) from None
    if kind == "dp_network" and (c.get("differential_privacy") or {}).get("fixed_layers"):
        from guiapp.core.privacy.dp import fix_for_dp

        model = fix_for_dp(model)
    try:
        state = load_file(str(path))  # safetensors: a header and raw numbers, never code
    except (SafetensorError, OSError, ValueError) as exc:
        raise BundleError(f"{path} is not a valid safetensors file ({exc}); Tenfold will not load it.") from None
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise BundleError(
            f"The weights in {path.name} do not fit the network config.json describes: {str(exc).splitlines()[0]}"
        ) from None
    return model.eval()


def _grid_network(config: dict, arch: dict, regression: bool):
    """An image or sequence network rebuilt from config.json alone (the weights fill it in)."""
    from guiapp.core.models.grid_networks import GRID_KINDS, build_grid_network
    from guiapp.core.study.model import Study

    kind = arch.get("kind")
    if kind not in GRID_KINDS or not config.get("input_shape"):
        raise BundleError(
            f"Tenfold {_version()} cannot rebuild a {kind!r} network from this bundle's "
            "config.json (it lacks the data's form, or the kind is unknown)."
        )
    stub = Study()  # only the facts the network's shape depends on
    stub.question.task = config["task"]
    stub.data.feature_columns, stub.data.classes = list(config["feature_columns"]), list(config.get("classes", []))
    stub.data.modality, stub.data.input_shape = config.get("modality", GRID_KINDS[kind]), list(config["input_shape"])
    for key in ("kind", "width", "depth", "dropout"):
        if key in arch:
            setattr(stub.architecture, key, arch[key])
    try:
        return build_grid_network(stub, kind, target_center=0.0 if regression else None)
    except TenfoldError as exc:
        raise BundleError(f"The network in this bundle cannot be rebuilt: {exc}") from None


def load_knn(bundle: Bundle):
    """The kNN baseline, loaded by skops with only Tenfold's known scikit-learn types trusted."""
    try:
        import skops.io as sio
    except ImportError:
        raise BundleError(
            "Loading the kNN baseline needs the skops package: install it with "
            "'pip install skops', or apply the network instead (--model network)."
        ) from None

    path = bundle.model_file("knn")
    if path is None or not path.is_file():
        raise BundleError(f"This bundle has no kNN baseline; it has: {', '.join(bundle.available)}.")
    try:
        found = set(sio.get_untrusted_types(file=path))
        types, loaders = skops_contents(path)
    except Exception as exc:  # a damaged or foreign file: skops raises many kinds
        raise BundleError(f"{path} is not a valid skops file ({exc}); Tenfold will not load it.") from None
    strange = sorted((found | types) - TRUSTED_SKOPS_TYPES)
    strange += sorted(f"a {name} entry" for name in loaders - TRUSTED_SKOPS_LOADERS)
    if strange:
        raise BundleError(
            f"Tenfold refuses {path.name}: it contains types Tenfold never writes "
            f"({', '.join(strange)}), which could run code when loaded."
        )
    try:
        return sio.load(path, trusted=sorted(found))
    except Exception as exc:
        raise BundleError(f"{path} could not be loaded safely ({exc}).") from None


def skops_contents(path) -> tuple[set, set]:
    """Every type a skops file names ("module.Class") and every kind of node it holds, read from
    its schema without loading anything."""
    with zipfile.ZipFile(path) as z:
        schema = json.loads(z.read("schema.json"))
    types, loaders = set(), set()
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "__class__" in node or "__module__" in node:
                types.add(f"{node.get('__module__')}.{node.get('__class__')}")
            if "__loader__" in node:
                loaders.add(str(node["__loader__"]))
            if node.get("__loader__") == "FunctionNode" and isinstance(node.get("content"), dict):
                c = node["content"]
                types.add(f"{c.get('module_path')}.{c.get('function')}")
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return types, loaders


def _version() -> str:
    from guiapp import __version__

    return __version__
