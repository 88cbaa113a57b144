"""Per-author n-gram language models: a chunk goes to the author whose own model predicts it best.

Each author gets interpolated modified Kneser-Ney models (Chen & Goodman 1999) over word/punctuation tokens
(proper names masked) and, optionally, over characters, counted exactly with numpy (every n-gram is one
int64 code). A chunk's score for an author is how much better than usual that author's models predict it;
scores become calibrated probabilities with one softmax temperature that shrinks as chunks grow.

KenLM was considered: its Python package only queries ARPA files and its trainer is a separate C++ build,
so the counts and smoothing are done here in a few vectorised steps instead.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from evals.corpus import chunk_words, count_words
from evals.style_profile import NameLexicon

LETTERS = "abcdefghijklmnopqrstuvwxyzàáâäèéêëìíîïòóôöùúûüçñ"
PUNCTUATION = ".,;:!?'\"-()[]*/&%+=<>_"
CHAR_SYMBOLS = " " + LETTERS + LETTERS.upper() + "0" + PUNCTUATION
CHAR_BASE = 128
"""Character ids: 0 = any other character, 1.. = CHAR_SYMBOLS; codes are base-128 digits (order ≤ 9)."""
_CHAR_ID = {c: i + 1 for i, c in enumerate(CHAR_SYMBOLS)}
_TRANSLATE = str.maketrans(
    {
        "«": '"',
        "»": '"',
        "“": '"',
        "”": '"',
        "„": '"',
        "’": "'",
        "‘": "'",
        "`": "'",
        "—": "-",
        "–": "-",
        "―": "-",
        "…": "...",
    }
)
_SPACE_RE = re.compile(r"\s+")
_DIGITS_RE = re.compile(r"\d")
TOKEN_RE = re.compile(r"[^\W\d_]+|[^\w\s]")
"""Word-LM tokens: runs of letters (lower-cased) and single punctuation marks."""
WORD_BITS = 20
UNKNOWN = 0


def normalise(text: str) -> str:
    """One spelling of quotes, apostrophes, dashes, digits and white space, so editions compare."""
    text = unicodedata.normalize("NFC", text).translate(_TRANSLATE)
    return _SPACE_RE.sub(" ", _DIGITS_RE.sub("0", text)).strip()


def encode_chars(text: str) -> np.ndarray:
    """Character ids of normalised text (0 for characters outside the alphabet)."""
    table = _CHAR_ID
    return np.fromiter((table.get(c, 0) for c in normalise(text)), dtype=np.int64)


def tokens(text: str) -> list[str]:
    return [t.lower() for t in TOKEN_RE.findall(normalise(text))]


@dataclass
class Vocabulary:
    """Word ids 1..K for the K most frequent tokens of the training text; the rest share id 0."""

    index: dict[str, int] = field(default_factory=dict)

    @classmethod
    def fit(cls, texts: Sequence[str], min_count: int = 2, size: int = (1 << WORD_BITS) - 1) -> Vocabulary:
        counts = Counter(t for text in texts for t in tokens(text))
        kept = sorted((w for w, n in counts.items() if n >= min_count), key=lambda w: (-counts[w], w))
        return cls({w: i + 1 for i, w in enumerate(kept[:size])})

    @property
    def base(self) -> int:
        return 1 << WORD_BITS

    def encode(self, text: str) -> np.ndarray:
        return np.array([self.index.get(t, UNKNOWN) for t in tokens(text)], dtype=np.int64)


def gram_codes(seq: np.ndarray, order: int, base: int) -> np.ndarray:
    """Codes of the `order`-grams ending at positions order-1 .. len-1 (digits in `base`)."""
    n = len(seq) - order + 1
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    codes = seq[:n].copy()
    for k in range(1, order):
        codes = codes * base + seq[k : k + n]
    return codes


def discounts(adjusted: np.ndarray) -> np.ndarray:
    """Modified Kneser-Ney discounts D1, D2, D3+ from the counts of counts (Chen & Goodman's estimate)."""
    n = [int((adjusted == k).sum()) for k in (1, 2, 3, 4)]
    if min(n) == 0:
        return np.array([0.5, 1.0, 1.5])
    y = n[0] / (n[0] + 2 * n[1])
    raw = np.array([1 - 2 * y * n[1] / n[0], 2 - 3 * y * n[2] / n[1], 3 - 4 * y * n[3] / n[2]])
    return np.clip(raw, 0.05, np.array([1.0, 2.0, 3.0]) - 0.05)


@dataclass
class OrderTable:
    """One order of the model: sorted n-gram codes, discounted counts, and per context its total count and
    the discounted mass it hands to the shorter context."""

    keys: np.ndarray
    numerator: np.ndarray
    contexts: np.ndarray
    totals: np.ndarray
    backoff: np.ndarray

    @classmethod
    def build(cls, keys: np.ndarray, adjusted: np.ndarray, base: int) -> OrderTable:
        d = discounts(adjusted)
        discount = d[np.minimum(adjusted, 3) - 1]
        ctx = keys // base
        contexts, starts = np.unique(ctx, return_index=True)
        totals = np.add.reduceat(adjusted.astype(np.float64), starts)
        backoff = np.add.reduceat(discount, starts)
        return cls(keys, (adjusted - discount).astype(np.float32), contexts, totals, backoff)

    def interpolate(self, grams: np.ndarray, lower: np.ndarray, base: int) -> np.ndarray:
        """P(w | h) for each code h·w given P(w | shorter h) in `lower`."""
        p = lower.copy()
        ci = np.minimum(np.searchsorted(self.contexts, grams // base), len(self.contexts) - 1)
        seen = self.contexts[ci] == grams // base
        if not seen.any():
            return p
        ki = np.minimum(np.searchsorted(self.keys, grams), len(self.keys) - 1)
        num = np.where(self.keys[ki] == grams, self.numerator[ki], 0.0)
        c = ci[seen]
        p[seen] = (num[seen] + self.backoff[c] * lower[seen]) / self.totals[c]
        return p


@dataclass
class NgramLM:
    """Interpolated modified Kneser-Ney over integer symbols in [0, base); uniform below the unigrams."""

    order: int
    base: int
    tables: list[OrderTable] = field(default_factory=list)

    def fit(self, seq: np.ndarray) -> NgramLM:
        if (self.order * np.log2(self.base)) > 62:
            raise ValueError(f"order {self.order} n-grams of base {self.base} do not fit in 64-bit codes")
        counted = [
            np.unique(gram_codes(seq, n, self.base), return_counts=True) for n in range(1, self.order + 1)
        ]
        self.tables = []
        for n, (keys, counts) in enumerate(counted, start=1):
            if n < self.order:  # continuation counts: distinct left extensions (the Kneser-Ney lower orders)
                keys, counts = np.unique(counted[n][0] % self.base**n, return_counts=True)
            if len(keys) == 0:
                break
            self.tables.append(OrderTable.build(keys, counts, self.base))
        return self

    def gram_logprob(self, grams: np.ndarray) -> np.ndarray:
        """ln P(last symbol | the others) of each top-order code (shorter contexts back off)."""
        p = np.full(len(grams), 1.0 / self.base)
        for n, table in enumerate(self.tables, start=1):
            p = table.interpolate(grams % self.base**n, p, self.base)
        return np.log(p)


@dataclass
class ChunkGrams:
    """The top-order codes of a batch of chunks: unique codes, and for each position its code and chunk."""

    unique: np.ndarray
    inverse: np.ndarray
    chunk: np.ndarray
    n_chunks: int

    @classmethod
    def build(cls, sequences: Sequence[np.ndarray], order: int, base: int, pad: int) -> ChunkGrams:
        """Each chunk is preceded by order-1 `pad` symbols, so every symbol is predicted from a context."""
        head = np.full(order - 1, pad, dtype=np.int64)
        codes = [gram_codes(np.concatenate([head, s]), order, base) for s in sequences]
        chunk = np.repeat(np.arange(len(codes)), [len(c) for c in codes])
        flat = np.concatenate(codes) if codes else np.zeros(0, dtype=np.int64)
        unique, inverse = np.unique(flat, return_inverse=True)
        return cls(unique, inverse, chunk, len(codes))

    def loglik(self, lm: NgramLM) -> np.ndarray:
        """Total log-likelihood of each chunk under `lm`."""
        per_position = lm.gram_logprob(self.unique)[self.inverse]
        return np.bincount(self.chunk, weights=per_position, minlength=self.n_chunks)


def softmax(scores: np.ndarray) -> np.ndarray:
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def spread_sample(chunks: Sequence[str], limit: int) -> list[str]:
    """At most `limit` chunks, evenly spaced through the text (deterministic)."""
    if len(chunks) <= limit:
        return list(chunks)
    return [chunks[i] for i in np.linspace(0, len(chunks) - 1, limit).round().astype(int)]


@dataclass
class Impostors:
    """Per author model: mean and spread of the per-character log-likelihood it gives other authors' text.

    A model trained on more text predicts *everything* better; measuring each model against chunks of the
    other authors' training text turns raw log-likelihoods into comparable z-scores."""

    mean: np.ndarray
    spread: np.ndarray

    @classmethod
    def fit(cls, per_char: np.ndarray, owners: np.ndarray, classes: np.ndarray) -> Impostors:
        mean = np.array([per_char[owners != a, j].mean() for j, a in enumerate(classes)])
        spread = np.array([per_char[owners != a, j].std() for j, a in enumerate(classes)])
        return cls(mean, np.maximum(spread, 1e-6))

    def z(self, per_char: np.ndarray) -> np.ndarray:
        return (per_char - self.mean) / self.spread


@dataclass
class AuthorLM:
    """One word LM and/or one character LM per author; a chunk's score for an author is the weighted sum over
    channels of how much better than usual that author's model predicts it (log-likelihood per character,
    z-scored per channel on impostors).

    `probabilities` turns scores into P(author | chunk) = softmax(score · sharpness · (words/1000)^power):
    evidence grows with the chunk. The defaults (word trigrams with names masked, the character channel off,
    sharpness 6.5 by log-loss at 1,000 words, power 0.5 assumed) were chosen on both dev folds of the
    ELTeC-ita split (evals/gt/eltec-ita/attribution_split.json); docs/evals.md gives the figures.
    """

    char_order: int = 6
    word_order: int = 3
    char_weight: float = 0.0
    word_weight: float = 1.0
    max_train_words: int = 0
    mask_names: bool = False
    word_mask_names: bool = True
    impostor_chunks: int = 8
    impostor_words: int = 1000
    sharpness: float = 6.5
    sharpness_power: float = 0.5
    classes: np.ndarray = field(default_factory=lambda: np.array([]))
    char_models: list[NgramLM] = field(default_factory=list)
    word_models: list[NgramLM] = field(default_factory=list)
    vocabulary: Vocabulary | None = None
    impostors: dict[str, Impostors] = field(default_factory=dict)
    names: NameLexicon | None = None

    def fit(self, chunks: Sequence[str], labels: Sequence[str]) -> AuthorLM:
        """Fit each author's models on that author's chunks (or whole texts), then the impostor z-scaling."""
        labels_arr = np.asarray(labels)
        self.classes = np.unique(labels_arr)
        if len(self.classes) < 2:
            raise ValueError("author language models need texts of at least two authors to compare")
        if self.char_weight <= 0 and (self.word_order <= 0 or self.word_weight <= 0):
            raise ValueError("author language models need a channel: a positive char_weight or word_weight")
        texts = [" ".join(c for c, lab in zip(chunks, labels, strict=True) if lab == a) for a in self.classes]
        self.names = NameLexicon.fit(texts) if self.mask_names or self.word_mask_names else None
        train = [self._capped(t) for t in texts]
        self.char_models = []
        if self.char_weight > 0:
            char_train = self._masked(train, self.mask_names)
            self.char_models = [NgramLM(self.char_order, CHAR_BASE).fit(encode_chars(t)) for t in char_train]
        self.word_models = []
        if self.word_order > 0 and self.word_weight > 0:
            word_train = self._masked(train, self.word_mask_names)
            self.vocabulary = Vocabulary.fit(word_train)
            base = self.vocabulary.base
            self.word_models = [
                NgramLM(self.word_order, base).fit(self.vocabulary.encode(t)) for t in word_train
            ]
        probe, owners = self._impostor_probe(texts)
        self.impostors = {
            name: Impostors.fit(per_char, owners, self.classes)
            for name, per_char in self.per_char(probe).items()
        }
        return self

    def _masked(self, texts: Sequence[str], mask: bool) -> list[str]:
        """Proper names (mostly Title-case words) replaced by one mark: names belong to a novel, not a style."""
        return [self.names.mask(t) for t in texts] if mask and self.names is not None else list(texts)

    def _capped(self, text: str) -> str:
        if self.max_train_words <= 0 or count_words(text) <= self.max_train_words:
            return text
        pieces = chunk_words(text, 1000)
        return " ".join(spread_sample(pieces, max(1, self.max_train_words // 1000)))

    def _impostor_probe(self, texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
        probe: list[str] = []
        owners: list[str] = []
        for author, text in zip(self.classes, texts, strict=True):
            picked = spread_sample(chunk_words(text, self.impostor_words), self.impostor_chunks) or [text]
            probe += picked
            owners += [str(author)] * len(picked)
        return probe, np.asarray(owners)

    def channel_logliks(self, chunks: Sequence[str]) -> dict[str, np.ndarray]:
        """Log-likelihood of each chunk (rows) under each author's model (columns), per channel."""
        if not self.char_models and not self.word_models:
            raise RuntimeError("AuthorLM used before fit")
        out = {}
        if self.char_models:
            seqs = [encode_chars(c) for c in self._masked(chunks, self.mask_names)]
            out["char"] = self._logliks(seqs, self.char_models, self.char_order, CHAR_BASE)
        if self.word_models and self.vocabulary is not None:
            words = [self.vocabulary.encode(c) for c in self._masked(chunks, self.word_mask_names)]
            out["word"] = self._logliks(words, self.word_models, self.word_order, self.vocabulary.base)
        return out

    @staticmethod
    def _logliks(seqs: list[np.ndarray], models: list[NgramLM], order: int, base: int) -> np.ndarray:
        if not seqs:
            return np.zeros((0, len(models)))
        grams = ChunkGrams.build(seqs, order, base, pad=1 if base == CHAR_BASE else UNKNOWN)
        return np.column_stack([grams.loglik(m) for m in models])

    def per_char(self, chunks: Sequence[str]) -> dict[str, np.ndarray]:
        """Per channel, the log-likelihood per character of each chunk under each author's model."""
        lengths = np.array([max(len(normalise(c)), 1) for c in chunks], dtype=np.float64)
        return {name: ll / lengths[:, None] for name, ll in self.channel_logliks(chunks).items()}

    def channel_scores(self, chunks: Sequence[str]) -> dict[str, np.ndarray]:
        """Per channel, the impostor z-score of each chunk for each author (higher: more that author's)."""
        if not self.impostors:
            raise RuntimeError("AuthorLM used before fit")
        return {name: self.impostors[name].z(pc) for name, pc in self.per_char(chunks).items()}

    def scores(self, chunks: Sequence[str]) -> np.ndarray:
        """Weighted sum of the channels' impostor z-scores (each channel is z-scaled on its own)."""
        weights = {"char": self.char_weight, "word": self.word_weight}
        return sum(weights[name] * z for name, z in self.channel_scores(chunks).items())  # type: ignore[return-value]

    def probabilities_from(self, scores: np.ndarray, words: Sequence[int]) -> np.ndarray:
        length = np.maximum(np.asarray(words, dtype=np.float64), 1.0) / 1000.0
        return softmax(scores * (self.sharpness * length**self.sharpness_power)[:, None])

    def probabilities(self, chunks: Sequence[str]) -> np.ndarray:
        """Calibrated P(author | chunk), columns in the order of `classes`."""
        return self.probabilities_from(self.scores(chunks), [count_words(c) for c in chunks])

    def predict(self, chunks: Sequence[str]) -> np.ndarray:
        return self.classes[self.scores(chunks).argmax(axis=1)]

    def config(self) -> dict[str, object]:
        keys = ("char_order", "word_order", "char_weight", "word_weight", "max_train_words", "mask_names")
        keys += ("word_mask_names", "impostor_chunks")
        return {k: getattr(self, k) for k in (*keys, "impostor_words", "sharpness", "sharpness_power")}
