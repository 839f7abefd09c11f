"""Large data streamed from disk: image folders through a lazy Dataset and a resized cache,
AnnData files read backed in row chunks; each must give what the in-memory path gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

Image = pytest.importorskip("PIL.Image")
torch = pytest.importorskip("torch")

from guiapp.core.data import attach as data
from guiapp.core.split import draw as split  # noqa: E402
from guiapp.core.study.model import Study  # noqa: E402


def _image_folder(root, n: int = 24, colour: bool = True):
    """Two class folders of 10 × 14 images (dim and bright), PNG and JPEG."""
    rng = np.random.default_rng(0)
    for cls, level in (("healthy", 80), ("tumour", 170)):
        (root / cls).mkdir(parents=True)
        for i in range(n):
            shape = (10, 14, 3) if colour else (10, 14)
            arr = np.clip(rng.normal(level, 40, shape), 0, 255).astype(np.uint8)
            Image.fromarray(arr).save(root / cls / f"{i}.{'png' if i % 2 else 'jpg'}")
    return root


def test_the_lazy_dataset_and_the_cache_give_the_in_memory_pixels(tmp_path):
    from guiapp.core.data.image_stream import ImageFolderDataset, build_image_cache
    from guiapp.core.data.images import load_images

    folder = _image_folder(tmp_path / "scans", n=6)
    images = load_images(folder, size=(8, 12))
    pixels = images.table.iloc[:, 2:].to_numpy(dtype=np.float32)
    lazy = ImageFolderDataset(folder, images.files, images.colour, (8, 12), targets=images.table["class"].tolist())
    assert len(lazy) == len(pixels) == 12
    for i in (0, 5, 11):
        row, target = lazy[i]
        assert row.dtype == np.float32 and np.array_equal(row, pixels[i]) and target == images.table["class"][i]
    # decoded by a DataLoader worker into the 8-bit cache: 8-bit images come back exactly
    cache = build_image_cache(folder, images.files, images.colour, (8, 12), tmp_path / "cache", workers=1)
    assert cache.path.stat().st_size == 12 * 3 * 8 * 12
    np.testing.assert_allclose(cache.read([3, 0, 11]), pixels[[3, 0, 11]], atol=1e-6)
    again = build_image_cache(folder, images.files, images.colour, (8, 12), tmp_path / "cache", workers=0)
    assert again.path == cache.path  # written once, then reused
    # what a spawned DataLoader worker receives (macOS, Windows): the datasets travel pickled
    import pickle

    from guiapp.core.data.streaming import RowDataset, StreamedRows

    rows = pickle.loads(pickle.dumps(RowDataset(StreamedRows(cache, np.array([4, 9])), np.array([0, 1]))))
    np.testing.assert_allclose(rows.__getitems__([1, 0])[0][0], pixels[[9, 4]], atol=1e-6)
    assert np.array_equal(pickle.loads(pickle.dumps(lazy))[2][0], pixels[2])


def _image_study(folder, tmp_path, name):
    study = Study()
    study.save(tmp_path / name)
    data.attach_data(study, data.AttachRequest(folder, label="class", sensitive=False, options={"image_size": 8}))
    split.split_study(study)
    return study


def test_an_image_study_above_the_threshold_streams_and_predicts_as_in_memory(tmp_path, monkeypatch):
    from guiapp.core.batch.effects import batch_effect_report
    from guiapp.core.data.streaming import StreamedRows
    from guiapp.core.models import recommend as architecture
    from guiapp.core.models.network import predict
    from guiapp.core.models.train import train_network
    from guiapp.core.split.draw import train_tune_arrays

    folder = _image_folder(tmp_path / "scans", n=30)
    memory = _image_study(folder, tmp_path, "in-memory")
    monkeypatch.setenv("TENFOLD_STREAM_BYTES", "1000")  # 60 images of 3 × 8 × 8 float32 = 46 kB: streamed
    streamed = _image_study(folder, tmp_path, "streamed")
    d = streamed.data
    assert d.options["stream"] == "images" and "r_0_0" not in streamed.table.columns
    assert (streamed.folder / "cache").is_dir() and d.feature_columns == memory.data.feature_columns
    # the profile read in chunks equals the table's; near-copies are not searched on disk
    assert d.profile.pop("near_duplicate_pairs") is None
    assert d.profile == {k: v for k, v in memory.data.profile.items() if k != "near_duplicate_pairs"}
    assert streamed.split.train_idx == memory.split.train_idx
    X_tr, _, X_tu, _ = train_tune_arrays(streamed)
    assert isinstance(X_tr, StreamedRows)
    np.testing.assert_allclose(X_tu.read(), train_tune_arrays(memory)[2], atol=1e-6)
    for study in (memory, streamed):
        architecture.set_architecture(study, width=8, depth=2, dropout=0.0, kind="cnn2d")
        t = study.train
        t.device, t.max_epochs, t.patience, t.batch_size = "cpu", 2, 10, 16
        train_network(study)
        assert t.status == "done"
    np.testing.assert_allclose(
        [r["train_loss"] for r in streamed.train.history], [r["train_loss"] for r in memory.train.history], rtol=1e-4
    )
    expected = predict(memory, train_tune_arrays(memory)[2])
    np.testing.assert_allclose(predict(streamed, X_tu), expected, atol=1e-4)
    cache_files = sorted((streamed.folder / "cache").iterdir())
    streamed.table = None  # reopening: the table is read again, the cache reused
    data.reload_table(streamed)
    assert sorted((streamed.folder / "cache").iterdir()) == cache_files and "r_0_0" not in streamed.table.columns
    np.testing.assert_allclose(predict(streamed, train_tune_arrays(streamed)[2]), expected, atol=1e-4)
    report = batch_effect_report(streamed)  # an incremental PCA over chunks: the same leading component
    assert report is not None and streamed.batch.explained_variance[0] == pytest.approx(
        batch_effect_report(memory) and memory.batch.explained_variance[0], rel=1e-3
    )


def _h5ad(path, *, sparse: bool):
    import scipy.sparse as sp

    from guiapp.core.data.anndata_io import write_h5ad

    rng = np.random.default_rng(1)
    X = rng.poisson(2.0, (80, 30)).astype(np.float32)
    X[:, 3] = 0.0  # a constant gene
    X[7] = X[2]  # an exact copy of a cell
    obs = pd.DataFrame(
        {"cell_type": pd.Categorical(np.repeat(["T", "B"], 40)), "donor": np.tile(["d1", "d2", "d3", "d4"], 20)},
        index=[f"cell{i}" for i in range(80)],
    )
    write_h5ad(path, sp.csr_matrix(X) if sparse else X, obs, [f"g{j}" for j in range(30)])
    return path, X


@pytest.mark.parametrize("sparse", [False, True])
def test_a_backed_h5ad_profiles_as_the_file_read_whole(tmp_path, monkeypatch, sparse):
    from guiapp.core.data.anndata_io import BackedX

    path, X = _h5ad(tmp_path / "cells.h5ad", sparse=sparse)
    rows = BackedX(path).read([5, 2, 3, 79, 4])  # any order, runs read at once
    np.testing.assert_array_equal(rows, X[[5, 2, 3, 79, 4]])
    whole = Study()
    whole.save(tmp_path / "whole")
    whole_profile = data.attach_data(whole, data.AttachRequest(path, label="cell_type", batch="donor", sensitive=False))
    monkeypatch.setenv("TENFOLD_STREAM_BYTES", "1000")
    backed = Study()
    backed.save(tmp_path / "backed")
    backed_profile = data.attach_data(
        backed, data.AttachRequest(path, label="cell_type", batch="donor", sensitive=False)
    )
    assert backed.data.options["stream"] == "h5ad" and "g0" not in backed.table.columns
    assert backed_profile.feature_columns == whole_profile.feature_columns
    assert backed_profile.constant_columns == whole_profile.constant_columns == ["g3"]
    assert backed_profile.duplicate_rows == whole_profile.duplicate_rows == 1
    near = ("near_duplicate_pairs", "words")  # near-copies are not searched in a backed file
    assert backed.data.profile["near_duplicate_pairs"] is None
    assert "1 exact copies of samples." in backed.data.profile["words"]
    assert {k: v for k, v in backed.data.profile.items() if k not in near} == {
        k: v for k, v in whole.data.profile.items() if k not in near
    }
    assert [f.code for f in backed_profile.findings] == [f.code for f in whole_profile.findings]
    Xb, yb, _ = data.model_frame(backed)
    Xw, yw, _ = data.model_frame(whole)
    np.testing.assert_array_equal(np.asarray(Xb), Xw)
    np.testing.assert_array_equal(yb, yw)


def test_a_backed_h5ad_study_trains_as_the_file_read_whole(tmp_path, monkeypatch):
    """Rows read from the file by DataLoader workers train the same MLP as the table in memory."""
    from guiapp.core.models import recommend as architecture
    from guiapp.core.models.network import predict
    from guiapp.core.models.train import train_network
    from guiapp.core.split.draw import train_tune_arrays

    path, _ = _h5ad(tmp_path / "cells.h5ad", sparse=True)
    studies = []
    for name, threshold in (("whole", str(1 << 40)), ("backed", "1000")):
        monkeypatch.setenv("TENFOLD_STREAM_BYTES", threshold)
        study = Study()
        study.save(tmp_path / name)
        data.attach_data(study, data.AttachRequest(path, label="cell_type", sensitive=False))
        split.split_study(study)
        architecture.set_architecture(study, width=16, depth=1, dropout=0.0, kind="mlp")
        t = study.train
        t.device, t.max_epochs, t.patience, t.batch_size = "cpu", 2, 10, 16
        train_network(study)
        studies.append(study)
    whole, backed = studies
    assert backed.data.options["stream"] == "h5ad" and backed.split.train_idx == whole.split.train_idx
    np.testing.assert_allclose(
        [r["tune_loss"] for r in backed.train.history], [r["tune_loss"] for r in whole.train.history], rtol=1e-4
    )
    X_tu = train_tune_arrays(backed)[2]
    np.testing.assert_allclose(predict(backed, X_tu), predict(whole, train_tune_arrays(whole)[2]), atol=1e-5)
