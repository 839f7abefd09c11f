"""The model card as Model Card Toolkit JSON (``model_card.json``), valid against the Google
Model Card Toolkit schema v0.0.2 vendored in ``resources/schema``. Built from the study alone,
offline, with the same numbers and words as the Markdown card (:mod:`guiapp.core.export.card_values`).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any

from guiapp import __version__
from guiapp.core.evaluation.cross_validation_card import card_section
from guiapp.core.export.card_external import consideration_lines, mct_metrics
from guiapp.core.export.card_values import (
    NOT_PROVIDED,
    MetricValue,
    _fmt,
    _is_number,
    _privacy_context,
    architecture_text,
    as_dict,
    dataset_name,
    metric_display_name,
    metric_values,
    model_name,
    sensitivity_text,
    split_sizes,
    subgroup_slices,
)
from guiapp.core.export.sharing import sensitivity_answers
from guiapp.core.privacy.dp import dp_summary
from guiapp.core.study.blocking import caveat_text, caveats
from guiapp.core.study.ethics_register import register_for_card
from guiapp.core.study.model import Study

SCHEMA_FILE = "model_card.schema.v0.0.2.json"

LEE_2022 = (
    "Lee BD, Gitter A, Greene CS, et al. (2022) Ten quick tips for deep learning in biology. "
    "PLoS Comput Biol 18(3): e1009803."
)


def model_card_json(
    study: Study, *, weights_shared: bool, weights_reason: str, privacy: list[str], license: str = "other"
) -> dict:
    """The card as a Model Card Toolkit v0.0.2 dict. Call :func:`validate_model_card_json` on it."""
    q, data = study.question, study.data
    details = {
        "name": model_name(study),
        "overview": q.description or q.title or "A model built with Tenfold.",
        "documentation": (
            f"A {architecture_text(study)} for {q.task} of {data.label!r}, built with "
            f"Tenfold {__version__} following the Ten Quick Tips for Deep Learning in "
            "Biology (Lee et al. 2022)."
        ),
        "version": {
            "name": study.tenfold_version or __version__,
            "date": (study.export.exported_at or study.created)[:10],
        },
        "licenses": [_mct_license(license)],
        "citations": [{"style": "text", "citation": LEE_2022}],
    }
    if weights_shared:
        details["path"] = "model/"  # config.json there names the weight files
    output = (
        f"class probabilities over {', '.join(map(str, data.classes))}"
        if study.is_classification
        else f"a predicted value of {data.label!r}"
    )
    return {
        "schema_version": "0.0.2",
        "model_details": details,
        "model_parameters": {
            "model_architecture": architecture_text(study),
            "data": _mct_datasets(study),
            "input_format": f"{len(data.feature_columns)} numeric feature column(s): "
            + ", ".join(map(str, data.feature_columns[:50])),
            "output_format": output,
        },
        "quantitative_analysis": {"performance_metrics": _mct_metrics(study)},
        "considerations": _mct_considerations(study, weights_shared, weights_reason, privacy),
    }


def _mct_datasets(study: Study) -> list[dict]:
    sizes = split_sizes(study)
    uses = {
        "train": "used to fit the network and the baselines",
        "tune": "used for model selection and early stopping",
        "test": "sealed, evaluated once at the end",
    }
    prov = study.data.provenance
    origin = "".join(
        f" {words} {value}."
        for words, value in (
            ("Version", prov.version),
            ("Accession", prov.accession),
            ("Downloaded", prov.downloaded),
            ("File SHA-256", prov.sha256),
        )
        if value
    )
    remedies = "".join(f" {r['text']}" for r in study.split.remedies)
    out = []
    for split, use in uses.items():
        d: dict[str, Any] = {
            "name": f"{dataset_name(study)} — {split} split",
            "description": f"{sizes.get(split, 0)} samples, {use}.{origin}{remedies}",
        }
        if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$", prov.url or ""):  # the schema wants a URI here
            d["link"] = prov.url
        if study.treated_as_sensitive:
            ids = [f"Identifier column: {c}" for c in study.data.identifiers]
            d["sensitive"] = {"sensitive_data": sensitivity_answers(study) + ids + _pii_scan_lines(study)}
        out.append(d)
    return out


def _pii_scan_lines(study: Study) -> list[str]:
    """The personal-identifier scan of the loaded data, in the card's words (Tip 10)."""
    scan = study.data.pii_scan or {}
    if not scan:
        return []
    found = "; ".join(f"{f['category']} ({f['kind']}) in column {f['column']!r}" for f in scan.get("found", []))
    skipped = f", {scan['n_not_checked']} not checked" if scan.get("n_not_checked") else ""
    return [
        f"Personal-identifier scan ({scan.get('method', '')}) on {scan.get('when', '')[:10]}: "
        f"{scan.get('n_columns', 0)} columns checked{skipped}; found: {found or 'nothing'}"
    ]


def _mct_metrics(study: Study) -> list[dict]:
    ev = study.evaluation
    out = [_mct_metric(m, "test (sealed)", m.name) for m in metric_values(ev.test_metrics)]
    out += [_mct_metric(m, "tune", m.name) for m in metric_values(ev.tune_metrics)]
    for b in map(as_dict, study.baselines.results):
        out += [
            _mct_metric(m, "tune", f"{m.name} — baseline {b['name']}") for m in metric_values(b.get("tune_metrics"))
        ]

    cv = card_section(study) or {}
    for r in cv.get("rows", []):
        slice_ = f"repeated cross-validation, fold mean of {cv['design']}"
        out.append(
            _mct_metric(
                MetricValue(study.primary_metric, float(r["mean"]), tuple(r["ci_pair"]) if r["ci_pair"] else None),
                slice_,
                f"{cv['metric']} — {r['model']}",
            )
        )
    for sl in subgroup_slices(study):
        out.append(_mct_metric(sl["metric"], f"{sl['split']}: {sl['factor']} = {sl['level']}", sl["metric"].name))

    out += mct_metrics(study)
    for a in _privacy_context(study)["audit"]:
        out.append(
            _mct_metric(
                a["auc"], "training vs tune (membership audit)", f"membership-inference attack ROC AUC — {a['name']}"
            )
        )
    return out


def _mct_considerations(study: Study, weights_shared: bool, weights_reason: str, privacy: list[str]) -> dict:
    q, e = study.question, study.ethics

    # The same box the Markdown card opens with: unsettled warnings and errors, reasons where accepted.
    limits = [caveat_text(c) for c in caveats(study)]
    limits = limits or [
        "Evaluated only on held-out samples of one dataset; performance on other "
        "cohorts, batches or protocols is unknown."
    ]
    limits = [e.limitations.strip() or f"Limitations in the owner's words: {NOT_PROVIDED}"] + limits
    if e.out_of_scope.strip():
        limits.append(f"Out of scope: {e.out_of_scope.strip()}")

    limits += consideration_lines(study)
    ethical = [
        {
            "name": e["concern"],
            "mitigation_strategy": e.get("mitigation") or f"No mitigation recorded yet ({e.get('status', 'open')}).",
        }
        for e in map(as_dict, register_for_card(study)[0])
    ]
    ethical.append(
        {
            "name": f"Privacy of the training data ({sensitivity_text(study)})",
            "mitigation_strategy": ("Weights shared: " if weights_shared else "Weights withheld: ") + weights_reason,
        }
    )
    for a in _privacy_context(study)["audit"]:
        ethical.append(
            {
                "name": f"Membership inference on the {a['name']}: {a['reading']}",
                "mitigation_strategy": "Weights of sensitive data are withheld unless trained with "
                "differential privacy (see privacy.md).",
            }
        )
    ethical.append({"name": "Differential privacy", "mitigation_strategy": dp_summary(study)})
    ethical += [{"name": w, "mitigation_strategy": "See privacy.md."} for w in privacy]
    uses = ([e.intended_use.strip()] if e.intended_use.strip() else [f"Intended use: {NOT_PROVIDED}"]) + [
        f"Question: {q.title}" if q.title else "Research use."
    ]
    uses += [q.description] if q.description else []
    return {
        "users": [
            {"description": "Researchers working on this question, who can read the evaluation and its caveats."}
        ],
        "use_cases": [{"description": u} for u in uses],
        "limitations": [{"description": t} for t in limits],
        "tradeoffs": [{"description": t} for t in _tradeoffs(study)],
        "ethical_considerations": ethical,
    }


def _mct_metric(m: MetricValue, slice_: str, type_: str) -> dict:
    d: dict[str, Any] = {"type": type_, "value": m.text, "slice": slice_}
    if m.ci:
        d["confidence_interval"] = {"lower_bound": _fmt(m.ci[0]), "upper_bound": _fmt(m.ci[1])}
    return d


def _mct_license(license: str) -> dict:
    # The toolkit wants an SPDX identifier; the Hub's "other" is not one.
    if not license or license == "other":
        return {"custom_text": "No licence chosen; ask the study owner before reuse."}
    return {"identifier": license}


def _tradeoffs(study: Study) -> list[str]:
    metric = study.primary_metric
    net = study.evaluation.tune_metrics.get(metric)
    lines = []
    for b in map(as_dict, study.baselines.results):
        score = b.get("tune_metrics", {}).get(metric)
        if _is_number(net) and _is_number(score):
            lines.append(
                f"Network {_fmt(net)} vs {b['name']} {_fmt(score)} ({metric_display_name(metric)}, tune split)."
            )
    t = study.train
    processes = getattr(t, "processes", 1) or 1
    lines.append(
        f"Model size: {study.architecture.n_params:,} parameters; trained in {t.seconds:.0f} s "
        f"on {t.device_used or 'an unrecorded device'}"
        + (f" in {processes} data-parallel processes." if processes > 1 else ".")
    )
    return lines


@lru_cache(maxsize=1)
def load_schema() -> dict:
    text = resources.files("guiapp.resources").joinpath("schema", SCHEMA_FILE).read_text(encoding="utf-8")
    return json.loads(text)


def validate_model_card_json(card: dict) -> None:
    """Raise ``jsonschema.ValidationError`` when the card breaks the toolkit schema.

    Tenfold builds the card itself, so a failure is a Tenfold bug, never the user's.
    """
    import jsonschema  # jsonschema: imported lazily, only when this runs

    validator_cls = jsonschema.Draft7Validator
    validator_cls(load_schema(), format_checker=validator_cls.FORMAT_CHECKER).validate(card)
