"""Balloon and caption steps: closed light regions that hold lettering, their tails, their reading order.

A balloon is a white region enclosed by an outline (speech oval or caption box) whose holes look like
lines of lettering: glyph-sized marks of a common height. Captions are the near-rectangular ones. The
tail is what a morphological opening removes from the filled shape; its far end is the tail tip.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from tools.panels.order import reading_order
from tools.panels.page import BalloonBox, Blob, Box, Page, step, within

MIN_AREA, MAX_AREA = 0.0012, 0.3  # of the page area
Ellipse = tuple[Any, ...]  # OpenCV's ((cx, cy), (width, height), angle)
GLYPH_HEIGHT = (0.006, 0.03)  # of the page height (the upper bound: of its long side, see _glyph_sizes)


def _fill_holes(region: np.ndarray) -> np.ndarray:
    """The region with its holes filled (flood the outside from a padded border)."""
    padded = cv2.copyMakeBorder(region, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    outside = np.zeros((padded.shape[0] + 2, padded.shape[1] + 2), np.uint8)
    cv2.floodFill(padded.copy(), outside, (0, 0), 1, flags=8 | (1 << 8) | cv2.FLOODFILL_MASK_ONLY)
    return (outside[2:-2, 2:-2] == 0).astype(np.uint8)


def _glyph_sizes(page: Page) -> tuple[float, float]:
    """The heights (px) a lettered glyph may have: from GLYPH_HEIGHT[0] of the page height to GLYPH_HEIGHT[1]
    of its long side. Lettering keeps its size on paper whatever is scanned; a page is taller than wide, so
    its height stands for the paper, while an image of one panel or one strip (wider than tall) is a crop
    whose height says nothing of the paper: a Tex panel scanned alone, 74 mm tall, letters 2.4 mm capitals
    at 0.032 of its height, past a bound taken on the height (16 of 96 generated Tex-like balloons found)."""
    return GLYPH_HEIGHT[0] * page.height, GLYPH_HEIGHT[1] * max(page.height, page.width)


def _looks_lettered(page: Page, holes: np.ndarray, filled_area: int) -> bool:
    """True when the ink inside is mostly glyph-sized marks standing on common baselines, in rows."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(holes, connectivity=8)
    if n < 3:
        return False
    boxes = stats[1:, :4]
    areas = stats[1:, cv2.CC_STAT_AREA]
    heights, widths = boxes[:, 3], boxes[:, 2]
    lo, hi = _glyph_sizes(page)
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
    if not body.any():
        return None  # a thin light band (between hatching strokes): nothing left once its tail is cut off
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


# ---- balloons from lettering: text lines found on the page grow into the light shape that holds them ----

TEXT_GROWTH = 2.5  # line heights a balloon may reach beyond its lettering before it counts as open
LINE_HEIGHT = 16  # px: each line's window is scaled so lettering stands about this tall
BACKGROUND_TOLERANCE = 40  # max per-channel difference from the balloon's paper colour
MIN_BACKGROUND = 150  # the paper under lettering is at least this light (gray level)
MAX_INK = 120  # balloon lettering is dark (the darkest quarter of the lettering's Otsu class at most this)
MAX_INK_CHROMA = 60  # and black or grey: its median chroma (max - min channel) at most this
JOIN_GAP = 0.8  # line heights between lines of one balloon (further apart: two balloons)
OPEN_SIDE = 0.9  # a side whose paper reaches this share of the growth limit is open (gutter, art)
ALIGNMENT = 3.0  # line heights: lines of one balloon align centres or ends this closely (lobes: further)
X_HEIGHT_SPAN = 1.5  # a line of x-height letters only stands this much shorter than one with ascenders
PAPER_SPAN = 1 / 3  # share of the lettering's middle half that a row or column of its balloon's paper spans
LEAK = 0.25  # line heights: paper reaching this much beyond the balloon's own has leaked out of it
AGREEMENT = 0.65  # IoU at which an outline balloon agrees with the one grown from its lines (and replaces it)


@dataclass
class _Grown:
    """One text line grown through the paper around it (window coordinates scaled by `f`)."""

    line: Box
    origin: tuple[int, int]
    f: float
    mask: np.ndarray  # uint8, the line's seed plus the paper reached from it
    paper: np.ndarray  # uint8, window pixels in the paper colour
    colour: np.ndarray
    index: int = -1  # which of the page's lines
    short: bool = False  # lettered in x-height letters only (`...mmm`): its box is shorter than its size

    @property
    def size(self) -> float:
        """The lettering size of the line: its box height, or for x-height-only lines that height
        scaled by X_HEIGHT_SPAN (a box round `mmm` is shorter than one round `devo` at one size)."""
        return self.line[3] * (X_HEIGHT_SPAN if self.short else 1.0)

    def page_box(self) -> Box:
        ys, xs = np.nonzero(self.mask)
        x0, y0 = self.origin
        return (
            int(x0 + xs.min() / self.f),
            int(y0 + ys.min() / self.f),
            int(round((np.ptp(xs) + 1) / self.f)),
            int(round((np.ptp(ys) + 1) / self.f)),
        )


def _paper_colour(patch: np.ndarray) -> np.ndarray | None:
    """The colour under the lettering of a line (the light Otsu class), or None when the paper is not light
    or the lettering not dark (coloured sound effects painted on art)."""
    gray = cv2.cvtColor(patch, cv2.COLOR_RGB2GRAY)
    _, light = cv2.threshold(gray, 0, 1, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    if light.sum() < 0.3 * light.size or light.sum() == light.size:
        return None
    ink = light == 0
    if float(np.percentile(gray[ink], 25)) > MAX_INK:
        return None  # the darkest quarter: thin strokes of a small scan are mostly anti-aliased grey
    chroma = patch.max(axis=2).astype(np.int16) - patch.min(axis=2)
    if float(np.median(chroma[ink])) > MAX_INK_CHROMA:
        return None  # coloured marks (painted sound effects, music notes), not black lettering
    colour = np.median(patch[light > 0], axis=0)
    return colour if float(np.median(gray[light > 0])) >= MIN_BACKGROUND else None


def _grow_line(rgb: np.ndarray, line: Box) -> _Grown | None:
    """The paper-coloured region reached from a line within TEXT_GROWTH line heights, or None when the
    line does not stand on light paper (lettering painted on art, sound effects)."""
    x, y, w, h = line
    f = min(1.0, LINE_HEIGHT / max(1, h))
    reach = int(np.ceil(TEXT_GROWTH * h))
    x0, y0 = max(0, x - reach), max(0, y - reach)
    x1, y1 = min(rgb.shape[1], x + w + reach), min(rgb.shape[0], y + h + reach)
    colour = _paper_colour(rgb[y : y + max(1, h), x : x + max(1, w)])  # full size: thin strokes stay dark
    if colour is None:
        return None
    window = rgb[y0:y1, x0:x1]
    if f < 1.0:
        window = cv2.resize(window, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    sx, sy, sw, sh = (int(round(v * f)) for v in (x - x0, y - y0, w, h))
    paper = (np.abs(window.astype(np.int16) - colour).max(axis=2) <= BACKGROUND_TOLERANCE).astype(np.uint8)
    seed = np.zeros_like(paper)
    seed[sy : sy + max(1, sh), sx : sx + max(1, sw)] = 1
    allowed, grown, kernel = paper | seed, seed, np.ones((3, 3), np.uint8)
    for _ in range(int(np.ceil(TEXT_GROWTH * h * f))):
        bigger = cv2.dilate(grown, kernel) & allowed
        if not (bigger != grown).any():
            break
        grown = bigger
    return _Grown(line, (x0, y0), f, grown, paper, colour)


def _line_gap(a: Box, b: Box) -> tuple[float, float]:
    """Horizontal and vertical gaps between two line boxes (0 where they overlap)."""
    gx = max(0, max(a[0], b[0]) - min(a[0] + a[2], b[0] + b[2]))
    gy = max(0, max(a[1], b[1]) - min(a[1] + a[3], b[1] + b[3]))
    return gx, gy


def misaligned(a: Box, b: Box) -> bool:
    """True when two lines one above the other share no alignment: neither their centres nor their left
    nor their right ends within ALIGNMENT line heights (lettering in one balloon is centred, or set flush
    left or right), and their centres are further apart than that. Lines side by side on one row never are."""
    height = min(a[3], b[3])
    overlap = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    if overlap >= 0.5 * height:
        return False
    tolerance = ALIGNMENT * height
    centres = abs((a[0] + a[2] / 2) - (b[0] + b[2] / 2))
    lefts, rights = abs(a[0] - b[0]), abs((a[0] + a[2]) - (b[0] + b[2]))
    return min(centres, lefts, rights) > tolerance


def _touching(a: _Grown, b: _Grown) -> bool:
    """True when two lines are in one balloon: lettered at one size, close as lines of one text (a gap of
    at most JOIN_GAP line heights) and sharing paper of the same colour (at least half a line height square of it)."""
    if np.abs(a.colour - b.colour).max() > BACKGROUND_TOLERANCE:
        return False
    gx, gy = _line_gap(a.line, b.line)
    height = min(a.size, b.size)
    if gy > JOIN_GAP * height or gx > JOIN_GAP * height or max(a.size, b.size) > 1.5 * height:
        return False  # apart, or lettered at another size (a title above a balloon)
    if misaligned(a.line, b.line):
        return False  # the lobes of a joined balloon: each centred on its own lobe
    ax, ay, aw, ah = a.page_box()
    bx, by, bw, bh = b.page_box()
    ix0, iy0, ix1, iy1 = max(ax, bx), max(ay, by), min(ax + aw, bx + bw), min(ay + ah, by + bh)
    if ix1 <= ix0 or iy1 <= iy0:
        return False
    ys, xs = np.mgrid[iy0:iy1:2, ix0:ix1:2]
    shared = 4 * int((_sample(a, xs, ys) & _sample(b, xs, ys)).sum())  # px: each sample stands for 2 x 2
    return shared >= (0.5 * height) ** 2  # paper, not a few pixels where an outline is thin


def _sample(g: _Grown, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """The grown mask at page points (False outside its window)."""
    u = np.round((xs - g.origin[0]) * g.f).astype(int)
    v = np.round((ys - g.origin[1]) * g.f).astype(int)
    inside = (u >= 0) & (v >= 0) & (u < g.mask.shape[1]) & (v < g.mask.shape[0])
    out = np.zeros(xs.shape, bool)
    out[inside] = g.mask[v[inside], u[inside]] > 0
    return out


def _groups(grown: list[_Grown], marks_only: Sequence[int] = ()) -> list[list[_Grown]]:
    """Lines joined into balloons: connected when their grown paper touches (union-find). A line of marks
    alone (`...`, `?!`) never joins worded lines: dots beside a balloon are art (sparkles, rain)."""
    marks = set(marks_only)
    parent = list(range(len(grown)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(grown)):
        for j in range(i + 1, len(grown)):
            if (grown[i].index in marks) != (grown[j].index in marks):
                continue
            if root(i) != root(j) and _touching(grown[i], grown[j]):
                parent[root(j)] = root(i)
    groups: dict[int, list[_Grown]] = {}
    for i, g in enumerate(grown):
        groups.setdefault(root(i), []).append(g)
    return list(groups.values())


def _union(boxes: list[Box]) -> Box:
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[0] + b[2] for b in boxes), max(b[1] + b[3] for b in boxes)
    return (x0, y0, x1 - x0, y1 - y0)


def _group_balloon(group: list[_Grown], closed: bool = False) -> tuple[Box, str] | None:
    """The balloon box of a group of lines and its kind, or None when the lines do not sit in a balloon:
    paper no wider than the lettering (text on art), or paper open on three sides or more (text on a page
    margin or a light background, not in a shape). Open sides (a balloon crossing into a gutter) are
    bounded at a usual balloon margin of 0.8 line heights; with `closed`, any open side drops the group. On
    a closed side whose paper reaches beyond that usual margin and further than the balloon's own paper
    (`_own_margins`) by more than LEAK line heights, the paper leaked out through a break in the outline
    and came back round: the box stops at the own paper. A usual margin, or a little more than the own
    paper (the outline's scallops, a bump), is kept."""
    text = _union([g.line for g in group])
    height = float(np.median([g.line[3] for g in group]))
    paper_around = _paper_around(group, text)
    margins = _cross_margins(paper_around)
    if sum(m >= 0.25 * height for m in margins) < 2:
        return None
    reach = TEXT_GROWTH * height
    open_sides = [m >= OPEN_SIDE * reach for m in margins]
    if sum(open_sides) >= (1 if closed else 3):
        return None
    pad = int(round(0.8 * height))
    wide = any(m > pad and not is_open for m, is_open in zip(margins, open_sides, strict=True))
    own = _own_margins(paper_around) if wide else margins  # only a wide closed side can have leaked
    x0, y0, x1, y1 = (
        _side_margin(m, o, is_open, pad, height)
        for m, o, is_open in zip(margins, own, open_sides, strict=True)
    )
    box = (text[0] - x0, text[1] - y0, text[2] + x0 + x1, text[3] + y0 + y1)
    ys, xs = np.mgrid[box[1] : box[1] + box[3] : 2, box[0] : box[0] + box[2] : 2]
    paper = np.zeros(xs.shape, bool)
    for g in group:
        paper |= _sample(g, xs, ys)
    rectangular = paper.mean() >= 0.9  # a box fills its bounds; an oval fills about 79 %
    return box, "caption" if rectangular and not any(open_sides) else "speech"


def _side_margin(reached: int, own: int, is_open: bool, pad: int, height: float) -> int:
    """One side's margin of a balloon box: an open side is capped at a usual margin (`pad`); a closed side
    wider than that, whose paper reaches more than LEAK line heights beyond the balloon's own paper, stops
    at the own paper (a leak); any other side reaches as far as its paper."""
    if is_open:
        return min(reached, pad)
    return own if reached > pad and reached - own > LEAK * height else reached


PaperAround = tuple[np.ndarray, int, int, int, int]
"""A group's grown paper over the box of all of it, and where its lettering lies in that box (x0, y0, x1, y1)."""


def _paper_around(group: list[_Grown], text: Box) -> PaperAround:
    """The group's `PaperAround`, built once for both its cross and its own margins."""
    shape = _union([g.page_box() for g in group])
    ys, xs = np.mgrid[shape[1] : shape[1] + shape[3], shape[0] : shape[0] + shape[2]]
    mask = np.zeros(xs.shape, bool)
    for g in group:
        mask |= _sample(g, xs, ys)
    tx0, ty0 = text[0] - shape[0], text[1] - shape[1]
    return mask, tx0, ty0, tx0 + text[2], ty0 + text[3]


def _cross_margins(paper_around: PaperAround) -> tuple[int, int, int, int]:
    """How far the group's paper reaches beyond its lettering to the left and right (along the lettering's
    rows) and above and below (along its columns): paper that leaks round a corner into a gutter does not
    widen the balloon."""
    mask, tx0, ty0, tx1, ty1 = paper_around
    rows: np.ndarray = np.asarray(mask[ty0:ty1].any(axis=0))
    cols: np.ndarray = np.asarray(mask[:, tx0:tx1].any(axis=1))
    left = tx0 - int(np.argmax(rows)) if rows.any() else 0
    right = int(len(rows) - np.argmax(rows[::-1])) - tx1 if rows.any() else 0
    top = ty0 - int(np.argmax(cols)) if cols.any() else 0
    bottom = int(len(cols) - np.argmax(cols[::-1])) - ty1 if cols.any() else 0
    return max(0, left), max(0, top), max(0, right), max(0, bottom)


def _own_margins(paper_around: PaperAround) -> tuple[int, int, int, int]:
    """How far the balloon's own paper reaches beyond its lettering, left, top, right and bottom: the rows
    above and below count while their paper spans PAPER_SPAN of the middle half of the lettering's columns
    (from its first paper column to its last: lettering the text detector missed leaves paper between its
    letters), the columns beside it while theirs spans that much of the middle half of its rows, up to the
    first that does not. Paper that leaks out through a gap in the outline as a thin strand and spreads
    beyond it (a hat's white brim over a balloon on a B/W scan) is not counted, as `_cross_margins`
    counts it."""
    mask, tx0, ty0, tx1, ty1 = paper_around
    my, mx = (ty1 - ty0) // 4, (tx1 - tx0) // 4
    rows = _spans(mask[ty0 + my : ty1 - my].T) >= PAPER_SPAN
    cols = _spans(mask[:, tx0 + mx : tx1 - mx]) >= PAPER_SPAN
    left, right = _unbroken(rows[: max(0, tx0)][::-1]), _unbroken(rows[tx1:])
    top, bottom = _unbroken(cols[: max(0, ty0)][::-1]), _unbroken(cols[ty1:])
    return left, top, right, bottom


def _spans(band: np.ndarray) -> np.ndarray:
    """For each row of a boolean band, the share of its width from its first set cell to its last (0 when
    none is set): paper between letters spans the band, a strand leaking through a gap does not."""
    width = band.shape[1]
    if width == 0:
        return np.zeros(band.shape[0])
    first = np.argmax(band, axis=1)
    last = width - 1 - np.argmax(band[:, ::-1], axis=1)
    return np.where(band.any(axis=1), (last - first + 1) / width, 0.0)


def _unbroken(flags: np.ndarray) -> int:
    """How many of `flags` are set before the first unset one."""
    return len(flags) if flags.all() else int(np.argmin(flags))


def _intersection(a: Box, b: Box) -> Box:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    return (x0, y0, max(1, x1 - x0), max(1, y1 - y0))


def covers(outer: Box, point: tuple[float, float], margin: float = 0.0) -> bool:
    x, y, w, h = outer
    return x - margin <= point[0] <= x + w + margin and y - margin <= point[1] <= y + h + margin


@dataclass(frozen=True)
class TextBalloon:
    """A balloon grown from lettering: page box, kind, and which of the page's text lines it holds."""

    box: Box
    kind: str
    lines: tuple[int, ...]
    by_layout: bool = False  # grouped by layout alone (no paper grew round it): an outline holding it wins


def balloons_from_text(
    image: Any, lines: Sequence[Box], marks_only: Sequence[int] = (), short: Sequence[int] = ()
) -> list[TextBalloon]:
    """Balloons around text lines: each line grows through the paper colour under it, lines sharing paper
    join, and groups without a paper margin around them are dropped. A group made only of `marks_only`
    lines (pseudo-lines round a lone `...`, tools/panels/ellipsis.py) must be closed on every side.
    `short` lines are lettered in x-height letters only (`...mmm`): their size is judged accordingly."""
    rgb = np.asarray(image.convert("RGB")) if hasattr(image, "convert") else np.asarray(image)
    if rgb.ndim == 2:
        rgb = cv2.cvtColor(rgb, cv2.COLOR_GRAY2RGB)
    grown = []
    for index, line in enumerate(lines):
        x, y, w, h = (int(v) for v in line)
        g = _grow_line(rgb, (x, y, w, h))
        if g is not None:
            g.index, g.short = index, index in short
            grown.append(g)
    out = []
    for group in _groups(grown, marks_only):
        balloon = _group_balloon(group, closed=all(g.index in marks_only for g in group))
        if balloon is not None:
            out.append(TextBalloon(balloon[0], balloon[1], tuple(sorted(g.index for g in group))))
    return out


def _same_block(a: Box, b: Box) -> bool:
    """True when two lines read as one block of lettering by layout alone: lettered at one size (heights
    within 1.5 x), at most JOIN_GAP line heights apart, overlapping in x when one is above the other, and
    sharing an alignment (centred, or flush left or right)."""
    gx, gy = _line_gap(a, b)
    height = min(a[3], b[3])
    if max(a[3], b[3]) > 1.5 * height or gy > JOIN_GAP * height or gx > JOIN_GAP * height:
        return False
    return not misaligned(a, b)


def layout_groups(lines: Sequence[Box]) -> list[list[int]]:
    """Lines joined into blocks by layout (line height, gaps, alignment; see `_same_block`), without
    looking at the paper: how lettering on open paper or on art is grouped. Indexes, top to bottom."""
    parent = list(range(len(lines)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(lines)):
        for j in range(i + 1, len(lines)):
            if root(i) != root(j) and _same_block(lines[i], lines[j]):
                parent[root(j)] = root(i)
    groups: dict[int, list[int]] = {}
    for i in range(len(lines)):
        groups.setdefault(root(i), []).append(i)
    return [sorted(g, key=lambda i: (lines[i][1], lines[i][0])) for g in groups.values()]


def lettering_box(image: Any, lines: Sequence[Box], pad: float) -> tuple[Box, bool]:
    """The box of a block of lettering that grew no balloon, and whether it stands on light paper: its
    lines' box widened on each side by the light paper round it, at most `pad` line heights (a tight
    balloon keeps its own margins; lettering on open paper or on art gets `pad`)."""
    rgb = np.asarray(image.convert("RGB")) if hasattr(image, "convert") else np.asarray(image)
    if rgb.ndim == 2:
        rgb = cv2.cvtColor(rgb, cv2.COLOR_GRAY2RGB)
    text = _union(list(lines))
    cap = int(round(pad * float(np.median([line[3] for line in lines]))))
    boxes = [(int(x), int(y), int(w), int(h)) for x, y, w, h in lines]
    grown = [g for g in (_grow_line(rgb, box) for box in boxes) if g is not None]
    margins = [min(m, cap) for m in _cross_margins(_paper_around(grown, text))] if grown else [cap] * 4
    x0, y0 = max(0, text[0] - margins[0]), max(0, text[1] - margins[1])
    x1 = min(rgb.shape[1], text[0] + text[2] + margins[2])
    y1 = min(rgb.shape[0], text[1] + text[3] + margins[3])
    return (x0, y0, x1 - x0, y1 - y0), bool(grown)


def _box_iou(a: Box, b: Box) -> float:
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    union = a[2] * a[3] + b[2] * b[3] - ix * iy
    return ix * iy / union if union else 0.0


def _centre(box: Box) -> tuple[float, float]:
    return box[0] + box[2] / 2, box[1] + box[3] / 2


def _fits_lettering(box: Box, lines: Sequence[Box]) -> bool:
    """True when the lines inside a box span a balloon's share of it (half its width, a third of its height)."""
    inside = [line for line in lines if covers(box, _centre(line))]
    if not inside:
        return False
    text = _union(list(inside))
    return text[2] >= 0.5 * box[2] and text[3] >= 0.3 * box[3]


def _lobes(grown: TextBalloon, found: Sequence[BalloonBox], lines: Sequence[Box]) -> list[int]:
    """Outline balloons that share a grown balloon's lines between them, each line in exactly one: the lobes
    of joined balloons, which the outline finder told apart (empty when there are not two such)."""
    holders = [n for n, b in enumerate(found) if any(covers(b.box, _centre(lines[i])) for i in grown.lines)]
    if len(holders) < 2:
        return []
    for i in grown.lines:
        if sum(covers(found[n].box, _centre(lines[i])) for n in holders) != 1:
            return []
    return holders


def reconcile(
    found: Sequence[BalloonBox], text: Sequence[TextBalloon], lines: Sequence[Box]
) -> list[tuple[Box, str, BalloonBox | None, tuple[int, ...]]]:
    """Outline balloons checked against the lettering. One that agrees with the single balloon grown from
    its lines (IoU >= AGREEMENT, holding all its lines) replaces it (it knows its tail) and takes the lines
    wholly inside it that grew no balloon (a hand-lettered line whose paper did not grow: the grown balloon
    and those lines are what is compared with the outline), and so do outline
    balloons that split a grown balloon's lines between them (joined balloons); one near no grown
    balloon stays when its lines fill it; one that holds no line is art, and one that spans several grown
    balloons or is a piece of one gives way to them. Captions grouped by layout alone only fill the gaps:
    one is kept when none of its lines is held by what was kept. Returns (box, kind, outline or None, its
    lines)."""
    kept = _reconcile_grown(found, [t for t in text if not t.by_layout], lines)
    held = {i for *_, lines_held in kept for i in lines_held}
    for t in text:
        if t.by_layout and held.isdisjoint(t.lines):
            kept.append((t.box, t.kind, None, t.lines))
    return kept


def _reconcile_grown(
    found: Sequence[BalloonBox], text: Sequence[TextBalloon], lines: Sequence[Box]
) -> list[tuple[Box, str, BalloonBox | None, tuple[int, ...]]]:
    """`reconcile` for the outline balloons and the balloons grown through paper."""
    kept: list[tuple[Box, str, BalloonBox | None, tuple[int, ...]]] = []
    used: set[int] = set()
    lobes: set[int] = set()
    grown_lines = {i for t in text for i in t.lines}
    for t, grown in enumerate(text):
        for n in _lobes(grown, found, lines):
            held = tuple(i for i in grown.lines if covers(found[n].box, _centre(lines[i])))
            kept.append((found[n].box, found[n].kind, found[n], held))
            lobes.add(n)
            used.add(t)
    for n, balloon in enumerate(found):
        if n in lobes:
            continue
        near = [i for i, t in enumerate(text) if _box_iou(t.box, balloon.box) > 0 and i not in used]
        if len(near) == 1:
            grown = text[near[0]]
            holds = all(covers(balloon.box, _centre(lines[i])) for i in grown.lines)
            free = [i for i, line in enumerate(lines) if i not in grown_lines and within(line, balloon.box)]
            extent = _union([grown.box, *(lines[i] for i in free)])  # what the lettering fills
            if _box_iou(extent, balloon.box) >= AGREEMENT and holds:
                kept.append((balloon.box, balloon.kind, balloon, tuple(sorted({*grown.lines, *free}))))
                used.add(near[0])
        elif not near and _fits_lettering(balloon.box, lines):
            inside = tuple(i for i, line in enumerate(lines) if covers(balloon.box, _centre(line)))
            kept.append((balloon.box, balloon.kind, balloon, inside))
    kept += [(t.box, t.kind, None, t.lines) for i, t in enumerate(text) if i not in used]
    return kept


def merge_text_balloons(
    found: Sequence[BalloonBox],
    text: Sequence[TextBalloon],
    lines: Sequence[Box],
    panels: Sequence[Box],
    rtl: bool = False,
) -> list[tuple[BalloonBox, str, tuple[int, ...]]]:
    """Outline balloons and balloons grown from text together (see `reconcile`), each given its panel, in
    reading order, with where it came from ("outline" or "text") and the text lines it holds."""
    items = []
    for box, kind, outline, held in reconcile(found, text, lines):
        if outline is not None:
            items.append((outline, "outline", held))
            continue
        inside = [(p[2] * p[3], i) for i, p in enumerate(panels) if covers(p, _centre(box))]
        items.append((BalloonBox(box, kind, min(inside)[1] if inside else None), "text", held))
    ordered: list[tuple[BalloonBox, str, tuple[int, ...]]] = []
    for panel in [*range(len(panels)), None]:
        group = [item for item in items if item[0].panel == panel]
        ordered += [group[i] for i in reading_order([item[0].box for item in group], rtl=rtl)]
    return ordered
