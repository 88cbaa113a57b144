"""Storyboard figures: an articulated western mannequin (hat, neckerchief, shirt, gunbelt, boots) on a skeleton.

A figure is designed in figure units (0 = top of the hat, 1 = sole of the boots, u > 0 towards where it faces);
its pose (tools/render/skeleton.py) moves the joints, and limbs are tapered shapes between them. A Placement
maps figure units to panel pixels. Every part is a closed region tagged (name, part), so the colorist can give
each character its own colours; what a figure holds (colt, rifle, bottle, torch, rope, cards) is drawn in its hand.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tools.render.art import FigureBox, RegionTag
from tools.render.looks import FigureLook
from tools.render.skeleton import Pose, pose_for, transform
from tools.render.sketch import Point, Sketch, smooth

# A three-quarter head facing +u: skull, brow, nose, lips, chin, jaw (figure units).
HEAD_OUTLINE: list[Point] = [
    (-0.046, 0.1),
    (-0.036, 0.052),
    (0.0, 0.036),
    (0.04, 0.05),
    (0.056, 0.086),
    (0.07, 0.12),
    (0.058, 0.128),
    (0.06, 0.142),
    (0.052, 0.166),
    (0.022, 0.18),
    (-0.016, 0.166),
    (-0.04, 0.138),
]
HELD = ("revolver", "rifle", "bottle", "torch", "rope", "cards")
__all__ = ["FigureDrawer", "FigureLook", "Placement", "HELD"]


@dataclass(frozen=True)
class Placement:
    """Maps figure units to supersampled pixels: `cx`, `top` (hat top), `height` (hat to sole), `facing` ±1."""

    cx: float
    top: float
    height: float
    facing: int

    def at(self, u: float, v: float) -> Point:
        return self.cx + self.facing * u * self.height, self.top + v * self.height

    def poly(self, points: list[Point]) -> list[Point]:
        return [self.at(u, v) for u, v in points]

    def box(self, u0: float, v0: float, u1: float, v1: float) -> tuple[float, float, float, float]:
        (ax, ay), (bx, by) = self.at(u0, v0), self.at(u1, v1)
        return min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)


@dataclass(frozen=True)
class Posed:
    """A Placement seen through a pose: design points are rotated with the body and, for the head, moved
    with the neck (`offset`)."""

    place: Placement
    pose: Pose
    offset: Point = (0.0, 0.0)

    @property
    def height(self) -> float:
        return self.place.height

    def at(self, u: float, v: float) -> Point:
        return self.place.at(*transform(self.pose, (u + self.offset[0], v + self.offset[1])))

    def poly(self, points: list[Point]) -> list[Point]:
        return [self.at(u, v) for u, v in points]

    def box(self, u0: float, v0: float, u1: float, v1: float) -> tuple[float, float, float, float]:
        corners = [self.at(u, v) for u in (u0, u1) for v in (v0, v1)]
        xs, ys = [c[0] for c in corners], [c[1] for c in corners]
        return min(xs), min(ys), max(xs), max(ys)

    def head(self) -> Posed:
        return Posed(self.place, self.pose, self.pose.head_offset)


def _limb(a: Point, b: Point, half_a: float, half_b: float) -> list[Point]:
    """A tapered quad from a to b in figure units: a+, b+, b-, a-."""
    (ax, ay), (bx, by) = a, b
    length = math.hypot(bx - ax, by - ay) or 1.0
    nx, ny = -(by - ay) / length, (bx - ax) / length
    return [
        (ax + nx * half_a, ay + ny * half_a),
        (bx + nx * half_b, by + ny * half_b),
        (bx - nx * half_b, by - ny * half_b),
        (ax - nx * half_a, ay - ny * half_a),
    ]


def _along(a: Point, b: Point, t: float) -> Point:
    return a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t


class FigureDrawer:
    """Draws one character on a Sketch in a pose; line weight and hatching grow with the figure."""

    def __init__(
        self,
        sketch: Sketch,
        name: str,
        look: FigureLook,
        pose: str,
        detail: bool,
        *,
        mounted: bool = False,
        holds: tuple[str, ...] = (),
        silhouette: bool = False,
    ):
        self.s, self.name, self.look, self.detail = sketch, name, look, detail
        self.holds = tuple(h for h in holds if h in HELD)
        self.pose_name, self.mounted = pose, mounted
        self.pose = pose_for(pose, mounted=mounted, rifle="rifle" in self.holds)
        self.silhouette = silhouette
        self.line, self.spacing = 1.2, 2.0

    @property
    def joints(self) -> dict[str, Point]:
        return self.pose.joints

    def tag(self, part: str) -> RegionTag:
        return RegionTag(self.name, part)

    def shape(
        self,
        p: Posed,
        points: list[Point],
        part: str | RegionTag,
        weight: float = 1.0,
        ink_fill: int = 255,
        rounds: int = 2,
    ) -> None:
        tag = part if isinstance(part, RegionTag) else self.tag(part)
        fill = 0 if self.silhouette else ink_fill
        self.s.polygon(smooth(p.poly(points), rounds), tag, self.line * weight, fill)

    def shade(self, p: Posed, points: list[Point], angle: float = 60.0) -> None:
        if not self.silhouette:
            self.s.hatch(smooth(p.poly(points), 1), self.spacing, angle, max(0.45, self.line * 0.35))

    def draw(self, place: Placement) -> None:
        """Back arm, back leg, front leg, torso, front arm, what the hands hold, head."""
        p = Posed(place, self.pose)
        out_height = place.height / self.s.scale
        self.line = min(3.2, max(1.0, out_height * 0.0028))
        self.spacing = min(6.0, max(1.8, out_height * 0.0045))
        j = self.joints
        self._hair_back(p.head())
        self._arm(p, j["shoulder_b"], j["elbow_b"], j["hand_b"], front=False)
        self._leg(p, j["hip_b"], j["knee_b"], j["foot_b"], shaded=True)
        self._leg(p, j["hip_f"], j["knee_f"], j["foot_f"], shaded=False)
        self._torso(p)
        if "rifle" in self.holds:
            self._rifle(p)
        self._arm(p, j["shoulder_f"], j["elbow_f"], j["hand_f"], front=True)
        for item in self.holds:
            if item != "rifle":
                getattr(self, f"_{item}")(p)
        self._head(p.head())

    # ---- body ----
    def _leg(self, p: Posed, hip: Point, knee: Point, foot: Point, shaded: bool) -> None:
        thigh, shin = _limb(hip, knee, 0.046, 0.034), _limb(knee, foot, 0.034, 0.03)
        self.shape(p, [thigh[0], thigh[1], shin[1], shin[2], thigh[2], thigh[3]], "trousers", rounds=1)
        if self.detail and shaded:
            self.shade(
                p,
                [thigh[0], thigh[1], shin[1], _along(shin[1], shin[2], 0.5), _along(thigh[0], thigh[3], 0.5)],
                70,
            )
        top = _along(foot, knee, 0.36)
        dx, dy = foot[0] - knee[0], foot[1] - knee[1]
        length = math.hypot(dx, dy) or 1.0
        nx, ny = -dy / length, dx / length  # across the shin
        side = 1 if nx >= 0 else -1
        w = 0.034
        toe = (foot[0] + 0.065, foot[1] + 0.01)
        heel = (foot[0] - 0.035, foot[1] + 0.012)
        self.shape(
            p,
            [
                (top[0] + side * nx * w, top[1] + side * ny * w),
                (top[0] - side * nx * w, top[1] - side * ny * w),
                heel,
                (foot[0] - 0.03, foot[1] + 0.04),
                (toe[0] + 0.01, foot[1] + 0.04),
                toe,
            ],
            "boots",
            ink_fill=70,
            rounds=1,
        )

    def _torso(self, p: Posed) -> None:
        j = self.joints
        sb, sf, hb, hf = j["shoulder_b"], j["shoulder_f"], j["hip_b"], j["hip_f"]
        waist_b, waist_f = _along(sb, hb, 0.45), _along(sf, hf, 0.45)
        outline = [
            (sb[0] - 0.012, sb[1] - 0.006),
            (j["neck"][0] - 0.05, j["neck"][1]),
            (j["neck"][0] + 0.05, j["neck"][1]),
            (sf[0] + 0.014, sf[1] - 0.006),
            (waist_f[0] + 0.012, waist_f[1]),
            (hf[0] + 0.04, hf[1]),
            (hb[0] - 0.04, hb[1]),
            (waist_b[0] - 0.012, waist_b[1]),
        ]
        self.shape(p, outline, "shirt")
        mid_top = (j["neck"][0] + 0.004, j["neck"][1] + 0.03)
        mid_bottom = ((hb[0] + hf[0]) / 2 + 0.006, (hb[1] + hf[1]) / 2 - 0.03)
        if self.look.jacket:
            for side in (-1, 1):
                edge = 0.02 * side
                self.shape(
                    p,
                    [
                        (mid_top[0] + edge, mid_top[1]),
                        (outline[3 if side > 0 else 0][0], outline[3 if side > 0 else 0][1]),
                        (outline[4 if side > 0 else 7][0], outline[4 if side > 0 else 7][1]),
                        (outline[5 if side > 0 else 6][0], outline[5 if side > 0 else 6][1] + 0.02),
                        (mid_bottom[0] + edge * 1.5, mid_bottom[1] + 0.05),
                    ],
                    "jacket",
                )
        else:
            self.s.line(p.poly([mid_top, mid_bottom]), self.line * 0.6)
        if self.look.poncho:
            self.shape(
                p,
                [
                    (sb[0] - 0.04, sb[1] + 0.02),
                    (j["neck"][0], j["neck"][1] - 0.005),
                    (sf[0] + 0.04, sf[1] + 0.02),
                    (sf[0] + 0.07, sf[1] + 0.17),
                    (sb[0] - 0.07, sb[1] + 0.17),
                ],
                "jacket",
                rounds=1,
            )
            for k in range(4):
                t = (k + 0.5) / 4
                a, b = _along((sb[0] - 0.07, sb[1] + 0.17), (sf[0] + 0.07, sf[1] + 0.17), t), None
                b = (a[0], a[1] - 0.03)
                self.s.line(p.poly([a, b]), self.line * 0.6)
        if self.detail:
            self.shade(
                p,
                [
                    (sb[0] - 0.01, sb[1] + 0.01),
                    (sb[0] + 0.03, sb[1] + 0.005),
                    (hb[0] - 0.01, hb[1] - 0.03),
                    (hb[0] - 0.035, hb[1] - 0.03),
                ],
                60,
            )
        belt_b, belt_f = (hb[0] - 0.04, hb[1] - 0.03), (hf[0] + 0.04, hf[1] - 0.03)
        self.shape(
            p,
            [belt_b, belt_f, (belt_f[0], belt_f[1] + 0.042), (belt_b[0], belt_b[1] + 0.042)],
            "belt",
            rounds=0,
        )
        buckle = _along(belt_b, belt_f, 0.55)
        self.shape(
            p,
            [
                (buckle[0] - 0.016, buckle[1] + 0.004),
                (buckle[0] + 0.016, buckle[1] + 0.004),
                (buckle[0] + 0.016, buckle[1] + 0.038),
                (buckle[0] - 0.016, buckle[1] + 0.038),
            ],
            RegionTag("scene", "metal"),
            0.7,
            rounds=0,
        )
        if "revolver" not in self.holds and self.look.gunbelt:
            self.shape(
                p,
                [
                    (belt_b[0] - 0.01, belt_b[1] + 0.03),
                    (belt_b[0] + 0.032, belt_b[1] + 0.03),
                    (belt_b[0] + 0.028, belt_b[1] + 0.15),
                    (belt_b[0] - 0.006, belt_b[1] + 0.15),
                ],
                "belt",
                ink_fill=90,
                rounds=1,
            )
        neck = j["neck"]
        self.shape(
            p,
            [
                (neck[0] - 0.052, neck[1] - 0.003),
                (neck[0] + 0.054, neck[1] - 0.003),
                (neck[0] + 0.01, neck[1] + 0.065),
            ],
            "neckerchief",
            rounds=1,
        )
        if self.look.star:
            c = _along(sf, hf, 0.22)
            c = (c[0] - 0.03, c[1])
            pts = [
                (
                    c[0] + (0.018 if k % 2 == 0 else 0.008) * math.cos(math.radians(-90 + 36 * k)),
                    c[1] + (0.018 if k % 2 == 0 else 0.008) * math.sin(math.radians(-90 + 36 * k)),
                )
                for k in range(10)
            ]
            self.shape(p, pts, RegionTag("scene", "metal"), 0.6, rounds=0)

    def _arm(self, p: Posed, shoulder: Point, elbow: Point, hand: Point, front: bool) -> None:
        sleeve = "jacket" if self.look.jacket else "shirt"
        upper, fore = _limb(shoulder, elbow, 0.034, 0.027), _limb(elbow, hand, 0.027, 0.022)
        self.shape(p, [upper[0], upper[1], fore[1], fore[2], upper[2], upper[3]], sleeve, rounds=1)
        if not front and self.detail:
            self.shade(p, [upper[0], upper[1], fore[1], fore[2], upper[2], upper[3]], 50)
        hx, hy = hand
        fist = self.pose_name == "punch" and front
        r = 0.026 if fist else 0.022
        self.shape(
            p,
            [
                (hx - r, hy - r * 0.9),
                (hx + r, hy - r),
                (hx + r * 1.3, hy + r * 0.4),
                (hx + r * 0.4, hy + r * 1.3),
                (hx - r, hy + r),
            ],
            "skin",
            ink_fill=255,
            rounds=2,
        )
        if fist and self.detail:
            for k in range(3):
                self.s.line(
                    p.poly(
                        [
                            (hx + r * 0.9, hy - r * 0.6 + k * r * 0.6),
                            (hx + r * 0.3, hy - r * 0.6 + k * r * 0.6),
                        ]
                    ),
                    self.line * 0.5,
                )

    def _direction(self) -> tuple[float, float]:
        """The front forearm's direction (unit vector in figure units)."""
        (ex, ey), (hx, hy) = self.joints["elbow_f"], self.joints["hand_f"]
        length = math.hypot(hx - ex, hy - ey) or 1.0
        return (hx - ex) / length, (hy - ey) / length

    # ---- what the hands hold ----
    def _revolver(self, p: Posed) -> None:
        hx, hy = self.joints["hand_f"]
        dx, dy = self._direction()
        if self.pose_name not in ("aim", "shoot"):
            dx, dy = (0.3, 0.95)  # held low, muzzle down
        nx, ny = -dy, dx
        tip = (hx + dx * 0.13, hy + dy * 0.13)
        metal = RegionTag("scene", "metal")
        self.shape(
            p,
            [
                (hx - nx * 0.016, hy - ny * 0.016 - 0.012),
                (tip[0] - nx * 0.016, tip[1] - ny * 0.016),
                (tip[0] + nx * 0.002, tip[1] + ny * 0.002),
                (hx + nx * 0.012, hy + ny * 0.012),
            ],
            metal,
            ink_fill=150,
            rounds=0,
        )
        if self.pose_name == "shoot":
            self._flash(p, tip, (dx, dy), 0.05)

    def _rifle(self, p: Posed) -> None:
        j = self.joints
        back, front = j["hand_b"], j["hand_f"]
        if self.pose_name in ("aim", "shoot"):
            dx, dy = front[0] - back[0], front[1] - back[1]
            length = math.hypot(dx, dy) or 1.0
            dx, dy = dx / length, dy / length
            butt, tip = (back[0] - dx * 0.09, back[1] - dy * 0.09), (front[0] + dx * 0.2, front[1] + dy * 0.2)
        else:  # carried across the body
            butt, tip = (front[0] + 0.02, front[1] + 0.09), (front[0] - 0.08, front[1] - 0.3)
            dx, dy = tip[0] - butt[0], tip[1] - butt[1]
            length = math.hypot(dx, dy) or 1.0
            dx, dy = dx / length, dy / length
        nx, ny = -dy, dx
        stock_end = _along(butt, tip, 0.3)
        self.shape(
            p,
            [
                (butt[0] - nx * 0.022, butt[1] - ny * 0.022),
                (stock_end[0] - nx * 0.012, stock_end[1] - ny * 0.012),
                (stock_end[0] + nx * 0.012, stock_end[1] + ny * 0.012),
                (butt[0] + nx * 0.01, butt[1] + ny * 0.01),
            ],
            RegionTag("scene", "wood"),
            rounds=0,
        )
        self.shape(
            p,
            [
                (stock_end[0] - nx * 0.009, stock_end[1] - ny * 0.009),
                (tip[0] - nx * 0.007, tip[1] - ny * 0.007),
                (tip[0] + nx * 0.004, tip[1] + ny * 0.004),
                (stock_end[0] + nx * 0.006, stock_end[1] + ny * 0.006),
            ],
            RegionTag("scene", "metal"),
            rounds=0,
        )
        if self.pose_name == "shoot":
            self._flash(p, tip, (dx, dy), 0.06)

    def _flash(self, p: Posed, tip: Point, direction: Point, size: float) -> None:
        """A muzzle flash: a spiky star in front of the barrel."""
        dx, dy = direction
        cx, cy = tip[0] + dx * size * 0.8, tip[1] + dy * size * 0.8
        pts = []
        for k in range(14):
            r = size if k % 2 == 0 else size * 0.4
            a = math.atan2(dy, dx) + 2 * math.pi * k / 14
            pts.append((cx + r * math.cos(a), cy + r * math.sin(a)))
        self.shape(p, pts, RegionTag("scene", "fire"), 0.8, rounds=0)

    def _bottle(self, p: Posed) -> None:
        hx, hy = self.joints["hand_f"]
        self.shape(
            p,
            [
                (hx - 0.015, hy + 0.02),
                (hx - 0.015, hy - 0.04),
                (hx - 0.006, hy - 0.06),
                (hx - 0.006, hy - 0.085),
                (hx + 0.006, hy - 0.085),
                (hx + 0.006, hy - 0.06),
                (hx + 0.015, hy - 0.04),
                (hx + 0.015, hy + 0.02),
            ],
            RegionTag("scene", "window"),
            0.9,
            rounds=0,
        )

    def _torch(self, p: Posed) -> None:
        hx, hy = self.joints["hand_f"]
        self.shape(
            p,
            [
                (hx - 0.008, hy + 0.06),
                (hx + 0.02, hy - 0.12),
                (hx + 0.032, hy - 0.118),
                (hx + 0.008, hy + 0.062),
            ],
            RegionTag("scene", "wood"),
            0.9,
            rounds=0,
        )
        fx, fy = hx + 0.028, hy - 0.13
        self.shape(
            p,
            [
                (fx - 0.03, fy + 0.01),
                (fx - 0.02, fy - 0.05),
                (fx - 0.004, fy - 0.03),
                (fx + 0.006, fy - 0.09),
                (fx + 0.018, fy - 0.04),
                (fx + 0.032, fy - 0.06),
                (fx + 0.03, fy + 0.012),
            ],
            RegionTag("scene", "fire"),
            0.9,
            rounds=1,
        )

    def _rope(self, p: Posed) -> None:
        hx, hy = self.joints["hand_f"]
        for k in range(3):
            r = 0.04 + 0.008 * k
            self.s.line(
                smooth(
                    p.poly(
                        [
                            (hx + r * math.cos(a), hy + 0.04 + r * 0.8 * math.sin(a))
                            for a in [i * math.pi / 6 for i in range(13)]
                        ]
                    ),
                    1,
                ),
                self.line * 0.7,
            )

    def _cards(self, p: Posed) -> None:
        hx, hy = self.joints["hand_f"]
        for k in range(4):
            a = math.radians(-30 + 20 * k)
            ox, oy = 0.035 * math.sin(a), -0.035 * math.cos(a)
            cx, cy = hx + ox, hy - 0.015 + oy
            self.shape(
                p,
                [
                    (cx - 0.012, cy - 0.018),
                    (cx + 0.012, cy - 0.018),
                    (cx + 0.012, cy + 0.018),
                    (cx - 0.012, cy + 0.018),
                ],
                RegionTag("scene", "paper"),
                0.6,
                rounds=0,
            )

    # ---- head ----
    def _hair_back(self, p: Posed) -> None:
        if self.look.long_hair:
            self.shape(
                p,
                [(-0.058, 0.06), (0.02, 0.04), (0.0, 0.12), (-0.03, 0.25), (-0.08, 0.24), (-0.07, 0.12)],
                "hair",
                ink_fill=120,
            )

    def _head(self, p: Posed) -> None:
        self.shape(p, [(-0.024, 0.15), (0.026, 0.15), (0.028, 0.206), (-0.026, 0.206)], "skin", rounds=1)
        self.shape(
            p, [(-0.056, 0.1), (-0.04, 0.094), (-0.034, 0.118), (-0.044, 0.13), (-0.056, 0.12)], "skin", 0.7
        )
        self.shape(p, HEAD_OUTLINE, "skin", rounds=2)
        if self.detail and not self.silhouette:
            self._face(p)
        if self.look.mask:
            self.shape(
                p,
                [(-0.044, 0.122), (0.064, 0.118), (0.07, 0.15), (0.03, 0.19), (-0.03, 0.17)],
                "neckerchief",
                rounds=1,
            )
        hat = self.look.hat_style
        if hat == "sombrero":
            self._sombrero(p)
        elif hat == "kepi":
            self._kepi(p)
        elif hat:
            self._hat(p)
        elif self.look.headband:
            self.shape(
                p,
                [(-0.05, 0.045), (0.0, 0.034), (0.05, 0.046), (0.058, 0.07), (-0.052, 0.075)],
                "hair",
                ink_fill=110,
            )
            self.shape(
                p, [(-0.052, 0.062), (0.058, 0.058), (0.058, 0.074), (-0.052, 0.078)], "headband", rounds=0
            )
            self.shape(p, [(-0.05, 0.062), (-0.03, -0.06), (-0.016, -0.058), (-0.034, 0.064)], "feather")
        else:
            self.shape(
                p,
                [
                    (-0.05, 0.1),
                    (-0.046, 0.05),
                    (0.0, 0.032),
                    (0.05, 0.046),
                    (0.058, 0.07),
                    (0.0, 0.062),
                    (-0.03, 0.075),
                ],
                "hair",
                ink_fill=150,
            )

    def _hat(self, p: Posed) -> None:
        self.shape(
            p,
            [
                (-0.128, 0.05),
                (-0.07, 0.06),
                (0.07, 0.058),
                (0.136, 0.044),
                (0.13, 0.058),
                (0.07, 0.08),
                (-0.07, 0.082),
                (-0.124, 0.064),
            ],
            "hat",
            rounds=2,
        )
        self.shape(
            p,
            [
                (-0.054, 0.07),
                (-0.05, 0.024),
                (-0.03, 0.006),
                (0.002, 0.016),
                (0.034, 0.004),
                (0.06, 0.02),
                (0.062, 0.068),
            ],
            "hat",
            rounds=1,
        )
        self.shape(
            p,
            [(-0.053, 0.05), (0.061, 0.048), (0.062, 0.064), (-0.054, 0.066)],
            "hat",
            0.8,
            ink_fill=60,
            rounds=0,
        )
        if self.detail:
            self.shade(p, [(-0.04, 0.082), (0.05, 0.08), (0.058, 0.094), (-0.04, 0.098)], 0)

    def _sombrero(self, p: Posed) -> None:
        self.shape(
            p,
            [
                (-0.17, 0.07),
                (-0.08, 0.06),
                (0.08, 0.058),
                (0.18, 0.064),
                (0.16, 0.08),
                (0.0, 0.088),
                (-0.16, 0.084),
            ],
            "hat",
            rounds=2,
        )
        self.shape(
            p, [(-0.05, 0.066), (-0.04, 0.0), (0.0, -0.02), (0.045, 0.0), (0.056, 0.064)], "hat", rounds=2
        )
        self.s.line(p.poly([(-0.046, 0.046), (0.052, 0.044)]), self.line)

    def _kepi(self, p: Posed) -> None:
        self.shape(p, [(-0.05, 0.075), (-0.046, 0.02), (0.044, 0.01), (0.056, 0.074)], "hat", rounds=1)
        self.shape(p, [(0.03, 0.07), (0.1, 0.078), (0.09, 0.09), (0.03, 0.086)], "hat", ink_fill=60, rounds=0)

    def _face(self, p: Posed) -> None:
        s, w = self.s, self.line
        s.line(smooth(p.poly([(0.012, 0.093), (0.026, 0.088), (0.04, 0.091)]), 2, closed=False), w * 1.2)
        s.line(smooth(p.poly([(0.05, 0.09), (0.058, 0.092)]), 1, closed=False), w)
        for eu, half in ((0.028, 0.011), (0.055, 0.006)):
            s.line(
                smooth(p.poly([(eu - half, 0.104), (eu, 0.099), (eu + half, 0.103)]), 2, closed=False),
                w * 0.8,
            )
            s.ellipse(p.box(eu - 0.0035, 0.1, eu + 0.0035, 0.107), None, 0, ink_fill=0)
        s.line(smooth(p.poly([(0.052, 0.1), (0.066, 0.124), (0.052, 0.13)]), 1, closed=False), w * 0.9)
        mouth = [(0.026, 0.147), (0.04, 0.149), (0.054, 0.145)]
        if self.pose_name in ("talk", "fall", "shoot", "punch"):
            mouth = [(0.028, 0.144), (0.052, 0.142), (0.046, 0.154), (0.032, 0.155)]
            self.shape(p, mouth, RegionTag(self.name, "hair"), 0.7, ink_fill=40, rounds=1)
        else:
            s.line(smooth(p.poly(mouth), 1, closed=False), w)
        s.line(smooth(p.poly([(-0.004, 0.12), (0.008, 0.15), (0.024, 0.166)]), 1, closed=False), w * 0.6)
        self.shade(p, [(-0.044, 0.1), (-0.02, 0.1), (-0.006, 0.15), (0.01, 0.174), (-0.03, 0.158)], 120)
        if self.look.moustache or self.look.beard:
            self.shape(
                p, [(0.02, 0.132), (0.062, 0.13), (0.056, 0.142), (0.024, 0.142)], "hair", 0.6, ink_fill=150
            )
        if self.look.beard:
            self.shape(
                p, [(0.018, 0.156), (0.056, 0.154), (0.044, 0.192), (0.03, 0.194)], "hair", 0.6, ink_fill=190
            )

    # ---- where it is, for the letterer ----
    def figure_box(self, place: Placement, panel: tuple[int, int]) -> FigureBox:
        """The figure's body box, head and face boxes and mouth in output pixels, clipped to the panel."""
        k = self.s.scale
        p = Posed(place, self.pose)
        head = p.head()
        points = [p.at(u, v) for u, v in self.joints.values()]
        points += [head.at(u, v) for u in (-0.13, 0.14) for v in (0.0, 0.2)]
        xs, ys = [x for x, _ in points], [y for _, y in points]
        pad = 0.04 * place.height
        hx0, hy0, hx1, hy1 = head.box(-0.13, 0.0, 0.14, 0.2)
        fx0, fy0, fx1, fy1 = head.box(-0.05, 0.08, 0.075, 0.185)
        mx, my = head.at(0.04, 0.148)
        feet = [p.at(*self.joints["foot_b"])[1], p.at(*self.joints["foot_f"])[1]]
        return FigureBox(
            name=self.name,
            box=_clip_box(
                (min(xs) - pad) / k,
                (min(ys)) / k,
                (max(xs) + pad) / k,
                (max(max(ys), *feet) + pad / 2) / k,
                panel,
            ),
            head=_clip_box(hx0 / k, hy0 / k, hx1 / k, hy1 / k, panel),
            mouth=(int(min(max(mx / k, 0), panel[0] - 1)), int(min(max(my / k, 0), panel[1] - 1))),
            span=(round(place.top / k), round(place.height / k)),
            face=_clip_box(fx0 / k, fy0 / k, fx1 / k, fy1 / k, panel),
        )


def _clip_box(
    x0: float, y0: float, x1: float, y1: float, panel: tuple[int, int]
) -> tuple[int, int, int, int]:
    cx0, cy0 = max(0, int(x0)), max(0, int(y0))
    cx1, cy1 = min(panel[0], int(math.ceil(x1))), min(panel[1], int(math.ceil(y1)))
    return cx0, cy0, max(0, cx1 - cx0), max(0, cy1 - cy0)
