"""Balloon candidates from light regions: odd shapes are refused, not crashed on (issue 15 regression)."""

from __future__ import annotations

import cv2
import numpy as np

from tools.panels.balloons import _candidate
from tools.panels.page import Page


def _labelled(region: np.ndarray) -> tuple[Page, np.ndarray, int, np.ndarray]:
    """A page whose ink is everything but `region`, and the region's label and stats."""
    _, labels, stats, _ = cv2.connectedComponentsWithStats(region, connectivity=4)
    index = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    page = Page(original=np.zeros(region.shape, np.uint8))
    page.ink = (labels != index).astype(np.uint8)
    return page, labels, index, stats


def test_thin_bent_band_with_specks_is_no_balloon():
    """A thin light band between hatching strokes, bent, with specks in it: cutting its 'tail' off used to
    leave an empty body and `_candidate` raised "zero-size array to reduction operation minimum"."""
    region = np.zeros((400, 400), np.uint8)
    c, t = np.array([200.0, 200.0]), np.radians(7)
    d = np.array([np.cos(t), np.sin(t)]) * 100
    n = np.array([-d[1], d[0]]) / np.linalg.norm(d) * 10
    cv2.polylines(region, [np.array([c - d, c + n, c + d]).astype(np.int32)], False, 1, 4)
    ys, xs = np.nonzero(cv2.erode(region, np.ones((3, 3), np.uint8)))
    region[ys[::6], xs[::6]] = 0  # specks inside the band: the holes a balloon's lettering would make
    assert _candidate(*_labelled(region)) is None


def test_lettered_oval_is_still_a_balloon():
    """The control: a white oval with rows of glyph-sized marks inside is a speech balloon."""
    region = np.zeros((800, 600), np.uint8)
    cv2.ellipse(region, (300, 400), (150, 70), 0, 0, 360, 1, -1)
    widths = [10, 7, 12, 9, 14, 6, 11, 8, 13, 10, 7, 12]  # letters 12 px tall on common baselines
    for row in (375, 405):
        x = 200
        for width in widths:
            region[row : row + 12, x : x + width] = 0
            x += width + 4
    blob = _candidate(*_labelled(region))
    assert blob is not None and blob.kind == "speech"
    x, y, w, h = blob.box
    assert abs(x - 150) <= 6 and abs(y - 330) <= 6 and abs(w - 301) <= 12 and abs(h - 141) <= 12
