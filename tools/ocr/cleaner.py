"""The LLM post-corrector (`ocr_cleaner` role): small edits only, checked against the lexicon.

The model sees a few-shot completion prompt (prompts/ocr/cleaner.j2) and proposes a corrected line. A
balloon goes to the model when the lexicon does not know one of its words or its punctuation is in doubt
(tools/ocr/punctuation.py: no closing mark, a stop inside a word or after an article...). The proposal is
kept only when it is close to the input (at most `max_edits` characters, and at most `max_ratio` of its
length), leaves no more unknown words than before, and either fixes an unknown word or changes marks only
(punctuation, spacing, accents) and removes a doubt without raising another; otherwise the input stays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from langchain_core.language_models import BaseLLM
from rapidfuzz.distance import Levenshtein

from prompts import render
from tools.ocr.ensemble import word_core
from tools.ocr.lexicon import Lexicon, italian_lexicon
from tools.ocr.normalise import canonical_marks, is_capital_lettering
from tools.ocr.punctuation import marks_only_edit, punctuation_doubts


def cleaner_model(settings: Any) -> str:
    """The `ocr_cleaner` role's model, with the registered `ocr-clean` LoRA adapter when there is one."""
    from tools.models.adapters import model_for_role_with_adapter

    return model_for_role_with_adapter(settings, "ocr_cleaner")


def configured_cleaner(settings: Any) -> OcrCleaner:
    """The cleaner the settings ask for (transcribe --clean, the OCR eval): its adapter picked up unasked."""
    from tools.models import get_llm

    return OcrCleaner(get_llm(cleaner_model(settings)))


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
        unknown, doubts = self.unknown_words(text), len(punctuation_doubts(text))
        if not text.strip() or (unknown == 0 and doubts == 0):
            return CleanResult(text, None, False, 0, "every word known, no mark in doubt")
        prompt = render("ocr/cleaner.j2", text=text)
        answer = self.llm.invoke(prompt, max_tokens=len(text) // 2 + 16, temperature=0.0, stop=["\n"])
        proposed = canonical_marks(answer)
        if is_capital_lettering(text):
            proposed = proposed.upper()
        distance = Levenshtein.distance(text, proposed)
        if not proposed or distance > self.edit_bound(text):
            return CleanResult(text, proposed, False, distance, "edit too large")
        if distance == 0:
            return CleanResult(text, proposed, False, 0, "unchanged")
        reason = self._verdict(text, proposed, unknown, doubts)
        return CleanResult(
            proposed if reason == "accepted" else text, proposed, reason == "accepted", distance, reason
        )

    def _verdict(self, text: str, proposed: str, unknown: int, doubts: int) -> str:
        """Why a small edit is kept ("accepted") or not."""
        now_unknown = self.unknown_words(proposed)
        if now_unknown > unknown:
            return "unknown word added"
        if now_unknown < unknown:
            return "accepted"
        if not marks_only_edit(text, proposed):
            return "no unknown word fixed"
        if len(punctuation_doubts(proposed)) >= doubts:
            return "no mark in doubt fixed"
        return "accepted"
