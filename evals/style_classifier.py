"""The style classifier: P(reference style) of a text, against a background of other Italian text.

Character 2–4-gram TF-IDF (lower-cased, so UPPERCASE lettering and sentence case compare) and a linear
SVM whose scores are calibrated into probabilities (Platt scaling, cross-validated), trained on N-word
chunks of the reference and of the background.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from pydantic import BaseModel
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.svm import LinearSVC

from evals.corpus import chunk_words, count_words
from evals.ngrams import CharNgramCounter
from tools.errors import NuvolaError

REFERENCE, BACKGROUND = 1, 0


class TooLittleTextError(NuvolaError):
    """A side of the classifier has too little text to train and calibrate on."""


def even_sample(items: list[str], limit: int, seed: int) -> list[str]:
    """At most `limit` items, drawn without replacement by a seeded generator, kept in order."""
    if len(items) <= limit:
        return list(items)
    keep = np.sort(np.random.default_rng(seed).choice(len(items), size=limit, replace=False))
    return [items[i] for i in keep]


def chunks_of(texts: Sequence[str], size: int) -> list[str]:
    """N-word chunks of each text; a text shorter than N words is one chunk of its own."""
    out: list[str] = []
    for text in texts:
        pieces = chunk_words(text, size)
        out += pieces or ([text] if count_words(text) else [])
    return out


class StyleProbability(BaseModel):
    """P(reference style) of one text: mean over its chunks, and the share of chunks above one half."""

    probability: float
    share_above_half: float
    chunks: int
    per_chunk: list[float] = []


@dataclass
class StyleClassifier:
    """Reference style against background text; `probability(text)` is calibrated P(reference)."""

    chunk_words: int = 100
    max_chunks: int = 2000
    orders: tuple[int, ...] = (2, 3, 4)
    seed: int = 0
    counter: CharNgramCounter | None = None
    tfidf: TfidfTransformer | None = None
    model: CalibratedClassifierCV | None = None
    sizes: dict[str, int] = field(default_factory=dict)

    def fit(self, reference: Sequence[str], background: Sequence[str]) -> StyleClassifier:
        ref = even_sample(chunks_of(reference, self.chunk_words), self.max_chunks, self.seed)
        bg = even_sample(chunks_of(background, self.chunk_words), self.max_chunks, self.seed + 1)
        folds = min(3, len(ref), len(bg))
        if folds < 2:
            raise TooLittleTextError(
                f"the style classifier needs at least two {self.chunk_words}-word chunks of reference and of "
                f"background text (has {len(ref)} and {len(bg)}); give more text or a smaller --chunk-words"
            )
        self.counter = CharNgramCounter(orders=self.orders, min_df=2)
        self.tfidf = TfidfTransformer(sublinear_tf=True)
        features = self.tfidf.fit_transform(self.counter.fit_transform(ref + bg))
        labels = np.array([REFERENCE] * len(ref) + [BACKGROUND] * len(bg))
        svm = LinearSVC(C=1.0, class_weight="balanced", random_state=self.seed)
        self.model = CalibratedClassifierCV(svm, method="sigmoid", cv=folds).fit(features, labels)
        self.sizes = {"reference_chunks": len(ref), "background_chunks": len(bg)}
        return self

    def chunk_probabilities(self, chunks: Sequence[str]) -> np.ndarray:
        assert self.counter is not None and self.tfidf is not None and self.model is not None
        features = self.tfidf.transform(self.counter.transform(list(chunks)))
        column = list(self.model.classes_).index(REFERENCE)
        return self.model.predict_proba(features)[:, column]

    def probability(self, text: str) -> StyleProbability:
        """P(reference) of a text, averaged over its chunks."""
        chunks = chunks_of([text], self.chunk_words)
        if not chunks:
            return StyleProbability(probability=0.0, share_above_half=0.0, chunks=0, per_chunk=[])
        p = self.chunk_probabilities(chunks)
        return StyleProbability(
            probability=round(float(p.mean()), 4),
            share_above_half=round(float((p > 0.5).mean()), 4),
            chunks=len(p),
            per_chunk=[round(float(x), 4) for x in p],
        )

    def config(self) -> dict[str, object]:
        return {
            "chunk_words": self.chunk_words,
            "max_chunks": self.max_chunks,
            "orders": list(self.orders),
            "seed": self.seed,
            **self.sizes,
        }
