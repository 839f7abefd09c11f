"""Attribution maps of image and sequence studies (Tips 8 and 9): the integrated gradients of a
network trained on generated images and sequences fall where the class signal was planted, and
attribution on an image's border or a sequence's padding is flagged."""

from __future__ import annotations

import numpy as np
import pytest

Image = pytest.importorskip("PIL.Image")
pytest.importorskip("captum")

from guiapp.core.data import attach as data
from guiapp.core.evaluation.guards import guard_texts
from guiapp.core.export.model_card import render_model_card
from guiapp.core.interpretation import attribution_maps
from guiapp.core.interpretation.interpret import interpret_model
from guiapp.core.models.train import train_network
from guiapp.core.split import draw as split
from guiapp.core.study.model import Study

SIZE = 10


def image_folder(root, *, spot, n: int = 36, seed: int = 0):
    """Grey 10 × 10 images; the "marked" class carries a bright square at ``spot`` (rows, cols)."""
    rng = np.random.default_rng(seed)
    for cls in ("plain", "marked"):
        (root / cls).mkdir(parents=True)
        for i in range(n):
            arr = rng.normal(90, 25, (SIZE, SIZE))
            if cls == "marked":
                arr[spot] += 120
            Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)).save(root / cls / f"{cls}_{i}.png")
    return root


def fasta(path, records):
    path.write_text("".join(f">{head}\n{seq}\n" for head, seq in records))
    return path


def trained(study: Study, path, label: str, quick_training, epochs: int = 25) -> Study:
    data.attach_data(study, data.AttachRequest(path, label=label, sensitive=False, options={"image_size": SIZE}))
    split.split_study(study)
    quick_training(study, epochs=epochs)
    study.train.learning_rate = 0.01
    train_network(study)
    return study


def region_share(mean: np.ndarray, rows: slice, cols: slice) -> tuple[float, float]:
    mask = np.zeros(mean.shape, dtype=bool)
    mask[rows, cols] = True
    return float(mean[mask].sum() / mean.sum()), float(mask.mean())


def test_image_maps_put_the_attribution_on_the_planted_spot(tmp_path, quick_training):
    spot = (slice(3, 6), slice(4, 7))
    study = trained(
        Study(folder=tmp_path / "study"), image_folder(tmp_path / "img", spot=spot), "class", quick_training
    )
    result = interpret_model(study, n_repeats=1, top=5)
    maps = result["maps"]
    assert maps is study.interpret.maps and maps["kind"] == "image" and maps["shape"] == [1, SIZE, SIZE]
    mean = attribution_maps.dequantise(maps["mean"])
    assert mean.shape == (SIZE, SIZE)
    share, area = region_share(mean, *spot)
    assert share > 2 * area, (share, area)
    # of every 3 × 3 window of the image, the planted spot carries the most attribution
    windows = {(y, x): mean[y : y + 3, x : x + 3].sum() for y in range(SIZE - 2) for x in range(SIZE - 2)}
    assert max(windows, key=windows.get) == (3, 4)
    assert 2 <= len(maps["examples"]) <= attribution_maps.EXAMPLES
    labels = {ex["label"].split()[1] for ex in maps["examples"]}
    assert labels == {"plain", "marked"}  # the most confident sample of each predicted class
    for ex in maps["examples"]:
        for key in ("image", "integrated_gradients", "saliency"):
            assert np.asarray(ex[key]["levels"]).shape == (SIZE, SIZE), key
    assert "warning" not in maps and maps["edge_ratio"] < attribution_maps.BORDER_WARN
    # permutation importance shuffles 2 × 2 patches (of 10 × 10 pixels); a spot patch matters most
    assert len(study.interpret.importances) == 5
    assert study.interpret.importances[0]["feature"] in {
        f"patch rows {r}–{r + 1}, columns {c}–{c + 1}" for r in (3, 5) for c in (5, 7)
    }
    card = render_model_card(study, weights_shared=False, weights_reason="test", privacy=[])
    assert "**Attribution maps.** Integrated gradients" in card and maps["reading"] in card
    assert "pipeline_tag: image-classification" in card
    # the maps survive study.json
    study.save()
    again = Study.open(study.folder)
    assert again.interpret.maps["mean"] == maps["mean"]


def test_a_network_that_reads_the_image_border_is_flagged(tmp_path, quick_training):
    edge = (slice(0, SIZE), slice(0, 1))  # a bright stripe along the left edge, like a ruler
    study = trained(
        Study(folder=tmp_path / "study"), image_folder(tmp_path / "img", spot=edge), "class", quick_training
    )
    maps = interpret_model(study, n_repeats=1, top=5)["maps"]
    assert maps["edge"] == "left" and maps["edge_ratio"] > attribution_maps.BORDER_WARN
    assert "image border" in maps["warning"]
    assert maps["warning"] in guard_texts(study)
    card = render_model_card(study, weights_shared=False, weights_reason="test", privacy=[])
    assert "leans on the image border" in card  # among the over-interpretation guards


def motif_records(n: int = 80, length: int = 20, at: int = 8, seed: int = 0):
    rng = np.random.default_rng(seed)
    records = []
    for i in range(n):
        seq = list(rng.choice(list("ACGT"), length))
        label = "bound" if i % 2 else "unbound"
        if label == "bound":
            seq[at : at + 4] = list("GATA")
        records.append((f"s{i} label={label}", "".join(seq)))
    return records


def test_sequence_profile_peaks_at_the_planted_motif(tmp_path, quick_training):
    path = fasta(tmp_path / "seqs.fa", motif_records())
    study = trained(Study(folder=tmp_path / "study"), path, "label", quick_training)
    maps = interpret_model(study, n_repeats=1, top=5)["maps"]
    assert maps["kind"] == "sequence" and maps["length"] == 20 and maps["letters"] == "ACGT"
    assert len(maps["profile"]) == 20
    top4 = {r["position"] for r in maps["top_positions"][:4]}
    assert len(top4 & {9, 10, 11, 12}) >= 3, maps["top_positions"]  # the motif sits at positions 9–12
    letter_map = attribution_maps.dequantise(maps["letter_map"])
    assert letter_map.shape == (20, 4)
    # at the motif's positions the planted letter pushes toward "bound" (the attributed class
    # is the second one: toward "unbound" the planted letter pushes down)
    sign = 1 if study.data.classes[1] == "bound" else -1
    for offset, letter in enumerate("GATA"):
        assert (sign * letter_map[8 + offset]).argmax() == "ACGT".index(letter)
    assert "warning" not in maps
    # permutation importance shuffles whole positions: the motif's come first
    top = {r["feature"] for r in study.interpret.importances[:2]}
    assert top <= {"position 9", "position 10", "position 11", "position 12"}, study.interpret.importances
    card = render_model_card(study, weights_shared=False, weights_reason="test", privacy=[])
    first = maps["top_positions"][0]
    assert "**Attributions per position.**" in card
    assert f"| {first['position']} | {first['letter']} | {first['share']:.1%} |" in card


def test_a_network_that_reads_sequence_length_is_flagged(tmp_path, quick_training):
    rng = np.random.default_rng(1)
    records = [
        (f"s{i} label={'long' if i % 2 else 'short'}", "".join(rng.choice(list("ACGT"), 20 if i % 2 else 8)))
        for i in range(80)
    ]
    study = trained(Study(folder=tmp_path / "study"), fasta(tmp_path / "len.fa", records), "label", quick_training)
    maps = interpret_model(study, n_repeats=1, top=5)["maps"]
    assert maps["padding_ratio"] > attribution_maps.PADDING_WARN, maps["padding_ratio"]
    assert "padded" in maps["warning"] and maps["warning"] in guard_texts(study)


def test_maps_of_a_2d_cnn_and_a_1d_cnn(tmp_path, quick_training):
    """The grid networks take the same flattened rows, so their maps are drawn the same way."""
    from guiapp.core.models.recommend import set_architecture

    def train_kind(study, path, label, kind):
        data.attach_data(study, data.AttachRequest(path, label=label, sensitive=False, options={"image_size": SIZE}))
        split.split_study(study)
        quick_training(study, epochs=2)
        set_architecture(study, width=8, depth=1, dropout=0.0, kind=kind)
        train_network(study)
        return interpret_model(study, n_repeats=1, top=5)["maps"]

    image = train_kind(
        Study(folder=tmp_path / "a"),
        image_folder(tmp_path / "img", spot=(slice(3, 6), slice(4, 7)), n=12),
        "class",
        "cnn2d",
    )
    assert image["kind"] == "image" and np.asarray(image["mean"]["levels"]).shape == (SIZE, SIZE)
    assert image["examples"] and "saliency" in image["examples"][0]
    sequence = train_kind(Study(folder=tmp_path / "b"), fasta(tmp_path / "s.fa", motif_records(n=24)), "label", "cnn1d")
    assert sequence["kind"] == "sequence" and len(sequence["profile"]) == 20


def test_tables_get_no_maps(tiny_study, quick_training):
    quick_training(tiny_study)
    train_network(tiny_study)
    assert interpret_model(tiny_study, n_repeats=1, top=5)["maps"] == {}
    assert attribution_maps.modality(tiny_study) is None


def test_positions_follow_column_names_not_order():
    s = Study()
    s.data.modality, s.data.input_shape = "image", [3, 2, 2]
    s.data.feature_columns = ["b_1_1", "r_0_0", "g_0_1", "notes"]
    assert attribution_maps.positions(s).tolist() == [2 * 4 + 1 * 2 + 1, 0, 4 + 1, -1]
    s.data.modality, s.data.input_shape = "sequence", [3, 4]
    s.data.options = {"alphabet": "dna"}
    s.data.feature_columns = ["pos2_G", "pos1_A", "pos3_T"]
    assert attribution_maps.positions(s).tolist() == [1 * 4 + 2, 0, 2 * 4 + 3]
    groups = dict(attribution_maps.feature_groups(s))
    assert groups == {"position 1": [1], "position 2": [0], "position 3": [2]}
    s.data.modality, s.data.input_shape = "image", [3, 20, 20]
    s.data.feature_columns = [f"{k}_{y}_{x}" for k in "rgb" for y in range(20) for x in range(20)]
    groups = attribution_maps.feature_groups(s)
    assert len(groups) == 7 * 7 and groups[0][0] == "patch rows 1–3, columns 1–3"  # 3 × 3 patches, 8 × 8 at most
    assert len(groups[0][1]) == 27 and groups[-1][0] == "patch rows 19–20, columns 19–20"
    s.data.modality = "table"
    assert attribution_maps.feature_groups(s)[5] == ("r_0_5", [5])
    q = attribution_maps.quantise(np.array([[0.0, -2.0], [1.0, 0.5]]), signed=True)
    np.testing.assert_allclose(attribution_maps.dequantise(q), [[0, -2], [1, 0.5]], atol=2 / 99)
