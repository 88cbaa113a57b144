"""Copied passages: word n-grams a generated text shares with training or reference text.

A run of ≥ N words found verbatim (case and punctuation aside) in the sources is a copy, not style; style
scores flag such texts and cut the copied words out before scoring them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from evals.corpus import WORD_RE


def words_with_spans(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(0).lower(), m.start(), m.end()) for m in WORD_RE.finditer(text)]


@dataclass
class NgramIndex:
    """Every lower-cased word n-gram of the source texts."""

    n: int
    grams: set[tuple[str, ...]] = field(default_factory=set)

    @classmethod
    def build(cls, sources: Sequence[str], n: int = 8) -> NgramIndex:
        index = cls(n)
        for text in sources:
            words = [w for w, _, _ in words_with_spans(text)]
            index.grams.update(tuple(words[i : i + n]) for i in range(len(words) - n + 1))
        return index

    def copied_mask(self, words: Sequence[str]) -> list[bool]:
        """For each word, whether it lies inside an n-gram found in the sources."""
        mask = [False] * len(words)
        for i in range(len(words) - self.n + 1):
            if tuple(words[i : i + self.n]) in self.grams:
                mask[i : i + self.n] = [True] * self.n
        return mask

    def copied_share(self, text: str) -> float:
        mask = self.copied_mask([w for w, _, _ in words_with_spans(text)])
        return sum(mask) / len(mask) if mask else 0.0

    def remove_copies(self, text: str) -> tuple[str, int, int]:
        """(text without the copied runs, copied words, words): kept pieces are joined by a space."""
        spans = words_with_spans(text)
        mask = self.copied_mask([w for w, _, _ in spans])
        if not any(mask):
            return text, 0, len(spans)
        pieces, start = [], 0
        for (_, begin, end), copied in zip(spans, mask, strict=True):
            if copied:
                pieces.append(text[start:begin])
                start = end
        pieces.append(text[start:])
        clean = " ".join(p.strip() for p in pieces if p.strip())
        return clean, sum(mask), len(spans)
