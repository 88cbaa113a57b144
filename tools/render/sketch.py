"""A drawing surface for storyboard art: ink on paper plus a region map that tells the colorist what is what.

Everything is drawn at SUPERSAMPLE times the panel size and reduced at the end, which anti-aliases the ink.
Shapes are painted back to front: a shape fills itself with paper and its region label, then inks its outline.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from tools.render.art import RegionTag

SUPERSAMPLE = 2
Point = tuple[float, float]


def smooth(points: Sequence[Point], rounds: int = 2, closed: bool = True) -> list[Point]:
    """Chaikin corner cutting: turns a hard polygon into the soft outline of a pencil sketch."""
    pts = [(float(x), float(y)) for x, y in points]
    for _ in range(rounds):
        out: list[Point] = [] if closed else [pts[0]]
        pairs = zip(pts, pts[1:] + pts[:1], strict=True) if closed else zip(pts, pts[1:], strict=False)
        for (ax, ay), (bx, by) in pairs:
            out.append((0.75 * ax + 0.25 * bx, 0.75 * ay + 0.25 * by))
            out.append((0.25 * ax + 0.75 * bx, 0.25 * ay + 0.75 * by))
        pts = out if closed else [*out, pts[-1]]
    return pts


class Sketch:
    """Ink (mode "L") and region labels (mode "I") of one panel, drawn in supersampled pixels."""

    def __init__(self, size: tuple[int, int]):
        self.size = size
        self.scale = SUPERSAMPLE
        self.width, self.height = size[0] * SUPERSAMPLE, size[1] * SUPERSAMPLE
        self.ink = Image.new("L", (self.width, self.height), 255)
        self.labels = Image.new("I", (self.width, self.height), 0)
        self._ink = ImageDraw.Draw(self.ink)
        self._labels = ImageDraw.Draw(self.labels)
        self._ids: dict[RegionTag, int] = {}

    def pen(self, width: float) -> int:
        """A line width in supersampled pixels, never thinner than one output pixel."""
        return max(self.scale, round(width * self.scale))

    def label(self, tag: RegionTag | None) -> int:
        if tag is None:
            return 0
        return self._ids.setdefault(tag, len(self._ids) + 1)

    def polygon(
        self, points: Sequence[Point], tag: RegionTag | None, width: float = 1.2, ink_fill: int = 255
    ) -> None:
        """A closed shape: paper (or `ink_fill`) inside, labelled `tag`, inked outline of `width` output pixels."""
        pts = [(float(x), float(y)) for x, y in points]
        self._labels.polygon(pts, fill=self.label(tag))
        self._ink.polygon(pts, fill=ink_fill)
        if width > 0:
            self._ink.line([*pts, pts[0]], fill=0, width=self.pen(width), joint="curve")

    def ellipse(
        self, box: Sequence[float], tag: RegionTag | None, width: float = 1.2, ink_fill: int = 255
    ) -> None:
        x0, y0, x1, y1 = box
        self._labels.ellipse((x0, y0, x1, y1), fill=self.label(tag))
        self._ink.ellipse(
            (x0, y0, x1, y1),
            fill=ink_fill,
            outline=0 if width > 0 else None,
            width=self.pen(width) if width > 0 else 0,
        )

    def line(self, points: Sequence[Point], width: float = 1.0, shade: int = 0) -> None:
        self._ink.line(
            [(float(x), float(y)) for x, y in points], fill=shade, width=self.pen(width), joint="curve"
        )

    def arc_points(
        self, cx: float, cy: float, rx: float, ry: float, start: float, end: float, n: int = 16
    ) -> list[Point]:
        """Points along an elliptic arc, angles in degrees (0 = right, 90 = down)."""
        return [
            (
                cx + rx * math.cos(math.radians(start + (end - start) * i / n)),
                cy + ry * math.sin(math.radians(start + (end - start) * i / n)),
            )
            for i in range(n + 1)
        ]

    def hatch(self, points: Sequence[Point], spacing: float, angle: float = 45.0, width: float = 0.6) -> None:
        """Parallel ink strokes clipped to a polygon: the shading the colorist keeps."""
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        x0, y0 = max(0, int(min(xs))), max(0, int(min(ys)))
        x1, y1 = min(self.width, int(max(xs)) + 1), min(self.height, int(max(ys)) + 1)
        if x1 <= x0 or y1 <= y0:
            return
        w, h = x1 - x0, y1 - y0
        mask = Image.new("L", (w, h), 0)
        ImageDraw.Draw(mask).polygon([(x - x0, y - y0) for x, y in points], fill=255)
        strokes = Image.new("L", (w, h), 255)
        draw = ImageDraw.Draw(strokes)
        step = max(2.0, spacing * self.scale)
        dx, dy = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        reach = float(w + h)
        offset = -reach
        while offset < reach:
            cx, cy = w / 2 - dy * offset, h / 2 + dx * offset
            draw.line(
                [(cx - dx * reach, cy - dy * reach), (cx + dx * reach, cy + dy * reach)],
                fill=0,
                width=self.pen(width),
            )
            offset += step
        current = np.asarray(self.ink.crop((x0, y0, x1, y1)))
        inside = (np.asarray(mask) > 0) & (np.asarray(strokes) < 128)
        self.ink.paste(Image.fromarray(np.where(inside, 0, current).astype(np.uint8)), (x0, y0))

    def dots(self, points: Sequence[Point], radius: float) -> None:
        r = radius * self.scale
        for x, y in points:
            self._ink.ellipse((x - r, y - r, x + r, y + r), fill=0)

    def text(
        self, xy: Point, text: str, font: ImageFont.FreeTypeFont, fill: int = 0, anchor: str = "mm"
    ) -> None:
        self._ink.text(xy, text, font=font, fill=fill, anchor=anchor)

    def text_box(self, box: Sequence[float], fill: int = 255, outline: int = 0, width: float = 0.8) -> None:
        """A paper box on the ink only (labels, notes): colours do not reach it."""
        self._labels.rectangle(tuple(box), fill=0)
        self._ink.rectangle(tuple(box), fill=fill, outline=outline, width=self.pen(width))

    def frame(self, width: float = 1.0) -> None:
        self._ink.rectangle((0, 0, self.width - 1, self.height - 1), outline=0, width=self.pen(width))

    def finish(self) -> tuple[Image.Image, np.ndarray, dict[int, RegionTag]]:
        """The panel-size ink (anti-aliased), region map (uint16) and the tag of each region id."""
        ink = self.ink.resize(self.size, Image.Resampling.LANCZOS)
        labels = np.asarray(self.labels.resize(self.size, Image.Resampling.NEAREST), dtype=np.int32)
        tags = {ident: tag for tag, ident in self._ids.items()}
        return ink, labels.astype(np.uint16), tags
