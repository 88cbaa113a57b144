"""Choosing among a small model's candidate lines: the one that reads most like real Italian speech and
keeps to the situation.

Fluency is the mean log-probability per token under a word trigram model of the quoted speech of the
training novels (tools.dialogue; the script benchmark measures with a model of their whole text, and its
reference is the dialogue of other, held-out authors). Without the corpus, the share of dictionary words
decides. Keeping to the situation is the share of the line's content words found in the panel's action,
the scene's goal or the plot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from tools.dialogue.bank import STOP_WORDS
from tools.dialogue.ngram import WORD, unletter

SITUATION_WEIGHT = 1.0
"""Log-probability per token that one content word shared with the situation is worth (at full share)."""


@cache
def speech_model() -> Any | None:
    """The trigram model of the training novels' quoted speech, or None without the corpus."""
    from tools.dialogue.corpus import corpus_dir, speech_lm

    folder = corpus_dir()
    return speech_lm(folder) if folder is not None else None


@dataclass
class LineRanker:
    """Scores candidate lines for one situation (higher is better)."""

    situation: str
    vocabulary: Any | None = None
    model: Any | None = None

    def content(self, text: str) -> set[str]:
        return {w for w in WORD.findall(unletter(text)) if w not in STOP_WORDS and len(w) > 2}

    def fluency(self, line: str) -> float:
        if self.model is not None:
            scored = self.model.score(line)
            return float(scored.logprobs.mean()) if len(scored.logprobs) else -99.0
        words = WORD.findall(line)
        unknown = len(self.vocabulary.unknown(line)) if self.vocabulary is not None else 0
        return -unknown / max(len(words), 1)

    def score(self, line: str) -> float:
        mine, context = self.content(line), self.content(self.situation)
        shared = len(mine & context) / len(mine) if mine else 0.0
        return self.fluency(line) + SITUATION_WEIGHT * shared

    def best(self, lines: Sequence[str]) -> str:
        return max(lines, key=self.score)
