"""Delivery, the graph's last node: assemble the IssueScript from the scenes, check it, write
script.json and script.md atomically. Rendering the pages (tools.render) is the next step to add here."""

from __future__ import annotations

from pathlib import Path

from langgraph.runtime import Runtime

from agent.characters import fold
from agent.write.context import WRITER_ROLES, WriteContext
from agent.write.script_md import script_markdown
from agent.write.state import DeliverOutput, WriteState
from tools.atomic import write_text_atomic
from tools.comic_script import FallbackNote, IssueScript, PagePlan, Scene
from tools.errors import NuvolaError


class ScriptAssemblyError(NuvolaError):
    """The assembled plan breaks the page grammar (a bug in the writers, reported with the details)."""


def assemble(state: WriteState, ctx: WriteContext, run_id: str | None = None) -> IssueScript:
    """The IssueScript of a finished run: outline + beats as scenes, every scene's pages in order."""
    scenes = []
    for outline_scene in state["outline"]:
        key = str(outline_scene["index"])
        beats = state["scene_beats"][key]["beats"]
        scenes.append(
            Scene(
                **{k: v for k, v in outline_scene.items() if k in Scene.model_fields},
                beats=[b["action"] for b in beats],
                captions=[b["caption"] for b in beats if b.get("caption")],
            )
        )
    pages = [
        PagePlan.model_validate(page)
        for scene in state["outline"]
        for page in state["scene_dialogue"][str(scene["index"])]["pages"]
    ]
    return IssueScript(
        series=str(state.get("series", ctx.settings.series)).title(),
        title=state["title"],
        storyline=state["storyline"],
        cast=state["cast"],
        scenes=scenes,
        pages=sorted(pages, key=lambda p: p.number),
        seed=state.get("seed", 0),
        run_id=run_id,
        models={role: ctx.model_name(role) for role in WRITER_ROLES},
        fallbacks=[FallbackNote.model_validate(note) for note in state.get("fallbacks", [])],
    )


def check_script(script: IssueScript, pages: int) -> list[str]:
    """Grammar problems plus the run's own promises: the page count and speakers from the cast."""
    problems = script.grammar_problems()
    if len(script.pages) != pages:
        problems.append(f"{len(script.pages)} pages written, {pages} asked for")
    cast = {fold(name) for name in script.cast}
    for panel in script.panels:
        for balloon in panel.balloons:
            if balloon.speaker and fold(balloon.speaker) not in cast:
                problems.append(f"{panel.id}: speaker {balloon.speaker!r} is not in the cast")
    return problems


def write_outputs(script: IssueScript, out_dir: Path) -> tuple[Path, Path]:
    """script.json (the plan) and script.md (to read), each written atomically."""
    json_path = write_text_atomic(out_dir / "script.json", script.model_dump_json(indent=2) + "\n")
    md_path = write_text_atomic(out_dir / "script.md", script_markdown(script))
    return json_path, md_path


def deliver(state: WriteState, runtime: Runtime[WriteContext]) -> DeliverOutput:
    """Assemble, check and write the issue's script."""
    ctx = runtime.context
    run_id = ctx.log.path.parent.name if ctx.log.path is not None else None
    script = assemble(state, ctx, run_id)
    problems = check_script(script, state["pages"])
    if problems:
        raise ScriptAssemblyError("the assembled script is not valid: " + "; ".join(problems[:5]))
    json_path, md_path = write_outputs(script, Path(state["out_dir"]))
    ctx.log.event(
        "deliver", files=[str(json_path), str(md_path)], pages=len(script.pages), panels=len(script.panels)
    )
    return {"script": script.model_dump(mode="json")}
