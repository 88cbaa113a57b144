"""Is a region only lettering? Title strips and credits pages hold words on paper (or on a painted
label), not pictures; a cell without a drawn frame whose ink is all glyph-like marks is not a panel.

Glyph-like: marks standing in a row with others, of about the row's common height (its lettering
size), not much wider than tall (a word's letters, or a joined-up word at most). Pictures bring long strokes, big shapes and
shading that are none of these.
"""

from __future__ import annotations

import cv2
import numpy as np

MIN_GLYPHS = 5
GLYPH_SHARE = 0.7  # of the ink area in glyph-like marks
LARGEST_SHARE = 0.3  # no single mark holds more of the ink than this


def holds_only_lettering(ink: np.ndarray) -> bool:
    """True when the ink (0/1) of a region is lettering only: several glyph-like marks in rows."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(np.ascontiguousarray(ink), connectivity=8)
    stats = stats[1:]
    stats = stats[stats[:, cv2.CC_STAT_AREA] >= 3]
    if len(stats) < MIN_GLYPHS:
        return False
    areas = stats[:, cv2.CC_STAT_AREA].astype(np.float64)
    if areas.max() > LARGEST_SHARE * areas.sum():
        return False
    glyph = np.zeros(len(stats), bool)
    for row in _rows(stats):
        if len(row) < 2:
            continue
        w, h = stats[row, cv2.CC_STAT_WIDTH], stats[row, cv2.CC_STAT_HEIGHT]
        size = float(np.median(h))
        glyph[row] = (h <= 2.2 * size) & (w <= 4 * np.maximum(h, size))
    return bool(areas[glyph].sum() >= GLYPH_SHARE * areas.sum())


def _rows(stats: np.ndarray) -> list[np.ndarray]:
    """Marks grouped into text rows: sorted by their middles, a mark joins the row whose vertical span
    overlaps at least half its height."""
    top, height = stats[:, cv2.CC_STAT_TOP], stats[:, cv2.CC_STAT_HEIGHT]
    rows: list[list[int]] = []
    span = (0, -1)
    for i in np.argsort(top + height / 2):
        lo, hi = int(top[i]), int(top[i] + height[i])
        if rows and min(hi, span[1]) - max(lo, span[0]) >= 0.5 * height[i]:
            rows[-1].append(int(i))
            span = (min(span[0], lo), max(span[1], hi))
        else:
            rows.append([int(i)])
            span = (lo, hi)
    return [np.array(r) for r in rows]
