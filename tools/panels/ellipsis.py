"""Balloons that hold only an ellipsis (`...`): rows of two to four dots standing alone on paper.

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


def _marks(gray: np.ndarray) -> np.ndarray:
    """x, y, w, h, area of every dark mark of the page (8-connected)."""
    dark = (gray < DARK).astype(np.uint8)
    _, _, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=8)
    return np.asarray(stats[1:])


def _dots(marks: np.ndarray, height: float) -> np.ndarray:
    """x, y, w, h of the small, round, filled marks among `marks`."""
    boxes, area = marks[:, :4], marks[:, 4]
    w, h = boxes[:, 2], boxes[:, 3]
    lo, hi = max(1.0, DOT_SIZE[0] * height), DOT_SIZE[1] * height
    keep = (h >= lo) & (h <= hi) & (w >= lo) & (w <= hi) & (w <= 2.5 * h) & (h <= 2.5 * w)
    return boxes[keep & (area >= 0.5 * w * h)]


def _rows(dots: np.ndarray) -> list[np.ndarray]:
    """Runs of 2-4 dots of one size side by side on one baseline, evenly and closely spaced."""
    order = dots[np.argsort(dots[:, 0])]
    rows: list[np.ndarray] = []
    used: set[int] = set()
    for i in range(len(order)):
        if i in used:
            continue
        run = [i]
        for j in range(i + 1, len(order)):
            a, b = order[run[-1]], order[j]
            size = max(a[2], a[3], b[2], b[3])
            gap = b[0] - (a[0] + a[2])
            if gap > 2.5 * size:
                break  # sorted by x: nothing further along can continue this row
            same_row = abs((a[1] + a[3]) - (b[1] + b[3])) <= max(1.5, 0.5 * size)
            if same_row and gap >= 0 and max(a[3], b[3]) <= 2 * min(a[3], b[3]) and j not in used:
                run.append(j)
        if 2 <= len(run) <= 4:
            rows.append(order[run])
            used.update(run)
    return rows


def _isolated(marks: np.ndarray, row: Box, clear: int, height: float) -> bool:
    """True when no letter-sized mark but the row's own dots lies within `clear` px of it (outlines and
    art strokes longer than 1.5 lettering heights do not count: a small balloon's outline is close)."""
    x, y, w, h = row
    bx, by, bw, bh = marks[:, 0], marks[:, 1], marks[:, 2], marks[:, 3]
    near = (bx < x + w + clear) & (bx + bw > x - clear) & (by < y + h + clear) & (by + bh > y - clear)
    own = (bx >= x) & (by >= y) & (bx + bw <= x + w) & (by + bh <= y + h)
    small = (bw <= 1.5 * height) & (bh <= 1.5 * height)
    return not (near & small & ~own).any()


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
    marks = _marks(gray)
    out = []
    for row in _rows(_dots(marks, height)):
        x0, y0 = int(row[:, 0].min()), int(row[:, 1].min())
        x1, y1 = int((row[:, 0] + row[:, 2]).max()), int((row[:, 1] + row[:, 3]).max())
        if not _isolated(marks, (x0, y0, x1 - x0, y1 - y0), int(round(CLEAR * height)), height):
            continue
        cy, tall = (y0 + y1) / 2, int(round(height))
        box = (x0, int(round(cy - tall / 2)), x1 - x0, tall)
        if not any(_overlaps(box, line) for line in lines):
            out.append(box)
    return out
