"""Balloon and caption steps: closed light regions that hold lettering, their tails, their reading order.

A balloon is a white region enclosed by an outline (speech oval or caption box) whose holes look like
lines of lettering: glyph-sized marks of a common height. Captions are the near-rectangular ones. The
tail is what a morphological opening removes from the filled shape; its far end is the tail tip.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from tools.panels.order import reading_order
from tools.panels.page import Blob, Box, Page, step

MIN_AREA, MAX_AREA = 0.0012, 0.3  # of the page area
Ellipse = tuple[Any, ...]  # OpenCV's ((cx, cy), (width, height), angle)
GLYPH_HEIGHT = (0.006, 0.03)  # of the page height


def _fill_holes(region: np.ndarray) -> np.ndarray:
    """The region with its holes filled (flood the outside from a padded border)."""
    padded = cv2.copyMakeBorder(region, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    outside = np.zeros((padded.shape[0] + 2, padded.shape[1] + 2), np.uint8)
    cv2.floodFill(padded.copy(), outside, (0, 0), 1, flags=8 | (1 << 8) | cv2.FLOODFILL_MASK_ONLY)
    return (outside[2:-2, 2:-2] == 0).astype(np.uint8)


def _looks_lettered(page: Page, holes: np.ndarray, filled_area: int) -> bool:
    """True when the ink inside is mostly glyph-sized marks standing on common baselines, in rows."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(holes, connectivity=8)
    if n < 3:
        return False
    boxes = stats[1:, :4]
    areas = stats[1:, cv2.CC_STAT_AREA]
    heights, widths = boxes[:, 3], boxes[:, 2]
    lo, hi = GLYPH_HEIGHT[0] * page.height, GLYPH_HEIGHT[1] * page.height
    solid = areas >= 0.2 * widths * heights  # letters and words, not hatching strokes
    glyph = (heights >= lo) & (heights <= hi) & (widths <= 15 * heights) & solid
    if glyph.sum() < 2 or areas[glyph].sum() < 0.6 * areas.sum():
        return False
    if not 0.03 <= areas.sum() / filled_area <= 0.55:
        return False
    glyphs = boxes[glyph]
    w, h = glyphs[:, 2].astype(float), glyphs[:, 3].astype(float)
    if (
        len(glyphs) >= 8
        and w.mean() <= 1.5 * h.mean()
        and w.std() < 0.2 * w.mean()
        and h.std() < 0.2 * h.mean()
    ):
        return False  # identical round marks on a lattice: a halftone screen, not words
    aligned = _aligned_rows(glyphs)
    if aligned.sum() < 2:
        return False
    size = np.median(glyphs[aligned, 3])  # the lettering height; lone words on other rows share it
    lettered = aligned | (np.abs(glyphs[:, 3] - size) <= 0.3 * size)
    if areas[glyph][lettered].sum() < 0.7 * areas[glyph].sum():
        return False
    return _fills_shape(glyphs[lettered], holes.shape)


def _fills_shape(glyphs: np.ndarray, shape: tuple[int, ...]) -> bool:
    """Lettering spans most of a balloon's width, sits near its middle and takes a fair share of its height."""
    x0, y0 = glyphs[:, 0].min(), glyphs[:, 1].min()
    x1, y1 = (glyphs[:, 0] + glyphs[:, 2]).max(), (glyphs[:, 1] + glyphs[:, 3]).max()
    height, width = shape[:2]
    centred = (
        abs((x0 + x1) / 2 - width / 2) <= 0.2 * width and abs((y0 + y1) / 2 - height / 2) <= 0.25 * height
    )
    return centred and (x1 - x0) >= 0.45 * width and (y1 - y0) >= 0.25 * height


def _aligned_rows(boxes: np.ndarray) -> np.ndarray:
    """Which glyph boxes sit in a row of at least two whose bottoms (baselines) line up."""
    order = np.argsort(boxes[:, 1] + boxes[:, 3] / 2)
    rows: list[list[int]] = []
    for i in order:
        top, bottom = boxes[i, 1], boxes[i, 1] + boxes[i, 3]
        if rows:
            members = boxes[rows[-1]]
            overlap = min(bottom, np.median(members[:, 1] + members[:, 3])) - max(
                top, np.median(members[:, 1])
            )
            if overlap >= 0.5 * boxes[i, 3]:
                rows[-1].append(int(i))
                continue
        rows.append([int(i)])
    aligned = np.zeros(len(boxes), bool)
    for row in rows:
        bottoms = boxes[row, 1] + boxes[row, 3]
        tall = float(np.median(boxes[row, 3]))
        near = np.array(row)[np.abs(bottoms - np.median(bottoms)) <= max(1.5, 0.25 * tall)]
        gaps = _gaps(boxes[near])
        if len(near) >= 2 and np.median(gaps) <= 1.2 * tall and gaps.min() >= -0.3 * tall:
            aligned[near] = True
    return aligned


def _gaps(boxes: np.ndarray) -> np.ndarray:
    """Horizontal gaps between neighbouring boxes of a row (letters and words sit close, side by side)."""
    ordered = boxes[np.argsort(boxes[:, 0])]
    return ordered[1:, 0] - (ordered[:-1, 0] + ordered[:-1, 2])


def _outline_width(ink: np.ndarray, filled: np.ndarray, x: int, y: int, limit: int = 4) -> int:
    """How many pixels of outline (ink) surround a shape placed at (x, y); 0 when it has none."""
    x0, y0 = max(0, x - limit - 1), max(0, y - limit - 1)
    y1, x1 = (
        min(ink.shape[0], y + filled.shape[0] + limit + 1),
        min(ink.shape[1], x + filled.shape[1] + limit + 1),
    )
    inner = np.zeros((y1 - y0, x1 - x0), np.uint8)
    inner[y - y0 : y - y0 + filled.shape[0], x - x0 : x - x0 + filled.shape[1]] = filled
    window = ink[y0:y1, x0:x1]
    for d in range(1, limit + 1):
        outer = cv2.dilate(inner, np.ones((3, 3), np.uint8))
        ring = (outer > 0) & (inner == 0)
        if ring.sum() == 0 or window[ring].mean() < 0.5:
            return d - 1
        inner = outer
    return limit


def _fit_oval(points: np.ndarray) -> Ellipse | None:
    """An ellipse fitted to the outline points of an oval, refitted without the points a tail pulls out."""
    inliers = points
    ellipse = None
    for _ in range(3):
        if len(inliers) < 5:
            break
        ellipse = cv2.fitEllipse(inliers.astype(np.float32))
        near = _oval_radius(points, ellipse) <= 1.06
        if near.all() or near.sum() < 5:
            break
        inliers = points[near]
    return ellipse


def _oval_radius(points: np.ndarray, ellipse: Ellipse) -> np.ndarray:
    """Each point's distance from the ellipse centre in units of the ellipse radius along that direction."""
    (cx, cy), (width, height), angle = ellipse
    t = np.radians(angle)
    dx, dy = points[:, 0] - cx, points[:, 1] - cy
    u, v = dx * np.cos(t) + dy * np.sin(t), -dx * np.sin(t) + dy * np.cos(t)
    return np.sqrt((u / max(width / 2, 1e-6)) ** 2 + (v / max(height / 2, 1e-6)) ** 2)


def _largest_opened(filled: np.ndarray) -> np.ndarray:
    """The shape without thin appendages (tendrils of light art, the thin end of a tail)."""
    k = max(3, int(0.25 * np.sqrt(filled.sum())) | 1)
    opened = cv2.morphologyEx(filled, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(opened, connectivity=8)
    if n < 2:
        return filled
    return (labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))).astype(np.uint8)


def _split_tail(filled: np.ndarray) -> tuple[np.ndarray, tuple[int, int] | None]:
    """The body and the tail tip: the tail is the biggest piece outside an oval fitted to the outline."""
    body = _largest_opened(filled)
    contours, _ = cv2.findContours(filled, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    ellipse = _fit_oval(max(contours, key=cv2.contourArea).reshape(-1, 2))
    if ellipse is None:
        return body, None
    (cx, cy), (width, height), angle = ellipse
    oval = np.zeros_like(filled)
    cv2.ellipse(oval, ((cx, cy), (width * 1.03 + 2, height * 1.03 + 2), angle), 1, -1)
    outside = (filled & (1 - cv2.dilate(oval, np.ones((5, 5), np.uint8)))).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(outside, connectivity=8)
    if n < 2:
        return body, None
    biggest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    if not 0.005 * filled.sum() <= stats[biggest, cv2.CC_STAT_AREA] <= 0.25 * filled.sum():
        return body, None
    tail = (labels == biggest).astype(np.uint8)
    body = body & (1 - (cv2.dilate(tail, np.ones((3, 3), np.uint8)) & (1 - oval)))
    ys, xs = np.nonzero(tail)
    far = int(np.argmax((xs - cx) ** 2 + (ys - cy) ** 2))
    return body.astype(np.uint8), (int(xs[far]), int(ys[far]))


def _solid(shape: np.ndarray) -> bool:
    """True when the shape fills at least 85% of its convex hull (ovals, boxes; not wiggly art)."""
    contours, _ = cv2.findContours(shape, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    hull = cv2.contourArea(cv2.convexHull(max(contours, key=cv2.contourArea)))
    return hull > 0 and shape.sum() >= 0.85 * hull


def _candidate(page: Page, labels: np.ndarray, index: int, stats: np.ndarray) -> Blob | None:
    """A balloon (or caption) from one light region, or None when it is not one."""
    assert page.ink is not None
    x, y, w, h = (int(v) for v in stats[index, :4])
    region = (labels[y : y + h, x : x + w] == index).astype(np.uint8)
    filled = _fill_holes(region)
    if (filled > region).sum() < 0.03 * filled.sum():
        return None
    rectangular = filled.sum() >= 0.9 * w * h
    body, tip = (filled, None) if rectangular else _split_tail(filled)
    bys, bxs = np.nonzero(body)
    inside = np.s_[bys.min() : bys.max() + 1, bxs.min() : bxs.max() + 1]
    holes = ((body[inside] > 0) & (region[inside] == 0)).astype(np.uint8)
    if not _solid(body) or not _looks_lettered(page, holes, int(body.sum())):
        return None
    s = _outline_width(page.ink, body, x, y)
    box = (
        x + int(bxs.min()) - s,
        y + int(bys.min()) - s,
        int(np.ptp(bxs)) + 1 + 2 * s,
        int(np.ptp(bys)) + 1 + 2 * s,
    )
    tail = (x + tip[0], y + tip[1]) if tip else None
    return Blob(box, "caption" if rectangular else "speech", tail)


def light_regions(page: Page) -> np.ndarray:
    """Paper-light pixels (1), with hairline gaps sealed and panel edges drawn as walls, so a balloon
    without an outline that touches its panel's edge stays apart from the gutter."""
    assert page.paper is not None
    white = cv2.morphologyEx(page.paper, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    for cell in page.cells:
        x, y, w, h = cell.box
        cv2.rectangle(white, (x, y), (x + w - 1, y + h - 1), 0, 1)
    return white


@step("balloons")
def balloons(page: Page) -> None:
    """Find balloons and captions: enclosed light regions whose holes look like lettering."""
    assert page.ink is not None
    white = light_regions(page)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(white, connectivity=4)
    area = page.width * page.height
    blobs = []
    for i in range(1, n):
        x, y, w, h, a = (int(v) for v in stats[i])
        if not (MIN_AREA * area <= a <= MAX_AREA * area) or x == 0 or y == 0:
            continue
        if x + w >= page.width or y + h >= page.height:
            continue
        blob = _candidate(page, labels, i, stats)
        if blob:
            blobs.append(blob)
    page.blobs = blobs
    page.debug("balloons", lambda: _draw_blobs(page))


def _containing_panel(page: Page, box: Box) -> int | None:
    cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
    inside = [
        (c.box[2] * c.box[3], i)
        for i, c in enumerate(page.cells)
        if c.box[0] <= cx <= c.box[0] + c.box[2] and c.box[1] <= cy <= c.box[1] + c.box[3]
    ]
    return min(inside)[1] if inside else None


@step("balloon_order")
def balloon_order(page: Page) -> None:
    """Give each balloon its panel and sort them: panels in reading order, then inside each panel."""
    for blob in page.blobs:
        blob.panel = _containing_panel(page, blob.box)
    ordered: list[Blob] = []
    for panel in [*range(len(page.cells)), None]:
        group = [b for b in page.blobs if b.panel == panel]
        ordered += [group[i] for i in reading_order([b.box for b in group], rtl=page.rtl)]
    page.blobs = ordered
    page.debug("balloon_order", lambda: _draw_blobs(page, numbered=True))


def _draw_blobs(page: Page, numbered: bool = False) -> np.ndarray:
    assert page.ink is not None
    canvas = cv2.cvtColor(255 - page.ink * 255, cv2.COLOR_GRAY2BGR)
    for i, blob in enumerate(page.blobs):
        x, y, w, h = blob.box
        colour = (200, 0, 200) if blob.kind == "caption" else (0, 140, 255)
        cv2.rectangle(canvas, (x, y), (x + w - 1, y + h - 1), colour, 2)
        if blob.tail:
            cv2.circle(canvas, blob.tail, 4, (0, 0, 255), -1)
        if numbered:
            cv2.putText(canvas, str(i + 1), (x + 4, y + 18), cv2.FONT_HERSHEY_SIMPLEX, 0.6, colour, 2)
    return canvas


BALLOON_STEPS = (balloons, balloon_order)
