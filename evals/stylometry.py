"""Stylometric distances over the most frequent words: Burrows' Delta and cosine Delta.

Texts become relative word frequencies; each feature is z-scored with the mean and standard deviation
measured on a reference population of text chunks. Burrows' Delta is the mean absolute difference of two
z-vectors; cosine Delta is one minus their cosine (Smith & Aldridge 2011; Evert et al. 2017).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer

from evals.corpus import WORD_RE, count_words

Metric = Literal["burrows", "cosine"]
BATCH_ROWS = 512


def word_counts(texts: Sequence[str], vocabulary: Sequence[str]) -> sparse.csr_matrix:
    """Lower-cased word counts of `texts` over a fixed vocabulary."""
    vectorizer = CountVectorizer(token_pattern=WORD_RE.pattern, lowercase=True, vocabulary=list(vocabulary))
    return vectorizer.transform(texts).tocsr().astype(np.float64)


def word_totals(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, sparse.csr_matrix]:
    """Vocabulary (sorted), corpus-wide counts and the per-text count matrix of lower-cased words."""
    vectorizer = CountVectorizer(token_pattern=WORD_RE.pattern, lowercase=True)
    matrix = vectorizer.fit_transform(texts).tocsr()
    return vectorizer.get_feature_names_out(), np.asarray(matrix.sum(axis=0)).ravel(), matrix


def most_frequent_words(texts: Sequence[str], n: int) -> list[str]:
    """The `n` most frequent lower-cased words of `texts` (ties broken alphabetically)."""
    vocab, totals, _ = word_totals(texts)
    order = np.lexsort((vocab, -totals))
    return [str(vocab[i]) for i in order[:n]]


def relative_rows(counts: sparse.csr_matrix, lengths: np.ndarray) -> sparse.csr_matrix:
    """Divide each row of counts by its text's length (rows of length 0 stay zero)."""
    scale = 1.0 / np.maximum(np.asarray(lengths, dtype=np.float64), 1.0)
    return sparse.diags(scale) @ counts


@dataclass
class ZScaler:
    """Mean and standard deviation per feature of relative frequencies, measured on sparse rows."""

    mean: np.ndarray = field(default_factory=lambda: np.zeros(0))
    std: np.ndarray = field(default_factory=lambda: np.ones(0))

    @classmethod
    def fit(cls, rows: sparse.spmatrix) -> ZScaler:
        n = max(rows.shape[0], 1)
        mean = np.asarray(rows.sum(axis=0)).ravel() / n
        square = np.asarray(rows.multiply(rows).sum(axis=0)).ravel() / n
        std = np.sqrt(np.maximum(square - mean**2, 0.0))
        std[std <= 1e-12] = 1.0  # a constant feature carries no information; keep it at z = 0
        return cls(mean=mean, std=std)

    def transform(self, rows: sparse.spmatrix | np.ndarray) -> np.ndarray:
        dense = rows.toarray() if isinstance(rows, sparse.spmatrix | sparse.sparray) else np.asarray(rows)
        return ((dense - self.mean) / self.std).astype(np.float32)

    def batches(self, rows: sparse.spmatrix) -> list[np.ndarray]:
        """z-scores in row batches, so that a dense copy of a large matrix is never made."""
        return [self.transform(rows[i : i + BATCH_ROWS]) for i in range(0, rows.shape[0], BATCH_ROWS)]


def burrows_delta(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Mean absolute z-score difference between every row of `a` and every row of `b`."""
    a2, b2 = np.atleast_2d(a), np.atleast_2d(b)
    return np.abs(a2[:, None, :] - b2[None, :, :]).mean(axis=2)


def cosine_delta(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """One minus the cosine between every row of `a` and every row of `b` (0 = same direction)."""
    return 1.0 - cosine_matrix(a, b)


def cosine_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a2, b2 = np.atleast_2d(a).astype(np.float64), np.atleast_2d(b).astype(np.float64)
    na = np.linalg.norm(a2, axis=1, keepdims=True)
    nb = np.linalg.norm(b2, axis=1, keepdims=True)
    return (a2 / np.maximum(na, 1e-12)) @ (b2 / np.maximum(nb, 1e-12)).T


def label_means(rows: sparse.spmatrix, labels: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """The mean row of each class (each class weighs the same, however many chunks it has)."""
    return np.vstack([np.asarray(rows[labels == c].mean(axis=0)).ravel() for c in classes])


@dataclass
class DeltaSpace:
    """The most frequent words of a population of chunks and their z-scaling: the space Delta lives in."""

    vocabulary: list[str]
    scaler: ZScaler

    @classmethod
    def fit(cls, chunks: Sequence[str], mfw: int = 300) -> DeltaSpace:
        if not 1 <= mfw:
            raise ValueError(f"the number of most frequent words must be positive, got {mfw}")
        space, _ = cls.fit_rows(chunks, mfw)
        return space

    @classmethod
    def fit_rows(cls, chunks: Sequence[str], mfw: int = 300) -> tuple[DeltaSpace, sparse.csr_matrix]:
        """The space and the relative frequencies of `chunks` in it (one tokenisation pass)."""
        vocab, totals, matrix = word_totals(chunks)
        order = np.lexsort((vocab, -totals))[:mfw]
        rows = relative_rows(matrix[:, order].astype(np.float64), np.asarray(matrix.sum(axis=1)).ravel())
        return cls(vocabulary=[str(vocab[i]) for i in order], scaler=ZScaler.fit(rows)), rows

    def relative(self, texts: Sequence[str]) -> sparse.csr_matrix:
        lengths = np.array([count_words(t) for t in texts])
        return relative_rows(word_counts(texts, self.vocabulary), lengths)

    def z(self, texts: Sequence[str]) -> np.ndarray:
        return self.scaler.transform(self.relative(texts))


def profile_delta(
    space: DeltaSpace, reference: Sequence[str], candidates: Sequence[str]
) -> dict[str, list[float] | None]:
    """Burrows' and cosine Delta of each candidate text from the reference profile (mean z of its chunks).

    When the space was z-scored on the reference alone its profile is the zero vector, which has no
    direction: cosine Delta is then None."""
    centroid = space.scaler.transform(np.asarray(space.relative(reference).mean(axis=0)))
    z = space.z(candidates)
    directional = float(np.linalg.norm(centroid)) > 1e-6
    return {
        "burrows_delta": burrows_delta(z, centroid)[:, 0].tolist(),
        "cosine_delta": cosine_delta(z, centroid)[:, 0].tolist() if directional else None,
    }


@dataclass
class DeltaAttributor:
    """Nearest author centroid in Delta space: the classic stylometric attribution baseline."""

    mfw: int = 300
    metric: Metric = "burrows"
    space: DeltaSpace | None = None
    classes: np.ndarray = field(default_factory=lambda: np.array([]))
    centroids: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))

    def fit(self, chunks: Sequence[str], labels: Sequence[str]) -> DeltaAttributor:
        labels_arr = np.asarray(labels)
        self.space, rows = DeltaSpace.fit_rows(chunks, self.mfw)
        self.classes = np.unique(labels_arr)
        self.centroids = self.space.scaler.transform(label_means(rows, labels_arr, self.classes))
        return self

    def scores(self, chunks: Sequence[str]) -> np.ndarray:
        """Similarity of each chunk to each class (higher is closer): minus the Delta distance."""
        if self.space is None:
            raise RuntimeError("DeltaAttributor.scores called before fit")
        distance = burrows_delta if self.metric == "burrows" else cosine_delta
        parts = [distance(z, self.centroids) for z in self.space.scaler.batches(self.space.relative(chunks))]
        return -np.vstack(parts) if parts else np.zeros((0, len(self.classes)))

    def predict(self, chunks: Sequence[str]) -> np.ndarray:
        return self.classes[self.scores(chunks).argmax(axis=1)]
