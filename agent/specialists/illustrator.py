"""The illustrate node: the artist, colorist and letterer turn the delivered script into the comic files.

It runs after `deliver` as its own checkpointed node, so a run that stops while drawing resumes here
without rewriting the script. Drawing is done by tools.render (storyboard, remix or diffusers art).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langgraph.runtime import Runtime

from agent.write.context import WriteContext
from agent.write.state import IllustrateOutput, WriteState
from tools.comic_script import IssueScript


def _catalogue_for(artist: str, ctx: WriteContext) -> Any:
    """The ingest catalogue when the artist reuses ingested panels (remix), else None."""
    if artist != "remix":
        return None
    from tools.ingest.catalogue import Catalogue

    return Catalogue.open(ctx.settings)


def _shortener(ctx: WriteContext) -> Any:
    """The voice writer shortens a line the letterer cannot fit (it declines on any model failure)."""
    from tools.render.shorten import writer_shortener

    return writer_shortener(ctx.llm("voice"))


def illustrate(state: WriteState, runtime: Runtime[WriteContext]) -> IllustrateOutput:
    """Draw, colour and letter every page; write pages/*.png, issue.cbz, issue.pdf and index.html."""
    from memory.retrieval import art_lookups
    from tools.render import render_issue

    ctx = runtime.context
    options = state.get("render") or {}
    if not options.get("enabled", True):
        ctx.log.event("render", status="skipped", reason="--no-render")
        return {}
    artist = str(options.get("artist") or ctx.settings.model_for("artist"))
    result = render_issue(
        IssueScript.model_validate(state["script"]),
        Path(state["out_dir"]),
        color=bool(options.get("color", True)),
        artist=artist,
        dpi=int(options.get("dpi", 150)),
        seed=state.get("seed", 0),
        catalogue=_catalogue_for(artist, ctx),
        **art_lookups(ctx.store),
        profile=ctx.profile,
        shorten=_shortener(ctx),
        beat_model=ctx.llm(
            "director"
        ),  # asked only about beats the rules cannot read; bad answers are ignored
    )
    files = {"cbz": str(result.cbz), "pdf": str(result.pdf), "html": str(result.html)}
    ctx.log.event("render", artist=artist, pages=len(result.pages), **files)
    return {"rendered": {**files, "pages": [str(p) for p in result.pages]}}
