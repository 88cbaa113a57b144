"""`write_issue`: one resumable run of the story graph, checkpointed in NUVOLA_HOME/runs/<run_id>/.

Checkpoints are written with durability="sync": each finished node is on disk before the next starts, so
a run killed at any point resumes at the node it was in (with "async" a killed node could be lost and
the run would redo it).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseLLM
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.types import Command

from agent.context import open_memory
from agent.runlog import RunLog
from agent.runs import RunExistsError, RunInterrupted, RunNotFoundError, RunPaths, new_run_id
from agent.write.context import WRITER_ROLES, WriteContext
from agent.write.graph import build_graph
from tools.atomic import write_text_atomic
from tools.comic_script import IssueScript
from tools.errors import NuvolaError
from tools.series.profile import load_profile
from tools.settings import Settings, load_settings

RECURSION_LIMIT = 10_000
StepCallback = Callable[[str, dict[str, Any]], None]
AskCallback = Callable[[dict[str, Any]], str]


@contextmanager
def open_graph(paths: RunPaths) -> Iterator[Any]:
    """The story graph bound to the run's SQLite checkpoints."""
    paths.root.mkdir(parents=True, exist_ok=True)
    with SqliteSaver.from_conn_string(str(paths.checkpoints)) as saver:
        yield build_graph(saver)


def _request(
    plot: str,
    pages: int,
    out_dir: Path,
    cast: list[str] | None,
    seed: int,
    constraints: list[str],
    render: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "storyline": plot,
        "pages": pages,
        "out_dir": str(Path(out_dir).resolve()),
        "cast": list(cast or []),
        "seed": seed,
        "constraints": list(constraints),
        "render": dict(render or {}),
    }


def warm_up(ctx: WriteContext, storyline: str) -> None:
    """Load each writing model and the lexicon once before the graph runs, so loading is timed on its own."""
    start = time.perf_counter()
    ctx.vocabulary(" ".join(storyline.split()))
    ctx.log.event("lexicon_load", seconds=round(time.perf_counter() - start, 4))
    seen: set[int] = set()
    for role in WRITER_ROLES:
        llm = ctx.llm(role)
        if id(llm) in seen or not hasattr(type(llm), "client"):
            continue
        seen.add(id(llm))
        start = time.perf_counter()
        _ = getattr(llm, "client")  # noqa: B009 - loads the model (a property of llama.cpp models)
        ctx.log.event(
            "model_load", role=role, model=ctx.model_name(role), seconds=round(time.perf_counter() - start, 4)
        )


def write_issue(
    plot: str | None,
    pages: int | None,
    out_dir: Path | str | None,
    cast: list[str] | None = None,
    seed: int = 0,
    settings: Settings | None = None,
    run_id: str | None = None,
    resume: bool = False,
    *,
    constraints: list[str] | None = None,
    interactive: bool = False,
    ask: AskCallback | None = None,
    models: dict[str, BaseLLM] | None = None,
    strict: bool = False,
    on_step: StepCallback | None = None,
    render: dict[str, Any] | None = None,
) -> IssueScript:
    """Write (or, with resume=True, finish) an issue; returns the IssueScript also saved as script.json/.md.

    `render` holds the drawing options of the illustrate node (enabled, color, artist, dpi); by default the
    pages are drawn with the configured artist, coloured, lettered and delivered as CBZ, PDF and HTML.
    """
    settings = settings or load_settings()
    if resume:
        if not run_id:
            raise RunNotFoundError("--resume needs the id of the run to continue")
        paths = RunPaths.of(settings, run_id)
        if not paths.checkpoints.is_file():
            raise RunNotFoundError(f"no run {run_id!r} under {settings.home / 'runs'}")
        request = json.loads(paths.request.read_text(encoding="utf-8"))
        if out_dir is not None:
            request["out_dir"] = str(Path(out_dir).resolve())
    else:
        if not plot or pages is None or out_dir is None:
            raise NuvolaError("a new run needs --plot, --pages and --out")
        run_id = run_id or new_run_id()
        paths = RunPaths.of(settings, run_id)
        if paths.root.exists():
            raise RunExistsError(f"run {run_id!r} already exists: resume it with --resume {run_id}")
        request = _request(plot, pages, Path(out_dir), cast, seed, constraints or [], render)
        paths.root.mkdir(parents=True)
        write_text_atomic(
            paths.request, json.dumps({**request, "run_id": run_id}, ensure_ascii=False, indent=2)
        )
    log = RunLog(paths.run_log)
    log.set_stage("setup")
    log.event("run_resume" if resume else "run_start", run_id=run_id)
    ctx = WriteContext(
        settings=settings,
        profile=load_profile(settings.series),
        store=open_memory(settings, log),
        log=log,
        interactive=interactive,
        models=dict(models or {}),
        strict=strict,
    )
    warm_up(ctx, request["storyline"])
    return _run_graph(paths, run_id, request, ctx, resume, ask, on_step)


def _run_graph(
    paths: RunPaths,
    run_id: str,
    request: dict[str, Any],
    ctx: WriteContext,
    resume: bool,
    ask: AskCallback | None,
    on_step: StepCallback | None,
) -> IssueScript:
    config: RunnableConfig = {"configurable": {"thread_id": run_id}, "recursion_limit": RECURSION_LIMIT}
    with open_graph(paths) as graph:
        snapshot = graph.get_state(config)
        payload: Any = request if not resume or not snapshot.values else None
        if resume and snapshot.values and request["out_dir"] != snapshot.values.get("out_dir"):
            graph.update_state(config, {"out_dir": request["out_dir"]})
        while payload is not None or _pending(graph, config):
            question = None
            for chunk in graph.stream(payload, config, context=ctx, durability="sync", stream_mode="updates"):
                for node, update in chunk.items():
                    if node == "__interrupt__":
                        question = update[0].value
                    elif on_step is not None:
                        on_step(node, update or {})
            if question is None:
                break
            if ask is None:
                raise RunInterrupted(
                    f"the run stopped on a question it cannot ask here: {question.get('question')}"
                )
            payload = Command(resume=ask(question))
        values = graph.get_state(config).values
    ctx.log.set_stage("setup")
    ctx.log.event("run_end", run_id=run_id)
    if "script" not in values:
        raise NuvolaError(f"run {run_id} ended without a script; resume it with --resume {run_id}")
    script = IssueScript.model_validate(values["script"])
    if resume and not snapshot.next:  # finished before: deliver again where asked
        from agent.write.deliver import write_outputs

        write_outputs(script, Path(request["out_dir"]))
    return script


def _pending(graph: Any, config: RunnableConfig) -> bool:
    """True when the checkpointed run still has nodes to run (a resumed, unfinished run)."""
    return bool(graph.get_state(config).next)
