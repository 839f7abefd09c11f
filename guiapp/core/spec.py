"""The study spec: a TOML file that states a whole study, for `tenfold run` and clusters.

Every key is documented in the README. Unknown keys are refused with the key's name, so a
typo never silently falls back to a default.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from guiapp.core.errors import SpecError

# section -> {key: (type or tuple of types, allowed values or None)}
KEYS = {
    "question": {"title": (str, None), "description": (str, None),
                 "task": (str, ("classification", "regression")),
                 "target_metric": (str, None), "target_value": ((int, float), None),
                 "max_parameters": (int, None), "max_latency_ms": ((int, float), None),
                 "max_training_minutes": ((int, float), None), "max_calibration_error": ((int, float), None),
                 # generalizability, interpretability and efficiency criteria (guiapp.core.criteria)
                 "min_generalization": ((int, float), None), "max_generalization_drop": ((int, float), None),
                 "min_attribution_stability": ((int, float), None), "min_linear_agreement": ((int, float), None),
                 "known_markers": (list, None), "min_known_markers": (int, None),
                 "interpretability_top_k": (int, None), "max_inference_memory_mb": ((int, float), None),
                 "min_throughput": ((int, float), None)},
    "data": {"path": (str, None), "label": (str, None), "batch": (str, None), "group": (str, None),
             "identifiers": (list, None), "subgroups": (list, None), "sensitive": (bool, None),
             "source": (str, None),
             "version": (str, None), "downloaded": (str, None),
             "about_humans": (bool, None), "identifiable": (bool, None), "consent": (bool, None),
             "consent_reference": (str, None), "data_use_agreement": (bool, None),
             "dua_reference": (str, None),
             # data in: formats, sample sheet, orientation, roles, missing values, provenance
             "samples": (str, None), "sample_id": (str, None), "sheet_id": (str, None),
             "transposed": (bool, None), "roles": (dict, None),
             "missing": (str, ("median", "most-frequent", "drop-rows", "drop-columns")),
             "accession": (str, None), "url": (str, None),
             "modality": (str, ("table", "image", "sequence")), "sheet": (str, None),
             "image_size": ((int, list), None), "colour": (str, ("auto", "grey", "rgb")),
             "sequence_length": (int, None), "alphabet": (str, ("auto", "dna", "rna", "protein")),
             "crop": (str, ("start", "end", "centre"))},
    "batch": {"remedy": (str, ("none", "group-split", "batch-holdout", "combat")),
              "remedy_reason": (str, None)},
    "split": {"strategy": (str, ("stratified", "random", "group", "batch-holdout")),
              "holdout_batches": (list, None), "test_fraction": ((int, float), None),
              "tune_fraction": ((int, float), None), "seed": (int, None)},
    "baselines": {"models": (list, None), "budget_trials": (int, None)},
    "model": {"architecture": (str, ("auto", "mlp", "cnn1d", "cnn2d", "transformer")),
              "width": (int, None), "depth": (int, None),
              "dropout": ((int, float), None), "pretrained": (str, None), "freeze": (bool, None)},
    "train": {"device": (str, ("auto", "cuda", "mps", "cpu")), "max_epochs": (int, None),
              "batch_size": (int, None), "learning_rate": ((int, float), None),
              "weight_decay": ((int, float), None), "patience": (int, None),
              "deterministic": (bool, None), "seed": (int, None),
              "lr_schedule": (str, ("none", "cosine", "plateau")),
              "mixed_precision": (str, ("off", "bf16", "fp16")), "budget_trials": (int, None),
              "optimizer": (str, ("adamw", "adam", "sgd"))},
    "tuning": {"storage": (str, None), "sampler": (str, ("tpe", "random")), "pruner": (str, ("median", "none")),
               "epochs": (int, None), "worker": (int, None)},
    "evaluate": {"threshold": ((int, float), None), "shuffle_repeats": (int, None),
                 "learning_curve": (list, None), "leave_one_batch_out": (bool, None), "lobo_epochs": (int, None)},
    "interpret": {"repeats": (int, None), "top": (int, None), "integrated_gradients": (bool, None),
                  "stability_refits": (int, None)},
    "privacy": {"share_weights": (str, ("auto", "never", "always")), "share_reason": (str, None),
                "dp_epsilon": ((int, float), None), "dp_delta": ((int, float), None),
                "dp_epochs": (int, None), "dp_max_grad_norm": ((int, float), None),
                "membership_audit": (bool, None)},
    "export": {"onnx": (bool, None)},
    "ethics": {"concerns": (list, None), "intended_use": (str, None), "out_of_scope": (str, None),
               "limitations": (str, None)},
    "verdict": {"proceed_reason": (str, None)},
    "checklist": {"guided": (bool, None), "attest": (dict, None)},
}
REQUIRED = {("data", "path"), ("data", "label")}
# [[external]]: an array of tables, one per independent cohort (guiapp.core.external)
EXTERNAL_KEYS = {"path": (str, None), "label": (str, None), "name": (str, None), "samples": (str, None),
                 "reason": (str, None)}
EXTERNAL_REQUIRED = ("path", "label", "name")


def load_spec(path) -> dict:
    """Read and check a spec file; ``data.path`` becomes absolute (relative to the spec)."""
    path = Path(path)
    if not path.is_file():
        raise SpecError(f"The study spec {path} does not exist. Give the path of a .toml file.")
    try:
        spec = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path.name} is not valid TOML: {exc}. Fix that line and run again.") from None
    except UnicodeDecodeError:
        raise SpecError(f"{path.name} is not a UTF-8 text file; save it as UTF-8 TOML.") from None
    check_spec(spec, name=path.name)
    data_path = Path(spec["data"]["path"]).expanduser()
    if not data_path.is_absolute():
        data_path = (path.parent / data_path).resolve()
    spec["data"]["path"] = str(data_path)
    samples = spec["data"].get("samples")
    if samples and not Path(samples).expanduser().is_absolute():
        spec["data"]["samples"] = str((path.parent / Path(samples).expanduser()).resolve())
    for cohort in spec.get("external", []):  # cohort files, like the data, are relative to the spec
        for key in ("path", "samples"):
            if cohort.get(key) and not Path(cohort[key]).expanduser().is_absolute():
                cohort[key] = str((path.parent / Path(cohort[key]).expanduser()).resolve())
    pretrained = spec.get("model", {}).get("pretrained")
    if pretrained and not Path(pretrained).expanduser().is_absolute():
        spec["model"]["pretrained"] = str((path.parent / pretrained).resolve())
    return spec


def check_spec(spec: dict, name: str = "the spec") -> None:
    _check_external(spec.get("external", []), name)
    for section, values in spec.items():
        if section == "external":
            continue
        if section not in KEYS:
            raise SpecError(f"{name}: unknown section [{section}]. Sections are: "
                            f"{', '.join('[' + s + ']' for s in KEYS)}, [[external]].")
        if not isinstance(values, dict):
            raise SpecError(f"{name}: [{section}] must be a table of keys.")
        for key, value in values.items():
            if key not in KEYS[section]:
                raise SpecError(f"{name}: unknown key '{key}' in [{section}]. Keys there are: "
                                f"{', '.join(KEYS[section])}.")
            types, allowed = KEYS[section][key]
            if not isinstance(value, types) or (isinstance(value, bool) and bool not in _tuple(types)):
                raise SpecError(f"{name}: [{section}] {key} = {value!r} has the wrong type; "
                                f"expected {_type_words(types)}.")
            if allowed and value not in allowed:
                raise SpecError(f"{name}: [{section}] {key} = {value!r} is not allowed; "
                                f"choose one of {', '.join(map(repr, allowed))}.")
    for section, key in REQUIRED:
        if key not in spec.get(section, {}):
            raise SpecError(f"{name}: [{section}] {key} is required.")
    _check_design(spec, name)


# remedy -> (split strategy it implies, the [data] key it needs)
_REMEDY_NEEDS = {"group-split": ("group", "group"), "batch-holdout": ("batch-holdout", "batch"),
                 "combat": (None, "batch")}


def _check_design(spec: dict, name: str) -> None:
    """Batch remedy, split strategy and the columns they need must agree."""
    data, split = spec.get("data", {}), spec.get("split", {})
    _check_attestations(spec.get("checklist", {}).get("attest", {}), name)
    from guiapp.core.roles import ROLES

    for column, role in data.get("roles", {}).items():
        if role not in ROLES:
            raise SpecError(f"{name}: [data] roles: {column} = {role!r} is not a role; choose one of "
                            f"{', '.join(map(repr, ROLES))}.")
    remedy = spec.get("batch", {}).get("remedy", "none")
    strategy = split.get("strategy")
    if remedy in _REMEDY_NEEDS:
        implied, column = _REMEDY_NEEDS[remedy]
        if not data.get(column):
            raise SpecError(f"{name}: [batch] remedy = {remedy!r} needs [data] {column}.")
        if implied and strategy and strategy != implied:
            raise SpecError(f"{name}: [batch] remedy = {remedy!r} splits with strategy {implied!r}, "
                            f"but [split] strategy = {strategy!r}; drop one of them.")
    if strategy == "group" and not data.get("group"):
        raise SpecError(f"{name}: [split] strategy = \"group\" needs [data] group (the donor, patient or animal column).")
    if strategy == "batch-holdout" and not data.get("batch"):
        raise SpecError(f"{name}: [split] strategy = \"batch-holdout\" needs [data] batch.")
    if "holdout_batches" in split and not all(isinstance(b, (str, int)) for b in split["holdout_batches"]):
        raise SpecError(f"{name}: [split] holdout_batches must list batch names, like [\"run3\"].")


def _tuple(types) -> tuple:
    return types if isinstance(types, tuple) else (types,)


def _type_words(types) -> str:
    words = {str: "text in quotes", int: "a whole number", float: "a number", bool: "true or false",
             list: "a list like [\"a\", \"b\"]", dict: "a table like { column = \"role\" }"}
    return " or ".join(dict.fromkeys(words[t] for t in _tuple(types)))


def _check_attestations(attest: dict, name: str) -> None:
    """[checklist] attest: item id = the reason it holds; each id must be a checklist item."""
    from guiapp.core.checklist import ITEMS

    ids = [i.id for i in ITEMS]
    for item_id, reason in attest.items():
        if item_id not in ids:
            raise SpecError(f"{name}: [checklist] attest: {item_id!r} is not a checklist item; items are "
                            f"{', '.join(ids)}.")
        if not isinstance(reason, str) or not reason.strip():
            raise SpecError(f"{name}: [checklist] attest: {item_id} needs a reason, in words.")


def _check_external(cohorts, name: str) -> None:
    """``[[external]]`` tables: path, label and name each; names differ (the card names each cohort)."""
    if not isinstance(cohorts, list) or not all(isinstance(c, dict) for c in cohorts):
        raise SpecError(f"{name}: external cohorts are written as [[external]] tables, one per cohort, each "
                        "with path, label and name.")
    seen = set()
    for i, cohort in enumerate(cohorts, 1):
        for key, value in cohort.items():
            if key not in EXTERNAL_KEYS:
                raise SpecError(f"{name}: unknown key '{key}' in [[external]] number {i}. Keys there are: "
                                f"{', '.join(EXTERNAL_KEYS)}.")
            types, _ = EXTERNAL_KEYS[key]
            if not isinstance(value, types):
                raise SpecError(f"{name}: [[external]] number {i}: {key} = {value!r} has the wrong type; "
                                f"expected {_type_words(types)}.")
        for key in EXTERNAL_REQUIRED:
            if not str(cohort.get(key, "")).strip():
                raise SpecError(f"{name}: [[external]] number {i} needs {key} (the cohort's file, its label "
                                "column and a name such as \"Hospital B, 2024\").")
        key = cohort["name"].strip().casefold()
        if key in seen:
            raise SpecError(f"{name}: two [[external]] cohorts are named {cohort['name']!r}; give each its own name.")
        seen.add(key)
