"""Choosing among a small model's candidate lines: one that reads as Italian speech, keeps to the situation
and says something the issue has not said yet.

Fluency is the mean log-probability per token under a word trigram model of the quoted speech of the
training novels (tools.dialogue; the script benchmark measures with a model of their whole text, and its
reference is the dialogue of other, held-out authors). It is a floor, not an objective: below the floor
a line costs what it lacks, above it more predictability earns nothing (maximising it picked the
shortest, commonest lines, "NON LO SO!", far more predictable than real dialogue). Without the corpus
the share of dictionary words decides. Keeping to the situation is the share of the line's content words
found in the panel's action, the scene's goal or the plot; novelty is the share of the line's word pairs
not already said in the issue or shown as examples; content is how many content words the line carries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from tools.dialogue.bank import STOP_WORDS
from tools.dialogue.ngram import WORD, unletter

SITUATION_WEIGHT = 1.0
"""Log-probability per token that one content word shared with the situation is worth (at full share)."""
FLUENCY_FLOOR = -3.5
"""Mean log-probability per token under the speech model below which a line starts to cost: about the
10th percentile of the training novels' own short lines (3-16 words) under that model."""
NOVELTY_WEIGHT = 2.0
"""Worth of a line whose word pairs are all new to the issue (at full share). Chosen on 12 balloons of
the dev plot with 6 recorded candidates each: distinct-2 0.90 -> 0.94 at two candidates a line,
perplexity about the same (a small sample)."""
CONTENT_WEIGHT = 0.5
"""Worth of a line with CONTENT_WORDS content words or more."""
CONTENT_WORDS = 4


@cache
def speech_model() -> Any | None:
    """The trigram model of the training novels' quoted speech, or None without the corpus."""
    from tools.dialogue.corpus import corpus_dir, speech_lm

    folder = corpus_dir()
    return speech_lm(folder) if folder is not None else None


def word_pairs(text: str) -> set[tuple[str, str]]:
    """The line's word bigrams (lower-cased, accents read from lettering)."""
    words = WORD.findall(unletter(text).lower())
    return set(zip(words, words[1:], strict=False))


@dataclass
class LineRanker:
    """Scores candidate lines for one situation (higher is better)."""

    situation: str
    vocabulary: Any | None = None
    model: Any | None = None
    earlier: Sequence[str] = ()
    """Lines already in the issue and the examples the prompt showed: their word pairs are not new."""
    floor: float = FLUENCY_FLOOR
    novelty_weight: float = NOVELTY_WEIGHT
    content_weight: float = CONTENT_WEIGHT
    _said: set[tuple[str, str]] = field(default_factory=set, init=False, repr=False)

    def __post_init__(self) -> None:
        for line in self.earlier:
            self._said |= word_pairs(line)

    def content(self, text: str) -> set[str]:
        return {w for w in WORD.findall(unletter(text).lower()) if w not in STOP_WORDS and len(w) > 2}

    def fluency(self, line: str) -> float:
        if self.model is not None:
            scored = self.model.score(line)
            return float(scored.logprobs.mean()) if len(scored.logprobs) else -99.0
        words = WORD.findall(line)
        unknown = len(self.vocabulary.unknown(line)) if self.vocabulary is not None else 0
        return -unknown / max(len(words), 1)

    def disfluency(self, line: str) -> float:
        """What the line lacks of the fluency floor (0 when it reaches it); without the corpus, the
        share of unknown words."""
        fluency = self.fluency(line)
        return min(0.0, fluency - self.floor) if self.model is not None else fluency

    def novelty(self, line: str) -> float:
        pairs = word_pairs(line)
        return len(pairs - self._said) / len(pairs) if pairs else 0.0

    def score(self, line: str) -> float:
        mine, context = self.content(line), self.content(self.situation)
        shared = len(mine & context) / len(mine) if mine else 0.0
        return (
            self.disfluency(line)
            + SITUATION_WEIGHT * shared
            + self.novelty_weight * self.novelty(line)
            + self.content_weight * min(len(mine), CONTENT_WORDS) / CONTENT_WORDS
        )

    def best(self, lines: Sequence[str]) -> str:
        return max(lines, key=self.score)
