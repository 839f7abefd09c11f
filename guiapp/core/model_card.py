"""The model card of an export, in two formats: Hugging Face Markdown and Model Card Toolkit JSON.

The Markdown card (``model_card.md``) carries YAML front matter that
``huggingface_hub.ModelCard.load`` reads, with the sealed test metrics in ``model-index``;
its body follows the sections of Mitchell et al. (2019) and is rendered from
``resources/templates/model_card.md.j2``. The JSON card (``model_card.json``) follows the
Google Model Card Toolkit schema v0.0.2, vendored in ``resources/schema``. Both are built
from the study alone, offline: nothing here touches the network.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Optional

from guiapp import __version__

SCHEMA_FILE = "model_card.schema.v0.0.2.json"
# What the card says where a field only the study owner can write was left empty.
NOT_PROVIDED = "Not provided by the study owner."
TEMPLATE_FILE = "model_card.md.j2"

# Display names in the user's words; keys are what the evaluation step stores.
METRIC_NAMES = {
    "roc_auc": "ROC AUC",
    "pr_auc": "PR AUC (average precision)",
    "balanced_accuracy": "balanced accuracy",
    "accuracy": "accuracy",
    "f1": "F1 score",
    "f1_macro": "macro F1 score",
    "mcc": "Matthews correlation",
    "log_loss": "log loss",
    "brier": "Brier score",
    "ece": "expected calibration error",
    "sensitivity": "sensitivity",
    "specificity": "specificity",
    "rmse": "RMSE",
    "mae": "MAE",
    "mse": "MSE",
    "r2": "R²",
    "pearson": "Pearson r",
    "spearman": "Spearman ρ",
}
LOWER_IS_BETTER = {"log_loss", "brier", "ece", "rmse", "mae", "mse"}
# Numbers a metric panel carries that are not metrics (``n``: how many samples were scored).
NOT_METRICS = {"n"}

ARCHITECTURE_NAMES = {
    "mlp": "multilayer perceptron (MLP)",
    "cnn1d": "1D convolutional network",
    "cnn2d": "2D convolutional network",
    "transformer": "small transformer",
}


def metric_display_name(key: str) -> str:
    return METRIC_NAMES.get(key, key.replace("_", " "))


@dataclasses.dataclass(frozen=True)
class MetricValue:
    """One reported number: the metric key, its value and an optional confidence interval."""

    key: str
    value: float
    ci: Optional[tuple[float, float]] = None

    @property
    def name(self) -> str:
        return metric_display_name(self.key)

    @property
    def text(self) -> str:
        return _fmt(self.value)

    @property
    def ci_text(self) -> str:
        return f"[{_fmt(self.ci[0])}, {_fmt(self.ci[1])}]" if self.ci else ""


def metric_values(metrics: dict) -> list[MetricValue]:
    """The scalar metrics of a ``*_metrics`` dict, known names first, with ``<key>_ci`` attached.

    Anything that is not a plain number (curves, per-batch tables) is left to report.html.
    """
    metrics = metrics or {}
    keys = [k for k in metrics
            if k not in NOT_METRICS and not k.endswith("_ci") and _is_number(metrics[k])]
    order = list(METRIC_NAMES)
    keys.sort(key=lambda k: (order.index(k) if k in order else len(order), k))
    return [MetricValue(k, float(metrics[k]), _ci(metrics.get(f"{k}_ci"))) for k in keys]


def _ci(value: Any) -> Optional[tuple[float, float]]:
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(map(_is_number, value)):
        return float(value[0]), float(value[1])
    return None


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return not isinstance(value, (str, bytes))


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if _is_number(value):
        v = float(value)
        return "n/a" if math.isnan(v) else f"{v:.3f}"
    return str(value)


def as_dict(obj: Any) -> dict:
    """Register entries and baseline results may be dataclasses or dicts; the card wants dicts."""
    return dataclasses.asdict(obj) if dataclasses.is_dataclass(obj) else dict(obj)


# ----- facts about the study, shared by both formats ---------------------------------------


def model_name(study) -> str:
    return study.question.title.strip() or "Tenfold model"


def task_type(study) -> str:
    return "tabular-classification" if study.is_classification else "tabular-regression"


def dataset_name(study) -> str:
    prov = study.data.provenance
    return prov.source or study.data.builtin or Path(prov.path).name or "unnamed dataset"


def dataset_type(study) -> str:
    """A slug for ``model-index``: the Hub wants an identifier here, not prose."""
    raw = study.data.builtin or Path(study.data.provenance.path).stem or dataset_name(study)
    return re.sub(r"[^a-z0-9]+", "-", raw.lower()).strip("-") or "dataset"


def split_sizes(study) -> dict[str, int]:
    split = study.split
    sizes = {"train": len(split.train_idx), "tune": len(split.tune_idx), "test": len(split.test_idx)}
    # A study reopened from a trimmed spec may keep only the per-class counts.
    for name, counts in (split.counts or {}).items():
        if not sizes.get(name) and isinstance(counts, dict):
            sizes[name] = int(sum(counts.values()))
    return sizes


def reported_metrics(study) -> tuple[str, list[MetricValue]]:
    """The metrics the card headlines: the sealed test set's if evaluated, else the tune split's."""
    test = metric_values(study.evaluation.test_metrics)
    if test:
        return "test", test
    return "tune", metric_values(study.evaluation.tune_metrics)


def architecture_text(study) -> str:
    a = study.architecture
    kind = ARCHITECTURE_NAMES.get(a.kind, a.kind)
    params = f", {a.n_params:,} trainable parameters" if a.n_params else ""
    return f"{kind}: {a.depth} hidden layer(s) of width {a.width}, dropout {a.dropout}{params}"


def sensitivity_text(study) -> str:
    if study.data.sensitive is None:
        return "not declared (treated as sensitive)"
    return "declared sensitive" if study.data.sensitive else "declared not sensitive"


# ----- Hugging Face Markdown card -----------------------------------------------------------


def card_metadata(study, *, license: str = "other"):
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
    study, *, weights_shared: bool, weights_reason: str, privacy: list[str], license: str = "other"
) -> str:
    """The full ``model_card.md`` text: front matter plus the Mitchell et al. sections."""
    front = card_metadata(study, license=license).to_yaml()
    body = _template().render(**card_context(study, weights_shared, weights_reason, privacy, license))
    return f"---\n{front}\n---\n\n{body.strip()}\n"


def card_context(study, weights_shared: bool, weights_reason: str, privacy: list[str], license: str) -> dict:
    """Everything the template shows, already in words and formatted numbers."""
    ev, data, train = study.evaluation, study.data, study.train
    split_name, headline = reported_metrics(study)
    baselines = [as_dict(b) for b in study.baselines.results]
    columns = [m.key for m in metric_values(ev.tune_metrics)] or sorted(
        {k for b in baselines for k in b.get("tune_metrics", {}) if not k.endswith("_ci")}
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
        "comparison_columns": [(k, metric_display_name(k)) for k in columns],
        "baselines": baselines,
        "baseline_test": ev.baseline_test_metrics or {},
        "epochs_run": len(train.history),
        "register": [as_dict(e) for e in study.ethics.register],
        "findings": sorted(study.findings, key=lambda f: ({"error": 0, "warning": 1}.get(f.severity, 2), f.tip)),
        "privacy": privacy,
        "weights_shared": weights_shared,
        "weights_reason": weights_reason,
        "tenfold_version": __version__,
        "batch_text": _batch_text(study),
        **_owner_fields(study),
        **_privacy_context(study),
        **_checklist_context(study),
        "slices": subgroup_slices(study),
        "ev_card": _evaluation_context(study),
        "tuning_card": _tuning_context(study),
    }


def _tuning_context(study) -> dict:
    from guiapp.core.verdict import card_section  # the search and the verdict, worded by their step

    return card_section(study)


def _evaluation_context(study) -> dict:
    from guiapp.core.card_evaluation import card_context as evaluation_context  # the evaluation step words its own

    return evaluation_context(study)


def _owner_fields(study) -> dict:
    e = study.ethics
    return {"not_provided": NOT_PROVIDED, "intended_use": e.intended_use.strip(),
            "out_of_scope": e.out_of_scope.strip(), "limitations": e.limitations.strip()}


def _privacy_context(study) -> dict:
    from guiapp.core.membership import MODEL_NAMES
    from guiapp.core.privacy_dp import dp_summary
    from guiapp.core.sharing import sensitivity_answers

    m = study.ethics.membership or {}
    audit = []
    for key, r in (m.get("models") or {}).items():
        audit.append({"name": MODEL_NAMES.get(key, key), "auc": MetricValue("auc", r["auc"], _ci(r.get("auc_ci"))),
                      "advantage": MetricValue("advantage", r["advantage"], _ci(r.get("advantage_ci"))),
                      "tpr": MetricValue("tpr", r["tpr_at_low_fpr"], _ci(r.get("tpr_at_low_fpr_ci"))),
                      "n": f"{r['n_members']} / {r['n_non_members']}",
                      "verdict": "leaks membership" if r["warn"] else "below the warning lines",
                      "reading": r.get("reading", "")})
    return {"sensitivity_answers": sensitivity_answers(study), "audit": audit, "audit_meta": m,
            "dp": study.ethics.dp or {}, "dp_text": dp_summary(study)}


def _checklist_context(study) -> dict:
    from guiapp.core import checklist

    items = checklist.evaluate_checklist(study)
    return {"checklist": items, "checklist_summary": checklist.summary(items)}


def subgroup_slices(study) -> list[dict]:
    """Per-batch and per-subgroup results with intervals, as the evaluation step recorded them.

    Read from ``study.evaluation.test_groups`` (after the sealed evaluation) or else
    ``tune_groups``: ``[{factor, metric, groups: [{group, n, metrics, flagged}]}]``.
    """
    ev = study.evaluation
    split, tables = ("test", getattr(ev, "test_groups", None)) if getattr(ev, "test_groups", None) \
        else ("tune", getattr(ev, "tune_groups", None))
    out = []
    for table in tables or []:
        if not isinstance(table, dict):
            continue
        key = table.get("metric") or study.primary_metric
        for g in table.get("groups", []):
            panel = g.get("metrics") or {}
            values = [m for m in metric_values(panel) if m.key == key] or metric_values(panel)[:1]
            if values:
                out.append({"factor": str(table.get("factor", "")), "level": str(g.get("group", "")),
                            "metric": values[0], "n": g.get("n"), "split": split,
                            "flagged": bool(g.get("flagged"))})
    return out


def _batch_text(study) -> str:
    from guiapp.core.batch import remedy_text  # the step module words its own remedy

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


# ----- Model Card Toolkit JSON --------------------------------------------------------------


LEE_2022 = ("Lee BD, Gitter A, Greene CS, et al. (2022) Ten quick tips for deep learning in biology. "
            "PLoS Comput Biol 18(3): e1009803.")


def model_card_json(
    study, *, weights_shared: bool, weights_reason: str, privacy: list[str], license: str = "other"
) -> dict:
    """The card as a Model Card Toolkit v0.0.2 dict. Call :func:`validate_model_card_json` on it."""
    q, data = study.question, study.data
    details = {
        "name": model_name(study),
        "overview": q.description or q.title or "A model built with Tenfold.",
        "documentation": (f"A {architecture_text(study)} for {q.task} of {data.label!r}, built with "
                          f"Tenfold {__version__} following the Ten Quick Tips for Deep Learning in "
                          "Biology (Lee et al. 2022)."),
        "version": {"name": study.tenfold_version or __version__,
                    "date": (study.export.exported_at or study.created)[:10]},
        "licenses": [_mct_license(license)],
        "citations": [{"style": "text", "citation": LEE_2022}],
    }
    if weights_shared:
        details["path"] = "model/"  # config.json there names the weight files
    output = (f"class probabilities over {', '.join(map(str, data.classes))}" if study.is_classification
              else f"a predicted value of {data.label!r}")
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


def _mct_datasets(study) -> list[dict]:
    from guiapp.core.sharing import sensitivity_answers

    sizes = split_sizes(study)
    uses = {"train": "used to fit the network and the baselines",
            "tune": "used for model selection and early stopping",
            "test": "sealed, evaluated once at the end"}
    out = []
    for split, use in uses.items():
        d = {"name": f"{dataset_name(study)} — {split} split",
             "description": f"{sizes.get(split, 0)} samples, {use}."}
        if study.treated_as_sensitive:
            ids = [f"Identifier column: {c}" for c in study.data.identifiers]
            d["sensitive"] = {"sensitive_data": sensitivity_answers(study) + ids}
        out.append(d)
    return out


def _mct_metrics(study) -> list[dict]:
    ev = study.evaluation
    out = [_mct_metric(m, "test (sealed)", m.name) for m in metric_values(ev.test_metrics)]
    out += [_mct_metric(m, "tune", m.name) for m in metric_values(ev.tune_metrics)]
    for b in map(as_dict, study.baselines.results):
        out += [_mct_metric(m, "tune", f"{m.name} — baseline {b['name']}")
                for m in metric_values(b.get("tune_metrics"))]
    for sl in subgroup_slices(study):
        out.append(_mct_metric(sl["metric"], f"{sl['split']}: {sl['factor']} = {sl['level']}", sl["metric"].name))
    for a in _privacy_context(study)["audit"]:
        out.append(_mct_metric(a["auc"], "training vs tune (membership audit)",
                               f"membership-inference attack ROC AUC — {a['name']}"))
    return out


def _mct_considerations(study, weights_shared: bool, weights_reason: str, privacy: list[str]) -> dict:
    from guiapp.core.privacy_dp import dp_summary

    q, e = study.question, study.ethics
    limits = [f"[{f.code}] {f.message}" for f in study.findings if f.severity in ("warning", "error")]
    limits = limits or ["Evaluated only on held-out samples of one dataset; performance on other "
                        "cohorts, batches or protocols is unknown."]
    limits = [e.limitations.strip() or f"Limitations in the owner's words: {NOT_PROVIDED}"] + limits
    if e.out_of_scope.strip():
        limits.append(f"Out of scope: {e.out_of_scope.strip()}")
    ethical = [{"name": e["concern"], "mitigation_strategy": e.get("mitigation")
                or f"No mitigation recorded yet ({e.get('status', 'open')})."}
               for e in map(as_dict, study.ethics.register)]
    ethical.append({"name": f"Privacy of the training data ({sensitivity_text(study)})",
                    "mitigation_strategy": ("Weights shared: " if weights_shared else "Weights withheld: ")
                    + weights_reason})
    for a in _privacy_context(study)["audit"]:
        ethical.append({"name": f"Membership inference on the {a['name']}: {a['reading']}",
                        "mitigation_strategy": "Weights of sensitive data are withheld unless trained with "
                                               "differential privacy (see privacy.md)."})
    ethical.append({"name": "Differential privacy", "mitigation_strategy": dp_summary(study)})
    ethical += [{"name": w, "mitigation_strategy": "See privacy.md."} for w in privacy]
    uses = ([e.intended_use.strip()] if e.intended_use.strip()
            else [f"Intended use: {NOT_PROVIDED}"]) + [f"Question: {q.title}" if q.title else "Research use."]
    uses += [q.description] if q.description else []
    return {
        "users": [{"description": "Researchers working on this question, who can read the evaluation "
                                  "and its caveats."}],
        "use_cases": [{"description": u} for u in uses],
        "limitations": [{"description": t} for t in limits],
        "tradeoffs": [{"description": t} for t in _tradeoffs(study)],
        "ethical_considerations": ethical,
    }


def _mct_metric(m: MetricValue, slice_: str, type_: str) -> dict:
    d = {"type": type_, "value": m.text, "slice": slice_}
    if m.ci:
        d["confidence_interval"] = {"lower_bound": _fmt(m.ci[0]), "upper_bound": _fmt(m.ci[1])}
    return d


def _mct_license(license: str) -> dict:
    # The toolkit wants an SPDX identifier; the Hub's "other" is not one.
    if not license or license == "other":
        return {"custom_text": "No licence chosen; ask the study owner before reuse."}
    return {"identifier": license}


def _tradeoffs(study) -> list[str]:
    metric = study.primary_metric
    net = study.evaluation.tune_metrics.get(metric)
    lines = []
    for b in map(as_dict, study.baselines.results):
        score = b.get("tune_metrics", {}).get(metric)
        if _is_number(net) and _is_number(score):
            lines.append(f"Network {_fmt(net)} vs {b['name']} {_fmt(score)} "
                         f"({metric_display_name(metric)}, tune split).")
    t = study.train
    lines.append(f"Model size: {study.architecture.n_params:,} parameters; trained in {t.seconds:.0f} s "
                 f"on {t.device_used or 'an unrecorded device'}.")
    return lines


@lru_cache(maxsize=1)
def load_schema() -> dict:
    text = resources.files("guiapp.resources").joinpath("schema", SCHEMA_FILE).read_text(encoding="utf-8")
    return json.loads(text)


def validate_model_card_json(card: dict) -> None:
    """Raise ``jsonschema.ValidationError`` when the card breaks the toolkit schema.

    Tenfold builds the card itself, so a failure is a Tenfold bug, never the user's.
    """
    import jsonschema

    validator_cls = jsonschema.Draft7Validator
    validator_cls(load_schema(), format_checker=validator_cls.FORMAT_CHECKER).validate(card)
