"""Free conversation, only with a chat model the user configured: the embedded Gemma 270M is a base model
that writes garbage in free chat, so with it the session says plainly that a larger model is needed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from agent.chat.transcript import Turn
from prompts import render
from tools.models.llamacpp import PACKAGED_MODELS
from tools.models.spec import parse_model_name

MEMORY_HITS = 5
STORY_LINES = 12


def needs_larger_model(name: str) -> bool:
    """True for the packaged base models (they cannot chat), with or without a LoRA adapter."""
    spec = parse_model_name(name)
    return spec.backend == "llamacpp" and spec.target in (*PACKAGED_MODELS, "")


def story_facts(values: dict[str, Any]) -> dict[str, Any] | None:
    """The story as the system prompt shows it: title, storyline, cast, outline, the last lines written."""
    if not values.get("storyline"):
        return None
    lines = []
    for scene in (values.get("scene_dialogue") or {}).values():
        for page in scene["pages"]:
            for tier in page["tiers"]:
                for panel in tier["panels"]:
                    lines += [f"{b.get('speaker') or 'DIDASCALIA'}: {b['text']}" for b in panel["balloons"]]
    return {
        "title": values.get("title", ""),
        "storyline": values["storyline"],
        "cast": values.get("cast", []),
        "outline": values.get("outline") or [],
        "lines": lines[-STORY_LINES:],
    }


def memory_facts(store: Any, question: str) -> list[dict[str, str]]:
    """Memory records near the question, with their provenance (none without a memory)."""
    if store is None:
        return []
    from memory.retrieval import search

    return [{"text": h.text, "reference": h.reference} for h in search(store, question, k=MEMORY_HITS)]


def messages(
    question: str,
    history: list[Turn],
    *,
    series: str,
    lang: str,
    story: dict[str, Any] | None,
    memory: list[dict[str, str]],
) -> list[BaseMessage]:
    """System prompt, the recent conversation, then the question."""
    system = render("chat/system.j2", series=series, lang=lang, story=story, memory=memory)
    turns: list[BaseMessage] = [SystemMessage(system)]
    for turn in history:
        turns.append(HumanMessage(turn.text) if turn.role == "user" else AIMessage(turn.text))
    turns.append(HumanMessage(question))
    return turns


def stream_answer(model_name: str, turns: list[BaseMessage]) -> Iterator[str]:
    """The chat model's answer, piece by piece as it is generated."""
    from tools.models import get_chat_model

    model = get_chat_model(model_name)
    for chunk in model.stream(turns):
        text = chunk.content if isinstance(chunk.content, str) else ""
        if text:
            yield text
