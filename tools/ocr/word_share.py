"""How much of a reading stands in Italian words: what decides between two readings of one line.

known_share("IL GUADO") -> 1.0          word_score("I LULDALI") -> low
"""

from __future__ import annotations

import re


def _word_parts(text: str) -> list[str]:
    """A reading's words, lower case, stripped of punctuation, elisions split at the apostrophe."""
    return [
        p for token in text.lower().split() for p in re.split(r"['’]", token.strip('.,;:!?"()*…-«»')) if p
    ]


def known_share(text: str) -> float:
    """Share of a reading's words that are Italian words (elisions split at the apostrophe); marks and
    numbers count as known. The reading with more real words is the better one when two disagree."""
    from tools.ocr.lexicon import italian_lexicon

    lexicon = italian_lexicon()
    parts = _word_parts(text)
    if not parts:
        return 0.0
    known = sum(p in lexicon or lexicon.is_elision_prefix(p) or not p.isalpha() for p in parts)
    return known / len(parts)


def word_score(text: str) -> float:
    """Share of a reading's letters that stand in Italian words (elisions split at the apostrophe; an
    interjection such as `Mmm` or `Grrr`, runs of a letter counted once, is a word of comics): a junk
    reading with one short real word (`i luldali`) scores low against a reading of long real words."""
    from tools.ocr.lexicon import italian_lexicon
    from tools.ocr.text_regions import INTERJECTIONS
    from tools.word_forms import inflected_form

    lexicon = italian_lexicon()
    words = [p for p in _word_parts(text) if p.isalpha()]
    letters = sum(len(w) for w in words)
    if not letters:
        return 0.0
    known = sum(
        len(w)
        for w in words
        if w in lexicon
        or lexicon.is_elision_prefix(w)
        or re.sub(r"(.)\1+", r"\1", w) in INTERJECTIONS
        or (len(w) >= 4 and inflected_form(w))
    )
    return known / letters
