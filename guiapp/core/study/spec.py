"""The study spec: a TOML file that states a whole study, for `tenfold run` and clusters.

Every key is documented in the README. Unknown keys are refused with the key's name and the
nearest known one, so a typo never silently falls back to a default. Each value's type is
checked here (``KEYS``) and its range in :mod:`guiapp.core.study.spec_rules`, all before any step runs.
"""

from __future__ import annotations

import difflib
import json
import tomllib
from pathlib import Path

from guiapp.core.study.blocking import check_reason
from guiapp.core.study.errors import SpecError, TenfoldError
from guiapp.core.study.findings import Findings
from guiapp.core.study.spec_rules import METRIC_RANGES, RULES
from guiapp.core.study.vocabulary import (
    BATCH_REMEDIES,
    CHECKLIST_ITEM_IDS,
    CV_MODES,
    DISPLAY_NAMES,
    LR_SCHEDULES,
    MISSING_STRATEGIES,
    MODALITIES,
    ROLES,
    SPLIT_STRATEGIES,
    TASKS,
    baseline_names,
    metric_names,
)

# section -> {key: (type or tuple of types, allowed values or None)}
KEYS = {
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
REQUIRED = {("data", "path"), ("data", "label")}
# [[external]]: an array of tables, one per independent cohort (guiapp.core.evaluation.external)
EXTERNAL_KEYS = {
    "path": (str, None),
    "label": (str, None),
    "name": (str, None),
    "samples": (str, None),
    "reason": (str, None),
}
EXTERNAL_REQUIRED = ("path", "label", "name")


def load_spec(path) -> dict:
    """Read and check a spec file; ``data.path`` becomes absolute (relative to the spec)."""
    path = Path(path)
    if not path.is_file():
        raise SpecError(f"The study spec {path} does not exist. Give the path of a .toml file.")
    try:
        # utf-8-sig: a byte-order mark, as Windows editors save one, is not part of the TOML
        spec = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path.name} is not valid TOML: {exc}. Fix that line and run again.") from None
    except UnicodeDecodeError:
        raise SpecError(f"{path.name} is not a UTF-8 text file; save it as UTF-8 TOML.") from None
    except OSError as exc:
        raise SpecError(f"The study spec {path} cannot be read ({exc.strerror or exc}).") from None
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
    """Every key known, of its type and inside its range; raises :class:`SpecError` naming the
    key, the value and what is allowed."""
    _check_external(spec.get("external", []), name)
    for section, values in spec.items():
        if section == "external":
            continue
        if section not in KEYS:
            raise SpecError(
                f"{name}: unknown section [{section}]{_nearest(section, KEYS)}. Sections are: "
                f"{', '.join('[' + s + ']' for s in KEYS)}, [[external]]."
            )
        if not isinstance(values, dict):
            raise SpecError(f"{name}: [{section}] must be a table of keys, not {show_value(values)}.")
        for key, value in values.items():
            if key not in KEYS[section]:
                raise SpecError(
                    f"{name}: unknown key '{key}' in [{section}]{_nearest(key, KEYS[section], section)}. "
                    f"Keys there are: {', '.join(KEYS[section])}."
                )
            types, allowed = KEYS[section][key][:2]
            rule = RULES.get((section, key))
            if not isinstance(value, types) or (isinstance(value, bool) and bool not in _tuple(types)):
                raise SpecError(
                    f"{name}: [{section}] {key} = {show_value(value)}: must be "
                    f"{rule.words if rule else _type_words(types)}."
                )
            if allowed and value not in allowed:
                raise SpecError(
                    f"{name}: [{section}] {key} = {show_value(value)}: not allowed; must be one of "
                    f"{', '.join(map(show_value, allowed))}."
                )
            if rule and not rule.check(value):
                raise SpecError(f"{name}: [{section}] {key} = {show_value(value)}: must be {rule.words}.")
    for section, key in sorted(REQUIRED):
        if key not in spec.get(section, {}):
            raise SpecError(f"{name}: [{section}] {key} is required.")
    _check_values_together(spec, name)
    _check_design(spec, name)


def show_value(value) -> str:
    """A value as it would be written in TOML (shortened): "text", true, [1, 2]."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=True)
    except (TypeError, ValueError):
        text = repr(value)
    text = text.replace("NaN", "nan").replace("Infinity", "inf")
    return text if len(text) <= 60 else text[:57] + "…"


def _nearest(word: str, known, section: str = "") -> str:
    """A hint for a typo (\"did you mean 'label'?\") or where a key of another section belongs."""
    if section:
        homes = [s for s, keys in KEYS.items() if word in keys and s != section]
        if homes:
            return f" (it belongs in [{homes[0]}])"
    close = difflib.get_close_matches(str(word), list(known), n=1, cutoff=0.6)
    if not close:
        return ""
    return f" (did you mean '{close[0]}'?)" if section else f" (did you mean [{close[0]}]?)"


def _check_values_together(spec: dict, name: str) -> None:
    """Ranges that depend on another key: the target against its metric, the split's shares."""
    q = spec.get("question", {})
    task = q.get("task", "classification")
    metric = q.get("target_metric", "roc_auc" if task == "classification" else "r2")
    if metric not in metric_names(task):
        raise SpecError(
            f"{name}: [question] target_metric = {show_value(metric)} does not fit a {task} task; "
            f"choose one of {', '.join(metric_names(task))}."
        )
    rule = METRIC_RANGES.get(metric)
    if "target_value" in q and rule and not rule.check(q["target_value"]):
        raise SpecError(
            f"{name}: [question] target_value = {show_value(q['target_value'])}: "
            f"{DISPLAY_NAMES.get(metric, metric)} is {rule.words}, so the target must be too."
        )
    if "min_generalization" in q and rule and not rule.check(q["min_generalization"]):
        raise SpecError(
            f"{name}: [question] min_generalization = {show_value(q['min_generalization'])}: "
            f"{DISPLAY_NAMES.get(metric, metric)} is {rule.words}, so the worst cohort's value must be too."
        )
    split = spec.get("split", {})
    test, tune = split.get("test_fraction", 0.2), split.get("tune_fraction", 0.2)
    if test + tune >= 0.8:
        raise SpecError(
            f"{name}: [split] test_fraction = {show_value(test)} and tune_fraction = {show_value(tune)} "
            "leave too little to train on: together they must stay below 0.8 (e.g. 0.2 and 0.2)."
        )
    train = spec.get("train", {})
    if train.get("processes", 1) > train.get("batch_size", train.get("processes", 1)):
        raise SpecError(
            f"{name}: [train] processes = {show_value(train['processes'])} is more than [train] batch_size = "
            f"{show_value(train['batch_size'])}: each process trains on its part of every batch. Raise "
            "batch_size or lower processes."
        )
    models = spec.get("baselines", {}).get("models")
    if models:
        unknown = [m for m in models if m not in baseline_names(task)]
        if unknown:
            raise SpecError(
                f"{name}: [baselines] models: {show_value(unknown[0])} is not a {task} baseline; "
                f"choose from {', '.join(baseline_names(task))}."
            )


# remedy -> (split strategy it implies, the [data] key it needs)
_REMEDY_NEEDS = {
    "group-split": ("group", "group"),
    "batch-holdout": ("batch-holdout", "batch"),
    "batch-label-stratified": ("batch-label-stratified", "batch"),
    "combat": (None, "batch"),
}


def _check_design(spec: dict, name: str) -> None:
    """Batch remedy, split strategy and the columns they need must agree."""
    data, split = spec.get("data", {}), spec.get("split", {})
    _check_attestations(spec.get("checklist", {}).get("attest", {}), name)
    _check_acceptances(spec.get("findings", {}).get("accept", {}), name)
    for column, role in data.get("roles", {}).items():
        if role not in ROLES:
            raise SpecError(
                f"{name}: [data] roles: {column} = {role!r} is not a role; choose one of {', '.join(map(repr, ROLES))}."
            )
    remedy = spec.get("batch", {}).get("remedy", "none")
    strategy = split.get("strategy")
    if remedy in _REMEDY_NEEDS:
        implied, column = _REMEDY_NEEDS[remedy]
        if not data.get(column):
            raise SpecError(f"{name}: [batch] remedy = {remedy!r} needs [data] {column}.")
        if implied and strategy and strategy != implied:
            raise SpecError(
                f"{name}: [batch] remedy = {remedy!r} splits with strategy {implied!r}, "
                f"but [split] strategy = {strategy!r}; drop one of them."
            )
    if strategy == "group" and not data.get("group"):
        raise SpecError(f'{name}: [split] strategy = "group" needs [data] group (the donor, patient or animal column).')
    if strategy in ("batch-holdout", "batch-label-stratified") and not data.get("batch"):
        raise SpecError(f'{name}: [split] strategy = "{strategy}" needs [data] batch.')
    if "holdout_batches" in split and not all(isinstance(b, (str, int)) for b in split["holdout_batches"]):
        raise SpecError(f'{name}: [split] holdout_batches must list batch names, like ["run3"].')
    if split.get("cv_folds", 2) < 2 or split.get("cv_repeats", 1) < 1:
        raise SpecError(f"{name}: [split] cv_folds must be 2 or more and cv_repeats 1 or more.")
    features = data.get("sheet_features", [])
    if features and (not data.get("samples") or not all(isinstance(c, str) for c in features)):
        raise SpecError(
            f"{name}: [data] sheet_features lists column names of the sample sheet ([data] samples), "
            'like ["exon counts"].'
        )


def _tuple(types) -> tuple:
    return types if isinstance(types, tuple) else (types,)


def _type_words(types) -> str:
    words = {
        str: "text in quotes",
        int: "a whole number",
        float: "a number",
        bool: "true or false",
        list: 'a list like ["a", "b"]',
        dict: 'a table like { column = "role" }',
    }
    return " or ".join(dict.fromkeys(words[t] for t in _tuple(types)))


def _check_attestations(attest: dict, name: str) -> None:
    """[checklist] attest: item id = the reason it holds; each id must be a checklist item."""
    ids = list(CHECKLIST_ITEM_IDS)
    for item_id, reason in attest.items():
        if item_id not in ids:
            raise SpecError(
                f"{name}: [checklist] attest: {item_id!r} is not a checklist item; items are {', '.join(ids)}."
            )
        if not isinstance(reason, str) or not reason.strip():
            raise SpecError(f"{name}: [checklist] attest: {item_id} needs a reason, in words.")


def _check_acceptances(accept: dict, name: str) -> None:
    """[findings] accept: finding code = the reason, in words, why the result still holds."""
    codes = [k.code for k in Findings.all()]
    for code, reason in accept.items():
        if code not in codes:
            near = difflib.get_close_matches(code, codes, n=5, cutoff=0.5)
            raise SpecError(
                f"{name}: [findings] accept: {code!r} is not the code of a finding"
                + (
                    f"; did you mean {', '.join(near)}?"
                    if near
                    else "; use the code the stopped run or `tenfold inspect` printed."
                )
            )
        try:
            check_reason(code, reason)
        except TenfoldError:
            raise SpecError(
                f"{name}: [findings] accept: {code} needs a reason in words, e.g. "
                f'{code} = "why the result still holds despite it".'
            ) from None


def _check_external(cohorts, name: str) -> None:
    """``[[external]]`` tables: path, label and name each; names differ (the card names each cohort)."""
    if not isinstance(cohorts, list) or not all(isinstance(c, dict) for c in cohorts):
        raise SpecError(
            f"{name}: external cohorts are written as [[external]] tables, one per cohort, each "
            "with path, label and name."
        )
    seen = set()
    for i, cohort in enumerate(cohorts, 1):
        for key, value in cohort.items():
            if key not in EXTERNAL_KEYS:
                raise SpecError(
                    f"{name}: unknown key '{key}' in [[external]] number {i}. Keys there are: "
                    f"{', '.join(EXTERNAL_KEYS)}."
                )
            types, _ = EXTERNAL_KEYS[key]
            if not isinstance(value, types):
                raise SpecError(
                    f"{name}: [[external]] number {i}: {key} = {value!r} has the wrong type; "
                    f"expected {_type_words(types)}."
                )
        for key in EXTERNAL_REQUIRED:
            if not str(cohort.get(key, "")).strip():
                raise SpecError(
                    f"{name}: [[external]] number {i} needs {key} (the cohort's file, its label "
                    'column and a name such as "Hospital B, 2024").'
                )
        key = cohort["name"].strip().casefold()
        if key in seen:
            raise SpecError(f"{name}: two [[external]] cohorts are named {cohort['name']!r}; give each its own name.")
        seen.add(key)
