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

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from tools.dialogue.bank import STOP_WORDS, content_words, stem
from tools.dialogue.ngram import WORD, unletter

SITUATION_WEIGHT = 1.0
"""Worth of a line whose content words are all found in the situation (each word counted by its weight:
a specific word, `contrabbandieri`, counts more than a common one, `uomo`)."""
FLUENCY_FLOOR = -6.5
"""Mean log-probability per token under the speech model below which a line starts to cost: about the
10th percentile of real short lines (3-16 words) the model has NOT seen (`benchmarks/write_voices.py
--floor`: training novels split by author, a third scored under a model of the rest: -6.5; median -5.0).
The floor used to be -3.5, the 10th percentile of lines the model was fitted on, which made almost every
unseen real line pay and so chose the most predictable candidate."""
TIE_BREAK = 0.01
"""Worth of one nat of fluency above the floor: enough to choose between two lines that are otherwise
worth the same (the same words in another order), too little to prefer a stock phrase to a new line."""
NOVELTY_WEIGHT = 2.0
"""Worth of a line whose word pairs are all new to the issue (at full share). Chosen on 12 balloons of
the dev plot with 6 recorded candidates each: distinct-2 0.90 -> 0.94 at two candidates a line,
perplexity about the same (a small sample)."""
WEAR = 1.0
"""How fast a situation word wears out: said in n of the issue's recent lines, it earns 1 / (1 + WEAR * n)
of its share. Without it the ranker paid every line again for the same goal word: the demo plot's issue
(seed 7, benchmarks/write_voices.py) said CAVALIERE in 11 of its 42 balloons, where real held-out dialogue
says the commonest content word of 40 consecutive lines in 12 % of them (20 % at the 90th percentile)."""
WEAR_WINDOW = 40
"""The issue's last lines whose words count as worn (about a page and a half of Bonelli dialogue)."""
WORN_FREE = 3
"""Recent lines that may say a content word before a line saying it again pays WORN_WEIGHT for each
further one (real dialogue: 5 of 40 lines for the commonest word, the median window)."""
WORN_WEIGHT = 0.25
"""Chosen on two dev runs (the demo plot, seed 7; a tuning plot, seed 1): the commonest word's balloons
11/42 -> 7/42 and 7/47 -> 6/47, no fallback or repeat (WEAR alone: 10/42 and 7/47)."""
CONTENT_WEIGHT = 0.5
"""Worth of a line with CONTENT_WORDS content words or more."""
CONTENT_WORDS = 4


@cache
def speech_model() -> Any | None:
    """The trigram model of the training novels' quoted speech, or None without the corpus."""
    from tools.dialogue.corpus import corpus_dir, speech_lm

    folder = corpus_dir()
    return speech_lm(folder) if folder is not None else None


def word_weight() -> Callable[[str], float] | None:
    """How specific a word is (tools.dialogue.bank.LineBank.weight), or None without the corpus."""
    from tools.dialogue.bank import corpus_bank

    bank = corpus_bank()
    return bank.weight if bank is not None else None


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
    weight: Callable[[str], float] | None = None
    """How specific a word is (the line bank's inverse document frequency); None: every word counts 1."""
    recent: Sequence[str] = ()
    """The issue's last lines (WEAR_WINDOW): a situation word they keep saying earns less (WEAR)."""
    wear: float = WEAR
    worn_weight: float = WORN_WEIGHT
    floor: float = FLUENCY_FLOOR
    novelty_weight: float = NOVELTY_WEIGHT
    content_weight: float = CONTENT_WEIGHT
    _said: set[tuple[str, str]] = field(default_factory=set, init=False, repr=False)
    _context: set[str] = field(default_factory=set, init=False, repr=False)
    _worn: Counter[str] = field(default_factory=Counter, init=False, repr=False)

    def __post_init__(self) -> None:
        for line in self.earlier:
            self._said |= word_pairs(line)
        self._context = set(content_words(self.situation))
        for line in self.recent[-WEAR_WINDOW:]:
            self._worn.update(content_words(line).keys())

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

    def fit(self, line: str) -> float:
        """The weighted share of the line's content words found in the situation, any ending (0 to 1);
        a situation word the recent lines keep saying counts 1 / (1 + wear x the lines that said it)."""
        mine = self.content(line)
        weigh = self.weight or (lambda _word: 1.0)
        total = sum(weigh(w) for w in mine)
        found = sum(
            weigh(w) / (1.0 + self.wear * self._worn[stem(w)]) for w in mine if stem(w) in self._context
        )
        return found / total if total else 0.0

    def worn(self, line: str) -> int:
        """How many more recent lines than WORN_FREE already said each of the line's content words."""
        return sum(max(0, self._worn[s] - WORN_FREE) for s in content_words(line))

    def score(self, line: str) -> float:
        """Situation fit, novelty and content, less what the line lacks of the fluency floor and what its
        worn words cost; fluency itself only breaks ties (TIE_BREAK per nat)."""
        mine = self.content(line)
        return (
            self.disfluency(line)
            - self.worn_weight * self.worn(line)
            + TIE_BREAK * self.fluency(line)
            + SITUATION_WEIGHT * self.fit(line)
            + self.novelty_weight * self.novelty(line)
            + self.content_weight * min(len(mine), CONTENT_WORDS) / CONTENT_WORDS
        )

    def best(self, lines: Sequence[str]) -> str:
        return max(lines, key=self.score)
