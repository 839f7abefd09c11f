"""The glossary's terms on interpretation and privacy, in plain words for biologists.

Pure data; :mod:`guiapp.core.study.glossary` gathers every part into ``TERMS`` and links the
pages' words to them.
"""

from __future__ import annotations

from guiapp.core.study.glossary_term import Term

INTERPRETATION_TERMS = (
    # Interpretation and privacy
    Term(
        "permutation-importance",
        "Permutation importance",
        "How much the score drops when one feature's values are shuffled among samples.",
        "It shows what the model relies on, not what causes the disease (Tip 9).",
        (),
    ),
    Term(
        "integrated-gradients",
        "Integrated gradients",
        "A way to attribute each single prediction to the "
        "features, by following the network's response from a neutral input to the real one.",
        "Features ranking high here and in permutation importance are the ones the network leans on.",
        ("attributions", "attribution"),
    ),
    Term(
        "external-cohort",
        "External cohort",
        "An independent, labelled dataset from another lab, hospital, "
        "instrument or time, scored once after the sealed test set, through the study's own preprocessing.",
        "A score on held-out samples of one dataset says little about other labs; only an independent cohort "
        "shows how the model travels (Tips 7 and 9).",
        ("external cohorts", "external validation", "independent cohort", "generalizability"),
        None,
        ("domain-classifier", "leave-one-batch-out"),
    ),
    Term(
        "domain-classifier",
        "Domain classifier (shift check)",
        "A simple model trained to tell the training "
        "samples from a cohort's samples. Its ROC AUC is 0.5 when it cannot, 1.0 when every cohort sample "
        "stands out.",
        "It measures how far a cohort lies from the data the model learned from.",
        ("shift check", "domain AUC"),
        None,
        ("external-cohort",),
    ),
    Term(
        "leave-one-batch-out",
        "Leave-one-batch-out estimate",
        "Train on all batches but one and score the "
        "held-out batch, for every batch in turn; the spread of the scores shows how much the result depends "
        "on the batch.",
        "An estimate from the study's own batches, not external validation: they share its protocol and lab.",
        ("leave one batch out", "held-out batch"),
        None,
        ("external-cohort", "batch-effect"),
    ),
    Term(
        "attribution-stability",
        "Attribution stability",
        "Whether the same features come out on top when the "
        "network is refitted on bootstrap resamples of the training split: the rank correlation of their "
        "attributions.",
        "Top features that change with every refit are not a finding to report (Tip 9).",
        ("stable attributions",),
        None,
        ("integrated-gradients",),
    ),
    Term(
        "flops",
        "FLOPs per sample",
        "The arithmetic operations a model needs to score one sample. A linear model "
        "needs a few per feature; a network many more.",
        "Performance per FLOP shows whether the network's gain is worth its cost beside a cheaper baseline.",
        ("FLOPs", "performance per FLOP", "throughput"),
    ),
    Term(
        "membership-inference",
        "Membership inference",
        "An attack that guesses, from a model's outputs, whether a given person's record was in its training data.",
        "If it works, sharing the model reveals who took part in the study (Tip 10).",
        ("membership-inference audit", "membership audit"),
    ),
    Term(
        "differential-privacy",
        "Differential privacy",
        "Training with clipped and noised updates so the model "
        "provably depends little on any one sample; ε (epsilon) measures how little — smaller is more private.",
        "The only formal guarantee for weights trained on sensitive data that leave the lab.",
        ("DP", "DP-SGD", "epsilon", "ε"),
    ),
    Term(
        "pii",
        "Personal identifiers",
        "Information that points to a person: names, dates of birth, addresses, "
        "record numbers, e-mail addresses (the HIPAA Safe Harbor list).",
        "Data holding them are personal data; they must never be features, and never leave the lab unprotected.",
        ("personal identifier", "identifiers", "identifier", "PII", "HIPAA"),
    ),
    Term(
        "provenance",
        "Provenance",
        "Where the data came from: source, version, date, and a fingerprint (SHA-256) "
        "that changes if a single byte of the file changes.",
        "Others can only check a result on the same data.",
        ("SHA-256", "fingerprint", "hash"),
    ),
    Term(
        "model-card",
        "Model card",
        "A short document that ships with a model: what it is for, how it was built "
        "and tested, how well it does for whom, and its limits.",
        "Readers judge a model by it.",
        ("model cards",),
    ),
    Term(
        "dome",
        "DOME",
        "The ELIXIR recommendations for reporting machine learning in biology, in four sections: "
        "Data, Optimization, Model, Evaluation.",
        "Tenfold's export lists the checklist by DOME section.",
        ("DOME recommendations",),
    ),
)
