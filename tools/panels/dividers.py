"""Strips drawn as one box divided by single lines: panels that share their frame, with no gutter.

The gutter search finds blank runs between panels, so a strip drawn as one long box cut by single
vertical lines comes out as one panel. Here such a box is cut along its *dividers*: straight lines about
as thin as the frame that run from its top side to its bottom side (they cross nearly every row of the
inside). Only a box spanning a strip page is looked at, and only for vertical lines: inside one panel, a
horizon runs from side to side far more often than a line runs from top to bottom. Two such lines close
together (a post, a doorway, a double line) would leave a sliver between them: neither is a divider then.
"""

from __future__ import annotations

import cv2
import numpy as np

from tools.panels.page import Box

CROSSING = 0.97
"""Share of the inside rows a divider covers: from the top side of the frame to the bottom one."""
STRIP = 2.0
"""A page this many times wider than tall is a strip."""


def strip_dividers(ink: np.ndarray, box: Box, page_size: tuple[int, int], min_piece: int) -> list[Box]:
    """`box` (a drawn frame in `ink`'s coordinates) cut at its dividers when it spans a strip page;
    `[box]` otherwise. `min_piece`: the narrowest panel a cut may leave."""
    width, height = page_size
    if width < STRIP * height or box[2] < 0.8 * width:
        return [box]
    x, y, w, h = box
    bounds = [0, *divider_centres(ink[y : y + h, x : x + w].astype(bool), min_piece), w]
    return [(x + a, y, b - a, h) for a, b in zip(bounds, bounds[1:], strict=False)]


def divider_centres(region: np.ndarray, min_piece: int) -> list[int]:
    """Columns of the vertical dividers inside a framed region (offsets from its left side)."""
    thick = _frame_thickness(region)
    inside = region[2 * thick : region.shape[0] - 2 * thick]
    if inside.shape[0] < 10 or inside.shape[1] <= 2 * min_piece:
        return []
    slack = np.ones((1, 2 * thick + 1), np.uint8)  # a tilted or wobbly line still crosses every row
    covered = np.flatnonzero(cv2.dilate(inside.astype(np.uint8), slack).mean(axis=0) >= CROSSING)
    centres = []
    for line in np.split(covered, np.flatnonzero(np.diff(covered) > 1) + 1) if covered.size else []:
        a, b = int(line[0]), int(line[-1]) + 1
        if b - a <= 4 * thick + 2 and a >= min_piece and inside.shape[1] - b >= min_piece:
            centres.append((a + b) // 2)
    return _spaced(centres, inside.shape[1], min_piece)


def _frame_thickness(region: np.ndarray) -> int:
    """How thick the frame is: the columns near its left side that are nearly all ink."""
    share = region[:, : max(1, region.shape[1] // 20)].mean(axis=0)
    return max(1, int((share >= 0.9).sum()))


def _spaced(centres: list[int], length: int, min_piece: int) -> list[int]:
    """The dividers that leave no piece narrower than `min_piece` (two lines close together are a post or
    a double line: both go)."""
    bounds = [0, *centres, length]
    narrow = {i for i in range(len(bounds) - 1) if bounds[i + 1] - bounds[i] < min_piece}
    return [c for i, c in enumerate(centres, start=1) if i - 1 not in narrow and i not in narrow]
