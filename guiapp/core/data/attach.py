"""Data in (Tip 4): read any supported data into one table, record where it came from, profile it.

This module ties the readers together and is what pages, the CLI and the pipeline call:
:func:`load_dataset` reads a table, an AnnData file, an image folder or a FASTA file into
one table of one sample per row (turning genes × samples tables and joining a sample
sheet); :func:`attach_data` also hashes, scans for personal identifiers, suggests column
roles, applies the missing-value choice, profiles, and records it all in the study;
:func:`reload_table` reads it again after reopening; :func:`model_frame` hands the later
steps their numbers. Every problem is a named :class:`DataError` (:mod:`guiapp.core.data.errors`).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from guiapp.core.data import errors as E
from guiapp.core.data.missing import MISSING_CHOICES, apply_missing, fill_most_frequent  # noqa: F401
from guiapp.core.data.profile import (
    DataProfile,  # noqa: F401
    label_values,
    looks_like_identifier,
    profile_table,
)
from guiapp.core.data.readers import TABLE_SUFFIXES, check_shape, file_format, modality_of, read_table  # noqa: F401
from guiapp.core.data.transform import apply as apply_transform
from guiapp.core.study.errors import DataError  # noqa: F401  (imported from here by callers)
from guiapp.core.study.findings import Findings
from guiapp.core.study.model import Provenance, now_iso
from guiapp.core.study.task_context import ProgressFn, StopFn, check_stop, no_progress

MODALITIES = ("table", "image", "sequence")
# Below this many labelled samples no train / tune / test split can be judged: the data are
# profiled, and a too-few-samples finding blocks the study (Tip 1).
MIN_STUDY_SAMPLES = 10


def too_few_samples_finding(n_samples: int, transposed: bool, study, counts: bool):
    """The too-few-samples finding, with the classical route the verdict names for these data."""
    from guiapp.core.data.classical_route import classical_alternative

    how = " after turning the genes × samples table" if transposed else ""
    return Findings.too_few_samples.raise_(
        n_samples=n_samples,
        how=how,
        minimum=MIN_STUDY_SAMPLES,
        alternative=classical_alternative(study, counts=counts, n_samples=n_samples),
    )


def _sub(progress: ProgressFn, start: float, end: float) -> ProgressFn:
    return lambda f, m="": progress(start + (end - start) * f, m)


def file_provenance(
    path: os.PathLike,
    *,
    source: str = "",
    version: str = "",
    downloaded: str = "",
    progress: ProgressFn = no_progress,
    should_stop: StopFn | None = None,
    accession: str = "",
    url: str = "",
) -> Provenance:
    """Path, size, SHA-256 and modification time of a file (or a folder's files), plus what the user says.

    A folder's SHA-256 is that of its manifest: one line per file, its path inside the folder
    and its own SHA-256, in sorted order; its size is the files' total.
    """
    path = Path(path)
    files = (
        [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
    )
    total = sum(p.stat().st_size for p in files)
    done = 0
    manifest = []
    for f in files:
        digest = hashlib.sha256()
        with f.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
                done += len(chunk)
                progress(done / max(total, 1), f"Hashing {f.name}")
                check_stop(should_stop)
        manifest.append(f"{f.relative_to(path).as_posix() if f != path else f.name}\t{digest.hexdigest()}")
    sha = digest.hexdigest() if path.is_file() else hashlib.sha256("\n".join(manifest).encode()).hexdigest()
    mtime = max((p.stat().st_mtime for p in files), default=path.stat().st_mtime)
    modified = _dt.datetime.fromtimestamp(mtime, _dt.UTC)
    return Provenance(
        path=str(path.resolve()),
        size_bytes=total,
        sha256=sha,
        modified=modified.replace(microsecond=0).isoformat(),
        source=source,
        version=version,
        downloaded=downloaded,
        accession=accession,
        url=url,
    )


@dataclass
class LoadedData:
    """One table of one sample per row, and how it was made."""

    table: pd.DataFrame
    modality: str = "table"
    input_shape: list = field(default_factory=list)
    transposed: bool = False
    transpose_reason: str = ""
    sheet: object | None = None  # samples.SheetReport
    options: dict = field(default_factory=dict)
    pixel_columns: int = 0  # leading feature columns made by the loader (images, sequences)
    id_columns: list = field(default_factory=list)  # sample-ID columns the loader made (obs_names, sample_id…)
    meta_columns: list = field(default_factory=list)  # sample metadata that is not a feature unless asked (obs)
    labels_pick: object | None = None  # images.LabelTablePick: the label table found in a data folder
    # Features left on disk (guiapp.core.data.streaming): a row source with one row per table row, and their names
    streamed: object | None = None
    streamed_names: list = field(default_factory=list)

    def loader_features(self) -> set:
        """Pixel and one-hot columns: the last ``pixel_columns`` columns before a joined sheet."""
        if not self.pixel_columns or self.streamed is not None:
            return set()
        cols = list(self.table.columns)
        end = len(cols) - (len(self.sheet.columns_added) if self.sheet is not None else 0)
        return set(cols[end - self.pixel_columns : end])


def load_dataset(
    path: os.PathLike,
    *,
    label: str = "",
    samples: str = "",
    sample_id: str = "",
    transposed: bool | None = None,
    options: dict | None = None,
    progress: ProgressFn = no_progress,
    should_stop: StopFn | None = None,
) -> LoadedData:
    """Read ``path`` (a table, AnnData, FASTA or an image folder) into one table; see the module doc.

    ``transposed`` None turns a table that looks like features × samples (and lacks the
    label column); True or False decide. ``samples`` is a sample sheet joined by sample ID.
    With ``options['cache_dir']``, an image folder or AnnData ``X`` above the streaming
    threshold (:mod:`guiapp.core.data.streaming`) stays on disk: ``LoadedData.streamed``.
    """
    from guiapp.core.data import sample_sheets as S
    from guiapp.core.data.readers import check_path

    options = dict(options or {})
    cache_dir = options.pop("cache_dir", None)
    for key in ("stream", "stream_cache", "stream_rows"):  # decided again below, from the data's size
        options.pop(key, None)
    path = check_path(path, folder_ok=True)
    modality = options.get("modality") or modality_of(path)
    if modality not in MODALITIES:
        raise E.DataError(f"The modality must be one of {', '.join(MODALITIES)}, not {modality!r}.")
    options["format"] = file_format(path) or "text"
    options["modality"] = modality  # read the same way again after reopening, even a FASTA named .txt
    if modality == "image" and not path.is_dir():
        raise E.UnsupportedFormatError(
            f"{path.name} is a file, and images are read from a folder: choose the folder that holds them "
            "(one subfolder of images per class, or the images plus a CSV of labels), or read the file "
            "as a table or as FASTA sequences."
        )
    keys = None
    loaded = LoadedData(table=pd.DataFrame(), modality=modality)
    if modality == "image":
        from guiapp.core.data.images import DEFAULT_SIZE, image_keys, load_images

        images = load_images(
            path,
            size=options.get("image_size", DEFAULT_SIZE),
            colour=options.get("colour", "auto"),
            progress=_sub(progress, 0, 0.8),
            should_stop=should_stop,
            cache_dir=cache_dir,
        )
        table, keys = images.table, image_keys(images.table)
        options.update(image_size=list(images.shape[1:]), colour=images.colour)
        if images.cache is not None:
            from guiapp.core.data.images import pixel_names

            loaded.streamed, loaded.streamed_names = images.cache, pixel_names(images.shape, images.colour)
            options.update(stream="images", stream_cache=str(images.cache.path), stream_rows=len(table))
        loaded.input_shape, loaded.pixel_columns = list(images.shape), int(np.prod(images.shape))
        loaded.id_columns = ["image"]
        loaded.labels_pick = None if samples else images.labels_pick
        samples = samples or images.labels_file
    elif modality == "sequence":
        from guiapp.core.data.sequences import load_sequences

        seqs = load_sequences(
            path,
            length=options.get("sequence_length"),
            alphabet=options.get("alphabet", "auto"),
            crop=options.get("crop", "start"),
            progress=_sub(progress, 0, 0.8),
            should_stop=should_stop,
        )
        table = seqs.table
        options.update(
            sequence_length=seqs.length,
            alphabet=seqs.alphabet,
            crop=options.get("crop", "start"),
            cropped=seqs.n_cropped,
            padded=seqs.n_padded,
            lengths=seqs.lengths,
        )
        loaded.input_shape, loaded.pixel_columns = list(seqs.shape), seqs.shape[0] * seqs.shape[1]
        loaded.id_columns = ["sample_id"]
        loaded.labels_pick = None if samples else seqs.labels_pick
        samples = samples or seqs.labels_file
    elif options["format"] == "h5ad" and cache_dir is not None and _backed_h5ad(path):
        from guiapp.core.data.anndata_io import read_h5ad_backed

        ann, X = read_h5ad_backed(path, progress=_sub(progress, 0, 0.8), should_stop=should_stop)
        table = ann.table
        loaded.id_columns, loaded.meta_columns = ["obs_names"], list(ann.obs_columns)
        loaded.streamed, loaded.streamed_names = X, list(ann.var_names)
        options.update(stream="h5ad", stream_rows=len(table))
    else:
        table = read_table(
            path, sheet=options.get("sheet", ""), min_rows=1, progress=_sub(progress, 0, 0.8), should_stop=should_stop
        )
        if options["format"] == "text":
            from guiapp.core.data.text_tables import sniff

            fmt = sniff(path)
            options.update(encoding=fmt.encoding, delimiter=fmt.delimiter)
        elif options["format"] == "h5ad":
            from guiapp.core.data.anndata_io import obs_columns

            loaded.id_columns = ["obs_names"]
            loaded.meta_columns = obs_columns(path)[1:]
        sheet_ids = None
        if samples and transposed is None:
            sheet_table = read_table(check_path(samples), sheet=options.get("samples_sheet", ""), min_rows=1)
            id_keys = (
                [options["sheet_id"]]
                if options.get("sheet_id") in sheet_table.columns
                else [c for c in sheet_table.columns if not pd.api.types.is_float_dtype(sheet_table[c])]
            )
            sheet_ids = {str(k): [str(v) for v in sheet_table[k].dropna()] for k in id_keys}
        reason = S.looks_transposed(table, label, sheet_ids) if transposed is None else ""
        if transposed or (transposed is None and reason):
            loaded.transpose_reason = reason or "asked for"
            table = S.transpose_table(table, file_name=path.name)
            loaded.transposed = True
            loaded.id_columns = [S.SAMPLE_ID]
        # any number of samples loads and is profiled; below MIN_ROWS a too-few-samples finding blocks
        check_shape(table, path.name, min_rows=1)
    check_stop(should_stop)
    if samples:
        progress(0.85, f"Joining the sample sheet {Path(samples).name}")
        sheet_path = check_path(samples)
        sheet = read_table(sheet_path, sheet=options.get("samples_sheet", ""), min_rows=1)
        table, report = S.join_sample_sheet(
            table,
            sheet,
            data_key=sample_id,
            sheet_key=options.get("sheet_id", ""),
            keys=keys,
            data_name=path.name,
            sheet_name=sheet_path.name,
            id_match=options.get("samples_id_match", "auto"),
        )
        report.sheet = str(sheet_path)
        loaded.sheet = report
    loaded.table, loaded.options = table, options
    return loaded


def _backed_h5ad(path: Path) -> bool:
    """Whether an AnnData file's ``X`` is above the streaming threshold (read backed, in rows)."""
    from guiapp.core.data.anndata_io import x_nbytes
    from guiapp.core.data.streaming import stream_bytes

    return x_nbytes(path) > stream_bytes()


def _check_sample_ids(table: pd.DataFrame, column: str, file_name: str) -> None:
    ids = table[column].dropna().astype(str)
    if ids.duplicated().any():
        dup = ids[ids.duplicated()].iloc[0]
        rows = (np.flatnonzero(table[column].astype(str).to_numpy() == dup) + 1).tolist()
        raise E.DuplicateSampleIdError(
            f"{file_name}: sample ID {dup!r} in column {column!r} appears more than once (rows "
            f"{', '.join(map(str, rows[:5]))}). Each sample needs an ID of its own: fix the copies, or, if "
            "they are repeated measurements of one sample, choose this column as the group column instead."
        )


def _sample_id_column(table: pd.DataFrame, roles: dict, group: str) -> str:
    """A column named as the sample ID that is nearly, but not quite, unique: duplicated IDs."""
    from guiapp.core.data.roles import _name_role

    for c in table.columns[:200]:
        name = str(c)
        if name == group or roles.get(name) != "identifier" or _name_role(name) != "identifier":
            continue
        s = table[c].dropna()
        if len(s) >= 10 and 0.9 * len(s) <= s.nunique() < len(s):
            return name
    return ""


def attach_data(
    study,
    path: os.PathLike,
    *,
    label: str,
    batch: str = "",
    identifiers: list | None = None,
    sensitive: bool | None = None,
    source: str = "",
    version: str = "",
    downloaded: str = "",
    progress: ProgressFn = no_progress,
    should_stop: StopFn | None = None,
    group: str = "",
    samples: str = "",
    sample_id: str = "",
    transposed: bool | None = None,
    roles: dict | None = None,
    missing: str = "median",
    accession: str = "",
    url: str = "",
    options: dict | None = None,
    subgroups: list | None = None,
    sheet_features: list | None = None,
) -> DataProfile:
    """Load data into the study: read, hash, scan, profile, and record it all (Tip 4).

    ``group`` names the column whose samples belong together (donor, patient, animal, cell
    line); it is never a feature, and the group split keeps each group in one part.
    A sample sheet's columns are metadata (role ignore) unless listed in ``sheet_features``
    or set to feature in ``roles``: lanes, read counts and file names must not become features.
    ``roles`` are the user's edits of the suggested column roles; ``missing`` is one of
    :data:`MISSING_CHOICES`. Nothing in the study changes unless everything succeeds.
    """
    from guiapp.core.data import roles as R
    from guiapp.core.data.pii import pii_findings, scan_pii, scan_record

    path = Path(path)
    chosen = {r: c for c, r in (roles or {}).items() if r in ("label", "batch", "group")}
    label, batch, group = (
        label or chosen.get("label", ""),
        batch or chosen.get("batch", ""),
        group or chosen.get("group", ""),
    )
    progress(0.0, f"Reading {path.name}")
    options = {**(options or {}), "cache_dir": _cache_dir(study)}
    loaded = load_dataset(
        path,
        label=label,
        samples=samples,
        sample_id=sample_id,
        transposed=transposed,
        options=options,
        progress=_sub(progress, 0, 0.4),
        should_stop=should_stop,
    )
    table = loaded.table
    identifiers = list(dict.fromkeys(list(identifiers or []) + [c for c in loaded.id_columns if c in table.columns]))
    check_stop(should_stop)
    provenance = file_provenance(
        path,
        source=source,
        version=version,
        downloaded=downloaded,
        accession=accession,
        url=url,
        progress=_sub(progress, 0.4, 0.5),
        should_stop=should_stop,
    )
    sheet_info: dict = {}
    if loaded.sheet is not None:
        sheet_info = {"provenance": file_provenance(loaded.sheet.sheet).__dict__, **loaded.sheet.to_dict()}
    progress(0.5, "Looking for personal identifiers")
    loader_features = loaded.loader_features()
    scanned = [c for c in table.columns if c not in loader_features] if loader_features else None
    hits = scan_pii(table, columns=scanned)
    pii_scan = scan_record(table, hits, columns=scanned, when=now_iso())
    suggested = R.suggest_roles(
        table,
        label=label,
        batch=batch,
        group=group,
        identifiers=identifiers,
        subgroups=subgroups,
        pii_columns=[h.column for h in hits],
    )
    final = R.merge_roles(suggested, roles)
    for col, role in ((label, "label"), (batch, "batch"), (group, "group")):
        if col in final:
            final[col] = role
    for col, role in list(final.items()):
        if role in ("label", "batch", "group") and col not in (label, batch, group):
            final[col] = "ignore"  # one label, batch and group: those chosen above
    for col in identifiers or []:
        if col in final:
            final[col] = "identifier"
    for col in loaded.meta_columns:  # AnnData obs: QC numbers and annotations describe, not measure
        if final.get(col) == "feature" and col not in (roles or {}):
            final[col] = "ignore"
    set_aside = []
    if loaded.sheet is not None:
        added = list(loaded.sheet.columns_added)
        unknown = [c for c in sheet_features or [] if c not in added]
        if unknown:
            raise E.ColumnMissingError(
                f"[data] sheet_features names {', '.join(map(repr, unknown))}, which the sample sheet "
                f"{Path(loaded.sheet.sheet).name} does not hold. Its columns are: {', '.join(map(repr, added[:12]))}."
            )
        for col in added:
            if col in (sheet_features or []):
                final[col] = "feature"
            elif final.get(col) == "feature" and col not in (roles or {}):
                final[col] = "ignore"
                set_aside.append(col)
    if loaded.pixel_columns:  # images and sequences: the pixels or letters, and nothing else, are features
        for col in final:
            loader = col in loader_features
            if loader or final[col] == "feature":
                final[col] = "feature" if loader else "ignore"
    id_col = sample_id if sample_id in table.columns else _sample_id_column(table, final, group)
    if id_col:
        _check_sample_ids(table, id_col, path.name)
    feats = [c for c, r in final.items() if r == "feature"]
    if label in table.columns:
        feats_numeric = [c for c in feats if pd.api.types.is_numeric_dtype(table[c])]
        table, kept, dropped = apply_missing(table, feats_numeric, missing)
        for c in dropped["columns"]:
            final[c] = "ignore"
    else:
        dropped = {"rows": 0, "columns": []}
    # An ID-like column nobody declared is left to the profile, which raises a finding for it.
    declared = set(identifiers or []) | {c for c, r in (roles or {}).items() if r == "identifier"}
    profile_roles = {
        c: "feature" if r == "identifier" and c not in declared and looks_like_identifier(table[c]) else r
        for c, r in final.items()
    }
    declared_ids = sorted(declared | set(R.columns_with(profile_roles, "identifier")))
    streamed = None
    if loaded.streamed is not None:
        from guiapp.core.data.streaming import StreamedRows

        streamed = (StreamedRows(loaded.streamed), loaded.streamed_names)
    profile = profile_table(
        table,
        label,
        task=study.question.task,
        batch=batch,
        identifiers=declared_ids,
        file_name=path.name,
        group=group,
        roles=profile_roles,
        missing=missing,
        progress=_sub(progress, 0.55, 1.0),
        should_stop=should_stop,
        streamed=streamed,
    )
    findings = list(profile.findings) + pii_findings(hits, group=group)
    if loaded.transposed:
        findings.append(Findings.data_transposed.raise_(n_samples=len(table), n_features=profile.n_features))
    rep = loaded.sheet
    if rep is not None and (rep.data_unmatched or rep.sheet_unmatched):
        findings.append(
            Findings.sample_sheet_unmatched.raise_(
                sheet=Path(rep.sheet).name,
                matched=rep.matched,
                key=rep.sheet_key,
                data_unmatched=rep.data_unmatched,
                data_examples=", ".join(map(str, rep.data_unmatched_examples[:3])) or "none",
                sheet_unmatched=rep.sheet_unmatched,
                sheet_examples=", ".join(map(str, rep.sheet_unmatched_examples[:3])) or "none",
                advice=f" {rep.id_advice}" if rep.id_advice else "",
            )
        )
    if set_aside:
        findings.append(Findings.sheet_columns_not_features.raise_(columns=", ".join(map(repr, set_aside[:8]))))
    if rep is not None and rep.id_rule:
        findings.append(
            Findings.sample_ids_matched_by_rule.raise_(
                sheet=Path(rep.sheet).name, rule=rep.id_rule, matched=rep.matched
            )
        )
    if profile.n_samples < MIN_STUDY_SAMPLES:
        counts = any(f.code == Findings.values_look_like_counts.code for f in profile.findings)
        findings.append(too_few_samples_finding(profile.n_samples, loaded.transposed, study, counts))
    pick = loaded.labels_pick
    if pick is not None and pick.path is not None:
        findings.append(
            Findings.label_table_found.raise_(
                table=pick.path.name,
                key=pick.key,
                matched=pick.matched,
                passed_over=f" Passed over: {pick.passed_over_words()}." if pick.passed_over else "",
            )
        )
    elif pick is not None and pick.passed_over:
        findings.append(Findings.tables_passed_over.raise_(tables=pick.passed_over_words()))
    if dropped["rows"] or dropped["columns"]:
        findings.append(Findings.missing_rows_dropped.raise_(rows=dropped["rows"], columns=len(dropped["columns"])))
    if sensitive is None:
        findings.append(Findings.sensitivity_undeclared.raise_())
    d = study.data
    d.label, d.batch, d.sensitive, d.provenance = label, batch, sensitive, provenance
    d.group = group
    d.identifiers = sorted(set(declared_ids) | set(profile.identifier_columns))
    for col in profile.identifier_columns:
        final[col] = "identifier"
    d.n_samples, d.n_features = profile.n_samples, profile.n_features
    d.feature_columns, d.classes, d.class_counts = profile.feature_columns, profile.classes, profile.class_counts
    d.modality, d.input_shape = loaded.modality, list(loaded.input_shape)
    d.transposed, d.samples, d.sample_id = loaded.transposed, str(samples or (rep.sheet if rep else "")), sample_id
    d.sample_sheet, d.roles, d.missing, d.dropped = sheet_info, final, missing, dropped
    d.options, d.pii, d.pii_scan = loaded.options, [h.to_dict() for h in hits], pii_scan
    # subgroups: those asked for (a numeric one may stay a feature) and the subgroup roles
    asked = list(subgroups) if subgroups is not None else ([] if roles is not None else list(d.subgroups))
    d.subgroups = [c for c in dict.fromkeys(asked + R.columns_with(final, "subgroup")) if c in table.columns]
    d.profile = profile.summary()
    # The log transform stays on the columns that are still features; the rest that look like
    # counts or intensities are offered on the Data page (guiapp.core.data.transform).
    from guiapp.core.data.transform import LOG1P, log1p_columns, suggest_log1p

    kept = [c for c in log1p_columns(d.transform) if c in d.feature_columns]
    d.transform = {LOG1P: kept} if kept else {}
    in_table = d.modality == "table" and streamed is None  # streamed features are not in the table
    suggested = suggest_log1p(table, d.feature_columns, kept) if in_table else []
    if not suggested and in_table and d.profile.get("scale") in ("counts", "wide"):
        # The profile's words advise a log transform for the table as a whole: offer it on every
        # feature it can take (never negative), so the advice comes with its control.
        suggested = suggest_log1p(table, d.feature_columns, kept, every_nonnegative=True)
    d.profile["log1p_suggested"] = suggested
    study.table = table
    # A feature that gives the label away, found before any split or model (Tip 7).
    from guiapp.core.data.leaks import leak_findings

    if profile.n_samples >= MIN_STUDY_SAMPLES:  # below, there is no study to leak into (too-few-samples)
        progress(0.98, "Looking for features that give the label away")
        findings += leak_findings(study)
    study.set_findings("data", findings)
    return profile


def _cache_dir(study) -> str:
    """Where streamed images are cached: the study folder's ``cache/``, or a temporary folder."""
    import tempfile

    if study.folder is not None:
        return str(study.path("cache"))
    return str(Path(tempfile.gettempdir()) / "tenfold-cache")


def attach_from_spec(study, data_spec: dict, **kwargs) -> DataProfile:
    """:func:`attach_data` with the keys of a spec's ``[data]`` table, then its ``transform``."""
    from guiapp.core.data.transform import columns_from_spec, set_log1p

    profile = _attach_from_spec(study, data_spec, **kwargs)
    set_log1p(study, columns_from_spec(data_spec.get("transform"), study.data.feature_columns))
    return profile


def _attach_from_spec(study, data_spec: dict, **kwargs) -> DataProfile:
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
    return attach_data(
        study,
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
        **kwargs,
    )


def model_frame(study) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Features ``X`` (float32), label ``y`` and the labelled rows, in table order.

    Class labels become integer codes in the order of ``study.data.classes``. Image and
    sequence studies give their pixels and one-hot letters flattened, one row per sample
    (``study.data.input_shape`` turns a row back). With the missing-value choice
    "most-frequent", missing cells are filled with the training split's most frequent value
    once the split exists; otherwise the models' own imputers fill them (median).
    """
    table = study.table
    if table is None:
        raise DataError("No data are loaded for this study: load a table on the Data page.")
    label = study.data.label
    labelled = table[label].notna().to_numpy()
    rows = table[labelled].reset_index(drop=True)
    source = streamed_source(study)
    if source is not None:  # features left on disk: read by rows when a step asks (guiapp.core.data.streaming)
        from guiapp.core.data.streaming import StreamedRows

        if source.shape[0] != len(table):
            raise E.FileChangedError("The streamed features no longer match the study's samples: load the data again.")
        X = StreamedRows(source, np.flatnonzero(labelled))
    else:
        X = rows[study.data.feature_columns].to_numpy(dtype=np.float32, na_value=np.nan)
        X = apply_transform(X, study.data.feature_columns, getattr(study.data, "transform", {}))
    if study.is_classification:
        lookup = {str(c): i for i, c in enumerate(study.data.classes)}
        y = label_values(rows[label]).astype(str).map(lookup).to_numpy()
        if np.isnan(y.astype(float)).any():
            raise DataError(
                f"The label column {label!r} holds values that were not seen when the data were profiled; load the data again."
            )
        y = y.astype(np.int64)
    else:
        y = rows[label].to_numpy(dtype=np.float32)
    if (
        source is None
        and getattr(study.data, "missing", "median") == "most-frequent"
        and study.split.train_idx
        and np.isnan(X).any()
    ):
        X = fill_most_frequent(X, np.asarray(study.split.train_idx))
    return X, y, rows


def streamed_source(study):
    """The row source of a study whose features stay on disk (see :func:`load_dataset`), else None."""
    kind = (study.data.options or {}).get("stream")
    if kind == "images":
        from guiapp.core.data.image_stream import streamed_images

        return streamed_images(study)
    if kind == "h5ad":
        from guiapp.core.data.anndata_io import BackedX

        return BackedX(study.data.provenance.path)
    return None


def reload_table(study, *, progress: ProgressFn = no_progress, should_stop: StopFn | None = None) -> pd.DataFrame:
    """Read the study's data again (after reopening), and refuse if a file changed."""
    d = study.data
    prov = d.provenance
    if not prov.path:
        raise DataError("This study has no data file yet: load one on the Data page.")
    path = Path(prov.path)
    from guiapp.core.data.readers import check_path

    check_path(path, folder_ok=True)
    now = file_provenance(path, progress=_sub(progress, 0, 0.3), should_stop=should_stop)
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
        progress=_sub(progress, 0.3, 1.0),
        should_stop=should_stop,
    )
    table = loaded.table
    if d.missing == "drop-rows" and d.feature_columns:
        table, _, _ = apply_missing(table, [c for c in d.feature_columns if c in table.columns], "drop-rows")
    study.table = table
    return table
