"""The offline artist: each panel's action as a black-and-white storyboard sketch.

The beat is read into actors (tools/render/staging.py): articulated figures in their poses, riders on horses,
props in hands, extras and villains dressed by role, a campfire, a wagon, a card table. Framing follows the
shot (campo lunghissimo ... dettaglio): it sets the horizon, how big the figures are and where the frame cuts
them; farther actors stand higher and smaller, overlapping the nearer ones. `dettaglio` is an object close-up
(colt, rifle, letter, star, bottle, tracks) or a face, in silhouette against a dusk or night sky.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from dataclasses import dataclass

from tools.comic_script import PanelSpec
from tools.render.art import ArtContext, FigureBox, PanelArt, RegionTag
from tools.render.backgrounds import Backdrop, scene
from tools.render.beats import BeatParser
from tools.render.figures import FigureDrawer, Placement, Posed
from tools.render.fonts import notes_font
from tools.render.looks import FigureLook
from tools.render.props import HORSE_SCALE, HorseDrawer, campfire, card_table, seat, wagon
from tools.render.sketch import Sketch, smooth
from tools.render.staging import Actor, Stage, stage_panel


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
FIGURE_WIDTH = {"stand": 0.3, "lie": 0.8, "fall": 0.5, "mounted": 0.95}  # figure units an actor needs
DETAIL_OBJECTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("rifle", ("fucile", "winchester", "carabina", "doppietta", "rifle")),
    ("revolver", ("pistola", "revolver", "colt", "arma", "gun")),
    (
        "letter",
        ("lettera", "messaggio", "foglio", "telegramma", "mappa", "biglietto", "letter", "map", "note"),
    ),
    ("star", ("stella", "distintivo", "badge", "sceriffo")),
    ("bottle", ("bottiglia", "whisky", "bicchiere", "bottle", "glass")),
    ("tracks", ("tracce", "impronte", "orme", "tracks", "footprints", "zoccoli")),
)
GALLOP_WORDS = re.compile(r"galopp|insegu|fugg|fuga|corr|sprona|sfreccia|inseguimento|assalt|caric")


def panel_rng(panel: PanelSpec, seed: int) -> random.Random:
    """A random stream fixed by the panel id and the issue seed: the same plan draws the same sketch."""
    digest = hashlib.sha256(f"{seed}|{panel.id}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def with_headroom(framing: Framing, panel: PanelSpec) -> Framing:
    """Close-ups that carry balloons leave the top of the panel to the lettering: the face moves down."""
    spoken = [b for b in panel.balloons if b.kind in ("speech", "thought")]
    chars = sum(len(b.text) for b in spoken)
    if not spoken or framing.figure < 2.0 or (framing.figure < 4.0 and chars < 40):
        return framing
    drop = 0.13 if framing.figure >= 4.0 else min(0.14, 0.06 + chars / 1000)
    return Framing(
        framing.figure,
        framing.top + drop,
        min(0.95, framing.horizon + drop * 0.8),
        framing.depth,
        framing.abbreviation,
    )


def stage_for(panel: PanelSpec, context: ArtContext) -> Stage:
    """The panel's staging, with the context's beat parser (made from its profile once)."""
    if context.beats is None:
        context.beats = BeatParser(profile=context.profile)
    return stage_panel(panel, context.beats, context.actions)


@dataclass
class Cast:
    """An actor with its drawer, where it stands and, when mounted, its horse."""

    actor: Actor
    drawer: FigureDrawer
    place: Placement
    horse: HorseDrawer | None = None
    ground: float = 0.0


class StoryboardArtist:
    """Draws every panel as a storyboard sketch; needs nothing but the plan."""

    name = "storyboard"

    def draw(self, panel: PanelSpec, size: tuple[int, int], context: ArtContext) -> PanelArt:
        sketch = Sketch(size)
        rng = panel_rng(panel, context.seed)
        stage = stage_for(panel, context)
        framing = FRAMINGS.get(panel.shot, FRAMINGS["figura intera"])
        obj = detail_object(panel) if panel.shot == "dettaglio" else None
        silhouette = panel.shot == "dettaglio" and obj is None and stage.light in ("dusk", "night", "dawn")
        if obj == "tracks":
            framing = Framing(framing.figure, framing.top, 0.2, framing.depth, framing.abbreviation)
        if silhouette:
            framing = Framing(2.0, 0.12, 0.7, 0.3, framing.abbreviation)
        framing = with_headroom(framing, panel)
        self._backdrop(sketch, panel, framing, rng, stage)
        figures: list[FigureBox] = []
        drawn: dict[str, object] = {"detail": obj, "silhouette": silhouette, "visible": [obj] if obj else []}
        cast: list[Cast] = []
        if obj is not None:
            draw_detail(sketch, obj, rng)
        else:
            cast = cast_actors(sketch, panel, framing, stage, context.profile, silhouette)
            drawn.update(self._stage(sketch, framing, stage, cast))
            figures = [c.drawer.figure_box(c.place, sketch.size) for c in cast]
            figures = _plan_order(figures, stage)
        labels = self._notes(sketch, framing, [f for f in figures if _labelled(f.name, stage)])
        labels += action_boxes(sketch, cast) if obj is None else []
        ink, regions, tags = sketch.finish()
        plan = {**stage.plan(), **drawn}
        return PanelArt(
            image=ink,
            regions=regions,
            tags=tags,
            figures=figures,
            label_boxes=labels,
            free_boxes=free_space(size, framing, figures, stage),
            source="storyboard",
            plan=plan,
        )

    def _backdrop(
        self, sketch: Sketch, panel: PanelSpec, framing: Framing, rng: random.Random, stage: Stage
    ) -> None:
        backdrop = Backdrop(
            sketch,
            framing.horizon,
            framing.depth,
            stage.light == "night",
            rng,
            busy=[a.x for a in stage.actors],
            low_sun=stage.light in ("dawn", "dusk"),
        )
        backdrop.fire = "campfire" not in stage.scene_props
        if stage.place == "interior":
            backdrop.interior(
                saloon=bool(re.search(r"saloon|bar|taverna|locanda", panel.setting.lower())),
                lamp=stage.light == "lamp",
            )
        else:
            backdrop.exterior(stage.place)

    def _stage(self, sketch: Sketch, framing: Framing, stage: Stage, cast: list[Cast]) -> dict[str, object]:
        """Scene props behind, actors far to near (horse, rider, reins), props in front; what became visible."""
        W, H = sketch.width, sketch.height
        base = cast[0].place.height if cast else framing.figure * H
        ground = (framing.top + framing.figure) * H
        line = min(3.0, max(1.0, base / sketch.scale * 0.0028))
        visible: list[str] = []
        if "wagon" in stage.scene_props:
            far = ground - (ground - framing.horizon * H) * 0.55 if ground > framing.horizon * H else ground
            x = W * _free_x(stage, [0.5, 0.3, 0.7])
            if not stage.actors:  # a wagon on its own is the subject: bigger, on the front ground
                far, x = ground, W * 0.42
            size = base * (0.55 if stage.actors else 0.75)
            if "horse" in stage.action.props:  # a stagecoach or a wagon train is drawn by its team
                team = HorseDrawer(
                    sketch,
                    x + size * 1.5 * 0.95,
                    far,
                    size * 0.62,
                    1,
                    bool(GALLOP_WORDS.search(stage_text(stage))),
                )
                team.draw_body()
                visible += ["horse"] if _on_panel(team.bounds(), sketch) else []
            wagon(sketch, x, far, size, 1, line)
            visible += ["wagon"] if 0 < far - size < H else []
        if "horse" in stage.scene_props and cast:
            lead = cast[0]
            side = 1 if lead.place.cx < W / 2 else -1  # the horse waits on the roomier side, a step behind
            hx = lead.place.cx + side * base * 0.5
            horse = HorseDrawer(
                sketch, hx, lead.ground - base * 0.06, base * 0.85, -side * lead.place.facing or 1, False
            )
            horse.draw_body()
            visible += ["horse"] if _on_panel(horse.bounds(), sketch) else []
        ordered = sorted(cast, key=lambda c: (-c.actor.depth, -abs(c.actor.x - 0.5)))
        fire_done = "campfire" not in stage.scene_props
        for c in ordered:
            if not fire_done and c.actor.depth == 0.0:
                fx = W * _fire_x(stage)
                campfire(sketch, fx, ground - base * 0.02, base * 0.32, line)
                visible += ["campfire"] if ground - base * 0.3 < H else []
                fire_done = True
            self._draw_actor(sketch, c, stage)
            visible += self._visible(sketch, c)
        if "table" in stage.scene_props and cast:
            sitters = [c for c in cast if c.actor.pose == "sit"] or cast
            xs = [c.place.cx for c in sitters]
            top = sitters[0].place.top + sitters[0].place.height * 0.6
            card_table(sketch, min(xs) - base * 0.12, max(xs) + base * 0.12, top, sitters[0].ground, line)
            visible.append("table")
        if not fire_done:
            campfire(sketch, W * _fire_x(stage), ground - base * 0.02, base * 0.32, line)
            visible += ["campfire"] if ground - base * 0.3 < H else []
        named_guns = [g for g in ("rifle", "revolver") if g in stage.action.props]
        if named_guns and not any(g in visible for g in named_guns):
            visible.append(offscreen_shot(sketch, named_guns[0], cast, line))
        return {"visible": sorted(set(visible))}

    @staticmethod
    def _draw_actor(sketch: Sketch, c: Cast, stage: Stage) -> None:
        p, h = c.place, c.place.height
        if c.horse is not None:
            c.horse.draw_body()
        elif c.actor.pose == "sit":
            j = c.drawer.joints
            hip_y = p.at(0, j["hip_f"][1])[1]
            x0, x1 = sorted((p.at(-0.1, 0)[0], p.at(0.12, 0)[0]))
            seat(sketch, x0, x1, hip_y + h * 0.03, c.ground, stage.place == "interior", c.drawer.line)
        elif c.actor.depth == 0.0 and c.actor.pose not in ("lie", "fall"):
            x, y = p.at(0.0, 1.0)
            pts = sketch.arc_points(x - p.facing * 0.05 * h, y - 0.01 * h, 0.2 * h, 0.025 * h, 0, 360, 24)
            sketch.hatch(pts, 1.6, 0, 0.5)
        c.drawer.draw(p)
        if c.horse is not None:
            c.horse.reins(Posed(p, c.drawer.pose).at(*c.drawer.joints["hand_f"]))
        if "bonds" in stage.scene_props and c.actor.pose == "sit" and not c.actor.label:
            for v in (0.3, 0.38):
                sketch.line(
                    smooth(
                        Posed(p, c.drawer.pose).poly([(-0.11, v), (0.0, v + 0.012), (0.11, v)]),
                        1,
                        closed=False,
                    ),
                    c.drawer.line * 1.2,
                )

    @staticmethod
    def _visible(sketch: Sketch, c: Cast) -> list[str]:
        """What of this actor lies inside the panel: its pose, its horse, what its front hand holds."""
        out = []
        box = c.drawer.figure_box(c.place, sketch.size)
        if box.box[2] > 0 and box.box[3] > 0:
            out.append(f"pose:{c.actor.pose}")
        if c.horse is not None and _on_panel(c.horse.bounds(), sketch):
            out.append("horse")
        hx, hy = Posed(c.place, c.drawer.pose).at(*c.drawer.joints["hand_f"])
        if 0 <= hx <= sketch.width and 0 <= hy <= sketch.height:
            out += list(c.drawer.holds)
        return out

    def _notes(
        self, sketch: Sketch, framing: Framing, figures: list[FigureBox]
    ) -> list[tuple[int, int, int, int]]:
        """Name tags on the named figures and the shot abbreviation in the corner, as a storyboard artist writes."""
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


def action_boxes(sketch: Sketch, cast: list[Cast]) -> list[tuple[int, int, int, int]]:
    """Where the action is (a gun hand, a fist, a pointing hand): balloons are kept off it like off the notes."""
    k, out = sketch.scale, []
    for c in cast:
        if c.drawer.pose_name not in ("aim", "shoot", "punch", "point") and not c.drawer.holds:
            continue
        x, y = Posed(c.place, c.drawer.pose).at(*c.drawer.joints["hand_f"])
        r = c.place.height * (0.14 if {"rifle", "revolver"} & set(c.drawer.holds) else 0.06)
        x0, y0 = max(0.0, x - r), max(0.0, y - r * 0.6)
        x1, y1 = min(float(sketch.width), x + r), min(float(sketch.height), y + r * 0.6)
        if x1 > x0 and y1 > y0:
            out.append((int(x0 / k), int(y0 / k), int((x1 - x0) / k) + 1, int((y1 - y0) / k) + 1))
    return out


def stage_text(stage: Stage) -> str:
    return " ".join(a.pose for a in stage.actors) + " " + " ".join(stage.action.props)


def offscreen_shot(s: Sketch, gun: str, cast: list[Cast], line: float) -> str:
    """A gun the beat names that nobody in the panel holds: a barrel and its flash entering from the side edge,
    aimed at the first actor (the shooter stands outside the frame)."""
    W, H = s.width, s.height
    target = cast[0] if cast else None
    side = -target.place.facing if target is not None else 1
    ty = target.place.top + target.place.height * 0.35 if target is not None else H * 0.5
    edge = W if side > 0 else 0.0
    y = min(max(ty - H * 0.15, H * 0.12), H * 0.6)
    length = W * (0.3 if gun == "rifle" else 0.16)
    tip = edge - side * length
    thick = max(2.0, H * 0.018)
    s.polygon(
        [(edge, y - thick), (tip, y - thick * 0.7), (tip, y + thick * 0.2), (edge, y + thick * 1.4)],
        scene("metal"),
        line,
    )
    if gun == "rifle":
        s.polygon(
            [
                (edge, y + thick * 0.8),
                (edge - side * length * 0.3, y + thick * 0.6),
                (edge - side * length * 0.3, y + thick * 2.2),
                (edge, y + thick * 3.2),
            ],
            scene("wood"),
            line,
        )
    flash = []
    for k in range(14):
        r = thick * (3.2 if k % 2 == 0 else 1.3)
        a = math.pi * 2 * k / 14
        flash.append((tip - side * thick * 2.5 + r * math.cos(a), y + r * math.sin(a)))
    s.polygon(flash, scene("fire"), line * 0.8)
    return gun


def _labelled(name: str, stage: Stage) -> bool:
    return any(a.name == name and a.label for a in stage.actors)


def _plan_order(boxes: list[FigureBox], stage: Stage) -> list[FigureBox]:
    """Figure boxes in the stage's order (the plan's figures first), not in drawing order."""
    order = {a.name: i for i, a in enumerate(stage.actors)}
    return sorted(boxes, key=lambda b: order.get(b.name, len(order)))


def _on_panel(bounds: tuple[float, float, float, float], sketch: Sketch) -> bool:
    x0, y0, x1, y1 = bounds
    return x1 > 0 and x0 < sketch.width and y1 > 0 and y0 < sketch.height


def _free_x(stage: Stage, candidates: list[float]) -> float:
    busy = [a.x for a in stage.actors]
    return max(candidates, key=lambda x: min((abs(x - b) for b in busy), default=1.0))


def _fire_x(stage: Stage) -> float:
    xs = sorted(a.x for a in stage.actors if a.depth == 0.0)
    if len(xs) >= 2:
        gaps = [((b - a), (a + b) / 2) for a, b in zip(xs, xs[1:], strict=False)]
        return max(gaps)[1]
    return _free_x(stage, [0.5, 0.3, 0.7, 0.2, 0.8])


def cast_actors(
    sketch: Sketch,
    panel: PanelSpec,
    framing: Framing,
    stage: Stage,
    profile: object,
    silhouette: bool = False,
) -> list[Cast]:
    """Drawer and placement of every actor: size from the shot (smaller when mounted in wide shots, or when
    neighbours crowd), feet on the ground line, farther actors higher and smaller."""
    W, H = sketch.width, sketch.height
    height = framing.figure * H
    front = sorted((a for a in stage.actors if a.depth == 0.0), key=lambda a: a.x)
    mounted = any(a.mounted for a in stage.actors)
    if mounted and framing.depth >= 0.6:
        height /= 1.3
    for a, b in zip(front, front[1:], strict=False):
        need = (_width(a) + _width(b)) / 2 * 0.75
        height = min(height, max(b.x - a.x, 0.1) * W / need)
    ground0 = framing.top * H + height  # the hat tops of the front row stay where the shot puts them
    if mounted and framing.depth >= 0.6:
        ground0 = min((framing.top + framing.figure) * H, H * 0.97)
    horizon = framing.horizon * H
    detail = 0.13 * height / sketch.scale > 16
    out = []
    for actor in stage.actors:
        scale = 1.0 - 0.4 * actor.depth
        h = height * scale
        ground = ground0 - actor.depth * max(0.0, ground0 - horizon) * 0.6 if ground0 > horizon else ground0
        half = _width(actor) / 2 * h
        cx = min(max(actor.x * W, half * 0.5), W - half * 0.5)
        look = FigureLook.from_profile(profile, actor.name)
        drawer = FigureDrawer(
            sketch,
            actor.name,
            look,
            actor.pose,
            detail and scale > 0.8,
            mounted=actor.mounted,
            holds=actor.holds,
            silhouette=silhouette,
        )
        horse = None
        if actor.mounted:
            gallop = bool(GALLOP_WORDS.search(panel.description.lower())) or actor.pose in ("run",)
            if framing.depth < 0.6:  # closer shots keep the rider's head where a standing figure's would be
                ground = framing.top * H + h * (HORSE_SCALE * (1 - 0.41) + 0.47)
            horse = HorseDrawer(sketch, cx, ground, h, actor.facing, gallop)
            sx, sy = horse.seat
            place = Placement(cx=sx, top=sy - 0.47 * h, height=h, facing=actor.facing)
        else:
            place = Placement(cx=cx, top=ground - h, height=h, facing=actor.facing)
            place = _keep_hand_in(place, drawer, W)
        out.append(Cast(actor=actor, drawer=drawer, place=place, horse=horse, ground=ground))
    return out


def _keep_hand_in(place: Placement, drawer: FigureDrawer, width: float) -> Placement:
    """A close shot moves a figure that aims, shoots, punches or points so its working hand stays in the panel
    (its head stays in too)."""
    if drawer.pose_name not in ("aim", "shoot", "punch", "point") and not drawer.holds:
        return place
    posed = Posed(place, drawer.pose)
    hand = posed.at(*drawer.joints["hand_f"])[0]
    reach = 0.12 * place.height if {"revolver", "rifle"} & set(drawer.holds) else 0.03 * place.height
    tip = hand + place.facing * reach
    margin = 0.04 * width
    shift = 0.0
    if tip > width - margin:
        shift = width - margin - tip
    elif tip < margin:
        shift = margin - tip
    body = place.cx + shift
    if not 0.22 * width <= body <= 0.78 * width:  # never push the body out of the panel for a gun's sake
        shift -= body - min(max(body, 0.22 * width), 0.78 * width)
    return Placement(cx=place.cx + shift, top=place.top, height=place.height, facing=place.facing)


def _width(actor: Actor) -> float:
    if actor.mounted:
        return FIGURE_WIDTH["mounted"] * HORSE_SCALE
    return FIGURE_WIDTH.get(actor.pose, FIGURE_WIDTH["stand"])


def free_space(
    size: tuple[int, int], framing: Framing, figures: list[FigureBox], stage: Stage
) -> list[tuple[int, int, int, int]]:
    """Where balloons hide nothing: the sky (or wall) above every head, and the columns beside the figures."""
    w, h = size
    horizon = int(framing.horizon * h)
    tops = [f.box[1] for f in figures if f.box[2] and f.box[3]]
    ceiling = min([horizon, *tops]) if tops else horizon
    boxes = []
    if ceiling > h * 0.12:
        boxes.append((0, 0, w, ceiling))
    spans = sorted((f.box[0], f.box[0] + f.box[2]) for f in figures if f.box[2])
    x = 0
    for x0, x1 in [*spans, (w, w)]:
        if x0 - x > w * 0.18:
            boxes.append((x, 0, x0 - x, horizon))
        x = max(x, x1)
    return boxes


def estimate_figures(
    panel: PanelSpec, size: tuple[int, int], profile: object = None, context: ArtContext | None = None
) -> list[FigureBox]:
    """Where the storyboard would put the panel's figures: boxes for art that does not know (remix, diffusers)."""
    if panel.shot == "dettaglio" and detail_object(panel) is not None:
        return []
    context = context or ArtContext(profile=profile)
    sketch = Sketch((1, 1))
    sketch.width, sketch.height, sketch.size = size[0] * sketch.scale, size[1] * sketch.scale, size
    framing = FRAMINGS.get(panel.shot, FRAMINGS["figura intera"])
    stage = stage_for(panel, context)
    framing = with_headroom(framing, panel)
    boxes = [c.drawer.figure_box(c.place, size) for c in cast_actors(sketch, panel, framing, stage, profile)]
    return _plan_order(boxes, stage)


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
    if obj == "rifle":
        _rifle_detail(s, cx, cy, r)
    elif obj == "revolver":
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


def _rifle_detail(s: Sketch, cx: float, cy: float, r: float) -> None:
    """A Winchester across the panel: wooden stock and fore-end, lever, long barrel, rocks beneath."""
    wood, metal = scene("wood"), scene("metal")
    s.polygon(
        [
            (0, s.height),
            (0, cy + r * 0.5),
            (s.width * 0.3, cy + r * 0.35),
            (s.width * 0.55, cy + r * 0.6),
            (s.width, cy + r * 0.4),
            (s.width, s.height),
        ],
        scene("rock"),
        1.4,
    )
    angle = math.radians(-12)

    def at(u: float, v: float) -> tuple[float, float]:
        return (
            cx + (u * math.cos(angle) - v * math.sin(angle)) * r,
            cy + (u * math.sin(angle) + v * math.cos(angle)) * r,
        )

    s.polygon(
        smooth([at(-1.5, 0.0), at(-0.7, -0.06), at(-0.55, 0.0), at(-0.7, 0.12), at(-1.5, 0.28)], 1), wood, 1.6
    )
    s.polygon([at(-0.55, -0.08), at(-0.2, -0.08), at(-0.2, 0.06), at(-0.55, 0.06)], metal, 1.6)
    s.line(smooth([at(-0.5, 0.06), at(-0.45, 0.2), at(-0.3, 0.2), at(-0.3, 0.06)], 2, closed=False), 1.6)
    s.polygon([at(-0.2, -0.07), at(0.3, -0.07), at(0.3, 0.03), at(-0.2, 0.03)], wood, 1.4)
    s.polygon([at(-0.2, -0.065), at(1.6, -0.065), at(1.6, -0.02), at(-0.2, -0.02)], metal, 1.4)
    s.hatch([at(-0.2, -0.04), at(1.6, -0.04), at(1.6, -0.02), at(-0.2, -0.02)], 1.3, 0, 0.5)
