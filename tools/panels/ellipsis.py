"""Balloons that hold only an ellipsis (`...`): rows of three or four dots standing alone on paper.

The page-level text detector proposes no line for them (the marks are a few pixels, no word), and the
outline finder needs glyph-sized lettering, so a balloon of silence would be lost. A row of dots far from
any other mark becomes a pseudo text line as tall as the page's lettering; `balloons_from_text` then grows
it through the paper like any line, and keeps it only when the paper closes round it on every side.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np

Box = tuple[int, int, int, int]
DOT_SIZE = (0.05, 0.35)  # a dot's height and width, in lettering heights
DARK = 110  # gray level: dots are inked as dark as the lettering
CLEAR = 0.8  # lettering heights of blank paper round the row (no other mark: not a word, not texture)


def _marks(gray: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Labels and x, y, w, h, area of every dark mark of the page (8-connected; row 0 is the paper)."""
    dark = (gray < DARK).astype(np.uint8)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=8)
    return labels, np.asarray(stats)


def _dot_ids(stats: np.ndarray, height: float) -> np.ndarray:
    """Labels of the small, round, filled marks (dots) among the page's marks."""
    w, h, area = stats[:, 2], stats[:, 3], stats[:, 4]
    lo, hi = max(1.0, DOT_SIZE[0] * height), DOT_SIZE[1] * height
    keep = (h >= lo) & (h <= hi) & (w >= lo) & (w <= hi) & (w <= 2.5 * h) & (h <= 2.5 * w)
    keep &= area >= 0.5 * w * h
    keep[0] = False
    return np.flatnonzero(keep)


def _rows(labels: np.ndarray, stats: np.ndarray, dots: np.ndarray, height: float) -> list[np.ndarray]:
    """Runs of 3-4 dots of one size on one baseline, at most half a lettering height apart (two specks in a
    row are scanner noise on white art, not an ellipsis): the dots are smeared sideways by that gap and each
    smear holding 3-4 dots on one row is a run (linear time, so a halftone screen of a million dots costs
    no more than a blank page)."""
    lut = np.zeros(len(stats), np.uint8)
    lut[dots] = 1
    mask = lut[labels]
    gap = max(2, int(round(0.25 * height)))  # smeared by this on each side: dots up to 2 x gap apart join
    smear = cv2.dilate(mask, np.ones((1, 2 * gap + 1), np.uint8))
    _, groups = cv2.connectedComponents(smear, connectivity=8)
    cx = (stats[dots, 0] + stats[dots, 2] // 2).astype(int)
    cy = (stats[dots, 1] + stats[dots, 3] // 2).astype(int)
    group = groups[cy, cx]
    counts = np.bincount(group)
    rows = []
    for g in np.unique(group[(counts[group] >= 3) & (counts[group] <= 4)]):
        row = stats[dots[group == g], :4]
        bottoms, tall = row[:, 1] + row[:, 3], row[:, 3]
        if np.ptp(bottoms) <= max(1.5, 0.5 * tall.max()) and tall.max() <= 2 * tall.min():
            rows.append(row)
    return rows


def _isolated(small: np.ndarray, row: np.ndarray, clear: int) -> bool:
    """True when the letter-sized marks (`small`, an integral image) within `clear` px of the row are only
    its own dots (outlines and strokes longer than 1.5 lettering heights are not in `small`)."""
    x0, y0 = int(row[:, 0].min()), int(row[:, 1].min())
    x1, y1 = int((row[:, 0] + row[:, 2]).max()), int((row[:, 1] + row[:, 3]).max())
    height, width = small.shape[0] - 1, small.shape[1] - 1
    a, b = max(0, y0 - clear), min(height, y1 + clear)
    c, d = max(0, x0 - clear), min(width, x1 + clear)
    around = small[b, d] - small[a, d] - small[b, c] + small[a, c]
    own = small[y1, x1] - small[y0, x1] - small[y1, x0] + small[y0, x0]
    return bool(around == own)


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def ellipsis_lines(image: Any, lines: Sequence[Box]) -> list[Box]:
    """Pseudo text lines (page boxes, as tall as the median line) round rows of dots standing alone: the
    lettering of balloons that hold only `...`. None without detected lines (no lettering size to go by)."""
    if not lines:
        return []
    rgb = np.asarray(image.convert("RGB")) if hasattr(image, "convert") else np.asarray(image)
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) if rgb.ndim == 3 else rgb
    height = float(np.median([line[3] for line in lines]))
    labels, stats = _marks(gray)
    letter = (stats[:, 2] <= 1.5 * height) & (stats[:, 3] <= 1.5 * height)
    letter[0] = False
    small = cv2.integral(letter[labels].astype(np.uint8))
    out = []
    for row in _rows(labels, stats, _dot_ids(stats, height), height):
        if not _isolated(small, row, int(round(CLEAR * height))):
            continue
        x0, y0 = int(row[:, 0].min()), int(row[:, 1].min())
        x1, y1 = int((row[:, 0] + row[:, 2]).max()), int((row[:, 1] + row[:, 3]).max())
        cy, tall = (y0 + y1) / 2, int(round(height))
        box = (x0, int(round(cy - tall / 2)), x1 - x0, tall)
        if not any(_overlaps(box, line) for line in lines):
            out.append(box)
    return out
