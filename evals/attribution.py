"""Authorship attribution: the harness proves its style score on real prose whose authors are known.

Each author's model is built from the training texts; every test text is cut into N-word chunks and each
chunk is given to the author with the highest score. The harness is `author_lm` (per-author language
models, evals.author_lm); the earlier profile score and two classic baselines (Burrows' Delta and a
character n-gram SVM) attribute the same chunks so the figures can be read side by side. Intervals are
95 % bootstraps over held-out novels (chunks of one novel are not independent).
"""

from __future__ import annotations

import json
import platform
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from pydantic import BaseModel, Field

from evals.author_lm import AuthorLM, softmax
from evals.baselines import CharSvmBaseline, burrows_delta_baseline
from evals.corpus import AuthoredText, Fold, chunk_words, leave_one_novel_out, list_texts
from evals.style_profile import CharChannel, StyleProfiler, WordChannel, standardise_rows
from tools.errors import InputFileError, NuvolaError

HARNESS = "combined"
AUTHOR_LM = "author_lm"
PROFILE = "style_score"
COMBINATION = {AUTHOR_LM: 3.109, PROFILE: 0.434, "char_svm": 0.277}
"""Weights of the harness's parts (row-standardised scores): a conditional logit fitted by maximum likelihood
on both dev folds at 1,000 words (evals.attribution_fusion; `benchmarks/attribution.py --fit-fusion`)."""
COMBINED_SHARPNESS = 1.0
"""P(author) = softmax(combined · (words/1000)^0.5): the fitted weights already carry the sharpness."""
BASELINES = ("burrows_delta", "char_svm")
BOOTSTRAP_ROUNDS = 1000
SPLIT_FILE = Path(__file__).resolve().parent / "gt" / "eltec-ita" / "attribution_split.json"


class AttributionSplit(BaseModel):
    """The fixed dev/frozen split of the two-novel authors (evals/gt/eltec-ita/attribution_split.json)."""

    corpus: str
    rule: str
    frozen_authors: list[str]
    dev_authors: list[str]


def load_split(path: Path = SPLIT_FILE) -> AttributionSplit:
    try:
        return AttributionSplit.model_validate_json(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputFileError(Path(path), f"not a readable attribution split ({exc})") from exc


class Attributor(Protocol):
    classes: np.ndarray

    def fit(self, chunks: Sequence[str], labels: Sequence[str]) -> object: ...

    def predict(self, chunks: Sequence[str]) -> np.ndarray: ...

    def scores(self, chunks: Sequence[str]) -> np.ndarray: ...


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
    lm: AuthorLM = field(default_factory=AuthorLM)
    methods: tuple[str, ...] = (HARNESS, AUTHOR_LM, PROFILE, *BASELINES)

    def build(self, method: str) -> Attributor:
        factories: dict[str, Callable[[], Attributor]] = {
            HARNESS: lambda: CombinedAttributor({m: (self.build(m), w) for m, w in COMBINATION.items()}),
            AUTHOR_LM: lambda: AuthorLM(**self.lm.config()),  # type: ignore[arg-type]
            PROFILE: lambda: StyleProfiler(
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


@dataclass
class CombinedAttributor:
    """Weighted sum of its parts' scores, each standardised across authors per chunk (mean 0, spread 1)."""

    parts: dict[str, tuple[Attributor, float]]
    sharpness: float = COMBINED_SHARPNESS
    classes: np.ndarray = field(default_factory=lambda: np.array([]))

    def fit(self, chunks: Sequence[str], labels: Sequence[str]) -> CombinedAttributor:
        for model, _ in self.parts.values():
            model.fit(chunks, labels)
        self.classes = np.unique(np.asarray(labels))
        return self

    def combine(self, part_scores: dict[str, np.ndarray]) -> np.ndarray:
        return sum(w * standardise_rows(part_scores[m]) for m, (_, w) in self.parts.items())  # type: ignore[return-value]

    def scores(self, chunks: Sequence[str]) -> np.ndarray:
        return self.combine({m: model.scores(chunks) for m, (model, _) in self.parts.items()})

    def predict(self, chunks: Sequence[str]) -> np.ndarray:
        return self.classes[self.scores(chunks).argmax(axis=1)]

    def probabilities_from(self, scores: np.ndarray, words: Sequence[int]) -> np.ndarray:
        length = np.maximum(np.asarray(words, dtype=np.float64), 1.0) / 1000.0
        return softmax(scores * (self.sharpness * np.sqrt(length))[:, None])


class AuthorScore(BaseModel):
    accuracy: float
    correct: int
    n_chunks: int


class Calibration(BaseModel):
    """How honest the harness's P(author | chunk) is: mean log-loss, Brier score, expected calibration error
    (10 bins of the top probability), and the mean top probability beside the accuracy."""

    log_loss: float
    brier: float
    ece: float
    mean_confidence: float


class MethodResult(BaseModel):
    """Top-1 accuracy of one method over every test chunk, overall and per author."""

    accuracy: float
    macro_accuracy: float = Field(description="mean of the per-author accuracies")
    correct: int
    n_chunks: int
    interval: tuple[float, float] = Field(description="95 % bootstrap over held-out novels")
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


class ChunkRecord(BaseModel):
    """One attributed chunk: its novel, true author and each method's answer (for splits and intervals)."""

    novel: str
    author: str
    predicted: dict[str, str]
    confidence: float | None = None


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
    parts: dict[str, dict[str, MethodResult]] = Field(
        default={}, description="the same run's figures on the dev and on the frozen authors' novels"
    )
    calibration: dict[str, Calibration] = Field(default={}, description="per method with probabilities")
    chunks: list[ChunkRecord] = []
    config: dict[str, object]
    seconds: float


@dataclass
class Predictions:
    """Truth and predictions accumulated over folds, per method."""

    truth: list[str] = field(default_factory=list)
    novels: list[str] = field(default_factory=list)
    predicted: dict[str, list[str]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    probability_rows: dict[str, list[tuple[float, float, float]]] = field(default_factory=dict)
    """Per method: (P(true author), top probability, Brier) of each chunk."""

    def add(self, method: str, predicted: Sequence[str], seconds: float) -> None:
        self.predicted.setdefault(method, []).extend(predicted)
        self.seconds[method] = self.seconds.get(method, 0.0) + seconds


def read_chunks(
    texts: Sequence[AuthoredText],
    size: int,
    whole_if_short: bool,
    errors: list[str],
    sources: list[str] | None = None,
) -> tuple[list[str], list[str]]:
    """Chunks and their authors (and each chunk's file name in `sources`); an unreadable file is recorded
    in `errors` and the batch goes on."""
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
        if sources is not None:
            sources.extend([text.path.name] * len(pieces))
    return chunks, labels


FITTED_CACHE = 2
_fitted: OrderedDict[tuple[str, ...], Attributor] = OrderedDict()


def fitted(
    config: AttributionConfig, method: str, fold: Fold, chunks: Sequence[str], labels: Sequence[str]
) -> Attributor:
    """A method fitted on the fold's training data. Author LMs learn from whole texts, so they do not depend
    on the chunk size: the last FITTED_CACHE of them are kept for runs at other sizes (benchmarks)."""
    model = config.build(method)
    if not isinstance(model, AuthorLM):
        return model.fit(chunks, labels)  # type: ignore[return-value]
    key = (json.dumps(model.config(), sort_keys=True), *sorted(str(t.path) for t in fold.train))
    if key not in _fitted:
        readable = [(t.author, body) for t in fold.train if (body := readable_text(t)) is not None]
        _fitted[key] = model.fit([b for _, b in readable], [a for a, _ in readable])
        while len(_fitted) > FITTED_CACHE:
            _fitted.popitem(last=False)
    _fitted.move_to_end(key)
    return _fitted[key]


def fold_scores(
    config: AttributionConfig,
    method: str,
    fold: Fold,
    train: Sequence[str],
    labels: Sequence[str],
    test: Sequence[str],
    done: dict[str, np.ndarray],
) -> tuple[Attributor, np.ndarray]:
    """A method's fitted model and its scores of the test chunks; the harness fits and scores only the
    parts not already run in this fold."""
    if method != HARNESS:
        model = fitted(config, method, fold, train, labels)
        return model, model.scores(test)
    combined = config.build(HARNESS)
    assert isinstance(combined, CombinedAttributor)
    for part in combined.parts:
        if part not in done:
            done[part] = fitted(config, part, fold, train, labels).scores(test)
    combined.classes = np.unique(np.asarray(labels))
    return combined, combined.combine(done)


def readable_text(text: AuthoredText) -> str | None:
    """The text, or None when it cannot be read (read_chunks has already recorded why)."""
    try:
        return text.read()
    except InputFileError:
        return None


def run_fold(
    fold: Fold, config: AttributionConfig, sink: Predictions, errors: list[str]
) -> tuple[FoldResult, set[str]]:
    """Fit every method on the fold's training chunks and attribute its test chunks."""
    train_chunks, train_labels = read_chunks(fold.train, config.chunk_words, True, errors)
    known = set(train_labels)
    skipped = {t.author for t in fold.test if t.author not in known}
    test_texts = [t for t in fold.test if t.author in known]
    novels: list[str] = []
    test_chunks, truth = read_chunks(test_texts, config.chunk_words, False, errors, novels)
    accuracy: dict[str, float] = {}
    if len(known) < 2:
        raise NuvolaError(f"fold {fold.index}: attribution needs training texts of at least two authors")
    if test_chunks:
        sink.truth.extend(truth)
        sink.novels.extend(novels)
        done: dict[str, np.ndarray] = {}
        elapsed: dict[str, float] = {}
        for method in sorted(config.methods, key=lambda m: m == HARNESS):  # the harness reuses its parts
            start = time.perf_counter()
            model, scores = fold_scores(config, method, fold, train_chunks, train_labels, test_chunks, done)
            done[method] = scores
            elapsed[method] = time.perf_counter() - start
            if method == HARNESS:  # its parts' time counts too, wherever it was spent
                elapsed[method] += sum(elapsed.get(part, 0.0) for part in COMBINATION)
            predicted = [str(p) for p in model.classes[scores.argmax(axis=1)]]
            sink.add(method, predicted, elapsed[method])
            if hasattr(model, "probabilities_from"):
                record_probabilities(sink, method, model, scores, test_chunks, truth)
            accuracy[method] = float(np.mean(np.array(predicted) == np.array(truth)))
    result = FoldResult(
        index=fold.index,
        train_files=[t.path.name for t in fold.train],
        test_files=[t.path.name for t in test_texts],
        n_chunks=len(test_chunks),
        accuracy=accuracy,
    )
    return result, skipped


def record_probabilities(
    sink: Predictions,
    method: str,
    model: Any,
    scores: np.ndarray,
    chunks: Sequence[str],
    truth: Sequence[str],
) -> None:
    """A method's calibrated probabilities of the true author and of its answer, for calibration figures."""
    from evals.corpus import count_words

    probs = model.probabilities_from(scores, [count_words(c) for c in chunks])
    column = {str(a): i for i, a in enumerate(model.classes)}
    rows = sink.probability_rows.setdefault(method, [])
    for row, author in zip(probs, truth, strict=True):
        p_true = float(row[column[author]])
        rows.append((p_true, float(row.max()), float((row**2).sum() - 2 * p_true + 1)))


def calibration(rows: Sequence[tuple[float, float, float]], correct: np.ndarray) -> Calibration:
    p_true, top, brier = (np.asarray(col) for col in zip(*rows, strict=True))
    bins = np.minimum((top * 10).astype(int), 9)
    ece = sum(abs(correct[bins == b].mean() - top[bins == b].mean()) * (bins == b).mean() for b in set(bins))
    return Calibration(
        log_loss=round(float(-np.log(np.maximum(p_true, 1e-12)).mean()), 4),
        brier=round(float(brier.mean()), 4),
        ece=round(float(ece), 4),
        mean_confidence=round(float(top.mean()), 4),
    )


def novel_bootstrap(correct: np.ndarray, novels: Sequence[str], seed: int = 0) -> tuple[float, float]:
    """95 % percentile interval of pooled accuracy, resampling held-out novels with replacement."""
    names = sorted(set(novels))
    if not names:
        return (0.0, 0.0)
    index = {n: i for i, n in enumerate(names)}
    which = np.array([index[n] for n in novels])
    hits = np.bincount(which, weights=correct.astype(float), minlength=len(names))
    sizes = np.bincount(which, minlength=len(names)).astype(float)
    draws = np.random.default_rng(seed).integers(0, len(names), size=(BOOTSTRAP_ROUNDS, len(names)))
    rates = hits[draws].sum(axis=1) / np.maximum(sizes[draws].sum(axis=1), 1.0)
    low, high = np.percentile(rates, [2.5, 97.5])
    return (round(float(low), 4), round(float(high), 4))


def score_method(
    truth: Sequence[str], predicted: Sequence[str], seconds: float, novels: Sequence[str] | None = None
) -> MethodResult:
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
        interval=novel_bootstrap(truth_arr == pred_arr, novels if novels is not None else list(truth)),
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
        m: score_method(sink.truth, sink.predicted.get(m, []), sink.seconds.get(m, 0.0), sink.novels)
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
        calibration={
            m: calibration(rows, np.asarray(sink.predicted[m]) == np.asarray(sink.truth))
            for m, rows in sink.probability_rows.items()
            if len(rows) == len(sink.truth)
        },
        chunks=chunk_records(sink),
        config=run_config(config),
        seconds=round(time.perf_counter() - start, 2),
    )


def chunk_records(sink: Predictions) -> list[ChunkRecord]:
    rows = sink.probability_rows.get(HARNESS, [])
    confidence = [r[1] for r in rows] if len(rows) == len(sink.truth) else None
    return [
        ChunkRecord(
            novel=novel,
            author=author,
            predicted={m: p[i] for m, p in sink.predicted.items()},
            confidence=round(confidence[i], 4) if confidence else None,
        )
        for i, (novel, author) in enumerate(zip(sink.novels, sink.truth, strict=True))
    ]


def run_config(config: AttributionConfig) -> dict[str, object]:
    """The configuration, seeds and software versions a report is logged with."""
    import sklearn

    plain = {k: v for k, v in vars(config).items() if k != "lm"}
    return {
        **{k: (list(v) if isinstance(v, tuple) else v) for k, v in plain.items()},
        "author_lm": config.lm.config(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scikit_learn": sklearn.__version__,
    }


def attribute(train_dir: Path | str, test_dir: Path | str, config: AttributionConfig) -> AttributionReport:
    """Profiles from the texts in `train_dir`, chunks from the texts in `test_dir`."""
    fold = Fold(index=0, train=tuple(list_texts(Path(train_dir))), test=tuple(list_texts(Path(test_dir))))
    return run_folds([fold], config)


def attribute_leave_one_out(
    corpus_dir: Path | str,
    config: AttributionConfig,
    split: AttributionSplit | None = None,
    part: str = "all",
) -> AttributionReport:
    """Leave-one-novel-out over a corpus folder (see `evals.corpus.leave_one_novel_out`).

    With a split, part "dev" leaves the frozen authors out altogether (the runs settings may be chosen on);
    part "all" keeps every text and reports the dev and frozen authors' chunks separately too."""
    texts = list_texts(Path(corpus_dir))
    if split is not None and part == "dev":
        texts = dev_texts(texts, split)
    folds = leave_one_novel_out(texts)
    if not folds:
        raise NuvolaError(f"{corpus_dir}: no author has two or more texts, so nothing can be held out")
    report = run_folds(folds, config)
    if split is not None:
        report.parts = split_parts(report, split)
    return report


def dev_texts(texts: Sequence[AuthoredText], split: AttributionSplit) -> list[AuthoredText]:
    """The texts the dev protocol may use: every text but the frozen authors'."""
    return [t for t in texts if t.author not in set(split.frozen_authors)]


def split_parts(report: AttributionReport, split: AttributionSplit) -> dict[str, dict[str, MethodResult]]:
    """Each method's figures on the chunks of the dev authors and of the frozen authors (when present)."""
    out: dict[str, dict[str, MethodResult]] = {}
    for name, authors in (("dev", split.dev_authors), ("frozen", split.frozen_authors)):
        rows = [c for c in report.chunks if c.author in set(authors)]
        if rows:
            truth, novels = [c.author for c in rows], [c.novel for c in rows]
            out[name] = {
                m: score_method(truth, [c.predicted[m] for c in rows], 0.0, novels) for m in report.methods
            }
    return out
