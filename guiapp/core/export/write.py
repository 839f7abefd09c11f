"""Write a study's export bundle: model card, privacy warnings, metrics, manifest, checklist, model.

The bundle is what leaves the lab, so the privacy rules apply here: the sharing policy of
:mod:`guiapp.core.export.sharing` decides which models may go with it (Tip 10), and its warnings say
in plain words what the bundle reveals. ``report.html`` is written by the report module.
Models leave only in formats that load without unpickling: safetensors for the networks,
skops for the kNN baseline (see :mod:`guiapp.core.export.open_bundle`).
"""

from __future__ import annotations

import dataclasses
import platform
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from guiapp import __version__
from guiapp.core.export import model_card
from guiapp.core.export.sharing import (
    SharingPlan,
    privacy_markdown,
    privacy_warnings,  # noqa: F401 (public here)
    sharing_plan,
)
from guiapp.core.study.findings import Findings
from guiapp.core.study.model import Study, now_iso, write_json_atomic

Progress = Callable[[float, str], None]

NETWORK_FILE, DP_FILE, KNN_FILE, CONFIG_FILE = (
    "model/model.safetensors",
    "model/model_dp.safetensors",
    "model/knn_baseline.skops",
    "model/config.json",
)
# The networks again as ONNX, when the export asks for it (guiapp.core.export.onnx_export).
ONNX_FILE, ONNX_DP_FILE = "model/model.onnx", "model/model_dp.onnx"
# Every file this module may write; a re-export into the same folder removes the ones it
# does not write this time, so a model shared yesterday cannot linger after it is withheld today.
BUNDLE_FILES = (
    "model_card.md",
    "model_card.json",
    "privacy.md",
    "report.html",
    "metrics.json",
    "manifest.json",
    "checklist.json",
    "ethics_register.json",
    "predictions.csv",
    NETWORK_FILE,
    DP_FILE,
    KNN_FILE,
    CONFIG_FILE,
    ONNX_FILE,
    ONNX_DP_FILE,
)


@dataclass
class ExportResult:
    out_dir: Path
    files: list = field(default_factory=list)  # of Path, in the order written
    weights_shared: bool = False  # network weights (ordinary or DP-trained) are in the bundle
    reason: str = ""  # why the weights were shared or withheld, as the card says it
    network_shared: bool = False  # the ordinary network's weights
    dp_shared: bool = False
    knn_shared: bool = False
    manifest_sha256: str = ""  # of manifest.json itself: publish it so recipients can check the bundle


# ----- the bundle ---------------------------------------------------------------------------


def write_bundle(
    study: Study,
    out_dir,
    *,
    predictions=None,
    progress: Progress | None = None,
    license: str | None = None,
    onnx: bool | None = None,
) -> ExportResult:
    """Write the export bundle into ``out_dir`` and record the export on the study.

    ``predictions`` is an optional pandas DataFrame (one row per sample); identifier columns
    are dropped from it. ``license`` is a Hub licence id; "other" when neither it nor the
    study sets one. The caller saves the study afterwards. ``onnx`` (default: the study's export setting) also writes each shared
    network as ONNX beside its safetensors.
    """
    with_onnx = study.export.onnx if onnx is None else bool(onnx)
    if with_onnx:
        from guiapp.core.export.onnx_export import require_onnx

        require_onnx()  # before anything is written: a bundle without the asked-for file is no bundle

    out = Path(out_dir)
    from guiapp.core.study.places import check_apart

    # The bundle is shared; the study folder (checkpoints, tuning database, data) is not.
    check_apart(out, study.folder)
    from guiapp.core.export import atomic_bundle

    # Everything is written into a staging folder beside ``out`` and moved into place only when
    # complete, manifest last: a failed export (a full disk, a crash) leaves the previous bundle
    # as it was, or none; never a card that disagrees with its manifest.
    before = (dataclasses.replace(study.export), list(study.findings))
    try:
        with atomic_bundle.staged(out, estimate=lambda: _bundle_bytes(study)) as stage:
            result = _write_bundle_into(
                study, stage, out, predictions=predictions, progress=progress, license=license, with_onnx=with_onnx
            )
            atomic_bundle.write_manifest_sha(stage, result)
    except BaseException:
        study.export, study.findings = before  # a failed export is not recorded as one
        raise
    result.files = [out / Path(p).relative_to(stage) for p in result.files]
    study.export.manifest_sha256 = result.manifest_sha256
    (progress or (lambda fraction, message: None))(1.0, f"Exported to {out}")
    return result


def _bundle_bytes(study: Study) -> int:
    """About how many bytes a bundle of this study takes: its model files plus the documents."""
    total = 2 << 20  # card, report with its plots, metrics, predictions
    for relative in (
        study.train.weights,
        (study.ethics.dp or {}).get("weights", ""),
        (study.ethics.membership or {}).get("knn_file", ""),
    ):
        path = _study_file(study, relative)
        if path is not None:
            total += path.stat().st_size * (2 if study.export.onnx else 1)
    return total


def _write_bundle_into(
    study: Study, out: Path, final: Path, *, predictions, progress, license, with_onnx: bool
) -> ExportResult:
    """Write every bundle file into ``out`` (the staging folder); ``final`` is where it will live."""
    from guiapp.core.privacy.ethics import sync_register

    report = progress or (lambda fraction, message: None)
    license = license or getattr(study.export, "license", "") or "other"
    sync_register(study)  # findings that are ethical concerns are in the register before the card

    plan = sharing_plan(study)
    sources = {
        NETWORK_FILE: _study_file(study, study.train.weights),
        DP_FILE: _study_file(study, (study.ethics.dp or {}).get("weights", "")),
        KNN_FILE: _study_file(study, (study.ethics.membership or {}).get("knn_file", "")),
    }
    if plan.network and sources[NETWORK_FILE] is None:
        plan = dataclasses.replace(plan, network=False, reason="The network has no trained weights to export yet.")
    plan = dataclasses.replace(
        plan, dp=plan.dp and sources[DP_FILE] is not None, knn=plan.knn and sources[KNN_FILE] is not None
    )
    share, reason = plan.any_weights, plan.reason
    shipped = {NETWORK_FILE: plan.network, DP_FILE: plan.dp, KNN_FILE: plan.knn}
    # The finding says why the weights are missing; drop one left by an earlier export
    # whose reason may no longer hold.
    study.findings = [f for f in study.findings if f.code != Findings.weights_withheld.code]
    if not plan.network:
        study.add_finding(Findings.weights_withheld.raise_(reason=reason))
    from guiapp.core.export.atomic_bundle import withdraw_models

    # A model withheld now leaves an earlier bundle at once, so even a failed export below
    # leaves none behind (that earlier bundle then is no bundle: its manifest goes too).
    withdraw_models(final, [name for name, ships in shipped.items() if not ships])
    # Recorded before the checklist is evaluated: its "versions recorded" item reads it.
    study.export.exported_at = now_iso()
    study.export.last_dir = str(final)

    result = ExportResult(
        out_dir=final,
        weights_shared=share,
        reason=reason,
        network_shared=plan.network,
        dp_shared=plan.dp,
        knn_shared=plan.knn,
    )
    privacy = privacy_warnings(study, plan=plan)
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
    text = privacy_markdown(study, privacy, plan, with_predictions=predictions is not None)
    (out / "privacy.md").write_text(text, encoding="utf-8")
    written(out / "privacy.md")
    write_json_atomic(out / "metrics.json", metrics_summary(study, plan))
    written(out / "metrics.json")
    write_json_atomic(out / "ethics_register.json", [model_card.as_dict(e) for e in study.ethics.register])
    written(out / "ethics_register.json")

    report(0.5, "Evaluating the checklist")
    write_json_atomic(out / "checklist.json", checklist_summary(study))
    written(out / "checklist.json")

    if predictions is not None:
        report(0.6, "Writing predictions")
        from guiapp.core.export.leaving import drop_from_export

        # Whoever built the table, no personal or identifier column leaves in it.
        predictions.drop(columns=drop_from_export(study, predictions)).to_csv(out / "predictions.csv", index=False)
        written(out / "predictions.csv")

    if any(shipped.values()):
        report(0.7, "Copying the models")
        (out / "model").mkdir(exist_ok=True)
        for name, ships in shipped.items():
            if ships:
                # A byte copy, not a reload: what ships is exactly what the study trained.
                shutil.copyfile(sources[name], out / name)
                written(out / name)
        onnx_files = _write_onnx(study, out, plan, written) if with_onnx else None
        write_json_atomic(out / CONFIG_FILE, model_config(study, plan, onnx_files=onnx_files))
        written(out / CONFIG_FILE)

    report(0.8, "Writing the report")
    from guiapp.core.export.report import write_report  # imports this module: load it only here

    written(write_report(study, out, privacy=privacy))
    report(0.9, "Writing the manifest")
    write_json_atomic(out / "manifest.json", manifest(study, out, files=result.files))
    written(out / "manifest.json")
    return result


def _write_onnx(study: Study, out: Path, plan: SharingPlan, written) -> dict:
    """Each shared network as ONNX; ``{kind: file name}`` for config.json."""
    from guiapp.core.export.onnx_export import export_network

    files = {}
    for kind, ships, name in (("network", plan.network, ONNX_FILE), ("dp_network", plan.dp, ONNX_DP_FILE)):
        if not ships:
            continue
        if kind == "network":
            from guiapp.core.models.network import load_trained_model

            model = load_trained_model(study)
        else:
            from guiapp.core.privacy.dp import load_dp_model

            model = load_dp_model(study)
        written(export_network(model, out / name, n_features=len(study.data.feature_columns), task=study.question.task))
        files[kind] = Path(name).name
    return files


def _study_file(study: Study, relative: str) -> Path | None:
    if not relative or study.folder is None:
        return None
    path = study.path(relative)
    return path if path.is_file() else None


# ----- JSON documents -----------------------------------------------------------------------


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
    from guiapp.core.evaluation.external_results import (
        metrics_section,
    )  # external cohorts, the estimate, the new criteria

    return metrics_section(study)


def _evaluation_summary(study: Study) -> dict:
    """Threshold, per-group results, the scoreboard with its measurements, and the interpretation."""
    from guiapp.core.evaluation.guards import guard_texts
    from guiapp.core.evaluation.scoreboard import scoreboard

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
    from guiapp.core.guidance import checklist

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
    from guiapp.core.export.onnx_export import config_entry

    return config_entry(study.question.task, files)


def manifest(study: Study, out_dir, *, files: list = ()) -> dict:
    """``manifest.json``: what a rerun needs to get the same result, and what was written."""
    spec = study.to_dict()
    for key in ("train_idx", "tune_idx", "test_idx"):
        # Thousands of indices add nothing a reader needs; test_hash pins the test set.
        spec["split"].pop(key, None)
    maps = spec.get("interpret", {}).get("maps") or {}
    if maps.get("examples"):
        # Example images and sequences are samples' data, not settings: they stay in the study.
        spec["interpret"]["maps"] = {k: v for k, v in maps.items() if k != "examples"}
    from guiapp.core.models.tuning import redact

    # A database URL may carry its password; the bundle never does.
    spec["tuning"]["storage"] = redact(spec["tuning"].get("storage", ""))
    return {
        "created": now_iso(),
        "tenfold_version": __version__,
        "versions": _versions(),
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
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _versions() -> dict:
    # importlib.metadata instead of importing: torch alone takes seconds to import.
    versions = {
        "python": sys.version.split()[0],
        "tenfold": __version__,
        "platform": platform.platform(),
        "machine": platform.machine(),
    }
    for name, dist in (
        ("torch", "torch"),
        ("numpy", "numpy"),
        ("pandas", "pandas"),
        ("sklearn", "scikit-learn"),
        ("safetensors", "safetensors"),
    ):
        try:
            versions[name] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[name] = None
    if "torch" in sys.modules:  # already loaded by training: CUDA, cuDNN and driver are worth recording
        from guiapp.core.models.devices import runtime_versions

        versions.update({k: v for k, v in runtime_versions().items() if k in ("cuda", "cudnn", "gpu", "driver")})
    return versions
