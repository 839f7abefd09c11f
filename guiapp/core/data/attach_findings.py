"""The Data step's findings about how the data were read (Tip 4), beside the profile's own.

A turned table, a sample sheet that did not match every sample, sheet columns kept out of
the features, IDs matched by a rule, too few samples, a label table found in the folder,
rows dropped for missing values, and a sensitivity nobody declared.
"""

from __future__ import annotations

from pathlib import Path

from guiapp.core.data.classical import classical_alternative
from guiapp.core.data.loading import LoadedData
from guiapp.core.data.profile import DataProfile
from guiapp.core.study.findings import Finding, Findings
from guiapp.core.study.model import Study

# Below this many labelled samples no train / tune / test split can be judged: the data are
# profiled, and a too-few-samples finding blocks the study (Tip 1).
MIN_STUDY_SAMPLES = 10


def too_few_samples_finding(n_samples: int, transposed: bool, study: Study, counts: bool) -> Finding:
    """The too-few-samples finding, with the classical route the verdict names for these data."""
    how = " after turning the genes × samples table" if transposed else ""
    return Findings.too_few_samples.raise_(
        n_samples=n_samples,
        how=how,
        minimum=MIN_STUDY_SAMPLES,
        alternative=classical_alternative(study, counts=counts, n_samples=n_samples),
    )


def loading_findings(
    study: Study,
    profile: DataProfile,
    loaded: LoadedData,
    *,
    n_rows: int,
    set_aside: list,
    dropped: dict,
    sensitive: bool | None,
) -> list[Finding]:
    """The findings on how the data were read, joined and cleaned, in the order the Data page lists them."""
    findings = []
    if loaded.transposed:
        findings.append(Findings.data_transposed.raise_(n_samples=n_rows, n_features=profile.n_features))
    findings += _sheet_findings(loaded, set_aside)
    if profile.n_samples < MIN_STUDY_SAMPLES:
        counts = any(f.code == Findings.values_look_like_counts.code for f in profile.findings)
        findings.append(too_few_samples_finding(profile.n_samples, loaded.transposed, study, counts))
    pick = loaded.labels_pick
    if pick is not None and pick.path is not None:
        findings.append(
            Findings.label_table_found.raise_(
                table=pick.path.name,
                key=pick.key,
                matched=pick.matched,
                passed_over=f" Passed over: {pick.passed_over_words()}." if pick.passed_over else "",
            )
        )
    elif pick is not None and pick.passed_over:
        findings.append(Findings.tables_passed_over.raise_(tables=pick.passed_over_words()))
    if dropped["rows"] or dropped["columns"]:
        findings.append(Findings.missing_rows_dropped.raise_(rows=dropped["rows"], columns=len(dropped["columns"])))
    if sensitive is None:
        findings.append(Findings.sensitivity_undeclared.raise_())
    return findings


def _sheet_findings(loaded: LoadedData, set_aside: list) -> list[Finding]:
    """Samples the sheet did not match, sheet columns kept out of the features, IDs matched by a rule."""
    findings = []
    rep = loaded.sheet
    if rep is not None and (rep.data_unmatched or rep.sheet_unmatched):
        findings.append(
            Findings.sample_sheet_unmatched.raise_(
                sheet=Path(rep.sheet).name,
                matched=rep.matched,
                key=rep.sheet_key,
                data_unmatched=rep.data_unmatched,
                data_examples=", ".join(map(str, rep.data_unmatched_examples[:3])) or "none",
                sheet_unmatched=rep.sheet_unmatched,
                sheet_examples=", ".join(map(str, rep.sheet_unmatched_examples[:3])) or "none",
                advice=f" {rep.id_advice}" if rep.id_advice else "",
            )
        )
    if set_aside:
        findings.append(Findings.sheet_columns_not_features.raise_(columns=", ".join(map(repr, set_aside[:8]))))
    if rep is not None and rep.id_rule:
        findings.append(
            Findings.sample_ids_matched_by_rule.raise_(
                sheet=Path(rep.sheet).name, rule=rep.id_rule, matched=rep.matched
            )
        )
    return findings
