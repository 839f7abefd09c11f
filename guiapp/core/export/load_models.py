"""Loading a bundle's models once :func:`guiapp.core.export.open_bundle.open_bundle` has checked it:
the networks from safetensors only, the kNN baseline from skops only when every type in it is one
Tenfold writes. Nothing is ever unpickled."""

from __future__ import annotations

import json
import zipfile

from guiapp import __version__
from guiapp.core.export.open_bundle import Bundle, BundleError
from guiapp.core.models.grid_networks import GRID_KINDS, build_grid_network
from guiapp.core.models.network import build_mlp
from guiapp.core.privacy.dp import fix_for_dp
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.model import Study

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


def load_network(bundle: Bundle, kind: str = "network"):
    """The network (or its DP-trained copy) in eval mode on the CPU, from safetensors only."""
    from safetensors import SafetensorError  # safetensors: imported lazily, only when this runs
    from safetensors.torch import load_file  # safetensors: imported lazily, only when this runs

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
        import skops.io as sio  # skops: imported lazily, only when this runs
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
    return __version__
