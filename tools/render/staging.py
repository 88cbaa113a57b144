"""Staging: from a panel's plan and its parsed beat to the actors a storyboard draws, and the light of the scene.

Every artist uses the same staging: the storyboard draws it, the diffusers artist turns it into prompt words and
a ControlNet sketch, remix and user art take its figure boxes for the letterer. `Stage.plan()` is the trace
saved in render.json (which figures, in which pose, holding what, on horseback or not, under which light).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tools.comic_script import PanelSpec
from tools.render.beats import BeatAction, BeatParser, FigureAction
from tools.render.figures import HELD
from tools.render.scene import SceneKind, scene_kind
from tools.series.profile import canonical_name

MAX_ACTORS = 7
MOVING = ("walk", "run", "ride")
LIGHTS = ("dawn", "day", "dusk", "night", "lamp")


@dataclass
class Actor:
    """One figure to draw: who, pose, facing, where (x 0..1, depth 0 front .. 1 far), on a horse, holding what."""

    name: str
    pose: str
    facing: int
    x: float
    depth: float = 0.0
    mounted: bool = False
    holds: tuple[str, ...] = ()
    label: bool = True  # named characters carry a name tag on the storyboard
    speaking: bool = False


@dataclass
class Stage:
    """Everything a panel shows: its actors, the props standing in the scene, the place and the light."""

    action: BeatAction
    actors: list[Actor]
    scene_props: list[str] = field(default_factory=list)  # horse (riderless), campfire, wagon, table
    place: SceneKind = "plain"
    light: str = "day"

    def plan(self) -> dict[str, Any]:
        """The trace of what the panel draws, for render.json and the benchmark."""
        return {
            "figures": [
                {
                    "name": a.name,
                    "pose": a.pose,
                    "facing": a.facing,
                    "mounted": a.mounted,
                    "holds": list(a.holds),
                    "depth": round(a.depth, 2),
                }
                for a in self.actors
            ],
            "scene_props": list(self.scene_props),
            "beat_props": list(self.action.props),
            "place": self.place,
            "light": self.light,
            "time": self.action.time,
            "setting": self.action.setting,
            "parser": self.action.source,
        }


def light_of(panel: PanelSpec, action: BeatAction | None, place: SceneKind) -> str:
    """dawn, day, dusk, night, or lamp (an interior at night or lit by a lamp): the beat's time first."""
    time = (action.time if action else None) or (
        panel.time_of_day if panel.time_of_day != "interior" else None
    )
    text = f"{panel.description} {panel.setting}".lower()
    if place == "interior":
        if time in ("night", "dusk") or re.search(r"lampad|lume|candel|lanterna", text):
            return "lamp"
        return "day"
    return time or "day"


def action_of(panel: PanelSpec, parser: BeatParser, cache: dict[str, Any] | None = None) -> BeatAction:
    """The panel's parsed beat (with each figure's own pose text, when the writer gave one), read once."""
    key = f"{panel.id}|{panel.description}|{[(f.name, f.pose) for f in panel.figures]}"
    if cache is not None and key in cache:
        return cache[key]
    action = parser.parse(panel.description, [f.name for f in panel.figures])
    for figure in panel.figures:
        if figure.pose.strip():
            own = parser.parse(f"{figure.name} {figure.pose}", [figure.name])
            target = action.figure(canonical_name(figure.name, parser.profile))
            mine = own.figure(canonical_name(figure.name, parser.profile))
            if target is not None and mine is not None and own.verbs:
                target.pose, target.mounted = mine.pose, mine.mounted or target.mounted
            action.props = list(dict.fromkeys([*action.props, *own.props]))
    if cache is not None:
        cache[key] = action
    return action


def stage_panel(panel: PanelSpec, parser: BeatParser, cache: dict[str, Any] | None = None) -> Stage:
    """The actors and props of a panel, and its light."""
    action = action_of(panel, parser, cache)
    place = scene_kind(panel)
    speakers = {canonical_name(b.speaker, parser.profile).lower() for b in panel.balloons if b.speaker}
    actors = _actors(panel, action, parser, speakers)
    _face(actors, action)
    _hand_out(actors, action)
    if place == "interior" and any(a.mounted for a in actors):
        place = "town"  # nobody rides indoors: the beat moved the scene out into the street
    scene_props = _scene_props(actors, action, place, panel)
    return Stage(
        action=action,
        actors=actors,
        scene_props=scene_props,
        place=place,
        light=light_of(panel, action, place),
    )


def _planned_x(panel: PanelSpec, parser: BeatParser) -> dict[str, list[float]]:
    xs: dict[str, list[float]] = {}
    for figure in panel.figures:
        key = parser.role_of(figure.name) or canonical_name(figure.name, parser.profile)
        xs.setdefault(key.lower(), []).append(figure.x)
    return xs


def _actors(panel: PanelSpec, action: BeatAction, parser: BeatParser, speakers: set[str]) -> list[Actor]:
    """One actor per figure (extras up to three of a role), at the planned x or in the widest free gap."""
    planned = _planned_x(panel, parser)
    actors: list[Actor] = []
    for fig in action.figures:
        copies = max(1, min(fig.count if fig.role else 1, 3))
        xs = list(planned.get(fig.name.lower(), []))
        for k in range(copies):
            if len(actors) >= MAX_ACTORS:
                break
            name = fig.name if k == 0 else f"{fig.name} {k + 1}"
            pose = fig.pose
            if pose == "stand" and name.lower() in speakers:
                pose = "talk"
            actors.append(
                Actor(
                    name=name,
                    pose=pose,
                    facing=1,
                    x=xs[k] if k < len(xs) else -1.0,
                    depth=0.0 if k == 0 else 0.3 + 0.25 * (k - 1),
                    mounted=fig.mounted or pose == "ride",
                    label=fig.role is None,
                    speaking=name.lower() in speakers,
                )
            )
    _fill_positions(actors)
    if len([a for a in actors if a.depth == 0.0]) > 3:  # a crowd: every other extra steps back
        for index, actor in enumerate(a for a in actors if not a.label):
            actor.depth = max(actor.depth, 0.3 if index % 2 else actor.depth)
    return actors


def _fill_positions(actors: list[Actor]) -> None:
    """Actors the plan did not place go into the widest gaps between the placed ones."""
    for actor in actors:
        if actor.x >= 0:
            continue
        taken = sorted([0.0, 1.0, *[a.x for a in actors if a.x >= 0]])
        gaps = [(b - a, (a + b) / 2) for a, b in zip(taken, taken[1:], strict=False)]
        actor.x = round(max(gaps)[1], 3)
    for actor in actors:
        actor.x = min(max(actor.x, 0.08), 0.92)


def _face(actors: list[Actor], action: BeatAction) -> None:
    """Actors face their target; movers all head the same way (a chase reads left to right)."""
    by_name = {a.name.lower(): a for a in actors}
    movers = [a for a in actors if a.pose in MOVING]
    for actor in actors:
        source = action.figure(
            actor.name.split(" ")[0] if actor.name.split(" ")[-1].isdigit() else actor.name
        )
        target = by_name.get((source.target or "").lower()) if source else None
        if actor.pose in MOVING and len(movers) > 1:
            actor.facing = 1
        elif actor.pose == "point" and (target is None or target.pose == "stand" or target.pose == "talk"):
            actor.facing = 1 if actor.x <= 0.5 else -1  # pointing out at the open side, the others look there
        elif target is not None and abs(target.x - actor.x) > 1e-3:
            actor.facing = 1 if target.x > actor.x else -1
        else:
            others = [a.x for a in actors if a is not actor]
            centre = sum(others) / len(others) if others else 0.5
            actor.facing = 1 if centre >= actor.x else -1
    if len(movers) > 1:  # the pursued run ahead of their pursuers
        pursued = [a for a in movers if not a.label]
        pursuers = [a for a in movers if a.label]
        if pursued and pursuers and max(p.x for p in pursuers) > min(p.x for p in pursued):
            xs = sorted(a.x for a in movers)
            for actor, x in zip([*pursuers, *pursued], xs, strict=False):
                actor.x = x


def _hand_out(actors: list[Actor], action: BeatAction) -> None:
    """Props go into hands: guns to the armed (a rifle to soldiers and to whoever the beat gives one), the rest to
    the first figure the beat names doing something."""
    props = [p for p in action.props if p in HELD]
    armed = [
        a
        for a in actors
        if a.pose in ("aim", "shoot") and _source(a, action) is not None and _source(a, action).armed
    ]
    guns = [p for p in props if p in ("rifle", "revolver")]
    for index, actor in enumerate(armed):
        role_rifle = _source(actor, action).role in ("soldato", "indiano") and "rifle" in guns
        gun = "rifle" if role_rifle else guns[min(index, len(guns) - 1)] if guns else "revolver"
        actor.holds = (*actor.holds, gun)
    unused = [p for p in props if p not in ("rifle", "revolver") or not armed]
    holders = [a for a in actors if a.pose not in ("lie", "fall")]
    lead = (
        next(
            (a for a in holders if _source(a, action) and _source(a, action).mentioned and a.pose != "stand"),
            None,
        )
        or next((a for a in holders if _source(a, action) and _source(a, action).mentioned), None)
        or (holders[0] if holders else None)
    )
    if lead is None:
        return
    for prop in unused:
        if prop == "cards":
            for actor in [a for a in holders if a.pose == "sit"] or [lead]:
                actor.holds = (*actor.holds, "cards")
        elif prop == "rope" and any(a.pose == "sit" for a in actors):
            continue  # a tied prisoner: the rope is round them, drawn by the scene
        else:
            lead.holds = (*lead.holds, prop)
    for actor in actors:
        guns_held = [h for h in actor.holds if h in ("rifle", "revolver")]
        if len(guns_held) > 1:
            actor.holds = tuple(h for h in actor.holds if h not in guns_held[1:])


def _source(actor: Actor, action: BeatAction) -> FigureAction | None:
    words = actor.name.split(" ")
    name = " ".join(words[:-1]) if len(words) > 1 and words[-1].isdigit() else actor.name
    return action.figure(name)


def _scene_props(actors: list[Actor], action: BeatAction, place: SceneKind, panel: PanelSpec) -> list[str]:
    """Props that stand in the scene: a riderless horse, a campfire, a wagon, a card table."""
    out = []
    if "horse" in action.props and not any(a.mounted for a in actors) and place != "interior":
        out.append("horse")
    if "campfire" in action.props:
        out.append("campfire")
    if "wagon" in action.props and place != "interior":
        out.append("wagon")
    if "cards" in action.props and any(a.pose == "sit" for a in actors):
        out.append("table")
    if "rope" in action.props and any(a.pose == "sit" for a in actors):
        out.append("bonds")
    return out
