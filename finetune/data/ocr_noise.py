"""Synthetic OCR noise that mimics Tesseract's confusions on comic lettering (UPPERCASE, E' for È).

Tesseract reads the lettered apostrophe of `E'` as `*`, `™`, `»` or a curly quote, loses or misreads small
punctuation (a final `!` read as an `I` glued to the word, dropped full stops and commas), confuses look-alike
capitals and digits (O/0, I/1/l/|, S/5, Z/2, B/8), lowercases round capitals (o, c, s, v, w, x, z), drops or
splits spaces, reads a speck between two words as a stop (`GLI. UOMINI`, `VECCHIO.MIO`) and sprinkles stray
marks. `add_ocr_noise` applies these at a given rate, reproducibly.
It never drops an accent mark: a reading like `PERO` for `PERÒ` is ambiguous, and a cleaner trained on such
pairs learns to accent every final O (`NERÒ`, `DAVVERÒ`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

APOSTROPHE_READINGS = ("*", "™", "»", "’", "‘", "`", "”", "°")
LOOKALIKES: dict[str, tuple[str, ...]] = {
    "O": ("0", "Q", "o", "D"),
    "I": ("1", "l", "|", "!"),
    "L": ("I", "1"),
    "S": ("5", "s", "$"),
    "Z": ("2", "z"),
    "B": ("8", "R"),
    "G": ("6", "C"),
    "E": ("F", "€"),
    "A": ("4",),
    "U": ("V", "LI", "u"),
    "N": ("H", "IN"),
    "M": ("RN", "IVI", "N"),
    "C": ("c", "(", "G"),
    "V": ("v", "U"),
    "W": ("w", "VV"),
    "X": ("x", "K"),
    "D": ("O", "0"),
    "H": ("N", "11"),
    "R": ("K", "P"),
    "T": ("7", "I"),
    "!": ("I", "l", "|", "1", ""),
    "?": ("2", "7", ""),
    ".": ("", "", ",", "·"),
    ",": (".", ""),
    "'": APOSTROPHE_READINGS,
}
PUNCTUATION = ".,!?"
ACCENTED = {"È": "E'", "À": "A'", "Ì": "I'", "Ò": "O'", "Ù": "U'", "É": "E'"}
STRAY_MARKS = ("»", "«", "~", "_", "-", "'", "‘", ".", "*")


@dataclass(frozen=True)
class NoiseRates:
    """Per-character probabilities of each kind of OCR error."""

    substitute: float = 0.035
    punctuation: float = 0.12  # small marks are lost or misread far more often than letters
    apostrophe: float = 0.6  # how often a lettered apostrophe is misread
    drop_space: float = 0.03
    space_as_stop: float = 0.015  # a speck between words read as a stop, glued or not
    split_word: float = 0.01
    stray: float = 0.01
    drop_char: float = 0.008

    def scaled(self, factor: float) -> NoiseRates:
        """All rates multiplied by `factor` (capped at 1)."""
        return NoiseRates(*(min(1.0, getattr(self, f) * factor) for f in self.__dataclass_fields__))


DEFAULT_RATES = NoiseRates()


def lettering_form(text: str) -> str:
    """Text as it is lettered in a balloon: UPPERCASE, accented capitals written with an apostrophe (E')."""
    upper = " ".join(text.split()).upper()
    return "".join(ACCENTED.get(ch, ch) for ch in upper)


def _misread(ch: str, rng: random.Random, rates: NoiseRates) -> str:
    if ch == "'":
        return rng.choice(APOSTROPHE_READINGS) if rng.random() < rates.apostrophe else ch
    if ch == " ":
        roll = rng.random()
        if roll < rates.drop_space:
            return ""
        if roll < rates.drop_space + rates.space_as_stop:
            return rng.choice((". ", "."))
        return ch
    if ch in PUNCTUATION:
        return rng.choice(LOOKALIKES[ch]) if rng.random() < rates.punctuation else ch
    if ch in LOOKALIKES and rng.random() < rates.substitute:
        return rng.choice(LOOKALIKES[ch])
    if rng.random() < rates.drop_char:
        return ""
    if ch.isalpha() and rng.random() < rates.split_word:
        return ch + " "
    return ch


def add_ocr_noise(text: str, rng: random.Random, rates: NoiseRates = DEFAULT_RATES) -> str:
    """`text` as Tesseract might misread it; the same `rng` state gives the same noise."""
    out = [_misread(ch, rng, rates) for ch in text]
    if out and rng.random() < rates.stray * max(1, len(text) // 20):
        out.insert(rng.randrange(len(out) + 1), rng.choice(STRAY_MARKS))
    return "".join(out).strip()
