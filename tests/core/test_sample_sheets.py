"""Sample sheets: technical columns stay metadata unless chosen as features, and an ID mismatch is
explained by comparing sample names with sample names (suffix, prefix, case, separators, zeros)."""

from __future__ import annotations

import pandas as pd
import pytest

from guiapp.core.data import attach as data
from guiapp.core.data import errors as data_errors
from guiapp.core.data.sample_ids import best_rule, mismatch_advice
from guiapp.core.data.sample_sheets import join_sample_sheet
from guiapp.core.study.model import Study
from tests.core.small_counts import write_small_counts


@pytest.mark.parametrize(
    "data_ids, sheet_ids, code, said",
    [
        (
            ["treated1", "treated2", "untreated1"],
            ["treated1fb", "treated2fb", "untreated1fb"],
            "suffix",
            "a suffix 'fb'",
        ),
        (["S1", "S2", "S3"], ["lab_S1", "lab_S2", "lab_S3"], "prefix", "a prefix 'lab_'"),
        (["s1a", "s2b", "s3c"], ["S1A", "S2B", "S3C"], "case", "letter case"),
        (["ctl-1", "ctl-2", "trt-1"], ["ctl_1", "ctl_2", "trt_1"], "separators", "separators"),
        (["S1", "S2", "S10"], ["S01", "S02", "S10"], "leading-zeros", "leading zeros"),
    ],
)
def test_each_kind_of_id_difference_is_named(data_ids, sheet_ids, code, said):
    match = best_rule(data_ids, sheet_ids)
    assert match.rule.code == code and match.applies
    assert match.matched == 3
    assert said in match.rule.words


def test_a_rule_that_would_merge_two_ids_is_not_applied():
    # 'S1' and 'S01' both exist in the data: dropping zeros would make them one
    match = best_rule(["S1", "S01", "S2"], ["S001", "S002", "S0001"])
    assert not match.applies
    assert "would become the same" in mismatch_advice(match, ["S1", "S01", "S2"], ["S001", "S002", "S0001"])


def test_the_join_applies_an_unambiguous_rule_and_reports_it():
    table = pd.DataFrame({"sample_id": ["treated1", "treated2", "untreated1"], "g1": [1.0, 2.0, 3.0]})
    sheet = pd.DataFrame({"file": ["treated1fb", "treated2fb", "untreated1fb"], "condition": ["t", "t", "u"]})
    out, report = join_sample_sheet(table, sheet)
    assert out["condition"].tolist() == ["t", "t", "u"]
    assert report.matched == 3 and report.data_unmatched == 0
    assert "a suffix 'fb' differs" in report.id_rule and "'treated1fb'" in report.id_rule


def test_with_exact_matching_the_error_explains_the_difference_and_the_fix():
    table = pd.DataFrame({"sample_id": ["treated1", "treated2", "untreated1"], "g1": [1.0, 2.0, 3.0]})
    sheet = pd.DataFrame({"file": ["treated1fb", "treated2fb", "untreated1fb"], "condition": ["t", "t", "u"]})
    with pytest.raises(data_errors.SampleSheetMismatchError) as info:
        join_sample_sheet(table, sheet, id_match="exact")
    message = str(info.value)
    assert "a suffix 'fb' differs" in message and "(sheet 'treated1fb', data 'treated1')" in message
    assert 'samples_id_match = "exact"' in message


def test_sheet_columns_are_metadata_unless_chosen_as_features(tmp_path):
    counts, sheet = write_small_counts(tmp_path, n_genes=50)
    study = Study()
    data.attach_data(study, data.AttachRequest(counts, label="condition", samples=str(sheet), sensitive=False))
    roles = study.data.roles
    for col in ("number of lanes", "total number of reads", "exon counts", "type", "file"):
        assert roles.get(col, "ignore") != "feature", col
        assert col not in study.data.feature_columns
    assert "sheet-columns-not-features" in study.finding_codes()
    assert "sample-ids-matched-by-rule" in study.finding_codes()
    assert study.data.sample_sheet["id_rule"].startswith("a suffix 'fb' differs")

    chosen = Study()
    data.attach_data(
        chosen,
        data.AttachRequest(
            counts, label="condition", samples=str(sheet), sensitive=False, sheet_features=["exon counts"]
        ),
    )
    assert "exon counts" in chosen.data.feature_columns
    assert "number of lanes" not in chosen.data.feature_columns


def test_a_sheet_feature_the_sheet_lacks_is_named(tmp_path):
    counts, sheet = write_small_counts(tmp_path, n_genes=50)
    with pytest.raises(data_errors.ColumnMissingError) as info:
        data.attach_data(
            Study(), data.AttachRequest(counts, label="condition", samples=str(sheet), sheet_features=["lanes"])
        )
    assert "'lanes'" in str(info.value) and "'number of lanes'" in str(info.value)


def test_the_spec_keys_reach_the_loader(tmp_path):
    counts, sheet = write_small_counts(tmp_path, n_genes=50)
    spec = {
        "path": str(counts),
        "samples": str(sheet),
        "label": "condition",
        "sensitive": False,
        "samples_id_match": "exact",
        "transposed": True,
    }
    with pytest.raises(data_errors.SampleSheetMismatchError):
        data.attach_from_spec(Study(), spec)
    spec.update(samples_id_match="auto", sheet_features=["number of lanes"])
    study = Study()
    data.attach_from_spec(study, spec)
    assert "number of lanes" in study.data.feature_columns


def test_sheet_features_without_a_sheet_are_refused_by_the_spec():
    from guiapp.core.study.errors import SpecError
    from guiapp.core.study.spec import check_spec

    with pytest.raises(SpecError, match="sheet_features"):
        check_spec({"data": {"path": "x.csv", "label": "y", "sheet_features": ["exon counts"]}})
    with pytest.raises(SpecError, match="samples_id_match"):
        check_spec({"data": {"path": "x.csv", "label": "y", "samples": "s.csv", "samples_id_match": "fuzzy"}})
