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
from dataclasses import dataclass
from typing import Iterable

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
        return [_key(self, str(v), side) for v in ids]


def _key(rule: IdRule, value: str, side: str) -> str:
    v = value.strip()
    if rule.code == "suffix" and side == rule.side and v.endswith(rule.text):
        return v[: len(v) - len(rule.text)]
    if rule.code == "prefix" and side == rule.side and v.startswith(rule.text):
        return v[len(rule.text):]
    if rule.code == "case":
        return v.casefold()
    if rule.code == "separators":
        return _SEPARATORS.sub("", v)
    if rule.code == "leading-zeros":
        return _LEADING_ZEROS.sub("", v)
    return v


EXACT = IdRule("exact", "the IDs are written the same way")


def _common_end(values: list, *, suffix: bool) -> str:
    """The longest text every value ends (or starts) with, shorter than the shortest value."""
    if len(values) < 2:
        return ""
    text = os.path.commonprefix([v[::-1] for v in values])[::-1] if suffix else os.path.commonprefix(values)
    shortest = min(len(v) for v in values)
    return text if 0 < len(text) < shortest else ""


def candidate_rules(data_ids: list, sheet_ids: list) -> list:
    rules = []
    for side, ids in (("sheet", sheet_ids), ("data", data_ids)):
        other = "data" if side == "sheet" else "sheet"
        # the whole shared ending and its shorter tails ('lab_S' shared, 'lab_' the extra part)
        suffix = _common_end(ids, suffix=True)
        for k in range(len(suffix), max(len(suffix) - 20, 0), -1):
            rules.append(IdRule("suffix", f"a suffix {suffix[-k:]!r} differs: the {side}'s IDs end with it and "
                                          f"the {other}'s do not", side, suffix[-k:]))
        prefix = _common_end(ids, suffix=False)
        for k in range(len(prefix), max(len(prefix) - 20, 0), -1):
            rules.append(IdRule("prefix", f"a prefix {prefix[:k]!r} differs: the {side}'s IDs start with it and "
                                          f"the {other}'s do not", side, prefix[:k]))
    rules += [IdRule("case", "the letter case differs"),
              IdRule("separators", "the separators differ ('-', '_', '.' or spaces)"),
              IdRule("leading-zeros", "leading zeros differ (e.g. 'S01' against 'S1')")]
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


def _count(rule: IdRule, data_ids: list, sheet_ids: list) -> tuple[int, bool]:
    dk, sk = rule.keys(data_ids, "data"), rule.keys(sheet_ids, "sheet")
    unambiguous = len(set(dk)) == len(set(data_ids)) and len(set(sk)) == len(set(sheet_ids))
    return len(set(dk) & set(sk)), unambiguous


def best_rule(data_ids: Iterable, sheet_ids: Iterable) -> IdMatch:
    """The rule that matches the most data IDs to sheet IDs, or the exact one when none does better.

    Only a rule that keeps every ID distinct on both sides can apply.
    """
    data_ids = [str(v).strip() for v in data_ids]
    sheet_ids = [str(v).strip() for v in sheet_ids]
    exact, _ = _count(EXACT, data_ids, sheet_ids)
    best = IdMatch(EXACT, exact, exact, True)
    if exact >= len(set(data_ids)) or not data_ids or not sheet_ids:
        return best
    for rule in candidate_rules(data_ids, sheet_ids):
        matched, unambiguous = _count(rule, data_ids, sheet_ids)
        if matched > best.matched and (unambiguous or not best.unambiguous or best.rule.code == "exact"):
            best = IdMatch(rule, matched, exact, unambiguous)
    return best


def rule_words(match: IdMatch, data_ids: list, sheet_ids: list) -> str:
    """The rule in words with one pair as an example: "a suffix 'fb' differs (sheet 'treated1fb', data 'treated1')"."""
    rule = match.rule
    by_key = {k: v for k, v in zip(rule.keys(data_ids, "data"), map(str, data_ids))}
    for s, k in zip(map(str, sheet_ids), rule.keys(sheet_ids, "sheet")):
        if k in by_key and by_key[k] != s:
            return f"{rule.words} (sheet {s!r}, data {by_key[k]!r})"
    return rule.words


def mismatch_advice(match: IdMatch, data_ids: list, sheet_ids: list) -> str:
    """What to say when the IDs do not meet: the difference seen, and the fix."""
    if match.rule.code == "exact" or match.matched == 0:
        return ("Check that both name the samples the same way (e.g. 'S01' against 'S1', or a file name with "
                "and without its extension), or choose the ID columns.")
    said = rule_words(match, data_ids, sheet_ids)
    if not match.unambiguous:
        return (f"Compared name by name, {said}, but under that rule two IDs would become the same, so "
                "Tenfold does not apply it: rename the samples in the sheet so that they match the data.")
    return (f"Compared name by name, {said}. Tenfold matches them this way unless the spec says "
            "[data] samples_id_match = \"exact\"; otherwise rename the samples in the sheet.")

