"""The story graph: prepare -> coordinator <-> {outline, review, narrate, direct, voice} -> deliver -> illustrate.

The coordinator loops over the scenes (narrate, direct, voice for each); every specialist node is logged
(start, end, seconds, the model and tool calls it made) under a key such as `narrate:2`, which is what the
kill/resume test reads to prove that finished nodes are not redone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from agent.runs import logged
from agent.specialists.director import direct
from agent.specialists.illustrator import illustrate
from agent.specialists.narrator import narrate, outline
from agent.specialists.voice import voice
from agent.write.context import WriteContext
from agent.write.coordinator import coordinator, prepare, review
from agent.write.deliver import deliver
from agent.write.state import WriteInput, WriteState

Node = Callable[[WriteState, Runtime[WriteContext]], Mapping[str, Any]]
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


def build_graph(
    checkpointer: BaseCheckpointSaver | None = None,
) -> CompiledStateGraph[WriteState, WriteContext, WriteInput, WriteState]:
    """The compiled story graph; pass a checkpointer to make runs resumable."""
    builder = StateGraph(WriteState, context_schema=WriteContext, input_schema=WriteInput)
    builder.add_node("prepare", logged("prepare", prepare, stage_key))
    builder.add_node("coordinator", coordinator, destinations=(*SPECIALISTS, "deliver"))
    for name, node in SPECIALISTS.items():
        builder.add_node(name, logged(name, node, stage_key))
        builder.add_edge(name, "coordinator")
    builder.add_node("deliver", logged("deliver", deliver, stage_key))
    builder.add_node("illustrate", logged("illustrate", illustrate, stage_key))
    builder.add_edge(START, "prepare")
    builder.add_edge("prepare", "coordinator")
    builder.add_edge("deliver", "illustrate")
    builder.add_edge("illustrate", END)
    return builder.compile(checkpointer=checkpointer)
