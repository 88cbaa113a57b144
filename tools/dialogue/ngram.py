"""A word trigram language model with interpolated absolute discounting, counted with numpy.

Used to score how Italian a short line reads (per-token perplexity). Tokens are lower-cased runs of
letters (`l'indiano` is two words); lettering's accent apostrophes (`E'`, `PERCHE'`) are read as the
accented letter, so a line lettered in capitals scores like the same line in a novel. Words seen fewer
than `min_count` times in training are one `<unk>` token.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

UNK, BOS, EOS = 0, 1, 2
BITS = 20
MAX_VOCAB = (1 << BITS) - 3
DISCOUNT = 0.75
WORD = re.compile(r"[^\W\d_]+")
_SENTENCE = re.compile(r"[.!?…;]+|\n")
_GRAVE = {"a": "à", "e": "è", "i": "ì", "o": "ò", "u": "ù"}
_ACCENT_APOSTROPHE = re.compile(r"([^\W\d_]*?)([aeiou])['’](?![^\W\d_])")
_KEEP_APOSTROPHE = {"po", "de", "mo", "pe", "ne", "a", "i", "che"}
"""Words whose final apostrophe is an elision, not an accent (`un po'`, `de' miei`)."""


def unletter(text: str) -> str:
    """Lower-cased, with lettering's accent apostrophes as accents (`E'` -> `è`, `PERCHE'` -> `perché`)."""

    def accent(match: re.Match[str]) -> str:
        stem, vowel = match.group(1), match.group(2)
        if stem + vowel in _KEEP_APOSTROPHE and stem:
            return match.group(0)
        word = stem + _GRAVE[vowel]
        return word[:-1] + "é" if word.endswith("chè") and stem else word

    return _ACCENT_APOSTROPHE.sub(accent, text.lower())


def words(text: str) -> list[str]:
    """The lower-cased words of `text` after `unletter`."""
    return WORD.findall(unletter(text))


def sentences(text: str) -> list[list[str]]:
    """`text` cut into sentences of words (empty sentences dropped)."""
    return [w for w in (WORD.findall(part) for part in _SENTENCE.split(unletter(text))) if w]


@dataclass
class Scored:
    """Log-probabilities of a text's tokens (natural log), and how many of its words were unknown."""

    logprobs: np.ndarray
    unknown: int
    words: int

    @property
    def perplexity(self) -> float:
        return math.exp(-float(self.logprobs.mean())) if len(self.logprobs) else float("nan")


class TrigramLM:
    """Interpolated absolute-discounting trigram model over word ids (counts in sorted uint64 codes)."""

    def __init__(self, vocab: list[str], arrays: dict[str, np.ndarray]):
        self.vocab = vocab
        self.index = {w: i for i, w in enumerate(vocab)}
        self.a = arrays

    @classmethod
    def fit(cls, texts: Iterable[str], min_count: int = 2) -> TrigramLM:
        """Count trigrams of every sentence of `texts` (each sentence padded with <s> <s> ... </s>)."""
        split = [s for text in texts for s in sentences(text)]
        counts = Counter(w for s in split for w in s)
        kept = [w for w, c in counts.most_common(MAX_VOCAB) if c >= min_count]
        vocab = ["<unk>", "<s>", "</s>", *kept]
        model = cls(vocab, {})
        model.a = _count(model._stream(split))
        return model

    def _ids(self, sentence: Sequence[str]) -> list[int]:
        return [self.index.get(w, UNK) for w in sentence]

    def _stream(self, split: Sequence[Sequence[str]]) -> np.ndarray:
        stream: list[int] = []
        for sentence in split:
            stream += [BOS, BOS, *self._ids(sentence), EOS]
        return np.asarray(stream, dtype=np.uint64)

    def score(self, text: str) -> Scored:
        """Log-probability of every word and sentence end of `text`."""
        split = sentences(text)
        n_words = sum(len(s) for s in split)
        unknown = sum(1 for s in split for w in s if w not in self.index)
        if not split:
            return Scored(np.zeros(0), 0, 0)
        return Scored(self._logprobs(self._stream(split)), unknown, n_words)

    def _logprobs(self, stream: np.ndarray) -> np.ndarray:
        u, v, w = stream[:-2], stream[1:-1], stream[2:]
        keep = w != BOS
        u, v, w = u[keep], v[keep], w[keep]
        a = self.a
        p1 = (_lookup(a["uni_ids"], a["uni_counts"], w) + 1.0) / (a["total"][0] + len(self.vocab) - 1)
        p2 = _interpolate(
            a["bi"],
            a["bi_counts"],
            a["bi_ctx"],
            a["bi_ctx_total"],
            a["bi_ctx_types"],
            (v << np.uint64(BITS)) | w,
            v,
            p1,
        )
        ctx3 = (u << np.uint64(BITS)) | v
        p3 = _interpolate(
            a["tri"],
            a["tri_counts"],
            a["tri_ctx"],
            a["tri_ctx_total"],
            a["tri_ctx_types"],
            (ctx3 << np.uint64(BITS)) | w,
            ctx3,
            p2,
        )
        return np.log(p3)

    def save(self, target: Path | BinaryIO) -> None:
        """Arrays and vocabulary in one .npz file (a path or an open binary file)."""
        arrays: dict[str, Any] = {"vocab": np.array(self.vocab, dtype=object), **self.a}
        np.savez(target, **arrays)

    @classmethod
    def load(cls, path: Path) -> TrigramLM:
        with np.load(path, allow_pickle=True) as data:
            arrays = {k: data[k] for k in data.files if k != "vocab"}
            return cls([str(w) for w in data["vocab"]], arrays)


def _count(stream: np.ndarray) -> dict[str, np.ndarray]:
    """Every count the model needs, from the padded id stream (targets that are <s> are skipped)."""
    u, v, w = stream[:-2], stream[1:-1], stream[2:]
    keep = w != BOS
    u, v, w = u[keep], v[keep], w[keep]
    shift = np.uint64(BITS)
    tri, tri_counts = np.unique((((u << shift) | v) << shift) | w, return_counts=True)
    bi, bi_counts = np.unique((v << shift) | w, return_counts=True)
    uni_ids, uni_counts = np.unique(w, return_counts=True)
    tri_ctx, tri_ctx_total, tri_ctx_types = _contexts(tri, tri_counts)
    bi_ctx, bi_ctx_total, bi_ctx_types = _contexts(bi, bi_counts)
    return {
        "tri": tri,
        "tri_counts": tri_counts,
        "tri_ctx": tri_ctx,
        "tri_ctx_total": tri_ctx_total,
        "tri_ctx_types": tri_ctx_types,
        "bi": bi,
        "bi_counts": bi_counts,
        "bi_ctx": bi_ctx,
        "bi_ctx_total": bi_ctx_total,
        "bi_ctx_types": bi_ctx_types,
        "uni_ids": uni_ids,
        "uni_counts": uni_counts,
        "total": np.array([len(w)], dtype=np.int64),
    }


def _contexts(codes: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per history (the code without its last word): total count and number of distinct next words."""
    ctx = codes >> np.uint64(BITS)
    unique, start = np.unique(ctx, return_index=True)
    total = np.add.reduceat(counts, start)
    types = np.diff(np.append(start, len(ctx)))
    return unique, total, types


def _lookup(keys: np.ndarray, values: np.ndarray, query: np.ndarray) -> np.ndarray:
    """values[key] for each query (0 where the key is absent); keys sorted."""
    if len(keys) == 0:
        return np.zeros(len(query))
    pos = np.minimum(np.searchsorted(keys, query), len(keys) - 1)
    return np.where(keys[pos] == query, values[pos], 0).astype(np.float64)


def _interpolate(
    codes: np.ndarray,
    counts: np.ndarray,
    ctx: np.ndarray,
    ctx_total: np.ndarray,
    ctx_types: np.ndarray,
    query: np.ndarray,
    query_ctx: np.ndarray,
    lower: np.ndarray,
) -> np.ndarray:
    """max(c - D, 0)/c(h) + D * types(h)/c(h) * lower; the lower order alone for an unseen history."""
    c = _lookup(codes, counts, query)
    total = _lookup(ctx, ctx_total, query_ctx)
    types = _lookup(ctx, ctx_types, query_ctx)
    seen = total > 0
    safe = np.where(seen, total, 1.0)
    mixed = np.maximum(c - DISCOUNT, 0.0) / safe + DISCOUNT * types / safe * lower
    return np.where(seen, mixed, lower)
