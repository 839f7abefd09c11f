"""report.html's interpretation and privacy plots: integrated gradients, image and sequence
attribution maps, the membership attack's ROC curves and utility against ε; each one inline."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pytest

from guiapp.core.export.report import render_report
from guiapp.core.export.report_figures import SEQUENTIAL, colour, png_bytes
from guiapp.core.interpretation import attribution_maps
from tests.core.test_report import finished_study


def assert_self_contained(page: str) -> None:
    assert "://" not in page and "<script" not in page and "<link" not in page and "url(" not in page


def attack(auc: float, fpr, tpr, warn: bool) -> dict:
    return {
        "auc": auc,
        "auc_ci": [auc - 0.05, auc + 0.05],
        "advantage": 0.2,
        "advantage_ci": [0.1, 0.3],
        "tpr_at_low_fpr": 0.05,
        "tpr_at_low_fpr_ci": [0.0, 0.1],
        "n_members": 60,
        "n_non_members": 60,
        "warn": warn,
        "reading": "read",
        "roc": {"fpr": fpr, "tpr": tpr},
    }


def test_privacy_section_plots_the_attack_roc_and_utility_against_epsilon():
    s = finished_study()
    s.ethics.membership = {
        "models": {
            "network": attack(0.71, [0, 0.1, 0.5, 1], [0, 0.4, 0.8, 1], True),
            "knn": attack(0.52, [0, 0.5, 1], [0, 0.52, 1], False),
        }
    }
    s.ethics.dp = {
        "epsilon": 3.0,
        "target_epsilon": 3.0,
        "delta": 1e-5,
        "accountant": "rdp",
        "noise_multiplier": 1.1,
        "max_grad_norm": 1.0,
        "epochs": 30,
        "utility_cost": 0.08,
        "dp_tune": 0.80,
        "non_private_tune": 0.88,
        "metric": "roc_auc",
        "weights": "x",
        "history": [
            {"epsilon": 8.0, "dp_tune": 0.85},
            {"epsilon": 1.0, "dp_tune": 0.70},
            {"epsilon": 3.0, "dp_tune": 0.80},
        ],
    }
    page = render_report(s)
    assert_self_contained(page)
    privacy = page[page.index('<section id="privacy">') : page.index('<section id="reproducibility">')]
    assert "Membership-inference attack: ROC curves" in privacy
    assert "network (AUC 0.71)" in privacy and "kNN baseline (AUC 0.52)" in privacy
    assert "attack ROC AUC 0.71" in privacy  # the audit in words beside the plot
    assert "Utility against privacy: tune score for each ε" in privacy
    assert "without differential privacy 0.880" in privacy
    # the DP runs are drawn in order of ε: one path through three points
    dp_svg = privacy[privacy.index("Utility against privacy") :]
    path = re.search(r'<path d="(M[^"]+)"', dp_svg).group(1)
    xs = [float(p.split(",")[0]) for p in re.findall(r"[ML]([\d.]+,[\d.]+)", path)]
    assert len(xs) == 3 and xs == sorted(xs)


def test_no_audit_no_dp_no_privacy_plots():
    page = render_report(finished_study())
    assert "Membership-inference attack: ROC curves" not in page and "Utility against privacy" not in page


def test_integrated_gradients_of_a_table_get_a_bar_chart():
    s = finished_study()
    s.interpret.attributions = [{"feature": f"gene_{i}", "mean_abs": 1.0 / (i + 1), "mean": 0.1} for i in range(20)]
    s.interpret.attribution_note = "Integrated gradients of the probability of 'luminal'."
    page = render_report(s)
    assert "Top 15 features by integrated gradients" in page and "probability of &#39;luminal&#39;" in page


def image_study():
    s = finished_study()
    s.data.modality, s.data.input_shape = "image", [1, 8, 8]
    mean = np.zeros((8, 8))
    mean[2:4, 5:7] = 1.0
    example = {
        "row": 0,
        "label": "predicted tumour (0.97)",
        "image": attribution_maps.quantise(np.eye(8)),
        "integrated_gradients": attribution_maps.quantise(mean),
        "saliency": attribution_maps.quantise(mean / 2),
    }
    s.interpret.maps = {
        "kind": "image",
        "shape": [1, 8, 8],
        "mean": attribution_maps.quantise(mean),
        "examples": [example],
        "method": "integrated gradients",
        "reading": "Edges are quiet.",
    }
    return s


def decoded_pngs(svg: str) -> list:
    Image = pytest.importorskip("PIL.Image")
    return [
        np.asarray(Image.open(io.BytesIO(base64.b64decode(b))).convert("RGB"))
        for b in re.findall(r'href="data:image/png;base64,([A-Za-z0-9+/=]+)"', svg)
    ]


def test_image_maps_are_inline_pngs_with_the_attribution_where_it_was():
    page = render_report(image_study())
    assert_self_contained(page)
    assert "Attribution maps of the network on image samples" in page and "predicted tumour (0.97)" in page
    assert "Edges are quiet." in page
    start = page.index("Attribution maps of the network")
    figure = page[start : page.index("</svg>", start)]
    images = decoded_pngs(figure)
    mean = images[0]
    assert mean.shape == (8, 8, 3)
    assert tuple(mean[2, 5]) == SEQUENTIAL[-1] and tuple(mean[0, 0]) == SEQUENTIAL[0]  # bright where attributed
    example_image = images[2]  # after the colour bar: the sample itself, in grey
    assert tuple(example_image[3, 3]) == (255, 255, 255) and tuple(example_image[3, 4]) == (0, 0, 0)
    assert len(images) == 5  # mean, colour bar, image, integrated gradients, saliency


def test_sequence_profile_and_letter_map():
    s = finished_study()
    s.data.modality, s.data.input_shape = "sequence", [12, 4]
    profile = [0.01] * 12
    profile[5] = 0.5
    letters = np.zeros((12, 4))
    letters[5, 2] = 0.4
    s.interpret.maps = {
        "kind": "sequence",
        "length": 12,
        "letters": "ACGT",
        "profile": profile,
        "letter_map": attribution_maps.quantise(letters, signed=True),
        "method": "integrated gradients",
        "reading": "The first is position 6 (G).",
        "top_positions": [],
    }
    page = render_report(s)
    assert_self_contained(page)
    assert "Attribution per sequence position" in page and "Signed attribution of each letter" in page
    assert "The first is position 6 (G)." in page
    start = page.index("Attribution per position and letter")
    grid = decoded_pngs(page[start : page.index("</svg>", start)])[0]
    assert grid.shape == (4, 12, 3)  # letters down, positions across
    assert tuple(grid[2, 5]) == (213, 94, 0) and tuple(grid[0, 0]) == (255, 255, 255)


def test_png_encoder_round_trips():
    Image = pytest.importorskip("PIL.Image")
    rgb = colour(np.linspace(0, 1, 12).reshape(3, 4), SEQUENTIAL, 0, 1)
    back = np.asarray(Image.open(io.BytesIO(png_bytes(rgb))).convert("RGB"))
    np.testing.assert_array_equal(back, rgb)
