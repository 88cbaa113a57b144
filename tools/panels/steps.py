"""Panel extraction steps, run in order on a `Page`: grayscale, deskew, binarise, denoise, gutters,
split/merge, frames (framed vs frameless), lettering, insets, order.

The layout is found by recursive cuts along gutters (rows, then columns, then rows...) of the filled
layout mask (ink, painted or toned areas, framed panels filled in: tools/panels/content.py), which works
for line art, painted pages, framed and frameless panels alike. A gutter is a blank run with a straight
panel edge on at least one side (ragged art on both sides is one frameless panel), or a run that a figure
or a balloon obstructs but that solid panel edges bound on both sides; tiers out of line, which no
straight gutter separates, are cut along a stepped one (tools/panels/stepped.py). Contours then tighten
framed panels, split cells that a balloon bridged, and find insets; a panel whose frame a figure breaks is
fitted to the rectangle its rows and columns mostly fill. Tiny cells (page numbers, specks) and frameless
cells that hold only lettering (titles, credits) are dropped. A line drawn around several panels is no panel;
a page on a dark background is read from what differs from it; a scanner's dark surround is cut away.
"""

from __future__ import annotations

import cv2
import numpy as np

from tools.panels.content import (
    background_content,
    content_mask,
    dark_background,
    dark_gutters,
    filled_layout,
    scan_border,
)
from tools.panels.dividers import strip_dividers
from tools.panels.lettering import holds_only_lettering
from tools.panels.order import reading_order
from tools.panels.page import LAYOUT_HEIGHT, WORK_HEIGHT, Box, Cell, Page, step
from tools.panels.stepped import find_stepped, split_masks

MIN_GUTTER = 0.005  # of the page height: narrower blank runs are not gutters
TIGHT_GUTTER = 0.0035  # ... but a run between tiers with solid panel edges on both sides may be this narrow
MIN_PANEL = 0.04  # of the page side: smaller cells are page numbers or specks
MIN_PANEL_AREA = 0.008  # of the page area
OBSTRUCTED = 0.3  # a gutter run may be this covered (a figure, a balloon across it) ...
SOLID = 0.75  # ... when solid panel edges (this covered) bound it on both sides
CROSSED = 0.4  # a gutter between tiers may be this covered where balloons and heads cross it ...
CROSSINGS = 6  # ... by at most this many pieces, covering at most CROSSED_SPAN of its length
CROSSED_SPAN = 0.5
MAX_GUTTER = 0.06  # of the page side: an obstructed run wider than this is not a gutter
STEPPED_WIDTH = 0.8  # of the page width: a region this wide ...
STEPPED_HEIGHT = 0.35  # ... and this tall (two tiers at least) may be cut along a stepped tier gutter
FIT_SHARE = 0.25  # a solid cell's rows and columns less covered than this are art poking out
STRAIGHT = 0.6  # a piece's edge facing a gap is straight when this share of it is content


@step("grayscale")
def grayscale(page: Page) -> None:
    """Gray image, scaled down to at most WORK_HEIGHT pixels tall."""
    image = page.original
    gray = image if image.ndim == 2 else cv2.cvtColor(image[..., :3], cv2.COLOR_RGB2GRAY)
    page.scale = min(1.0, WORK_HEIGHT / gray.shape[0])
    if page.scale < 1.0:
        gray = cv2.resize(gray, None, fx=page.scale, fy=page.scale, interpolation=cv2.INTER_AREA)
    page.gray = np.ascontiguousarray(gray, dtype=np.uint8)
    if image.ndim == 3 and not _is_gray(image):  # colour at half the work size is enough for layout
        colour = np.ascontiguousarray(image[..., :3])
        half = (max(1, gray.shape[1] // 2), max(1, gray.shape[0] // 2))
        colour = cv2.resize(colour, half, interpolation=cv2.INTER_AREA)
        page.ab = np.ascontiguousarray(cv2.cvtColor(colour, cv2.COLOR_RGB2LAB)[..., 1:])
    page.debug("grayscale", lambda: gray)


def _is_gray(image: np.ndarray) -> bool:
    """True when an RGB page carries no colour (its channels agree on a sample of pixels)."""
    sample = image[:: max(1, image.shape[0] // 64), :: max(1, image.shape[1] // 64), :3].astype(np.int16)
    return bool(np.abs(sample - sample.mean(axis=2, keepdims=True)).max() <= 4)


def _flatten(gray: np.ndarray) -> np.ndarray:
    """Divide by a paper estimate (a blurred max filter), so yellowed, uneven paper turns white."""
    small = cv2.resize(
        gray, (max(8, gray.shape[1] // 8), max(8, gray.shape[0] // 8)), interpolation=cv2.INTER_AREA
    )
    paper = cv2.dilate(small, np.ones((7, 7), np.uint8))
    paper = cv2.GaussianBlur(paper, (0, 0), 3)
    paper = cv2.resize(paper, (gray.shape[1], gray.shape[0]), interpolation=cv2.INTER_LINEAR)
    return cv2.divide(gray, np.maximum(paper, 1), scale=255)


def _paper(gray: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Pixels as light as the page's paper (1) at mask size: where balloons are.

    Measured on the unflattened page (averaged down to mask size) against the paper's own tone (the
    brightest peak of the histogram) and its noise, so light painted areas of colour art stay out and
    outline-less balloons on art stay separate from it, while noisy or yellowed paper stays paper.
    """
    small = cv2.resize(gray, size, interpolation=cv2.INTER_AREA) if size != gray.shape[::-1] else gray
    otsu, _ = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    hist = cv2.calcHist([small], [0], None, [256], [0, 256]).ravel()
    start = int(otsu) + 1
    peak = np.convolve(hist[start:], np.ones(5) / 5, mode="same")
    mode = start + int(np.argmax(peak)) if peak.size else 255
    right = hist[mode:]
    spread = np.arange(right.size, dtype=np.float64)
    sigma = float(np.sqrt((right * spread**2).sum() / right.sum())) if right.sum() else 0.0
    threshold = max(mode - max(0.12 * mode, 4.0 * sigma), (otsu + mode) / 2)
    return (small >= threshold).astype(np.uint8)


def _skew_score(ys: np.ndarray, xs: np.ndarray, angle: float, rows: int) -> float:
    """Sharpness of the row profile of ink points sheared by `angle` (small-angle rotation). Points
    sheared past the top or bottom get rows of their own (clipping them would pile them into the first
    and last rows and favour the steepest angle on wide strips)."""
    shifted = np.round(ys + xs * np.tan(np.radians(angle))).astype(np.int64)
    if shifted.size == 0:
        return 0.0
    profile = np.bincount(shifted - shifted.min()).astype(np.float64)
    return float(np.square(np.diff(profile)).sum())


def _profile_angle(gray: np.ndarray, width: int, angles: np.ndarray) -> tuple[float, float, float]:
    """The angle (of `angles`) whose sheared row profile of the Otsu ink is sharpest, its score, and score(0)."""
    f = min(1.0, width / gray.shape[1])
    small = cv2.resize(gray, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    _, mask = cv2.threshold(small, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    ys, xs = np.nonzero(mask)
    xs = xs - small.shape[1] / 2
    scores = [_skew_score(ys, xs, a, small.shape[0]) for a in angles]
    best = int(np.argmax(scores))
    return float(angles[best]), scores[best], _skew_score(ys, xs, 0.0, small.shape[0])


@step("deskew")
def deskew(page: Page, max_angle: float = 2.5) -> None:
    """Find the angle that makes the row profile sharpest (gutters, borders, text lines) and undo it."""
    assert page.gray is not None
    h, w = page.gray.shape
    coarse, _, _ = _profile_angle(page.gray, 400, np.arange(-max_angle, max_angle + 1e-6, 0.25))
    fine, best, flat = _profile_angle(page.gray, 640, np.arange(coarse - 0.2, coarse + 0.2 + 1e-6, 0.05))
    page.angle = 0.0 if best <= 1.02 * flat else round(fine, 2)
    if page.angle:
        # a shear by +a lines rows up like a counter-clockwise rotation by -a (y points down)
        page.to_work = cv2.getRotationMatrix2D((w / 2, h / 2), -page.angle, 1.0)
        page.gray = cv2.warpAffine(
            page.gray, page.to_work, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
        if page.ab is not None:  # the same turn at half size: same rotation, half the shift
            half = page.to_work * np.array([[1, 1, 0.5], [1, 1, 0.5]])
            size = (page.ab.shape[1], page.ab.shape[0])
            page.ab = cv2.warpAffine(
                page.ab, half, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
            )
    deskewed = page.gray
    page.debug("deskew", lambda: deskewed)


@step("binarise")
def binarise(page: Page) -> None:
    """Ink mask (1 = ink): paper flattened, Otsu's threshold, then pooled down to LAYOUT_HEIGHT.

    Pooling keeps a pixel as ink when any pixel it covers is ink, so thin frames stay closed.
    """
    assert page.gray is not None
    flat = _flatten(page.gray)
    _, ink = cv2.threshold(flat, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    k = max(1, ink.shape[0] // LAYOUT_HEIGHT)
    if k > 1:
        ink = cv2.dilate(ink, np.ones((k, k), np.uint8), anchor=(0, 0))[::k, ::k]
    size = (ink.shape[1], ink.shape[0])
    paper = _paper(page.gray, size)
    page.pool = k
    page.ink = np.ascontiguousarray(ink)
    page.paper = np.ascontiguousarray(paper)
    small = cv2.resize(page.gray, size, interpolation=cv2.INTER_AREA) if k > 1 else page.gray
    level = dark_background(small)
    top = bottom = left = right = 0
    if level is not None and not dark_gutters(small, level):  # a scanner's surround, not black gutters
        top, bottom, left, right = scan_border(small)
        level = None if top or bottom or left or right else level
    page.dark = level is not None
    page.content = (
        background_content(small, level) if level is not None else content_mask(small, page.ab, paper)
    )
    for mask in (page.ink, page.content):  # a scanner's dark surround is no art
        mask[:top], mask[mask.shape[0] - bottom :] = 0, 0
        mask[:, :left], mask[:, mask.shape[1] - right :] = 0, 0
    page.debug("binarise", lambda: 255 - ink * 255)


@step("denoise")
def denoise(page: Page) -> None:
    """Drop ink specks (dust, noise, lone halftone dots) smaller than a punctuation mark."""
    assert page.ink is not None
    n, labels, stats, _ = cv2.connectedComponentsWithStats(page.ink, connectivity=8)
    min_area = max(3, round(12 * (page.height / 1600) ** 2))
    keep = stats[:, cv2.CC_STAT_AREA] >= min_area
    keep[0] = False
    clean = keep[labels].astype(np.uint8)
    page.clean = clean
    content = page.content if page.content is not None else np.zeros_like(clean)
    layout = content if page.dark else clean | content
    page.filled = filled_layout(layout, max(3, round(0.005 * page.height)))
    page.debug("denoise", lambda: 255 - clean * 255)


def _runs(blank: np.ndarray) -> list[tuple[int, int]]:
    """Start/end of each run of True values."""
    padded = np.concatenate(([False], blank, [False]))
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return list(zip(edges[::2], edges[1::2], strict=True))


def _trim(mask: np.ndarray, box: Box) -> Box | None:
    """The ink bounding box inside `box`, or None when it holds no ink."""
    x, y, w, h = box
    region = mask[y : y + h, x : x + w]
    rows, cols = np.flatnonzero(region.any(axis=1)), np.flatnonzero(region.any(axis=0))
    if rows.size == 0:
        return None
    return (x + int(cols[0]), y + int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1))


def _segments(page: Page, mask: np.ndarray, box: Box, axis: int) -> list[Box]:
    """Split `box` along gutters across it (axis 1: rows/tiers, axis 0: columns)."""
    x, y, w, h = box
    region = mask[y : y + h, x : x + w]
    profile = region.sum(axis=axis, dtype=np.int32)
    gaps = _gutters(page, region, profile, axis)
    if not gaps and page.clean is not None and mask is page.filled:
        gaps = _hairlines(page, page.clean[y : y + h, x : x + w], axis)
    cuts = [0] + [v for a, b in gaps for v in (a, b)] + [len(profile)]
    pieces = []
    for a, b in zip(cuts[::2], cuts[1::2], strict=True):
        sub = (x, y + a, w, b - a) if axis == 1 else (x + a, y, b - a, h)
        trimmed = _trim(mask, sub) if b > a else None
        if trimmed:
            pieces.append(trimmed)
    return _merge_slivers(page, pieces, axis)


def _gutters(page: Page, region: np.ndarray, profile: np.ndarray, axis: int) -> list[tuple[int, int]]:
    """Runs of the profile that are gutters: blank with a straight edge beside them, or obstructed
    (a figure or balloon across) but bounded by solid panel edges on both sides."""
    length = region.shape[1] if axis == 1 else region.shape[0]
    coverage = profile / max(1, length)
    side = page.height if axis == 1 else page.width
    min_gap = max(3, round(MIN_GUTTER * page.height))
    solid_gap = max(3, round(TIGHT_GUTTER * page.height)) if axis == 1 else min_gap
    blank = _runs(profile <= max(1, int(0.003 * length)))
    gaps = []
    for a, b in _runs(coverage <= OBSTRUCTED):
        inner = [(s, e) for s, e in blank if a <= s and e <= b and 0 < s and e < len(profile)]
        bounded = _bounded(a, b, len(profile), solid_gap, side)
        if (
            bounded
            and _solid_crossings(region, axis, a, b, min_gap)
            and _solid_bounds(page, region, axis, a, b)
        ):
            gaps.append((a, b))
        elif inner:
            s, e = max(inner, key=lambda r: r[1] - r[0])
            if e - s >= min_gap and _straight_side(page, region, axis, s, e):
                gaps.append((s, e))
    if axis == 1:
        gaps = sorted(gaps + _crossed_gutters(page, region, coverage, gaps, solid_gap, min_gap))
    return gaps


def _bounded(a: int, b: int, length: int, min_gap: int, side: int) -> bool:
    """True when the run [a, b) has content at both ends and is gutter-wide: min_gap to MAX_GUTTER."""
    return 0 < a and b < length and min_gap <= b - a <= MAX_GUTTER * side


def _crossed_gutters(
    page: Page,
    region: np.ndarray,
    coverage: np.ndarray,
    found: list[tuple[int, int]],
    solid_gap: int,
    min_gap: int,
) -> list[tuple[int, int]]:
    """Gutters between tiers that balloons and heads cross more than OBSTRUCTED allows: runs at most
    CROSSED covered, by a few solid pieces, with solid panel edges above and below (as `_solid_bounds`)."""
    out = []
    for a, b in _runs(coverage <= CROSSED):
        if any(a < e and s < b for s, e in found):
            continue
        bounded = _bounded(a, b, len(coverage), solid_gap, page.height)
        if bounded and _few_crossings(region[a:b], min_gap) and _solid_bounds(page, region, 1, a, b):
            out.append((a, b))
    return out


def _solid_crossings(region: np.ndarray, axis: int, a: int, b: int, min_gap: int) -> bool:
    """True unless what obstructs a gutter between panels of a tier (columns) is art spread along it: a
    screen tone fallen apart into dots inside a toned panel, not a balloon or a figure across a gutter.
    Looked at in the run's middle third, since hand-inked frames wander into its sides. Between tiers
    (rows) it is not asked: a tier gutter runs across the page, crossed by the heads and balloons of
    several panels (`_crossed_gutters` asks it of the runs it adds)."""
    if axis == 1:
        return True
    third = (b - a) // 3
    return _few_crossings(region.T[a + third : b - third], min_gap)


def _few_crossings(rows: np.ndarray, min_gap: int) -> bool:
    """True when what covers these rows is a few solid pieces (a balloon, a head across a gutter), not
    art spread along them (a screen tone falling apart into dots inside a panel)."""
    covered = rows.any(axis=0).astype(np.uint8)[None, :]
    closed = cv2.morphologyEx(covered, cv2.MORPH_CLOSE, np.ones((1, min_gap), np.uint8))[0].astype(bool)
    return len(_runs(closed)) <= CROSSINGS and closed.mean() <= CROSSED_SPAN


def _hairlines(page: Page, ink: np.ndarray, axis: int) -> list[tuple[int, int]]:
    """Gutters too thin for the filled mask (its sealing closes them): blank runs of the ink with a
    straight frame edge on both sides, as on tight page templates."""
    length = ink.shape[1] if axis == 1 else ink.shape[0]
    profile = ink.sum(axis=axis, dtype=np.int32)
    runs = _runs(profile <= max(1, int(0.003 * length)))
    inside = [(a, b) for a, b in runs if 0 < a and b < len(profile)]
    return [(a, b) for a, b in inside if _straight_side(page, ink, axis, a, b, both=True)]


def _solid_bounds(page: Page, region: np.ndarray, axis: int, a: int, b: int) -> bool:
    """True when panel edges (frame lines, painted borders) run along both sides of the run [a, b) and
    the run is open at an end, as a gutter is (frame corners or a curled page may touch some of its
    rows); inside a panel the frame's sides close every row of it off at both ends."""
    depth = max(2, round(0.01 * (page.height if axis == 1 else page.width)))
    lines = region if axis == 1 else region.T
    crossed = lines[a:b].all(axis=0)  # where one line crosses the whole run (a frame's side)
    if _crossed_near_both_ends(crossed, 0, len(crossed)):
        return False  # near both ends a frame's side runs through every row of it: inside a panel
    before, after = lines[max(0, a - depth) : a], lines[b : b + depth]
    wide = b - a >= 2 * MIN_GUTTER * page.height  # across a narrow gutter two frames' corners may touch
    if wide and _crossed_near_both_ends(crossed, *_art_span(before, after)):
        return False  # the same near both ends of the art beside it (a taller neighbour is no end)
    return _edge_share(before) >= SOLID and _edge_share(after) >= SOLID


def _crossed_near_both_ends(crossed: np.ndarray, start: int, stop: int) -> bool:
    """True when a line crosses the whole run within 3 % of the span [start, stop) from each of its ends:
    one panel's frame, around a pillar or a doorway inside it, not a gutter between two panels."""
    if stop - start < 2:
        return False
    end = max(2, round(0.03 * (stop - start)))
    return bool(crossed[start : start + end].any() and crossed[stop - end : stop].any())


def _art_span(before: np.ndarray, after: np.ndarray) -> tuple[int, int]:
    """Where the art beside a run begins and ends along it (beside a taller neighbour, a panel's frame
    lies well inside the region's ends); (0, 0) when there is none."""
    ink = np.flatnonzero(before.any(axis=0) | after.any(axis=0))
    return (int(ink[0]), int(ink[-1]) + 1) if ink.size >= 2 else (0, 0)


def _straight_side(page: Page, region: np.ndarray, axis: int, a: int, b: int, both: bool = False) -> bool:
    """True when the art just before or just after the gap [a, b) (`both`: before and after) ends along
    a straight edge (a frame, a painted panel's border), not raggedly (pieces of one frameless drawing,
    lines of lettering)."""
    depth = max(2, round(0.02 * (page.height if axis == 1 else page.width)))
    lines = region if axis == 1 else region.T  # rows across the gap direction
    before, after = lines[max(0, a - depth) : a], lines[b : b + depth]
    straight = [_edge_share(band) >= STRAIGHT for band in (before, after)]
    return all(straight) if both else any(straight)


def _edge_share(band: np.ndarray) -> float:
    """Share of the positions along a band that hold content."""
    return float(band.any(axis=0).mean()) if band.size else 0.0


def _merge_slivers(page: Page, pieces: list[Box], axis: int) -> list[Box]:
    """Drop specks and page numbers; fold thin slivers of art into their nearest neighbour."""
    size_limit = MIN_PANEL * (page.height if axis == 1 else page.width)
    out: list[Box] = []
    for piece in pieces:
        if _is_speck(page, piece):
            continue
        if piece[axis + 2] < size_limit and out:
            out[-1] = _union(out[-1], piece)
        else:
            out.append(piece)
    if len(out) > 1 and out[0][axis + 2] < size_limit:
        out[1] = _union(out[0], out[1])
        out.pop(0)
    return out


def _is_speck(page: Page, box: Box) -> bool:
    _, _, w, h = box
    small = w < MIN_PANEL * page.width and h < MIN_PANEL * page.height
    return small or w * h < 0.25 * MIN_PANEL_AREA * page.width * page.height


def _union(a: Box, b: Box) -> Box:
    x0, y0 = min(a[0], b[0]), min(a[1], b[1])
    x1, y1 = max(a[0] + a[2], b[0] + b[2]), max(a[1] + a[3], b[1] + b[3])
    return (x0, y0, x1 - x0, y1 - y0)


def _xy_cut(page: Page, mask: np.ndarray, box: Box, rows_first: bool, depth: int, out: list[Box]) -> None:
    for axis in (1, 0) if rows_first else (0, 1):
        pieces = _segments(page, mask, box, axis)
        if len(pieces) > 1 and depth < 6:
            for piece in pieces:
                _xy_cut(page, mask, piece, rows_first=axis == 0, depth=depth + 1, out=out)
            return
        if len(pieces) == 1:
            box = pieces[0]
    halves = _stepped_halves(page, mask, box) if depth < 6 else []
    for half_mask, half_box in halves:
        _xy_cut(page, half_mask, half_box, rows_first=False, depth=depth + 1, out=out)
    if not halves:
        out.append(box)


def _stepped_halves(page: Page, mask: np.ndarray, box: Box) -> list[tuple[np.ndarray, Box]]:
    """The two tiers either side of a stepped gutter across `box` (tiers out of line:
    tools/panels/stepped.py), each with its own mask, once no straight gutter cuts it; [] when there is
    none. Only across (nearly) the page's width, as a gutter between tiers runs (inside one panel the
    blank rows of a screen tone or a break in a hand-inked frame would pass for one), and in a region
    tall enough for two tiers (a page's one wide panel is not searched)."""
    x, y, w, h = box
    if w < STEPPED_WIDTH * page.width or h < STEPPED_HEIGHT * page.height:
        return []
    region = mask[y : y + h, x : x + w]
    gutter = find_stepped(
        region,
        margin=round(MIN_PANEL * page.height),
        gap=(max(3, round(TIGHT_GUTTER * page.height)), round(MAX_GUTTER * page.height)),
        tolerance=max(2, round(0.01 * page.height)),
        max_step=round(0.1 * page.height),
    )
    if gutter is None:
        return []
    halves = [(half, _trim(half, box)) for half in split_masks(mask, box, gutter)]
    if any(b is None or _is_speck(page, b) for _, b in halves):
        return []
    return [(half, b) for half, b in halves if b is not None]


@step("gutters")
def gutters(page: Page) -> None:
    """Cut the page along gutters, recursively: tiers, then panels, then rows inside them (inside a
    border drawn around several panels, when there is one)."""
    assert page.filled is not None
    whole = _trim(page.filled, (0, 0, page.width, page.height))
    leaves: list[Box] = []
    inside = _inside_page_frame(page.filled, whole) if whole else None
    framed = _trim(page.filled, inside) if inside else None
    if framed:  # a border drawn around several panels is no panel; around one, it is that panel's frame
        _xy_cut(page, page.filled, framed, rows_first=True, depth=0, out=leaves)
    if whole and len(leaves) < 2:
        leaves = []
        _xy_cut(page, page.filled, whole, rows_first=True, depth=0, out=leaves)
    page.cells = [Cell(box) for box in leaves]
    page.debug("gutters", lambda: _draw_cells(page))


def _inside_page_frame(mask: np.ndarray, box: Box) -> Box | None:
    """The box inside a line drawn around all the panels (a strip's outer border), when a blank ring
    runs inside that line on all four sides; None when there is no such frame."""
    x, y, w, h = box
    region = mask[y : y + h, x : x + w]
    insets = []
    for band in (region, region[::-1], region.T, region.T[::-1]):  # top, bottom, left, right
        depth, length = band.shape
        middle = band[: max(3, depth // 8), length // 20 : length - length // 20]
        cover = middle.mean(axis=1)
        touched = np.flatnonzero(cover > 0.003)
        start = int(touched[0]) if touched.size else len(cover)
        line = start  # the frame line: rows with ink up to the first blank row (a tilted line spreads)
        while line < len(cover) and cover[line] > 0.003:
            line += 1
        blank = line
        while blank < len(cover) and cover[blank] <= 0.003:
            blank += 1
        thin = 0 < line - start <= max(4, depth // 40)
        if not (thin and cover[start:line].max() >= 0.8 and blank - line >= 2 and blank < len(cover)):
            return None
        insets.append(blank)
    top, bottom, left, right = insets
    return (x + left, y + top, w - left - right, h - top - bottom)


def _frames(page: Page, box: Box, mask: np.ndarray | None = None) -> list[Box]:
    """Boxes of closed, solid rectangular outlines (panel frames) filling a good share of `box`: drawn
    frames in the ink, or with `mask=page.content` the edges of painted rectangles."""
    assert page.clean is not None
    if mask is None and page.dark:  # on a dark background the ink mask is the background itself
        return []
    x, y, w, h = box
    region = np.ascontiguousarray((page.clean if mask is None else mask)[y : y + h, x : x + w])
    contours, _ = cv2.findContours(region, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    frames = []
    for contour in contours:
        cx, cy, cw, ch = cv2.boundingRect(contour)
        if (
            cw * ch >= 0.12 * w * h
            and cv2.contourArea(contour) >= 0.85 * cw * ch
            and _closed(region, (cx, cy, cw, ch))
        ):
            frames.append((x + cx, y + cy, cw, ch))
    return frames


def _closed(region: np.ndarray, box: Box) -> bool:
    """True when the box's four sides are mostly ink (a drawn frame, not a blob of art)."""
    x, y, w, h = box
    band = max(2, min(w, h) // 40)
    sides = [
        region[y : y + band, x : x + w],
        region[y + h - band : y + h, x : x + w],
        region[y : y + h, x : x + band],
        region[y : y + h, x + w - band : x + w],
    ]
    cover = [side.any(axis=0 if i < 2 else 1).mean() for i, side in enumerate(sides)]
    return min(cover) >= 0.9


@step("split_merge")
def split_merge(page: Page) -> None:
    """Split cells holding several frames or painted panels (a balloon or a figure bridged their
    gutter); drop tiny cells."""
    cells: list[Cell] = []
    for cell in page.cells:
        frames = _frames(page, cell.box)
        if len(frames) < 2 and page.content is not None:
            frames = _frames(page, cell.box, page.content)
        if len(frames) > 1 and not _overlapping(frames):
            cells += [Cell(f) for f in frames]
        else:
            cells.append(cell)
    big = MIN_PANEL_AREA * page.width * page.height
    page.cells = [c for c in cells if c.box[2] * c.box[3] >= big and not _is_speck(page, c.box)]
    page.debug("split_merge", lambda: _draw_cells(page))


def _overlapping(boxes: list[Box]) -> bool:
    return any(_iou(a, b) > 0 for i, a in enumerate(boxes) for b in boxes[i + 1 :])


def _iou(a: Box, b: Box) -> float:
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / float(a[2] * a[3] + b[2] * b[3] - inter) if inter else 0.0


@step("frameless")
def frameless(page: Page) -> None:
    """Tighten framed cells to their frame (drawn, or a painted rectangle's edge); fit cells a figure or
    balloon breaks out of to the rectangle they mostly fill; mark the rest frameless."""
    for cell in page.cells:
        frames = _frames(page, cell.box)
        painted = _frames(page, cell.box, page.content) if not frames and page.content is not None else []
        found = frames or painted
        if len(found) == 1 and found[0][2] * found[0][3] >= 0.6 * cell.box[2] * cell.box[3]:
            cell.box = found[0]
            cell.drawn = bool(frames)
        else:
            cell.frameless = True
            cell.box = _fit_rectangle(page, cell.box)
    page.debug("frameless", lambda: _draw_cells(page))


def _fit_rectangle(page: Page, box: Box) -> Box:
    """The rectangle of rows and columns that a mostly solid cell fills at least a little (so a head or a
    balloon poking out of a panel does not stretch its box); other cells are kept as they are."""
    assert page.filled is not None
    x, y, w, h = box
    region = page.filled[y : y + h, x : x + w]
    if region.size == 0 or region.mean() < 0.6:
        return box
    rows = np.flatnonzero(region.mean(axis=1) >= FIT_SHARE)
    cols = np.flatnonzero(region.mean(axis=0) >= FIT_SHARE)
    if rows.size == 0 or cols.size == 0:
        return box
    return (x + int(cols[0]), y + int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1))


@step("dividers")
def dividers(page: Page) -> None:
    """Cut a strip drawn as one box along the single lines that divide it (panels sharing one frame)."""
    assert page.clean is not None
    narrowest = round(MIN_PANEL * page.width)
    cells: list[Cell] = []
    for cell in page.cells:
        if not cell.drawn:
            cells.append(cell)
            continue
        boxes = strip_dividers(page.clean, cell.box, (page.width, page.height), narrowest)
        cells += [Cell(box, drawn=True) for box in boxes] if len(boxes) > 1 else [cell]
    page.cells = cells
    page.debug("dividers", lambda: _draw_cells(page))


@step("lettering")
def lettering(page: Page) -> None:
    """Drop cells without a drawn frame that hold only lettering (title strips, credits, signs)."""
    assert page.clean is not None
    kept = []
    for cell in page.cells:
        x, y, w, h = cell.box
        if cell.drawn or not holds_only_lettering(page.clean[y : y + h, x : x + w]):
            kept.append(cell)
    page.cells = kept
    page.debug("lettering", lambda: _draw_cells(page))


@step("insets")
def insets(page: Page) -> None:
    """Find small framed panels inside framed panels, set off by a white ring, holding art (not text)."""
    found: list[Cell] = []
    for index, cell in enumerate(page.cells):
        if not cell.frameless:
            found += [Cell(box, inset_of=index) for box in _insets_in(page, cell.box)]
    page.cells += found
    page.debug("insets", lambda: _draw_cells(page))


def _insets_in(page: Page, box: Box) -> list[Box]:
    assert page.clean is not None
    x, y, w, h = box
    region = page.clean[y : y + h, x : x + w].copy()
    band = max(2, round(0.004 * page.height))  # the host's own frame
    region[:band], region[-band:], region[:, :band], region[:, -band:] = 0, 0, 0, 0
    contours, _ = cv2.findContours(region, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    out = []
    for contour in contours:
        cx, cy, cw, ch = cv2.boundingRect(contour)
        if not (0.04 * w * h <= cw * ch <= 0.5 * w * h and cw >= 0.15 * w and ch >= 0.15 * h):
            continue
        if cv2.contourArea(contour) < 0.9 * cw * ch or not _closed(region, (cx, cy, cw, ch)):
            continue
        if _ringed(region, (cx, cy, cw, ch), band + 1) and _holds_art(region, (cx, cy, cw, ch)):
            out.append((x + cx, y + cy, cw, ch))
    return out


def _ringed(region: np.ndarray, box: Box, width: int) -> bool:
    """True when a band just outside the box is nearly blank (the white ring around an inset)."""
    x, y, w, h = box
    x0, y0 = max(0, x - width), max(0, y - width)
    x1, y1 = min(region.shape[1], x + w + width), min(region.shape[0], y + h + width)
    outer = region[y0:y1, x0:x1].sum() - region[y : y + h, x : x + w].sum()
    ring_area = (x1 - x0) * (y1 - y0) - w * h
    return ring_area > 0 and outer <= 0.02 * ring_area


def _holds_art(region: np.ndarray, box: Box) -> bool:
    """True when the inside holds a stroke longer than lettering (a horizon, a figure), not just text."""
    x, y, w, h = box
    m = max(3, min(w, h) // 12)
    inner = np.ascontiguousarray(region[y + m : y + h - m, x + m : x + w - m])
    if inner.size == 0:
        return False
    _, _, stats, _ = cv2.connectedComponentsWithStats(inner, connectivity=8)
    return bool(
        np.any((stats[1:, cv2.CC_STAT_WIDTH] >= 0.5 * w) | (stats[1:, cv2.CC_STAT_HEIGHT] >= 0.3 * h))
    )


@step("order")
def order(page: Page) -> None:
    """Put panels in reading order (tiers top to bottom, left to right or right to left; insets after)."""
    sequence = reading_order([c.box for c in page.cells], rtl=page.rtl)
    new_index = {old: new for new, old in enumerate(sequence)}
    cells = [page.cells[i] for i in sequence]
    for cell in cells:
        if cell.inset_of is not None:
            cell.inset_of = new_index[cell.inset_of]
    page.cells = cells
    page.debug("order", lambda: _draw_cells(page, numbered=True))


def _draw_cells(page: Page, numbered: bool = False) -> np.ndarray:
    assert page.ink is not None
    canvas = cv2.cvtColor(255 - page.ink * 255, cv2.COLOR_GRAY2BGR)
    for i, cell in enumerate(page.cells):
        x, y, w, h = cell.box
        colour = (
            (0, 160, 0) if cell.inset_of is not None else (0, 0, 255) if not cell.frameless else (255, 0, 0)
        )
        cv2.rectangle(canvas, (x, y), (x + w - 1, y + h - 1), colour, 3)
        if numbered:
            cv2.putText(canvas, str(i + 1), (x + 10, y + 40), cv2.FONT_HERSHEY_SIMPLEX, 1.2, colour, 3)
    return canvas


PANEL_STEPS = (
    grayscale,
    deskew,
    binarise,
    denoise,
    gutters,
    split_merge,
    frameless,
    dividers,
    lettering,
    insets,
    order,
)
