"""A column asked for by name and not found: the closest names, by edit distance, so the
message shows the answer (Tip 4: know the data). Never a list cut before the answer."""

from __future__ import annotations

LISTED = 5
ALL_UP_TO = 12  # a table this narrow has all its columns listed


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions and substitutions each cost one)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _key(name: str, column: str) -> tuple:
    a, b = name.lower().strip(), str(column).lower().strip()
    contains = bool(a) and (a in b or b in a)
    return (edit_distance(a, b) - (len(b) - len(a) if contains and b.startswith(a) else 0), not contains)


def closest_columns(name: str, columns, k: int = LISTED) -> list[str]:
    """The ``k`` columns nearest ``name`` (case ignored), nearest first."""
    cols = [str(c) for c in columns]
    return sorted(cols, key=lambda c: _key(name, c))[:k]


def is_near(name: str, column: str) -> bool:
    a, b = name.lower().strip(), column.lower().strip()
    return a == b or edit_distance(a, b) <= max(1, len(a) // 3) or (len(a) >= 3 and (a in b or b in a))


def missing_column_words(name: str, columns) -> str:
    """' Did you mean …? Its columns are …' for a message about a missing column."""
    cols = [str(c) for c in columns]
    close = closest_columns(name, cols)
    hint = f" Did you mean {close[0]!r}?" if close and is_near(name, close[0]) else ""
    if len(cols) <= ALL_UP_TO:
        return f"{hint} Its columns are: {', '.join(cols)}."
    return f"{hint} Its closest columns (of {len(cols)}) are: {', '.join(map(repr, close))}."
