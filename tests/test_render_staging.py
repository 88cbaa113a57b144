"""The storyboard draws what the beat says: articulated poses, riders on horses, guns in hands, falls, extras by
role, light per scene; render.json records it, and the lettering keeps off faces at a readable size."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tools.comic_script import Balloon, Figure, IssueScript, PanelSpec
from tools.render import render_issue
from tools.render.art import ArtContext
from tools.render.figures import FigureDrawer, Placement
from tools.render.looks import FigureLook
from tools.render.palette import character_palette, graded_palette
from tools.render.skeleton import POSES
from tools.render.sketch import Sketch
from tools.render.storyboard import StoryboardArtist
from tools.series.profile import load_series_profile

BENCH = Path(__file__).resolve().parents[1] / "tools" / "render" / "samples" / "bench"


@pytest.fixture(scope="module")
def context() -> ArtContext:
    return ArtContext(profile=load_series_profile("tex"))


def draw(panel: PanelSpec, context: ArtContext, size: tuple[int, int] = (300, 340)):
    return StoryboardArtist().draw(panel, size, context)


def test_every_pose_is_its_own_skeleton() -> None:
    sketch = Sketch((200, 200))
    boxes = {}
    for pose in POSES:
        drawer = FigureDrawer(sketch, "Tex", FigureLook(), pose, detail=False)
        boxes[pose] = drawer.figure_box(Placement(cx=200, top=40, height=300, facing=1), (200, 200)).box
    assert len({tuple(sorted(POSES[p].joints.items())) for p in POSES}) == len(POSES)
    lie, stand, sit = boxes["lie"], boxes["stand"], boxes["sit"]
    assert lie[2] > lie[3] and stand[3] > stand[2], "a lying figure is wider than tall, a standing one taller"
    assert sit[1] > stand[1] and boxes["crouch"][1] > stand[1], "sitting and crouching lower the head"


def test_a_chase_on_horseback_draws_riders_and_horses(context: ArtContext) -> None:
    panel = PanelSpec(
        id="p1-t1-1",
        shot="campo lungo",
        description="Tex e Carson inseguono i banditi al galoppo",
        figures=[Figure(name="Tex", x=0.3), Figure(name="Kit Carson", x=0.6)],
    )
    art = draw(panel, context, (420, 300))
    assert {"horse", "pose:ride"} <= set(art.plan["visible"])
    riders = [f for f in art.plan["figures"] if f["mounted"]]
    assert len(riders) >= 3 and {f["facing"] for f in riders} == {1}, "everyone rides the same way"
    assert any(f["name"].startswith("bandito") for f in art.plan["figures"])
    assert {t.part for t in art.tags.values() if t.owner == "scene"} >= {"horse"}


def test_guns_in_hands_falls_and_extras_dressed_by_role(context: ArtContext) -> None:
    panel = PanelSpec(
        id="p1-t2-1",
        shot="figura intera",
        description="Tex spara al messicano, che crolla",
        figures=[Figure(name="Tex", x=0.3)],
    )
    art = draw(panel, context)
    assert {"pose:shoot", "pose:fall", "revolver"} <= set(art.plan["visible"])
    assert [f.name for f in art.figures] == ["Tex", "messicano"]
    tex, mexican = art.figures
    assert tex.mouth[0] < mexican.box[0] + mexican.box[2] and art.plan["figures"][0]["facing"] == 1
    assert FigureLook.from_profile(context.profile, "messicano").hat_style == "sombrero"
    assert character_palette("messicano", context.profile).colour("jacket") == (0xB8, 0x45, 0x2C)
    assert {t.part for t in art.tags.values() if t.owner == "messicano"} >= {"hat", "skin", "jacket"}


def test_shot_sizes_and_the_dettaglio(context: ArtContext) -> None:
    spans = []
    for shot in ("campo lunghissimo", "figura intera", "primo piano"):
        panel = PanelSpec(id="p1-t1-1", shot=shot, description="Tex cammina", figures=[Figure(name="Tex")])
        spans.append(draw(panel, context).figures[0].span[1])
    assert spans == sorted(spans)
    rifle = draw(
        PanelSpec(id="p1-t1-2", shot="dettaglio", description="il fucile spunta tra le rocce"), context
    )
    assert rifle.plan["detail"] == "rifle" and not rifle.figures
    dusk = PanelSpec(
        id="p1-t1-3",
        shot="dettaglio",
        description="Tex guarda lontano al tramonto",
        figures=[Figure(name="Tex")],
    )
    art = draw(dusk, context)
    assert art.plan["silhouette"] and art.plan["light"] == "dusk"
    assert np.asarray(art.image).mean() < 200, "a silhouette is dark ink against the sky"


def test_light_comes_from_the_beat_and_the_place(context: ArtContext) -> None:
    night = PanelSpec(
        id="p1",
        description="Di notte Tex veglia",
        setting="deserto",
        time_of_day="day",
        figures=[Figure(name="Tex")],
    )
    lamp = PanelSpec(
        id="p2",
        description="Di sera Tex e Carson giocano a carte",
        setting="saloon",
        time_of_day="interior",
        figures=[Figure(name="Tex", x=0.3), Figure(name="Kit Carson", x=0.7)],
    )
    assert draw(night, context).plan["light"] == "night"
    art = draw(lamp, context)
    assert art.plan["light"] == "lamp" and "table" in art.plan["visible"]
    assert graded_palette("desert", "dusk")["ground"] != graded_palette("forest", "dusk")["ground"]
    assert graded_palette("desert", "night")["sky"] == graded_palette("town", "night")["sky"]
    assert graded_palette("interior", "lamp")["wall"] != graded_palette("interior", "day")["wall"]


def test_render_json_records_what_each_panel_draws_and_letters(tmp_path: Path) -> None:
    script = IssueScript.model_validate(json.loads((BENCH / "demo.json").read_text("utf-8")))
    script.pages = script.pages[:1]
    script.pages[0].tiers[2].panels[1].balloons.append(
        Balloon(speaker="Tex", text="Perche' sparano? E' lui!")
    )
    render_issue(script, tmp_path, dpi=100)
    panels = json.loads((tmp_path / "render.json").read_text("utf-8"))["panels"]
    poses = {v for p in panels for v in p["plan"]["visible"] if v.startswith("pose:")}
    assert len(poses) >= 4
    assert "horse" in panels[0]["plan"]["visible"] and "pose:fall" in panels[3]["plan"]["visible"]
    lettered = [b for p in panels for b in p["balloons"]]
    assert all(not b["faces_covered"] for b in lettered)
    assert min(b["glyph_mm"] for b in lettered) >= 2.2
    lines = " ".join(line for b in lettered for line in b["lines"])
    assert "PERCHÉ" in lines and "È LUI" in lines and "E'" not in lines


def test_a_talky_panel_gets_a_wider_share_of_its_tier_and_streets_stay_outdoors() -> None:
    from tools.comic_script import PagePlan, Tier
    from tools.render.layout import layout_page
    from tools.render.scene import scene_kind

    quiet = PanelSpec(id="p1-t1-1", shot="primo piano", balloons=[Balloon(speaker="Tex", text="Già.")])
    talky = PanelSpec(
        id="p1-t1-2",
        shot="primo piano",
        balloons=[
            Balloon(
                speaker="Tex",
                text="Cerco un carico di fucili. Quanto è la provvigione per "
                "chi parla? E chi compra le casse al confine?",
            )
        ],
    )
    slots = layout_page(PagePlan(number=1, tiers=[Tier(panels=[quiet, talky])]), 150)
    assert slots[1].box.w > 1.3 * slots[0].box.w
    assert (
        scene_kind(PanelSpec(id="x", setting="strada davanti alla prigione", time_of_day="night")) == "town"
    )
    assert (
        scene_kind(PanelSpec(id="x", setting="ufficio dello sceriffo", time_of_day="interior")) == "interior"
    )
