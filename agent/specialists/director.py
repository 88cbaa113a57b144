"""The panel director: a scene's beats -> Bonelli pages (three tiers of 1-3 panels, about six a page),
and per panel the shot, who is in it and where they stand, and who speaks in what order."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from agent.characters import fold
from agent.context import derive_seed
from agent.prompts import writer_data, writer_prompt
from agent.tools import ToolBox
from agent.write.context import WriteContext
from agent.write.fallback import use_fallback
from agent.write.generation import generate_lines
from agent.write.layout import choose_pattern, splash_allowed, split_beats
from agent.write.line_formats import parse_direction
from agent.write.state import DirectOutput, WriteState
from tools.errors import StructuredOutputError

PREVIOUS_PANELS = 3
"""Panels of the same scene shown to the model before the one it directs (continuity, cheap prompts)."""
_TIME_WORDS = {
    "night": ("notte", "mezzanotte", "buio", "sera tardi"),
    "dawn": ("alba", "mattino presto", "primo mattino"),
    "dusk": ("tramonto", "crepuscolo", "sera"),
    "interior": ("interno", "saloon", "ufficio", "prigione", "casa", "baracca", "cella"),
}


def direct(state: WriteState, runtime: Runtime[WriteContext]) -> DirectOutput:
    """Lay the current scene's beats out on its pages and direct every panel."""
    ctx, index = runtime.context, state["current_scene"]
    scene = state["outline"][index]
    beats = state["scene_beats"][str(index)]["beats"]
    per_page = panels_per_page(state, scene, len(beats))
    tools, seed = ToolBox(ctx), state.get("seed", 0)
    pages: list[dict[str, Any]] = []
    fallbacks: list[dict[str, Any]] = []
    directed: list[dict[str, Any]] = []
    cursor = 0
    for number, count in zip(scene["pages"], per_page, strict=True):
        pattern = (1,) if count == 1 else _pattern(tools, count, seed, number)
        page_beats = beats[cursor : cursor + count]
        cursor += count
        panels = []
        for panel_id, beat in zip(panel_ids(number, pattern), page_beats, strict=True):
            panel, fallback = _direct_panel(ctx, tools, state, scene, beat, directed, panel_id)
            directed.append(panel)
            panels.append(panel)
            fallbacks += fallback
        pages.append(_page(number, pattern, panels, scene))
    return {"scene_pages": {str(index): {"pages": pages}}, "fallbacks": fallbacks}


def panels_per_page(state: WriteState, scene: dict[str, Any], beats: int) -> list[int]:
    """How many beats go on each of the scene's pages; a splash page takes one beat on its own."""
    pages = len(scene["pages"])
    if splash_allowed(state["pages"], scene["index"], len(state["outline"]), pages):
        return [1, *split_beats(beats - 1, pages - 1)]
    return split_beats(beats, pages)


def panel_ids(number: int, pattern: tuple[int, ...]) -> list[str]:
    """Stable panel ids of a page in reading order: p{page}-t{tier}-{panel}."""
    return [f"p{number}-t{t}-{n}" for t, size in enumerate(pattern, start=1) for n in range(1, size + 1)]


def _pattern(tools: ToolBox, count: int, seed: int, number: int) -> tuple[int, ...]:
    templates = [tuple(t) for t in tools.call("layout_templates", panels=count)]
    chosen = choose_pattern(count, seed, number)
    return chosen if chosen in templates else templates[0]


def _direct_panel(
    ctx: WriteContext,
    tools: ToolBox,
    state: WriteState,
    scene: dict[str, Any],
    beat: dict[str, Any],
    directed: list[dict[str, Any]],
    panel_id: str,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Shot, figures and speakers for one beat: the model's when usable, the film-grammar fallback otherwise."""
    cast = scene["cast"] or state["cast"]
    position = len(directed)
    memory = []
    if ctx.store is not None:
        memory = [h["text"] for h in tools.call("panels_like", description=beat["action"], cast=cast, k=2)]
    prompt = writer_prompt(
        "direction",
        examples=writer_data("examples")["directions"],
        memory_panels=memory,
        cast=cast,
        previous=directed[-PREVIOUS_PANELS:],
        action=beat["action"],
    )
    try:
        plan = generate_lines(
            ctx,
            "director",
            prompt,
            lambda text: _parse_varied(ctx, "INQUADRATURA:" + text, cast, beat["action"], directed, panel_id),
            what=f"direction {panel_id}",
            seed=derive_seed(state.get("seed", 0), "direct", scene["index"], position),
            max_tokens=48,
            stop=["\n\n", "\nAZIONE"],
            temperature=0.7,
        )
        fallbacks = []
    except StructuredOutputError as exc:
        plan = fallback_direction(cast, position)
        fallbacks = [use_fallback(ctx, panel_id, "shot and speakers", exc)]
    if not plan["figures"] and plan["shot"] not in ("dettaglio", "campo lunghissimo"):
        plan["figures"] = list(cast)
    return {"id": panel_id, "action": beat["action"], "caption": beat.get("caption"), **plan}, fallbacks


def _parse_varied(
    ctx: WriteContext, text: str, cast: list[str], action: str, directed: list[dict[str, Any]], panel_id: str
) -> dict[str, Any]:
    """The model's direction; when only its shot breaks the no-third-in-a-row rule (the small model copies
    the shots before it), the shot moves one step along the scale and the change is logged, keeping the
    model's speakers and figures instead of throwing the whole panel away."""
    try:
        return parse_direction(text, cast, ctx.profile, action=action, previous=directed)
    except ValueError as exc:
        if "in a row" not in str(exc):
            raise
    masked = [*directed[:-1], {**directed[-1], "shot": ""}]
    plan = parse_direction(text, cast, ctx.profile, action=action, previous=masked)
    shot = varied_shot(plan["shot"])
    ctx.log.event("shot_varied", where=panel_id, model_shot=plan["shot"], shot=shot)
    return {**plan, "shot": shot}


def varied_shot(shot: str) -> str:
    """The next shot of the film-grammar rhythm after `shot` that differs from it."""
    rhythm = writer_data("fallbacks")["shots"]["rhythm"]
    start = rhythm.index(shot) + 1 if shot in rhythm else 0
    return next(s for s in rhythm[start:] + rhythm[:start] if s != shot)


def fallback_direction(cast: list[str], position: int) -> dict[str, Any]:
    """Film grammar without a model: open on a long shot, then cycle closer shots; speakers take turns."""
    shots = writer_data("fallbacks")["shots"]
    if position == 0:
        return {"shot": shots["opening"], "figures": list(cast), "speakers": []}
    rhythm = shots["rhythm"]
    speaker = cast[(position - 1) % len(cast)] if cast else None
    return {
        "shot": rhythm[(position - 1) % len(rhythm)],
        "figures": list(cast),
        "speakers": [speaker] if speaker else [],
    }


def time_of_day(text: str) -> str:
    """The PanelSpec time of day for a scene's time words (defaults to day)."""
    folded = fold(text)
    for value, words in _TIME_WORDS.items():
        if any(word in folded for word in words):
            return value
    return "day"


def figures_at(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Figures left to right, speakers first so their balloons read in order (x in 0..1)."""
    names = list(dict.fromkeys([*plan["speakers"], *plan["figures"]]))
    return [
        {"name": name, "x": round((i + 1) / (len(names) + 1), 3), "pose": ""} for i, name in enumerate(names)
    ]


def _page(
    number: int, pattern: tuple[int, ...], panels: list[dict[str, Any]], scene: dict[str, Any]
) -> dict[str, Any]:
    """A PagePlan dump whose panels carry the director's plan (speakers, caption) for the voice writer."""
    tiers, cursor = [], 0
    setting, when = scene["place"], time_of_day(f"{scene.get('time', '')} {scene['place']}")
    for size in pattern:
        tier = [
            {
                "id": plan["id"],
                "shot": plan["shot"],
                "description": plan["action"],
                "setting": setting,
                "time_of_day": when,
                "figures": figures_at(plan),
                "scene": scene["index"],
                "plan": {"speakers": plan["speakers"], "caption": plan.get("caption")},
            }
            for plan in panels[cursor : cursor + size]
        ]
        cursor += size
        tiers.append({"panels": tier})
    return {"number": number, "tiers": tiers}
