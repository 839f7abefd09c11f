"""Applying an exported model to new samples: ``tenfold predict BUNDLE DATA --out preds.csv``.

The new table must hold the model's feature columns by name, in the order the model was
trained on; any mismatch is an error that lists what is missing or out of place, never a
silent reshuffle (``by_name=True`` takes the columns by name when the order differs). An
image or sequence model also takes a folder of images or FASTA records, read with the options
the study used (``data_options`` in the bundle's config.json). The bundle is opened by
:mod:`guiapp.core.export.open_bundle`, which never unpickles anything.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from guiapp.core.data import errors as E
from guiapp.core.data.attach import read_table
from guiapp.core.data.feature_check import check_features
from guiapp.core.data.images import load_images
from guiapp.core.data.readers import file_format
from guiapp.core.data.sequences import (
    ALPHABET_WORDS,
    LETTERS,
    detect_alphabet,
    load_sequences,
    read_fasta,
    read_fasta_folder,
)
from guiapp.core.data.transform import apply as apply_transform
from guiapp.core.export.load_models import load_knn, load_network
from guiapp.core.export.open_bundle import MODEL_KINDS, BundleError, open_bundle
from guiapp.core.study.errors import DataError, TenfoldError
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext, no_progress


def predict_table(
    bundle_dir,
    table: pd.DataFrame,
    *,
    model: str = "auto",
    by_name: bool = False,
    file_name: str = "the table",
    expect_manifest: str | None = None,
    ctx: TaskContext = NO_CONTEXT,
) -> pd.DataFrame:
    """Predictions for every row of ``table``: the identifier columns, ``predicted`` and, for a
    classifier, ``p_<class>`` per class (rounded as in the bundle's predictions.csv)."""
    ctx.report(0.0, "Checking the bundle")
    bundle = open_bundle(bundle_dir, expect_manifest=expect_manifest)
    c = bundle.config
    if c.get("batch_correction", "none") != "none":
        raise BundleError(
            f"This model was trained on {c['batch_correction']}-corrected data, and the "
            "correction is not part of the bundle: Tenfold cannot apply it to new samples "
            "yet. Predict inside the study instead."
        )
    kind = c.get("default_model") if model == "auto" else model
    if kind not in MODEL_KINDS:
        raise TenfoldError(f"Choose the model to apply: auto, {', '.join(MODEL_KINDS)}; not {model!r}.")
    if kind not in bundle.available:
        raise BundleError(
            f"The bundle has no {kind.replace('_', ' ')} model (withheld at export); it "
            f"has: {', '.join(bundle.available)}."
        )
    features = check_features(table, c["feature_columns"], by_name=by_name, file_name=file_name)
    X = np.array(table[features].to_numpy(dtype=np.float32), copy=True)  # writable: torch wants to own it
    X = apply_transform(X, list(c["feature_columns"]), c.get("transform") or {})  # as the study did
    ctx.check()
    ctx.report(0.3, f"Applying the {kind.replace('_', ' ')} to {len(X)} samples")
    classification = c["task"] == "classification"
    if kind == "knn":
        pipe = load_knn(bundle)
        if classification:
            proba = pipe.predict_proba(X)
            out = np.zeros((len(X), len(c["classes"])))
            out[:, np.asarray(pipe.classes_, dtype=int)] = proba
        else:
            out = pipe.predict(X)
    else:
        import torch  # torch: imported lazily, only when this runs

        net = load_network(bundle, kind)
        with torch.no_grad():
            raw = net(torch.as_tensor(X))
            out = (torch.softmax(raw, dim=1) if classification else raw.squeeze(1)).numpy()
    keep = [col for col in c.get("identifiers", []) if col in table.columns]
    frame = table[keep].copy().reset_index(drop=True)
    frame.insert(0, "row", np.arange(len(table)))
    if classification:
        classes = c["classes"]
        frame["predicted"] = [classes[i] for i in out.argmax(axis=1)]
        for k, cls in enumerate(classes):
            frame[f"p_{cls}"] = out[:, k].round(6)
    else:
        frame["predicted"] = out
    frame.attrs["model"] = kind
    ctx.report(1.0, "Predictions done")
    return frame


def predict_file(
    bundle_dir,
    data_path,
    out_path,
    *,
    model: str = "auto",
    by_name: bool = False,
    expect_manifest: str | None = None,
    ctx: TaskContext = NO_CONTEXT,
) -> pd.DataFrame:
    """Read ``data_path``, predict, write ``out_path`` as CSV.

    A table (CSV/TSV, as on the Data page) serves every bundle; an image bundle also takes a
    folder of images and a sequence bundle a FASTA file or folder, read as the study read its
    own (see :func:`read_new_samples`).
    """
    data_path = Path(data_path)
    config = open_bundle(bundle_dir, expect_manifest=expect_manifest).config
    table, from_files = read_new_samples(config, data_path, ctx=ctx)
    frame = predict_table(
        bundle_dir,
        table,
        model=model,
        by_name=by_name or from_files,
        file_name=data_path.name,
        ctx=ctx,
        expect_manifest=expect_manifest,
    )
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out_path, index=False)
    return frame


def _looks_like_fasta(path: Path) -> bool:
    if file_format(path) == "fasta":
        return True
    try:
        with path.open("rb") as fh:
            return fh.read(4096).lstrip().startswith(b">")
    except OSError:
        return False


def read_new_samples(config: dict, data_path, *, ctx: TaskContext = NO_CONTEXT) -> tuple[pd.DataFrame, bool]:
    """New samples as the rows the bundle's model takes, and whether they came from images or FASTA.

    Images are read with the study's size and colour (so other sizes are resized and colour
    made grey, or grey made colour, exactly as at training); FASTA records with its alphabet,
    length and cropping. Records of another alphabet are refused.
    """
    data_path = Path(data_path)
    if not data_path.exists():
        raise DataError(f"{data_path} does not exist. Give the table, image folder or FASTA file to predict.")
    modality = config.get("modality") or "table"
    options = config.get("data_options") or {}
    shape = list(config.get("input_shape") or [])
    folder = file_format(data_path) if data_path.is_dir() else ""
    if modality == "image" and folder == "images":
        size = options.get("image_size") or shape[1:]
        colour = options.get("colour") or ("rgb" if shape and shape[0] == 3 else "grey")
        if not size:
            raise BundleError(
                "This bundle's config.json does not say the image size its model was trained "
                "on; export the study again with this version of Tenfold."
            )
        return load_images(data_path, size=size, colour=colour, ctx=ctx.with_progress(no_progress)).table, True
    if modality == "sequence" and (folder == "fasta" or (not data_path.is_dir() and _looks_like_fasta(data_path))):
        return _read_sequences(data_path, options, shape, ctx=ctx), True
    if data_path.is_dir():
        given = {"images": "a folder of images", "fasta": "a folder of FASTA files"}.get(folder, "a folder")
        wanted = {
            "image": "a folder of images (or a table of their pixels)",
            "sequence": "a FASTA file or folder (or a table of its one-hot letters)",
        }.get(modality, "a table (CSV or TSV) with the model's feature columns")
        raise DataError(
            f"{data_path.name} is {given}, but this model was trained on {modality} data: give it {wanted}."
        )
    if modality == "image" and file_format(data_path) == "":
        raise DataError(
            f"{data_path.name} is a file, and this model was trained on images: give the folder "
            "that holds the new images (PNG, JPEG or TIFF), or a table of their pixels."
        )
    if modality != "sequence" and file_format(data_path) == "fasta":
        raise DataError(
            f"{data_path.name} holds FASTA sequences, but this model was trained on {modality} data: "
            "give it a table (CSV or TSV) with the model's feature columns."
        )

    return read_table(data_path), False


def _read_sequences(path: Path, options: dict, shape: list, *, ctx: TaskContext = NO_CONTEXT) -> pd.DataFrame:
    """FASTA records encoded as the study encoded its own; another alphabet is refused by name."""
    letters = shape[1] if len(shape) == 2 else None
    alphabet = options.get("alphabet") or next((a for a, v in LETTERS.items() if len(v) == letters), "")
    length = options.get("sequence_length") or (shape[0] if shape else None)
    if alphabet not in LETTERS or not length:
        raise BundleError(
            "This bundle's config.json does not say the alphabet and length its sequences had; "
            "export the study again with this version of Tenfold."
        )
    records = read_fasta_folder(path) if path.is_dir() else read_fasta(path)
    found = detect_alphabet(records)
    if found != alphabet:
        word, trained = (ALPHABET_WORDS[a].split(" (")[0] for a in (found, alphabet))
        if alphabet == "protein":  # DNA letters are amino-acid letters too: the detection decides
            raise DataError(
                f"{path.name} looks like {word} sequences (nearly all A, C, G, T/U and N), but this "
                "model was trained on protein sequences: give it the amino-acid records."
            )
        raise DataError(
            f"{path.name} holds {word} sequences, but this model was trained on {trained} "
            f"sequences: give it {trained} records"
            + (" (write T for U)." if {found, alphabet} == {"dna", "rna"} else ".")
        )
    try:
        seqs = load_sequences(
            path,
            length=int(length),
            alphabet=alphabet,
            crop=options.get("crop", "start"),
            ctx=ctx.with_progress(no_progress),
        )
    except E.ForeignCharacterError as exc:
        detail = str(exc).split(", which is not")[0]
        raise DataError(
            f"{detail}, which is not {ALPHABET_WORDS[alphabet]}, the alphabet this model was "
            "trained on. Fix or remove that record and predict again."
        ) from None
    return seqs.table
