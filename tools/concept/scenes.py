"""An element-scene generator: western panels with recurring elements, drawn in ink or in pencil.

One `SceneSpec` (which elements stand where, the horizon, the props) renders two ways: with `InkPen`
(the series' look: heavy outlines, solid blacks, hatching, a panel border) and with `PencilPen` (a
user's rough concept sketch: thin wobbly grey lines, no solid blacks, few props). Elements:
`tex` (a figure in a wide-brimmed hat and neckerchief), `tiger` (a figure with a feathered headband and
braids), `fort` (a palisade with a watchtower). Extras (bare-headed or bowler-hatted figures) are
drawn as distractors and are never elements.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

ELEMENTS: tuple[str, ...] = ("tex", "tiger", "fort")
SUPERSAMPLE = 2


@dataclass
class Placed:
    """Something standing in the scene: `kind` at x (0..1 of width), feet at `ground` (0..1 of height)."""

    kind: str
    x: float
    ground: float
    height: float
    pose: float = 0.0
    facing: int = 1


@dataclass
class SceneSpec:
    """What a panel shows; rendering it with different pens gives the finished art and the sketch."""

    width: int
    height: int
    horizon: float
    items: list[Placed] = field(default_factory=list)
    seed: int = 0

    @property
    def elements(self) -> list[str]:
        return sorted({item.kind for item in self.items if item.kind in ELEMENTS})


class Pen:
    """Draws on a float canvas (1 = paper, 0 = ink) at SUPERSAMPLE x resolution."""

    def __init__(self, canvas: np.ndarray, rng: np.random.Generator, weight: float):
        self.canvas = canvas
        self.rng = rng
        self.weight = weight

    def stroke(self, points: np.ndarray, closed: bool = False, width: float = 1.0) -> None:
        raise NotImplementedError

    def fill(self, points: np.ndarray) -> None:
        raise NotImplementedError

    def hatch(self, points: np.ndarray, spacing: float, angle: float) -> None:
        raise NotImplementedError

    def ellipse(
        self, center: tuple[float, float], axes: tuple[float, float], fill: bool = False, width: float = 1.0
    ) -> None:
        pts = ellipse_points(center, axes)
        if fill:
            self.fill(pts)
        self.stroke(pts, closed=True, width=width)

    def _clipped(self, region: np.ndarray, segments: list[np.ndarray], value: float, thickness: int) -> None:
        """Draw `segments` only inside the polygon `region` (hatching, scribbles)."""
        mask = np.zeros_like(self.canvas)
        cv2.fillPoly(mask, [np.round(region * SUPERSAMPLE).astype(np.int32)], 1.0)
        lines = np.ones_like(self.canvas)
        scaled = [np.round(seg * SUPERSAMPLE * 16).astype(np.int32) for seg in segments]
        if scaled:
            cv2.polylines(lines, scaled, False, float(value), max(1, thickness), cv2.LINE_AA, shift=4)
        self.canvas[:] = np.where(mask > 0, np.minimum(self.canvas, lines), self.canvas)

    def _lines(self, polys: list[np.ndarray], closed: bool, value: float, thickness: int) -> None:
        scaled = [np.round(p * SUPERSAMPLE * 16).astype(np.int32) for p in polys]
        cv2.polylines(self.canvas, scaled, closed, float(value), max(1, thickness), cv2.LINE_AA, shift=4)


class InkPen(Pen):
    """The series' look: black outlines of weight `weight` px, solid fills, ruled hatching."""

    def stroke(self, points: np.ndarray, closed: bool = False, width: float = 1.0) -> None:
        self._lines([points], closed, 0.0, round(self.weight * width * SUPERSAMPLE))

    def fill(self, points: np.ndarray) -> None:
        scaled = np.round(points * SUPERSAMPLE * 16).astype(np.int32)
        cv2.fillPoly(self.canvas, [scaled], 0.0, cv2.LINE_AA, shift=4)

    def hatch(self, points: np.ndarray, spacing: float, angle: float) -> None:
        segments = hatch_segments(points, spacing, angle)
        self._clipped(points, segments, 0.0, 1)  # one fine pixel: hatching is finer than contours


class PencilPen(Pen):
    """A rough sketch: thin grey wobbly lines, sometimes doubled; fills become a loose outline."""

    def __init__(
        self, canvas: np.ndarray, rng: np.random.Generator, weight: float, grey: float, wobble: float
    ):
        super().__init__(canvas, rng, weight)
        self.grey = grey
        self.wobble = wobble

    def stroke(self, points: np.ndarray, closed: bool = False, width: float = 1.0) -> None:
        passes = 2 if self.rng.random() < 0.3 else 1
        for _ in range(passes):
            shaky = wobble_polyline(points, closed, self.wobble, self.rng)
            grey = float(np.clip(self.grey + self.rng.normal(0, 0.06), 0.15, 0.75))
            self._lines([shaky], False, grey, round(self.weight * SUPERSAMPLE))

    def fill(self, points: np.ndarray) -> None:
        if self.rng.random() < 0.35:  # a few scribbles where the ink would be solid
            segments = hatch_segments(points, max(2.5, self.wobble * 3), self.rng.uniform(0, 180))
            kept = [seg for seg in segments if self.rng.random() < 0.6]
            self._clipped(points, kept, self.grey + 0.15, round(self.weight * SUPERSAMPLE))

    def hatch(self, points: np.ndarray, spacing: float, angle: float) -> None:
        return None  # concept sketches leave shading out


def ellipse_points(center: tuple[float, float], axes: tuple[float, float], n: int = 28) -> np.ndarray:
    """Points around an ellipse, in canvas pixels."""
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.stack([center[0] + axes[0] * np.cos(t), center[1] + axes[1] * np.sin(t)], axis=1)


def hatch_segments(points: np.ndarray, spacing: float, angle: float) -> list[np.ndarray]:
    """Parallel segments at `angle` degrees covering the bounding box of `points` (clipped by the caller)."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    center, radius = (lo + hi) / 2, float(np.linalg.norm(hi - lo)) / 2 + 1
    direction = np.array([np.cos(np.radians(angle)), np.sin(np.radians(angle))])
    normal = np.array([-direction[1], direction[0]])
    offsets = np.arange(-radius, radius, max(spacing, 1.0))
    return [
        np.stack([center + o * normal - radius * direction, center + o * normal + radius * direction])
        for o in offsets
    ]


def wobble_polyline(
    points: np.ndarray, closed: bool, amplitude: float, rng: np.random.Generator
) -> np.ndarray:
    """Resample a polyline densely and push it around with smooth noise, like an unsure hand."""
    pts = np.vstack([points, points[:1]]) if closed else points
    seg = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    length = np.concatenate([[0.0], np.cumsum(seg)])
    n = max(4, int(length[-1] / 3))
    t = np.linspace(0, length[-1], n)
    dense = np.stack([np.interp(t, length, pts[:, 0]), np.interp(t, length, pts[:, 1])], axis=1)
    knots = rng.normal(0, amplitude, size=(max(2, n // 8 + 2), 2))
    noise = np.stack(
        [np.interp(np.linspace(0, len(knots) - 1, n), np.arange(len(knots)), knots[:, k]) for k in range(2)],
        axis=1,
    )
    overshoot = 1.0 + rng.uniform(-0.08, 0.12)  # strokes start late or run long
    keep = dense[: max(2, int(n * min(overshoot, 1.0)))]
    return keep + noise[: len(keep)]


# ---------------------------------------------------------------------------------------------- figures


@dataclass
class Body:
    """Key points of a standing figure, in canvas pixels."""

    x: float
    top: float
    h: float
    facing: int

    def at(self, dx: float, dy: float) -> tuple[float, float]:
        return (self.x + dx * self.h * self.facing, self.top + dy * self.h)

    def poly(self, *pairs: tuple[float, float]) -> np.ndarray:
        return np.array([self.at(dx, dy) for dx, dy in pairs], dtype=np.float64)


def draw_body(pen: Pen, b: Body, pose: float) -> None:
    """Head, torso, arms and legs shared by every figure."""
    pen.ellipse(b.at(0, 0.13), (0.075 * b.h, 0.085 * b.h))
    pen.stroke(b.poly((-0.12, 0.24), (0.12, 0.24), (0.09, 0.56), (-0.09, 0.56)), closed=True)
    for side in (-1, 1):
        hand = (side * (0.2 + 0.08 * pose), 0.5 - 0.12 * pose * (side > 0))
        pen.stroke(b.poly((side * 0.12, 0.25), (side * 0.16, 0.38), hand), width=0.9)
        pen.stroke(b.poly((side * 0.06, 0.56), (side * (0.08 + 0.04 * pose), 0.78), (side * 0.09, 1.0)))


def draw_tex(pen: Pen, b: Body) -> None:
    """A wide flat brim and a dented crown, a neckerchief and a gun belt."""
    pen.fill(b.poly((-0.07, 0.05), (-0.06, -0.03), (0.0, -0.01), (0.06, -0.03), (0.07, 0.05)))
    pen.stroke(b.poly((-0.07, 0.05), (-0.06, -0.03), (0.0, -0.01), (0.06, -0.03), (0.07, 0.05)), closed=True)
    brim = ellipse_points(b.at(0, 0.055), (0.2 * b.h, 0.028 * b.h))
    pen.fill(brim)
    pen.stroke(brim, closed=True)
    scarf = b.poly((-0.07, 0.22), (0.07, 0.22), (0.0, 0.33))
    pen.fill(scarf)
    pen.stroke(scarf, closed=True)
    pen.stroke(b.poly((-0.1, 0.52), (0.1, 0.52)), width=1.4)
    holster = b.poly((0.09, 0.52), (0.14, 0.52), (0.13, 0.66), (0.09, 0.66))
    pen.fill(holster)
    pen.stroke(holster, closed=True)


def draw_tiger(pen: Pen, b: Body) -> None:
    """A headband with one tall feather, two long braids and a fringed vest."""
    pen.stroke(b.poly((-0.075, 0.09), (0.075, 0.09)), width=1.5)
    feather = np.array(
        [b.at(-0.03 + 0.035 * np.sin(t), 0.07 - 0.24 * t) for t in np.linspace(0, 1, 12)]
        + [b.at(-0.03 - 0.035 * np.sin(t), 0.07 - 0.24 * t) for t in np.linspace(1, 0, 12)]
    )
    pen.fill(feather)
    pen.stroke(feather, closed=True)
    for side in (-1, 1):
        braid = b.poly((side * 0.07, 0.12), (side * 0.1, 0.12), (side * 0.1, 0.4), (side * 0.07, 0.4))
        pen.fill(braid)
        pen.stroke(braid, closed=True)
    for k in range(6):
        dx = -0.09 + 0.036 * k
        pen.stroke(b.poly((dx, 0.46), (dx, 0.53)), width=0.7)


def draw_extra(pen: Pen, b: Body, rng: np.random.Generator) -> None:
    """A distractor: bare head with a beard, or a bowler hat (small brim, round dome)."""
    if rng.random() < 0.5:
        pen.ellipse(b.at(0, 0.025), (0.065 * b.h, 0.045 * b.h), fill=True)
        pen.stroke(b.poly((-0.09, 0.05), (0.09, 0.05)), width=1.2)
    else:
        pen.stroke(b.poly((-0.06, 0.17), (-0.03, 0.23), (0.03, 0.23), (0.06, 0.17)), width=1.2)


FIGURES: dict[str, Callable[..., None]] = {"tex": draw_tex, "tiger": draw_tiger}


def draw_figure(pen: Pen, item: Placed, w: int, h: int, rng: np.random.Generator) -> None:
    body = Body(x=item.x * w, top=(item.ground - item.height) * h, h=item.height * h, facing=item.facing)
    draw_body(pen, body, item.pose)
    if item.kind == "extra":
        draw_extra(pen, body, rng)
    else:
        FIGURES[item.kind](pen, body)


# ---------------------------------------------------------------------------------------------- settings


def draw_fort(pen: Pen, item: Placed, w: int, h: int, rng: np.random.Generator) -> None:
    """A palisade of pointed logs on the horizon with a watchtower and a flag."""
    base, top = item.ground * h, (item.ground - item.height) * h
    span = 0.45 * w
    x0 = float(np.clip(item.x * w - span / 2, 0, w - span))
    log = max(4.0, item.height * h / 5)
    xs = np.arange(x0, x0 + span, log)
    for x in xs:
        pen.stroke(
            np.array(
                [
                    [x, base],
                    [x, top + log * 0.6],
                    [x + log / 2, top],
                    [x + log, top + log * 0.6],
                    [x + log, base],
                ]
            )
        )
    tower_x = x0 + span * (0.2 if item.facing > 0 else 0.75)
    tower_top = top - item.height * h * 0.45
    pen.stroke(
        np.array(
            [
                [tower_x, top],
                [tower_x, tower_top],
                [tower_x + 2.2 * log, tower_top],
                [tower_x + 2.2 * log, top],
            ]
        )
    )
    roof = np.array(
        [
            [tower_x - log * 0.4, tower_top],
            [tower_x + 1.1 * log, tower_top - log * 1.1],
            [tower_x + 2.6 * log, tower_top],
        ]
    )
    pen.fill(roof)
    pen.stroke(roof, closed=True)
    pole = tower_x + 1.1 * log
    pen.stroke(np.array([[pole, tower_top - log * 1.1], [pole, tower_top - log * 2.6]]))
    flag = np.array(
        [
            [pole, tower_top - log * 2.6],
            [pole + log * 1.3, tower_top - log * 2.3],
            [pole, tower_top - log * 2.0],
        ]
    )
    pen.fill(flag)
    gate = np.array(
        [
            [x0 + span * 0.55, base],
            [x0 + span * 0.55, top + log * 1.5],
            [x0 + span * 0.7, top + log * 1.5],
            [x0 + span * 0.7, base],
        ]
    )
    pen.hatch(gate, spacing=3.0, angle=90)
    pen.stroke(gate, closed=True)


def draw_prop(pen: Pen, item: Placed, w: int, h: int, rng: np.random.Generator) -> None:
    """Scenery that is never an element: cactus, rock, mesa, cloud."""
    x, g, s = item.x * w, item.ground * h, item.height * h
    if item.kind == "cactus":
        pen.stroke(np.array([[x, g], [x, g - s]]), width=2.5)
        for side in (-1, 1):
            pen.stroke(
                np.array(
                    [[x, g - s * 0.5], [x + side * s * 0.25, g - s * 0.5], [x + side * s * 0.25, g - s * 0.8]]
                ),
                width=1.8,
            )
    elif item.kind == "rock":
        rock = ellipse_points((x, g - s * 0.3), (s * 0.6, s * 0.3), n=9) + rng.normal(0, s * 0.05, (9, 2))
        pen.hatch(rock, spacing=3.0, angle=45)
        pen.stroke(rock, closed=True)
    elif item.kind == "mesa":
        mesa = np.array([[x - s, g], [x - s * 0.6, g - s * 0.5], [x + s * 0.5, g - s * 0.5], [x + s, g]])
        pen.hatch(mesa, spacing=4.0, angle=0)
        pen.stroke(mesa)
    elif item.kind == "cloud":
        for k in range(3):
            pen.ellipse((x + (k - 1) * s * 0.5, g - abs(k - 1) * s * 0.15), (s * 0.35, s * 0.2))


PROPS = ("cactus", "rock", "mesa", "cloud")


def draw_ground(pen: Pen, spec: SceneSpec, w: int, h: int) -> None:
    y = spec.horizon * h
    pen.stroke(np.array([[0, y], [w, y]]), width=0.8)
    ground = np.array([[0, y + 2], [w, y + 2], [w, h], [0, h]], dtype=np.float64)
    pen.hatch(ground, spacing=max(4.0, h / 18), angle=float(np.random.default_rng(spec.seed).uniform(-8, 8)))


# ---------------------------------------------------------------------------------------------- scenes


def random_scene(
    rng: np.random.Generator,
    width: int,
    height: int,
    present: list[str],
    extras: int | None = None,
    seed: int = 0,
) -> SceneSpec:
    """A scene with exactly the elements in `present`, plus props and distractor extras."""
    horizon = rng.uniform(0.5, 0.7)
    spec = SceneSpec(width=width, height=height, horizon=horizon, seed=seed)
    if "fort" in present:
        spec.items.append(
            Placed(
                "fort",
                rng.uniform(0.3, 0.7),
                horizon,
                rng.uniform(0.12, 0.2),
                facing=int(rng.choice([-1, 1])),
            )
        )
    for _ in range(int(rng.integers(1, 3))):
        kind = str(rng.choice(PROPS))
        ground = horizon - 0.25 if kind == "cloud" else horizon + rng.uniform(0.0, 0.2)
        spec.items.append(Placed(kind, rng.uniform(0.05, 0.95), ground, rng.uniform(0.08, 0.18)))
    figures = [k for k in present if k in FIGURES]
    n_extra = int(rng.integers(0, 2)) if extras is None else extras
    people = figures + ["extra"] * n_extra
    slots = np.sort(rng.permutation(np.linspace(0.2, 0.8, max(3, len(people))))[: len(people)])
    for kind, x in zip(rng.permutation(people), slots, strict=True):
        ground = rng.uniform(max(horizon + 0.15, 0.8), 0.97)
        spec.items.append(
            Placed(
                str(kind),
                float(x + rng.uniform(-0.05, 0.05)),
                ground,
                rng.uniform(0.55, 0.72) * ground,
                pose=rng.uniform(0, 1),
                facing=int(rng.choice([-1, 1])),
            )
        )
    return spec


def render_scene(spec: SceneSpec, style: str = "ink", seed: int | None = None) -> np.ndarray:
    """Draw `spec` as finished ink art (`style="ink"`) or as a pencil concept sketch; uint8 grey HxW."""
    rng = np.random.default_rng(spec.seed if seed is None else seed)
    w, h = spec.width, spec.height
    canvas = np.ones((h * SUPERSAMPLE, w * SUPERSAMPLE), np.float32)
    if style == "ink":
        pen: Pen = InkPen(canvas, rng, weight=max(1.0, h / 90) * rng.uniform(0.8, 1.3))
    elif style == "pencil":
        pen = PencilPen(canvas, rng, weight=max(0.5, h / 200), grey=rng.uniform(0.25, 0.5), wobble=h / 110)
    else:
        raise ValueError(f"unknown style {style!r}: use 'ink' or 'pencil'")
    draw_ground(pen, spec, w, h)
    for item in sorted(spec.items, key=lambda it: it.ground):
        if item.kind == "fort":
            draw_fort(pen, item, w, h, rng)
        elif item.kind in PROPS:
            if style == "ink" or rng.random() < 0.4:
                draw_prop(pen, item, w, h, rng)
        else:
            draw_figure(pen, item, w, h, rng)
    image = cv2.resize(canvas, (w, h), interpolation=cv2.INTER_AREA)
    return finish(image, style, rng)


def finish(image: np.ndarray, style: str, rng: np.random.Generator) -> np.ndarray:
    """Panel border for ink; paper grain for pencil; to uint8."""
    if style == "ink":
        t = max(1, round(image.shape[0] / 64))
        image[:t, :], image[-t:, :], image[:, :t], image[:, -t:] = 0, 0, 0, 0
    else:
        grain = cv2.GaussianBlur(rng.normal(0, 0.03, image.shape).astype(np.float32), (0, 0), 1.0)
        image = image * rng.uniform(0.92, 0.99) + grain
    return np.clip(image * 255, 0, 255).astype(np.uint8)
