"""Storyboard settings: sky and ground split at the horizon, then what the place has (mesas, false fronts,
pines, a river, a campfire, a saloon wall), scaled by how far the camera stands. Every element is a tagged
region for the colorist; shading is hatching, which the colorist keeps.
"""

from __future__ import annotations

import random

from tools.render.art import RegionTag
from tools.render.scene import SceneKind
from tools.render.sketch import Point, Sketch


def scene(part: str) -> RegionTag:
    return RegionTag("scene", part)


class Backdrop:
    """Draws the setting of one panel on a Sketch; `depth` is 1 for the widest shots and ~0.2 for close-ups."""

    def __init__(
        self,
        sketch: Sketch,
        horizon: float,
        depth: float,
        night: bool,
        rng: random.Random,
        busy: list[float] | None = None,
        low_sun: bool = False,
    ):
        self.s, self.night, self.rng, self.depth, self.low_sun = sketch, night, rng, depth, low_sun
        self.fire = True  # the camp's own fire (off when the staging draws the campfire itself)
        self.busy = busy or []  # x (0..1) where figures stand: foreground props keep clear of them
        self.W, self.H = sketch.width, sketch.height
        self.hy = horizon * self.H

    def exterior(self, kind: SceneKind) -> None:
        s, W, H, hy = self.s, self.W, self.H, self.hy
        s.polygon([(0, 0), (W, 0), (W, hy), (0, hy)], scene("sky"), 0)
        self._sky()
        s.polygon([(0, hy), (W, hy), (W, H), (0, H)], scene("ground"), 0)
        getattr(self, f"_{kind}", self._plain)()
        s.line([(0, hy), (W, hy)], 1.0)
        self._ground_texture()

    def _sky(self) -> None:
        s, W, hy = self.s, self.W, self.hy
        if self.night:
            s.hatch([(0, 0), (self.W, 0), (self.W, hy * 0.55), (0, hy * 0.35)], 3.2, 0, 0.45)
            stars = [
                (self.rng.uniform(0, W), self.rng.uniform(0, hy * 0.8))
                for _ in range(int(18 * self.depth) + 4)
            ]
            for x, y in stars:
                r = s.scale * 1.6
                s.line([(x - r, y), (x + r, y)], 0.6)
                s.line([(x, y - r), (x, y + r)], 0.6)
            r = min(W, hy) * 0.09
            cx, cy = W * 0.8, hy * 0.3
            s.ellipse((cx - r, cy - r, cx + r, cy + r), scene("moon"), 1.0)
            s.ellipse((cx - r * 0.45, cy - r * 1.05, cx + r * 1.5, cy + r * 0.95), scene("sky"), 0)
        elif (
            self.low_sun and hy > self.H * 0.2
        ):  # dawn or dusk: a big sun on the horizon, long streaks of cloud
            r = min(W, hy) * 0.16
            cx = W * self.rng.uniform(0.2, 0.8)
            s.ellipse((cx - r, hy - r, cx + r, hy + r), scene("sun"), 0.8)
            for k in range(4):
                y = hy * (0.2 + 0.14 * k)
                x = W * self.rng.uniform(-0.1, 0.5)
                s.line([(x, y), (x + W * self.rng.uniform(0.3, 0.6), y)], 0.6)
        elif hy > self.H * 0.25:
            r = min(W, hy) * 0.08
            cx, cy = W * self.rng.uniform(0.7, 0.88), hy * 0.3
            s.ellipse((cx - r, cy - r, cx + r, cy + r), scene("sun"), 0.8)
            for k in range(3):
                y = hy * self.rng.uniform(0.12, 0.5)
                x = W * self.rng.uniform(0.05, 0.55)
                s.line(s.arc_points(x, y, W * 0.07, hy * 0.03, 180, 360, 8), 0.6)
                if k == 0:
                    s.line(s.arc_points(x + W * 0.08, y + hy * 0.01, W * 0.05, hy * 0.025, 180, 360, 8), 0.6)

    def _ground_texture(self) -> None:
        s, W, H, hy = self.s, self.W, self.H, self.hy
        for _ in range(int(10 + 14 * self.depth)):
            y = self.rng.uniform(hy + (H - hy) * 0.15, H * 0.98)
            x = self.rng.uniform(0, W)
            length = (y - hy) / (H - hy) * W * 0.06
            s.line([(x, y), (x + length, y)], 0.6)
        vx = W * 0.5
        for k in (-2, -1, 1, 2):
            s.line([(vx + k * W * 0.05, hy + (H - hy) * 0.25), (vx + k * W * 0.35, H)], 0.45, shade=90)

    def clear_x(self, candidates: list[float]) -> float:
        """The candidate x (0..1) farthest from every figure."""
        if not self.busy:
            return candidates[0]
        return max(candidates, key=lambda x: min(abs(x - b) for b in self.busy))

    def _mesa(self, x: float, width: float, height: float) -> None:
        hy, s = self.hy, self.s
        pts: list[Point] = [
            (x, hy),
            (x + 0.12 * width, hy - 0.75 * height),
            (x + 0.2 * width, hy - height),
            (x + 0.72 * width, hy - height),
            (x + 0.8 * width, hy - 0.8 * height),
            (x + 0.86 * width, hy - 0.55 * height),
            (x + width, hy),
        ]
        s.polygon(pts, scene("rock"), 1.0)
        s.hatch(
            [
                (x + 0.6 * width, hy - height),
                (x + 0.72 * width, hy - height),
                (x + 0.8 * width, hy - 0.8 * height),
                (x + 0.86 * width, hy - 0.55 * height),
                (x + width, hy),
                (x + 0.66 * width, hy),
            ],
            2.0,
            90,
            0.5,
        )
        for k in (0.35, 0.6):
            s.line([(x + 0.1 * width, hy - k * height), (x + 0.5 * width, hy - k * height)], 0.5)

    def _cactus(self, x: float, base: float, height: float) -> None:
        s, w = self.s, height * 0.16
        s.polygon(
            [
                (x - w / 2, base),
                (x - w / 2, base - height + w / 2),
                (x, base - height),
                (x + w / 2, base - height + w / 2),
                (x + w / 2, base),
            ],
            scene("cactus"),
            1.0,
        )
        for side, level in ((-1, 0.45), (1, 0.6)):
            arm_x = x + side * w * 1.4
            y0 = base - height * level
            s.polygon(
                [
                    (x + side * w / 2, y0),
                    (arm_x, y0),
                    (arm_x, y0 - height * 0.28),
                    (arm_x - side * w * 0.6, y0 - height * 0.28),
                    (arm_x - side * w * 0.6, y0 - w * 0.7),
                    (x + side * w / 2, y0 - w * 0.7),
                ],
                scene("cactus"),
                1.0,
            )
        s.line([(x, base - height * 0.9), (x, base - height * 0.1)], 0.4)

    def _desert(self) -> None:
        W, hy = self.W, self.hy
        for _ in range(self.rng.randint(2, 3)):
            width = W * self.rng.uniform(0.25, 0.45)
            self._mesa(self.rng.uniform(-0.1, 0.85) * W, width, hy * self.rng.uniform(0.15, 0.32))
        if self.depth > 0.3:
            for _ in range(self.rng.randint(1, 2)):
                base = self.hy + (self.H - self.hy) * self.rng.uniform(0.2, 0.6)
                x = self.clear_x(self.rng.sample([0.08, 0.15, 0.85, 0.92], 4))
                self._cactus(x * W, base, (base - self.hy) * 1.4 + 10)

    def _mountains(self) -> None:
        W, hy, s = self.W, self.hy, self.s
        peaks = 4 + int(3 * self.depth)
        pts: list[Point] = [(0, hy)]
        for i in range(peaks + 1):
            x = W * i / peaks
            pts.append((x, hy - hy * self.rng.uniform(0.08, 0.18)))
            if i < peaks:
                pts.append((x + W / peaks / 2, hy - hy * self.rng.uniform(0.3, 0.5)))
        pts.append((W, hy))
        s.polygon(pts, scene("mountain"), 1.0)
        for i in range(1, len(pts) - 2, 2):
            peak, valley = pts[i + 1], pts[i + 2] if i + 2 < len(pts) else pts[-1]
            s.hatch([peak, valley, (valley[0], hy), (peak[0], hy)], 2.2, 80, 0.5)

    def _pine(self, x: float, base: float, height: float) -> None:
        s, w = self.s, height * 0.42
        s.polygon(
            [
                (x - w * 0.08, base),
                (x + w * 0.08, base),
                (x + w * 0.08, base - height * 0.2),
                (x - w * 0.08, base - height * 0.2),
            ],
            scene("wood"),
            0.8,
        )
        for k in range(3):
            y0 = base - height * (0.15 + 0.27 * k)
            half = w * (0.5 - 0.12 * k)
            s.polygon([(x - half, y0), (x, y0 - height * 0.42), (x + half, y0)], scene("tree"), 0.9)
            s.hatch([(x, y0 - height * 0.42), (x + half, y0), (x, y0)], 1.8, 70, 0.45)

    def _forest(self) -> None:
        W, hy = self.W, self.hy
        count = 5 + int(6 * self.depth)
        for i in range(count):
            x = W * (i + self.rng.uniform(0.1, 0.9)) / count
            self._pine(x, hy + self.rng.uniform(0, 6), hy * self.rng.uniform(0.3, 0.5))

    def _river(self) -> None:
        s, W, H, hy = self.s, self.W, self.H, self.hy
        top, bottom = hy + (H - hy) * 0.3, hy + (H - hy) * 0.6
        s.polygon(
            [(0, top), (W, top - (H - hy) * 0.08), (W, bottom), (0, bottom + (H - hy) * 0.05)],
            scene("water"),
            1.0,
        )
        for k in range(4):
            y = top + (bottom - top) * (k + 0.5) / 4
            x = self.rng.uniform(0, W * 0.6)
            s.line(s.arc_points(x, y, W * 0.08, 3 * s.scale, 0, 180, 6), 0.5)
        self._plain()

    def _camp(self) -> None:
        s, W, H, hy = self.s, self.W, self.H, self.hy
        self._plain()
        base, size = hy + (H - hy) * 0.55, min(W, H) * 0.14
        cx = W * self.clear_x([0.5, 0.35, 0.65, 0.2, 0.8])
        for sign in (-1, 1) if self.fire else ():
            s.polygon(
                [
                    (cx - size * 0.6, base + sign * size * 0.05),
                    (cx + size * 0.6, base - sign * size * 0.1),
                    (cx + size * 0.6, base - sign * size * 0.1 + size * 0.12),
                    (cx - size * 0.6, base + sign * size * 0.05 + size * 0.12),
                ],
                scene("wood"),
                1.0,
            )
        if self.fire:
            s.polygon(
                [
                    (cx - size * 0.35, base + size * 0.02),
                    (cx - size * 0.2, base - size * 0.5),
                    (cx - size * 0.05, base - size * 0.25),
                    (cx + size * 0.05, base - size * 0.8),
                    (cx + size * 0.18, base - size * 0.3),
                    (cx + size * 0.3, base - size * 0.55),
                    (cx + size * 0.38, base + size * 0.02),
                ],
                scene("fire"),
                1.0,
            )
        tw = W * 0.22
        tx = W * self.clear_x([0.12, 0.66])
        s.polygon(
            [(tx, hy + (H - hy) * 0.2), (tx + tw / 2, hy - hy * 0.35), (tx + tw, hy + (H - hy) * 0.2)],
            scene("object"),
            1.0,
        )
        s.polygon(
            [(tx + tw * 0.4, hy + (H - hy) * 0.2), (tx + tw / 2, hy), (tx + tw * 0.6, hy + (H - hy) * 0.2)],
            None,
            0.8,
            ink_fill=40,
        )

    def _town(self) -> None:
        s, W, hy = self.s, self.W, self.hy
        x = -W * 0.05
        while x < W:
            width = W * self.rng.uniform(0.18, 0.3)
            height = hy * self.rng.uniform(0.35, 0.6)
            s.polygon(
                [(x, hy), (x, hy - height), (x + width, hy - height), (x + width, hy)], scene("building"), 1.0
            )
            s.polygon(
                [
                    (x + width * 0.1, hy - height * 0.92),
                    (x + width * 0.9, hy - height * 0.92),
                    (x + width * 0.9, hy - height * 0.78),
                    (x + width * 0.1, hy - height * 0.78),
                ],
                scene("wood"),
                0.7,
            )
            for wx in (0.18, 0.62):
                s.polygon(
                    [
                        (x + width * wx, hy - height * 0.6),
                        (x + width * (wx + 0.2), hy - height * 0.6),
                        (x + width * (wx + 0.2), hy - height * 0.4),
                        (x + width * wx, hy - height * 0.4),
                    ],
                    scene("window"),
                    0.8,
                )
            s.polygon(
                [
                    (x + width * 0.4, hy),
                    (x + width * 0.4, hy - height * 0.3),
                    (x + width * 0.6, hy - height * 0.3),
                    (x + width * 0.6, hy),
                ],
                scene("wood"),
                0.8,
                ink_fill=110,
            )
            s.hatch(
                [
                    (x + width * 0.82, hy - height),
                    (x + width, hy - height),
                    (x + width, hy),
                    (x + width * 0.82, hy),
                ],
                2.2,
                90,
                0.45,
            )
            x += width + W * self.rng.uniform(0.0, 0.06)

    def _plain(self) -> None:
        s, W, hy = self.s, self.W, self.hy
        pts: list[Point] = [(0, hy)]
        for i in range(7):
            pts.append((W * i / 6, hy - hy * self.rng.uniform(0.03, 0.1)))
        pts.append((W, hy))
        s.polygon(pts, scene("mountain"), 0.8)

    def interior(self, saloon: bool, lamp: bool = False) -> None:
        s, W, H = self.s, self.W, self.H
        floor = self.hy
        s.polygon([(0, 0), (W, 0), (W, floor), (0, floor)], scene("wall"), 0)
        for k in range(1, 9):
            s.line([(W * k / 9, 0), (W * k / 9, floor)], 0.45, shade=80)
        s.polygon([(0, floor), (W, floor), (W, H), (0, H)], scene("floor"), 0)
        vx = W * 0.5
        for k in range(-5, 6):
            s.line([(vx + k * W * 0.09, floor), (vx + k * W * 0.3, H)], 0.5)
        s.line([(0, floor), (W, floor)], 1.2)
        wx, wy, ww, wh = W * 0.62, floor * 0.22, W * 0.22, floor * 0.38
        s.polygon([(wx, wy), (wx + ww, wy), (wx + ww, wy + wh), (wx, wy + wh)], scene("window"), 1.4)
        s.line([(wx + ww / 2, wy), (wx + ww / 2, wy + wh)], 1.0)
        s.line([(wx, wy + wh / 2), (wx + ww, wy + wh / 2)], 1.0)
        dx, dw = W * 0.08, W * 0.2
        s.polygon(
            [(dx, floor), (dx, floor * 0.25), (dx + dw, floor * 0.25), (dx + dw, floor)], scene("wood"), 1.4
        )
        s.hatch(
            [(dx, floor * 0.25), (dx + dw * 0.25, floor * 0.25), (dx + dw * 0.25, floor), (dx, floor)],
            2.0,
            90,
            0.5,
        )
        if saloon:
            top = floor + (H - floor) * 0.1
            s.polygon(
                [
                    (W * 0.35, top),
                    (W, top),
                    (W, top + (H - floor) * 0.45),
                    (W * 0.35, top + (H - floor) * 0.45),
                ],
                scene("wood"),
                1.4,
            )
            s.hatch(
                [
                    (W * 0.35, top + (H - floor) * 0.12),
                    (W, top + (H - floor) * 0.12),
                    (W, top + (H - floor) * 0.45),
                    (W * 0.35, top + (H - floor) * 0.45),
                ],
                2.4,
                90,
                0.5,
            )
            for bx in (0.5, 0.58, 0.8):
                s.polygon(
                    [
                        (W * bx, top),
                        (W * bx, top - H * 0.08),
                        (W * (bx + 0.02), top - H * 0.11),
                        (W * (bx + 0.04), top - H * 0.08),
                        (W * (bx + 0.04), top),
                    ],
                    scene("object"),
                    1.0,
                )
        lx = W * 0.45
        if lamp:  # a lit oil lamp: its glass is a "fire" region the colorist lights the room from
            s.ellipse((lx - W * 0.025, floor * 0.2, lx + W * 0.025, floor * 0.27), scene("fire"), 1.0)
        s.line([(lx, 0), (lx, floor * 0.15)], 0.8)
        s.polygon(
            [
                (lx - W * 0.04, floor * 0.2),
                (lx - W * 0.02, floor * 0.15),
                (lx + W * 0.02, floor * 0.15),
                (lx + W * 0.04, floor * 0.2),
            ],
            scene("metal"),
            1.0,
        )
