"""Image folders: a folder per class or images plus a CSV of labels; PNG, JPEG and TIFF, grey
and colour, resized; images generated in the test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

Image = pytest.importorskip("PIL.Image")

from guiapp.core.data import attach as data
from guiapp.core.data import errors as data_errors
from guiapp.core.data.images import image_columns, load_images, pick_labels_file
from guiapp.core.data.readers import read_columns
from guiapp.core.study.model import Study


def per_class_folder(root, colour: bool = False, n: int = 8, size=(12, 18)):
    rng = np.random.default_rng(0)
    for cls, level in (("healthy", 60), ("tumour", 180)):
        (root / cls).mkdir(parents=True)
        for i in range(n):
            shape = size + ((3,) if colour else ())
            arr = np.clip(rng.normal(level, 20, shape), 0, 255).astype(np.uint8)
            suffix = ("png", "jpg", "tif")[i % 3]
            Image.fromarray(arr).save(root / cls / f"{cls}_{i}.{suffix}")
    return root


def test_a_folder_per_class_of_grey_images(tmp_path):
    folder = per_class_folder(tmp_path / "scans")
    images = load_images(folder, size=8)
    assert images.shape == (1, 8, 8) and images.colour == "grey" and images.by_folder
    t = images.table
    assert list(t.columns[:3]) == ["image", "class", "px_0_0"] and len(t) == 16
    assert t["image"][0] == "healthy/healthy_0.png"
    pixels = t.iloc[:, 2:].to_numpy()
    assert pixels.min() >= 0 and pixels.max() <= 1
    healthy = pixels[t["class"] == "healthy"].mean()
    assert healthy == pytest.approx(60 / 255, abs=0.05)
    assert image_columns(folder) == ["image", "class"] == read_columns(folder)


def test_colour_images_resized_and_attached(tmp_path):
    folder = per_class_folder(tmp_path / "scans", colour=True)
    study = Study()
    data.attach_data(study, data.AttachRequest(folder, label="class", options={"image_size": 10}))
    d = study.data
    assert d.modality == "image" and d.input_shape == [3, 10, 10] and d.n_features == 300
    assert d.options["colour"] == "rgb" and d.feature_columns[0] == "r_0_0"
    assert "image" in d.identifiers and d.provenance.size_bytes > 0
    X, y, rows = data.model_frame(study)
    assert X.shape == (16, 300) and X.reshape(16, *d.input_shape).shape == (16, 3, 10, 10)
    data.reload_table(study)  # the folder's manifest hash matches
    (folder / "healthy" / "healthy_0.png").write_bytes((folder / "tumour" / "tumour_0.png").read_bytes())
    with pytest.raises(data_errors.FileChangedError):
        data.reload_table(study)


def test_sixteen_bit_tiff_is_scaled_and_forced_grey_or_rgb(tmp_path):
    folder = tmp_path / "tiffs"
    for cls in ("a", "b"):
        (folder / cls).mkdir(parents=True)
        for i in range(6):
            arr = np.full((9, 9), 40000 if cls == "a" else 10000, dtype=np.uint16)
            Image.fromarray(arr).save(folder / cls / f"{i}.tif")
    grey = load_images(folder, size=4)
    assert grey.colour == "grey"
    assert grey.table.loc[0, "px_0_0"] == pytest.approx(40000 / 65535, abs=1e-3)
    rgb = load_images(folder, size=4, colour="rgb")
    assert rgb.shape == (3, 4, 4)


def test_a_flat_folder_with_a_csv_of_labels(tmp_path):
    folder = tmp_path / "flat"
    folder.mkdir()
    rng = np.random.default_rng(1)
    for i in range(12):
        Image.fromarray((rng.random((6, 6)) * 255).astype(np.uint8)).save(folder / f"cell_{i}.png")
    pd.DataFrame(
        {
            "filename": [f"cell_{i}.png" for i in range(11)] + ["cell_99.png"],
            "phenotype": ["round", "spiky"] * 6,
            "plate": ["p1", "p2", "p3"] * 4,
        }
    ).to_csv(folder / "labels.csv", index=False)
    assert image_columns(folder) == ["image", "filename", "phenotype", "plate"]
    study = Study()
    data.attach_data(study, data.AttachRequest(folder, label="phenotype", batch="plate", options={"image_size": 6}))
    d = study.data
    assert d.samples.endswith("labels.csv") and d.sample_sheet["data_key"] in ("image", "file")
    assert d.n_samples == 11 and "sample-sheet-unmatched" in study.finding_codes()
    assert d.feature_columns == [f"px_{y}_{x}" for y in range(6) for x in range(6)]


def test_an_empty_folder_and_a_broken_image(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(data_errors.NoImagesError, match="holds no PNG"):
        load_images(tmp_path / "empty")
    folder = per_class_folder(tmp_path / "scans")
    (folder / "tumour" / "zz.jpg").write_bytes(b"\xff\xd8\xff garbage")
    with pytest.raises(data_errors.UnreadableImageError, match="tumour/zz.jpg"):
        load_images(folder)


README = "Scans from the 2023 screen.\nImages were taken at 20x; see the lab book, p. 12, for details.\n"


def test_a_readme_beside_class_folders_is_not_taken_for_labels(tmp_path):
    folder = per_class_folder(tmp_path / "scans", n=6)
    (folder / "README.txt").write_text(README)
    assert image_columns(folder) == ["image", "class"]
    study = Study()
    data.attach_data(study, data.AttachRequest(folder, label="class", options={"image_size": 6}))
    assert study.data.class_counts == {"healthy": 6, "tumour": 6} and study.data.samples == ""
    (note,) = [f for f in study.findings if f.code == "tables-passed-over"]
    assert "README.txt" in note.message and "label-table-found" not in study.finding_codes()


def test_the_label_table_is_the_one_whose_column_names_the_images(tmp_path):
    folder = tmp_path / "flat"
    folder.mkdir()
    rng = np.random.default_rng(2)
    for i in range(12):
        Image.fromarray((rng.random((6, 6)) * 255).astype(np.uint8)).save(folder / f"cell_{i}.png")
    (folder / "a_notes.txt").write_text(README)
    pd.DataFrame({"plate": ["p1", "p2"], "operator": ["AB", "CD"]}).to_csv(folder / "b_plates.csv", index=False)
    pd.DataFrame({"cell": [f"cell_{i}" for i in range(12)], "phenotype": ["round", "spiky"] * 6}).to_csv(
        folder / "c_labels.csv", index=False
    )
    pick = pick_labels_file(folder)
    assert pick.path.name == "c_labels.csv" and pick.key == "cell" and pick.matched == 12
    assert [name for name, _ in pick.passed_over] == ["a_notes.txt", "b_plates.csv"]
    assert image_columns(folder) == ["image", "cell", "phenotype"]
    study = Study()
    data.attach_data(study, data.AttachRequest(folder, label="phenotype", options={"image_size": 6}))
    assert study.data.samples.endswith("c_labels.csv") and study.data.class_counts == {"round": 6, "spiky": 6}
    (note,) = [f for f in study.findings if f.code == "label-table-found"]
    assert "c_labels.csv" in note.message and "'cell'" in note.message and "a_notes.txt" in note.message
