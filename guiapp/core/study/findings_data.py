"""The findings the Data step raises: the table, its labels, its sample sheet and personal data.

Declared here, named through :class:`guiapp.core.study.findings.Findings` (the whole catalogue).
"""

from __future__ import annotations

from guiapp.core.study.finding import FindingKind


class DataFindings:
    """Kinds raised while the data are read, joined and profiled (Tips 1, 4, 7 and 10)."""

    too_few_samples_per_class = FindingKind(
        "too-few-samples-per-class",
        1,
        "warning",
        "data",
        "The smallest class ({label_value!r}) has only {count} samples. With fewer than "
        "{minimum} samples per class a deep network rarely beats a tuned traditional model "
        "(Tip 1): compare carefully with the baselines, or collect more data.",
    )
    class_imbalance = FindingKind(
        "class-imbalance",
        7,
        "warning",
        "data",
        "The classes are imbalanced: the largest is {ratio:.1f} times the smallest "
        "({minority!r} is {share:.0%} of samples). Accuracy and ROC AUC can look good while "
        "the minority class is missed; read balanced accuracy and PR AUC (Tip 7).",
    )
    missing_values = FindingKind(
        "missing-values",
        4,
        "info",
        "data",
        "{n_columns} feature column(s) have missing values ({share:.1%} of all cells). "
        "Tenfold fills them with the training-set median, fitted on the training split only.",
    )
    constant_features = FindingKind(
        "constant-features",
        4,
        "info",
        "data",
        "{n_columns} feature column(s) have the same value in every sample and carry no "
        "information: {examples}. They are kept but cannot help any model.",
    )
    duplicate_samples = FindingKind(
        "duplicate-samples",
        7,
        "warning",
        "data",
        "{count} sample(s) are exact copies of another sample's features. Copies that fall "
        "on both sides of the split inflate the scores (Tip 7): the copy-aware split (on by "
        "default) keeps each cluster of copies on one side; if they are the same sample under two "
        "names, remove the copies.",
    )
    label_missing = FindingKind(
        "label-missing",
        4,
        "warning",
        "data",
        "{count} sample(s) have no label in column {label!r}; they are left out of the study.",
    )
    identifier_like_column = FindingKind(
        "identifier-like-column",
        4,
        "info",
        "data",
        "Column {column!r} looks like a sample identifier (a distinct value in every row), so it "
        "was set aside as an identifier: it is not used as a feature, and exports drop it (Tip 4).",
    )
    possible_label_leak = FindingKind(
        "possible-label-leak",
        7,
        "error",
        "data",
        "{count} feature(s) carry a leak signature on {where}: {features}. A feature that gives "
        "the label away is usually recorded after the outcome (a diagnosis code, a review, a "
        "sample order) and will not exist when the model is used; the scores would be false "
        "(Tip 7). Remove it from the features (mark it 'ignore' on the Data page or in the spec's "
        "roles), or, if it truly is measured before the outcome, accept this finding with the reason.",
        blocks=True,
        caveat="{count} feature(s) carry a label-leak signature",
    )
    strong_single_markers = FindingKind(
        "strong-single-markers",
        7,
        "info",
        "data",
        "Strong single markers: {count} feature(s) on their own predict the label well but not "
        "perfectly on {where} ({measure}): {features}. This is common for real biology; confirm "
        "each is known before prediction (measured before the outcome, not derived from it), and do "
        "not read the network's gain over them as new biology (Tips 7 and 9).",
    )
    sensitivity_undeclared = FindingKind(
        "sensitivity-undeclared",
        10,
        "warning",
        "data",
        "Nobody has said whether these data are sensitive (about people, identifiable, under "
        "consent or a data-use agreement). Answer on the Data page; until then Tenfold treats "
        "them as sensitive and withholds the weights.",
    )
    consent_unrecorded = FindingKind(
        "consent-unrecorded",
        10,
        "warning",
        "data",
        "The data are about people, but no informed consent, ethics (IRB) approval or data-use "
        "agreement is recorded. Record the reference on the Data page before training on them, "
        "and share nothing derived from them until you have (Tip 10).",
    )
    sensitivity_inconsistent = FindingKind(
        "sensitivity-inconsistent",
        10,
        "warning",
        "data",
        "The data are declared not sensitive, but the answers say {why}. Data about "
        "identifiable people, or under consent or a data-use agreement, are sensitive: change "
        "the answer, or record in the ethics register why they are not (Tip 10).",
    )
    # Data in: formats, sample sheets, profile and personal identifiers (Tips 4 and 10).
    near_constant_features = FindingKind(
        "near-constant-features",
        4,
        "info",
        "data",
        "{n_columns} feature column(s) have nearly the same value in every sample (one value at "
        "least 19 times as common as any other): {examples}. They carry little information and "
        "can make a small class look separable by chance.",
    )
    values_look_like_counts = FindingKind(
        "values-look-like-counts",
        4,
        "info",
        "data",
        "The feature values are whole numbers up to {maximum:,.0f}: they look like raw counts. "
        "Networks learn better from normalised, log-transformed values (e.g. log1p of counts per "
        'million): apply log1p on the Data page (or [data] transform = "log1p" in a spec), or '
        "normalise them before loading if the question allows (Tip 4).",
    )
    personal_identifier = FindingKind(
        "pii-identifier",
        10,
        "warning",
        "data",
        "Column {column!r} looks like {kind}, a personal identifier under HIPAA Safe Harbor "
        "({evidence}). It is not used as a feature; remove it (or generalise it) before sharing "
        "the data or anything derived from them, and declare the data sensitive (Tip 10).",
    )
    personal_group_column = FindingKind(
        "pii-group-column",
        10,
        "warning",
        "data",
        "The group column {column!r} looks like {kind}, a personal identifier under HIPAA Safe Harbor "
        "({evidence}). Keep it as the group, never as a feature: it keeps each person's samples on one "
        "side of the split. Pseudonymise it (replace each value by a code) before sharing the data or "
        "anything derived from them, and declare the data sensitive (Tip 10).",
    )
    sample_sheet_unmatched = FindingKind(
        "sample-sheet-unmatched",
        4,
        "warning",
        "data",
        "The sample sheet {sheet} matched {matched} sample(s) by {key!r}; {data_unmatched} sample(s) "
        "of the data have no row in it (e.g. {data_examples}) and {sheet_unmatched} row(s) of it match "
        "no sample (e.g. {sheet_examples}). Samples without a row have no label and are left out: "
        "check that both files name the samples the same way.{advice}",
    )
    label_table_found = FindingKind(
        "label-table-found",
        4,
        "info",
        "data",
        "The labels come from {table}, found in the data folder: its column {key!r} names {matched} of the "
        "samples.{passed_over}",
    )
    tables_passed_over = FindingKind(
        "tables-passed-over",
        4,
        "info",
        "data",
        "Tables in the data folder that are not label tables were passed over: {tables}. If one holds "
        "your labels, choose it as the sample sheet.",
    )
    data_transposed = FindingKind(
        "data-transposed",
        4,
        "info",
        "data",
        "The table held features as rows and samples as columns; Tenfold turned it so each of the "
        "{n_samples} samples is a row of {n_features} features (the sample names are in "
        "'sample_id').",
    )
    class_with_one_sample = FindingKind(
        "class-with-one-sample",
        7,
        "error",
        "data",
        "Class {label_value!r} of the label column {label!r} has a single sample (row {row} of "
        "{file}; {others} other class(es) too). One sample cannot be both learned from and tested "
        "on, so no split can hold it in every part: merge the class into a related one, leave that "
        "sample's label empty to leave it out, or collect more samples of it (Tip 7).",
    )
    missing_values_most_frequent = FindingKind(
        "missing-values-most-frequent",
        4,
        "info",
        "data",
        "{n_columns} feature column(s) have missing values ({share:.1%} of all cells). As chosen, "
        "Tenfold fills them with each feature's most frequent value on the training split, fitted "
        "on the training split only.",
    )
    missing_rows_dropped = FindingKind(
        "missing-values-dropped",
        4,
        "info",
        "data",
        "As chosen, {rows} sample(s) and {columns} feature column(s) with missing values were "
        "dropped before the split.",
    )
    # Small studies and sample sheets (Tips 1 and 4).
    too_few_samples = FindingKind(
        "too-few-samples",
        1,
        "error",
        "data",
        "{n_samples} samples{how}: a study needs at least {minimum} to train, tune and test a model "
        "on separate samples. Tenfold profiles these data but will not train on them (Tip 1). "
        "{alternative}",
    )
    sample_ids_matched_by_rule = FindingKind(
        "sample-ids-matched-by-rule",
        4,
        "info",
        "data",
        "The sample sheet {sheet} names the samples differently from the data; compared name by name, "
        "{rule}. Tenfold matched {matched} sample(s) under that rule. If the match is wrong, set "
        '[data] samples_id_match = "exact" and rename the samples in the sheet.',
    )
    sheet_columns_not_features = FindingKind(
        "sheet-columns-not-features",
        4,
        "info",
        "data",
        "The sample sheet's numeric columns ({columns}) describe how the samples were made (lanes, "
        "read counts, file names), so they are kept as metadata, not features. If one is a real "
        "measurement of the samples, list it under [data] sheet_features or mark it 'feature' in the "
        "roles table.",
    )
