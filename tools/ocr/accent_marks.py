"""An accent the readers dropped from an `E` (opening a line, or standing alone in it), put back when the
ink shows it.

    restore_initial_accent("E INUTILE, TEX...", line_crop(page, box)) -> "È INUTILE, TEX..."
    accent_on_glyph(binary, x) -> True when the capital at column x carries a mark

`E` (and) and `È` (is) are both words, so no lexicon can tell which a balloon opens with; small capitals
lose the lettered apostrophe of the Bonelli habit (`E' INUTILE`) or the accent over the letter to both
readers. The ink can tell: on the line's binarised crop the E is a tall glyph (the first one, or the one
at the column the recogniser's frames put it), and a small mark standing in the upper half of the line
just right of it (an apostrophe) or over it (an accent) is the accent. Nothing else is changed.
"""

from __future__ import annotations

import re

import cv2
import numpy as np

from tools.ocr.normalise import is_capital_lettering

_INITIAL_E = re.compile(r"^E(?=\s)")
TALL = 0.6  # of the tallest glyph: a capital, not a mark
MARK_HEIGHT = (0.12, 0.45)  # of the E's height: an apostrophe or an accent, not a speck nor a letter
MARK_AREA = 0.03  # of the E's ink, at least: not a speck of scan noise
JOINED = 0.12  # of the E's height: how far past its foot its top may reach before a mark is joined to it


def _glyphs(binary: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ink components (x, y, w, h, area, label) of a crop whose ink is dark, left to right; the labels."""
    ink = (binary < 128).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    stats = np.column_stack([stats, np.arange(n)])[1:]
    return stats[np.argsort(stats[:, 0])], labels


def _mark_joined(glyph: np.ndarray) -> bool:
    """True when an E's top reaches past its foot by more than JOINED of its height: a mark (apostrophe)
    that touches the letter at small sizes. An E's top and bottom arms end together."""
    h = glyph.shape[0]
    top, bottom = glyph[: max(1, round(0.35 * h))], glyph[h - max(1, round(0.35 * h)) :]
    reach = [np.flatnonzero(part.any(axis=0)).max(initial=0) for part in (top, bottom)]
    return reach[0] - reach[1] > JOINED * h


def _taller_above(tall: np.ndarray, top: int) -> bool:
    """True when the first capital stands above the line's other capitals by more than JOINED of their
    height: an accent joined over it (È blurred into one mark)."""
    if len(tall) < 3:
        return False
    others = tall[1:]
    return bool(np.median(others[:, 1]) - top > JOINED * np.median(others[:, 3]))


def accent_after_initial(binary: np.ndarray) -> bool:
    """True when the line's first capital carries a mark (`_marked`)."""
    glyphs, labels = _glyphs(binary)
    if len(glyphs) < 2:
        return False
    tall = np.flatnonzero(glyphs[:, 3] >= TALL * glyphs[:, 3].max())
    return _marked(binary, glyphs, labels, tall, 0)


def accent_on_glyph(binary: np.ndarray, x: float) -> bool:
    """True when the capital standing at column `x` of the line (the one whose span holds it, else the
    nearest) carries a mark (`_marked`): a lone E in the middle of a line that is È."""
    glyphs, labels = _glyphs(binary)
    if len(glyphs) < 2:
        return False
    tall = np.flatnonzero(glyphs[:, 3] >= TALL * glyphs[:, 3].max())
    centres = glyphs[tall, 0] + glyphs[tall, 2] / 2
    inside = (glyphs[tall, 0] <= x) & (x <= glyphs[tall, 0] + glyphs[tall, 2])
    index = int(np.flatnonzero(inside)[0]) if inside.any() else int(np.argmin(np.abs(centres - x)))
    return _marked(binary, glyphs, labels, tall, index)


def _marked(binary: np.ndarray, glyphs: np.ndarray, labels: np.ndarray, tall: np.ndarray, index: int) -> bool:
    """True when capital `index` (of the tall glyphs) carries a mark: a small glyph in the upper half of
    the line that starts at or after the capital's right half and before the next capital (an
    apostrophe), or sits over the capital (an accent), or joined to it (`_mark_joined`; for the first
    capital also `_taller_above`)."""
    x, y, w, h, area, label = (int(v) for v in glyphs[tall[index]])
    if _mark_joined(labels[y : y + h, x : x + w] == label):
        return True
    if index == 0 and _taller_above(glyphs[tall], y):
        return True
    following = glyphs[tall[index + 1], 0] if len(tall) > index + 1 else binary.shape[1]
    for gx, gy, gw, gh, garea, _ in glyphs:
        if not MARK_HEIGHT[0] * h <= gh <= MARK_HEIGHT[1] * h or garea < MARK_AREA * area:
            continue
        centre = gx + gw / 2
        apostrophe = x + w / 2 <= gx and gx + gw <= following and gy + gh <= y + 0.5 * h
        over = x <= centre <= x + w and gy + gh <= y + 0.15 * h
        if apostrophe or over:
            return True
    return False


def opens_with_e(text: str) -> bool:
    """True when a line's reading opens with a lone capital E (the only reading the repair looks at)."""
    return bool(_INITIAL_E.match(text))


def restore_initial_accent(text: str, binary: np.ndarray) -> str:
    """`E ...` -> `È ...` on a line lettered in capitals when its binarised crop shows the accent
    (`accent_after_initial`; among lower-case letters a capital always stands above the rest)."""
    if not _INITIAL_E.match(text) or not is_capital_lettering(text) or not accent_after_initial(binary):
        return text
    return _INITIAL_E.sub("È", text, count=1)
