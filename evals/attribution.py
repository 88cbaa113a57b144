"""Authorship attribution: the harness proves its style score on real prose whose authors are known.

Each author's profile is built from the training texts; every test text is cut into N-word chunks and each
chunk is given to the author with the highest score. The same chunks are attributed by two classic
baselines (Burrows' Delta and a character n-gram SVM) so the figures can be read side by side.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
from pydantic import BaseModel, Field

from evals.baselines import CharSvmBaseline, burrows_delta_baseline
from evals.corpus import AuthoredText, Fold, chunk_words, leave_one_novel_out, list_texts
from evals.style_profile import CharChannel, StyleProfiler, WordChannel
from tools.errors import InputFileError, NuvolaError

HARNESS = "style_score"
BASELINES = ("burrows_delta", "char_svm")


class Attributor(Protocol):
    classes: np.ndarray

    def fit(self, chunks: Sequence[str], labels: Sequence[str]) -> object: ...

    def predict(self, chunks: Sequence[str]) -> np.ndarray: ...


@dataclass
class AttributionConfig:
    """Everything that decides an attribution run's figures (logged with them)."""

    chunk_words: int = 1000
    seed: int = 0
    word_mfw: int = 3000
    char_features: int = 10000
    word_weight: float = 0.5
    delta_mfw: int = 300
    svm_c: float = 1.0
    methods: tuple[str, ...] = (HARNESS, *BASELINES)

    def build(self, method: str) -> Attributor:
        factories: dict[str, Callable[[], Attributor]] = {
            HARNESS: lambda: StyleProfiler(
                word=WordChannel(mfw=self.word_mfw),
                char=CharChannel(features=self.char_features),
                word_weight=self.word_weight,
            ),
            "burrows_delta": lambda: burrows_delta_baseline(self.delta_mfw),
            "char_svm": lambda: CharSvmBaseline(c=self.svm_c, seed=self.seed),
        }
        if method not in factories:
            raise NuvolaError(f"unknown attribution method {method!r}; choose from {', '.join(factories)}")
        return factories[method]()


class AuthorScore(BaseModel):
    accuracy: float
    correct: int
    n_chunks: int


class MethodResult(BaseModel):
    """Top-1 accuracy of one method over every test chunk, overall and per author."""

    accuracy: float
    macro_accuracy: float = Field(description="mean of the per-author accuracies")
    correct: int
    n_chunks: int
    per_author: dict[str, AuthorScore]
    seconds: float


class FoldResult(BaseModel):
    index: int
    train_files: list[str]
    test_files: list[str]
    n_chunks: int
    accuracy: dict[str, float]


class Confusion(BaseModel):
    """Rows: true author; columns: attributed author (the harness's predictions)."""

    labels: list[str]
    matrix: list[list[int]]


class AttributionReport(BaseModel):
    """What `nuvola eval attribution` prints: the harness's figure first, the baselines beside it."""

    accuracy: float
    macro_accuracy: float
    n_chunks: int
    chunk_words: int
    per_author: dict[str, AuthorScore]
    baselines: dict[str, MethodResult]
    methods: dict[str, MethodResult]
    skipped_authors: list[str]
    errors: list[str]
    folds: list[FoldResult]
    confusion: Confusion | None
    config: dict[str, object]
    seconds: float


@dataclass
class Predictions:
    """Truth and predictions accumulated over folds, per method."""

    truth: list[str] = field(default_factory=list)
    predicted: dict[str, list[str]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def add(self, method: str, predicted: Sequence[str], seconds: float) -> None:
        self.predicted.setdefault(method, []).extend(predicted)
        self.seconds[method] = self.seconds.get(method, 0.0) + seconds


def read_chunks(
    texts: Sequence[AuthoredText], size: int, whole_if_short: bool, errors: list[str]
) -> tuple[list[str], list[str]]:
    """Chunks and their authors; an unreadable file is recorded in `errors` and the batch goes on."""
    chunks: list[str] = []
    labels: list[str] = []
    for text in texts:
        try:
            body = text.read()
        except InputFileError as exc:
            errors.append(str(exc))
            continue
        pieces = chunk_words(body, size)
        if not pieces and whole_if_short and body.strip():
            pieces = [body]
        chunks.extend(pieces)
        labels.extend([text.author] * len(pieces))
    return chunks, labels


def run_fold(
    fold: Fold, config: AttributionConfig, sink: Predictions, errors: list[str]
) -> tuple[FoldResult, set[str]]:
    """Fit every method on the fold's training chunks and attribute its test chunks."""
    train_chunks, train_labels = read_chunks(fold.train, config.chunk_words, True, errors)
    known = set(train_labels)
    skipped = {t.author for t in fold.test if t.author not in known}
    test_texts = [t for t in fold.test if t.author in known]
    test_chunks, truth = read_chunks(test_texts, config.chunk_words, False, errors)
    accuracy: dict[str, float] = {}
    if len(known) < 2:
        raise NuvolaError(f"fold {fold.index}: attribution needs training texts of at least two authors")
    if test_chunks:
        sink.truth.extend(truth)
        for method in config.methods:
            start = time.perf_counter()
            model = config.build(method)
            model.fit(train_chunks, train_labels)
            predicted = [str(p) for p in model.predict(test_chunks)]
            sink.add(method, predicted, time.perf_counter() - start)
            accuracy[method] = float(np.mean(np.array(predicted) == np.array(truth)))
    result = FoldResult(
        index=fold.index,
        train_files=[t.path.name for t in fold.train],
        test_files=[t.path.name for t in test_texts],
        n_chunks=len(test_chunks),
        accuracy=accuracy,
    )
    return result, skipped


def score_method(truth: Sequence[str], predicted: Sequence[str], seconds: float) -> MethodResult:
    truth_arr, pred_arr = np.asarray(truth), np.asarray(predicted)
    per_author = {}
    for author in sorted(set(truth)):
        mask = truth_arr == author
        correct = int((pred_arr[mask] == author).sum())
        per_author[author] = AuthorScore(
            accuracy=correct / int(mask.sum()), correct=correct, n_chunks=int(mask.sum())
        )
    correct = int((truth_arr == pred_arr).sum())
    n = len(truth_arr)
    return MethodResult(
        accuracy=correct / n if n else 0.0,
        macro_accuracy=float(np.mean([a.accuracy for a in per_author.values()])) if per_author else 0.0,
        correct=correct,
        n_chunks=n,
        per_author=per_author,
        seconds=round(seconds, 2),
    )


def confusion(truth: Sequence[str], predicted: Sequence[str]) -> Confusion:
    labels = sorted(set(truth) | set(predicted))
    index = {label: i for i, label in enumerate(labels)}
    matrix = np.zeros((len(labels), len(labels)), dtype=int)
    for t, p in zip(truth, predicted, strict=True):
        matrix[index[t], index[p]] += 1
    return Confusion(labels=labels, matrix=matrix.tolist())


def run_folds(folds: Sequence[Fold], config: AttributionConfig) -> AttributionReport:
    """Attribute every fold's test chunks with every method and pool the figures over folds."""
    start = time.perf_counter()
    sink, results = Predictions(), []
    errors: list[str] = []
    skipped: set[str] = set()
    for fold in folds:
        result, fold_skipped = run_fold(fold, config, sink, errors)
        results.append(result)
        skipped |= fold_skipped
    methods = {
        m: score_method(sink.truth, sink.predicted.get(m, []), sink.seconds.get(m, 0.0))
        for m in config.methods
    }
    main = methods.get(HARNESS) or next(iter(methods.values()))
    return AttributionReport(
        accuracy=main.accuracy,
        macro_accuracy=main.macro_accuracy,
        n_chunks=len(sink.truth),
        chunk_words=config.chunk_words,
        per_author=main.per_author,
        baselines={m: r for m, r in methods.items() if m != HARNESS},
        methods=methods,
        skipped_authors=sorted(skipped),
        errors=errors,
        folds=results,
        confusion=confusion(sink.truth, sink.predicted[HARNESS]) if HARNESS in sink.predicted else None,
        config=run_config(config),
        seconds=round(time.perf_counter() - start, 2),
    )


def run_config(config: AttributionConfig) -> dict[str, object]:
    """The configuration, seeds and software versions a report is logged with."""
    import sklearn

    return {
        **{k: (list(v) if isinstance(v, tuple) else v) for k, v in vars(config).items()},
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scikit_learn": sklearn.__version__,
    }


def attribute(train_dir: Path | str, test_dir: Path | str, config: AttributionConfig) -> AttributionReport:
    """Profiles from the texts in `train_dir`, chunks from the texts in `test_dir`."""
    fold = Fold(index=0, train=tuple(list_texts(Path(train_dir))), test=tuple(list_texts(Path(test_dir))))
    return run_folds([fold], config)


def attribute_leave_one_out(corpus_dir: Path | str, config: AttributionConfig) -> AttributionReport:
    """Leave-one-novel-out over a corpus folder (see `evals.corpus.leave_one_novel_out`)."""
    folds = leave_one_novel_out(list_texts(Path(corpus_dir)))
    if not folds:
        raise NuvolaError(f"{corpus_dir}: no author has two or more texts, so nothing can be held out")
    return run_folds(folds, config)
