"""Lettered balloons for generated pages: oval speech balloons with a tail, rectangular captions.

Each shape is drawn as a white region with a merged black outline (the tail joins the oval without a
seam), then its lines are lettered centred. The box reported is the body with its outline, no tail.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from tools.synth.lettering import LetteredBlock

Rect = tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive)


@dataclass
class DrawnBalloon:
    """A balloon or caption as drawn: body box [x, y, w, h] and tail tip in page pixels."""

    bbox: list[int]
    kind: str
    lines: list[str]
    text: str
    speaker: str | None
    tail: list[int] | None
    panel: int


def speech_size(block: LetteredBlock, pad: int) -> tuple[int, int]:
    """Outer size (w, h) of the oval that holds a lettered block with `pad` to spare around every line."""
    b = block.height * 0.68 + pad
    a = 0.0
    for i, width in enumerate(block.widths or (block.width,) * len(block.lines)):
        top = abs(i * block.line_height - block.height / 2)
        bottom = abs((i + 1) * block.line_height - block.height / 2)
        reach = (max(top, bottom) + pad / 2) / b
        a = max(a, (width / 2 + pad) / math.sqrt(max(0.05, 1 - reach**2)))
    return math.ceil(2 * a), math.ceil(2 * b)


def caption_size(block: LetteredBlock, pad: int) -> tuple[int, int]:
    return block.width + 2 * pad, block.height + 2 * pad


def _shape(page: Image.Image, mask: Image.Image, origin: tuple[int, int], stroke: int) -> None:
    """Paint a white shape with a black outline `stroke` px wide, outside the mask."""
    outline = mask.filter(ImageFilter.MaxFilter(2 * stroke + 1))
    page.paste(0, origin, outline)
    page.paste(255, origin, mask)


def _letter(
    page: Image.Image, block: LetteredBlock, font: ImageFont.FreeTypeFont, cx: float, top: float
) -> None:
    draw = ImageDraw.Draw(page)
    ascent, _ = font.getmetrics()
    for i, line in enumerate(block.lines):
        y = top + i * block.line_height + (block.line_height - ascent) / 2 + 1
        draw.text((cx, y), line, font=font, fill=0, anchor="ma")


def draw_speech(
    page: Image.Image,
    rect: Rect,
    block: LetteredBlock,
    font: ImageFont.FreeTypeFont,
    stroke: int,
    tail_target: tuple[int, int] | None,
    bounds: Rect | None = None,
    avoid: Sequence[Rect] = (),
) -> tuple[list[int], list[int] | None]:
    """Draw an oval balloon inscribed in `rect` (outline included) and a tail towards `tail_target`.

    The tail is shortened until its tip lies inside `bounds` and outside every `avoid` box.
    """
    x0, y0, x1, y1 = rect
    ex0, ey0, ex1, ey1 = x0 + stroke, y0 + stroke, x1 - stroke, y1 - stroke
    cx, cy, a, b = (ex0 + ex1) / 2, (ey0 + ey1) / 2, (ex1 - ex0) / 2, (ey1 - ey0) / 2
    tip = _tail_tip(cx, cy, a, b, tail_target, bounds, avoid) if tail_target else None
    margin = stroke + 2
    bx0, by0 = min(ex0, tip[0] if tip else ex0) - margin, min(ey0, tip[1] if tip else ey0) - margin
    bx1, by1 = max(ex1, tip[0] if tip else ex1) + margin, max(ey1, tip[1] if tip else ey1) + margin
    mask = Image.new("L", (bx1 - bx0, by1 - by0), 0)
    draw = ImageDraw.Draw(mask)
    draw.ellipse([ex0 - bx0, ey0 - by0, ex1 - bx0 - 1, ey1 - by0 - 1], fill=255)
    if tip:
        draw.polygon([(p[0] - bx0, p[1] - by0) for p in _tail_polygon(cx, cy, a, b, tip)], fill=255)
    _shape(page, mask, (bx0, by0), stroke)
    _letter(page, block, font, cx, cy - block.height / 2)
    return [x0, y0, x1 - x0, y1 - y0], list(tip) if tip else None


def draw_caption(
    page: Image.Image, rect: Rect, block: LetteredBlock, font: ImageFont.FreeTypeFont, stroke: int
) -> list[int]:
    """Draw a rectangular caption box filling `rect` (outline included)."""
    x0, y0, x1, y1 = rect
    mask = Image.new("L", (x1 - x0, y1 - y0), 0)
    ImageDraw.Draw(mask).rectangle([stroke, stroke, x1 - x0 - stroke - 1, y1 - y0 - stroke - 1], fill=255)
    _shape(page, mask, (x0, y0), stroke)
    _letter(page, block, font, (x0 + x1) / 2, (y0 + y1) / 2 - block.height / 2)
    return [x0, y0, x1 - x0, y1 - y0]


def _tail_tip(
    cx: float,
    cy: float,
    a: float,
    b: float,
    target: tuple[int, int],
    bounds: Rect | None,
    avoid: Sequence[Rect],
) -> tuple[int, int] | None:
    """Where the tail ends: towards the target, 0.45 to 1.3 times the oval's half-height beyond it."""
    dx, dy = target[0] - cx, target[1] - cy
    dist = math.hypot(dx, dy) or 1.0
    ux, uy = dx / dist, dy / dist
    edge = 1 / math.sqrt((ux / a) ** 2 + (uy / b) ** 2)  # distance from centre to the oval along u
    length = min(max(dist - edge, 0.45 * b), 1.3 * b)
    while length >= 0.3 * b:
        tip = round(cx + ux * (edge + length)), round(cy + uy * (edge + length))
        inside = bounds is None or (bounds[0] <= tip[0] < bounds[2] and bounds[1] <= tip[1] < bounds[3])
        if inside and not any(r[0] <= tip[0] < r[2] and r[1] <= tip[1] < r[3] for r in avoid):
            return tip
        length *= 0.85
    return None


def _tail_polygon(
    cx: float, cy: float, a: float, b: float, tip: tuple[int, int]
) -> list[tuple[float, float]]:
    """A wedge from the oval towards the tip, its base 30 degrees wide on the oval."""
    angle = math.atan2((tip[1] - cy) / b, (tip[0] - cx) / a)
    base = [(cx + 0.8 * a * math.cos(angle + d), cy + 0.8 * b * math.sin(angle + d)) for d in (-0.28, 0.28)]
    return [base[0], (float(tip[0]), float(tip[1])), base[1]]
