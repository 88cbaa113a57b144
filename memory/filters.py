"""Chroma `where` filters evaluated in Python, for the store's post-filtering fast path.

Chroma's filtered search costs time in proportion to the records that match (100 ms for a speaker with
12,000 lines in a 100,000-line memory); the store first filters the nearest few hundred records itself
and only asks Chroma to filter when they do not hold enough matches (then few records match, and
Chroma's filter is cheap).
"""

from __future__ import annotations

from typing import Any

# A record without the key never matches (as in Chroma); negations are left to Chroma.
_COMPARE = {
    "$eq": lambda a, b: a == b,
    "$gt": lambda a, b: a > b,
    "$gte": lambda a, b: a >= b,
    "$lt": lambda a, b: a < b,
    "$lte": lambda a, b: a <= b,
    "$in": lambda a, b: a in b,
    "$contains": lambda a, b: isinstance(a, list) and b in a,
}


def supported(where: dict[str, Any]) -> bool:
    """True when every operator in `where` is one `matches` knows."""
    for key, value in where.items():
        if key in ("$and", "$or"):
            if not all(supported(clause) for clause in value):
                return False
        elif key.startswith("$"):
            return False
        elif isinstance(value, dict) and not all(op in _COMPARE for op in value):
            return False
    return True


def matches(where: dict[str, Any], metadata: dict[str, Any]) -> bool:
    """Whether a record's metadata satisfies a Chroma `where` filter (same semantics, fewer operators)."""
    for key, value in where.items():
        if key == "$and":
            ok = all(matches(clause, metadata) for clause in value)
        elif key == "$or":
            ok = any(matches(clause, metadata) for clause in value)
        elif isinstance(value, dict):
            ok = key in metadata and all(_COMPARE[op](metadata[key], arg) for op, arg in value.items())
        else:
            ok = key in metadata and metadata[key] == value
        if not ok:
            return False
    return True
