"""Exact and near-duplicate text checks between a frozen split and training or dev data.

Texts are normalised (accents and letterers' `E'` folded, case and punctuation dropped). A frozen text
overlaps another when the normalised forms are equal, when their character 5-gram shingles have a Jaccard
similarity of at least `near`, or when most of its word 4-grams occur inside the other (a frozen line
copied into a longer text). Candidates come from an inverted index of word 3-grams, so large corpora stay
cheap.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

NEAR = 0.5  # character 5-gram Jaccard
CONTAINED = 0.8  # share of the frozen text's word 4-grams found in one other text
_NON_WORD = re.compile(r"[^a-z0-9]+")


def normalise(text: str) -> str:
    """Lower case ASCII words: accents removed, apostrophes and punctuation become spaces."""
    folded = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    return " ".join(_NON_WORD.sub(" ", plain).split())


def char_shingles(norm: str, n: int = 5) -> set[str]:
    return {norm[i : i + n] for i in range(max(1, len(norm) - n + 1))}


def word_grams(norm: str, n: int) -> set[tuple[str, ...]]:
    words = norm.split()
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


@dataclass(frozen=True)
class Overlap:
    """A frozen text found in other data: which text, where, how (`exact`, `near`, `contained`), how much."""

    frozen: str
    other: str
    source: str
    how: str
    score: float

    def __str__(self) -> str:
        return f"{self.how} ({self.score:.2f}) in {self.source}: {self.frozen!r} ~ {self.other[:120]!r}"


class ShingleIndex:
    """Training or dev texts, indexed for exact and near-duplicate look-ups."""

    def __init__(self, texts: Iterable[tuple[str, str]] = ()) -> None:
        self.items: list[tuple[str, str, str]] = []  # (source, text, normalised)
        self.exact: dict[str, int] = {}
        self.postings: dict[tuple[str, ...], set[int]] = defaultdict(set)
        self.add(texts)

    def add(self, texts: Iterable[tuple[str, str]]) -> ShingleIndex:
        """Add (source label, text) pairs."""
        for source, text in texts:
            norm = normalise(text)
            if not norm:
                continue
            index = len(self.items)
            self.items.append((source, text, norm))
            self.exact.setdefault(norm, index)
            for gram in word_grams(norm, 3):
                self.postings[gram].add(index)
        return self

    def __len__(self) -> int:
        return len(self.items)

    def find(self, text: str, near: float = NEAR, contained: float = CONTAINED) -> Overlap | None:
        """The first overlap of `text` with an indexed text, or None."""
        norm = normalise(text)
        if norm in self.exact:
            source, other, _ = self.items[self.exact[norm]]
            return Overlap(text, other, source, "exact", 1.0)
        candidates = set().union(*(self.postings.get(g, set()) for g in word_grams(norm, 3)))
        shingles, grams = char_shingles(norm), word_grams(norm, 4)
        for index in sorted(candidates):
            source, other, other_norm = self.items[index]
            score = jaccard(shingles, char_shingles(other_norm))
            if score >= near:
                return Overlap(text, other, source, "near", score)
            if len(grams) >= 3:
                share = len(grams & word_grams(other_norm, 4)) / len(grams)
                if share >= contained:
                    return Overlap(text, other, source, "contained", share)
        return None

    def overlaps(self, texts: Iterable[str]) -> list[Overlap]:
        """Every text of `texts` found in the index."""
        return [o for o in map(self.find, texts) if o is not None]
