"""The glossary: every term the wizard uses, in plain words, with sketches that are valid SVG."""

from __future__ import annotations

import collections
import xml.dom.minidom

import pytest

from guiapp.core.study import glossary
from guiapp.core.study.steps import STEP_IDS

ISSUE_TERMS = (
    "layer",
    "activation",
    "loss",
    "epoch",
    "batch size",
    "learning rate",
    "overfitting",
    "regularisation",
    "dropout",
    "tune set",
    "AUROC",
    "PR AUC",
    "calibration",
    "batch effect",
)


@pytest.mark.parametrize("word", ISSUE_TERMS)
def test_the_terms_biologists_asked_for_are_explained(word):
    term = glossary.lookup(word)
    assert term is not None, word
    assert len(term.plain) > 60 and term.why


def test_every_word_names_one_term_and_every_step_lists_its_terms():
    words = collections.Counter(w.lower() for t in glossary.TERMS for w in t.words)
    assert [w for w, n in words.items() if n > 1] == []
    assert set(glossary.STEP_TERMS) == set(STEP_IDS)
    assert len(glossary.TERMS) >= 40


def test_the_sketches_are_valid_svg():
    drawn = [t for t in glossary.TERMS if t.picture]
    assert {"overfitting", "learning-rate", "auroc", "pr-auc", "calibration", "batch-effect", "dropout", "layer"} <= {
        t.key for t in drawn
    }
    for t in drawn:
        doc = xml.dom.minidom.parseString(glossary.picture(t.key))
        assert doc.documentElement.tagName == "svg"
    assert glossary.picture("seed") == ""


def test_page_texts_link_their_terms_once_and_escape_the_rest():
    text = "After each pass over the training split (an epoch) the tune split & the epoch <b>"
    html = glossary.link_terms(text)
    assert html.count('href="glossary:epoch"') == 1  # the first mention only
    assert '<a href="glossary:tune-set">tune split</a>' in html
    assert "&amp; the epoch &lt;b&gt;" in html
    assert glossary.linked_keys(text) == ["train-set", "epoch", "tune-set"]
    assert glossary.link_terms("A PC and the CI") == "A PC and the CI"  # two letters: ordinary words


def test_search_finds_names_before_explanations():
    found = [t.key for t in glossary.search("rate")]
    assert found[0] == "learning-rate"
    assert "differential-privacy" not in found[:1]
    assert len(glossary.search("")) == len(glossary.TERMS)
    assert glossary.lookup("Learning rate:").key == "learning-rate"


def test_an_entry_says_what_why_and_what_else_to_read():
    html = glossary.entry_html("overfitting")
    assert "<h2>Overfitting</h2>" in html and "Why it matters:" in html
    assert 'href="glossary:regularisation"' in html
