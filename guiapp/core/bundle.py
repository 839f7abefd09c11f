"""Opening an export bundle safely: no pickle, ever.

A pickle runs whatever code its author put in it the moment it is loaded, so a bundle
that came by e-mail must never be unpickled. Tenfold's bundles hold networks as safetensors
(a JSON header and raw numbers) and the kNN baseline as skops (loaded only with an explicit
list of scikit-learn types). Before anything is read, :func:`open_bundle` refuses a bundle
with any pickle-bearing file in it, and one whose model files no longer match the hashes
its manifest recorded.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from guiapp.core.errors import TenfoldError

CONFIG = "model/config.json"
# The only types a kNN baseline file may contain; anything else is refused unloaded.
TRUSTED_SKLEARN_TYPES = frozenset({
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
})
PICKLE_SUFFIXES = {".pkl", ".pickle", ".pt", ".pth", ".ckpt", ".bin", ".joblib", ".npy", ".npz", ".h5"}
MODEL_KINDS = ("network", "dp_network", "knn")


class BundleError(TenfoldError):
    """The bundle cannot be used as it is: refused, damaged or incomplete."""


@dataclass
class Bundle:
    folder: Path
    config: dict
    manifest: dict = field(default_factory=dict)

    def model_file(self, kind: str) -> Optional[Path]:
        name = (self.config.get("models") or {}).get(kind)
        return self.folder / "model" / name if name else None

    @property
    def available(self) -> list[str]:
        return [k for k in MODEL_KINDS if self.model_file(k) is not None]


# ----- checks before anything is loaded ---------------------------------------------------------


def _pickle_reason(path: Path) -> Optional[str]:
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
                    "Tenfold wrote it.")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify_hashes(folder: Path, manifest: dict) -> None:
    """The model files must be byte for byte those the export wrote (``manifest.json``)."""
    recorded = {f.get("path"): f.get("sha256") for f in manifest.get("files", []) if isinstance(f, dict)}
    for path in sorted((Path(folder) / "model").glob("*")):
        rel = path.relative_to(folder).as_posix()
        if not path.is_file():
            continue
        if rel not in recorded:
            raise BundleError(f"Tenfold refuses the bundle {folder}: {rel} is not among the files its "
                              "manifest.json lists, so it was added after the export.")
        if _sha256(path) != recorded[rel]:
            raise BundleError(f"Tenfold refuses the bundle {folder}: {rel} has changed since the export "
                              "(its SHA-256 differs from the one in manifest.json). Ask the sender for "
                              "the bundle as Tenfold wrote it.")


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


def open_bundle(folder) -> Bundle:
    """Check a bundle and read its config; loads no model yet."""
    folder = Path(folder)
    if not folder.is_dir():
        raise BundleError(f"{folder} is not a folder. Give the folder `tenfold run` or the Export page wrote.")
    refuse_pickles(folder)
    config = _read_json(folder / CONFIG, "this bundle holds no model (the weights were withheld, or it "
                                         "is not a Tenfold export bundle).")
    manifest = _read_json(folder / "manifest.json", "a Tenfold export bundle always has one.")
    verify_hashes(folder, manifest)
    for key in ("feature_columns", "task", "architecture"):
        if key not in config:
            raise BundleError(f"{folder / CONFIG} lacks {key!r}: it is not a config Tenfold wrote.")
    bundle = Bundle(folder=folder, config=config, manifest=manifest)
    if not bundle.available:
        raise BundleError(f"{folder} holds no model files: the weights were withheld from this export.")
    return bundle


# ----- loading the models -----------------------------------------------------------------------


def load_network(bundle: Bundle, kind: str = "network"):
    """The network (or its DP-trained copy) in eval mode on the CPU, from safetensors only."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from guiapp.core.network import build_mlp

    path = bundle.model_file(kind)
    if path is None or not path.is_file():
        raise BundleError(f"This bundle has no {kind.replace('_', ' ')} weights; it has: "
                          f"{', '.join(bundle.available)}.")
    c = bundle.config
    a = c["architecture"]
    regression = c["task"] != "classification"
    if a.get("kind", "mlp") != "mlp":
        model = _grid_network(c, a, regression)
    else:
        n_outputs = int(c.get("n_outputs") or (len(c.get("classes", [])) if not regression else 1))
        model = build_mlp(len(c["feature_columns"]), n_outputs, int(a["width"]), int(a["depth"]),
                          float(a.get("dropout", 0.0)), regression=regression)
    if kind == "dp_network" and (c.get("differential_privacy") or {}).get("fixed_layers"):
        from guiapp.core.privacy_dp import fix_for_dp

        model = fix_for_dp(model)
    try:
        state = load_file(str(path))  # safetensors: a header and raw numbers, never code
    except (SafetensorError, OSError, ValueError) as exc:
        raise BundleError(f"{path} is not a valid safetensors file ({exc}); Tenfold will not load it.") from None
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise BundleError(f"The weights in {path.name} do not fit the network config.json describes: "
                          f"{str(exc).splitlines()[0]}") from None
    return model.eval()


def _grid_network(config: dict, arch: dict, regression: bool):
    """An image or sequence network rebuilt from config.json alone (the weights fill it in)."""
    from guiapp.core.grid_networks import GRID_KINDS, build_grid_network
    from guiapp.core.study import Study

    kind = arch.get("kind")
    if kind not in GRID_KINDS or not config.get("input_shape"):
        raise BundleError(f"Tenfold {_version()} cannot rebuild a {kind!r} network from this bundle's "
                          "config.json (it lacks the data's form, or the kind is unknown).")
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
        raise BundleError("Loading the kNN baseline needs the skops package: install it with "
                          "'pip install skops', or apply the network instead (--model network).") from None

    path = bundle.model_file("knn")
    if path is None or not path.is_file():
        raise BundleError(f"This bundle has no kNN baseline; it has: {', '.join(bundle.available)}.")
    try:
        found = set(sio.get_untrusted_types(file=path))
    except Exception as exc:  # a damaged or foreign file: skops raises many kinds
        raise BundleError(f"{path} is not a valid skops file ({exc}); Tenfold will not load it.") from None
    strange = sorted(found - TRUSTED_SKLEARN_TYPES)
    if strange:
        raise BundleError(f"Tenfold refuses {path.name}: it contains types Tenfold never writes "
                          f"({', '.join(strange)}), which could run code when loaded.")
    try:
        return sio.load(path, trusted=sorted(found))
    except Exception as exc:
        raise BundleError(f"{path} could not be loaded safely ({exc}).") from None


def _version() -> str:
    from guiapp import __version__

    return __version__
