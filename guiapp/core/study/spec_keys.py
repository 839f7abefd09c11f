"""Every key a study spec may hold, with its type and, for a choice, its allowed values.

One declarative table: :mod:`guiapp.core.study.spec` refuses a key not listed here and a value
of another type or outside its choices; :mod:`guiapp.core.study.spec_rules` adds the ranges.
The choices are the study's vocabulary (:mod:`guiapp.core.study.vocabulary`), shared with the
CLI and the wizard. Every key is documented in the README.
"""

from __future__ import annotations

from typing import Any

from guiapp.core.study.vocabulary import (
    BATCH_REMEDIES,
    CV_MODES,
    LR_SCHEDULES,
    MISSING_STRATEGIES,
    MODALITIES,
    SPLIT_STRATEGIES,
    TASKS,
)

# (the type or types a value may have, the values allowed or None for any)
KeyType = tuple[type | tuple[type, ...], tuple[Any, ...] | None]

# section -> {key: (type or tuple of types, allowed values or None)}
KEYS: dict[str, dict[str, KeyType]] = {
    "question": {
        "title": (str, None),
        "description": (str, None),
        "task": (str, TASKS),
        "target_metric": (str, None),
        "target_value": ((int, float), None),
        "max_parameters": (int, None),
        "max_latency_ms": ((int, float), None),
        "max_training_minutes": ((int, float), None),
        "max_calibration_error": ((int, float), None),
        # generalizability, interpretability and efficiency criteria (guiapp.core.evaluation.criteria)
        "min_generalization": ((int, float), None),
        "max_generalization_drop": ((int, float), None),
        "min_attribution_stability": ((int, float), None),
        "min_linear_agreement": ((int, float), None),
        "known_markers": (list, None),
        "min_known_markers": (int, None),
        "interpretability_top_k": (int, None),
        "max_inference_memory_mb": ((int, float), None),
        "min_throughput": ((int, float), None),
    },
    "data": {
        "path": (str, None),
        "label": (str, None),
        "batch": (str, None),
        "group": (str, None),
        "identifiers": (list, None),
        "subgroups": (list, None),
        "sensitive": (bool, None),
        "source": (str, None),
        "version": (str, None),
        "downloaded": (str, None),
        "about_humans": (bool, None),
        "identifiable": (bool, None),
        "consent": (bool, None),
        "consent_reference": (str, None),
        "data_use_agreement": (bool, None),
        "dua_reference": (str, None),
        # data in: formats, sample sheet, orientation, roles, missing values, provenance
        "samples": (str, None),
        "sample_id": (str, None),
        "sheet_id": (str, None),
        "transposed": (bool, None),
        "roles": (dict, None),
        "missing": (str, MISSING_STRATEGIES),
        # "log1p" (every feature) or { log1p = ["column", ...] } (guiapp.core.data.transform)
        "transform": ((str, dict), None),
        "accession": (str, None),
        "url": (str, None),
        "modality": (str, MODALITIES),
        "sheet": (str, None),
        "image_size": ((int, list), None),
        "colour": (str, ("auto", "grey", "rgb")),
        "sequence_length": (int, None),
        "alphabet": (str, ("auto", "dna", "rna", "protein")),
        "crop": (str, ("start", "end", "centre")),
        # sample sheets: which sheet columns are features; whether IDs may match by a rule
        "sheet_features": (list, None),
        "samples_id_match": (str, ("auto", "exact")),
    },
    "batch": {
        "remedy": (str, BATCH_REMEDIES),
        "remedy_reason": (str, None),
    },
    "split": {
        "strategy": (str, SPLIT_STRATEGIES),
        "keep_copies_together": (bool, None),
        "holdout_batches": (list, None),
        "test_fraction": ((int, float), None),
        "tune_fraction": ((int, float), None),
        "seed": (int, None),
        # repeated nested cross-validation when the parts are too small to judge
        "cv": (str, CV_MODES),
        "cv_folds": (int, None),
        "cv_repeats": (int, None),
    },
    "baselines": {"models": (list, None), "budget_trials": (int, None)},
    "model": {
        "architecture": (str, ("auto", "mlp", "cnn1d", "cnn2d", "transformer")),
        "width": (int, None),
        "depth": (int, None),
        "dropout": ((int, float), None),
        "pretrained": (str, None),
        "freeze": (bool, None),
    },
    "train": {
        "device": (str, ("auto", "cuda", "mps", "cpu")),
        "max_epochs": (int, None),
        "batch_size": (int, None),
        "learning_rate": ((int, float), None),
        "weight_decay": ((int, float), None),
        "patience": (int, None),
        "deterministic": (bool, None),
        "seed": (int, None),
        "lr_schedule": (str, LR_SCHEDULES),
        "mixed_precision": (str, ("off", "bf16", "fp16")),
        "budget_trials": (int, None),
        "optimizer": (str, ("adamw", "adam", "sgd")),
        "processes": (int, None),
    },
    "tuning": {
        "storage": (str, None),
        "storage_env": (str, None),
        "sampler": (str, ("tpe", "random")),
        "pruner": (str, ("median", "none")),
        "epochs": (int, None),
        "worker": (int, None),
    },
    "evaluate": {
        "threshold": ((int, float), None),
        "shuffle_repeats": (int, None),
        "learning_curve": (list, None),
        "leave_one_batch_out": (bool, None),
        "lobo_epochs": (int, None),
    },
    "interpret": {
        "repeats": (int, None),
        "top": (int, None),
        "integrated_gradients": (bool, None),
        "stability_refits": (int, None),
    },
    "privacy": {
        "share_weights": (str, ("auto", "never", "always")),
        "share_reason": (str, None),
        "dp_epsilon": ((int, float), None),
        "dp_delta": ((int, float), None),
        "dp_epochs": (int, None),
        "dp_max_grad_norm": ((int, float), None),
        "membership_audit": (bool, None),
    },
    "export": {"onnx": (bool, None), "carry": (list, None)},
    "ethics": {
        "concerns": (list, None),
        "intended_use": (str, None),
        "out_of_scope": (str, None),
        "limitations": (str, None),
    },
    "verdict": {"proceed_reason": (str, None)},
    "checklist": {"guided": (bool, None), "attest": (dict, None)},
    # finding code = the reason the result still holds: the finding no longer stops the run
    "findings": {"accept": (dict, None)},
}
REQUIRED: set[tuple[str, str]] = {("data", "path"), ("data", "label")}
# [[external]]: an array of tables, one per independent cohort (guiapp.core.evaluation.external)
EXTERNAL_KEYS: dict[str, KeyType] = {
    "path": (str, None),
    "label": (str, None),
    "name": (str, None),
    "samples": (str, None),
    "reason": (str, None),
}
EXTERNAL_REQUIRED: tuple[str, ...] = ("path", "label", "name")
