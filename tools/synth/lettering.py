"""Bonelli lettering conventions: UPPERCASE, accented capitals as letter + apostrophe, hyphenated lines.

`bonelli_caps("Perché è già qui?")` -> `"PERCHE' E' GIA' QUI?"`; `normalised_text` is the same text
upper-cased with real accented capitals and no line breaks: what a perfect transcription should say.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

FONT_DIRS = (
    Path("/usr/share/fonts/opentype/comic-neue"),
    Path("/usr/share/fonts/truetype/comic-neue"),
)
FALLBACK_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")

_ACCENTS = {
    "À": "A'",
    "Á": "A'",
    "È": "E'",
    "É": "E'",
    "Ì": "I'",
    "Í": "I'",
    "Ò": "O'",
    "Ó": "O'",
    "Ù": "U'",
    "Ú": "U'",
}
_PUNCT = {"’": "'", "‘": "'", "…": "...", "“": '"', "”": '"', "«": '"', "»": '"', "—": "-", "–": "-"}
_WORD = re.compile(r"^([\"(]*)([A-Z]+)([A-Z']*?)([.,;:!?\")']*)$")


def normalised_text(text: str) -> str:
    """Upper-case text with real accented capitals, plain punctuation and single spaces."""
    for src, dst in _PUNCT.items():
        text = text.replace(src, dst)
    return " ".join(text.upper().split())


def bonelli_caps(text: str) -> str:
    """Text as a Bonelli letterer writes it: upper case, `È` -> `E'`, `PIÙ` -> `PIU'`."""
    caps = normalised_text(text)
    return "".join(_ACCENTS.get(ch, ch) for ch in caps)


@lru_cache(maxsize=32)
def lettering_font(size: int, bold: bool = True) -> ImageFont.FreeTypeFont:
    """Comic Neue (Debian fonts-comic-neue) at `size` px; DejaVu Sans Bold when it is missing."""
    name = "ComicNeue-Bold" if bold else "ComicNeue-Regular"
    for folder in FONT_DIRS:
        for ext in (".otf", ".ttf"):
            if (folder / f"{name}{ext}").is_file():
                return ImageFont.truetype(str(folder / f"{name}{ext}"), size)
    return ImageFont.truetype(str(FALLBACK_FONT), size)


@lru_cache(maxsize=1)
def _hyphenator():  # type: ignore[no-untyped-def]
    import pyphen

    return pyphen.Pyphen(lang="it_IT", left=2, right=3)


@dataclass(frozen=True)
class LetteredBlock:
    """Lines as lettered, and the size of the block they make with `font`."""

    lines: list[str]
    width: int
    height: int
    line_height: int
    widths: tuple[int, ...] = ()  # of each line


def _split_word(word: str, room: float, font: ImageFont.FreeTypeFont) -> tuple[str, str] | None:
    """The longest hyphenation `head-` / `tail` of `word` whose head fits in `room` pixels."""
    match = _WORD.match(word)
    if not match or len(match.group(2)) < 5:
        return None
    lead, core, apostrophes, trail = match.groups()
    for head, tail in _hyphenator().iterate(core):
        if len(head) >= 3 and len(tail) >= 2 and font.getlength(f"{lead}{head}-") <= room:
            return f"{lead}{head}-", f"{tail}{apostrophes}{trail}"
    return None


def wrap_lettering(text: str, font: ImageFont.FreeTypeFont, max_width: float) -> list[str]:
    """Greedy wrap of already-lettered text, hyphenating a word that does not fit the line's room."""
    lines: list[str] = []
    current = ""
    space = font.getlength(" ")
    words = text.split()
    while words:
        word = words.pop(0)
        candidate = f"{current} {word}" if current else word
        if font.getlength(candidate) <= max_width:
            current = candidate
            continue
        room = max_width - font.getlength(current) - (space if current else 0)
        split = _split_word(word, room, font) if room > 3 * space else None
        if split:
            lines.append(f"{current} {split[0]}" if current else split[0])
            current = ""
            words.insert(0, split[1])
        elif current:
            lines.append(current)
            current = ""
            words.insert(0, word)
        else:
            lines.append(word)  # a single word wider than the balloon: letter it anyway
    if current:
        lines.append(current)
    return lines


def letter_block(
    text: str, font: ImageFont.FreeTypeFont, max_width: float, aspect: float = 2.4
) -> LetteredBlock:
    """Wrap lettered text into a block about `aspect` times wider than tall, at most `max_width` wide.

    A few widths are tried; the one with the fewest orphans and hyphens near the ideal line count wins.
    """
    line_height = round(font.size * 1.12)
    total = font.getlength(text)
    ideal = max(1, round(math.sqrt(total / (aspect * line_height))))
    base = max(total / ideal * 1.05, font.getlength("MMMMMM"))
    best: tuple[float, list[str]] | None = None
    for factor in (1.0, 1.1, 1.2, 1.35):
        lines = wrap_lettering(text, font, min(max_width, base * factor))
        best = min(best or (math.inf, lines), (_wrap_cost(lines, ideal, font), lines))
    lines = best[1] if best else [text]
    widths = tuple(math.ceil(font.getlength(line)) for line in lines)
    return LetteredBlock(lines, max(widths), line_height * len(lines), line_height, widths)


def _wrap_cost(lines: list[str], ideal: int, font: ImageFont.FreeTypeFont) -> float:
    widths = [font.getlength(line) for line in lines]
    orphan = len(lines) > 1 and widths[-1] < 0.4 * max(widths)
    hyphens = sum(line.endswith("-") for line in lines)
    return abs(len(lines) - ideal) + 2.0 * orphan + 0.6 * hyphens
