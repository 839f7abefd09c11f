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
                 "max_training_minutes": ((int, float), None), "max_calibration_error": ((int, float), None)},
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
             "crop": (str, ("start", "end", "centre")),
             # sample sheets: which sheet columns are features; whether IDs may match by a rule
             "sheet_features": (list, None), "samples_id_match": (str, ("auto", "exact"))},
    "batch": {"remedy": (str, ("none", "group-split", "batch-holdout", "combat")),
              "remedy_reason": (str, None)},
    "split": {"strategy": (str, ("stratified", "random", "group", "batch-holdout")),
              "holdout_batches": (list, None), "test_fraction": ((int, float), None),
              "tune_fraction": ((int, float), None), "seed": (int, None),
              # repeated nested cross-validation when the parts are too small to judge
              "cv": (str, ("auto", "always", "never")), "cv_folds": (int, None), "cv_repeats": (int, None)},
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
                 "learning_curve": (list, None)},
    "interpret": {"repeats": (int, None), "top": (int, None), "integrated_gradients": (bool, None)},
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
    pretrained = spec.get("model", {}).get("pretrained")
    if pretrained and not Path(pretrained).expanduser().is_absolute():
        spec["model"]["pretrained"] = str((path.parent / pretrained).resolve())
    return spec


def check_spec(spec: dict, name: str = "the spec") -> None:
    for section, values in spec.items():
        if section not in KEYS:
            raise SpecError(f"{name}: unknown section [{section}]. Sections are: "
                            f"{', '.join('[' + s + ']' for s in KEYS)}.")
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
    if split.get("cv_folds", 2) < 2 or split.get("cv_repeats", 1) < 1:
        raise SpecError(f"{name}: [split] cv_folds must be 2 or more and cv_repeats 1 or more.")
    features = data.get("sheet_features", [])
    if features and (not data.get("samples") or not all(isinstance(c, str) for c in features)):
        raise SpecError(f"{name}: [data] sheet_features lists column names of the sample sheet ([data] samples), "
                        "like [\"exon counts\"].")


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
