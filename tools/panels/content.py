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
CONTENT_HEIGHT = 700  # tone and colour are judged at most this many rows tall


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

    `gray` is at mask size, `ab` (Lab a*, b*; None for gray pages) at any size, `paper` marks paper
    pixels. Tone and colour are judged on a grid of at most CONTENT_HEIGHT rows (large areas are what
    matters here), then brought back to mask size.
    """
    size = (gray.shape[1], gray.shape[0])
    f = min(1.0, CONTENT_HEIGHT / gray.shape[0])
    small = (round(gray.shape[1] * f), round(gray.shape[0] * f))
    if f < 1.0:
        gray = cv2.resize(gray, small, interpolation=cv2.INTER_AREA)
        paper = cv2.resize(paper, small, interpolation=cv2.INTER_NEAREST)
    field = paper_field(gray)
    dark = cv2.compare(gray, cv2.convertScaleAbs(field, alpha=1 - LUM_TOLERANCE), cv2.CMP_LT)
    if ab is not None:
        ab = cv2.resize(ab, small, interpolation=cv2.INTER_AREA) if ab.shape[:2] != gray.shape else ab
        a, b = _paper_colour(gray, ab, paper)
        far = cv2.max(cv2.absdiff(ab[..., 0], a), cv2.absdiff(ab[..., 1], b))
        dark |= cv2.compare(far, CHROMA_TOLERANCE, cv2.CMP_GT)
    mask = cv2.morphologyEx((dark > 0).astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    return cv2.resize(mask, size, interpolation=cv2.INTER_NEAREST) if f < 1.0 else mask


def _paper_colour(gray: np.ndarray, ab: np.ndarray, paper: np.ndarray) -> tuple[int, int]:
    """The paper's a*, b*: the median over the lightest quarter of the paper pixels (light painted
    areas can pass as paper by tone; the margins and gutters are the lightest)."""
    step = max(1, gray.shape[0] // 200)
    g, c, p = gray[::step, ::step], ab[::step, ::step], paper[::step, ::step] > 0
    if not p.any():
        return 128, 128
    pick = p & (g >= np.percentile(g[p], 75))
    a, b = np.median(c[pick], axis=0)
    return int(a), int(b)


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
