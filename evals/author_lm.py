"""Per-author n-gram language models: a chunk goes to the author whose own model predicts it best.

Each author gets an interpolated modified Kneser-Ney model (Chen & Goodman 1999) over word/punctuation
4-grams (proper names masked) that backs off, below its unigrams, to the unigrams of all authors' text;
optional channels model characters or the topic-free word skeleton. N-grams are counted exactly with numpy
(every n-gram is one int64 code). A chunk's score for an author is how much better than usual that author's
model predicts it: per symbol, the model's log-probability minus its median over all the authors' models,
clipped so that no few n-grams decide, averaged over the chunk and measured against impostors (with few
authors: the plain and chunk-relative log-likelihood per character); scores become calibrated
probabilities with one softmax temperature that shrinks as chunks grow.

KenLM was considered: its Python package only queries ARPA files and its trainer is a separate C++ build,
so the counts and smoothing are done here in a few vectorised steps instead.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

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
        # Dialogue marks: one symbol for quotes of every kind and for dashes. Whether speech opens with
        # «, " or a dash is the publisher's convention, not the author's: ELTeC's two editions of one
        # author often differ (Fogazzaro: " in one novel, dashes in the other).
        "«": '"',
        "»": '"',
        "“": '"',
        "”": '"',
        "„": '"',
        "—": '"',
        "–": '"',
        "―": '"',
        "-": '"',
        "’": "'",
        "‘": "'",
        "`": "'",
        "…": "...",
        # Accents: one direction. Acute or grave on perché, sì, più is the edition's typography too.
        "á": "à",
        "é": "è",
        "í": "ì",
        "ó": "ò",
        "ú": "ù",
        "Á": "À",
        "É": "È",
        "Í": "Ì",
        "Ó": "Ò",
        "Ú": "Ù",
    }
)
_SPACE_RE = re.compile(r"\s+")
_DIGITS_RE = re.compile(r"\d")
TOKEN_RE = re.compile(r"[^\W\d_]+|[^\w\s]")
"""Word-LM tokens: runs of letters (lower-cased) and single punctuation marks."""
WORD_BITS = 20
UNKNOWN = 0


def normalise(text: str) -> str:
    """One spelling of dialogue marks, apostrophes, accents, digits and white space, so editions compare."""
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
    bits: int = WORD_BITS

    @classmethod
    def fit(cls, texts: Sequence[str], min_count: int = 2, bits: int = WORD_BITS) -> Vocabulary:
        """The words seen at least `min_count` times, at most 2^bits - 1 of them (the most frequent)."""
        counts = Counter(t for text in texts for t in tokens(text))
        kept = sorted((w for w, n in counts.items() if n >= min_count), key=lambda w: (-counts[w], w))
        return cls({w: i + 1 for i, w in enumerate(kept[: (1 << bits) - 1])}, bits)

    @property
    def base(self) -> int:
        return 1 << self.bits

    @property
    def size(self) -> int:
        """Symbols in use: the unknown word and the kept words."""
        return len(self.index) + 1

    pad = UNKNOWN

    def encode(self, text: str) -> np.ndarray:
        return np.array([self.index.get(t, UNKNOWN) for t in tokens(text)], dtype=np.int64)


@dataclass
class CharEncoder:
    """Characters as symbols (CHAR_SYMBOLS); a chunk is preceded by spaces."""

    base: int = CHAR_BASE
    size: int = len(CHAR_SYMBOLS) + 1
    pad: int = 1

    def encode(self, text: str) -> np.ndarray:
        return encode_chars(text)


@dataclass
class SkeletonVocabulary:
    """Topic-free tokens: the `keep` most frequent tokens (function words, punctuation, the name mark) stay
    themselves; every other word becomes the class of its last `suffix` letters (`~re`, `~va`, `~te`), so
    the model sees syntax and inflection, not what a novel is about."""

    index: dict[str, int] = field(default_factory=dict)
    suffix: int = 2

    @classmethod
    def fit(cls, texts: Sequence[str], keep: int = 300, suffix: int = 2) -> SkeletonVocabulary:
        counts = Counter(t for text in texts for t in tokens(text))
        kept = sorted(counts, key=lambda w: (-counts[w], w))[:keep]
        vocab = cls({w: i + 1 for i, w in enumerate(kept)}, suffix)
        classes: Counter[str] = Counter()
        for token, n in counts.items():
            classes[vocab.symbol(token)] += n
        for symbol in sorted(c for c, n in classes.items() if n >= 2 and c not in vocab.index):
            vocab.index[symbol] = len(vocab.index) + 1
        return vocab

    def symbol(self, token: str) -> str:
        return token if token in self.index or not token.isalpha() else "~" + token[-self.suffix :]

    @property
    def size(self) -> int:
        return len(self.index) + 1

    @property
    def base(self) -> int:
        return 1 << max(1, (self.size - 1).bit_length())

    pad = UNKNOWN

    def encode(self, text: str) -> np.ndarray:
        index = self.index
        return np.array([index.get(self.symbol(t), UNKNOWN) for t in tokens(text)], dtype=np.int64)


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

    def gram_prob(self, grams: np.ndarray, floor: np.ndarray | None = None) -> np.ndarray:
        """P(last symbol | the others) of each top-order code (shorter contexts back off); below the
        unigrams, `floor[symbol]` (a distribution over the symbols) or else uniform."""
        if floor is None:
            p = np.full(len(grams), 1.0 / self.base)
        else:
            p = floor[grams % self.base].astype(np.float64)
        for n, table in enumerate(self.tables, start=1):
            p = table.interpolate(grams % self.base**n, p, self.base)
        return p

    def gram_logprob(self, grams: np.ndarray, floor: np.ndarray | None = None) -> np.ndarray:
        """ln P(last symbol | the others) of each top-order code."""
        return np.log(self.gram_prob(grams, floor))


def unigram_floor(sequences: Sequence[np.ndarray], size: int, base: int) -> np.ndarray:
    """Add-one unigram distribution of the symbols 0..size-1 over all authors' text (0 above `size`): what an
    author's model falls back on for a word it never used, instead of 1/base."""
    flat = np.concatenate(list(sequences)) if sequences else np.zeros(0, dtype=np.int64)
    counts = np.bincount(flat, minlength=size)[:size].astype(np.float64)
    floor = np.zeros(base)
    floor[:size] = (counts + 1.0) / (counts.sum() + size)
    return floor


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

    def loglik(
        self, lm: NgramLM, floor: np.ndarray | None = None, mix: tuple[np.ndarray, float] | None = None
    ) -> np.ndarray:
        """Total log-likelihood of each chunk under `lm` (with `floor` below its unigrams); `mix` = (a
        background model's probabilities of `unique`, its share) interpolates the two linearly."""
        p = lm.gram_prob(self.unique, floor)
        if mix is not None:
            background, share = mix
            p = (1.0 - share) * p + share * background
        return np.bincount(self.chunk, weights=np.log(p)[self.inverse], minlength=self.n_chunks)


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
    relative: bool = False
    """Relative: each chunk's scores are first measured from their median over the authors' models, so
    how predictable a chunk is for every model (its difficulty) leaves the mean and the spread."""

    @classmethod
    def fit(
        cls, per_char: np.ndarray, owners: np.ndarray, classes: np.ndarray, relative: bool = False
    ) -> Impostors:
        if relative:
            match = owners[:, None] == classes[None, :]
            per_char = centre_rows(per_char, np.where(match.any(axis=1), match.argmax(axis=1), -1))
        mean = np.array([per_char[owners != a, j].mean() for j, a in enumerate(classes)])
        spread = np.array([per_char[owners != a, j].std() for j, a in enumerate(classes)])
        return cls(mean, np.maximum(spread, 1e-6), relative)

    def z(self, per_char: np.ndarray) -> np.ndarray:
        if self.relative:
            per_char = centre_rows(per_char)
        return (per_char - self.mean) / self.spread


def centre_rows(per_char: np.ndarray, owner: np.ndarray | None = None) -> np.ndarray:
    """Each chunk's scores minus their median over the authors' models; `owner[i]` (a column, or -1) is
    left out of row i's median: that model was trained on the chunk, as no model is on a test chunk."""
    if owner is None:
        return per_char - np.median(per_char, axis=1, keepdims=True)
    others = per_char.astype(np.float64).copy()
    rows = np.flatnonzero(owner >= 0)
    others[rows, owner[rows]] = np.nan
    return per_char - np.nanmedian(others, axis=1, keepdims=True)


CLIP_MIN_AUTHORS = 4
"""Clipped ratios need a median over at least three models besides an impostor chunk's own (with three
authors, an impostor's median is the mean of two models while a test chunk's is the middle of three, and
constructed three-author tests go wrong); with fewer authors the plain z-scores are used."""
RELATIVE = ".relative"
RATIO_BLOCK = 200_000
"""Distinct n-grams whose probabilities under every author model are held at once."""
RELATIVE_MIN_AUTHORS = 3
"""The relative z-score needs a median over at least two models besides an impostor chunk's own."""


@dataclass
class Channel:
    """One kind of per-author model (characters, words or the word skeleton): its encoder, one n-gram model
    per author, the shared unigram floor and, optionally, a background model of all authors' text."""

    name: str
    order: int
    weight: float
    mask_names: bool
    encoder: Any
    models: list[NgramLM] = field(default_factory=list)
    floor: np.ndarray | None = None
    background: NgramLM | None = None
    background_share: float = 0.0

    def fit(self, texts: Sequence[str], use_floor: bool) -> Channel:
        sequences = [self.encoder.encode(t) for t in texts]
        base = self.encoder.base
        self.models = [NgramLM(self.order, base).fit(seq) for seq in sequences]
        self.floor = unigram_floor(sequences, self.encoder.size, base) if use_floor else None
        if self.background_share > 0:
            self.background = NgramLM(self.order, base).fit(np.concatenate(sequences))
        return self

    def logliks(self, texts: Sequence[str]) -> np.ndarray:
        """Log-likelihood of each text (rows) under each author's model (columns)."""
        if not texts:
            return np.zeros((0, len(self.models)))
        seqs = [self.encoder.encode(t) for t in texts]
        grams = ChunkGrams.build(seqs, self.order, self.encoder.base, pad=self.encoder.pad)
        mix = None
        if self.background is not None:
            mix = (self.background.gram_prob(grams.unique, self.floor), self.background_share)
        return np.column_stack([grams.loglik(m, self.floor, mix) for m in self.models])

    def clipped_ratios(self, texts: Sequence[str], clip: float, exclude: int = -1) -> np.ndarray:
        """Per text (rows) and author model (columns): the mean over the text's symbols of ln P(symbol) under
        that model minus its median over all the models, clipped to ±`clip`. One rare n-gram that a single
        training novel happens to share with the text (a place, a turn of phrase) then counts as much as
        any other well-predicted symbol, no more. `exclude` (a column) is left out of the median: that
        model was trained on the texts (impostor chunks)."""
        if not texts:
            return np.zeros((0, len(self.models)))
        seqs = [self.encoder.encode(t) for t in texts]
        grams = ChunkGrams.build(seqs, self.order, self.encoder.base, pad=self.encoder.pad)
        ratios = np.empty((len(grams.unique), len(self.models)), dtype=np.float32)
        for start in range(0, len(grams.unique), RATIO_BLOCK):  # bounded memory for large batches
            block = grams.unique[start : start + RATIO_BLOCK]
            logp = np.column_stack([np.log(m.gram_prob(block, self.floor)) for m in self.models])
            others = np.delete(logp, exclude, axis=1) if exclude >= 0 else logp
            ratios[start : start + len(block)] = np.clip(
                logp - np.median(others, axis=1, keepdims=True), -clip, clip
            )
        counts = np.bincount(grams.chunk, minlength=grams.n_chunks).astype(np.float64)
        sums = [
            np.bincount(grams.chunk, weights=r[grams.inverse], minlength=grams.n_chunks) for r in ratios.T
        ]
        return np.column_stack(sums) / np.maximum(counts, 1.0)[:, None]


@dataclass
class AuthorLM:
    """Per-author n-gram models over up to three channels; a chunk's score for an author is the weighted sum
    over channels of how much better than usual that author's model predicts it (log-likelihood per
    character, z-scored per channel on impostors).

    Channels: `char` (characters), `word` (words and punctuation, proper names masked) and `skeleton` (the
    word sequence with every word outside the most frequent `skeleton_keep` replaced by its ending: syntax
    and inflection without topic). With `background_floor`, an author's model backs off to the unigram
    distribution of all authors' text rather than to uniform, so a word the author never used costs what
    it costs in the language, not a fixed penalty; `background_share` further mixes in a model of all
    authors' text. With `token_clip` > 0 and CLIP_MIN_AUTHORS authors or more (the default), a channel's
    score is instead the impostor z-score of its clipped ratios (`Channel.clipped_ratios`): per symbol,
    ln P under the author's model minus its median over all the authors' models, capped at ±token_clip
    (±char_clip for characters), averaged over the chunk, so no run of n-grams that one training novel
    happens to share with the chunk decides alone; the character channel then runs at `clipped_char_weight`
    (its plain z-score, `char_weight`, is weak and off). Otherwise, with `relative_weight` (and three authors or more), each channel adds a second
    impostor z-score, at that weight, computed on each chunk's log-likelihoods minus their median over the
    authors' models: the chunk's difficulty for every model is removed before the impostors' mean and
    spread are taken. `probabilities` turns scores into P(author | chunk) = softmax(score · sharpness ·
    (words/1000)^power), with `clipped_sharpness` for clipped scores. The defaults (word 4-grams over the
    background floor and character 7-grams, clipped ratios at 2 and 0.5 nats, equal weights, the skeleton
    off, sharpness by log-loss at 1,000 words) were chosen on the dev folds of the ELTeC-ita split
    (evals/gt/eltec-ita/attribution_split.json); docs/evals.md gives the figures.
    """

    char_order: int = 7
    word_order: int = 4
    skeleton_order: int = 4
    char_weight: float = 0.0
    word_weight: float = 1.0
    skeleton_weight: float = 0.0
    skeleton_keep: int = 300
    skeleton_suffix: int = 2
    background_floor: bool = True
    background_share: float = 0.0
    relative_weight: float = 1.0
    token_clip: float = 2.0
    char_clip: float = 0.5
    clipped_char_weight: float = 1.0
    max_train_words: int = 0
    mask_names: bool = False
    word_mask_names: bool = True
    impostor_chunks: int = 8
    impostor_words: int = 1000
    sharpness: float = 2.44
    clipped_sharpness: float = 2.03
    sharpness_power: float = 0.5
    classes: np.ndarray = field(default_factory=lambda: np.array([]))
    channels: dict[str, Channel] = field(default_factory=dict)
    impostors: dict[str, Impostors] = field(default_factory=dict)
    names: NameLexicon | None = None
    clipped: bool = False
    """Set by `fit`: scores come from clipped per-symbol ratios (`token_clip` > 0, CLIP_MIN_AUTHORS or more)."""

    def fit(self, chunks: Sequence[str], labels: Sequence[str]) -> AuthorLM:
        """Fit each author's models on that author's chunks (or whole texts), then the impostor z-scaling."""
        labels_arr = np.asarray(labels)
        self.classes = np.unique(labels_arr)
        if len(self.classes) < 2:
            raise ValueError("author language models need texts of at least two authors to compare")
        texts = [" ".join(c for c, lab in zip(chunks, labels, strict=True) if lab == a) for a in self.classes]
        self.clipped = self.token_clip > 0 and len(self.classes) >= CLIP_MIN_AUTHORS
        plan = self._channel_plan()
        if not plan:
            raise ValueError(
                "author language models need a channel: a positive char, word or skeleton weight"
            )
        self.names = NameLexicon.fit(texts) if any(mask for *_, mask in plan) else None
        train = [self._capped(t) for t in texts]
        self.channels = {}
        for name, order, weight, mask in plan:
            masked = self._masked(train, mask)
            channel = Channel(name, order, weight, mask, self._encoder(name, masked))
            channel.background_share = self.background_share if name != "char" else 0.0
            self.channels[name] = channel.fit(masked, self.background_floor)
        probe, owners = self._impostor_probe(texts)
        self.impostors = {}
        if self.clipped:
            for name, ratios in self._probe_ratios(probe, owners).items():
                self.impostors[name] = Impostors.fit(ratios, owners, self.classes)
            return self
        for name, per_char in self.per_char(probe).items():
            self.impostors[name] = Impostors.fit(per_char, owners, self.classes)
            if self.relative_weight > 0 and len(self.classes) >= RELATIVE_MIN_AUTHORS:
                self.impostors[name + RELATIVE] = Impostors.fit(per_char, owners, self.classes, True)
        return self

    def _channel_plan(self) -> list[tuple[str, int, float, bool]]:
        """(name, order, weight, mask names) of each channel in use; with clipped ratios the character
        channel's weight is `clipped_char_weight`."""
        char_weight = self.clipped_char_weight if self.clipped else self.char_weight
        plan = [
            ("char", self.char_order, char_weight, self.mask_names),
            ("word", self.word_order, self.word_weight, self.word_mask_names),
            ("skeleton", self.skeleton_order, self.skeleton_weight, self.word_mask_names),
        ]
        return [p for p in plan if p[1] > 0 and p[2] > 0]

    def _encoder(self, name: str, texts: Sequence[str]) -> Any:
        if name == "char":
            return CharEncoder()
        if name == "word":  # the longest vocabulary whose n-grams fit in 62 bits (20 bits for trigrams)
            return Vocabulary.fit(texts, bits=min(WORD_BITS, 62 // self.word_order))
        return SkeletonVocabulary.fit(texts, self.skeleton_keep, self.skeleton_suffix)

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

    def _probe_ratios(self, probe: Sequence[str], owners: np.ndarray) -> dict[str, np.ndarray]:
        """Per channel, the clipped ratios of the impostor chunks, each author's chunks with that author's
        own model left out of the median."""
        out = {name: np.zeros((len(probe), len(self.classes))) for name in self.channels}
        for j, author in enumerate(self.classes):
            rows = np.flatnonzero(owners == author)
            mine = [probe[i] for i in rows]
            for name, channel in self.channels.items():
                masked = self._masked(mine, channel.mask_names)
                out[name][rows] = channel.clipped_ratios(masked, self._clip(name), exclude=j)
        return out

    def _clip(self, channel: str) -> float:
        return self.char_clip if channel == "char" else self.token_clip

    def clipped_ratios(self, chunks: Sequence[str]) -> dict[str, np.ndarray]:
        """Per channel, `Channel.clipped_ratios` of each chunk (rows) for each author (columns)."""
        if not self.channels:
            raise RuntimeError("AuthorLM used before fit")
        return {
            name: channel.clipped_ratios(self._masked(chunks, channel.mask_names), self._clip(name))
            for name, channel in self.channels.items()
        }

    def channel_logliks(self, chunks: Sequence[str]) -> dict[str, np.ndarray]:
        """Log-likelihood of each chunk (rows) under each author's model (columns), per channel."""
        if not self.channels:
            raise RuntimeError("AuthorLM used before fit")
        masked: dict[bool, list[str]] = {}
        out = {}
        for name, channel in self.channels.items():
            if channel.mask_names not in masked:
                masked[channel.mask_names] = self._masked(chunks, channel.mask_names)
            out[name] = channel.logliks(masked[channel.mask_names])
        return out

    def per_char(self, chunks: Sequence[str]) -> dict[str, np.ndarray]:
        """Per channel, the log-likelihood per character of each chunk under each author's model."""
        lengths = np.array([max(len(normalise(c)), 1) for c in chunks], dtype=np.float64)
        return {name: ll / lengths[:, None] for name, ll in self.channel_logliks(chunks).items()}

    def channel_scores(self, chunks: Sequence[str]) -> dict[str, np.ndarray]:
        """Per channel, the impostor z-score of each chunk for each author (higher: more that author's), and
        with `relative_weight` the chunk-relative one as `<channel>.relative`."""
        if not self.impostors:
            raise RuntimeError("AuthorLM used before fit")
        if self.clipped:
            return {name: self.impostors[name].z(r) for name, r in self.clipped_ratios(chunks).items()}
        per_char = self.per_char(chunks)
        return {key: imp.z(per_char[key.removesuffix(RELATIVE)]) for key, imp in self.impostors.items()}

    def score_weight(self, key: str) -> float:
        """The weight of one of `channel_scores`' entries in `scores`."""
        name = key.removesuffix(RELATIVE)
        return self.channels[name].weight * (self.relative_weight if key != name else 1.0)

    def scores(self, chunks: Sequence[str]) -> np.ndarray:
        """Weighted sum of the channels' impostor z-scores (each channel is z-scaled on its own)."""
        z = self.channel_scores(chunks)
        return sum(self.score_weight(key) * scores for key, scores in z.items())  # type: ignore[return-value]

    def probabilities_from(self, scores: np.ndarray, words: Sequence[int]) -> np.ndarray:
        length = np.maximum(np.asarray(words, dtype=np.float64), 1.0) / 1000.0
        sharpness = self.clipped_sharpness if self.clipped else self.sharpness
        return softmax(scores * (sharpness * length**self.sharpness_power)[:, None])

    def probabilities(self, chunks: Sequence[str]) -> np.ndarray:
        """Calibrated P(author | chunk), columns in the order of `classes`."""
        return self.probabilities_from(self.scores(chunks), [count_words(c) for c in chunks])

    def predict(self, chunks: Sequence[str]) -> np.ndarray:
        return self.classes[self.scores(chunks).argmax(axis=1)]

    def config(self) -> dict[str, object]:
        keys = ("char_order", "word_order", "skeleton_order", "char_weight", "word_weight", "skeleton_weight")
        keys += (
            "skeleton_keep",
            "skeleton_suffix",
            "background_floor",
            "background_share",
            "relative_weight",
            "token_clip",
            "char_clip",
            "clipped_char_weight",
            "max_train_words",
        )
        keys += ("mask_names", "word_mask_names", "impostor_chunks", "impostor_words")
        return {k: getattr(self, k) for k in (*keys, "sharpness", "clipped_sharpness", "sharpness_power")}
