"""`read_paths`: one resumable run of the reading route, checkpointed in NUVOLA_HOME/runs/<run_id>/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.sqlite import SqliteSaver

from agent.read.context import ReadContext
from agent.read.graph import build_reader_graph
from agent.runlog import RunLog
from agent.runs import RunNotFoundError, RunPaths, new_run_id
from tools.errors import NuvolaError
from tools.settings import Settings


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
    models: dict[str, Any] | None = None,
    scale: Any = None,
    progress: Any = None,
) -> dict[str, Any]:
    """Run (or resume) the reading route; returns the final state (volumes, ingest figures, per-stage figures).

    `models` holds ready models by role (`ocr`: an OcrEngine, `speakers`, `narrator`: completion models);
    the roles not given are built from the settings. With `scale` (tools.ingest.distributed.ScaleOptions)
    pages are read and transcribed by Ray tasks."""
    run_id = run_id or new_run_id()
    paths_ = RunPaths.of(settings, run_id)
    if resume and not paths_.checkpoints.is_file():
        raise RunNotFoundError(f"no run {run_id!r} under {settings.home / 'runs'}")
    paths_.root.mkdir(parents=True, exist_ok=True)
    log = RunLog(paths_.run_log)
    log.set_stage("setup")
    log.event("run_resume" if resume else "run_start", run_id=run_id, route="read")
    ctx = ReadContext(settings=settings, log=log, models=dict(models or {}), scale=scale, progress=progress)
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
