"""The reading route: ingest (pages, panels, balloons) -> transcriber (OCR, speakers) -> narrator
(reconstruction) -> memory, as one checkpointed graph so `nuvola read` (and the chat) can stop and resume it.

Each stage calls the plain libraries (tools.ingest, tools.ocr, tools.story, memory); the graph adds the
order, the per-volume loop, checkpoints and the run log. Every stage is resumable in itself too
(catalogued pages are skipped, transcribed balloons are not read again).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command

from agent.read.context import ReadContext
from agent.read.state import VOLUME_STAGES, IngestOutput, ReadInput, ReadState, ReadStep, RememberOutput
from agent.runs import logged
from agent.specialists.narrator import reconstruct
from agent.specialists.transcriber import ocr, speakers


def ingest(state: ReadState, runtime: Runtime[ReadContext]) -> IngestOutput:
    """Pages, panels and balloons of every path into the catalogue (bad files are reported, not fatal)."""
    from tools.ingest.ingest_paths import ingest_paths

    ctx = runtime.context
    paths = [Path(p) for p in state["paths"]]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        from tools.errors import InputFileError

        raise InputFileError(missing[0], "no such file or folder")
    with ctx.catalogue() as catalogue:
        if ctx.scale is None:
            summary = ctx.timed(
                "ingest_paths", lambda: ingest_paths(catalogue, paths, volume=state.get("volume"))
            )
        else:
            summary = ctx.timed("ingest_on_ray", lambda: _ingest_on_ray(catalogue, paths, state, ctx))
    figures = {
        "added": summary.added,
        "present": summary.present,
        "duplicates": summary.duplicates,
        "panels": summary.panels,
        "balloons": summary.balloons,
        "errors": summary.errors,
    }
    return {"volumes": list(dict.fromkeys(summary.volumes)), "ingest": figures}


def _ingest_on_ray(catalogue: Any, paths: list[Path], state: ReadState, ctx: ReadContext) -> Any:
    """Pages fan out as Ray tasks that also read the balloons (so the OCR stage finds them read)."""
    from tools.ingest.distributed import OcrTask, ingest_on_ray

    ocr_task = OcrTask(ctx.settings, state.get("engine"))
    return ingest_on_ray(
        catalogue, paths, state.get("volume"), scale=ctx.scale, ocr=ocr_task, progress=ctx.progress
    )


def remember(state: ReadState, runtime: Runtime[ReadContext]) -> RememberOutput:
    """Store the reconstructed story in the memory (replacing what an earlier reading stored)."""
    from memory.ingest import remember_story
    from tools.story.model import ReconstructedStory

    ctx, volume = runtime.context, state["current_volume"]
    if not state.get("story", {}).get(volume):
        return {"done": {f"remember:{volume}": {"skipped": "nothing reconstructed"}}}
    story = ReconstructedStory.model_validate(state["story"][volume])
    report = ctx.timed("remember_story", lambda: remember_story(ctx.open_store(), story))
    figures = {
        "stored": _count(report.upsert),
        "removed": report.removed,
        "failed": [str(e) for e in report.failed],
    }
    return {"done": {f"remember:{volume}": figures}, "story": {volume: {}}}


def _count(upsert: Any) -> Any:
    """The upsert report's figures as plain JSON (a dataclass or a pydantic model)."""
    from dataclasses import asdict, is_dataclass

    if is_dataclass(upsert) and not isinstance(upsert, type):
        return asdict(upsert)
    return upsert.model_dump(mode="json") if hasattr(upsert, "model_dump") else str(upsert)


def route(state: ReadState, runtime: Runtime[ReadContext]) -> Command[ReadStep]:
    """The next stage of the first volume that still has one; `finish` when every volume is remembered."""
    done = state.get("done", {})
    for volume in state.get("volumes", []):
        for stage in VOLUME_STAGES:
            if f"{stage}:{volume}" not in done:
                return Command(goto=cast(ReadStep, stage), update={"current_volume": volume})
    return Command(goto="finish")


def finish(state: ReadState, runtime: Runtime[ReadContext]) -> dict[str, Any]:
    """Nothing left to do: log the run's totals."""
    runtime.context.log.event("read_done", volumes=state.get("volumes", []))
    return {}


def stage_key(name: str, state: ReadState) -> str:
    """The run-log key of a node run: per-volume stages carry the volume."""
    return f"{name}:{state['current_volume']}" if name in VOLUME_STAGES else name


def build_reader_graph(
    checkpointer: BaseCheckpointSaver | None = None,
) -> CompiledStateGraph[ReadState, ReadContext, ReadInput, ReadState]:
    """ingest -> route <-> {ocr, speakers, reconstruct, remember} per volume -> finish."""
    builder = StateGraph(ReadState, context_schema=ReadContext, input_schema=ReadInput)
    builder.add_node("ingest", logged("ingest", ingest, stage_key))
    builder.add_node("route", route, destinations=(*VOLUME_STAGES, "finish"))
    for name, node in zip(VOLUME_STAGES, (ocr, speakers, reconstruct, remember), strict=True):
        builder.add_node(name, logged(name, node, stage_key))
        builder.add_edge(name, "route")
    builder.add_node("finish", logged("finish", finish, stage_key))
    builder.add_edge(START, "ingest")
    builder.add_edge("ingest", "route")
    builder.add_edge("finish", END)
    return builder.compile(checkpointer=checkpointer)
