"""The JSON files of an export bundle: ``metrics.json`` (every number the card shows),
``model/config.json`` (what a loader needs to rebuild the model) and ``manifest.json`` (the
study's provenance and the SHA-256 of every other file)."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from pathlib import Path

from guiapp import __version__
from guiapp.core.evaluation.external_results import metrics_section
from guiapp.core.evaluation.guards import guard_texts
from guiapp.core.evaluation.scoreboard import scoreboard
from guiapp.core.export import model_card
from guiapp.core.export.bundle_files import (
    DP_FILE,
    KNN_FILE,
    NETWORK_FILE,
)
from guiapp.core.export.onnx_export import config_entry
from guiapp.core.export.sharing import SharingPlan, sharing_plan
from guiapp.core.export.versions import versions
from guiapp.core.guidance import checklist
from guiapp.core.models.tuning import redact
from guiapp.core.study.model import Study, now_iso


def metrics_summary(study: Study, plan: SharingPlan | None = None) -> dict:
    """The content of ``metrics.json``: every number the card shows, and the findings."""
    ev, train = study.evaluation, study.train
    baselines = []
    for b in map(model_card.as_dict, study.baselines.results):
        b = dict(b)
        if b.get("name") in (ev.baseline_test_metrics or {}):
            b["test_metrics"] = ev.baseline_test_metrics[b["name"]]
        baselines.append(b)
    history = list(train.history)
    best = next((h for h in history if isinstance(h, dict) and h.get("epoch") == train.best_epoch), None)
    return {
        "task": study.question.task,
        "primary_metric": study.primary_metric,
        "target_value": study.question.target_value,
        "tune": ev.tune_metrics,
        "test": ev.test_metrics,
        "test_evaluated_at": ev.test_evaluated_at,
        "test_uses": study.split.test_uses,
        "baselines": baselines,
        "overfitting": dataclasses.asdict(study.overfitting),
        **_evaluation_summary(study),
        **_external_summary(study),
        "training": {
            "epochs_run": len(history),
            "max_epochs": train.max_epochs,
            "best_epoch": train.best_epoch,
            "best": best,
            "last": history[-1] if history else None,
            "seconds": train.seconds,  # every session's time, added up
            "sessions": train.sessions,  # one entry per process that trained (a resume adds one)
            "device_used": train.device_used,
            "status": train.status,
            "history": history,
        },
        "privacy": {
            "membership_audit": study.ethics.membership or None,
            "differential_privacy": study.ethics.dp or None,
            "shared": ({"network": plan.network, "dp_network": plan.dp, "knn": plan.knn} if plan is not None else None),
        },
        "findings": [f.to_dict() for f in study.findings],
        # what the user did about them: accepted with a reason, or settled by a remedy
        "accepted_findings": study.accepted_findings,
        "settled_findings": study.settled_findings,
    }


def _external_summary(study: Study) -> dict:
    return metrics_section(study)


def _evaluation_summary(study: Study) -> dict:
    """Threshold, per-group results, the scoreboard with its measurements, and the interpretation."""
    ev, it = study.evaluation, study.interpret
    return {
        "threshold": ev.threshold,
        "groups": {"tune": ev.tune_groups, "test": ev.test_groups},
        "scoreboard": scoreboard(study),
        "measured": ev.measured,
        "cross_validation": ev.cv or None,  # repeated nested CV: folds, per-fold scores, fold means
        "interpretation": {
            "metric": it.metric,
            "permutation_importance": it.importances,
            "integrated_gradients": it.attributions,
            "linear_coefficients": it.linear,
            "agreement": it.agreement,
            "guards": guard_texts(study),
        },
    }


def checklist_summary(study: Study) -> dict:
    """The content of ``checklist.json``: the items as the checklist panel shows them, and counts."""
    return checklist.checklist_document(study)


LOADER_OPTIONS = ("image_size", "colour", "sequence_length", "alphabet", "crop")


def model_config(study: Study, plan: SharingPlan | None = None, *, onnx_files: dict | None = None) -> dict:
    """``model/config.json``: what is needed to rebuild the models around their weights.

    ``tenfold predict`` reads it: the feature columns in order, the classes, the
    architecture, and which model files the bundle holds.
    """
    plan = plan or sharing_plan(study)
    dp = study.ethics.dp or {}
    files = {
        "network": Path(NETWORK_FILE).name if plan.network else None,
        "dp_network": Path(DP_FILE).name if plan.dp else None,
        "knn": Path(KNN_FILE).name if plan.knn else None,
    }
    return {
        "architecture": dataclasses.asdict(study.architecture),
        "task": study.question.task,
        "label": study.data.label,
        "feature_columns": list(study.data.feature_columns),
        # image and sequence networks put the row back on its grid: they need the data's form
        "modality": study.data.modality,
        "input_shape": list(study.data.input_shape),
        # how the study read its images or FASTA records, so `tenfold predict` reads new ones alike
        "data_options": {k: study.data.options[k] for k in LOADER_OPTIONS if k in (study.data.options or {})},
        "n_outputs": len(study.data.classes) if study.is_classification else 1,
        "classes": list(study.data.classes),
        "identifiers": list(study.data.identifiers),
        # fitted-free: `tenfold predict` applies it to new samples as the study did (guiapp.core.data.transform)
        "transform": dict(study.data.transform or {}),
        "preprocessing": (
            "Built into the network: missing values are filled with the training-split "
            "medians and features standardised with training-split means and scales, "
            "stored as buffers in the weights. The kNN baseline carries its own imputer "
            "and scaler, fitted on the training split."
        ),
        "batch_correction": study.batch.remedy if study.batch.remedy == "combat" else "none",
        "models": files,
        "default_model": "network" if plan.network else ("dp_network" if plan.dp else "knn"),
        "differential_privacy": (
            {
                k: dp.get(k)
                for k in (
                    "epsilon",
                    "delta",
                    "accountant",
                    "target_epsilon",
                    "noise_multiplier",
                    "max_grad_norm",
                    "epochs",
                    "fixed_layers",
                )
            }
            if plan.dp
            else None
        ),
        "format": "safetensors",
        "onnx": _onnx_entry(study, onnx_files),
        "tenfold_version": __version__,
    }


def _onnx_entry(study: Study, files: dict | None) -> dict | None:
    if not files:
        return None

    return config_entry(study.question.task, files)


def manifest(study: Study, out_dir, *, files: Sequence = ()) -> dict:
    """``manifest.json``: what a rerun needs to get the same result, and what was written."""
    spec = study.to_dict()
    for key in ("train_idx", "tune_idx", "test_idx"):
        # Thousands of indices add nothing a reader needs; test_hash pins the test set.
        spec["split"].pop(key, None)
    maps = spec.get("interpret", {}).get("maps") or {}
    if maps.get("examples"):
        # Example images and sequences are samples' data, not settings: they stay in the study.
        spec["interpret"]["maps"] = {k: v for k, v in maps.items() if k != "examples"}

    # A database URL may carry its password; the bundle never does.
    spec["tuning"]["storage"] = redact(spec["tuning"].get("storage", ""))
    return {
        "created": now_iso(),
        "tenfold_version": __version__,
        "versions": versions(),
        "device": {
            "requested": study.train.device,
            "used": study.train.device_used,
            "name": study.train.device_name,
            "memory_gb": study.train.device_memory_gb,
            "batch_size": study.train.batch_size_used or study.train.batch_size,
            "mixed_precision": study.train.mixed_precision,
            # data-parallel training: weights are reproduced with the same number of processes
            "processes": getattr(study.train, "processes", 1) or 1,
        },
        "seeds": {"split": study.split.seed, "train": study.train.seed},
        "deterministic": study.train.deterministic,
        "data": {
            **dataclasses.asdict(study.data.provenance),
            "builtin": study.data.builtin,
            "pii_scan": study.data.pii_scan,
        },
        "test_hash": study.split.test_hash,
        # Hashes of the other bundle files, so a reader can tell the bundle was not altered.
        "files": [{"path": Path(p).relative_to(out_dir).as_posix(), "sha256": _sha256(p)} for p in files],
        "spec": spec,
    }


def _sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
