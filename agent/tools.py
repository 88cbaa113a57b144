"""The tools the writers use, as LangChain tools whose handles (memory store, profile) are injected.

The model-visible schema of each tool holds only story arguments (text, character names, counts); the
store and profile arrive as InjectedToolArg values from the run context, so no model ever sees or
garbles an id. `ToolBox.call` invokes a tool with the handles filled in and logs the call.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from langchain_core.tools import BaseTool, InjectedToolArg, tool

from agent.characters import card_for
from agent.write.context import WriteContext
from agent.write.layout import tier_patterns


def _hits(hits: Any) -> list[dict[str, Any]]:
    """MemoryHit models -> small dicts with text, kind and where it came from (no ids)."""
    out = []
    for hit in hits or []:
        reference = getattr(hit, "reference", "") or ""
        out.append({"text": str(hit.text), "kind": str(getattr(hit, "kind", "")), "from": str(reference)})
    return out


@tool
def similar_scenes(
    text: str, k: int = 3, store: Annotated[Any, InjectedToolArg] = None
) -> list[dict[str, Any]]:
    """Scenes remembered from the series that resemble `text` (empty when nothing is remembered)."""
    if store is None:
        return []
    from memory.retrieval import similar_scenes as retrieve

    return _hits(retrieve(store, text, k=k))


@tool
def character_lines(
    character: str,
    topic: str | None = None,
    k: int = 6,
    store: Annotated[Any, InjectedToolArg] = None,
    profile: Annotated[Any, InjectedToolArg] = None,
) -> list[dict[str, Any]]:
    """Lines the character said in remembered issues (nearest to `topic`), then the profile's samples."""
    lines: list[dict[str, Any]] = []
    if store is not None:
        from memory.retrieval import character_lines as retrieve

        lines = _hits(retrieve(store, character, topic=topic, k=k))
    card = card_for(profile, character)
    lines += [{"text": s, "kind": "sample", "from": "profile"} for s in card.sample_lines]
    return lines[: max(k, 1) + len(card.sample_lines)]


@tool
def character_sheet(
    name: str, store: Annotated[Any, InjectedToolArg] = None, profile: Annotated[Any, InjectedToolArg] = None
) -> dict[str, Any]:
    """Who the character is: traits, way of speaking, relations (from memory when it knows more)."""
    card = card_for(profile, name)
    sheet = {
        "name": card.name,
        "known": card.known,
        "traits": card.traits,
        "speech_habits": card.speech_habits,
        "relations": card.relations,
    }
    if store is not None and card.known:
        from memory.retrieval import character_sheet as retrieve

        remembered = retrieve(store, profile, card.name)
        sheet["remembered"] = remembered.text() if hasattr(remembered, "text") else str(remembered)
    return sheet


@tool
def panels_like(
    description: str,
    cast: list[str] | None = None,
    k: int = 4,
    store: Annotated[Any, InjectedToolArg] = None,
) -> list[dict[str, Any]]:
    """Remembered panels that look like `description` (shots and compositions to borrow)."""
    if store is None:
        return []
    from memory.retrieval import panels_like as retrieve

    return _hits(retrieve(store, description, cast=cast, k=k))


@tool
def layout_templates(panels: int) -> list[list[int]]:
    """Bonelli page layouts with this many panels: panels per tier, top to bottom (3 tiers, 1-3 each)."""
    return [list(p) for p in tier_patterns(panels)]


WRITER_TOOLS: dict[str, BaseTool] = {
    t.name: t for t in (similar_scenes, character_lines, character_sheet, panels_like, layout_templates)
}


def _properties(schema: Any) -> set[str]:
    """Argument names of a tool schema (a pydantic model class or a JSON schema dict)."""
    data = schema if isinstance(schema, dict) else schema.model_json_schema()
    return set(data.get("properties", {}))


class ToolBox:
    """Calls writer tools with the run's handles injected; every call lands in the run log."""

    def __init__(self, ctx: WriteContext, tools: dict[str, BaseTool] | None = None):
        self.ctx = ctx
        self.tools = tools or WRITER_TOOLS

    def handles(self) -> dict[str, Any]:
        return {"store": self.ctx.store, "profile": self.ctx.profile}

    def call(self, tool_name: str, /, **args: Any) -> Any:
        """Invoke a tool with model-visible `args`; injected handles are added here, not by the caller."""
        chosen, name = self.tools[tool_name], tool_name
        visible = _properties(chosen.tool_call_schema)
        unknown = set(args) - visible
        if unknown:
            raise TypeError(f"tool {name} has no argument(s) {sorted(unknown)}")
        accepted = _properties(chosen.get_input_schema())
        injected = {k: v for k, v in self.handles().items() if k in accepted and k not in visible}
        start = time.perf_counter()
        result = chosen.invoke({**args, **injected})
        size = len(result) if isinstance(result, list | dict) else 1
        self.ctx.log.event(
            "tool", tool=name, args=args, results=size, seconds=round(time.perf_counter() - start, 4)
        )
        return result
