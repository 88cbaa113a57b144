"""Nuvola's style score: how close a text is to each of several style profiles (authors, characters, series).

Two channels, each a cosine Delta (z-scored relative frequencies, cosine to each profile's centroid):

* words: the most frequent words after culling those few profiles use and proper names, so the score
  measures how a writer writes rather than whom the story is about;
* characters: 2–5-gram frequencies of the text with proper names masked (`#`), catching morphology,
  elision, punctuation and spelling habits that whole words miss.

Each channel's similarities are standardised across profiles per text and summed with fixed weights.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from evals.corpus import CAPITALISED_RE, WORD_RE, count_words
from evals.ngrams import CharNgramCounter
from evals.stylometry import ZScaler, cosine_matrix, label_means, relative_rows, word_counts, word_totals

NAME_MASK = "#"


@dataclass
class NameLexicon:
    """Learns which words are proper names: those written Title-case in more than `threshold` of their
    occurrences (sentence-initial common words are mostly lower case elsewhere)."""

    title_share: dict[str, float] = field(default_factory=dict)
    threshold: float = 0.5

    @classmethod
    def fit(cls, texts: Sequence[str], threshold: float = 0.5) -> NameLexicon:
        seen: Counter[str] = Counter()
        for text in texts:
            seen.update(WORD_RE.findall(text))
        total: Counter[str] = Counter()
        titled: Counter[str] = Counter()
        for word, n in seen.items():
            lower = word.lower()
            total[lower] += n
            if word.istitle():
                titled[lower] += n
        return cls({w: titled[w] / n for w, n in total.items()}, threshold)

    def is_name(self, lower: str) -> bool:
        return self.title_share.get(lower, 0.0) > self.threshold

    def is_name_token(self, token: str) -> bool:
        """A Title-case token that is unknown or mostly Title-case (ALL-CAPS lettering is never a name)."""
        return token.istitle() and self.title_share.get(token.lower(), 1.0) > self.threshold

    def mask(self, text: str) -> str:
        return CAPITALISED_RE.sub(lambda m: NAME_MASK if self.is_name_token(m.group(0)) else m.group(0), text)


@dataclass
class Centroids:
    """z-scaled class centroids in one feature space; scores are cosines to each centroid."""

    scaler: ZScaler
    centroids: np.ndarray

    @classmethod
    def fit(cls, rows: sparse.spmatrix, labels: np.ndarray, classes: np.ndarray) -> Centroids:
        scaler = ZScaler.fit(rows)
        return cls(scaler, scaler.transform(label_means(rows, labels, classes)))

    def scores(self, rows: sparse.spmatrix) -> np.ndarray:
        parts = [cosine_matrix(z, self.centroids) for z in self.scaler.batches(rows)]
        return np.vstack(parts) if parts else np.zeros((0, len(self.centroids)))


@dataclass
class WordChannel:
    """Cosine Delta over culled, name-free most frequent words."""

    mfw: int = 3000
    min_class_share: float = 0.5
    vocabulary: list[str] = field(default_factory=list)
    model: Centroids | None = None

    def fit(self, chunks: Sequence[str], labels: np.ndarray, classes: np.ndarray, names: NameLexicon) -> None:
        """Keep the `mfw` most frequent words used by ≥ `min_class_share` of the classes, names excluded."""
        vocab, totals, matrix = word_totals(chunks)
        used = np.vstack([np.asarray(matrix[labels == c].sum(axis=0)).ravel() > 0 for c in classes])
        keep = used.mean(axis=0) >= self.min_class_share
        keep &= np.array([not names.is_name(w) for w in vocab], dtype=bool)
        order = [i for i in np.lexsort((vocab, -totals)) if keep[i]][: self.mfw]
        self.vocabulary = [str(vocab[i]) for i in order]
        rows = relative_rows(matrix[:, order].astype(np.float64), np.asarray(matrix.sum(axis=1)).ravel())
        self.model = Centroids.fit(rows, labels, classes)

    def _rows(self, chunks: Sequence[str]) -> sparse.spmatrix:
        lengths = np.array([count_words(t) for t in chunks])
        return relative_rows(word_counts(chunks, self.vocabulary), lengths)

    def scores(self, chunks: Sequence[str]) -> np.ndarray:
        assert self.model is not None, "WordChannel.scores called before fit"
        return self.model.scores(self._rows(chunks))


@dataclass
class CharChannel:
    """Cosine Delta over the most frequent character n-grams of name-masked text."""

    orders: tuple[int, ...] = (2, 3, 4, 5)
    features: int = 10000
    counter: CharNgramCounter | None = None
    names: NameLexicon | None = None
    model: Centroids | None = None

    def fit(self, chunks: Sequence[str], labels: np.ndarray, classes: np.ndarray, names: NameLexicon) -> None:
        self.names = names
        masked = [names.mask(t) for t in chunks]
        self.counter = CharNgramCounter(orders=self.orders, min_df=2, max_features=self.features)
        rows = relative_rows(self.counter.fit_transform(masked), np.array([len(t) for t in masked]))
        self.model = Centroids.fit(rows, labels, classes)

    def scores(self, chunks: Sequence[str]) -> np.ndarray:
        assert self.model is not None and self.counter is not None and self.names is not None
        masked = [self.names.mask(t) for t in chunks]
        rows = relative_rows(self.counter.transform(masked), np.array([len(t) for t in masked]))
        return self.model.scores(rows)


def standardise_rows(scores: np.ndarray) -> np.ndarray:
    """Per text, centre the scores across profiles and divide by their spread."""
    centred = scores - scores.mean(axis=1, keepdims=True)
    spread = scores.std(axis=1, keepdims=True)
    return centred / np.where(spread > 1e-12, spread, 1.0)


@dataclass
class StyleProfiler:
    """Profiles of labelled texts and the style score of new texts against each profile."""

    word: WordChannel = field(default_factory=WordChannel)
    char: CharChannel = field(default_factory=CharChannel)
    word_weight: float = 0.5
    classes: np.ndarray = field(default_factory=lambda: np.array([]))

    def fit(self, chunks: Sequence[str], labels: Sequence[str]) -> StyleProfiler:
        labels_arr = np.asarray(labels)
        self.classes = np.unique(labels_arr)
        if len(self.classes) < 2:
            raise ValueError("a style profiler needs texts of at least two profiles to compare")
        names = NameLexicon.fit(chunks)
        self.word.fit(chunks, labels_arr, self.classes, names)
        self.char.fit(chunks, labels_arr, self.classes, names)
        return self

    def channel_scores(self, chunks: Sequence[str]) -> dict[str, np.ndarray]:
        """Cosine similarity of each text to each profile, per channel (rows: texts, columns: classes)."""
        return {"word": self.word.scores(chunks), "char": self.char.scores(chunks)}

    def scores(self, chunks: Sequence[str]) -> np.ndarray:
        """The combined style score of each text for each profile (higher: closer in style)."""
        parts = self.channel_scores(chunks)
        w = self.word_weight
        return w * standardise_rows(parts["word"]) + (1 - w) * standardise_rows(parts["char"])

    def predict(self, chunks: Sequence[str]) -> np.ndarray:
        return self.classes[self.scores(chunks).argmax(axis=1)]

    def config(self) -> dict[str, object]:
        return {
            "word_mfw": self.word.mfw,
            "word_min_class_share": self.word.min_class_share,
            "char_orders": list(self.char.orders),
            "char_features": self.char.features,
            "word_weight": self.word_weight,
        }
