"""The model card of an export, in two formats: Hugging Face Markdown (here) and Model Card
Toolkit JSON (:mod:`guiapp.core.export.card_json`, re-exported here), from the numbers and words of
:mod:`guiapp.core.export.card_values`.

The Markdown card (``model_card.md``) carries YAML front matter that
``huggingface_hub.ModelCard.load`` reads, with the sealed test metrics in ``model-index``;
its body follows the sections of Mitchell et al. (2019) and is rendered from
``resources/templates/model_card.md.j2``. The JSON card (``model_card.json``) follows the
Google Model Card Toolkit schema v0.0.2, vendored in ``resources/schema``. Both are built
from the study alone, offline: nothing here touches the network.
"""

from __future__ import annotations

import math
from importlib import resources
from typing import Any

from guiapp import __version__
from guiapp.core.batch.remedy import remedy_text
from guiapp.core.data.transform import describe
from guiapp.core.evaluation import conclusion, cross_validation_card, verdict_card
from guiapp.core.export.card_evaluation import (
    card_context as evaluation_context,
)
from guiapp.core.export.card_external import card_context as external_context
from guiapp.core.export.card_external import eval_results

# The card's JSON side is public here too (the export and the tests call it through this module).
from guiapp.core.export.card_json import SCHEMA_FILE as SCHEMA_FILE
from guiapp.core.export.card_json import load_schema as load_schema
from guiapp.core.export.card_json import model_card_json as model_card_json
from guiapp.core.export.card_json import validate_model_card_json as validate_model_card_json
from guiapp.core.export.card_values import (
    ARCHITECTURE_NAMES,
    LOWER_IS_BETTER,
    NOT_METRICS,  # noqa: F401
    NOT_PROVIDED,
    _fmt,
    _is_number,
    _privacy_context,
    architecture_text,
    as_dict,
    dataset_name,
    dataset_type,
    metric_display_name,
    metric_values,
    model_name,
    reported_metrics,
    sensitivity_text,
    split_sizes,
    subgroup_slices,
    task_type,
)
from guiapp.core.guidance import checklist
from guiapp.core.study import blocking
from guiapp.core.study.ethics_register import register_for_card
from guiapp.core.study.model import Study

TEMPLATE_FILE = "model_card.md.j2"


# ----- Hugging Face Markdown card -----------------------------------------------------------


def card_metadata(study: Study, *, license: str = "other"):
    """The YAML front matter, built with huggingface_hub so the Hub's own parser reads it back."""
    from huggingface_hub import EvalResult, ModelCardData  # heavy import, only when exporting

    split, values = reported_metrics(study)
    # Tune metrics stand in only until the test set is opened; the split and the name say so.
    suffix = "" if split == "test" else " (tune split; sealed test set not yet evaluated)"
    results = [
        EvalResult(
            task_type=task_type(study),
            dataset_type=dataset_type(study),
            dataset_name=dataset_name(study),
            dataset_split=split,
            metric_type=m.key,
            metric_value=m.value,
            metric_name=m.name + suffix,
        )
        for m in values
        if math.isfinite(m.value)  # NaN (e.g. ROC AUC on one class) is no result to index
    ]
    results += eval_results(study)  # one result per external cohort
    kind = "classification" if study.is_classification else "regression"
    return ModelCardData(
        license=license or "other",
        library_name="pytorch",
        tags=["tenfold", "biology", task_type(study), kind, study.architecture.kind],
        pipeline_tag=task_type(study),
        model_name=model_name(study),
        eval_results=results or None,
    )


def render_model_card(
    study: Study, *, weights_shared: bool, weights_reason: str, privacy: list[str], license: str = "other"
) -> str:
    """The full ``model_card.md`` text: front matter plus the Mitchell et al. sections."""
    front = card_metadata(study, license=license).to_yaml()
    body = _template().render(**card_context(study, weights_shared, weights_reason, privacy, license))
    return f"---\n{front}\n---\n\n{body.strip()}\n"


def cv_card(study: Study):
    return cross_validation_card.card_section(study)


def card_context(study: Study, weights_shared: bool, weights_reason: str, privacy: list[str], license: str) -> dict:
    """Everything the template shows, already in words and formatted numbers."""
    ev, data, train = study.evaluation, study.data, study.train
    split_name, headline = reported_metrics(study)
    baselines = [as_dict(b) for b in study.baselines.results]
    columns = [m.key for m in metric_values(ev.tune_metrics)] or sorted(
        {k for b in baselines for k in b.get("tune_metrics", {}) if not k.endswith("_ci") and k != "ci_notes"}
    )
    return {
        "study": study,
        "name": model_name(study),
        "license": license,
        "task_type": task_type(study),
        "architecture": architecture_text(study),
        "architecture_kind": ARCHITECTURE_NAMES.get(study.architecture.kind, study.architecture.kind),
        "dataset_name": dataset_name(study),
        "sensitivity": sensitivity_text(study),
        "sizes": split_sizes(study),
        "features_shown": data.feature_columns[:20],
        "features_more": max(0, len(data.feature_columns) - 20),
        "primary": metric_display_name(study.primary_metric),
        "primary_lower_is_better": study.primary_metric in LOWER_IS_BETTER,
        "headline_split": split_name,
        "headline": headline,
        "tune": metric_values(ev.tune_metrics),
        "test": metric_values(ev.test_metrics),
        # why an interval is exact rather than bootstrap (every resample scored the same)
        "tune_notes": [(metric_display_name(k), v) for k, v in (ev.tune_metrics or {}).get("ci_notes", {}).items()],
        "test_notes": [(metric_display_name(k), v) for k, v in (ev.test_metrics or {}).get("ci_notes", {}).items()],
        "headline_note": ((ev.test_metrics if split_name == "test" else ev.tune_metrics) or {})
        .get("ci_notes", {})
        .get(study.primary_metric, ""),
        "cv": cv_card(study),
        "comparison_columns": [(k, metric_display_name(k)) for k in columns],
        "baselines": baselines,
        "baseline_test": ev.baseline_test_metrics or {},
        "epochs_run": len(train.history),
        **_register_context(study),
        "findings": sorted(study.findings, key=lambda f: ({"error": 0, "warning": 1}.get(f.severity, 2), f.tip)),
        **_caveat_context(study),
        "privacy": privacy,
        "weights_shared": weights_shared,
        "weights_reason": weights_reason,
        "tenfold_version": __version__,
        "batch_text": _batch_text(study),
        "transform_text": _transform_text(study),
        **_owner_fields(study),
        **_privacy_context(study),
        **_checklist_context(study),
        "slices": subgroup_slices(study),
        "ev_card": _evaluation_context(study),
        "tuning_card": _tuning_context(study),
        "ext_card": _external_context(study),
    }


def _caveat_context(study: Study) -> dict:
    """The box above the headline: what stands unsettled, with the user's reasons (Tip 7)."""
    return {
        "caveats": blocking.caveats(study),
        "settled": blocking.settled(study),
        "headline_caveat": blocking.headline_caveat(study),
        # the study's answer in words, after the sealed test (empty before it)
        "conclusion": conclusion.conclusion(study),
        "conclusion_table": conclusion.baseline_table(study),
    }


def _register_context(study: Study) -> dict:
    """The ethics register as the card states it: an open concern wins over "no concerns"."""
    entries, still_open = register_for_card(study)
    return {"register": [as_dict(e) for e in entries], "register_open": still_open}


def _external_context(study: Study) -> dict:
    return external_context(study)


def _tuning_context(study: Study) -> dict:
    """The search and the verdict, worded by their step."""
    return verdict_card.card_section(study)


def _evaluation_context(study: Study) -> dict:
    return evaluation_context(study)


def _owner_fields(study: Study) -> dict:
    e = study.ethics
    return {
        "not_provided": NOT_PROVIDED,
        "intended_use": e.intended_use.strip(),
        "out_of_scope": e.out_of_scope.strip(),
        "limitations": e.limitations.strip(),
    }


def _checklist_context(study: Study) -> dict:
    items = checklist.evaluate_checklist(study)
    return {"checklist": items, "checklist_summary": checklist.summary(items)}


def _transform_text(study: Study) -> str:
    return describe(study.data.transform, study.data.feature_columns)


def _batch_text(study: Study) -> str:
    return remedy_text(study)


def _template():
    import jinja2  # only the export needs it

    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_read_template),
        undefined=jinja2.StrictUndefined,  # a misspelt field is a bug, not an empty cell
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # Markdown, not HTML
    )
    env.filters["fmt"] = _fmt
    env.filters["cell"] = _table_cell
    env.filters["metric"] = metric_display_name
    return env.get_template(TEMPLATE_FILE)


def _read_template(name: str) -> str:
    return resources.files("guiapp.resources").joinpath("templates", name).read_text(encoding="utf-8")


def _table_cell(value: Any) -> str:
    """User text inside a Markdown table: a pipe or a newline would break the row."""
    text = _fmt(value) if _is_number(value) or value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")
