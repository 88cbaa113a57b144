"""Doubts about the punctuation of a balloon reading, and edits that change marks only.

After the lexicon has done its work, what OCR still gets wrong in lettering is mostly punctuation: a
full stop lost at the end or between two sentences, a speck read as a stop inside a sentence (`GLI.
UOMINI`, `VECCHIO.MIO`), a final comma or colon for a stop. Words that are all known say nothing of
these; the doubts below do, and they let the OCR cleaner ask its model about a balloon and check that an
answer which touches marks only removed a doubt without raising another.
"""

from __future__ import annotations

import re
import unicodedata

CLOSING = tuple('.!?…"»)')
# Words after which no sentence ends: a stop, colon or semicolon right after one is a misread speck.
OPEN_WORDS = (
    "IL LO LA I GLI LE UN UNO UNA DI A DA IN CON SU PER TRA FRA DEL DELLO DELLA DEI DEGLI DELLE AL ALLO "
    "ALLA AI AGLI ALLE DAL DALLA NEL NELLA SUL SULLA COL E ED O MA CHE NON MI TI CI VI SI NE"
).split()
_GLUED = re.compile(r"[^\W\d_][.,:;][^\W\d_.]")
_AFTER_OPEN_WORD = re.compile(r"(?<![^\W\d_])(?:" + "|".join(OPEN_WORDS) + r")[.:;](?=\s|$)")


def punctuation_doubts(text: str) -> list[str]:
    """What looks wrong with the marks of `text` (empty when nothing does)."""
    stripped = text.rstrip()
    if not stripped:
        return []
    doubts = []
    if stripped[-1] in ",;:-":
        doubts.append("ends on a comma, colon or dash")
    elif not stripped.endswith(CLOSING):
        doubts.append("no closing mark")
    doubts += [f"mark inside a word: {m.group(0)!r}" for m in _GLUED.finditer(stripped)]
    doubts += [f"stop after {m.group(0)[:-1]!r}" for m in _AFTER_OPEN_WORD.finditer(stripped)]
    return doubts


def _letters(text: str) -> str:
    """Letters and digits of `text` without accents: what stays when only marks change."""
    bare = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in bare if ch.isalnum())


def marks_only_edit(before: str, after: str) -> bool:
    """True when `after` differs from `before` in punctuation, spacing or accents alone."""
    return _letters(before).casefold() == _letters(after).casefold()
