"""What on a page is not paper, for the panel layout: ink, painted or toned areas, and panels filled in.

Line art is found by the ink mask (binarise); painted and toned art also by its tone and colour: a pixel
is content when it is clearly darker than the paper around it (a paper level estimated over a large
window, so yellowed or unevenly lit paper stays paper) or when its colour is away from the paper's
colour (light painted skies). The layout mask is ink or content; `filled` closes hairline gaps and fills
enclosed holes, so a framed panel of line art becomes a solid block like a painted one.
"""

from __future__ import annotations

import cv2
import numpy as np

LUM_TOLERANCE = 0.1  # content is this much darker than the local paper level
CHROMA_TOLERANCE = 10  # or this far from the paper colour (Lab a*/b* units of OpenCV's 8-bit Lab)


def paper_field(gray: np.ndarray) -> np.ndarray:
    """The paper's light level at every pixel: a max filter over about a sixth of the page, smoothed."""
    h, w = gray.shape
    tiny = cv2.resize(gray, (max(8, w // 8), max(8, h // 8)), interpolation=cv2.INTER_AREA)
    k = max(3, tiny.shape[0] // 6) | 1
    field = cv2.dilate(tiny, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    field = cv2.GaussianBlur(field, (0, 0), k / 3)
    return cv2.resize(field, (w, h), interpolation=cv2.INTER_LINEAR)


def content_mask(gray: np.ndarray, ab: np.ndarray | None, paper: np.ndarray) -> np.ndarray:
    """1 where a pixel (mask size) is tone or colour rather than paper; thin specks opened away.

    `gray` and `ab` (Lab a*, b*; None for gray pages) are already at mask size; `paper` marks paper pixels.
    """
    field = paper_field(gray).astype(np.float32)
    dark = gray.astype(np.float32) < (1 - LUM_TOLERANCE) * np.maximum(field, 1)
    if ab is not None:
        ab16 = ab.astype(np.int16)
        paper_ab = _paper_colour(gray, ab16, paper)
        dark |= np.abs(ab16 - paper_ab.astype(np.int16)).max(axis=2) > CHROMA_TOLERANCE
    return cv2.morphologyEx(dark.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))


def _paper_colour(gray: np.ndarray, ab: np.ndarray, paper: np.ndarray) -> np.ndarray:
    """The paper's a*, b*: the median over the lightest quarter of the paper pixels (light painted
    areas can pass as paper by tone; the margins and gutters are the lightest)."""
    if not paper.any():
        return np.array([128, 128], np.int16)
    light = gray >= np.percentile(gray[paper > 0], 75)
    pick = (paper > 0) & light
    return np.median(ab[pick], axis=0).astype(np.int16)


def fill_holes(mask: np.ndarray) -> np.ndarray:
    """The mask with every enclosed hole filled (flood the outside from a padded border)."""
    padded = cv2.copyMakeBorder(mask, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    outside = np.zeros((padded.shape[0] + 2, padded.shape[1] + 2), np.uint8)
    cv2.floodFill(padded, outside, (0, 0), 1, flags=8 | (1 << 8) | cv2.FLOODFILL_MASK_ONLY)
    return (outside[2:-2, 2:-2] == 0).astype(np.uint8)


def filled_layout(layout: np.ndarray, seal: int) -> np.ndarray:
    """Layout mask with gaps up to `seal` px closed and enclosed areas (panel insides) filled."""
    closed = cv2.morphologyEx(layout, cv2.MORPH_CLOSE, np.ones((seal, seal), np.uint8))
    return fill_holes(closed) | layout
