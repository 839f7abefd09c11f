"""Sample names compared with sample names: why a sheet's IDs miss the data's, and the fix.

A sample sheet often names samples a little differently from the data: a file suffix
(``treated1fb`` against ``treated1``), a prefix, letter case, ``-`` against ``_``, or
leading zeros (``S01`` against ``S1``). :func:`best_rule` finds the one rule that makes the
two lists meet. A rule is applied by itself only when it is unambiguous: after it, no two
IDs on either side become the same, and it matches more samples than the names as written.
The rule is then recorded (the sheet report and a ``sample-ids-matched-by-rule`` finding
say it in words), and the spec key ``[data] samples_id_match = "exact"`` turns it off.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass

# Spec values of [data] samples_id_match: "auto" applies an unambiguous rule; "exact" never does.
ID_MATCH_CHOICES = ("auto", "exact")
_SEPARATORS = re.compile(r"[-_.\s]+")
_LEADING_ZEROS = re.compile(r"(?<!\d)0+(?=\d)")


@dataclass(frozen=True)
class IdRule:
    """How the sheet's IDs are turned into the data's, in words and as a key function."""

    code: str  # "exact", "suffix", "prefix", "case", "separators", "leading-zeros"
    words: str  # "a suffix 'fb' differs"
    side: str = ""  # "sheet" or "data": the side whose IDs carry the extra suffix or prefix
    text: str = ""  # the suffix or prefix

    def keys(self, ids: Iterable[str], side: str) -> list:
        """Each ID in the form both sides share under this rule."""
        return self.key_series(ids, side).tolist()

    def key_series(self, ids: Iterable[str], side: str):
        import pandas as pd  # pandas: imported lazily, so the window opens without it

        v = ids if isinstance(ids, pd.Series) else pd.Series(list(ids), dtype=object).astype(str).str.strip()
        if self.code == "suffix" and side == self.side:
            return v.str.removesuffix(self.text)
        if self.code == "prefix" and side == self.side:
            return v.str.removeprefix(self.text)
        if self.code == "case":
            return v.str.casefold()
        if self.code == "separators":
            return v.str.replace(_SEPARATORS, "", regex=True)
        if self.code == "leading-zeros":
            return v.str.replace(_LEADING_ZEROS, "", regex=True)
        return v


EXACT = IdRule("exact", "the IDs are written the same way")


def _common_end(values: list, *, suffix: bool) -> str:
    """The longest text every value ends (or starts) with, shorter than the shortest value."""
    if len(values) < 2:
        return ""
    text = os.path.commonprefix([v[::-1] for v in values])[::-1] if suffix else os.path.commonprefix(values)
    shortest = min(len(v) for v in values)
    return text if 0 < len(text) < shortest else ""


def _cuts(text: str, *, suffix: bool) -> list:
    """The whole shared affix and its shorter forms that end where letters, digits or separators
    meet ('lab_S' shared: 'lab_S' and 'lab_'), longest first."""
    out = [text]
    for k in range(len(text) - 1, 0, -1):
        part = text[-k:] if suffix else text[:k]
        edge = (part[0], text[-k - 1]) if suffix else (part[-1], text[k])
        if _kind(edge[0]) != _kind(edge[1]):
            out.append(part)
    return out


def _kind(ch: str) -> str:
    return "digit" if ch.isdigit() else ("letter" if ch.isalpha() else "separator")


def candidate_rules(data_ids: list, sheet_ids: list) -> list:
    rules = []
    for side, ids, other_ids in (("sheet", sheet_ids, data_ids), ("data", data_ids, sheet_ids)):
        other = "data" if side == "sheet" else "sheet"
        for suffix in _cuts(_common_end(ids, suffix=True), suffix=True) if _common_end(ids, suffix=True) else []:
            if not all(v.endswith(suffix) for v in other_ids[:50]):  # both sides carry it: no difference
                rules.append(
                    IdRule(
                        "suffix",
                        f"a suffix {suffix!r} differs: the {side}'s IDs end with it and the {other}'s do not",
                        side,
                        suffix,
                    )
                )
        for prefix in _cuts(_common_end(ids, suffix=False), suffix=False) if _common_end(ids, suffix=False) else []:
            if not all(v.startswith(prefix) for v in other_ids[:50]):
                rules.append(
                    IdRule(
                        "prefix",
                        f"a prefix {prefix!r} differs: the {side}'s IDs start with it and the {other}'s do not",
                        side,
                        prefix,
                    )
                )
    rules += [
        IdRule("case", "the letter case differs"),
        IdRule("separators", "the separators differ ('-', '_', '.' or spaces)"),
        IdRule("leading-zeros", "leading zeros differ (e.g. 'S01' against 'S1')"),
    ]
    return rules


@dataclass(frozen=True)
class IdMatch:
    rule: IdRule
    matched: int  # IDs of the data that find a sheet row under the rule
    exact: int  # ... with the names as written
    unambiguous: bool

    @property
    def applies(self) -> bool:
        return self.rule.code != "exact" and self.unambiguous and self.matched > self.exact


def _count(rule: IdRule, data, sheet, n_data: int, n_sheet: int) -> tuple[int, bool]:
    dk, sk = rule.key_series(data, "data"), rule.key_series(sheet, "sheet")
    unambiguous = dk.nunique() == n_data and sk.nunique() == n_sheet
    return int(dk.drop_duplicates().isin(set(sk)).sum()), unambiguous


def best_rule(data_ids: Iterable, sheet_ids: Iterable) -> IdMatch:
    """The rule that matches the most data IDs to sheet IDs, or the exact one when none does better.

    Only a rule that keeps every ID distinct on both sides can apply.
    """
    import pandas as pd  # pandas: imported lazily, so the window opens without it

    data_ids = [str(v).strip() for v in data_ids]
    sheet_ids = [str(v).strip() for v in sheet_ids]
    data, sheet = pd.Series(data_ids, dtype=object), pd.Series(sheet_ids, dtype=object)
    n_data, n_sheet = data.nunique(), sheet.nunique()
    exact, _ = _count(EXACT, data, sheet, n_data, n_sheet)
    best = IdMatch(EXACT, exact, exact, True)
    if exact >= n_data or not data_ids or not sheet_ids:
        return best
    for rule in candidate_rules(data_ids, sheet_ids):
        matched, unambiguous = _count(rule, data, sheet, n_data, n_sheet)
        if matched > best.matched and (unambiguous or not best.unambiguous or best.rule.code == "exact"):
            best = IdMatch(rule, matched, exact, unambiguous)
    return best


def rule_words(match: IdMatch, data_ids: list, sheet_ids: list) -> str:
    """The rule in words with one pair as an example: "a suffix 'fb' differs (sheet 'treated1fb', data 'treated1')"."""
    rule = match.rule
    by_key = {k: v for k, v in zip(rule.keys(data_ids, "data"), map(str, data_ids), strict=False)}
    for s, k in zip(map(str, sheet_ids), rule.keys(sheet_ids, "sheet"), strict=False):
        if k in by_key and by_key[k] != s:
            return f"{rule.words} (sheet {s!r}, data {by_key[k]!r})"
    return rule.words


def mismatch_advice(match: IdMatch, data_ids: list, sheet_ids: list) -> str:
    """What to say when the IDs do not meet: the difference seen, and the fix."""
    if match.rule.code == "exact" or match.matched == 0:
        return (
            "Check that both name the samples the same way (e.g. 'S01' against 'S1', or a file name with "
            "and without its extension), or choose the ID columns."
        )
    said = rule_words(match, data_ids, sheet_ids)
    if not match.unambiguous:
        return (
            f"Compared name by name, {said}, but under that rule two IDs would become the same, so "
            "Tenfold does not apply it: rename the samples in the sheet so that they match the data."
        )
    return (
        f"Compared name by name, {said}. Tenfold matches them this way unless the spec says "
        '[data] samples_id_match = "exact"; otherwise rename the samples in the sheet.'
    )
