"""Write a study's export bundle: model card, privacy warnings, metrics, manifest, checklist, model.

The bundle is what leaves the lab, so the privacy rules live here: :func:`weights_decision`
decides whether the network's weights may go with it (Tip 10), and :func:`privacy_warnings`
says in plain words what the bundle reveals. ``report.html`` is written by the report module.
"""

from __future__ import annotations

import dataclasses
import platform
import shutil
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Callable, Optional

from guiapp import __version__
from guiapp.core import model_card
from guiapp.core.errors import TenfoldError
from guiapp.core.ethics import SHARE_CHOICES
from guiapp.core.findings import Findings
from guiapp.core.study import Study, now_iso, write_json_atomic

Progress = Callable[[float, str], None]

# Every file this module may write; a re-export into the same folder removes the ones it
# does not write this time, so a model shared yesterday cannot linger after it is withheld today.
BUNDLE_FILES = (
    "model_card.md", "model_card.json", "privacy.md", "report.html", "metrics.json", "manifest.json",
    "checklist.json", "ethics_register.json", "predictions.csv",
    "model/model.safetensors", "model/config.json",
)


@dataclass
class ExportResult:
    out_dir: Path
    files: list = field(default_factory=list)  # of Path, in the order written
    weights_shared: bool = False
    reason: str = ""  # why the weights were shared or withheld, as the card says it


# ----- privacy policy -----------------------------------------------------------------------


def weights_decision(study: Study) -> tuple[bool, str]:
    """May the network's weights leave with the bundle? Returns ``(share, reason)``.

    A trained network can give away individual training records (membership inference), so
    with sensitive data (or undeclared sensitivity) the weights stay home unless the user
    overrides the default with a reason. Differential-privacy training would lift the default;
    Tenfold has none yet, so no model counts as DP-trained.
    """
    choice = study.ethics.share_weights
    given = study.ethics.share_reason.strip()
    if choice == "never":
        return False, "The study owner chose never to share the weights" + (f": {given}" if given else ".")
    if choice == "always":
        return True, given or "The study owner chose to share the weights and gave no reason."
    if choice != "auto":
        # Refuse to guess what an unknown setting means; withholding is the safe reading.
        return False, f"The weight-sharing setting {choice!r} is not one of {', '.join(SHARE_CHOICES)}."
    if study.treated_as_sensitive:
        why = ("Nobody declared whether the data are sensitive, so Tenfold treats them as sensitive"
               if study.data.sensitive is None else "The data are marked sensitive")
        return False, (
            f"{why}, and the network was not trained with differential privacy: its weights "
            "could leak individual training records through membership inference (Tip 10)."
        )
    return True, "The data are declared not sensitive."


def privacy_warnings(study: Study, *, decision: Optional[tuple[bool, str]] = None) -> list[str]:
    """The privacy warnings of this study, one plain-words sentence or two each.

    The Ethics page shows them; ``privacy.md`` and the model card carry them. ``decision``
    is the export's final ``(share, reason)`` when it differs from :func:`weights_decision`
    (no weights file to share).
    """
    share, reason = decision or weights_decision(study)
    out = []
    if study.data.sensitive is None:
        out.append("Nobody has declared whether these data are sensitive (about people, identifiable, "
                   "or under consent or a data-use agreement). Until someone does, Tenfold treats them "
                   "as sensitive. Answer on the Data page.")
    elif study.data.sensitive:
        out.append("The data are marked sensitive. Share anything derived from them only under the "
                   "terms of the consent or data-use agreement that covers the data.")
    else:
        out.append("The data are declared not sensitive. If they describe people or come under a "
                   "data-use agreement, change that answer before sharing this bundle.")
    out.append("The network was not trained with differential privacy, so it offers no formal "
               "guarantee against revealing whether a given sample was in the training data.")
    if share and study.treated_as_sensitive:
        out.append("The weights are shared although the data are treated as sensitive. Anyone with "
                   "the weights can try to tell whether a person's record was in the training data "
                   f"(membership inference). Reason given: {reason}")
    elif share:
        out.append(f"The weights are shared. {reason}")
    else:
        out.append(f"The weights are withheld. {reason}")
    if study.data.identifiers:
        out.append("Identifier columns (" + ", ".join(map(str, study.data.identifiers)) + ") are never "
                   "used as features and are dropped from predictions.csv.")
    flagged = sorted({f.values.get("column") for f in study.findings
                      if f.code == Findings.identifier_like_column.code
                      and f.values.get("column") not in (None, "", *study.data.identifiers)})
    if flagged:
        out.append("Column(s) that look like personal or sample identifiers were found: "
                   + ", ".join(map(str, flagged)) + ". Mark them as identifiers so exports drop them.")
    open_concerns = [model_card.as_dict(e) for e in study.ethics.register]
    open_concerns = [e["concern"] for e in open_concerns if e.get("status", "open") != "resolved"]
    if open_concerns:
        out.append(f"{len(open_concerns)} concern(s) in the ethics register are still open: "
                   + "; ".join(c.rstrip(". ") for c in open_concerns) + ".")
    return out


# ----- the bundle ---------------------------------------------------------------------------


def write_bundle(
    study: Study,
    out_dir,
    *,
    predictions=None,
    progress: Optional[Progress] = None,
    license: Optional[str] = None,
) -> ExportResult:
    """Write the export bundle into ``out_dir`` and record the export on the study.

    ``predictions`` is an optional pandas DataFrame (one row per sample); identifier columns
    are dropped from it. ``license`` is a Hub licence id; "other" when neither it nor the
    study sets one. The caller saves the study afterwards.
    """
    out = Path(out_dir)
    if study.folder is not None and out.resolve() == Path(study.folder).resolve():
        # Exporting into the study folder would overwrite (or, when withheld, delete) the
        # study's own model/ weights.
        raise TenfoldError("Choose an export folder other than the study folder itself, "
                           "for example a new folder named 'export' inside it.")
    out.mkdir(parents=True, exist_ok=True)
    report = progress or (lambda fraction, message: None)
    license = license or getattr(study.export, "license", "") or "other"

    share, reason = weights_decision(study)
    source = _weights_source(study)
    if share and source is None:
        share, reason = False, "The network has no trained weights to export yet."
    # The finding says why the weights are missing; drop one left by an earlier export
    # whose reason may no longer hold.
    study.findings = [f for f in study.findings if f.code != Findings.weights_withheld.code]
    if not share:
        study.add_finding(Findings.weights_withheld.raise_(reason=reason))
        # Remove weights from an earlier export first, so even a crash below leaves none behind.
        (out / "model" / "model.safetensors").unlink(missing_ok=True)
    # Recorded before the checklist is evaluated: its "versions recorded" item reads it.
    study.export.exported_at = now_iso()
    study.export.last_dir = str(out)

    result = ExportResult(out_dir=out, weights_shared=share, reason=reason)
    privacy = privacy_warnings(study, decision=(share, reason))
    card_args = dict(weights_shared=share, weights_reason=reason, privacy=privacy, license=license)

    def written(path: Path) -> None:
        result.files.append(path)

    report(0.0, "Writing the model card")
    card = model_card.model_card_json(study, **card_args)
    model_card.validate_model_card_json(card)  # before writing: a bad card must not ship
    (out / "model_card.md").write_text(model_card.render_model_card(study, **card_args), encoding="utf-8")
    written(out / "model_card.md")
    write_json_atomic(out / "model_card.json", card)
    written(out / "model_card.json")

    report(0.3, "Writing privacy warnings and metrics")
    text = _privacy_md(study, privacy, share, reason, with_predictions=predictions is not None)
    (out / "privacy.md").write_text(text, encoding="utf-8")
    written(out / "privacy.md")
    write_json_atomic(out / "metrics.json", metrics_summary(study))
    written(out / "metrics.json")
    write_json_atomic(out / "ethics_register.json", [model_card.as_dict(e) for e in study.ethics.register])
    written(out / "ethics_register.json")

    report(0.5, "Evaluating the checklist")
    write_json_atomic(out / "checklist.json", checklist_summary(study))
    written(out / "checklist.json")

    if predictions is not None:
        report(0.6, "Writing predictions")
        drop = [c for c in study.data.identifiers if c in predictions.columns]
        predictions.drop(columns=drop).to_csv(out / "predictions.csv", index=False)
        written(out / "predictions.csv")

    if share:
        report(0.7, "Copying the model weights")
        (out / "model").mkdir(exist_ok=True)
        # A byte copy, not a reload: what ships is exactly what the study trained.
        shutil.copyfile(source, out / "model" / "model.safetensors")
        written(out / "model" / "model.safetensors")
        write_json_atomic(out / "model" / "config.json", model_config(study))
        written(out / "model" / "config.json")

    report(0.8, "Writing the report")
    from guiapp.core.report import write_report  # imports this module: load it only here

    written(write_report(study, out, privacy=privacy))
    _remove_stale(out, result.files)
    report(0.9, "Writing the manifest")
    write_json_atomic(out / "manifest.json", manifest(study, out, files=result.files))
    written(out / "manifest.json")
    report(1.0, f"Exported to {out}")
    return result


def _weights_source(study: Study) -> Optional[Path]:
    if not study.train.weights or study.folder is None:
        return None
    path = study.path(study.train.weights)
    return path if path.is_file() else None


def _remove_stale(out: Path, keep: list) -> None:
    keep = {Path(p).resolve() for p in keep}
    for name in BUNDLE_FILES:
        path = out / name
        if name != "manifest.json" and path.is_file() and path.resolve() not in keep:
            path.unlink()
    model_dir = out / "model"
    if model_dir.is_dir() and not any(model_dir.iterdir()):
        model_dir.rmdir()


def _privacy_md(study: Study, warnings: list[str], share: bool, reason: str, with_predictions: bool) -> str:
    lines = [f"# Privacy warnings — {model_card.model_name(study)}", "",
             f"Data sensitivity: **{model_card.sensitivity_text(study)}**.", "",
             f"Model weights: **{'shared' if share else 'withheld'}**. {reason}", "",
             "## What to know before sharing this bundle", ""]
    lines += [f"- {w}" for w in warnings]
    bundle = ["The model card, metrics.json and checklist.json hold only summary numbers, no "
              "individual records.",
              "manifest.json records the data file's path and SHA-256 hash: the hash identifies the "
              "file without revealing its content, but the path may name a person, a project or a "
              "server."]
    if with_predictions:
        bundle.append("predictions.csv holds one row per sample. Together with the original data it "
                      "can be linked back to individuals: share it only under the terms that cover the data.")
    lines += ["", "## What this bundle contains", ""] + [f"- {b}" for b in bundle]
    return "\n".join(lines) + "\n"


# ----- JSON documents -----------------------------------------------------------------------


def metrics_summary(study: Study) -> dict:
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
        "training": {
            "epochs_run": len(history),
            "max_epochs": train.max_epochs,
            "best_epoch": train.best_epoch,
            "best": best,
            "last": history[-1] if history else None,
            "seconds": train.seconds,
            "device_used": train.device_used,
            "status": train.status,
            "history": history,
        },
        "findings": [f.to_dict() for f in study.findings],
    }


def checklist_summary(study: Study) -> dict:
    """The content of ``checklist.json``: the items as the checklist panel shows them, and counts."""
    from guiapp.core import checklist

    items = checklist.evaluate_checklist(study)
    return {"items": items, "summary": checklist.summary(items)}


def model_config(study: Study) -> dict:
    """``model/config.json``: what is needed to rebuild the network around the weights."""
    return {
        "architecture": dataclasses.asdict(study.architecture),
        "task": study.question.task,
        "label": study.data.label,
        "feature_columns": list(study.data.feature_columns),
        "classes": list(study.data.classes),
        "preprocessing": ("Missing values filled with the training-split median and features "
                          "standardised with training-split statistics; fit them on the training "
                          "split again (see manifest.json) before predicting."),
        "format": "safetensors",
        "tenfold_version": __version__,
    }


def manifest(study: Study, out_dir, *, files: list = ()) -> dict:
    """``manifest.json``: what a rerun needs to get the same result, and what was written."""
    spec = study.to_dict()
    for key in ("train_idx", "tune_idx", "test_idx"):
        # Thousands of indices add nothing a reader needs; test_hash pins the test set.
        spec["split"].pop(key, None)
    return {
        "created": now_iso(),
        "tenfold_version": __version__,
        "versions": _versions(),
        "device": {"requested": study.train.device, "used": study.train.device_used,
                   "name": study.train.device_name, "memory_gb": study.train.device_memory_gb,
                   "batch_size": study.train.batch_size_used or study.train.batch_size,
                   "mixed_precision": study.train.mixed_precision},
        "seeds": {"split": study.split.seed, "train": study.train.seed},
        "deterministic": study.train.deterministic,
        "data": {**dataclasses.asdict(study.data.provenance), "builtin": study.data.builtin},
        "test_hash": study.split.test_hash,
        # Hashes of the other bundle files, so a reader can tell the bundle was not altered.
        "files": [{"path": Path(p).relative_to(out_dir).as_posix(), "sha256": _sha256(p)} for p in files],
        "spec": spec,
    }


def _sha256(path) -> str:
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _versions() -> dict:
    # importlib.metadata instead of importing: torch alone takes seconds to import.
    versions = {"python": sys.version.split()[0], "tenfold": __version__,
                "platform": platform.platform(), "machine": platform.machine()}
    for name, dist in (("torch", "torch"), ("numpy", "numpy"), ("pandas", "pandas"),
                       ("sklearn", "scikit-learn"), ("safetensors", "safetensors")):
        try:
            versions[name] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[name] = None
    if "torch" in sys.modules:  # already loaded by training: CUDA, cuDNN and driver are worth recording
        from guiapp.core.devices import runtime_versions

        versions.update({k: v for k, v in runtime_versions().items()
                         if k in ("cuda", "cudnn", "gpu", "driver")})
    return versions
