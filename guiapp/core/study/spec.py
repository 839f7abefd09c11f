"""The study spec: a TOML file that states a whole study, for `tenfold run` and clusters.

Every key is documented in the README. Unknown keys are refused with the key's name and the
nearest known one, so a typo never silently falls back to a default. Each value's type is
checked against :mod:`guiapp.core.study.spec_keys` and its range in :mod:`guiapp.core.study.spec_rules`, all before any step runs.
"""

from __future__ import annotations

import difflib
import json
import tomllib
from pathlib import Path

from guiapp.core.study.blocking import check_reason
from guiapp.core.study.errors import SpecError, TenfoldError
from guiapp.core.study.findings import Findings
from guiapp.core.study.spec_keys import EXTERNAL_KEYS, EXTERNAL_REQUIRED, KEYS, REQUIRED
from guiapp.core.study.spec_rules import METRIC_RANGES, RULES
from guiapp.core.study.vocabulary import CHECKLIST_ITEM_IDS, DISPLAY_NAMES, ROLES, baseline_names, metric_names


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
