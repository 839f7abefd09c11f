"""Data in (Tip 4): read any supported data into one table, record where it came from, profile it.

This module ties the readers together and is what pages, the CLI and the pipeline call:
:func:`load_dataset` (:mod:`guiapp.core.data.loading`) reads a table, an AnnData file, an
image folder or a FASTA file into one table of one sample per row (turning genes × samples
tables and joining a sample sheet); :func:`attach_data`, given an :class:`AttachRequest`,
also hashes, scans for personal identifiers, settles the column roles
(:mod:`guiapp.core.data.attach_roles`), applies the missing-value choice, profiles, and
records it all in the study; :func:`reload_table` reads it again after reopening;
:func:`model_frame` (:mod:`guiapp.core.data.frame`) hands the later steps their numbers. Every problem is a named :class:`DataError` (:mod:`guiapp.core.data.errors`).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from guiapp.core.data import errors as E
from guiapp.core.data import roles as R
from guiapp.core.data.attach_findings import MIN_STUDY_SAMPLES, loading_findings, too_few_samples_finding  # noqa: F401
from guiapp.core.data.attach_roles import apply_missing_choice, check_sample_ids, final_roles, profile_roles
from guiapp.core.data.frame import model_frame, streamed_source  # noqa: F401  (kept importable from here)
from guiapp.core.data.leaks import leak_findings
from guiapp.core.data.loading import MODALITIES, LoadedData, load_dataset  # noqa: F401
from guiapp.core.data.missing import MISSING_CHOICES, apply_missing, fill_most_frequent  # noqa: F401
from guiapp.core.data.pii import pii_findings, scan_pii, scan_record
from guiapp.core.data.profile import DataProfile, check_group, profile_table  # noqa: F401  (check_group: kept importable)
from guiapp.core.data.provenance import file_provenance
from guiapp.core.data.readers import (  # noqa: F401  (kept importable from here)
    TABLE_SUFFIXES,
    check_path,
    check_shape,
    file_format,
    modality_of,
    read_table,
)
from guiapp.core.data.streaming import StreamedRows
from guiapp.core.data.transform import LOG1P, columns_from_spec, log1p_columns, set_log1p, suggest_log1p
from guiapp.core.study.errors import DataError  # noqa: F401  (imported from here by callers)
from guiapp.core.study.model import Provenance, Study, now_iso
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext
from guiapp.core.study.vocabulary import MissingStrategy


@dataclass
class AttachRequest:
    """What to load into a study and how: the file, the columns chosen, and what the user says of it.

    ``label`` is the column the model predicts; ``batch`` the run, plate or lane; ``group``
    the column whose samples belong together (donor, patient, animal, cell line): never a
    feature, and the group split keeps each group in one part. ``identifiers`` name samples
    and are never features. ``sensitive`` None leaves the sensitivity undeclared (a finding).
    ``source``, ``version``, ``downloaded``, ``accession`` and ``url`` are the provenance the
    user gives. ``samples`` is a sample sheet joined by ``sample_id``; its columns are metadata
    (role ignore) unless listed in ``sheet_features`` or set to feature in ``roles``: lanes,
    read counts and file names must not become features. ``transposed`` None turns a table
    that looks like genes × samples; True or False decide. ``roles`` are the user's edits of
    the suggested column roles; ``missing`` is one of :data:`MISSING_CHOICES`. ``options`` are
    how to read the file (modality, sheet, image size and colour, sequence length…);
    ``subgroups`` the columns whose results are reported per group.
    """

    path: os.PathLike | str
    label: str
    batch: str = ""
    group: str = ""
    identifiers: list | None = None
    sensitive: bool | None = None
    source: str = ""
    version: str = ""
    downloaded: str = ""
    accession: str = ""
    url: str = ""
    samples: str = ""
    sample_id: str = ""
    transposed: bool | None = None
    roles: dict | None = None
    missing: MissingStrategy = "median"
    options: dict | None = None
    subgroups: list | None = None
    sheet_features: list | None = None

    def chosen_columns(self) -> tuple[str, str, str]:
        """The label, batch and group columns: as named, else as given a role in ``roles``."""
        chosen = {r: c for c, r in (self.roles or {}).items() if r in ("label", "batch", "group")}
        return (
            self.label or chosen.get("label", ""),
            self.batch or chosen.get("batch", ""),
            self.group or chosen.get("group", ""),
        )


def attach_data(
    study: Study,
    request: AttachRequest,
    *,
    ctx: TaskContext = NO_CONTEXT,
) -> DataProfile:
    """Load data into the study: read, hash, scan, profile, and record it all (Tip 4).

    ``request`` says what to load and how (:class:`AttachRequest`). Nothing in the study
    changes unless everything succeeds.
    """
    path = Path(request.path)
    label, batch, group = request.chosen_columns()
    ctx.report(0.0, f"Reading {path.name}")
    loaded = _load(study, request, label, ctx=ctx.sub(0, 0.4))
    table = loaded.table
    loader_ids = [c for c in loaded.id_columns if c in table.columns]
    identifiers = list(dict.fromkeys(list(request.identifiers or []) + loader_ids))
    ctx.check()
    provenance, sheet_info = _provenance(request, path, loaded, ctx=ctx.sub(0.4, 0.5))
    ctx.report(0.5, "Looking for personal identifiers")
    loader_features = loaded.loader_features()
    hits, pii_scan = _scan_pii(table, loader_features)
    final, set_aside = final_roles(
        table,
        loaded,
        columns=(label, batch, group),
        identifiers=identifiers,
        edited=request.roles,
        subgroups=request.subgroups,
        sheet_features=request.sheet_features,
        pii_columns=[h.column for h in hits],
        loader_features=loader_features,
    )
    check_sample_ids(table, final, request.sample_id, group, path.name)
    table, dropped = apply_missing_choice(table, final, label, request.missing)
    roles_seen, declared_ids = profile_roles(table, final, identifiers, request.roles)
    streamed = (StreamedRows(loaded.streamed), loaded.streamed_names) if loaded.streamed is not None else None
    profile = profile_table(
        table,
        label,
        task=study.question.task,
        batch=batch,
        identifiers=declared_ids,
        file_name=path.name,
        group=group,
        roles=roles_seen,
        missing=request.missing,
        streamed=streamed,
        ctx=ctx.sub(0.55, 1.0),
    )
    findings = list(profile.findings) + pii_findings(hits, group=group)
    findings += loading_findings(
        study, profile, loaded, n_rows=len(table), set_aside=set_aside, dropped=dropped, sensitive=request.sensitive
    )
    d = study.data
    d.label, d.batch, d.sensitive, d.provenance = label, batch, request.sensitive, provenance
    d.group = group
    d.identifiers = sorted(set(declared_ids) | set(profile.identifier_columns))
    for col in profile.identifier_columns:
        final[col] = "identifier"
    _record_profile(study, profile, loaded, request, final, dropped)
    d.sample_sheet, d.pii, d.pii_scan = sheet_info, [h.to_dict() for h in hits], pii_scan
    _record_subgroups(study, request, final, table)
    d.profile = profile.summary()
    _offer_log1p(study, table, streamed is None)
    study.table = table
    # A feature that gives the label away, found before any split or model (Tip 7).
    if profile.n_samples >= MIN_STUDY_SAMPLES:  # below, there is no study to leak into (too-few-samples)
        ctx.report(0.98, "Looking for features that give the label away")
        findings += leak_findings(study)
    study.set_findings("data", findings)
    return profile


def _load(study: Study, request: AttachRequest, label: str, *, ctx: TaskContext = NO_CONTEXT) -> LoadedData:
    """The request's data read into one table; streamed images are cached in the study folder."""
    return load_dataset(
        Path(request.path),
        label=label,
        samples=request.samples,
        sample_id=request.sample_id,
        transposed=request.transposed,
        options={**(request.options or {}), "cache_dir": _cache_dir(study)},
        ctx=ctx,
    )


def _scan_pii(table: pd.DataFrame, loader_features: set) -> tuple[list, dict]:
    """Personal identifiers in the table's columns (not the pixels or letters), and the scan's record."""
    scanned = [c for c in table.columns if c not in loader_features] if loader_features else None
    hits = scan_pii(table, columns=scanned)
    return hits, scan_record(table, hits, columns=scanned, when=now_iso())


def _provenance(
    request: AttachRequest, path: Path, loaded: LoadedData, *, ctx: TaskContext = NO_CONTEXT
) -> tuple[Provenance, dict]:
    """The data file's provenance (hashed), and the joined sample sheet's record."""
    provenance = file_provenance(
        path,
        source=request.source,
        version=request.version,
        downloaded=request.downloaded,
        accession=request.accession,
        url=request.url,
        ctx=ctx,
    )
    sheet_info: dict = {}
    if loaded.sheet is not None:
        sheet_info = {"provenance": file_provenance(loaded.sheet.sheet).__dict__, **loaded.sheet.to_dict()}
    return provenance, sheet_info


def _record_profile(
    study: Study, profile: DataProfile, loaded: LoadedData, request: AttachRequest, final: dict, dropped: dict
) -> None:
    """What the profile and the loader found, as the study's data record."""
    d = study.data
    rep = loaded.sheet
    d.n_samples, d.n_features = profile.n_samples, profile.n_features
    d.feature_columns, d.classes, d.class_counts = profile.feature_columns, profile.classes, profile.class_counts
    d.modality, d.input_shape = loaded.modality, list(loaded.input_shape)
    d.transposed, d.sample_id = loaded.transposed, request.sample_id
    d.samples = str(request.samples or (rep.sheet if rep else ""))
    d.roles, d.missing, d.dropped = final, request.missing, dropped
    d.options = loaded.options


def _record_subgroups(study: Study, request: AttachRequest, final: dict, table: pd.DataFrame) -> None:
    """The subgroups: those asked for (a numeric one may stay a feature) and the subgroup roles."""
    d = study.data
    if request.subgroups is not None:
        asked = list(request.subgroups)
    else:
        asked = [] if request.roles is not None else list(d.subgroups)
    d.subgroups = [c for c in dict.fromkeys(asked + R.columns_with(final, "subgroup")) if c in table.columns]


def _offer_log1p(study: Study, table: pd.DataFrame, in_memory: bool) -> None:
    """Keep the log transform on the columns that are still features; offer it on those that look
    like counts or intensities (the Data page's control, :mod:`guiapp.core.data.transform`)."""
    d = study.data
    kept = [c for c in log1p_columns(d.transform) if c in d.feature_columns]
    d.transform = {LOG1P: kept} if kept else {}
    in_table = d.modality == "table" and in_memory  # streamed features are not in the table
    suggested = suggest_log1p(table, d.feature_columns, kept) if in_table else []
    if not suggested and in_table and d.profile.get("scale") in ("counts", "wide"):
        # The profile's words advise a log transform for the table as a whole: offer it on every
        # feature it can take (never negative), so the advice comes with its control.
        suggested = suggest_log1p(table, d.feature_columns, kept, every_nonnegative=True)
    d.profile["log1p_suggested"] = suggested


def _cache_dir(study: Study) -> str:
    """Where streamed images are cached: the study folder's ``cache/``, or a temporary folder."""
    if study.folder is not None:
        return str(study.path("cache"))
    return str(Path(tempfile.gettempdir()) / "tenfold-cache")


def attach_from_spec(study: Study, data_spec: dict, *, ctx: TaskContext = NO_CONTEXT) -> DataProfile:
    """:func:`attach_data` with the keys of a spec's ``[data]`` table, then its ``transform``."""
    profile = _attach_from_spec(study, data_spec, ctx=ctx)
    set_log1p(study, columns_from_spec(data_spec.get("transform"), study.data.feature_columns))
    return profile


def _attach_from_spec(study: Study, data_spec: dict, *, ctx: TaskContext = NO_CONTEXT) -> DataProfile:
    d = data_spec
    options = {
        k: d[k]
        for k in (
            "modality",
            "sheet",
            "image_size",
            "colour",
            "sequence_length",
            "alphabet",
            "crop",
            "sheet_id",
            "samples_id_match",
        )
        if k in d
    }
    request = AttachRequest(
        d["path"],
        label=d["label"],
        batch=d.get("batch", ""),
        group=d.get("group", ""),
        identifiers=d.get("identifiers", []),
        sensitive=d.get("sensitive"),
        source=d.get("source", ""),
        version=d.get("version", ""),
        downloaded=d.get("downloaded", ""),
        accession=d.get("accession", ""),
        url=d.get("url", ""),
        samples=d.get("samples", ""),
        sample_id=d.get("sample_id", ""),
        transposed=d.get("transposed"),
        roles=d.get("roles"),
        missing=d.get("missing", "median"),
        subgroups=d.get("subgroups"),
        options=options,
        sheet_features=d.get("sheet_features"),
    )
    return attach_data(study, request, ctx=ctx)


def reload_table(study: Study, *, ctx: TaskContext = NO_CONTEXT) -> pd.DataFrame:
    """Read the study's data again (after reopening), and refuse if a file changed."""
    d = study.data
    prov = d.provenance
    if not prov.path:
        raise DataError("This study has no data file yet: load one on the Data page.")
    path = Path(prov.path)
    check_path(path, folder_ok=True)
    now = file_provenance(path, ctx=ctx.sub(0, 0.3))
    if prov.sha256 and now.sha256 != prov.sha256:
        raise E.FileChangedError(
            f"{path} has changed since it was loaded into this study (its SHA-256 differs). "
            "Results would no longer match the data: load the file again on the Data page "
            "(the later steps will be redone), or restore the original file."
        )
    sheet_sha = (d.sample_sheet.get("provenance") or {}).get("sha256")
    if d.samples and sheet_sha and Path(d.samples).exists() and file_provenance(d.samples).sha256 != sheet_sha:
        raise E.FileChangedError(
            f"The sample sheet {d.samples} has changed since it was loaded (its SHA-256 differs). Load the "
            "data again on the Data page, or restore the original sheet."
        )
    options = {**d.options, "cache_dir": _cache_dir(study)} if d.options.get("stream") else d.options
    loaded = load_dataset(
        path,
        label=d.label,
        samples=d.samples,
        sample_id=d.sample_id,
        transposed=bool(d.transposed),
        options=options,
        ctx=ctx.sub(0.3, 1.0),
    )
    table = loaded.table
    if d.missing == "drop-rows" and d.feature_columns:
        table, _, _ = apply_missing(table, [c for c in d.feature_columns if c in table.columns], "drop-rows")
    study.table = table
    return table
