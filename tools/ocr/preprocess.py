"""Balloon crop preparation for OCR, as named steps: grey, interior, whiten outside, trim, upscale, binarise, lines.

`prepare_crop(image)` runs the steps; with `trace=dir` each step's image is saved for debugging.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

PAPER, INK = 255, 0


@dataclass
class PreparedCrop:
    """A binarised, upscaled balloon interior (ink 0 on paper 255) and its text-line row spans."""

    image: np.ndarray
    line_spans: list[tuple[int, int]]
    scale: float
    glyph_height: float
    steps: list[str] = field(default_factory=list)

    def to_pil(self) -> Image.Image:
        return Image.fromarray(self.image)

    def line_image(self, index: int, margin: int = 6) -> np.ndarray:
        top, bottom = self.line_spans[index]
        return np.pad(
            self.image[max(0, top - margin) : bottom + margin],
            ((margin, margin), (0, 0)),
            constant_values=PAPER,
        )


@dataclass
class PrepareOptions:
    """Knobs of the preparation; ensemble members vary them to get independent errors."""

    glyph_height: int = 40
    binarise: str = "otsu"  # "adaptive" for uneven scans, "none" keeps normalised grey
    remove_outline: bool = True
    pad: int = 12


def to_grey(image: Image.Image | np.ndarray) -> np.ndarray:
    """8-bit greyscale array of any PIL image or array."""
    if isinstance(image, Image.Image):
        return np.asarray(image.convert("L"))
    if image.ndim == 3:
        return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    return image.astype(np.uint8)


def ink_mask(grey: np.ndarray) -> np.ndarray:
    """True where there is ink (Otsu threshold; a blank crop has no ink)."""
    if grey.max() - grey.min() < 40:
        return np.zeros(grey.shape, dtype=bool)
    _, binary = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return binary == 0


def not_white(grey: np.ndarray) -> np.ndarray:
    """True where the crop is not near-white: finds a balloon without outline on grey or coloured art."""
    return grey < max(200, int(np.percentile(grey, 98)) - 25)


def balloon_interior(ink: np.ndarray, min_fraction: float = 0.2) -> np.ndarray | None:
    """The filled inside of the balloon outline: the paper region that fills most of the crop's centre.

    Lettering sits in the middle of a balloon, so the centre's paper is the interior. When that region
    also reaches three or four crop corners there is no outline around it (a bare interior crop): None.
    """
    paper = (~ink).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(paper, connectivity=4)
    height, width = ink.shape
    centre = labels[height // 4 : height - height // 4, width // 4 : width - width // 4]
    votes = np.bincount(centre.ravel(), minlength=count)
    votes[0] = 0
    best = int(votes.argmax())
    if not votes[best] or stats[best][4] < min_fraction * height * width:
        return None
    corners = [labels[0, 0], labels[0, -1], labels[-1, 0], labels[-1, -1]]
    if sum(corner == best for corner in corners) >= 3:
        return None
    region = (labels == best).astype(np.uint8)
    contours, _ = cv2.findContours(region, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    filled = np.zeros_like(region)
    cv2.drawContours(filled, contours, -1, 1, thickness=cv2.FILLED)
    return filled.astype(bool)


def whiten_outside(grey: np.ndarray, interior: np.ndarray | None, erode: int = 2) -> np.ndarray:
    """Paint everything outside the interior (outline, tail, art) as paper."""
    if interior is None:
        return grey
    mask = cv2.erode(interior.astype(np.uint8), np.ones((2 * erode + 1, 2 * erode + 1), np.uint8))
    out = grey.copy()
    out[mask == 0] = PAPER
    return out


def glyph_components(ink: np.ndarray) -> np.ndarray:
    """Stats rows (x, y, w, h, area) of ink blobs big enough to be letters or marks."""
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    stats = stats[1:count]
    return stats[(stats[:, 4] >= 4) & (stats[:, 3] >= 3)]


def trim_to_text(grey: np.ndarray, ink: np.ndarray, margin: int = 4) -> np.ndarray:
    """Cut the crop down to the box of its glyphs plus a margin (blank crops are kept)."""
    blobs = glyph_components(ink)
    if not len(blobs):
        return grey
    x0, y0 = blobs[:, 0].min(), blobs[:, 1].min()
    x1, y1 = (blobs[:, 0] + blobs[:, 2]).max(), (blobs[:, 1] + blobs[:, 3]).max()
    height, width = grey.shape
    return grey[max(0, y0 - margin) : min(height, y1 + margin), max(0, x0 - margin) : min(width, x1 + margin)]


def typical_glyph_height(ink: np.ndarray) -> float:
    """Median height of the letter-sized blobs (apostrophes and specks left out)."""
    blobs = glyph_components(ink)
    if not len(blobs):
        return 0.0
    tall = blobs[blobs[:, 3] >= 0.5 * np.percentile(blobs[:, 3], 90)]
    return float(np.median(tall[:, 3]))


def upscale(grey: np.ndarray, glyph_height: float, target: int) -> tuple[np.ndarray, float]:
    """Resize so letters are about `target` px tall (Tesseract reads best at 30-50 px capitals)."""
    if glyph_height <= 0:
        return grey, 1.0
    scale = min(6.0, max(0.5, target / glyph_height))
    if abs(scale - 1.0) < 0.05:
        return grey, 1.0
    method = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA
    return cv2.resize(grey, None, fx=scale, fy=scale, interpolation=method), scale


def despeckle(grey: np.ndarray, scale: float) -> np.ndarray:
    """Median filter sized to the upscale factor: kills upscaled scan specks, keeps upscaled strokes."""
    size = int(round(scale)) | 1
    return cv2.medianBlur(grey, min(size, 7)) if size >= 3 else grey


def binarise(grey: np.ndarray, method: str = "otsu") -> np.ndarray:
    """Black ink on white paper: global Otsu, or adaptive Gaussian for uneven scans."""
    if grey.max() - grey.min() < 40:
        return np.full(grey.shape, PAPER, dtype=np.uint8)
    if method == "adaptive":
        block = max(15, (min(grey.shape) // 4) | 1)
        return cv2.adaptiveThreshold(grey, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, block, 15)
    _, binary = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return binary


def remove_specks(binary: np.ndarray, glyph_height: float) -> np.ndarray:
    """Drop small ink dots with no letter beside them (scan noise); periods and apostrophes have one."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(
        (binary == INK).astype(np.uint8), connectivity=8
    )
    out = binary.copy()
    reach_x, reach_y = int(0.6 * glyph_height), int(0.4 * glyph_height)
    for label in np.flatnonzero(stats[:, 4] < 0.05 * glyph_height**2):
        if label == 0:
            continue
        x, y, w, h, _ = stats[label]
        window = labels[max(0, y - reach_y) : y + h + reach_y, max(0, x - reach_x) : x + w + reach_x]
        neighbours = np.unique(window)
        if not np.any((neighbours != 0) & (neighbours != label)):
            out[labels == label] = PAPER
    return out


def find_text_lines(binary: np.ndarray, glyph_height: float) -> list[tuple[int, int]]:
    """Row spans of lettered lines from the horizontal ink profile; marks above capitals join their line."""
    rows = (binary == INK).sum(axis=1)
    inked = rows > max(2, 0.04 * rows.max())
    spans, start = [], None
    for y, on in enumerate(inked):
        if on and start is None:
            start = y
        elif not on and start is not None:
            spans.append((start, y))
            start = None
    if start is not None:
        spans.append((start, len(inked)))
    return merge_mark_spans(spans, glyph_height)


def merge_mark_spans(spans: list[tuple[int, int]], glyph_height: float) -> list[tuple[int, int]]:
    """Join spans too short to be a line (accents, apostrophes, specks) to the nearest neighbour."""
    if not spans:
        return []
    minimum = 0.35 * glyph_height if glyph_height else 0  # a line of x-height letters ("mmm") is ~0.55
    out = [list(spans[0])]
    for top, bottom in spans[1:]:
        previous = out[-1]
        if bottom - top < minimum or previous[1] - previous[0] < minimum:
            gap = top - previous[1]
            if gap < 0.6 * max(glyph_height, 1):
                previous[1] = bottom
                continue
        out.append([top, bottom])
    return [(a, b) for a, b in out if b - a >= minimum]


def save_step(trace: Path | None, steps: list[str], name: str, image: np.ndarray) -> None:
    """Record a step; with a trace folder also write its image as NN-name.png."""
    steps.append(name)
    if trace is not None:
        trace.mkdir(parents=True, exist_ok=True)
        shown = image.astype(np.uint8) * 255 if image.dtype == bool else image
        cv2.imwrite(str(trace / f"{len(steps):02d}-{name}.png"), shown)


def prepare_crop(
    image: Image.Image | np.ndarray, options: PrepareOptions | None = None, trace: Path | None = None
) -> PreparedCrop:
    """Run every step on a balloon crop and return the OCR-ready image with its line spans."""
    options = options or PrepareOptions()
    steps: list[str] = []
    grey = to_grey(image)
    save_step(trace, steps, "grey", grey)
    ink = ink_mask(grey)
    if options.remove_outline:
        interior = balloon_interior(ink)
        if interior is None:
            interior = balloon_interior(not_white(grey))
        grey = whiten_outside(grey, interior)
        save_step(trace, steps, "interior", grey)
        ink = ink_mask(grey)
    grey = trim_to_text(grey, ink)
    save_step(trace, steps, "trim", grey)
    glyph = typical_glyph_height(ink_mask(grey))
    grey, scale = upscale(grey, glyph, options.glyph_height)
    save_step(trace, steps, "upscale", grey)
    binary = binarise(grey, "otsu" if options.binarise == "none" else options.binarise)
    binary = remove_specks(binary, glyph * scale)
    spans = find_text_lines(binary, glyph * scale)
    shown = (
        cv2.normalize(grey, np.zeros_like(grey), 0, 255, cv2.NORM_MINMAX)
        if options.binarise == "none"
        else binary
    )
    shown = cv2.copyMakeBorder(
        shown, options.pad, options.pad, options.pad, options.pad, cv2.BORDER_CONSTANT, value=PAPER
    )
    save_step(trace, steps, "binary", shown)
    spans = [(top + options.pad, bottom + options.pad) for top, bottom in spans]
    return PreparedCrop(shown, spans, scale, glyph * scale, steps)
