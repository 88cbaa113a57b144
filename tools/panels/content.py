"""What on a page is not paper, for the panel layout: ink, painted or toned areas, and panels filled in.

Line art is found by the ink mask (binarise); painted and toned art also by its tone and colour: a pixel
is content when it is clearly darker than the paper around it (a paper level estimated over a large
window, so yellowed or unevenly lit paper stays paper) or when its colour is away from the paper's
colour (light painted skies). The layout mask is ink or content; `filled` closes hairline gaps and fills
enclosed holes, so a framed panel of line art becomes a solid block like a painted one. Pages with
a dark background (black gutters) are read the other way round: content is what differs from it.
"""

from __future__ import annotations

import cv2
import numpy as np

LUM_TOLERANCE = 0.12  # content is this much darker than the local paper level (show-through is less)
CHROMA_TOLERANCE = 10  # or this far from the paper colour (Lab a*/b* units of OpenCV's 8-bit Lab)
CONTENT_HEIGHT = 700  # tone and colour are judged at most this many rows tall
DARK_LEVEL = 90  # a page whose outer ring is darker than this (and even) has a dark background
DARK_SPREAD = 25  # gray levels: how even that ring is
MAX_HOLE = 0.6  # of the page area: bigger enclosed areas are not filled
MIN_HOLE = 0.03  # of the page height: narrower enclosed areas (gutter stretches) are not filled
OPEN_SHARE = 0.008  # of the page height: content thinner than this is not an area


def paper_field(gray: np.ndarray) -> np.ndarray:
    """The paper's light level at every pixel: a max filter over about a sixth of the page, smoothed."""
    h, w = gray.shape
    tiny = cv2.resize(gray, (max(8, w // 8), max(8, h // 8)), interpolation=cv2.INTER_AREA)
    k = max(3, tiny.shape[0] // 6) | 1
    field = cv2.dilate(tiny, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    field = cv2.GaussianBlur(field, (0, 0), k / 3)
    return cv2.resize(field, (w, h), interpolation=cv2.INTER_LINEAR)


def content_mask(gray: np.ndarray, ab: np.ndarray | None, paper: np.ndarray) -> np.ndarray:
    """1 where a pixel (mask size) is in an area of tone or colour rather than paper; lines and specks
    thinner than OPEN_SHARE of the page are opened away.

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
    field = paper_field(gray).astype(np.float32)
    dark = gray < (1 - LUM_TOLERANCE) * field
    if ab is not None:
        if ab.shape[:2] != gray.shape:
            ab = cv2.resize(ab, small, interpolation=cv2.INTER_AREA)
        a, b = _paper_colour(gray, ab, paper)
        ab16 = np.asarray(ab, np.int16)
        far = np.maximum(np.abs(ab16[..., 0] - a), np.abs(ab16[..., 1] - b))
        # never lighter than the paper: white corners of a rotated yellowed scan differ in colour too
        dark |= (far > CHROMA_TOLERANCE) & (gray < 0.98 * field)
    k = max(3, round(OPEN_SHARE * gray.shape[0])) | 1  # lines (frames, show-through) are the ink's job
    mask = cv2.morphologyEx(dark.astype(np.uint8), cv2.MORPH_OPEN, np.ones((k, k), np.uint8))
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


def scan_border(gray: np.ndarray) -> tuple[int, int, int, int]:
    """Depth (top, bottom, left, right; pixels) of a scanner's dark surround: solid dark bands at the
    page edges with blank light paper just inside them. Zero on sides without one (a dark band that runs
    into art instead of paper is a dark page background, not a scanner's lid)."""
    light = float(np.percentile(gray, 90))
    top, bottom = (_border_depth(band, light) for band in (gray, gray[::-1]))
    inner = gray[top : gray.shape[0] - bottom]  # the sides are judged between those bands
    left, right = (_border_depth(band, light) for band in (inner.T, inner.T[::-1]))
    return top, bottom, left, right


def _border_depth(band: np.ndarray, light: float) -> int:
    """How many rows from the start of `band` are a solid dark surround followed by blank paper."""
    rows, length = band.shape
    middle = band[: rows // 4, length // 20 : length - length // 20]
    if middle.size == 0:
        return 0
    darkish = (middle < 0.5 * light).mean(axis=1)
    end = int(np.argmax(darkish < 0.85)) if (darkish < 0.85).any() else 0
    clear = np.flatnonzero(darkish[end : end + 4] <= 0.02)  # past the band's soft edge
    depth = end + int(clear[0]) if end and clear.size else 0
    paper = middle[depth : depth + max(2, rows // 50)]
    thick = depth >= max(6, rows // 60)  # not a frame line drawn at the page's edge
    return depth if thick and paper.size and (paper >= 0.8 * light).mean() >= 0.97 else 0


def dark_background(gray: np.ndarray) -> int | None:
    """The gray level of a dark page background (black gutters and margins: the page's outer ring is
    nearly all one dark tone), or None for pages on light paper."""
    h, w = gray.shape
    b = max(2, round(0.015 * min(h, w)))
    ring = np.concatenate([gray[:b].ravel(), gray[-b:].ravel(), gray[:, :b].ravel(), gray[:, -b:].ravel()])
    level = int(np.median(ring))
    even = float((np.abs(ring.astype(np.int16) - level) <= DARK_SPREAD).mean())
    return level if level < DARK_LEVEL and even >= 0.8 else None


def dark_gutters(gray: np.ndarray, level: int) -> bool:
    """True when, inside the dark surround, a row or a column is the background's dark tone nearly all
    across: a gutter of a dark-background page (a scanner's surround has light paper inside it)."""
    near = np.abs(gray.astype(np.int16) - level) <= DARK_SPREAD
    rows, cols = near.mean(axis=1) < 0.95, near.mean(axis=0) < 0.95  # lines not all dark
    if not rows.any() or not cols.any():
        return False
    r, c = np.flatnonzero(rows), np.flatnonzero(cols)
    inside = near[r[0] : r[-1] + 1, c[0] : c[-1] + 1]
    h, w = inside.shape
    across = inside[h // 20 : h - h // 20, w // 20 : w - w // 20]
    return bool(across.size and (across.mean(axis=1).max() >= 0.95 or across.mean(axis=0).max() >= 0.95))


def background_content(gray: np.ndarray, level: int) -> np.ndarray:
    """On a dark background: 1 where a pixel (mask size) is away from the background's tone, in areas."""
    far = cv2.absdiff(gray, np.full_like(gray, level)) > 2 * DARK_SPREAD
    k = max(3, round(OPEN_SHARE * gray.shape[0])) | 1
    return cv2.morphologyEx(far.astype(np.uint8), cv2.MORPH_OPEN, np.ones((k, k), np.uint8))


def fill_holes(mask: np.ndarray, max_share: float = 1.0, min_side: float = 0.0) -> np.ndarray:
    """The mask with its enclosed holes filled, except holes bigger than `max_share` of the mask and
    holes that are thin (narrower than `min_side` of the mask's height) or sprawling (less than half
    their box): a stretch of gutter that balloons and frame corners close off is not a panel's inside."""
    holes = (1 - mask).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(holes, connectivity=4)
    h, w = mask.shape
    x, y, bw, bh, area = (stats[:, i] for i in range(5))
    inner = (x > 0) & (y > 0) & (x + bw < w) & (y + bh < h) & (area <= max_share * h * w)
    inner &= (np.minimum(bw, bh) >= min_side * h) & (area >= 0.5 * bw * bh)
    inner[0] = False
    return (mask | inner[labels]).astype(np.uint8)


def filled_layout(layout: np.ndarray, seal: int) -> np.ndarray:
    """Layout mask with gaps up to `seal` px closed and enclosed areas (panel insides) filled; an area
    enclosing most of the page is a page border or a scan edge, not a panel, and stays open."""
    closed = cv2.morphologyEx(layout, cv2.MORPH_CLOSE, np.ones((seal, seal), np.uint8))
    return fill_holes(closed, MAX_HOLE, MIN_HOLE) | layout
