"""Architecture (Tips 5 and 3): the network recommended for the data's modality, started small,
with its size — parameters, training memory, FLOPs per sample — read against the sample count.

A table trains an MLP; image and sequence studies may also train the 2D CNN, or the 1D CNN
and the small transformer (:mod:`guiapp.core.models.grid_networks` puts their rows back on the grid).
"""

from __future__ import annotations

from pathlib import Path

from guiapp.core.models.catalogue import (
    NAMES,
    PARAMS_PER_SAMPLE_WARN,
    Recommendation,
    human_count,
    recommend,
    size_summary,
)
from guiapp.core.models.catalogue import count_parameters as count_kind_parameters
from guiapp.core.models.grid_networks import check_kind, grid_config, grid_shape, kinds_for
from guiapp.core.models.mlp import count_parameters, n_outputs
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.findings import Findings
from guiapp.core.study.model import Study

# Above this many parameters per training sample the page says "many more parameters than samples".
PARAMS_PER_SAMPLE_MANY = 10


def _config(study: Study, kind: str = "mlp") -> dict:
    a = study.architecture
    if kind != "mlp":
        return grid_config(study, kind, a.width, a.depth, a.dropout)
    return {
        "n_features": len(study.data.feature_columns),
        "n_outputs": n_outputs(study),
        "width": a.width,
        "depth": a.depth,
        "dropout": a.dropout,
    }


def _n_train(study: Study) -> int:
    return len(study.split.train_idx) or study.data.n_samples


def set_architecture(study: Study, *, width: int, depth: int, dropout: float, kind: str | None = None) -> int:
    """Store the network's kind and shape, its size and its findings; return its parameter count.

    ``kind`` (mlp, cnn1d, cnn2d, transformer) must fit the data's modality; left out, the
    study keeps its kind where the data still fit it, else an MLP.
    """
    if not (1 <= depth <= 8 and 2 <= width <= 4096 and 0.0 <= dropout < 1.0):
        raise TenfoldError("Choose 1–8 hidden layers, 2–4096 units (or filters) per layer and dropout below 1.")
    a = study.architecture
    if kind is None:
        kind = a.kind if a.kind in kinds_for(study.data.modality or "table") else "mlp"
    check_kind(study, kind)
    a.kind, a.width, a.depth, a.dropout = kind, int(width), int(depth), float(dropout)
    a.modality = study.data.modality or "table"
    if kind == "mlp":
        a.n_params = count_parameters(len(study.data.feature_columns), n_outputs(study), a.width, a.depth)
    else:
        a.n_params = count_kind_parameters(kind, _config(study, kind))
    if study.data.feature_columns:
        size = size_summary(kind, _config(study, kind), n_train=_n_train(study), batch_size=study.train.batch_size)
        a.memory_mb, a.flops = size["memory_mb"], size["flops"]
    rec = recommendation(study)
    a.reason = (
        rec.reason if kind == rec.kind else f"{NAMES[kind]}, chosen instead of the recommended {NAMES[rec.kind]}."
    )
    refresh_findings(study)
    return a.n_params


def recommendation(study: Study) -> Recommendation:
    """The architecture the data's modality calls for, and why."""
    modality = study.data.modality or study.architecture.modality or "table"
    shape = grid_shape(study) if modality != "table" else ()
    if not shape:
        modality, shape = "table", (max(len(study.data.feature_columns), 1),)
    return recommend(modality, n_samples=study.data.n_samples, input_shape=shape, n_outputs=max(n_outputs(study), 1))


def size_reading(study: Study) -> str:
    a = study.architecture
    n_train = _n_train(study)
    if not a.n_params or not n_train:
        return ""
    ratio = a.n_params / n_train
    text = f"{a.n_params:,} parameters for {n_train:,} training samples ({ratio:.0f} per sample)."
    if a.flops:
        text += (
            f" About {human_count(a.flops)} FLOPs per sample and {a.memory_mb:.1f} MB to train "
            f"with batches of {study.train.batch_size}."
        )
    if ratio > PARAMS_PER_SAMPLE_WARN:
        return text + " That is large for this much data: start smaller (Tip 3), and watch the overfitting step."
    if ratio > PARAMS_PER_SAMPLE_MANY:
        # The page's own rule: many more parameters than samples memorise them. Say so, in proportion.
        return text + (
            " Many more parameters than training samples: the network can memorise them. Dropout "
            "and early stopping hold it back; a smaller network is the safer start (Tip 3), and "
            "the overfitting step shows whether it learned or memorised."
        )
    return text + " A reasonable start."


def recommended_shape(study: Study) -> dict:
    """The recommendation as the form's fields: kind, width (units, filters or model width), depth, dropout."""
    r = recommendation(study)
    c = r.config
    width = c.get("width") or c.get("filters") or c.get("d_model") or 0  # every kind has one of them
    return {"kind": r.kind, "width": int(width), "depth": int(c["depth"]), "dropout": float(c["dropout"])}


def prefill_recommended(study: Study) -> bool:
    """Before the user chooses a network, the study holds the recommended one; once chosen, it is
    kept. Returns whether it filled anything."""
    a = study.architecture
    if a.n_params or a.reason or a.pretrained or not study.data.feature_columns:
        return False
    if study.train.status != "not started" or study.train.weights:  # trained (or begun) with these settings
        return False
    shape = recommended_shape(study)
    if shape["kind"] not in kinds_for(study.data.modality or "table"):
        return False
    a.kind, a.width, a.depth, a.dropout = shape["kind"], shape["width"], shape["depth"], shape["dropout"]
    return True


def refresh_findings(study: Study) -> None:
    """The Architecture step's findings: a network far larger than the data, a partial transfer."""
    a, found = study.architecture, []
    n_train = _n_train(study)
    if a.n_params and n_train and a.n_params / n_train > PARAMS_PER_SAMPLE_WARN:
        found.append(
            Findings.parameters_exceed_samples.raise_(
                kind=NAMES.get(a.kind, a.kind), n_params=a.n_params, n_train=n_train, ratio=a.n_params / n_train
            )
        )
    t = a.transfer
    if a.pretrained and t.get("skipped"):
        found.append(
            Findings.pretrained_layers_skipped.raise_(
                skipped=len(t["skipped"]),
                checkpoint=Path(a.pretrained).name,
                loaded=len(t["loaded"]),
                examples=", ".join(s["name"] for s in t["skipped"][:3]),
            )
        )
    study.set_findings("architecture", found)
