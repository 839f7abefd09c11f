"""Findings: every warning Tenfold raises about a study, declared once with a stable code.

A finding has a ``code`` that never changes (scripts and tests ask for it), the ``tip``
of Lee et al. (2022) it comes from, a ``severity`` and a plain-words ``message`` that says
what to do. The GUI shows them on the page and in the checklist, the model card lists them,
and ``inspect --json`` and ``metrics.json`` carry them.

:class:`Findings` names every kind; the kinds are declared by step in
:mod:`~guiapp.core.study.findings_data`, :mod:`~guiapp.core.study.findings_design` and
:mod:`~guiapp.core.study.findings_results` (a new finding goes into its step's module).
"""

from __future__ import annotations

from guiapp.core.study.finding import SEVERITIES, Catalogue, Finding, FindingKind
from guiapp.core.study.findings_data import DataFindings
from guiapp.core.study.findings_design import DesignFindings
from guiapp.core.study.findings_results import ResultFindings

__all__ = ["SEVERITIES", "Finding", "FindingKind", "Findings"]


class Findings(DataFindings, DesignFindings, ResultFindings, Catalogue):
    """The catalogue: one attribute per kind, so code and tests name them."""
