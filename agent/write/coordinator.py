"""The coordinator: checks the request, then routes between narrator, director and voice writer scene by
scene, asks the user about the outline when the run is interactive, and ends with delivery."""

from __future__ import annotations

from typing import Any, Literal

from langgraph.runtime import Runtime
from langgraph.types import Command, interrupt

from agent.characters import card_for, resolve_cast
from agent.write.context import WriteContext
from agent.write.state import WriteState, pages_problem
from tools.errors import NuvolaError

MAX_REVIEWS = 2
"""How many times the user may send the outline back before it is taken as it is."""
APPROVALS = {"", "ok", "sì", "si", "va bene", "vai", "yes", "y"}

Step = Literal["outline", "review", "narrate", "direct", "voice", "deliver"]


class WriteRequestError(NuvolaError):
    """The write-issue request itself is unusable (no storyline, impossible page count)."""


def prepare(state: WriteState, runtime: Runtime[WriteContext]) -> dict[str, Any]:
    """Check the request and settle the cast against the series profile."""
    storyline = " ".join(state.get("storyline", "").split())
    if len(storyline) < 10:
        raise WriteRequestError("the storyline is empty or too short: describe the plot in a sentence or two")
    pages = state.get("pages", 0)
    if problem := pages_problem(pages):
        raise WriteRequestError(f"--{problem}")
    ctx = runtime.context
    cast = resolve_cast(ctx.profile, storyline, state.get("cast"))
    if not cast:
        raise WriteRequestError("no cast: name the characters with --cast (the series profile has none)")
    unknown = [name for name in cast if not card_for(ctx.profile, name).known]
    if unknown:
        ctx.log.event("cast", detail=f"not in the {ctx.settings.series} profile: {', '.join(unknown)}")
    return {
        "storyline": storyline,
        "cast": cast,
        "series": getattr(ctx.profile, "name", ctx.settings.series),
        "constraints": list(state.get("constraints", [])),
        "outline_reviews": 0,
    }


def next_step(state: WriteState, interactive: bool) -> tuple[Step, int | None]:
    """What the run does next, from the state alone (so a resumed run picks up where it stopped)."""
    if not state.get("outline"):
        return "outline", None
    if interactive and not state.get("outline_approved"):
        return "review", None
    for scene in state["outline"]:
        key = str(scene["index"])
        if key not in state.get("scene_beats", {}):
            return "narrate", scene["index"]
        if key not in state.get("scene_pages", {}):
            return "direct", scene["index"]
        if key not in state.get("scene_dialogue", {}):
            return "voice", scene["index"]
    return "deliver", None


def coordinator(state: WriteState, runtime: Runtime[WriteContext]) -> Command[Step]:
    """Route to the next specialist, handing it the scene to work on."""
    step, scene = next_step(state, runtime.context.interactive)
    update: dict[str, Any] = {} if scene is None else {"current_scene": scene}
    return Command(goto=step, update=update)


def review(state: WriteState, runtime: Runtime[WriteContext]) -> dict[str, Any]:
    """Ask the user about the outline (a LangGraph interrupt); an answer other than approval is a note
    the narrator rewrites the outline with."""
    answer = interrupt(
        {
            "question": "Ecco la scaletta. Invio per approvarla, oppure scrivi cosa cambiare.",
            "title": state.get("title", ""),
            "outline": state["outline"],
        }
    )
    text = " ".join(str(answer or "").split())
    reviews = state.get("outline_reviews", 0)
    runtime.context.log.event("review", answer=text, reviews=reviews)
    if text.lower().strip(".!") in APPROVALS or reviews >= MAX_REVIEWS:
        return {"outline_approved": True}
    return {
        "constraints": [*state.get("constraints", []), text],
        "outline_reviews": reviews + 1,
        "outline": [],
    }
