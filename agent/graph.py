"""The story graph: prepare -> coordinator <-> {outline, review, narrate, direct, voice} -> deliver -> illustrate.

The coordinator loops over the scenes (narrate, direct, voice for each); every specialist node is logged
(start, end, seconds, the model and tool calls it made) under a key such as `narrate:2`, which is what the
kill/resume test reads to prove that finished nodes are not redone.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from agent.context import WriteContext
from agent.coordinator import coordinator, prepare, review
from agent.deliver import deliver
from agent.director import direct
from agent.illustrate import illustrate
from agent.narrator import narrate, outline
from agent.state import WriteInput, WriteState
from agent.voice import voice

Node = Callable[[WriteState, Runtime[WriteContext]], dict[str, Any]]
SPECIALISTS: dict[str, Node] = {
    "outline": outline,
    "review": review,
    "narrate": narrate,
    "direct": direct,
    "voice": voice,
}


def stage_key(name: str, state: WriteState) -> str:
    """The run-log key of a node run: per-scene nodes carry the scene, the outline its revision."""
    if name in ("narrate", "direct", "voice"):
        return f"{name}:{state['current_scene']}"
    if name in ("outline", "review"):
        return f"{name}#{state.get('outline_reviews', 0)}"
    return name


def logged(name: str, node: Node) -> Any:
    """Wrap a node so its start, end and the events it recorded reach the run log and the state.

    (Typed Any: LangGraph's node protocols do not cover a plain (state, runtime) callable.)
    """

    @functools.wraps(node)
    def run(state: WriteState, runtime: Runtime[WriteContext]) -> dict[str, Any]:
        log = runtime.context.log
        log.set_stage(stage_key(name, state))
        log.event("node_start", node=name)
        start = time.perf_counter()
        update = node(state, runtime)
        log.event("node_end", node=name, seconds=round(time.perf_counter() - start, 4))
        return {**update, "run_log": log.drain()}

    return run


def build_graph(
    checkpointer: BaseCheckpointSaver | None = None,
) -> CompiledStateGraph[WriteState, WriteContext, WriteInput, WriteState]:
    """The compiled story graph; pass a checkpointer to make runs resumable."""
    builder = StateGraph(WriteState, context_schema=WriteContext, input_schema=WriteInput)
    builder.add_node("prepare", logged("prepare", prepare))
    builder.add_node("coordinator", coordinator, destinations=(*SPECIALISTS, "deliver"))
    for name, node in SPECIALISTS.items():
        builder.add_node(name, logged(name, node))
        builder.add_edge(name, "coordinator")
    builder.add_node("deliver", logged("deliver", deliver))
    builder.add_node("illustrate", logged("illustrate", illustrate))
    builder.add_edge(START, "prepare")
    builder.add_edge("prepare", "coordinator")
    builder.add_edge("deliver", "illustrate")
    builder.add_edge("illustrate", END)
    return builder.compile(checkpointer=checkpointer)
