"""Storyboard figures: a western mannequin (hat, neckerchief, shirt, gunbelt, boots) posed and framed by shot.

A figure is designed in figure units (0 = top of the hat, 1 = sole of the boots, u > 0 towards where it
faces) and mapped to panel pixels by a Placement. Every part is a closed region tagged (name, part), so the
colorist can give each character its own colours.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from tools.models.image import FigureBox, RegionTag
from tools.render.palette import profile_character
from tools.render.sketch import Point, Sketch, smooth

ARM_POSES: dict[str, tuple[tuple[Point, Point], tuple[Point, Point]]] = {
    # (elbow, hand) of the back arm, then of the front arm, in figure units
    "rest": (((-0.13, 0.33), (-0.125, 0.455)), ((0.13, 0.33), (0.125, 0.455))),
    "gun": (((-0.13, 0.33), (-0.12, 0.45)), ((0.2, 0.235), (0.32, 0.225))),
    "point": (((-0.13, 0.33), (-0.12, 0.45)), ((0.19, 0.17), (0.27, 0.09))),
    "hands_up": (((-0.18, 0.14), (-0.17, 0.02)), ((0.18, 0.14), (0.17, 0.02))),
    "hips": (((-0.19, 0.3), (-0.085, 0.43)), ((0.19, 0.3), (0.085, 0.43))),
    "wave": (((-0.13, 0.33), (-0.12, 0.45)), ((0.2, 0.2), (0.2, 0.06))),
    "rifle": (((-0.05, 0.31), (0.1, 0.27)), ((0.17, 0.28), (0.25, 0.24))),
}
POSE_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("hands_up", ("mani in alto", "alza le mani", "si arrende", "hands up", "braccia alzate")),
    ("rifle", ("fucile", "winchester", "carabina", "rifle")),
    ("gun", ("pistola", "spara", "colt", "revolver", "impugna", "mira", "estrae", "gun", "draws", "aims", "shoot")),
    ("point", ("indica", "punta il dito", "mostra", "points", "pointing")),
    ("wave", ("saluta", "agita", "wave", "chiama")),
    ("hips", ("fianchi", "braccia conserte", "incrociate", "hips", "aspetta")),
)


# A three-quarter head facing +u: skull, brow, nose, lips, chin, jaw (figure units).
HEAD_OUTLINE: list[Point] = [
    (-0.046, 0.1), (-0.036, 0.052), (0.0, 0.036), (0.04, 0.05), (0.056, 0.086), (0.07, 0.12), (0.058, 0.128),
    (0.06, 0.142), (0.052, 0.166), (0.022, 0.18), (-0.016, 0.166), (-0.04, 0.138),
]


@dataclass(frozen=True)
class FigureLook:
    """What a character wears besides the standard kit, read from the series profile."""

    hat: bool = True
    beard: bool = False
    moustache: bool = False
    headband: bool = False
    long_hair: bool = False
    jacket: bool = False

    @classmethod
    def from_profile(cls, profile: object, name: str) -> FigureLook:
        """Features from the character's palette parts and traits (a headband, a cloak, a moustache...)."""
        character = profile_character(profile, name)
        if character is None:
            return cls()
        parts = {str(k).lower() for k in (getattr(character, "palette", None) or {})}
        words = " ".join(str(t) for t in [*(getattr(character, "traits", None) or []),
                                          getattr(character, "role", "")]).lower()
        native = bool(parts & {"headband", "feather"})
        return cls(
            hat=not native and not parts & {"cloak", "robe", "dress"},
            beard="beard" in parts or "barba" in words,
            moustache="moustache" in parts or "baffi" in words,
            headband="headband" in parts,
            long_hair=native or bool(parts & {"dress"}),
            jacket=bool(parts & {"jacket", "cloak", "fringe", "suit"}),
        )


def pose_of(text: str) -> str:
    """The arm pose a pose/description text asks for ("rest" when none does)."""
    lowered = text.lower()
    for pose, words in POSE_WORDS:
        if any(re.search(rf"\b{re.escape(w)}", lowered) for w in words):
            return pose
    return "rest"


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


def _limb_units(a: Point, b: Point, half_a: float, half_b: float) -> list[Point]:
    """A tapered quad from a to b in figure units: a+, b+, b-, a-."""
    (ax, ay), (bx, by) = a, b
    length = math.hypot(bx - ax, by - ay) or 1.0
    nx, ny = -(by - ay) / length, (bx - ax) / length
    return [(ax + nx * half_a, ay + ny * half_a), (bx + nx * half_b, by + ny * half_b),
            (bx - nx * half_b, by - ny * half_b), (ax - nx * half_a, ay - ny * half_a)]


class FigureDrawer:
    """Draws one character on a Sketch; line weight and hatching grow with the figure."""

    def __init__(self, sketch: Sketch, name: str, look: FigureLook, pose: str, detail: bool):
        self.s, self.name, self.look, self.pose, self.detail = sketch, name, look, pose, detail
        self.line, self.spacing = 1.2, 2.0

    def tag(self, part: str) -> RegionTag:
        return RegionTag(self.name, part)

    def shape(self, p: Placement, points: list[Point], part: str | RegionTag, weight: float = 1.0,
              ink_fill: int = 255, rounds: int = 2) -> None:
        tag = part if isinstance(part, RegionTag) else self.tag(part)
        self.s.polygon(smooth(p.poly(points), rounds), tag, self.line * weight, ink_fill)

    def shade(self, p: Placement, points: list[Point], angle: float = 60.0) -> None:
        self.s.hatch(smooth(p.poly(points), 1), self.spacing, angle, max(0.45, self.line * 0.35))

    def draw(self, p: Placement) -> None:
        out_height = p.height / self.s.scale
        self.line = min(3.2, max(1.0, out_height * 0.0028))
        self.spacing = min(6.0, max(1.8, out_height * 0.0045))
        back_arm, front_arm = ARM_POSES.get(self.pose, ARM_POSES["rest"])
        self._hair_back(p)
        self._arm(p, (-0.088, 0.228), *back_arm)
        self._legs(p)
        self._torso(p)
        self._arm(p, (0.088, 0.228), *front_arm)
        if self.pose in ("gun", "rifle"):
            self._weapon(p, front_arm[1])
        self._head(p)

    def _legs(self, p: Placement) -> None:
        self.shape(p, [(-0.088, 0.45), (0.004, 0.47), (-0.004, 0.52), (-0.036, 0.7), (-0.042, 0.9),
                       (-0.1, 0.9), (-0.098, 0.7)], "trousers", rounds=1)
        self.shape(p, [(-0.004, 0.52), (0.004, 0.47), (0.088, 0.45), (0.098, 0.7), (0.102, 0.9),
                       (0.044, 0.9), (0.036, 0.7)], "trousers", rounds=1)
        self.s.line(p.poly([(-0.002, 0.5), (0.0, 0.6)]), self.line * 0.6)
        if self.detail:
            self.shade(p, [(-0.088, 0.5), (-0.05, 0.52), (-0.07, 0.88), (-0.098, 0.88)], 70)
        self.shape(p, [(-0.104, 0.86), (-0.04, 0.86), (-0.036, 0.975), (-0.026, 1.0), (-0.122, 1.0),
                       (-0.11, 0.95)], "boots", ink_fill=70, rounds=1)
        self.shape(p, [(0.042, 0.86), (0.106, 0.86), (0.11, 0.95), (0.165, 0.975), (0.168, 1.0), (0.036, 1.0)],
                   "boots", ink_fill=70, rounds=1)

    def _torso(self, p: Placement) -> None:
        self.shape(p, [(-0.1, 0.222), (-0.058, 0.198), (0.058, 0.198), (0.102, 0.222), (0.1, 0.3), (0.088, 0.452),
                       (-0.088, 0.452), (-0.1, 0.3)], "shirt")
        if self.look.jacket:
            self.shape(p, [(-0.104, 0.218), (-0.06, 0.196), (-0.02, 0.2), (-0.04, 0.47), (-0.096, 0.47),
                           (-0.104, 0.3)], "jacket")
            self.shape(p, [(0.02, 0.2), (0.06, 0.196), (0.106, 0.218), (0.106, 0.3), (0.096, 0.47), (0.04, 0.47)],
                       "jacket")
            if self.detail:
                for k in range(7):
                    u = -0.095 + k * 0.008
                    self.s.line(p.poly([(u, 0.46), (u - 0.004, 0.5)]), self.line * 0.5)
        else:
            self.s.line(p.poly([(0.004, 0.23), (0.008, 0.44)]), self.line * 0.6)
            self.shape(p, [(0.03, 0.262), (0.078, 0.26), (0.076, 0.302), (0.032, 0.302)], "shirt", 0.6, rounds=0)
        if self.detail:
            self.shade(p, [(-0.1, 0.23), (-0.06, 0.22), (-0.065, 0.44), (-0.088, 0.44)], 60)
        self.shape(p, [(-0.09, 0.438), (0.09, 0.438), (0.09, 0.48), (-0.09, 0.48)], "belt", rounds=0)
        self.shape(p, [(-0.01, 0.442), (0.022, 0.442), (0.022, 0.476), (-0.01, 0.476)], RegionTag("scene", "metal"),
                   0.7, rounds=0)
        self.shape(p, [(-0.112, 0.46), (-0.07, 0.46), (-0.074, 0.6), (-0.108, 0.6)], "belt", ink_fill=90, rounds=1)
        self.shape(p, [(-0.052, 0.192), (0.054, 0.192), (0.01, 0.26)], "neckerchief", rounds=1)
        self.s.ellipse(p.box(-0.014, 0.19, 0.02, 0.216), self.tag("neckerchief"), self.line * 0.8)

    def _arm(self, p: Placement, shoulder: Point, elbow: Point, hand: Point) -> None:
        sleeve = "jacket" if self.look.jacket else "shirt"
        upper, fore = _limb_units(shoulder, elbow, 0.034, 0.027), _limb_units(elbow, hand, 0.027, 0.022)
        self.shape(p, [upper[0], upper[1], fore[1], fore[2], upper[2], upper[3]], sleeve, rounds=1)
        if self.look.jacket and self.detail:
            for k in range(1, 5):
                u = shoulder[0] + (elbow[0] - shoulder[0]) * k / 5
                v = shoulder[1] + (elbow[1] - shoulder[1]) * k / 5
                self.s.line(p.poly([(u - 0.032, v), (u - 0.05, v + 0.018)]), self.line * 0.5)
        hx, hy = hand
        self.shape(p, [(hx - 0.022, hy - 0.02), (hx + 0.02, hy - 0.022), (hx + 0.028, hy + 0.01), (hx + 0.01, hy + 0.03),
                       (hx - 0.02, hy + 0.024)], "skin", rounds=2)

    def _weapon(self, p: Placement, hand: Point) -> None:
        u, v = hand
        metal = RegionTag("scene", "metal")
        if self.pose == "rifle":
            self.shape(p, [(u - 0.2, v + 0.06), (u + 0.2, v - 0.03), (u + 0.2, v - 0.015), (u - 0.19, v + 0.08)],
                       metal, rounds=0)
            return
        self.shape(p, [(u - 0.012, v - 0.024), (u + 0.09, v - 0.024), (u + 0.09, v - 0.01), (u + 0.02, v - 0.008),
                       (u + 0.012, v + 0.042), (u - 0.022, v + 0.042)], metal, rounds=0)
        self.shape(p, [(u - 0.022, v - 0.02), (u + 0.016, v - 0.02), (u + 0.02, v + 0.02), (u - 0.02, v + 0.024)],
                   "skin", rounds=2)

    def _hair_back(self, p: Placement) -> None:
        if self.look.long_hair:
            self.shape(p, [(-0.058, 0.06), (0.02, 0.04), (0.0, 0.12), (-0.03, 0.25), (-0.08, 0.24), (-0.07, 0.12)],
                       "hair", ink_fill=120)

    def _head(self, p: Placement) -> None:
        self.shape(p, [(-0.024, 0.15), (0.026, 0.15), (0.028, 0.206), (-0.026, 0.206)], "skin", rounds=1)
        self.shape(p, [(-0.056, 0.1), (-0.04, 0.094), (-0.034, 0.118), (-0.044, 0.13), (-0.056, 0.12)], "skin", 0.7)
        self.shape(p, HEAD_OUTLINE, "skin", rounds=2)
        if self.detail:
            self._face(p)
        if self.look.hat:
            self._hat(p)
        elif self.look.headband:
            self.shape(p, [(-0.05, 0.045), (0.0, 0.034), (0.05, 0.046), (0.058, 0.07), (-0.052, 0.075)], "hair",
                       ink_fill=110)
            self.shape(p, [(-0.052, 0.062), (0.058, 0.058), (0.058, 0.074), (-0.052, 0.078)], "headband", rounds=0)
            self.shape(p, [(-0.05, 0.062), (-0.03, -0.06), (-0.016, -0.058), (-0.034, 0.064)], "feather")
        else:
            self.shape(p, [(-0.05, 0.1), (-0.046, 0.05), (0.0, 0.032), (0.05, 0.046), (0.058, 0.07), (0.0, 0.062),
                           (-0.03, 0.075)], "hair", ink_fill=150)

    def _hat(self, p: Placement) -> None:
        self.shape(p, [(-0.128, 0.05), (-0.07, 0.06), (0.07, 0.058), (0.136, 0.044), (0.13, 0.058), (0.07, 0.08),
                       (-0.07, 0.082), (-0.124, 0.064)], "hat", rounds=2)
        self.shape(p, [(-0.054, 0.07), (-0.05, 0.024), (-0.03, 0.006), (0.002, 0.016), (0.034, 0.004), (0.06, 0.02),
                       (0.062, 0.068)], "hat", rounds=1)
        self.shape(p, [(-0.053, 0.05), (0.061, 0.048), (0.062, 0.064), (-0.054, 0.066)], "hat", 0.8, ink_fill=60,
                   rounds=0)
        if self.detail:
            self.shade(p, [(-0.04, 0.082), (0.05, 0.08), (0.058, 0.094), (-0.04, 0.098)], 0)

    def _face(self, p: Placement) -> None:
        s, w = self.s, self.line
        s.line(smooth(p.poly([(0.012, 0.093), (0.026, 0.088), (0.04, 0.091)]), 2, closed=False), w * 1.2)
        s.line(smooth(p.poly([(0.05, 0.09), (0.058, 0.092)]), 1, closed=False), w)
        for eu, half in ((0.028, 0.011), (0.055, 0.006)):
            s.line(smooth(p.poly([(eu - half, 0.104), (eu, 0.099), (eu + half, 0.103)]), 2, closed=False), w * 0.8)
            s.ellipse(p.box(eu - 0.0035, 0.1, eu + 0.0035, 0.107), None, 0, ink_fill=0)
        s.line(smooth(p.poly([(0.052, 0.1), (0.066, 0.124), (0.052, 0.13)]), 1, closed=False), w * 0.9)
        s.line(smooth(p.poly([(0.026, 0.147), (0.04, 0.149), (0.054, 0.145)]), 1, closed=False), w)
        s.line(smooth(p.poly([(-0.004, 0.12), (0.008, 0.15), (0.024, 0.166)]), 1, closed=False), w * 0.6)
        self.shade(p, [(-0.044, 0.1), (-0.02, 0.1), (-0.006, 0.15), (0.01, 0.174), (-0.03, 0.158)], 120)
        if self.look.moustache or self.look.beard:
            self.shape(p, [(0.02, 0.138), (0.062, 0.136), (0.054, 0.146), (0.024, 0.146)], "hair", 0.6, ink_fill=150)
        if self.look.beard:
            self.shape(p, [(0.018, 0.152), (0.056, 0.15), (0.044, 0.192), (0.03, 0.194)], "hair", 0.6, ink_fill=190)

    def figure_box(self, p: Placement, panel: tuple[int, int]) -> FigureBox:
        """The figure's body box, head box and mouth in output pixels, clipped to the panel."""
        k = self.s.scale
        x0, y0, x1, y1 = p.box(-0.16, 0.0, 0.18, 1.0)
        hx0, hy0, hx1, hy1 = p.box(-0.12, 0.0, 0.13, 0.19)
        mx, my = p.at(0.036, 0.147)
        return FigureBox(
            name=self.name,
            box=_clip_box(x0 / k, y0 / k, x1 / k, y1 / k, panel),
            head=_clip_box(hx0 / k, hy0 / k, hx1 / k, hy1 / k, panel),
            mouth=(int(min(max(mx / k, 0), panel[0] - 1)), int(min(max(my / k, 0), panel[1] - 1))),
            span=(round(p.top / k), round(p.height / k)),
        )


def _clip_box(x0: float, y0: float, x1: float, y1: float, panel: tuple[int, int]) -> tuple[int, int, int, int]:
    cx0, cy0 = max(0, int(x0)), max(0, int(y0))
    cx1, cy1 = min(panel[0], int(math.ceil(x1))), min(panel[1], int(math.ceil(y1)))
    return cx0, cy0, max(0, cx1 - cx0), max(0, cy1 - cy0)
