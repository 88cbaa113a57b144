"""Lettering text: uppercase with optional Bonelli accents, Italian hyphenation, and balloon fitting.

A speech or thought balloon is an ellipse whose size is the smallest that holds every line's corners with a
margin; a caption is a rectangle. Words break (with pyphen's Italian patterns) only when a word alone is wider
than the widest line allowed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pyphen
from PIL import ImageFont

from tools.errors import NuvolaError
from tools.render.fonts import font_file_at, lettering_file, lettering_font

BONELLI_ACCENTS = {
    "À": "A'",
    "È": "E'",
    "É": "E'",
    "Ì": "I'",
    "Í": "I'",
    "Ò": "O'",
    "Ó": "O'",
    "Ù": "U'",
    "Ú": "U'",
}
EXTENT_PROBE = "ÀÈÉÌÒÙQJ,'!?"
LINE_PITCH = 1.12  # baseline-to-baseline distance, in font sizes


class LetteringError(NuvolaError):
    """A panel's text cannot be lettered inside the panel, even at the smallest size."""


APOSTROPHE_ACCENT = re.compile(r"(?<![A-ZÀ-Ü])([A-Z]*?)([AEIOU])'(?![A-ZÀ-Ü])")
# Words whose final apostrophe is a truncation, not an accent: "un po'", "a mo' di", the imperatives.
TRUNCATIONS = {"PO", "MO", "DA", "DI", "FA", "STA", "VA", "TO", "BE", "BO"}
ACUTE_ENDINGS = ("CHE", "NE", "SE", "TRE")  # perché, né, sé, ventitré take É
GRAVE = {"A": "À", "E": "È", "I": "Ì", "O": "Ò", "U": "Ù"}


def accents_from_apostrophes(text: str) -> str:
    """Accented capitals where a writer typed vowel + apostrophe: E' -> È, PERCHE' -> PERCHÉ, CITTA' -> CITTÀ;
    elisions (L'UOMO) and truncations (UN PO') stay as they are."""

    def fix(match: re.Match[str]) -> str:
        stem, vowel = match.group(1), match.group(2)
        word = stem + vowel
        if word in TRUNCATIONS:
            return match.group(0)
        if vowel == "E" and word.endswith(ACUTE_ENDINGS) and word != "E":
            return stem + "É"
        return stem + GRAVE[vowel]

    return APOSTROPHE_ACCENT.sub(fix, text)


def prepare_text(text: str, bonelli_accents: bool = False) -> str:
    """Uppercase lettering with accented capitals (È, À, Ù, also from a typed E'); with `bonelli_accents`
    accented capitals become letter + apostrophe instead (È -> E'), the old typewriter habit."""
    upper = accents_from_apostrophes(" ".join(text.replace("’", "'").split()).upper())
    if bonelli_accents:
        upper = "".join(BONELLI_ACCENTS.get(ch, ch) for ch in upper)
    return upper


def cap_ratio() -> float:
    """Height of the lettering font's capitals as a share of its size (Comic Neue Bold: about 0.67)."""
    return _cap_ratio(lettering_file())


@lru_cache(maxsize=8)
def _cap_ratio(font_file: Path) -> float:
    _, top, _, bottom = font_file_at(font_file, 200).getbbox("E", anchor="ls")
    return (bottom - top) / 200


SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


def whole_sentences(text: str, budget: int) -> str:
    """The longest run of the line's whole sentences that fits in `budget` characters (the earliest of equal
    length), or "" when no sentence fits alone or the whole line already fits (nothing to cut)."""
    text = " ".join(text.split())
    sentences = SENTENCE_END.split(text)
    best = ""
    for start in range(len(sentences)):
        for end in range(start + 1, len(sentences) + 1):
            run = " ".join(sentences[start:end])
            if len(run) > budget:
                break
            if len(run) > len(best):
                best = run
    return best if best != text else ""


def cut_to_budget(text: str, budget: int) -> str:
    """The text cut to at most `budget` characters at a sentence boundary (at least the first sentence); a first
    sentence that is already too long is cut at a comma, else at a word, and ends with an ellipsis."""
    kept = whole_sentences(text, budget)
    if kept:
        return kept
    first = SENTENCE_END.split(" ".join(text.split()))[0]
    clauses = re.split(r"(?<=[,;:])\s+", first)
    kept = ""
    for clause in clauses:
        trial = f"{kept} {clause}".strip()
        if len(trial) > budget:
            break
        kept = trial
    if not kept or kept == first:
        words, kept = first.split(), ""
        for word in words:
            trial = f"{kept} {word}".strip()
            if len(trial) > max(1, budget - 3):
                break
            kept = trial
    return kept.rstrip(",;:") + "..." if kept else ""


@lru_cache(maxsize=1)
def _hyphenator() -> pyphen.Pyphen:
    return pyphen.Pyphen(lang="it_IT")


def break_word(word: str, font: ImageFont.FreeTypeFont, max_width: float) -> list[str]:
    """Pieces of a word too wide for a line: hyphenated at Italian syllables, hard-cut only when a syllable
    itself does not fit."""
    pieces: list[str] = []
    rest = word
    while font.getlength(rest) > max_width:
        cut = None
        for head, tail in _hyphenator().iterate(rest):  # longest head first
            if len(head) < 2 or len(tail.strip("!?.,;:'\"")) < 3:  # never RANGER-S! or A-MICO
                continue
            if font.getlength(head + "-") <= max_width:
                cut = len(head)
                break
        if cut is None:  # not even one syllable fits: cut letters
            cut = 1
            while cut < len(rest) - 1 and font.getlength(rest[: cut + 1] + "-") <= max_width:
                cut += 1
        pieces.append(rest[:cut] + "-")
        rest = rest[cut:]
    return [*pieces, rest]


def wrap(text: str, font: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """Greedy line filling up to `width` pixels; a word wider than `width` is hyphenated."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        pieces = break_word(word, font, width) if font.getlength(word) > width else [word]
        for index, piece in enumerate(pieces):
            trial = f"{current} {piece}" if current else piece
            if current and font.getlength(trial) > width:
                lines.append(current)
                current = piece
            else:
                current = trial
            if index < len(pieces) - 1:  # a hyphenated piece ends its line
                lines.append(current)
                current = ""
    if current:
        lines.append(current)
    return lines


@dataclass(frozen=True)
class TextBlock:
    """Lines at a font size: their widths, the baseline pitch and the ink extents above/below a baseline."""

    lines: tuple[str, ...]
    size: int
    widths: tuple[float, ...]
    pitch: float
    ascent: float  # ink above the baseline (positive)
    descent: float  # ink below the baseline

    @property
    def height(self) -> float:
        return (len(self.lines) - 1) * self.pitch + self.ascent + self.descent

    @property
    def width(self) -> float:
        return max(self.widths)

    def baselines(self, top: float) -> list[float]:
        return [top + self.ascent + i * self.pitch for i in range(len(self.lines))]


def make_block(lines: list[str], size: int) -> TextBlock:
    font = lettering_font(size)
    _, top, _, bottom = font.getbbox(EXTENT_PROBE, anchor="ls")
    return TextBlock(
        tuple(lines),
        size,
        tuple(font.getlength(t) for t in lines),
        size * LINE_PITCH,
        float(-top),
        float(bottom),
    )


@dataclass(frozen=True)
class FittedShape:
    """A text block inside its balloon: the shape's size (ellipse diameters or rectangle) and the padding."""

    kind: str
    block: TextBlock
    width: float
    height: float
    pad: float


def ellipse_for(block: TextBlock, pad: float) -> tuple[float, float]:
    """Smallest-area ellipse (diameters) holding every line's box, centred, with `pad` pixels to spare."""
    top = -block.height / 2
    corners = []
    for baseline, width in zip(block.baselines(top), block.widths, strict=True):
        y_far = max(abs(baseline - block.ascent), abs(baseline + block.descent)) + pad
        corners.append((width / 2 + pad, y_far))
    y_max = max(y for _, y in corners)
    best: tuple[float, float, float] | None = None
    for step in range(1, 60):
        b = y_max * (1.0 + step * 0.04)
        a = max(x / math.sqrt(1.0 - (y / b) ** 2) for x, y in corners)
        score = a * b * (1.0 + 0.35 * max(0.0, 1.15 - a / b))  # prefer balloons wider than tall
        if best is None or score < best[0]:
            best = (score, a, b)
    assert best is not None
    return 2 * best[1], 2 * best[2]


def fit_options(text: str, kind: str, size: int, max_w: float, max_h: float) -> list[FittedShape]:
    """Every distinct balloon for `text` at font `size` within max_w × max_h, the most compact first."""
    font = lettering_font(size)
    pad = size * {"caption": 0.45, "thought": 0.9}.get(kind, 0.55)
    widest = max_w - 2 * pad if kind == "caption" else (max_w / 2 - pad) * 2 / math.sqrt(2) * 1.25
    lowest = widest * 0.3
    shapes: dict[tuple[str, ...], FittedShape] = {}
    for k in range(14):
        target = lowest + (widest - lowest) * k / 13
        if target <= size:
            continue
        block = make_block(wrap(text, font, target), size)
        if block.lines in shapes:
            continue
        if kind == "caption":
            w, h = block.width + 2 * pad, block.height + 2 * pad
        else:
            w, h = ellipse_for(block, pad)
        if w <= max_w and h <= max_h:
            shapes[block.lines] = FittedShape(kind, block, w, h, pad)
    return sorted(shapes.values(), key=_shape_score)


def fit_text(text: str, kind: str, size: int, max_w: float, max_h: float) -> FittedShape | None:
    """The most compact balloon for `text` at font `size` within max_w × max_h, or None when none fits."""
    options = fit_options(text, kind, size, max_w, max_h)
    return options[0] if options else None


def _shape_score(shape: FittedShape) -> float:
    """Smaller is better: compact, well proportioned, and words broken only when nothing else fits."""
    ratio = shape.width / shape.height
    lopsided = abs(math.log(ratio / (3.0 if shape.kind == "caption" else 1.6)))
    breaks = sum(line.endswith("-") for line in shape.block.lines)
    return shape.width * shape.height * (1.0 + 0.5 * lopsided) * (1.0 + 4.0 * breaks)
