"""The two classic attribution baselines every attribution run reports beside Nuvola's style score."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.svm import LinearSVC

from evals.ngrams import CharNgramCounter
from evals.stylometry import DeltaAttributor


def burrows_delta_baseline(mfw: int = 300) -> DeltaAttributor:
    """Burrows' Delta: 300 most frequent words, z-scored, nearest author centroid (Burrows 2002)."""
    return DeltaAttributor(mfw=mfw, metric="burrows")


@dataclass
class CharSvmBaseline:
    """Character 2–4-gram TF-IDF (sublinear tf, lower-cased) and a linear SVM, one-vs-rest."""

    orders: tuple[int, ...] = (2, 3, 4)
    c: float = 1.0
    seed: int = 0
    counter: CharNgramCounter | None = None
    tfidf: TfidfTransformer | None = None
    svm: LinearSVC | None = None
    classes: np.ndarray = field(default_factory=lambda: np.array([]))

    def fit(self, chunks: Sequence[str], labels: Sequence[str]) -> CharSvmBaseline:
        self.counter = CharNgramCounter(orders=self.orders, min_df=2)
        self.tfidf = TfidfTransformer(sublinear_tf=True)
        features = self.tfidf.fit_transform(self.counter.fit_transform(chunks))
        self.svm = LinearSVC(C=self.c, random_state=self.seed).fit(features, np.asarray(labels))
        self.classes = self.svm.classes_
        return self

    def scores(self, chunks: Sequence[str]) -> np.ndarray:
        assert self.counter is not None and self.tfidf is not None and self.svm is not None
        decision = self.svm.decision_function(self.tfidf.transform(self.counter.transform(chunks)))
        return decision if decision.ndim == 2 else np.column_stack([-decision, decision])

    def predict(self, chunks: Sequence[str]) -> np.ndarray:
        return self.classes[self.scores(chunks).argmax(axis=1)]
