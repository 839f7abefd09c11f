"""Write a study's export bundle: model card, privacy warnings, metrics, manifest, checklist, model.

The bundle is what leaves the lab, so the privacy rules apply here: the sharing policy of
:mod:`guiapp.core.export.sharing` decides which models may go with it (Tip 10), and its warnings say
in plain words what the bundle reveals. ``report.html`` is written by the report module.
Models leave only in formats that load without unpickling: safetensors for the networks,
skops for the kNN baseline (see :mod:`guiapp.core.export.open_bundle`).
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from guiapp.core.export import atomic_bundle, model_card
from guiapp.core.export import report as html_report
from guiapp.core.export.atomic_bundle import withdraw_models
from guiapp.core.export.bundle_files import (
    CONFIG_FILE,
    DP_FILE,
    KNN_FILE,
    NETWORK_FILE,
    ONNX_DP_FILE,
    ONNX_FILE,
)
from guiapp.core.export.bundle_json import checklist_summary, manifest, metrics_summary, model_config
from guiapp.core.export.leaving import drop_from_export
from guiapp.core.export.onnx_export import export_network, require_onnx
from guiapp.core.export.sharing import SharingPlan, privacy_markdown, sharing_plan
from guiapp.core.export.sharing import privacy_warnings as privacy_warnings  # public here too
from guiapp.core.export.sharing import weights_decision as weights_decision  # public here too
from guiapp.core.models.network import load_trained_model
from guiapp.core.privacy.dp import load_dp_model
from guiapp.core.privacy.ethics import sync_register
from guiapp.core.study.findings import Findings
from guiapp.core.study.model import Study, now_iso, write_json_atomic
from guiapp.core.study.places import check_apart
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext


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
    license: str | None = None,
    onnx: bool | None = None,
    ctx: TaskContext = NO_CONTEXT,
) -> ExportResult:
    """Write the export bundle into ``out_dir`` and record the export on the study.

    ``predictions`` is an optional pandas DataFrame (one row per sample); identifier columns
    are dropped from it. ``license`` is a Hub licence id; "other" when neither it nor the
    study sets one. The caller saves the study afterwards. ``onnx`` (default: the study's export setting) also writes each shared
    network as ONNX beside its safetensors.
    """
    with_onnx = study.export.onnx if onnx is None else bool(onnx)
    if with_onnx:
        require_onnx()  # before anything is written: a bundle without the asked-for file is no bundle

    out = Path(out_dir)

    # The bundle is shared; the study folder (checkpoints, tuning database, data) is not.
    check_apart(out, study.folder)

    # Everything is written into a staging folder beside ``out`` and moved into place only when
    # complete, manifest last: a failed export (a full disk, a crash) leaves the previous bundle
    # as it was, or none; never a card that disagrees with its manifest.
    before = (dataclasses.replace(study.export), list(study.findings))
    try:
        with atomic_bundle.staged(out, estimate=lambda: _bundle_bytes(study)) as stage:
            result = _write_bundle_into(
                study,
                stage,
                out,
                predictions=predictions,
                ctx=ctx,
                license=license,
                with_onnx=with_onnx,
            )
            atomic_bundle.write_manifest_sha(stage, result)
    except BaseException:
        study.export, study.findings = before  # a failed export is not recorded as one
        raise
    result.files = [out / Path(p).relative_to(stage) for p in result.files]
    study.export.manifest_sha256 = result.manifest_sha256
    ctx.report(1.0, f"Exported to {out}")
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
    study: Study, out: Path, final: Path, *, predictions, license, with_onnx: bool, ctx: TaskContext = NO_CONTEXT
) -> ExportResult:
    """Write every bundle file into ``out`` (the staging folder); ``final`` is where it will live."""

    def report(fraction: float, message: str) -> None:
        ctx.check()  # a stop between two files: the staging folder goes, the previous bundle stays
        ctx.report(fraction, message)

    license = license or getattr(study.export, "license", "") or "other"
    sync_register(study)  # findings that are ethical concerns are in the register before the card

    plan, sources = _final_plan(study)
    share, reason = plan.any_weights, plan.reason
    shipped = {NETWORK_FILE: plan.network, DP_FILE: plan.dp, KNN_FILE: plan.knn}
    # The finding says why the weights are missing; drop one left by an earlier export
    # whose reason may no longer hold.
    study.findings = [f for f in study.findings if f.code != Findings.weights_withheld.code]
    if not plan.network:
        study.add_finding(Findings.weights_withheld.raise_(reason=reason))

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
        ctx.check()

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
        # Whoever built the table, no personal or identifier column leaves in it.
        predictions.drop(columns=drop_from_export(study, predictions)).to_csv(out / "predictions.csv", index=False)
        written(out / "predictions.csv")

    if any(shipped.values()):
        report(0.7, "Copying the models")
        _write_models(study, out, plan, sources, written, with_onnx=with_onnx)

    report(0.8, "Writing the report")
    written(html_report.write_report(study, out, privacy=privacy))
    report(0.9, "Writing the manifest")
    write_json_atomic(out / "manifest.json", manifest(study, out, files=result.files))
    written(out / "manifest.json")
    return result


def _final_plan(study: Study) -> tuple[SharingPlan, dict]:
    """The sharing plan, less any model the study has no file for, and the models' files."""
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
    return plan, sources


def _write_models(
    study: Study, out: Path, plan: SharingPlan, sources: dict, written: Callable[[Path], None], *, with_onnx: bool
) -> None:
    """The models that ship, their ONNX copies when asked for, and model/config.json."""
    (out / "model").mkdir(exist_ok=True)
    shipped = {NETWORK_FILE: plan.network, DP_FILE: plan.dp, KNN_FILE: plan.knn}
    for name, ships in shipped.items():
        if ships:
            # A byte copy, not a reload: what ships is exactly what the study trained.
            shutil.copyfile(sources[name], out / name)
            written(out / name)
    onnx_files = _write_onnx(study, out, plan, written) if with_onnx else None
    write_json_atomic(out / CONFIG_FILE, model_config(study, plan, onnx_files=onnx_files))
    written(out / CONFIG_FILE)


def _write_onnx(study: Study, out: Path, plan: SharingPlan, written) -> dict:
    """Each shared network as ONNX; ``{kind: file name}`` for config.json."""
    files = {}
    for kind, ships, name in (("network", plan.network, ONNX_FILE), ("dp_network", plan.dp, ONNX_DP_FILE)):
        if not ships:
            continue
        if kind == "network":
            model = load_trained_model(study)
        else:
            model = load_dp_model(study)
        written(export_network(model, out / name, n_features=len(study.data.feature_columns), task=study.question.task))
        files[kind] = Path(name).name
    return files


def _study_file(study: Study, relative: str) -> Path | None:
    if not relative or study.folder is None:
        return None
    path = study.path(relative)
    return path if path.is_file() else None
