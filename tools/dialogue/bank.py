"""Real lines of Italian dialogue to show a small model as few-shot examples, chosen by situation.

The bank holds the short quoted lines of the training novels (never the held-out ones the benchmark
measures against); a line is found by TF-IDF word similarity to the situation (the panel's action, the
scene's goal, the line it answers), and a question asks for answers: lines that end in `?` are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from tools.dialogue.ngram import WORD, unletter

MIN_WORDS, MAX_WORDS = 3, 16
_ODD = re.compile(r"[\d\[\]{}<>«»“”\"_*#’]")
_NAME_INSIDE = re.compile(r"(?<=[\w,;:] )[A-ZÀ-Ý][a-zà-ÿ]+")
STOP_WORDS = frozenset(
    "il lo la i gli le un uno una di del dello della dei degli delle a al allo alla ai agli alle da dal dallo "
    "dalla dai dagli dalle in nel nello nella nei negli nelle su sul sullo sulla sui sugli sulle con col per "
    "tra fra e ed o od ma che chi non ne ci vi si mi ti se come quando dove più anche già poi così qui qua lì "
    "là io tu lui lei noi voi loro me te sé mio mia tuo tua suo sua nostro vostro è sono sei era ho hai ha "
    "abbiamo avete hanno essere avere questo questa quello quella cosa oh ah eh sì no".split()
)
"""Italian function words: they say nothing of a situation, so retrieval ignores them."""


def stem(word: str) -> str:
    """A word without its last letter (Italian endings: `fucile`/`fucili`, `messicano`/`messicani`)."""
    return word[:-1] if len(word) > 4 else word


def content_words(text: str, skip: set[str] | frozenset[str] = frozenset()) -> dict[str, str]:
    """The text's content words (no stop words, longer than 2 letters) by their stem (no ending)."""
    words = WORD.findall(unletter(text).lower())
    return {stem(w): w for w in words if w not in STOP_WORDS and len(w) > 2 and w not in skip}


def usable_line(line: str) -> bool:
    """A short, complete line of speech: 3-16 words, a capital start, a sentence end, no odd marks."""
    n = len(WORD.findall(line))
    return (
        MIN_WORDS <= n <= MAX_WORDS
        and line[:1].isupper()
        and line.rstrip()[-1:] in ".!?…"
        and not _ODD.search(line)
        and not _NAME_INSIDE.search(line)
    )


@dataclass
class LineBank:
    """Lines and their TF-IDF vectors (words of the line, accents read from lettering)."""

    lines: list[str]
    vectorizer: Any = None
    matrix: Any = field(default=None, repr=False)
    _idf: dict[str, float] = field(default_factory=dict, repr=False)
    _rarest: float = field(default=1.0, repr=False)

    @classmethod
    def from_lines(cls, lines: Sequence[str]) -> LineBank:
        from sklearn.feature_extraction.text import TfidfVectorizer

        kept = list(dict.fromkeys(line.strip() for line in lines if usable_line(line.strip())))
        vectorizer = TfidfVectorizer(
            preprocessor=unletter,
            token_pattern=r"[^\W\d_]{2,}",
            stop_words=list(STOP_WORDS),
            sublinear_tf=True,
        )
        return cls(kept, vectorizer, vectorizer.fit_transform(kept))

    def weight(self, word: str) -> float:
        """How specific a (lower-case) word is: its inverse document frequency among the lines; a word no
        line has weighs as much as the rarest."""
        if not self.lines:
            return 1.0
        if not self._idf:
            names = self.vectorizer.get_feature_names_out()
            self._idf = {str(w): float(v) for w, v in zip(names, self.vectorizer.idf_, strict=True)}
            self._rarest = max(self._idf.values(), default=1.0)
        return self._idf.get(word, self._rarest)

    def similar(self, situation: str, k: int = 6, answer: bool = False) -> list[str]:
        """The `k` lines most like `situation`; with `answer`, no questions (the line replies to one)."""
        if not self.lines or k <= 0:
            return []
        scores = (self.matrix @ self.vectorizer.transform([situation]).T).toarray().ravel()
        order = scores.argsort()[::-1]
        found: list[str] = []
        for i in order:
            line = self.lines[i]
            if scores[i] <= 0 and len(found) >= k // 2:
                break
            if answer and line.endswith("?"):
                continue
            found.append(line)
            if len(found) == k:
                break
        return found


@cache
def corpus_bank() -> LineBank | None:
    """The bank of the training novels' quoted speech, or None without the corpus."""
    from tools.dialogue.corpus import corpus_dir, speech_lines

    folder = corpus_dir()
    if folder is None:
        return None
    return LineBank.from_lines(speech_lines(folder, "train"))
