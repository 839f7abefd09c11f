"""Applying an exported bundle to new samples, and opening bundles without ever unpickling."""

from __future__ import annotations

import json
import pickle
import shutil

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guiapp.core.data.feature_check import check_features
from guiapp.core.export.load_models import load_knn
from guiapp.core.export.open_bundle import BundleError, open_bundle
from guiapp.core.export.predict import predict_file, predict_table
from guiapp.core.study.errors import DataError


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    """A small non-sensitive study, audited, evaluated once and exported with its predictions."""
    from test_privacy_dp import small_trained_study

    from guiapp.core.evaluation.sealed_test import finalize_test_evaluation, test_predictions
    from guiapp.core.export.write import write_bundle
    from guiapp.core.privacy.membership import membership_inference_audit

    root = tmp_path_factory.mktemp("predict")
    study = small_trained_study(root)
    membership_inference_audit(study, n_boot=5)
    finalize_test_evaluation(study)
    write_bundle(study, root / "export", predictions=test_predictions(study))
    return root / "export", study


@pytest.fixture
def copy_of(bundle, tmp_path):
    out = tmp_path / "bundle"
    shutil.copytree(bundle[0], out)
    return out


def test_predict_reproduces_the_bundles_test_predictions(bundle, tmp_path):
    out, study = bundle
    frame = predict_file(out, study.data.provenance.path, tmp_path / "preds.csv")
    written = pd.read_csv(tmp_path / "preds.csv")
    assert len(written) == study.data.n_samples and list(written.columns[:2]) == ["row", "sample_id"]
    exported = pd.read_csv(out / "predictions.csv")
    mine = frame.set_index("row").loc[exported["row"]]
    # the bundle's own predictions are keyed by the sample ID, which is not personal here
    assert (mine["sample_id"].to_numpy() == exported["sample_id"].to_numpy()).all()
    prob_columns = [c for c in exported.columns if c.startswith("p_")]
    assert prob_columns and np.allclose(mine[prob_columns].to_numpy(), exported[prob_columns].to_numpy(), atol=2e-6)
    assert (mine["predicted"].to_numpy() == exported["predicted"].to_numpy()).all()
    assert frame.attrs["model"] == "network"


def test_the_knn_baseline_loads_with_trusted_types_only(bundle):
    out, study = bundle
    table = pd.read_csv(study.data.provenance.path)
    frame = predict_table(out, table, model="knn")
    assert frame.attrs["model"] == "knn" and np.allclose(frame.filter(like="p_").sum(axis=1), 1)
    assert type(load_knn(open_bundle(out))).__name__ == "Pipeline"


def test_feature_columns_are_checked_by_name_and_order(bundle, tmp_path):
    out, study = bundle
    features = study.data.feature_columns
    table = pd.read_csv(study.data.provenance.path)
    with pytest.raises(DataError, match=f"lacks 1 of the model's {len(features)} feature column.*{features[3]}"):
        predict_table(out, table.drop(columns=[features[3]]))
    swapped = table[[features[1], features[0]] + [c for c in table.columns if c not in features[:2]]]
    with pytest.raises(DataError, match=f"another order: position 1 is '{features[1]}'.*--by-name"):
        predict_table(out, swapped)
    by_name = predict_table(out, swapped, by_name=True)
    assert np.allclose(by_name.filter(like="p_"), predict_table(out, table).filter(like="p_"))
    text = table.astype({features[0]: object})
    text.loc[2, features[0]] = "n/a?"
    with pytest.raises(DataError, match="holds text"):
        check_features(text, features)


def test_a_pickle_in_place_of_the_weights_is_refused_unopened(copy_of, tmp_path):
    marker = tmp_path / "pwned"

    class Payload:  # unpickling this would create the marker file
        def __reduce__(self):
            return (open, (str(marker), "w"))

    (copy_of / "model" / "model.safetensors").write_bytes(pickle.dumps(Payload()))
    with pytest.raises(BundleError, match=r"model/model.safetensors may run code when loaded \(it is a pickle\)"):
        open_bundle(copy_of)
    assert not marker.exists()


@pytest.mark.parametrize(
    "name, content",
    [
        ("model/extra.pkl", b"anything"),
        ("model/weights.pt", b"PK\x03\x04"),
        ("old_model.joblib", b"\x80\x04K\x01."),
        ("model/sub/weights.safetensors", b"\x80\x04K\x01."),
    ],
)
def test_pickle_bearing_files_anywhere_refuse_the_bundle(copy_of, name, content):
    (copy_of / name).parent.mkdir(exist_ok=True, parents=True)
    (copy_of / name).write_bytes(content)
    with pytest.raises(BundleError, match="never unpickles"):
        open_bundle(copy_of)


def test_a_changed_model_file_is_refused(copy_of):
    from safetensors.numpy import load_file, save_file

    weights = load_file(str(copy_of / "model" / "model.safetensors"))
    weights["1.weight"] = weights["1.weight"] * 2
    save_file(weights, str(copy_of / "model" / "model.safetensors"))
    with pytest.raises(BundleError, match="has changed since the export"):
        open_bundle(copy_of)


def test_a_knn_file_with_foreign_types_is_refused(copy_of):
    """A skops file whose schema was edited to name another type is refused before loading."""
    import hashlib
    import zipfile

    path = copy_of / "model" / "knn_baseline.skops"
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    schema = json.loads(members["schema.json"])
    schema["__class__"], schema["__module__"] = "system", "os"
    members["schema.json"] = json.dumps(schema).encode()
    with zipfile.ZipFile(path, "w") as z:
        for n, b in members.items():
            z.writestr(n, b)
    manifest = json.loads((copy_of / "manifest.json").read_text())
    for f in manifest["files"]:  # the attacker also rewrote the manifest: the type check still holds
        if f["path"] == "model/knn_baseline.skops":
            f["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    (copy_of / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BundleError, match="os.system"):
        load_knn(open_bundle(copy_of))


def test_a_bundle_without_models_says_so(copy_of):
    shutil.rmtree(copy_of / "model")
    with pytest.raises(BundleError, match="holds no model"):
        open_bundle(copy_of)


@pytest.mark.parametrize("kind", ["cnn1d", "transformer"])
def test_a_sequence_network_is_rebuilt_from_the_bundle_and_reproduces_its_predictions(tmp_path, kind):
    """Image and sequence networks put rows back on their grid: config.json carries the data's
    form, so `tenfold predict` rebuilds them without the study."""
    from test_interpret_maps import fasta, motif_records

    from guiapp.core.data import attach as data
    from guiapp.core.evaluation.sealed_test import finalize_test_evaluation, test_predictions
    from guiapp.core.export.write import write_bundle
    from guiapp.core.models.recommend import set_architecture
    from guiapp.core.models.train import train_network
    from guiapp.core.split import draw as split
    from guiapp.core.study.model import Study

    study = Study(folder=tmp_path / "study")
    data.attach_data(
        study, data.AttachRequest(fasta(tmp_path / "s.fa", motif_records(n=40)), label="label", sensitive=False)
    )
    split.split_study(study)
    set_architecture(study, width=8, depth=1, dropout=0.0, kind=kind)
    study.train.device, study.train.max_epochs, study.train.batch_size = "cpu", 2, 16
    train_network(study)
    finalize_test_evaluation(study)
    write_bundle(study, tmp_path / "export", predictions=test_predictions(study))
    config = json.loads((tmp_path / "export" / "model" / "config.json").read_text())
    assert config["architecture"]["kind"] == kind and config["input_shape"] == [20, 4]
    frame = predict_table(tmp_path / "export", study.table)
    exported = pd.read_csv(tmp_path / "export" / "predictions.csv")
    mine = frame.set_index("row").loc[exported["row"]]
    prob_columns = [c for c in exported.columns if c.startswith("p_")]
    np.testing.assert_allclose(mine[prob_columns].to_numpy(), exported[prob_columns].to_numpy(), atol=2e-6)


def test_new_fasta_and_images_are_read_from_the_config_alone(tmp_path):
    """A bundle from before ``data_options`` still reads FASTA and images from ``input_shape``;
    a letter outside the model's alphabet names the record, the letter and the alphabet."""
    from test_images import per_class_folder
    from test_interpret_maps import fasta

    from guiapp.core.export.predict import read_new_samples
    from guiapp.core.study.errors import DataError

    path = fasta(tmp_path / "new.fa", [("a", "ACGTN"), ("b", "GATTACAGATTACA")])
    table, from_files = read_new_samples({"modality": "sequence", "input_shape": [8, 4]}, path)
    assert from_files and list(table["sample_id"]) == ["a", "b"]
    assert [c for c in table.columns if c.startswith("pos")][-1] == "pos8_T"  # padded or cropped to 8
    assert table.loc[0, ["pos5_A", "pos5_C", "pos5_G", "pos5_T"]].tolist() == [0.25] * 4  # N shares its weight
    assert table.loc[0, "pos6_A"] == 0 and table.loc[1, "pos8_A"] == 0 and table.loc[1, "pos8_G"] == 1
    table, _ = read_new_samples({"modality": "image", "input_shape": [3, 6, 6]}, per_class_folder(tmp_path / "im"))
    assert len(table) == 16 and "b_5_5" in table.columns and "r_6_0" not in table.columns
    with pytest.raises(
        DataError, match=r"record 'z'.*'Z' at position 3, which is not DNA .* this model was trained on"
    ):
        read_new_samples(
            {"modality": "sequence", "input_shape": [8, 4]},
            fasta(tmp_path / "z.fa", [("y", "ACGTACGT"), ("z", "ACZTACGT")]),
        )


# ----- integrity: every listed file, nothing unlisted, paths inside, a published manifest hash ------


def rehash(folder, add=()) -> str:
    """What a careful tamperer does: rewrite manifest.json so its hashes fit the changed files
    (and list added ones). Returns the new manifest's SHA-256."""
    import hashlib

    manifest = json.loads((folder / "manifest.json").read_text())
    listed = [f["path"] for f in manifest["files"]] + list(add)
    manifest["files"] = [{"path": p, "sha256": hashlib.sha256((folder / p).read_bytes()).hexdigest()} for p in listed]
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return hashlib.sha256((folder / "manifest.json").read_bytes()).hexdigest()


def test_export_records_the_manifests_own_hash_outside_the_manifest(bundle):
    import hashlib

    out, study = bundle
    digest = hashlib.sha256((out / "manifest.json").read_bytes()).hexdigest()
    assert (out / "manifest.sha256").read_text().split() == [digest, "manifest.json"]
    assert study.export.manifest_sha256 == digest
    assert open_bundle(out, expect_manifest=digest.upper()).manifest_sha256 == digest


@pytest.mark.parametrize(
    "name", ["model/notes.txt", "model/sub/weights.safetensors", "model/sub/deeper/x.json", "extra.csv"]
)
def test_files_the_manifest_does_not_list_are_refused(copy_of, name):
    (copy_of / name).parent.mkdir(parents=True, exist_ok=True)
    (copy_of / name).write_bytes(b"{}")
    with pytest.raises(BundleError, match=f"{name} is not among the files its manifest.json lists"):
        open_bundle(copy_of)


def test_a_changed_card_or_a_missing_listed_file_is_refused(copy_of):
    card = (copy_of / "model_card.md").read_text()
    (copy_of / "model_card.md").write_text(card.replace("ROC AUC", "ROC AUC (validated)"))
    with pytest.raises(BundleError, match="model_card.md has changed since the export"):
        open_bundle(copy_of)
    (copy_of / "model_card.md").unlink()
    with pytest.raises(BundleError, match="model_card.md, listed in its manifest.json, is missing"):
        open_bundle(copy_of)


@pytest.mark.parametrize("path", ["../../outside.safetensors", "/etc/outside.safetensors", "sub/../../x"])
def test_config_paths_leading_outside_the_bundle_are_refused(copy_of, tmp_path, path):
    import numpy as np
    from safetensors.numpy import save_file

    save_file({"x": np.zeros(2, dtype=np.float32)}, str(tmp_path / "outside.safetensors"))
    config = json.loads((copy_of / "model" / "config.json").read_text())
    config["models"]["network"] = path
    (copy_of / "model" / "config.json").write_text(json.dumps(config))
    rehash(copy_of)
    with pytest.raises(BundleError, match="leads outside the bundle"):
        predict_table(copy_of, pd.DataFrame({"a": [1.0]}))


def test_a_link_out_of_the_bundle_is_refused(copy_of, tmp_path):
    (tmp_path / "elsewhere.safetensors").write_bytes((copy_of / "model" / "model.safetensors").read_bytes())
    (copy_of / "model" / "model.safetensors").unlink()
    (copy_of / "model" / "model.safetensors").symlink_to(tmp_path / "elsewhere.safetensors")
    rehash(copy_of)
    with pytest.raises(BundleError, match="resolves outside the bundle|is a link"):
        open_bundle(copy_of)


def test_a_rehashed_manifest_passes_alone_but_not_against_the_published_hash(bundle, copy_of, tmp_path, capsys):
    from safetensors.numpy import load_file, save_file

    from guiapp import cli

    published = (bundle[0] / "manifest.sha256").read_text().split()[0]
    weights = load_file(str(copy_of / "model" / "model.safetensors"))
    weights["1.weight"] = weights["1.weight"] * 2
    save_file(weights, str(copy_of / "model" / "model.safetensors"))
    rehash(copy_of)
    open_bundle(copy_of)  # consistent with itself: the in-bundle manifest alone cannot tell
    with pytest.raises(BundleError, match=f"not the {published} you expected"):
        open_bundle(copy_of, expect_manifest=published)
    table = bundle[1].data.provenance.path
    assert (
        cli.main(["predict", str(copy_of), table, "--out", str(tmp_path / "p.csv"), "--expect-manifest", published])
        == 2
    )
    assert "not the" in capsys.readouterr().err and not (tmp_path / "p.csv").exists()
    assert cli.main(["verify", str(copy_of), "--expect-manifest", published]) == 2
    assert cli.main(["verify", str(bundle[0]), "--expect-manifest", published]) == 0
    assert published in capsys.readouterr().out
    assert (
        cli.main(["predict", str(bundle[0]), table, "--out", str(tmp_path / "p.csv"), "--expect-manifest", published])
        == 0
    )
    assert cli.main(["verify", str(copy_of), "--expect-manifest", "abc"]) == 2
    assert "is not a SHA-256" in capsys.readouterr().err


def test_a_skops_file_with_a_function_transformer_is_refused(bundle, copy_of):
    """FunctionTransformer (and the numpy function it calls) is trusted by skops by default, but
    Tenfold never writes one: it is refused before loading, even with a fitting manifest."""
    import skops.io as sio
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    good = load_knn(open_bundle(bundle[0]))
    evil = Pipeline([("f", FunctionTransformer(np.log1p)), *good.steps])
    evil.fit(np.random.default_rng(0).random((20, len(bundle[1].data.feature_columns))), np.arange(20) % 2)
    sio.dump(evil, copy_of / "model" / "knn_baseline.skops")
    rehash(copy_of)
    assert "FunctionTransformer" not in " ".join(sio.get_untrusted_types(file=copy_of / "model" / "knn_baseline.skops"))
    with pytest.raises(BundleError, match="FunctionTransformer.*numpy.log1p|numpy.log1p.*FunctionTransformer"):
        load_knn(open_bundle(copy_of))


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 10**6)
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
    | st.sampled_from(["mlp", "cnn1d", "network", "knn", "model.safetensors", "../x", "/etc/passwd", "table"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=5,
)
_config_keys = [
    "architecture",
    "task",
    "feature_columns",
    "classes",
    "n_outputs",
    "models",
    "default_model",
    "input_shape",
    "modality",
    "differential_privacy",
    "onnx",
    "batch_correction",
    "identifiers",
]


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    changes=st.lists(
        st.tuples(
            st.sampled_from(
                _config_keys + ["architecture.width", "architecture.depth", "architecture.kind", "architecture.dropout"]
            ),
            _json_values,
        ),
        min_size=1,
        max_size=3,
    )
)
def test_a_tampered_config_that_fits_its_manifest_is_refused_or_used_never_a_crash(bundle, tmp_path_factory, changes):
    """A tamperer who re-hashes the manifest can write anything into config.json: predict then
    refuses with a message (or, for a harmless change, predicts); it never fails as a bug."""
    from guiapp.core.study.errors import TenfoldError

    out, study = bundle
    folder = tmp_path_factory.mktemp("tampered") / "bundle"
    shutil.copytree(out, folder)
    config = json.loads((folder / "model" / "config.json").read_text())
    for key, value in changes:
        if key.startswith("architecture.") and isinstance(config.get("architecture"), dict):
            config["architecture"][key.split(".")[1]] = value
        else:
            config[key] = value
    (folder / "model" / "config.json").write_text(json.dumps(config))
    rehash(folder)
    table = pd.read_csv(study.data.provenance.path).head(5)
    try:
        predict_table(folder, table)
    except TenfoldError:
        pass


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(files=_json_values, extra=st.sampled_from(["", "model/x.bin.txt", "model/a/b.json"]))
def test_a_tampered_manifest_is_refused_with_a_message_never_a_crash(bundle, tmp_path_factory, files, extra):
    from guiapp.core.export.open_bundle import verify_bundle

    folder = tmp_path_factory.mktemp("manifest") / "bundle"
    shutil.copytree(bundle[0], folder)
    if extra:
        (folder / extra).parent.mkdir(parents=True, exist_ok=True)
        (folder / extra).write_text("{}")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"] = files if not isinstance(files, list) else manifest["files"][:2] + files
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BundleError):
        verify_bundle(folder)
