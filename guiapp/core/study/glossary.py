"""The glossary: every term the wizard uses, in plain words for biologists, with a sketch where one helps.

Pure data and text: the Glossary dialog shows it, the pages link their words to it
(:func:`link_terms`), and a notebook can read it too.
"""

from __future__ import annotations

import html
import re

from guiapp.core.study.glossary_data import DATA_TERMS
from guiapp.core.study.glossary_interpretation import INTERPRETATION_TERMS
from guiapp.core.study.glossary_networks import NETWORK_TERMS
from guiapp.core.study.glossary_term import Term

# Every term, in the order the Glossary dialog lists them (the parts are pure data).
TERMS = NETWORK_TERMS + DATA_TERMS + INTERPRETATION_TERMS

BY_KEY = {t.key: t for t in TERMS}

# The terms each page speaks of, for its help button (the first is shown first).
STEP_TERMS = {
    "study": ("seed", "provenance", "dome"),
    "question": (
        "metric",
        "auroc",
        "pr-auc",
        "balanced-accuracy",
        "r2",
        "calibration",
        "parameters",
        "external-cohort",
        "attribution-stability",
        "flops",
    ),
    "data": ("provenance", "pii", "class-imbalance", "stratified", "group-split"),
    "batch": ("batch-effect", "pca", "confounding", "group-split", "data-leakage"),
    "split": ("train-set", "tune-set", "test-set", "stratified", "group-split", "data-leakage"),
    "baselines": ("baseline", "hyperparameter", "tune-set", "auroc", "confidence-interval"),
    "architecture": ("layer", "unit", "activation", "parameters", "mlp", "cnn", "dropout", "transfer-learning"),
    "train": (
        "epoch",
        "loss",
        "batch-size",
        "learning-rate",
        "optimizer",
        "weight-decay",
        "dropout",
        "early-stopping",
        "seed",
        "checkpoint",
    ),
    "overfitting": ("overfitting", "regularisation", "learning-curve", "label-shuffle", "loss"),
    "evaluate": (
        "auroc",
        "pr-auc",
        "balanced-accuracy",
        "confidence-interval",
        "calibration",
        "subgroup",
        "test-set",
        "r2",
        "external-cohort",
        "domain-classifier",
        "leave-one-batch-out",
    ),
    "interpret": ("permutation-importance", "integrated-gradients", "data-leakage", "baseline"),
    "ethics": ("membership-inference", "differential-privacy", "pii", "model-card"),
    "export": ("model-card", "dome", "seed", "provenance"),
}


def term(key: str) -> Term:
    return BY_KEY[key]


def lookup(word: str) -> Term | None:
    """The term a word or phrase of the wizard names (case-insensitive), or None."""
    w = _norm(word)
    return next((t for t in TERMS if any(_norm(a) == w for a in t.words)), None)


def _norm(word: str) -> str:
    return re.sub(r"\s+", " ", word.strip().rstrip(":").strip().lower())


def picture(key: str) -> str:
    """The term's sketch as SVG text; empty when it has none."""
    t = BY_KEY[key]
    return t.picture() if t.picture else ""


def search(text: str) -> list[Term]:
    """Terms whose name, other words or explanation contain ``text``; names first."""
    q = text.strip().lower()
    if not q:
        return list(TERMS)
    named = [t for t in TERMS if any(q in w.lower() for w in t.words)]
    rest = [t for t in TERMS if t not in named and q in (t.plain + " " + t.why).lower()]
    return named + rest


def _pattern() -> re.Pattern:
    words = sorted({(w, t.key) for t in TERMS for w in t.words if len(w) > 2}, key=lambda p: -len(p[0]))
    return re.compile(r"(?<![\w-])(" + "|".join(re.escape(w) for w, _ in words) + r")(?![\w-])", re.IGNORECASE)


_PATTERN = _pattern()


def link_terms(text: str, *, scheme: str = "glossary:", once: bool = True) -> str:
    """``text`` as HTML with the glossary's words as links ``glossary:<key>``.

    Each term is linked at its first mention only (``once``), so a paragraph does not turn blue.
    Short abbreviations (two letters) are never linked: they collide with ordinary words.
    """
    seen: set = set()
    out, last = [], 0
    for m in _PATTERN.finditer(text):
        found = lookup(m.group(0))
        if found is None or (once and found.key in seen):
            continue
        seen.add(found.key)
        out.append(html.escape(text[last : m.start()]))
        out.append(f'<a href="{scheme}{found.key}">{html.escape(m.group(0))}</a>')
        last = m.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


def linked_keys(text: str) -> list[str]:
    """The keys :func:`link_terms` links in ``text``, in order."""
    return re.findall(r'href="glossary:([\w-]+)"', link_terms(text))


def entry_html(key: str) -> str:
    """One term as a small HTML page: the words, why it matters, other names, related terms."""
    t = BY_KEY[key]
    parts = [
        f"<h2>{html.escape(t.term)}</h2>",
        f"<p>{html.escape(t.plain)}</p>",
        f"<p><b>Why it matters:</b> {html.escape(t.why)}</p>",
    ]
    if t.aliases:
        parts.append("<p><i>Also called or shown as:</i> " + ", ".join(html.escape(a) for a in t.aliases) + "</p>")
    if t.see_also:
        links = ", ".join(f'<a href="glossary:{k}">{html.escape(BY_KEY[k].term)}</a>' for k in t.see_also)
        parts.append(f"<p><i>See also:</i> {links}</p>")
    return "\n".join(parts)


def tooltip(key: str) -> str:
    t = BY_KEY[key]
    return f"{t.term}: {t.plain}"


assert all(k in BY_KEY for t in TERMS for k in t.see_also)
assert all(k in BY_KEY for keys in STEP_TERMS.values() for k in keys)
assert len(BY_KEY) == len(TERMS)
__all__ = [
    "BY_KEY",
    "STEP_TERMS",
    "TERMS",
    "Term",
    "entry_html",
    "link_terms",
    "linked_keys",
    "lookup",
    "picture",
    "search",
    "term",
    "tooltip",
]
