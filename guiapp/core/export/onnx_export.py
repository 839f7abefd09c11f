"""The network as ONNX, an option of the export bundle: ``model/model.onnx`` runs in ONNX
Runtime, in other languages and on other devices, without Tenfold or torch.

The graph is the whole network Tenfold trained, preprocessing included (training-split
medians, means and scales are buffers in the weights), followed by the softmax for a
classifier, so its output is what ``predictions.csv`` holds: class probabilities ``(n, k)``
in the order of ``config.json``'s ``classes``, or the predicted value ``(n, 1)``. Its one
input is ``features``: ``(n, p)`` float32, the feature columns in ``config.json``'s order.
Any number of rows can be passed at once.

Writing ONNX needs the optional ``onnx`` package (``pip install "tenfold[onnx]"``); ONNX is
protobuf, never a pickle, so a bundle with it still opens safely.
"""

from __future__ import annotations

import sys
import warnings
from importlib.util import find_spec
from pathlib import Path

from guiapp.core.study.errors import TenfoldError

OPSET = 17
INPUT = "features"
OUTPUTS = {"classification": "probabilities", "regression": "prediction"}
INSTALL = 'pip install "tenfold[onnx]"'


def onnx_available() -> bool:
    """Whether the onnx package is installed, without importing it."""
    return find_spec("onnx") is not None


def require_onnx() -> None:
    if not onnx_available():
        if getattr(sys, "frozen", False):  # the installed app: there is no pip to run
            raise TenfoldError(
                "The installed Tenfold app does not include the ONNX writer (it would add "
                "about 120 MB to every download). Export without ONNX, or export this study "
                f"from a Python installation of Tenfold after '{INSTALL}'."
            )
        raise TenfoldError(
            "Writing the network as ONNX needs the onnx package, which this installation "
            f"lacks: install it with '{INSTALL}', or export without ONNX."
        )


def output_name(task: str) -> str:
    return OUTPUTS["classification" if task == "classification" else "regression"]


def export_network(model, path, *, n_features: int, task: str) -> Path:
    """Write ``model`` (a network Tenfold trained, in eval mode) as an ONNX file at ``path``."""
    import torch  # torch: imported lazily, only when this runs

    require_onnx()
    head = torch.nn.Softmax(dim=1) if task == "classification" else torch.nn.Identity()
    graph = torch.nn.Sequential(model.cpu().eval(), head).eval()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    example = torch.zeros(2, int(n_features), dtype=torch.float32)
    out = output_name(task)
    # The transformer's fused inference kernel has no ONNX form; the plain layers it stands for do.
    fastpath = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # the exporter's deprecation and tracer notes are not the user's business
            torch.onnx.export(
                graph,
                (example,),
                str(tmp),
                dynamo=False,
                opset_version=OPSET,
                input_names=[INPUT],
                output_names=[out],
                dynamic_axes={INPUT: {0: "samples"}, out: {0: "samples"}},
                verbose=False,
            )
    except Exception as exc:  # the exporter raises many kinds; the user needs the one line
        tmp.unlink(missing_ok=True)
        raise TenfoldError(
            f"This network could not be written as ONNX ({str(exc).splitlines()[0]}); export without ONNX."
        ) from None
    finally:
        torch.backends.mha.set_fastpath_enabled(fastpath)
    _check(tmp)
    tmp.replace(path)
    return path


def _check(path: Path) -> None:
    import onnx  # onnx: imported lazily, only when this runs

    try:
        onnx.checker.check_model(str(path))
    except onnx.checker.ValidationError as exc:
        path.unlink(missing_ok=True)
        raise TenfoldError(
            f"The ONNX file Tenfold wrote does not pass ONNX's own check ({exc}); export without ONNX."
        ) from None


def config_entry(task: str, files: dict) -> dict:
    """What ``config.json`` says about the ONNX files of the bundle."""
    return {
        "files": files,
        "opset": OPSET,
        "input": INPUT,
        "output": output_name(task),
        "input_shape": ["samples", "features in config.json's feature_columns order"],
        "output_meaning": (
            "class probabilities in config.json's classes order"
            if task == "classification"
            else "the predicted value, in the label's units"
        ),
        "preprocessing": "inside the graph: missing values (NaN) filled, features standardised",
    }
