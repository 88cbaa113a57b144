"""The reading route: ingest (pages, panels, balloons) -> OCR -> speakers -> reconstruction -> memory,
as one checkpointed graph so `nuvola read` (and the chat) can stop and resume it.

Each stage calls the plain libraries (tools.ingest, tools.ocr, tools.story, memory); the graph adds the
order, the per-volume loop, checkpoints and the run log. Every stage is resumable in itself too
(catalogued pages are skipped, transcribed balloons are not read again).
"""

from __future__ import annotations

import operator
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, TypedDict, cast

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command

from agent.runlog import RunLog
from agent.state import merge_by_key
from tools.errors import NuvolaError
from tools.settings import Settings

VOLUME_STAGES = ("ocr", "speakers", "reconstruct", "remember")
ReadStep = Literal["ocr", "speakers", "reconstruct", "remember", "finish"]


class ReadInput(TypedDict, total=False):
    """What `nuvola read` starts with."""

    paths: list[str]
    """Files and folders to read (images, CBZ/CBR/CB7, PDF)."""
    volume: str | None
    """Put everything into this volume (default: one volume per path)."""
    engine: str | None
    """OCR engine(s) (default: the `ocr` role)."""
    use_llm: bool
    """Let the narrator model segment and summarise when reconstructing."""


class ReadState(ReadInput, total=False):
    """A reading run: the volumes ingested and, per volume, the stages done and their figures."""

    volumes: list[str]
    """Volumes that received pages in this run, in order."""
    ingest: dict[str, Any]
    """Ingest figures: pages added/present/duplicates, panels, balloons, errors by file."""
    current_volume: str
    """The volume the next stage works on."""
    done: Annotated[dict[str, Any], merge_by_key]
    """Per "stage:volume", the stage's figures (balloons read, speakers, scenes, records...)."""
    story: Annotated[dict[str, Any], merge_by_key]
    """Per volume, the reconstructed story (tools.story ReconstructedStory dump) until it is remembered."""
    run_log: Annotated[list[dict[str, Any]], operator.add]
    """Events of finished nodes."""


@dataclass
class ReadContext:
    """Handles of a reading run (never checkpointed)."""

    settings: Settings
    log: RunLog = field(default_factory=RunLog)
    scale: Any = None
    """tools.ingest.distributed.ScaleOptions: read pages as Ray tasks (None: one process)."""
    progress: Any = None
    """tools.ingest.distributed.PageProgress: per-volume page progress of a run on Ray."""
    _store: Any = None

    @contextmanager
    def catalogue(self) -> Iterator[Any]:
        from tools.ingest.catalogue import Catalogue

        with Catalogue.open(self.settings) as catalogue:
            yield catalogue

    def store(self) -> Any:
        """The memory store, opened on first use."""
        if self._store is None:
            from memory.store import MemoryStore

            self._store = MemoryStore.open(self.settings)
        return self._store


def _timed(ctx: ReadContext, stage: str, call: Any) -> Any:
    """Run a library call, logging its seconds under the current stage."""
    start = time.perf_counter()
    result = call()
    ctx.log.event("library", call=stage, seconds=round(time.perf_counter() - start, 4))
    return result


def ingest(state: ReadState, runtime: Runtime[ReadContext]) -> dict[str, Any]:
    """Pages, panels and balloons of every path into the catalogue (bad files are reported, not fatal)."""
    from tools.ingest.pipeline import ingest_paths

    ctx = runtime.context
    paths = [Path(p) for p in state["paths"]]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        from tools.errors import InputFileError

        raise InputFileError(missing[0], "no such file or folder")
    with ctx.catalogue() as catalogue:
        if ctx.scale is None:
            summary = _timed(
                ctx, "ingest_paths", lambda: ingest_paths(catalogue, paths, volume=state.get("volume"))
            )
        else:
            summary = _timed(ctx, "ingest_on_ray", lambda: _ingest_on_ray(catalogue, paths, state, ctx))
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


def ocr(state: ReadState, runtime: Runtime[ReadContext]) -> dict[str, Any]:
    """Read the text of every balloon of the volume (balloons already read are skipped)."""
    return {"done": {f"ocr:{state['current_volume']}": _transcribe(state, runtime.context, speakers=False)}}


def speakers(state: ReadState, runtime: Runtime[ReadContext]) -> dict[str, Any]:
    """Attribute each speech balloon of the volume to a character."""
    return {
        "done": {f"speakers:{state['current_volume']}": _transcribe(state, runtime.context, speakers=True)}
    }


def _transcribe(state: ReadState, ctx: ReadContext, speakers: bool) -> dict[str, Any]:
    from tools.ocr.transcribe import transcribe_volume

    volume = state["current_volume"]
    with ctx.catalogue() as catalogue:
        progress = _timed(
            ctx,
            "transcribe_volume",
            lambda: transcribe_volume(
                catalogue, volume, ctx.settings, state.get("engine"), speakers=speakers
            ),
        )
    return {
        "pages": progress.pages,
        "read": progress.read,
        "skipped": progress.skipped,
        "errors": progress.errors,
    }


def reconstruct(state: ReadState, runtime: Runtime[ReadContext]) -> dict[str, Any]:
    """Rebuild the volume's story (scenes, lines, voices, panels) from its transcript."""
    from tools.story.reconstruct import NothingTranscribedError

    ctx, volume = runtime.context, state["current_volume"]
    try:
        story = _reconstructed(ctx, volume, state.get("use_llm", True))
    except NothingTranscribedError as exc:
        ctx.log.event("skipped", volume=volume, reason=str(exc))
        return {"done": {f"reconstruct:{volume}": {"skipped": str(exc)}}}
    figures = {"scenes": len(story.scenes), "lines": len(story.lines), "cast": story.cast}
    return {"story": {volume: story.model_dump(mode="json")}, "done": {f"reconstruct:{volume}": figures}}


def _reconstructed(ctx: ReadContext, volume: str, use_llm: bool) -> Any:
    from tools.story.reconstruct import reconstruct_volume

    with ctx.catalogue() as catalogue:
        return _timed(
            ctx,
            "reconstruct_volume",
            lambda: reconstruct_volume(catalogue, volume, ctx.settings, use_llm=use_llm),
        )


def remember(state: ReadState, runtime: Runtime[ReadContext]) -> dict[str, Any]:
    """Store the reconstructed story in the memory (replacing what an earlier reading stored)."""
    from memory.ingest import remember_story
    from tools.story.model import ReconstructedStory

    ctx, volume = runtime.context, state["current_volume"]
    if not state.get("story", {}).get(volume):
        return {"done": {f"remember:{volume}": {"skipped": "nothing reconstructed"}}}
    story = ReconstructedStory.model_validate(state["story"][volume])
    report = _timed(ctx, "remember_story", lambda: remember_story(ctx.store(), story))
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


def _logged(name: str, node: Any) -> Any:
    def run(state: ReadState, runtime: Runtime[ReadContext]) -> dict[str, Any]:
        log = runtime.context.log
        log.set_stage(f"{name}:{state['current_volume']}" if name in VOLUME_STAGES else name)
        log.event("node_start", node=name)
        start = time.perf_counter()
        update = node(state, runtime)
        log.event("node_end", node=name, seconds=round(time.perf_counter() - start, 4))
        return {**update, "run_log": log.drain()}

    run.__name__ = name
    return run


def build_reader_graph(
    checkpointer: BaseCheckpointSaver | None = None,
) -> CompiledStateGraph[ReadState, ReadContext, ReadInput, ReadState]:
    """ingest -> route <-> {ocr, speakers, reconstruct, remember} per volume -> finish."""
    builder = StateGraph(ReadState, context_schema=ReadContext, input_schema=ReadInput)
    builder.add_node("ingest", _logged("ingest", ingest))
    builder.add_node("route", route, destinations=(*VOLUME_STAGES, "finish"))
    for name, node in zip(VOLUME_STAGES, (ocr, speakers, reconstruct, remember), strict=True):
        builder.add_node(name, _logged(name, node))
        builder.add_edge(name, "route")
    builder.add_node("finish", _logged("finish", finish))
    builder.add_edge(START, "ingest")
    builder.add_edge("ingest", "route")
    builder.add_edge("finish", END)
    return builder.compile(checkpointer=checkpointer)


class NothingToReadError(NuvolaError):
    """`nuvola read` found no page it could read."""


def read_paths(
    paths: list[Path | str] | None,
    settings: Settings,
    *,
    volume: str | None = None,
    engine: str | None = None,
    use_llm: bool = True,
    run_id: str | None = None,
    resume: bool = False,
    on_step: Any = None,
    scale: Any = None,
    progress: Any = None,
) -> dict[str, Any]:
    """Run (or resume) the reading route; returns the final state (volumes, ingest figures, per-stage figures).

    With `scale` (tools.ingest.distributed.ScaleOptions) pages are read and transcribed by Ray tasks."""
    from agent.run import RunNotFoundError, RunPaths, new_run_id

    run_id = run_id or new_run_id()
    paths_ = RunPaths.of(settings, run_id)
    if resume and not paths_.checkpoints.is_file():
        raise RunNotFoundError(f"no run {run_id!r} under {settings.home / 'runs'}")
    paths_.root.mkdir(parents=True, exist_ok=True)
    log = RunLog(paths_.run_log)
    log.set_stage("setup")
    log.event("run_resume" if resume else "run_start", run_id=run_id, route="read")
    ctx = ReadContext(settings=settings, log=log, scale=scale, progress=progress)
    payload = (
        None
        if resume
        else {
            "paths": [str(Path(p).resolve()) for p in paths or []],
            "volume": volume,
            "engine": engine,
            "use_llm": use_llm,
        }
    )
    config: RunnableConfig = {"configurable": {"thread_id": run_id}, "recursion_limit": 10_000}
    with SqliteSaver.from_conn_string(str(paths_.checkpoints)) as saver:
        graph: Any = build_reader_graph(saver)  # Pregel.stream overloads do not carry the context type
        for chunk in graph.stream(payload, config, context=ctx, durability="sync", stream_mode="updates"):
            for node, update in chunk.items():
                if on_step is not None:
                    on_step(node, update or {})
        values = graph.get_state(config).values
    if not values.get("volumes"):
        errors = values.get("ingest", {}).get("errors", {})
        detail = "; ".join(f"{path}: {', '.join(causes)}" for path, causes in list(errors.items())[:3])
        raise NothingToReadError(f"no page could be read{': ' + detail if detail else ''}")
    return {**values, "run_id": run_id}
