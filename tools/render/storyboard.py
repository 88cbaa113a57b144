"""The offline artist: each panel's composition as a clean black-and-white storyboard sketch.

Framing follows the shot (campo lunghissimo ... dettaglio): it sets the horizon, how big the figures are and
where the frame cuts them. Figures stand at their planned x, face each other and carry their names; the
setting (desert, town, interior, ...) and the light (night sky) come from the panel's setting and time.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from dataclasses import dataclass

from tools.comic_script import Figure, PanelSpec
from tools.models.image import ArtContext, FigureBox, PanelArt, RegionTag
from tools.render.backgrounds import Backdrop, scene
from tools.render.figures import FigureDrawer, FigureLook, Placement, pose_of
from tools.render.fonts import notes_font
from tools.render.palette import canonical_name
from tools.render.scene import scene_kind
from tools.render.sketch import Sketch, smooth


@dataclass(frozen=True)
class Framing:
    """How a shot frames the scene: figure height and hat-top position (panel heights), horizon, depth."""

    figure: float
    top: float
    horizon: float
    depth: float
    abbreviation: str


FRAMINGS: dict[str, Framing] = {
    "campo lunghissimo": Framing(0.17, 0.68, 0.58, 1.0, "C.L.L."),
    "campo lungo": Framing(0.36, 0.54, 0.52, 0.85, "C.L."),
    "figura intera": Framing(0.74, 0.21, 0.62, 0.6, "F.I."),
    "piano americano": Framing(1.2, 0.2, 0.55, 0.45, "P.A."),
    "mezza figura": Framing(1.6, 0.24, 0.55, 0.35, "M.F."),
    "primo piano": Framing(2.4, 0.24, 0.66, 0.25, "P.P."),
    "primissimo piano": Framing(4.4, -0.06, 0.8, 0.15, "P.P.P."),
    "dettaglio": Framing(9.0, -0.45, 0.72, 0.2, "DETT."),
}
FIGURE_WIDTH = 0.3  # figure units a standing figure needs, arms included
DETAIL_OBJECTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("revolver", ("pistola", "revolver", "colt", "arma", "gun")),
    (
        "letter",
        ("lettera", "messaggio", "foglio", "telegramma", "mappa", "biglietto", "letter", "map", "note"),
    ),
    ("star", ("stella", "distintivo", "badge", "sceriffo")),
    ("bottle", ("bottiglia", "whisky", "bicchiere", "bottle", "glass")),
    ("tracks", ("tracce", "impronte", "orme", "tracks", "footprints", "zoccoli")),
)


def panel_rng(panel: PanelSpec, seed: int) -> random.Random:
    """A random stream fixed by the panel id and the issue seed: the same plan draws the same sketch."""
    digest = hashlib.sha256(f"{seed}|{panel.id}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def facing_of(figures: list[Figure], index: int, panel_id: str) -> int:
    """+1 (right) or -1 (left): towards the other figures, or towards the panel centre when alone."""
    me = figures[index].x
    others = [f.x for i, f in enumerate(figures) if i != index]
    target = sum(others) / len(others) if others else 0.5
    if abs(target - me) < 1e-3:
        return 1 if int(hashlib.sha256(panel_id.encode()).hexdigest(), 16) % 2 else -1
    return 1 if target > me else -1


class StoryboardArtist:
    """Draws every panel as a storyboard sketch; needs nothing but the plan."""

    name = "storyboard"

    def draw(self, panel: PanelSpec, size: tuple[int, int], context: ArtContext) -> PanelArt:
        sketch = Sketch(size)
        rng = panel_rng(panel, context.seed)
        framing = FRAMINGS.get(panel.shot, FRAMINGS["figura intera"])
        obj = detail_object(panel) if panel.shot == "dettaglio" else None
        if obj == "tracks":
            framing = Framing(framing.figure, framing.top, 0.2, framing.depth, framing.abbreviation)
        self._backdrop(sketch, panel, framing, rng)
        figures: list[FigureBox] = []
        if obj is not None:
            draw_detail(sketch, obj, rng)
        else:
            figures = self._figures(sketch, panel, framing, context)
        labels = self._notes(sketch, framing, figures)
        ink, regions, tags = sketch.finish()
        return PanelArt(
            image=ink, regions=regions, tags=tags, figures=figures, label_boxes=labels, source="storyboard"
        )

    def _backdrop(self, sketch: Sketch, panel: PanelSpec, framing: Framing, rng: random.Random) -> None:
        kind = scene_kind(panel)
        backdrop = Backdrop(
            sketch,
            framing.horizon,
            framing.depth,
            panel.time_of_day == "night",
            rng,
            busy=[f.x for f in panel.figures],
        )
        if kind == "interior":
            backdrop.interior(saloon=bool(re.search(r"saloon|bar|taverna|locanda", panel.setting.lower())))
        else:
            backdrop.exterior(kind)

    def _figures(
        self, sketch: Sketch, panel: PanelSpec, framing: Framing, context: ArtContext
    ) -> list[FigureBox]:
        boxes: list[FigureBox] = []
        for drawer, placement in figure_placements(sketch, panel, framing, context.profile):
            if framing.depth >= 0.6:
                self._shadow(sketch, placement)
            drawer.draw(placement)
            boxes.append(drawer.figure_box(placement, sketch.size))
        order = {canonical_name(f.name, context.profile): i for i, f in enumerate(panel.figures)}
        return sorted(boxes, key=lambda b: order.get(b.name, 0))

    @staticmethod
    def _shadow(sketch: Sketch, p: Placement) -> None:
        x, y = p.at(0.0, 1.0)
        rx, ry = 0.2 * p.height, 0.025 * p.height
        pts = sketch.arc_points(x - p.facing * 0.05 * p.height, y, rx, ry, 0, 360, 24)
        sketch.hatch(pts, 1.6, 0, 0.5)

    def _notes(
        self, sketch: Sketch, framing: Framing, figures: list[FigureBox]
    ) -> list[tuple[int, int, int, int]]:
        """Name tags on the figures and the shot abbreviation in the corner, as a storyboard artist writes them."""
        k = sketch.scale
        size = max(8, min(18, round(min(sketch.size) * 0.036)))
        font = notes_font(size * k)
        placed: list[tuple[float, float, float, float]] = []
        for fig in figures:
            bx, by, bw, bh = fig.box
            text = fig.name.upper()
            tw = font.getlength(text)
            th = size * k * 1.25
            cx = min(max((bx + bw / 2) * k, tw / 2 + 4 * k), sketch.width - tw / 2 - 4 * k)
            cy = min((by + bh) * k - th, sketch.height - th * 1.6)
            if framing.depth >= 0.85:
                cy = min((by + bh) * k + th * 0.9, sketch.height - th * 1.6)
            box = (cx - tw / 2 - 3 * k, cy - th / 2, cx + tw / 2 + 3 * k, cy + th / 2)
            while any(_overlap(box, other) for other in placed):
                box = (box[0], box[1] - th * 1.2, box[2], box[3] - th * 1.2)
            placed.append(box)
            sketch.text_box(box, width=0.7)
            sketch.text(((box[0] + box[2]) / 2, (box[1] + box[3]) / 2), text, font)
        small = notes_font(max(7, size - 2) * k)
        sketch.text(
            (sketch.width - 5 * k, sketch.height - 4 * k), framing.abbreviation, small, fill=110, anchor="rd"
        )
        return [
            (int(x0 / k), int(y0 / k), int((x1 - x0) / k) + 1, int((y1 - y0) / k) + 1)
            for x0, y0, x1, y1 in placed
        ]


def figure_placements(
    sketch: Sketch, panel: PanelSpec, framing: Framing, profile: object
) -> list[tuple[FigureDrawer, Placement]]:
    """Where each figure of the panel stands and how big, back to front (edges first, the centre in front)."""
    W, H = sketch.width, sketch.height
    figures = list(panel.figures)
    height = framing.figure * H
    xs = sorted(f.x for f in figures)
    gaps = [b - a for a, b in zip(xs, xs[1:], strict=False)]
    if gaps:  # neighbours may overlap by a fifth, no more
        height = min(height, max(min(gaps), 0.12) * W / (FIGURE_WIDTH * 0.8))
    out = []
    for index in sorted(range(len(figures)), key=lambda i: -abs(figures[i].x - 0.5)):
        figure = figures[index]
        name = canonical_name(figure.name, profile)
        lift = (index % 2) * 0.03 * H if framing.depth >= 0.85 and len(figures) > 1 else 0.0
        half = FIGURE_WIDTH / 2 * height
        cx = min(max(figure.x * W, half * 0.6), W - half * 0.6)
        placement = Placement(
            cx=cx, top=framing.top * H - lift, height=height, facing=facing_of(figures, index, panel.id)
        )
        pose = pose_of(f"{figure.pose} {panel.description if len(figures) == 1 else ''}")
        detail = 0.13 * height / sketch.scale > 16
        out.append(
            (FigureDrawer(sketch, name, FigureLook.from_profile(profile, name), pose, detail), placement)
        )
    return out


def estimate_figures(panel: PanelSpec, size: tuple[int, int], profile: object = None) -> list[FigureBox]:
    """Where the storyboard would put the panel's figures: boxes for art that does not know (remix, diffusers)."""
    if panel.shot == "dettaglio" and detail_object(panel) is not None:
        return []
    sketch = Sketch((1, 1))
    sketch.width, sketch.height, sketch.size = size[0] * sketch.scale, size[1] * sketch.scale, size
    framing = FRAMINGS.get(panel.shot, FRAMINGS["figura intera"])
    boxes = [drawer.figure_box(p, size) for drawer, p in figure_placements(sketch, panel, framing, profile)]
    order = {canonical_name(f.name, profile): i for i, f in enumerate(panel.figures)}
    return sorted(boxes, key=lambda b: order.get(b.name, 0))


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def detail_object(panel: PanelSpec) -> str | None:
    """Which object a dettaglio shows, from its description; None draws the first figure's eyes instead."""
    lowered = panel.description.lower()
    for name, words in DETAIL_OBJECTS:
        if any(re.search(rf"\b{re.escape(w)}", lowered) for w in words):
            return name
    return None if panel.figures else "letter"


def draw_detail(s: Sketch, obj: str, rng: random.Random) -> None:
    """A close-up object filling the middle of the panel."""
    W, H = s.width, s.height
    cx, cy, r = W / 2, H * 0.55, min(W, H) * 0.36
    metal = scene("metal")
    if obj == "revolver":
        _revolver(s, cx, cy - r * 0.1, r * 1.1)
    elif obj == "star":
        pts = []
        for i in range(12):
            rad = r if i % 2 == 0 else r * 0.55
            a = math.radians(-90 + 30 * i)
            pts.append((cx + rad * math.cos(a), cy + rad * math.sin(a)))
        s.polygon(pts, metal, 1.6)
        s.ellipse((cx - r * 0.25, cy - r * 0.25, cx + r * 0.25, cy + r * 0.25), metal, 1.2)
    elif obj == "bottle":
        s.polygon(
            [
                (cx - r * 0.25, cy + r),
                (cx - r * 0.25, cy - r * 0.2),
                (cx - r * 0.08, cy - r * 0.45),
                (cx - r * 0.08, cy - r * 0.9),
                (cx + r * 0.08, cy - r * 0.9),
                (cx + r * 0.08, cy - r * 0.45),
                (cx + r * 0.25, cy - r * 0.2),
                (cx + r * 0.25, cy + r),
            ],
            RegionTag("scene", "window"),
            1.6,
        )
        s.polygon(
            [
                (cx - r * 0.22, cy + r * 0.1),
                (cx + r * 0.22, cy + r * 0.1),
                (cx + r * 0.22, cy + r * 0.5),
                (cx - r * 0.22, cy + r * 0.5),
            ],
            RegionTag("scene", "paper"),
            1.0,
        )
        s.hatch(
            [
                (cx + r * 0.12, cy - r * 0.2),
                (cx + r * 0.25, cy - r * 0.2),
                (cx + r * 0.25, cy + r),
                (cx + r * 0.12, cy + r),
            ],
            1.4,
            90,
            0.5,
        )
    elif obj == "tracks":
        for i in range(6):
            x = W * (0.18 + 0.13 * i) + rng.uniform(-3, 3) * s.scale
            y = H * (0.88 - 0.11 * i) + (i % 2) * r * 0.2
            size = r * (0.2 - 0.022 * i)
            shoe = [
                (x - size * 0.8, y + size * 0.7),
                (x - size, y - size * 0.2),
                (x - size * 0.5, y - size),
                (x + size * 0.5, y - size),
                (x + size, y - size * 0.2),
                (x + size * 0.8, y + size * 0.7),
            ]
            s.line(smooth(shoe, 2, closed=False), max(1.2, 3.2 - 0.4 * i), shade=40)
            s.dots([(x - size * 0.72, y - size * 0.1), (x + size * 0.72, y - size * 0.1)], 0.9)
    else:
        s.polygon(
            [
                (cx - r * 0.9, cy - r * 0.7),
                (cx + r * 0.8, cy - r * 0.85),
                (cx + r * 0.95, cy + r * 0.65),
                (cx - r * 0.75, cy + r * 0.8),
            ],
            RegionTag("scene", "paper"),
            1.6,
        )
        for k in range(6):
            t = (k + 1) / 7
            y0 = cy - r * 0.7 + t * r * 1.45
            s.line(
                [
                    (cx - r * 0.7 + t * r * 0.1, y0 - t * 2),
                    (cx + r * 0.7 + t * r * 0.1, y0 - r * 0.12 - t * 2),
                ],
                0.7,
                shade=60,
            )


def _revolver(s: Sketch, cx: float, cy: float, r: float) -> None:
    """A single-action colt seen from the side: barrel, cylinder, hammer, trigger guard and wooden grip."""

    def at(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
        return [(cx + u * r, cy + v * r) for u, v in points]

    metal, wood = scene("metal"), scene("wood")
    s.polygon(
        smooth(
            at([(-0.5, -0.02), (-0.34, 0.12), (-0.44, 0.72), (-0.72, 0.76), (-0.74, 0.58), (-0.6, 0.02)]), 2
        ),
        wood,
        1.6,
    )
    s.hatch(smooth(at([(-0.52, 0.1), (-0.44, 0.14), (-0.52, 0.68), (-0.66, 0.7)]), 1), 1.6, 60, 0.5)
    s.line(smooth(at([(-0.34, 0.1), (-0.3, 0.34), (-0.12, 0.36), (-0.1, 0.12)]), 2, closed=False), 1.6)
    s.polygon(at([(-0.62, -0.26), (-0.1, -0.26), (-0.1, 0.12), (-0.34, 0.14), (-0.6, 0.04)]), metal, 1.6)
    s.polygon(at([(-0.1, -0.22), (0.98, -0.22), (0.98, -0.08), (-0.1, -0.08)]), metal, 1.6)
    s.polygon(at([(0.0, -0.08), (0.7, -0.08), (0.7, -0.02), (0.0, -0.02)]), metal, 1.2)
    s.polygon(at([(0.9, -0.22), (0.95, -0.3), (0.97, -0.22)]), metal, 1.0)
    s.polygon(smooth(at([(-0.44, -0.24), (-0.14, -0.24), (-0.14, 0.08), (-0.44, 0.08)]), 1), metal, 1.6)
    for v in (-0.16, -0.06, 0.02):
        s.line(at([(-0.4, v), (-0.18, v)]), 0.8)
    s.polygon(at([(-0.6, -0.26), (-0.7, -0.38), (-0.64, -0.4), (-0.52, -0.28)]), metal, 1.4)
    s.hatch(at([(-0.1, -0.13), (0.98, -0.13), (0.98, -0.08), (-0.1, -0.08)]), 1.3, 0, 0.5)
