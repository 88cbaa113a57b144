"""Simple western line art for generated panels: a backdrop per setting and the speaking figures.

Everything is drawn on a panel-sized canvas ("L" mode, white paper, black ink, a few flat grey tones
that the halftone degradation turns into dots). Figures return the point above their head, where a
balloon's tail should aim.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

INK, PAPER = 0, 255
Point = tuple[int, int]


@dataclass
class Canvas:
    """A panel canvas with its drawing context, random source and stroke width."""

    image: Image.Image
    draw: ImageDraw.ImageDraw
    rng: np.random.Generator
    stroke: int

    @property
    def w(self) -> int:
        return self.image.width

    @property
    def h(self) -> int:
        return self.image.height


def new_canvas(w: int, h: int, rng: np.random.Generator, stroke: int) -> Canvas:
    image = Image.new("L", (w, h), PAPER)
    return Canvas(image, ImageDraw.Draw(image), rng, stroke)


def hatch(c: Canvas, x0: int, y0: int, x1: int, y1: int, step: int, slope: float = 0.0) -> None:
    """Parallel pen strokes filling a box (slope 0: horizontal ruled lines, as in Bonelli skies)."""
    width = max(1, c.stroke // 2)
    for y in range(y0, y1, max(2, step)):
        c.draw.line([(x0, y), (x1, y + round(slope * (x1 - x0)))], fill=INK, width=width)


def draw_backdrop(c: Canvas, setting: str, frameless: bool) -> None:
    """The scene behind the figures; frameless panels get ruled sky and ground that reach the box edges."""
    horizon = round(c.h * c.rng.uniform(0.55, 0.7))
    BACKDROPS.get(setting, _desert)(c, horizon)
    if frameless:
        hatch(c, 0, 0, c.w, round(c.h * 0.18), step=max(4, c.h // 60))
        hatch(c, 0, c.h - max(6, c.h // 14), c.w, c.h, step=max(3, c.h // 90), slope=-0.05)
        c.draw.line([(0, 0), (0, c.h)], fill=INK, width=max(1, c.stroke // 2))
        c.draw.line([(c.w - 1, 0), (c.w - 1, c.h)], fill=INK, width=max(1, c.stroke // 2))


def _desert(c: Canvas, horizon: int) -> None:
    s = c.stroke
    c.draw.line([(0, horizon), (c.w, horizon)], fill=INK, width=s)
    for _ in range(int(c.rng.integers(1, 3))):
        x0 = int(c.rng.integers(-c.w // 4, c.w // 2))
        x1 = x0 + int(c.rng.integers(c.w // 5, c.w // 2))
        top = horizon - int(c.rng.integers(c.h // 10, c.h // 4))
        mesa = [(x0, horizon), (x0 + (x1 - x0) // 6, top), (x1 - (x1 - x0) // 6, top), (x1, horizon)]
        c.draw.polygon(mesa, fill=200, outline=INK, width=s)
        hatch(
            c,
            x0 + (x1 - x0) // 5,
            top + 6,
            x1 - (x1 - x0) // 5,
            horizon - 4,
            step=max(5, c.h // 50),
            slope=0.3,
        )
    for _ in range(int(c.rng.integers(1, 4))):
        x = int(c.rng.integers(0, c.w))
        y = horizon + int(c.rng.integers(c.h // 20, c.h // 4))
        _cactus(c, x, y, int(c.rng.integers(c.h // 10, c.h // 5)))
    sun = int(c.rng.integers(c.w // 2, c.w))
    c.draw.ellipse([sun - c.h // 16, c.h // 6, sun + c.h // 16, c.h // 6 + c.h // 8], outline=INK, width=s)


def _cactus(c: Canvas, x: int, base: int, height: int) -> None:
    r = max(3, height // 8)
    c.draw.rounded_rectangle([x - r, base - height, x + r, base], radius=r, outline=INK, width=c.stroke)
    arm = base - height // 2
    c.draw.line([(x + r, arm), (x + 3 * r, arm), (x + 3 * r, arm - height // 4)], fill=INK, width=c.stroke)


def _fort(c: Canvas, horizon: int) -> None:
    s = c.stroke
    wall_top = horizon - c.h // 4
    step = max(8, c.w // 24)
    for x in range(0, c.w, step):
        c.draw.polygon(
            [
                (x, horizon),
                (x, wall_top),
                (x + step // 2, wall_top - step),
                (x + step, wall_top),
                (x + step, horizon),
            ],
            fill=215,
            outline=INK,
            width=max(1, s - 1),
        )
    gate = int(c.rng.integers(c.w // 5, c.w // 2))
    c.draw.rectangle([gate, wall_top + c.h // 12, gate + c.w // 5, horizon], fill=PAPER, outline=INK, width=s)
    pole = int(c.rng.integers(c.w // 2, c.w - 10))
    c.draw.line([(pole, wall_top - c.h // 5), (pole, wall_top)], fill=INK, width=s)
    c.draw.rectangle([pole, wall_top - c.h // 5, pole + c.w // 8, wall_top - c.h // 8], outline=INK, width=s)
    c.draw.line([(0, horizon), (c.w, horizon)], fill=INK, width=s)


def _saloon(c: Canvas, horizon: int) -> None:
    s = c.stroke
    shelf = horizon - c.h // 5
    c.draw.line([(0, shelf), (c.w, shelf)], fill=INK, width=s)
    for x in range(int(c.rng.integers(5, 20)), c.w - 10, max(12, c.w // 14)):
        c.draw.rectangle([x, shelf - c.h // 14, x + c.w // 40 + 3, shelf], outline=INK, width=max(1, s - 1))
    c.draw.rectangle([-s, horizon, c.w + s, c.h - c.h // 10], fill=190, outline=INK, width=s)
    hatch(c, 0, horizon + 6, c.w, c.h - c.h // 10, step=max(6, c.h // 40), slope=0.0)
    lamp = int(c.rng.integers(c.w // 4, 3 * c.w // 4))
    c.draw.line([(lamp, 0), (lamp, c.h // 10)], fill=INK, width=s)
    c.draw.polygon(
        [
            (lamp - c.w // 20, c.h // 10 + c.h // 20),
            (lamp, c.h // 10),
            (lamp + c.w // 20, c.h // 10 + c.h // 20),
        ],
        outline=INK,
        fill=230,
        width=s,
    )


def _camp(c: Canvas, horizon: int) -> None:
    s = c.stroke
    c.draw.rectangle([0, 0, c.w, horizon], fill=110)
    for _ in range(int(c.rng.integers(8, 20))):
        x, y = int(c.rng.integers(0, c.w)), int(c.rng.integers(0, max(1, horizon - 5)))
        c.draw.ellipse([x - 2, y - 2, x + 2, y + 2], fill=PAPER)
    ridge = [(0, horizon)] + [(x, horizon - int(c.rng.integers(0, c.h // 8))) for x in range(0, c.w + 40, 40)]
    c.draw.polygon([*ridge, (c.w, horizon), (0, horizon)], fill=40, outline=INK)
    fire = int(c.rng.integers(c.w // 4, 3 * c.w // 4))
    base = horizon + c.h // 6
    for dx in (-c.w // 30, 0, c.w // 30):
        c.draw.polygon(
            [(fire + dx - c.w // 40, base), (fire + dx, base - c.h // 10), (fire + dx + c.w // 40, base)],
            outline=INK,
            width=s,
        )
    c.draw.line([(fire - c.w // 12, base), (fire + c.w // 12, base + 4)], fill=INK, width=s + 1)


def _canyon(c: Canvas, horizon: int) -> None:
    s = c.stroke
    for side in (0, 1):
        xs = np.linspace(0, c.h, 7)
        edge = [(round((0.12 + 0.18 * c.rng.random()) * c.w), round(y)) for y in xs]
        if side:
            edge = [(c.w - x, y) for x, y in edge]
        wall = [(0 if not side else c.w, 0), *edge, (0 if not side else c.w, c.h)]
        c.draw.polygon(wall, fill=175, outline=INK, width=s)
    hatch(c, c.w // 3, horizon, 2 * c.w // 3, c.h, step=max(6, c.h // 40), slope=0.1)
    c.draw.line([(0, horizon), (c.w, horizon)], fill=INK, width=s)


def _mine(c: Canvas, horizon: int) -> None:
    s = c.stroke
    c.draw.rectangle([0, 0, c.w, c.h], fill=150)
    arch = [c.w // 6, c.h // 8, 5 * c.w // 6, horizon + c.h // 3]
    c.draw.ellipse(arch, fill=235, outline=INK, width=s)
    for x in (c.w // 6, 5 * c.w // 6 - c.w // 20):
        c.draw.rectangle([x, c.h // 4, x + c.w // 20, c.h], fill=PAPER, outline=INK, width=s)
    for i in range(int(c.rng.integers(1, 4))):
        x = c.w // 5 + i * c.w // 6
        c.draw.rectangle([x, horizon, x + c.w // 8, horizon + c.h // 8], fill=PAPER, outline=INK, width=s)
        c.draw.line([(x, horizon), (x + c.w // 8, horizon + c.h // 8)], fill=INK, width=max(1, s - 1))


def _village(c: Canvas, horizon: int) -> None:
    s = c.stroke
    c.draw.line([(0, horizon), (c.w, horizon)], fill=INK, width=s)
    for _ in range(int(c.rng.integers(1, 4))):
        x = int(c.rng.integers(0, c.w))
        r = int(c.rng.integers(c.h // 12, c.h // 6))
        c.draw.polygon(
            [(x - r, horizon), (x, horizon - 2 * r), (x + r, horizon)], fill=225, outline=INK, width=s
        )
        c.draw.line(
            [(x - r // 4, horizon - 2 * r - r // 3), (x + r // 4, horizon - 2 * r + r // 4)],
            fill=INK,
            width=s,
        )
    ridge = [(x, horizon - c.h // 6 - int(c.rng.integers(0, c.h // 10))) for x in range(-20, c.w + 60, 60)]
    c.draw.line(ridge, fill=INK, width=s)


BACKDROPS: dict[str, Callable[[Canvas, int], None]] = {
    "desert": _desert,
    "fort": _fort,
    "saloon": _saloon,
    "camp": _camp,
    "canyon": _canyon,
    "mine": _mine,
    "village": _village,
}


def draw_figure(c: Canvas, name: str, cx: int, feet: int, height: int) -> Point:
    """A standing character (hat, head, coat, legs) with a trait per name; returns the point above the head."""
    s = c.stroke
    head = max(6, height // 7)
    top = feet - height
    body = [
        (cx - head, top + 2 * head),
        (cx + head, top + 2 * head),
        (cx + head + head // 2, top + 5 * head),
        (cx - head - head // 2, top + 5 * head),
    ]
    coat = 40 if name in ("Cuervo", "Jeb Slade") else PAPER
    c.draw.polygon(body, fill=coat, outline=INK, width=s)
    for dx in (-head // 2, head // 2):
        c.draw.line([(cx + dx, top + 5 * head), (cx + dx * 2, feet)], fill=INK, width=s + 1)
    c.draw.ellipse(
        [cx - head // 1.4, top + head // 2, cx + head // 1.4, top + 2 * head],
        fill=PAPER,
        outline=INK,
        width=s,
    )
    _headgear(c, name, cx, top, head)
    return cx, max(0, top - head // 2)


def _headgear(c: Canvas, name: str, cx: int, top: int, head: int) -> None:
    s = c.stroke
    if name == "Tiger Jack" or name == "Vecchio Orso":
        c.draw.line([(cx - head // 1.4, top + head), (cx + head // 1.4, top + head)], fill=INK, width=s)
        c.draw.line([(cx + head // 3, top + head), (cx + head // 2, top - head // 2)], fill=INK, width=s)
        return
    brim = head * 1.4 if name != "Capitano Morris" else head
    c.draw.line([(cx - brim, top + head * 0.75), (cx + brim, top + head * 0.75)], fill=INK, width=s + 1)
    c.draw.rectangle(
        [cx - head // 1.6, top, cx + head // 1.6, top + head * 0.75], fill=PAPER, outline=INK, width=s
    )
    if name == "Kit Carson":
        for dx in (-head // 3, 0, head // 3):
            c.draw.line(
                [(cx + dx, top + 1.6 * head), (cx + dx, top + 2.1 * head)], fill=INK, width=max(1, s - 1)
            )
