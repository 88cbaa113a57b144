"""Prose into passages: blank-line paragraphs first, then long paragraphs cut by length at sentence ends."""

from __future__ import annotations

import re

PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
SENTENCE_BREAK = re.compile(r"(?<=[.!?…»])\s+")
MIN_CHARS = 120


def paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs with hard line wraps joined into one line each."""
    parts = (" ".join(p.split()) for p in PARAGRAPH_BREAK.split(text.replace("\r\n", "\n")))
    return [p for p in parts if p]


def split_long(paragraph: str, max_chars: int) -> list[str]:
    """Cut a paragraph longer than `max_chars` at sentence ends (at word ends for a giant sentence)."""
    if len(paragraph) <= max_chars:
        return [paragraph]
    pieces: list[str] = []
    current = ""
    for sentence in SENTENCE_BREAK.split(paragraph):
        for part in _by_words(sentence, max_chars):
            if current and len(current) + 1 + len(part) > max_chars:
                pieces.append(current)
                current = part
            else:
                current = f"{current} {part}".strip()
    if current:
        pieces.append(current)
    return pieces


def _by_words(sentence: str, max_chars: int) -> list[str]:
    if len(sentence) <= max_chars:
        return [sentence]
    out: list[str] = []
    current = ""
    for word in sentence.split():
        if current and len(current) + 1 + len(word) > max_chars:
            out.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    return out + ([current] if current else [])


def chunk_prose(text: str, max_chars: int = 800, min_chars: int = MIN_CHARS) -> list[str]:
    """Passages of at most `max_chars`: paragraphs, long ones split, short neighbours (headings,
    one-line replies) merged until they reach `min_chars`."""
    pieces = [piece for p in paragraphs(text) for piece in split_long(p, max_chars)]
    chunks: list[str] = []
    for piece in pieces:
        if chunks and len(chunks[-1]) < min_chars and len(chunks[-1]) + 1 + len(piece) <= max_chars:
            chunks[-1] = f"{chunks[-1]}\n{piece}"
        else:
            chunks.append(piece)
    return chunks
