"""Storyboard props that are not held in a hand: horses (standing or galloping, saddled), a campfire, a
covered wagon, a crate or chair to sit on, a card table. Drawn in the same figure units as the figures, so a
horse is to scale with its rider; every part is a tagged region for the colorist."""

from __future__ import annotations

import math

from tools.render.art import RegionTag
from tools.render.sketch import Point, Sketch, smooth

HORSE_SCALE = 1.35  # a horse's design unit in figure heights (withers ~0.8 of a man)
SEAT: Point = (-0.01, 0.41)  # where the rider's hips sit, in horse units
MOUTH: Point = (0.6, 0.35)


def scene(part: str) -> RegionTag:
    return RegionTag("scene", part)


class HorseDrawer:
    """A saddled horse in side view facing `facing`, standing or at the gallop, its hooves on `ground`."""

    BODY = [
        (-0.36, 0.46),
        (-0.2, 0.42),
        (0.1, 0.42),
        (0.26, 0.44),
        (0.33, 0.52),
        (0.3, 0.66),
        (0.15, 0.71),
        (-0.2, 0.7),
        (-0.35, 0.64),
        (-0.4, 0.55),
    ]
    NECK = [(0.2, 0.47), (0.3, 0.34), (0.38, 0.22), (0.45, 0.19), (0.5, 0.24), (0.42, 0.36), (0.36, 0.55)]
    HEAD = [
        (0.4, 0.2),
        (0.46, 0.16),
        (0.52, 0.2),
        (0.63, 0.31),
        (0.64, 0.36),
        (0.58, 0.375),
        (0.5, 0.33),
        (0.44, 0.28),
    ]
    MANE = [(0.36, 0.2), (0.45, 0.165), (0.39, 0.3), (0.3, 0.42), (0.22, 0.47), (0.29, 0.34)]
    TAIL = [(-0.37, 0.47), (-0.46, 0.5), (-0.53, 0.7), (-0.47, 0.75), (-0.42, 0.6)]
    STAND = {
        "near_front": [(0.24, 0.66), (0.25, 0.84), (0.25, 0.985)],
        "far_front": [(0.17, 0.66), (0.19, 0.84), (0.2, 0.985)],
        "near_back": [(-0.28, 0.64), (-0.3, 0.82), (-0.28, 0.985)],
        "far_back": [(-0.21, 0.66), (-0.23, 0.83), (-0.22, 0.985)],
    }
    GALLOP = {
        "near_front": [(0.24, 0.64), (0.4, 0.73), (0.47, 0.86)],
        "far_front": [(0.19, 0.65), (0.31, 0.8), (0.29, 0.95)],
        "near_back": [(-0.28, 0.62), (-0.42, 0.76), (-0.56, 0.85)],
        "far_back": [(-0.22, 0.65), (-0.28, 0.8), (-0.35, 0.96)],
    }

    def __init__(self, sketch: Sketch, cx: float, ground: float, height: float, facing: int, gallop: bool):
        self.s, self.cx, self.height, self.facing, self.gallop = (
            sketch,
            cx,
            height * HORSE_SCALE,
            facing,
            gallop,
        )
        self.top = ground - self.height
        self.line = min(3.0, max(1.0, height / sketch.scale * 0.0028))

    def at(self, u: float, v: float) -> Point:
        return self.cx + self.facing * u * self.height, self.top + v * self.height

    def poly(self, points: list[Point]) -> list[Point]:
        return [self.at(u, v) for u, v in points]

    @property
    def seat(self) -> Point:
        return self.at(*SEAT)

    @property
    def mouth(self) -> Point:
        return self.at(*MOUTH)

    def bounds(self) -> tuple[float, float, float, float]:
        xs = [self.at(u, 0.5)[0] for u in (-0.56, 0.66)]
        return min(xs), self.at(0, 0.14)[1], max(xs), self.at(0, 1.0)[1]

    def _leg(self, joints: list[Point], near: bool) -> None:
        (a, b, c) = joints
        width = 0.045 if near else 0.04
        pts = [
            (a[0] - width, a[1]),
            (b[0] - width * 0.6, b[1]),
            (c[0] - width * 0.45, c[1]),
            (c[0] + width * 0.45, c[1]),
            (b[0] + width * 0.6, b[1]),
            (a[0] + width, a[1]),
        ]
        self.s.polygon(smooth(self.poly(pts), 1), scene("horse"), self.line, 255 if near else 225)
        hoof = [
            (c[0] - 0.03, c[1] - 0.02),
            (c[0] + 0.035, c[1] - 0.02),
            (c[0] + 0.04, c[1] + 0.015),
            (c[0] - 0.03, c[1] + 0.015),
        ]
        self.s.polygon(self.poly(hoof), scene("horse"), self.line * 0.8, 50)

    def draw_body(self) -> None:
        """Far legs, tail, body, near legs, neck, head and saddle (the rider is drawn after)."""
        legs = self.GALLOP if self.gallop else self.STAND
        self._leg(legs["far_back"], False)
        self._leg(legs["far_front"], False)
        self.s.polygon(smooth(self.poly(self.TAIL), 2), scene("horse"), self.line, 70)
        self.s.polygon(smooth(self.poly(self.BODY), 2), scene("horse"), self.line)
        self.s.hatch(
            smooth(self.poly([(-0.3, 0.6), (0.2, 0.62), (0.15, 0.7), (-0.2, 0.69)]), 1),
            max(1.8, self.height / self.s.scale * 0.006),
            20,
            0.5,
        )
        self._leg(legs["near_back"], True)
        self._leg(legs["near_front"], True)
        self.s.polygon(smooth(self.poly(self.NECK), 2), scene("horse"), self.line)
        self.s.polygon(smooth(self.poly(self.HEAD), 2), scene("horse"), self.line)
        self.s.polygon(
            self.poly([(0.44, 0.18), (0.45, 0.11), (0.485, 0.17)]), scene("horse"), self.line * 0.8
        )
        self.s.polygon(smooth(self.poly(self.MANE), 1), scene("horse"), self.line * 0.8, 60)
        ex, ey = self.at(0.5, 0.235)
        r = max(1.0, self.height * 0.008)
        self.s.dots([(ex, ey)], r / self.s.scale)
        self.s.line(self.poly([(0.6, 0.355), (0.63, 0.345)]), self.line * 0.7)
        saddle = [
            (-0.13, 0.43),
            (-0.09, 0.385),
            (0.0, 0.41),
            (0.08, 0.385),
            (0.11, 0.43),
            (0.07, 0.5),
            (-0.11, 0.5),
        ]
        self.s.polygon(smooth(self.poly(saddle), 1), scene("wood"), self.line)
        self.s.line(self.poly([(0.0, 0.49), (0.02, 0.6)]), self.line * 0.8)

    def reins(self, hand: Point) -> None:
        self.s.line(
            smooth(
                [self.mouth, ((self.mouth[0] + hand[0]) / 2, max(self.mouth[1], hand[1]) + 6), hand],
                2,
                closed=False,
            ),
            self.line * 0.6,
        )


def campfire(s: Sketch, cx: float, base: float, size: float, line: float = 1.0) -> None:
    """Crossed logs and a flame, `size` pixels wide, its foot on `base`."""
    for sign in (-1, 1):
        s.polygon(
            [
                (cx - size * 0.6, base + sign * size * 0.05),
                (cx + size * 0.6, base - sign * size * 0.1),
                (cx + size * 0.6, base - sign * size * 0.1 + size * 0.12),
                (cx - size * 0.6, base + sign * size * 0.05 + size * 0.12),
            ],
            scene("wood"),
            line,
        )
    flame = [
        (cx - size * 0.35, base + size * 0.02),
        (cx - size * 0.2, base - size * 0.5),
        (cx - size * 0.05, base - size * 0.25),
        (cx + size * 0.05, base - size * 0.8),
        (cx + size * 0.18, base - size * 0.3),
        (cx + size * 0.3, base - size * 0.55),
        (cx + size * 0.38, base + size * 0.02),
    ]
    s.polygon(smooth(flame, 1), scene("fire"), line)
    for k in range(3):
        x = cx + size * (-0.2 + 0.2 * k)
        s.line([(x, base - size * (0.9 + 0.1 * k)), (x + size * 0.05, base - size * (1.05 + 0.1 * k))], 0.6)


def wagon(s: Sketch, cx: float, base: float, height: float, facing: int, line: float = 1.0) -> None:
    """A covered wagon in side view: bed, canvas hoops, two wheels; `height` is the canvas top above `base`."""
    w = height * 1.5

    def at(u: float, v: float) -> Point:
        return cx + facing * u * w, base - v * height

    bed = [at(-0.5, 0.22), at(0.42, 0.22), at(0.42, 0.45), at(-0.5, 0.45)]
    canvas = [
        at(-0.46, 0.45),
        at(-0.5, 0.8),
        at(-0.35, 0.98),
        at(0.0, 1.0),
        at(0.3, 0.98),
        at(0.42, 0.8),
        at(0.38, 0.45),
    ]
    s.polygon(smooth(canvas, 2), scene("paper"), line)
    for u in (-0.25, 0.0, 0.25):
        s.line([at(u, 0.46), at(u * 1.05, 0.98)], line * 0.6)
    s.polygon(bed, scene("wood"), line)
    s.hatch(bed, 2.2, 0, 0.45)
    s.line([at(0.42, 0.3), at(0.7, 0.26)], line)
    for u, r in ((-0.32, 0.2), (0.28, 0.16)):
        x, y = at(u, r)
        rx = r * height
        s.ellipse((x - rx, y - rx, x + rx, y + rx), scene("wood"), line)
        for k in range(8):
            a = math.pi * k / 4
            s.line([(x, y), (x + rx * 0.92 * math.cos(a), y + rx * 0.92 * math.sin(a))], line * 0.6)
        s.ellipse((x - rx * 0.15, y - rx * 0.15, x + rx * 0.15, y + rx * 0.15), scene("metal"), line * 0.7)


def seat(s: Sketch, x0: float, x1: float, top: float, base: float, chair: bool, line: float = 1.0) -> None:
    """A crate (outdoors) or a chair (indoors) under a sitting figure."""
    if chair:
        s.polygon(
            [(x0, top), (x1, top), (x1, top + (base - top) * 0.12), (x0, top + (base - top) * 0.12)],
            scene("wood"),
            line,
        )
        for x in (x0 + (x1 - x0) * 0.08, x1 - (x1 - x0) * 0.08):
            s.line([(x, top), (x, base)], line * 1.4)
        return
    s.polygon([(x0, top), (x1, top), (x1, base), (x0, base)], scene("wood"), line)
    s.line([(x0, top), (x1, base)], line * 0.6)
    s.line([(x1, top), (x0, base)], line * 0.6)


def card_table(s: Sketch, x0: float, x1: float, top: float, base: float, line: float = 1.0) -> None:
    """A round saloon table seen from the side, with a few cards and a bottle on it."""
    thick = (base - top) * 0.07
    s.polygon([(x0, top), (x1, top), (x1, top + thick), (x0, top + thick)], scene("wood"), line)
    cx = (x0 + x1) / 2
    s.polygon(
        [
            (cx - thick * 0.5, top + thick),
            (cx + thick * 0.5, top + thick),
            (cx + thick * 0.5, base),
            (cx - thick * 0.5, base),
        ],
        scene("wood"),
        line,
    )
    s.line([(cx - (x1 - x0) * 0.2, base), (cx + (x1 - x0) * 0.2, base)], line * 1.2)
    for k in range(3):
        x = x0 + (x1 - x0) * (0.2 + 0.18 * k)
        s.polygon(
            [
                (x, top - thick * 0.2),
                (x + thick * 1.6, top - thick * 0.45),
                (x + thick * 1.8, top),
                (x + thick * 0.2, top + thick * 0.1),
            ],
            scene("paper"),
            line * 0.6,
        )
