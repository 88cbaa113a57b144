"""The letterer: puts a panel's balloons on its art, in reading order, never over a face, tails to the mouths.

All balloons of a panel share one font size, the largest at which every balloon fits and finds a place, and
never one whose capitals are under 2.2 mm at print size. Balloons go first where the art has free space (sky,
wall above the heads), then over bodies, never over a face. When a panel is too small for its text, the text
gets shorter: its first whole sentences when they fit, else the writer is asked through a callable (`shorten`)
for the line in fewer of its own words, else the text is cut at a clause or word; the cut is reported. Captions are rectangles in the top-left corner; speech balloons are ellipses with a
tail towards the speaker's mouth; thoughts are clouds with bubbles; sound effects are outlined letters.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image, ImageDraw

from tools.comic_script import Balloon, PanelSpec
from tools.render.art import FigureBox
from tools.render.fonts import lettering_font
from tools.render.layout import Box, mm_to_px
from tools.render.lettering import (
    FittedShape,
    LetteringError,
    cap_ratio,
    cut_to_budget,
    fit_options,
    make_block,
    prepare_text,
    whole_sentences,
)

Point = tuple[float, float]
BEAM = 3  # partial layouts kept, and places tried per balloon
GRID = (12, 14)  # candidate positions across and down the panel


Shorten = Callable[[Balloon, int], "str | None"]  # (balloon, max characters) -> shorter text, or None


@dataclass(frozen=True)
class LetterStyle:
    """Lettering choices: glyph heights (capitals) in millimetres at print size, Bonelli accents, colours."""

    dpi: int = 150
    max_glyph_mm: float = 2.6
    min_glyph_mm: float = 2.2
    margin_mm: float = 1.0
    bonelli_accents: bool = False
    caption_fill: tuple[int, int, int] = (255, 255, 255)
    sfx_fill: tuple[int, int, int] = (255, 255, 255)

    def font_px(self, glyph_mm: float) -> int:
        """The font size (pixels) whose capitals are `glyph_mm` tall at this DPI."""
        return max(7, math.ceil(glyph_mm / 25.4 * self.dpi / cap_ratio() - 1e-6))

    def sizes(self) -> list[int]:
        """Font sizes in pixels to try, largest first; the smallest still has capitals of `min_glyph_mm`."""
        bottom = self.font_px(self.min_glyph_mm)
        top = max(bottom, self.font_px(self.max_glyph_mm))
        return list(range(top, bottom - 1, -1))

    def glyph_mm(self, font_px: int) -> float:
        """How tall the capitals of a font size are at print size (mm)."""
        return font_px * cap_ratio() / self.dpi * 25.4


@dataclass
class PlacedBalloon:
    """A lettered element in panel pixels: its shape box, each line's ink box, and the tail."""

    balloon: Balloon
    shape: FittedShape
    box: Box
    line_boxes: list[tuple[float, float, float, float]] = field(default_factory=list)
    tail: list[Point] = field(default_factory=list)
    origin: Point | None = None  # sound effects: where the text is drawn from (anchor "lt")
    cut: dict[str, str] | None = (
        None  # when the text was shortened: {"from": original, "by": writer|sentence}
    )

    @property
    def kind(self) -> str:
        return self.balloon.kind

    def text_inside(self) -> bool:
        """Every line's ink box lies inside the balloon shape (ellipse or rectangle)."""
        cx, cy = self.box.x + self.box.w / 2, self.box.y + self.box.h / 2
        a, b = self.box.w / 2, self.box.h / 2
        for x0, y0, x1, y1 in self.line_boxes:
            if self.kind in ("caption", "sfx"):
                if x0 < self.box.x or y0 < self.box.y or x1 > self.box.right or y1 > self.box.bottom:
                    return False
                continue
            for x, y in ((x0, y0), (x1, y0), (x0, y1), (x1, y1)):
                if ((x - cx) / a) ** 2 + ((y - cy) / b) ** 2 > 1.0 + 1e-6:
                    return False
        return True


class Letterer:
    """Letters panels with one LetterStyle; `resolve` maps a speaker name to the name figures carry; `shorten`
    asks the writer for a shorter line when a panel is too small (cut at a sentence boundary without one)."""

    MAX_CUTS = 6

    def __init__(
        self, style: LetterStyle, resolve: Callable[[str], str] = lambda n: n, shorten: Shorten | None = None
    ):
        self.style, self.resolve, self.shorten = style, resolve, shorten
        self._labels: list[tuple[int, int, int, int]] = []

    def letter(
        self,
        image: Image.Image,
        panel: PanelSpec,
        figures: list[FigureBox],
        free: list[tuple[int, int, int, int]] | None = None,
        labels: list[tuple[int, int, int, int]] | None = None,
    ) -> list[PlacedBalloon]:
        """Letter `image` (the panel's art, modified in place) and return where everything went."""
        if not panel.balloons:
            return []
        placed = self.layout(image.size, panel, figures, free or [], labels or [])
        for item in placed:
            self._draw(image, item)
        return placed

    def layout(
        self,
        size: tuple[int, int],
        panel: PanelSpec,
        figures: list[FigureBox],
        free: list[tuple[int, int, int, int]],
        labels: list[tuple[int, int, int, int]] | None = None,
    ) -> list[PlacedBalloon]:
        """Balloon positions at the largest font size that fits them all, with text shortened when none does;
        LetteringError when even the shortened text cannot be lettered."""
        self._labels = labels or []
        cuts: dict[int, dict[str, str]] = {}
        current: PanelSpec | None = panel
        for _ in range(self.MAX_CUTS + 1):
            assert current is not None
            placed = self._fit(size, current, figures, free)
            if placed is not None:
                for index, cut in cuts.items():
                    placed[index].cut = cut
                return placed
            current = self._shorter(current, cuts, self._capacity(size, len(current.balloons)))
            if current is None:
                break
        raise LetteringError(
            f"panel {panel.id}: {len(panel.balloons)} balloon(s) do not fit in {size[0]}×{size[1]} px with "
            f"{self.style.min_glyph_mm} mm lettering away from the faces, even shortened ({len(cuts)} cut); "
            "shorten the text or split the panel"
        )

    def _fit(
        self,
        size: tuple[int, int],
        panel: PanelSpec,
        figures: list[FigureBox],
        free: list[tuple[int, int, int, int]],
    ) -> list[PlacedBalloon] | None:
        for size_px in self.style.sizes():
            placed = self._try_layout(size, panel, figures, free, size_px, strict=True)
            if placed is not None:
                return placed
        return self._try_layout(size, panel, figures, free, self.style.sizes()[-1], strict=False)

    def _capacity(self, size: tuple[int, int], balloons: int) -> int:
        """Roughly how many characters one balloon can hold in this panel at the smallest lettering (an ellipse
        fills ~π/4 of its box, balloons may take about half the panel)."""
        font = self.style.sizes()[-1]
        return int(0.5 * size[0] * size[1] * 0.785 / (font * font * 1.6) / max(1, balloons))

    def _shorter(
        self, panel: PanelSpec, cuts: dict[int, dict[str, str]], capacity: int = 10**6
    ) -> PanelSpec | None:
        """The panel with its longest balloon shortened by about a third: its first whole sentences that fit, else
        the writer's shorter line in the line's own words, else a cut at a clause or word."""
        candidates = [
            (len(b.text), i)
            for i, b in enumerate(panel.balloons)
            if b.kind != "sfx" and len(b.text.split()) > 1
        ]
        if not candidates:
            return None
        _, index = max(candidates)
        balloon = panel.balloons[index]
        budget = max(8, min(int(len(balloon.text) * 0.7), capacity))
        text, by = whole_sentences(balloon.text, budget) or None, "sentence"
        if text is None and self.shorten is not None:
            offered = self.shorten(balloon, budget)
            if offered and offered.strip() and len(offered.strip()) <= budget:
                text, by = offered.strip(), "writer"
        if text is None:
            text = cut_to_budget(balloon.text, budget) or cut_to_budget(
                balloon.text, int(len(balloon.text) * 0.7)
            )
        if not text or text == balloon.text:
            return None
        earlier = cuts.get(index, {})
        how = [h for h in dict.fromkeys([*earlier.get("by", "").split("+"), by]) if h]  # "writer+sentence"
        cuts[index] = {"from": earlier.get("from", balloon.text), "to": text, "by": "+".join(how)}
        balloons = list(panel.balloons)
        balloons[index] = balloon.model_copy(update={"text": text})
        return panel.model_copy(update={"balloons": balloons})

    def _try_layout(
        self,
        size: tuple[int, int],
        panel: PanelSpec,
        figures: list[FigureBox],
        free: list[tuple[int, int, int, int]],
        size_px: int,
        strict: bool,
    ) -> list[PlacedBalloon] | None:
        """A small beam search: keep the BEAM cheapest partial layouts, extend each by its best few places."""
        w, h = size
        margin = mm_to_px(self.style.margin_mm, self.style.dpi)
        inner = Box(margin, margin, w - 2 * margin, h - 2 * margin)
        beams: list[tuple[float, list[PlacedBalloon]]] = [(0.0, [])]
        for balloon in panel.balloons:
            text = prepare_text(balloon.text, self.style.bonelli_accents)
            grown: list[tuple[float, list[PlacedBalloon]]] = []
            for cost, placed in beams:
                for extra, item in self._options(
                    balloon, text, size_px, inner, size, figures, free, placed, strict
                ):
                    grown.append((cost + extra, [*placed, item]))
            if not grown:
                return None
            beams = sorted(grown, key=lambda state: state[0])[:BEAM]
        return beams[0][1]

    def _options(
        self,
        balloon: Balloon,
        text: str,
        size_px: int,
        inner: Box,
        size: tuple[int, int],
        figures: list[FigureBox],
        free: list[tuple[int, int, int, int]],
        placed: list[PlacedBalloon],
        strict: bool,
    ) -> list[tuple[float, PlacedBalloon]]:
        """Where this balloon could go after `placed`, cheapest first (captions and sound effects: one place)."""
        if balloon.kind == "sfx":
            item = self._place_sfx(balloon, text, size_px, inner, placed)
            return [(0.0, item)] if item else []
        limit_h = inner.h * (0.55 if strict else 0.95)
        width = inner.w if balloon.kind != "caption" else size[0]
        gathered: list[tuple[float, PlacedBalloon]] = []
        for rank, shape in enumerate(_alternatives(fit_options(text, balloon.kind, size_px, width, limit_h))):
            if balloon.kind == "caption":
                bw, bh = math.ceil(shape.width), math.ceil(shape.height)
                item = self._place_caption(balloon, shape, size, bw, bh, placed)
                if item:
                    return [(0.0, item)]
                continue
            # every alternative shape competes (a flatter balloon may leave room for the next one)
            gathered += [
                (cost + 0.25 * rank, item)
                for cost, item in self._place(balloon, shape, inner, size, figures, free, placed, strict)
            ]
        return sorted(gathered, key=lambda option: option[0])[: BEAM * 2]

    def _speaker(self, balloon: Balloon, figures: list[FigureBox]) -> FigureBox | None:
        if not balloon.speaker:
            return None
        wanted = self.resolve(balloon.speaker).lower()
        return next((f for f in figures if self.resolve(f.name).lower() == wanted), None)

    def _place(
        self,
        balloon: Balloon,
        shape: FittedShape,
        inner: Box,
        size: tuple[int, int],
        figures: list[FigureBox],
        free: list[tuple[int, int, int, int]],
        placed: list[PlacedBalloon],
        strict: bool,
    ) -> list[tuple[float, PlacedBalloon]]:
        """The cheapest few well-separated places for a speech or thought balloon on a grid over the panel."""
        bw, bh = math.ceil(shape.width), math.ceil(shape.height)
        if bw > inner.w or bh > inner.h:
            return []
        speaker = self._speaker(balloon, figures)
        scored: list[tuple[float, Box, list[Point]]] = []
        for i in range(GRID[0] + 1):
            for j in range(GRID[1] + 1):
                x = inner.x + round((inner.w - bw) * i / GRID[0])
                y = inner.y + round((inner.h - bh) * j / GRID[1])
                box = Box(x, y, bw, bh)
                if not self._free_of(box, placed) or not _reads_after(box, placed):
                    continue
                cost = self._cost(box, size, speaker, figures, free, strict)
                if cost is None:
                    continue
                tail = tail_points(box, balloon.kind, speaker, size)
                crossings = _tail_crossings(box, tail, placed)
                if crossings and strict:
                    continue
                scored.append((cost + 3.0 * crossings, box, tail))
        picks: list[tuple[float, PlacedBalloon]] = []
        for cost, box, tail in sorted(scored, key=lambda c: c[0]):
            if any(abs(box.x - p.box.x) < bw / 3 and abs(box.y - p.box.y) < bh / 3 for _, p in picks):
                continue
            item = PlacedBalloon(balloon, shape, box, tail=tail)
            item.line_boxes = _line_boxes(item)
            picks.append((cost, item))
            if len(picks) == BEAM:
                break
        return picks

    def _place_caption(
        self,
        balloon: Balloon,
        shape: FittedShape,
        size: tuple[int, int],
        bw: int,
        bh: int,
        placed: list[PlacedBalloon],
    ) -> PlacedBalloon | None:
        """Captions sit in the top-left corner, flush with the frame; a later one goes below the others."""
        y = max((p.box.bottom for p in placed if p.kind == "caption"), default=0)
        if any(p.kind != "caption" for p in placed):  # a closing caption: bottom-right corner
            box = Box(size[0] - bw, size[1] - bh, bw, bh)
        else:
            box = Box(0, y, bw, bh)
        if box.bottom > size[1] or box.right > size[0] or not self._free_of(box, placed):
            return None
        item = PlacedBalloon(balloon, shape, box)
        item.line_boxes = _line_boxes(item)
        return item

    def _place_sfx(
        self, balloon: Balloon, text: str, size_px: int, inner: Box, placed: list[PlacedBalloon]
    ) -> PlacedBalloon | None:
        """Sound effects: big outlined letters low in the panel, shrunk until they fit its width."""
        for size in range(size_px * 3, size_px - 1, -2):
            font = lettering_font(size)
            x0, y0, x1, y1 = font.getbbox(text, anchor="lt", stroke_width=max(1, size // 10))
            if x1 - x0 <= inner.w * 0.9 and y1 - y0 <= inner.h * 0.3:
                w, h = int(x1 - x0) + 2, int(y1 - y0) + 2
                box = Box(inner.x + (inner.w - w) // 2, inner.bottom - h - inner.h // 8, w, h)
                if not self._free_of(box, placed):
                    box = Box(inner.x + (inner.w - w) // 2, inner.bottom - h, w, h)
                if not self._free_of(box, placed):
                    return None
                shape = FittedShape("sfx", make_block([text], size), w, h, 0)
                item = PlacedBalloon(balloon, shape, box)
                item.line_boxes = [(box.x + 1, box.y + 1, box.x + 1 + (x1 - x0), box.y + 1 + (y1 - y0))]
                item.origin = (box.x + 1 - x0, box.y + 1 - y0)
                return item
        return None

    @staticmethod
    def _free_of(box: Box, placed: list[PlacedBalloon]) -> bool:
        gap = 3
        grown = Box(box.x - gap, box.y - gap, box.w + 2 * gap, box.h + 2 * gap)
        return all(grown.intersection(p.box) == 0 for p in placed)

    def _cost(
        self,
        box: Box,
        size: tuple[int, int],
        speaker: FigureBox | None,
        figures: list[FigureBox],
        free: list[tuple[int, int, int, int]],
        strict: bool,
    ) -> float | None:
        w, h = size
        area = box.w * box.h
        cost = 1.2 * (box.y + box.h / 2) / h
        for fig in figures:
            face = fig.face or fig.head
            if face[2] and face[3] and box.intersection(Box(*face)) > 0:
                return None  # never over a face
            head = fig.head if fig.head[2] and fig.head[3] else None
            over_head = box.intersection(Box(*head)) / area if head else 0.0
            if strict and over_head > 0.08:  # the hat may be covered when nothing else fits; the face never
                return None
            cost += 6.0 * over_head + 1.6 * box.intersection(Box(*fig.box)) / area
        if speaker is not None:
            mx, my = speaker.mouth
            cost += 0.9 * abs(box.x + box.w / 2 - mx) / w
            cost += 1.5 * max(0.0, box.bottom - my) / h
        for fx, fy, fw, fh in free:
            cost -= 1.2 * box.intersection(Box(fx, fy, fw, fh)) / area
        for label in self._labels:
            cost += 2.0 * box.intersection(Box(*label)) / max(1, label[2] * label[3])
        return cost

    def _draw(self, image: Image.Image, item: PlacedBalloon) -> None:
        if item.kind == "sfx":
            _draw_sfx(image, item, self.style.sfx_fill)
            return
        fill = self.style.caption_fill if item.kind == "caption" else (255, 255, 255)
        _draw_shape(image, item, fill)
        draw = ImageDraw.Draw(image)
        font = lettering_font(item.shape.block.size)
        for (x0, _y0, _x1, _y1), line, baseline in zip(
            item.line_boxes, item.shape.block.lines, _baselines(item), strict=True
        ):
            draw.text((x0, baseline), line, font=font, fill=(0, 0, 0), anchor="ls")


def tail_points(box: Box, kind: str, speaker: FigureBox | None, size: tuple[int, int]) -> list[Point]:
    """A wedge from the ellipse's rim towards the speaker's mouth, stopping short of it, inside the panel."""
    if kind not in ("speech", "thought"):
        return []
    cx, cy, a, b = box.x + box.w / 2, box.y + box.h / 2, box.w / 2, box.h / 2
    if speaker is not None:
        tx, ty = float(speaker.mouth[0]), float(speaker.mouth[1])
    else:  # off-panel voice: towards the nearer side edge
        tx = 0.0 if cx < size[0] / 2 else float(size[0])
        ty = min(size[1] - 2.0, cy + b * 1.5)
    # the tail leaves the rim from a point inside the balloon above/beside the mouth (wide balloons drop their
    # tail near the speaker, not from their centre)
    ax, ay = min(max(tx, cx - 0.55 * a), cx + 0.55 * a), min(max(ty, cy - 0.4 * b), cy + 0.4 * b)
    if math.hypot(tx - ax, ty - ay) < 1e-6:
        ax, ay = cx, cy
    angle = math.atan2(ty - ay, tx - ax)
    rim = _rim(ax, ay, angle, cx, cy, a, b)
    distance = math.hypot(tx - rim[0], ty - rim[1])
    gap = min(0.12 * min(size), 0.5 * distance)  # the tail stops short of the mouth, never past it
    length = min(max(distance - gap, min(0.45 * b, 0.7 * distance)), 1.6 * b + 0.25 * min(size))
    tip = (rim[0] + length * math.cos(angle), rim[1] + length * math.sin(angle))
    tip = (min(max(tip[0], 3.0), size[0] - 3.0), min(max(tip[1], 3.0), size[1] - 3.0))
    spread = math.radians(9)
    base = []
    for s in (-spread, spread):
        rx, ry = _rim(ax, ay, angle + s, cx, cy, a, b)
        base.append((ax + (rx - ax) * 0.85, ay + (ry - ay) * 0.85))
    bend = 0.12 * length
    mid = (
        (base[0][0] + tip[0]) / 2 - bend * math.sin(angle),
        (base[0][1] + tip[1]) / 2 + bend * math.cos(angle),
    )
    return [base[0], mid, tip, base[1]]


def _rim(ax: float, ay: float, angle: float, cx: float, cy: float, a: float, b: float) -> Point:
    """Where a ray from (ax, ay), inside the ellipse, leaves it."""
    dx, dy = math.cos(angle), math.sin(angle)
    px, py = (ax - cx) / a, (ay - cy) / b
    qa = (dx / a) ** 2 + (dy / b) ** 2
    qb = 2 * (px * dx / a + py * dy / b)
    qc = px * px + py * py - 1.0
    t = (-qb + math.sqrt(max(0.0, qb * qb - 4 * qa * qc))) / (2 * qa)
    return ax + t * dx, ay + t * dy


def _inside_ellipse(point: Point, box: Box, grow: float = 0.0) -> bool:
    a, b = box.w / 2 + grow, box.h / 2 + grow
    return ((point[0] - box.x - box.w / 2) / a) ** 2 + ((point[1] - box.y - box.h / 2) / b) ** 2 <= 1.0


def _tail_crossings(box: Box, tail: list[Point], placed: list[PlacedBalloon]) -> int:
    """How many tails (this candidate's or the placed ones') run through another balloon."""
    crossings = 0
    for other in placed:
        if tail and any(_inside_ellipse(p, other.box, 2) for p in _along(tail)):
            crossings += 1
        if other.tail and any(_inside_ellipse(p, box, 2) for p in _along(other.tail)):
            crossings += 1
    return crossings


def _along(tail: list[Point]) -> list[Point]:
    """Points along a tail's centre line, from its base to its tip."""
    (x0, y0), (x1, y1) = ((tail[0][0] + tail[3][0]) / 2, (tail[0][1] + tail[3][1]) / 2), tail[2]
    return [(x0 + (x1 - x0) * t / 8, y0 + (y1 - y0) * t / 8) for t in range(2, 9)]


def _alternatives(shapes: list[FittedShape]) -> list[FittedShape]:
    """The most compact shape, then the flattest and the narrowest, for when the compact one finds no room."""
    if len(shapes) <= 1:
        return shapes
    picks = [shapes[0], max(shapes, key=lambda s: s.width / s.height), min(shapes, key=lambda s: s.width)]
    return list(dict.fromkeys(picks))


def _reads_after(box: Box, placed: list[PlacedBalloon]) -> bool:
    """Reading order: each balloon is to the right of the previous one (not higher up), or clearly below it."""
    speech = [p for p in placed if p.kind in ("speech", "thought")]
    if not speech:
        return True
    prev = speech[-1].box
    below = box.y + box.h / 2 > prev.y + prev.h * 0.8
    right = box.x > prev.x + prev.w * 0.5 and prev.y - 0.25 * prev.h <= box.y < prev.bottom
    return below or right


def _baselines(item: PlacedBalloon) -> list[float]:
    block = item.shape.block
    top = item.box.y + (item.box.h - block.height) / 2
    return block.baselines(top)


def _line_boxes(item: PlacedBalloon) -> list[tuple[float, float, float, float]]:
    """Each line's ink box: centred in balloons, left-aligned in captions."""
    block = item.shape.block
    font = lettering_font(block.size)
    boxes = []
    for line, width, baseline in zip(block.lines, block.widths, _baselines(item), strict=True):
        if item.kind == "caption":
            x = item.box.x + item.shape.pad
        else:
            x = item.box.x + (item.box.w - width) / 2
        x0, y0, x1, y1 = font.getbbox(line, anchor="ls")
        boxes.append((x + x0, baseline + y0, x + x1, baseline + y1))
    return boxes


def _shape_mask(
    item: PlacedBalloon, scale: int, origin: tuple[int, int], size: tuple[int, int]
) -> Image.Image:
    mask = Image.new("L", size, 0)
    draw = ImageDraw.Draw(mask)
    ox, oy = origin
    box = item.box
    rect = (
        (box.x - ox) * scale,
        (box.y - oy) * scale,
        (box.right - ox) * scale - 1,
        (box.bottom - oy) * scale - 1,
    )
    if item.kind == "caption":
        draw.rectangle(rect, fill=255)
    elif item.kind == "thought":
        _cloud(draw, rect, scale)
    else:
        draw.ellipse(rect, fill=255)
    if item.kind == "speech" and item.tail:
        draw.polygon([((x - ox) * scale, (y - oy) * scale) for x, y in item.tail], fill=255)
    return mask


def _cloud(draw: ImageDraw.ImageDraw, rect: tuple[float, float, float, float], scale: int) -> None:
    """A thought cloud: an ellipse with scalloped edge, all inside `rect`."""
    x0, y0, x1, y1 = rect
    cx, cy, a, b = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
    r = min(a, b) * 0.22
    draw.ellipse((cx - a + r, cy - b + r, cx + a - r, cy + b - r), fill=255)
    bumps = max(8, int(2 * math.pi * math.sqrt((a * a + b * b) / 2) / (1.6 * r)))
    for k in range(bumps):
        t = 2 * math.pi * k / bumps
        px, py = cx + (a - r) * math.cos(t), cy + (b - r) * math.sin(t)
        draw.ellipse((px - r, py - r, px + r, py + r), fill=255)


def _draw_shape(image: Image.Image, item: PlacedBalloon, fill: tuple[int, int, int]) -> None:
    """White shape with a black outline (the union of balloon and tail), anti-aliased by supersampling."""
    scale, border = 3, max(1, round(item.shape.block.size * 0.09))
    pts = [(item.box.x, item.box.y), (item.box.right, item.box.bottom), *item.tail]
    x0 = max(0, int(min(p[0] for p in pts)) - border - 2)
    y0 = max(0, int(min(p[1] for p in pts)) - border - 2)
    x1 = min(image.width, int(max(p[0] for p in pts)) + border + 2)
    y1 = min(image.height, int(max(p[1] for p in pts)) + border + 2)
    big = (max(1, (x1 - x0) * scale), max(1, (y1 - y0) * scale))
    mask = np.asarray(_shape_mask(item, scale, (x0, y0), big))
    inner = cv2.erode(mask, np.ones((2 * border * scale + 1,) * 2, np.uint8))
    small = (x1 - x0, y1 - y0)
    outer_a = (
        np.asarray(Image.fromarray(mask).resize(small, Image.Resampling.BOX), dtype=np.float32)[..., None]
        / 255
    )
    inner_a = (
        np.asarray(Image.fromarray(inner).resize(small, Image.Resampling.BOX), dtype=np.float32)[..., None]
        / 255
    )
    region = np.asarray(image.crop((x0, y0, x1, y1)).convert("RGB"), dtype=np.float32) * (1 - outer_a)
    region = (region * (1 - inner_a) + np.array(fill, dtype=np.float32) * inner_a).astype(np.float32)
    image.paste(Image.fromarray(region.round().astype(np.uint8)), (x0, y0))
    if item.kind == "thought" and item.tail:
        _thought_bubbles(image, item)


def _thought_bubbles(image: Image.Image, item: PlacedBalloon) -> None:
    draw = ImageDraw.Draw(image)
    base, tip = item.tail[0], item.tail[2]
    radius = max(3.0, item.shape.block.size * 0.35)
    for k, t in enumerate((0.35, 0.65, 0.92)):
        x, y = base[0] + (tip[0] - base[0]) * t, base[1] + (tip[1] - base[1]) * t
        r = radius * (1 - 0.25 * k)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(255, 255, 255), outline=(0, 0, 0), width=1)


def _draw_sfx(image: Image.Image, item: PlacedBalloon, fill: tuple[int, int, int]) -> None:
    font = lettering_font(item.shape.block.size)
    stroke = max(1, item.shape.block.size // 10)
    draw = ImageDraw.Draw(image)
    draw.text(
        item.origin or (item.box.x, item.box.y),
        item.shape.block.lines[0],
        font=font,
        fill=fill,
        anchor="lt",
        stroke_width=stroke,
        stroke_fill=(0, 0, 0),
    )
