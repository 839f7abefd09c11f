"""The findings catalogue: stable codes, valid tips and severities, filled messages."""

from __future__ import annotations

import json
import re
import string

import numpy as np
import pytest

from guiapp.core.study.findings import SEVERITIES, Finding, Findings
from guiapp.core.study.steps import STEP_IDS

KINDS = Findings.all()


def placeholders(template: str) -> set:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_codes_are_unique_and_stable_slugs():
    codes = [k.code for k in KINDS]
    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(r"[a-z]+(-[a-z]+)*", c) for c in codes), codes


def test_some_codes_scripts_rely_on_never_change():
    assert Findings.batch_effect.code == "batch-effect"
    assert Findings.test_set_reused.code == "test-set-reused"
    assert Findings.class_imbalance.code == "class-imbalance"
    assert Findings.sensitivity_undeclared.code == "sensitivity-undeclared"


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.code)
def test_every_kind_has_a_tip_a_severity_and_a_step(kind):
    assert 1 <= kind.tip <= 10
    assert kind.severity in SEVERITIES
    assert kind.step in STEP_IDS


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.code)
def test_every_template_fills_completely(kind):
    values = {name: 0.5 for name in placeholders(kind.template)}
    finding = kind.raise_(**values)
    assert "{" not in finding.message and "}" not in finding.message
    assert (finding.code, finding.tip, finding.severity, finding.step) == (
        kind.code,
        kind.tip,
        kind.severity,
        kind.step,
    )


def test_raise_fills_the_template_with_the_values():
    f = Findings.batch_effect.raise_(batch="run", silhouette=0.4321)
    assert "'run'" in f.message
    assert "0.43" in f.message
    assert f.values == {"batch": "run", "silhouette": 0.4321}


def test_raise_with_a_missing_value_fails_loudly():
    with pytest.raises(KeyError):
        Findings.batch_effect.raise_(batch="run")


def test_numpy_values_are_stored_as_plain_python():
    f = Findings.duplicate_samples.raise_(count=np.int64(3))
    assert type(f.values["count"]) is int
    f = Findings.class_imbalance.raise_(ratio=np.float32(4.0), minority="a", share=np.float64(0.2))
    json.dumps(f.to_dict())  # would raise on numpy scalars


def test_to_dict_from_dict_round_trip_through_json():
    f = Findings.test_set_reused.raise_(uses=2, reason="reviewer asked")
    back = Finding.from_dict(json.loads(json.dumps(f.to_dict())))
    assert back == f
    assert back.to_dict() == f.to_dict()


def test_by_code_finds_the_kind_and_rejects_unknown_codes():
    assert Findings.by_code("overfitting-gap") is Findings.overfitting_gap
    with pytest.raises(KeyError):
        Findings.by_code("no-such-finding")
