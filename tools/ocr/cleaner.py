"""The LLM post-corrector (`ocr_cleaner` role): small edits only, checked against the lexicon.

The model sees a few-shot completion prompt (prompts/ocr/cleaner.j2) and proposes a corrected line. The
proposal is kept only when it is close to the input (at most `max_edits` characters, and at most
`max_ratio` of its length) and does not leave more unknown words than before; otherwise the input stays.
Balloons whose every word is known are not sent to the model at all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from langchain_core.language_models import BaseLLM
from rapidfuzz.distance import Levenshtein

from prompts import render
from tools.ocr.ensemble import word_core
from tools.ocr.lexicon import Lexicon, italian_lexicon
from tools.ocr.normalise import canonical_marks, is_capital_lettering


@dataclass(frozen=True)
class CleanResult:
    """What the cleaner did with one text: the kept text, the model's proposal and why it was kept or not."""

    text: str
    proposed: str | None
    accepted: bool
    distance: int
    reason: str


class OcrCleaner:
    """Small-edit LLM correction of normalised balloon text."""

    def __init__(
        self, llm: BaseLLM, lexicon: Lexicon | None = None, max_edits: int = 4, max_ratio: float = 0.15
    ):
        self.llm = llm
        self.lexicon = lexicon if lexicon is not None else italian_lexicon()
        self.max_edits, self.max_ratio = max_edits, max_ratio

    def unknown_words(self, text: str) -> int:
        """How many words of `text` the lexicon does not know (numbers and punctuation do not count)."""
        return sum(1 for token in text.split() if (core := word_core(token)) and core not in self.lexicon)

    def edit_bound(self, text: str) -> int:
        return max(1, min(self.max_edits, math.ceil(self.max_ratio * len(text))))

    def clean(self, text: str) -> CleanResult:
        """Ask the model for a correction of `text` and keep it only if the edit is small and helps."""
        unknown = self.unknown_words(text)
        if not text.strip() or unknown == 0:
            return CleanResult(text, None, False, 0, "every word known")
        prompt = render("ocr/cleaner.j2", text=text)
        answer = self.llm.invoke(prompt, max_tokens=len(text) // 2 + 16, temperature=0.0, stop=["\n"])
        proposed = canonical_marks(answer)
        if is_capital_lettering(text):
            proposed = proposed.upper()
        distance = Levenshtein.distance(text, proposed)
        if not proposed or distance > self.edit_bound(text):
            return CleanResult(text, proposed, False, distance, "edit too large")
        if self.unknown_words(proposed) >= unknown and distance:
            return CleanResult(text, proposed, False, distance, "no unknown word fixed")
        return CleanResult(
            proposed, proposed, distance > 0, distance, "accepted" if distance else "unchanged"
        )
