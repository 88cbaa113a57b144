"""The session's story: one LangGraph thread of the story graph, checkpointed in the session's SQLite file.

The chat runs the graph to the next stop and hands the word back to the user: the coordinator's outline
question (a LangGraph interrupt, the graph's own human-in-the-loop step) and, with a static breakpoint
after the voice writer, the end of every scene. Every other move is LangGraph time travel on the same
thread: an edit is `update_state` on the checkpoint the user is looking at (the *head*), a rewrite forks
from the checkpoint before the scene's first node, and /undo moves the head back to an earlier checkpoint
(the next run forks from there).

StoryThread is the chat's one way into the graph (start, answer, advance, set_pages, rewrite_scene,
rewrite_dialogue, edit_outline, edit_dialogue, restore): the only code that names the graph's nodes.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any, Literal

from langchain_core.runnables import RunnableConfig
from langgraph.types import Command, StateSnapshot

from agent.chat.sessions import SessionPaths
from agent.runs import RunPaths
from agent.write.context import WriteContext
from agent.write.coordinator import next_step
from agent.write.run import RECURSION_LIMIT, open_graph
from tools.comic_script import IssueScript
from tools.errors import NuvolaError

StageKind = Literal["new", "outline", "scene", "stopped", "done"]
StepCallback = Callable[[str, dict[str, Any]], None]
SCENE_BREAK = ["voice"]
"""Static breakpoint: the graph stops after the voice writer, i.e. at the end of every scene."""


@dataclass
class Stage:
    """Where the story stands for the user."""

    kind: StageKind
    question: dict[str, Any] = field(default_factory=dict)
    """The coordinator's pending question (outline stage)."""
    written: list[int] = field(default_factory=list)
    """Indexes of the scenes whose dialogue is written, in order."""
    scenes: int = 0
    next_step: str = ""


def stage_of(snapshot: StateSnapshot | None) -> Stage:
    """The stage of a checkpoint: a pending question, a scene boundary, a finished issue, or a stop."""
    if snapshot is None or not snapshot.values:
        return Stage("new")
    values = snapshot.values
    written = written_scenes(values)
    scenes = len(values.get("outline") or [])
    questions = [i.value for task in snapshot.tasks for i in task.interrupts]
    if questions:
        return Stage("outline", question=questions[0], written=written, scenes=scenes)
    if not snapshot.next:
        return Stage("done" if "script" in values else "stopped", written=written, scenes=scenes)
    step, _ = next_step(values, interactive=True)  # type: ignore[arg-type]
    boundary = bool(written) and step in ("narrate", "deliver")
    return Stage("scene" if boundary else "stopped", written=written, scenes=scenes, next_step=step)


def written_scenes(values: dict[str, Any]) -> list[int]:
    """Scenes of the outline with their dialogue written (a prefix: scenes are written in order)."""
    dialogue = values.get("scene_dialogue") or {}
    done = []
    for scene in values.get("outline") or []:
        if str(scene["index"]) not in dialogue:
            break
        done.append(scene["index"])
    return done


def written_pages(values: dict[str, Any]) -> list[dict[str, Any]]:
    """PagePlan dumps of the written scenes, in page order."""
    dialogue = values.get("scene_dialogue") or {}
    return [page for i in written_scenes(values) for page in dialogue[str(i)]["pages"]]


def partial_script(values: dict[str, Any], ctx: WriteContext, run_id: str) -> IssueScript | None:
    """The IssueScript of the scenes written so far (None before the first scene is written)."""
    from agent.write.deliver import assemble

    done = written_scenes(values)
    if not done:
        return None
    outline = [s for s in values["outline"] if s["index"] in done]
    return assemble({**values, "outline": outline}, ctx, run_id)  # type: ignore[typeddict-item]


class StoryThread:
    """The graph bound to the session's checkpoints, and the checkpoint the user is at (`head`)."""

    def __init__(self, paths: SessionPaths, head: str | None = None):
        self.thread_id = paths.id
        self.head = head
        self._stack = ExitStack()
        self.graph = self._stack.enter_context(open_graph(RunPaths(paths.root)))

    def close(self) -> None:
        self._stack.close()

    def config(self, checkpoint_id: str | None = None) -> RunnableConfig:
        configurable: dict[str, Any] = {"thread_id": self.thread_id, "checkpoint_ns": ""}
        if checkpoint_id:
            configurable["checkpoint_id"] = checkpoint_id
        return {"configurable": configurable, "recursion_limit": RECURSION_LIMIT}

    def latest_id(self) -> str | None:
        snapshot = self.graph.get_state(self.config())
        return snapshot.config["configurable"].get("checkpoint_id") if snapshot.values else None

    def snapshot(self, checkpoint_id: str | None = None) -> StateSnapshot | None:
        snapshot = self.graph.get_state(self.config(checkpoint_id or self.head))
        return snapshot if snapshot.values else None

    @property
    def values(self) -> dict[str, Any]:
        snapshot = self.snapshot()
        return dict(snapshot.values) if snapshot else {}

    def stage(self) -> Stage:
        return stage_of(self.snapshot())

    def run(
        self, payload: Any, ctx: WriteContext, *, pause: bool = True, on_step: StepCallback | None = None
    ) -> None:
        """Stream the graph from the head to its next stop; the head follows every checkpoint written, so a
        Ctrl-C (KeyboardInterrupt) leaves it on the last finished node."""
        before = self.latest_id()
        try:
            for chunk in self.graph.stream(
                payload,
                self.config(self.head),
                context=ctx,
                durability="sync",
                stream_mode="updates",
                interrupt_after=SCENE_BREAK if pause else None,
            ):
                for node, update in chunk.items():
                    if node != "__interrupt__" and on_step is not None:
                        on_step(node, update or {})
        finally:
            after = self.latest_id()
            if after != before:
                self.head = after

    def start(self, request: dict[str, Any], ctx: WriteContext, on_step: StepCallback | None = None) -> None:
        self.head = None
        self.run(request, ctx, on_step=on_step)

    def answer(
        self, text: str, ctx: WriteContext, *, pause: bool = True, on_step: StepCallback | None = None
    ) -> None:
        """Answer the coordinator's pending question (a LangGraph interrupt) and run to the next stop."""
        self.run(Command(resume=text), ctx, pause=pause, on_step=on_step)

    def advance(
        self, ctx: WriteContext, *, to_end: bool = False, on_step: StepCallback | None = None
    ) -> None:
        """Go on from a scene boundary or a stop: to the next scene's end, or (to_end) to the delivery."""
        self.run(None, ctx, pause=not to_end, on_step=on_step)

    # ---- the moves of the chat: the only code that names the story graph's nodes --------------------
    def set_pages(self, pages: int, ctx: WriteContext, on_step: StepCallback | None = None) -> None:
        """Write the outline again at `pages` pages (as if the request had asked for them)."""
        self.update({"pages": pages, "outline": []}, as_node="prepare")
        self.run(None, ctx, on_step=on_step)

    def rewrite_scene(
        self, scene: int, changes: dict[str, Any], ctx: WriteContext, on_step: StepCallback | None = None
    ) -> None:
        """Write scene `scene` again from its beats on, with `changes` (seed, constraints) to the state."""
        self._rewrite("narrate", "narrate", scene, changes, ctx, on_step)

    def rewrite_dialogue(
        self, scene: int, changes: dict[str, Any], ctx: WriteContext, on_step: StepCallback | None = None
    ) -> None:
        """Write only the balloons of scene `scene` again (its pages and panels stay), with `changes`."""
        self._rewrite("voice", "direct", scene, changes, ctx, on_step)

    def _rewrite(
        self,
        node: str,
        as_node: str,
        scene: int,
        changes: dict[str, Any],
        ctx: WriteContext,
        on_step: StepCallback | None,
    ) -> None:
        if not self.fork_before(node, scene):
            raise NuvolaError(f"scene {scene + 1} has no checkpoint to start again from")
        self.update(changes, as_node=as_node)
        self.run(None, ctx, on_step=on_step)

    def edit_outline(
        self, outline: dict[str, Any], ctx: WriteContext, on_step: StepCallback | None = None
    ) -> None:
        """Put the user's outline (title, outline, cast, pages) in the narrator's place and run on."""
        self.update(outline, as_node="outline")
        self.run(None, ctx, on_step=on_step)

    def edit_dialogue(
        self, scene_dialogue: dict[str, Any], ctx: WriteContext, on_step: StepCallback | None = None
    ) -> None:
        """Put the user's balloons in the voice writer's place; a delivered issue is delivered again."""
        delivered = self.stage().kind == "done"
        self.update({"scene_dialogue": scene_dialogue}, as_node="voice")
        if delivered:
            self.run(None, ctx, pause=False, on_step=on_step)

    def update(self, values: dict[str, Any], as_node: str) -> None:
        """Write `values` as if `as_node` had returned them: a new checkpoint after the head becomes the head.
        `as_node` must be a specialist (its edge leads back to the coordinator, which routes from the state)."""
        config = self.graph.update_state(self.config(self.head), values, as_node=as_node)
        self.head = config["configurable"]["checkpoint_id"]

    def fork_before(self, node: str, scene: int) -> bool:
        """Move the head to the checkpoint just before `node` ran for `scene` (False when there is none)."""
        snapshot = self.snapshot()
        while snapshot is not None:
            if snapshot.next == (node,) and snapshot.values.get("current_scene") == scene:
                parent = snapshot.parent_config
                if parent is None:
                    return False
                self.head = parent["configurable"]["checkpoint_id"]
                return True
            parent = snapshot.parent_config
            snapshot = self.graph.get_state(parent) if parent else None
        return False

    def restore(self, checkpoint_id: str, ctx: WriteContext, on_step: StepCallback | None = None) -> None:
        """Make an earlier checkpoint the head. A pending question is asked afresh from the checkpoint before
        it (an interrupt that was once answered would replay its old answer)."""
        snapshot = self.snapshot(checkpoint_id)
        if snapshot is None:
            self.head = None
            return
        pending = any(task.interrupts for task in snapshot.tasks)
        if pending and snapshot.parent_config is not None:
            self.head = snapshot.parent_config["configurable"]["checkpoint_id"]
            self.run(None, ctx, on_step=on_step)
        else:
            self.head = checkpoint_id
