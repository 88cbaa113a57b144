"""The narrator model's part in reconstruction: scene-break verdicts and summaries, few-shot and short.

Every answer is parsed and validated; when the model cannot produce a usable one, the caller falls back
to rules (scene breaks) or to extractive summaries, and the record says which source it came from.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from langchain_core.language_models import BaseLLM

from prompts import render
from tools.errors import StructuredOutputError
from tools.models import generate_parsed
from tools.story.model import StoryLine, StoryScene
from tools.story.text import words

TRANSCRIPT_CHARS = 700
_YES = {"si", "sì", "sí", "yes"}
T = TypeVar("T")


def transcript(lines: list[StoryLine], limit: int = TRANSCRIPT_CHARS) -> str:
    """`AL FORTE. TEX: Sella i cavalli. CARSON: ...`, cut at a line boundary near `limit` characters."""
    parts: list[str] = []
    size = 0
    for line in lines:
        part = f"{line.speaker.upper()}: {line.text}" if line.speaker else line.text
        if parts and size + len(part) > limit:
            break
        parts.append(part)
        size += len(part) + 1
    return " ".join(parts)


def parse_verdict(text: str) -> bool:
    """`SÌ` / `NO` (first word of the answer); ValueError on anything else."""
    first = words(text)[:1]
    if not first or first[0] not in _YES | {"no"}:
        raise ValueError(f"expected SÌ or NO, got {text[:40]!r}")
    return first[0] in _YES


def parse_sentence(text: str, min_words: int = 4, max_words: int = 70) -> str:
    """The first line of an answer as one clean sentence or two; ValueError when it is not usable."""
    line = text.strip().splitlines()[0].strip(" \"'«»") if text.strip() else ""
    count = len(words(line))
    if count < min_words or count > max_words:
        raise ValueError(f"a summary of {count} words (wanted {min_words}-{max_words})")
    if re.search(r"\b(Scena|Scene|Riassunto|Trama|Prima|Dopo)\s*:", line):
        raise ValueError("the answer repeats the prompt's labels")
    if re.search(r"\b[A-ZÀ-Ý][A-ZÀ-Ý ]{1,30}:", line) or "«" in line:
        raise ValueError("the answer copies dialogue instead of summarising it")
    return line if line[-1] in ".!?…" else line + "."


class Narrator:
    """Wraps the narrator LLM for reconstruction; counts how often it was used and how often it failed."""

    def __init__(self, llm: BaseLLM, *, seed: int = 0, max_tokens: int = 70) -> None:
        self.llm = llm
        self.seed = seed
        self.max_tokens = max_tokens
        self.failures = 0

    def scene_break(self, before: list[StoryLine], after: list[StoryLine]) -> bool | None:
        prompt = render("memory/scene_break.j2", before=transcript(before, 300), after=transcript(after, 300))
        return self._ask(prompt, parse_verdict, max_tokens=4, what="scene-break verdict")

    def scene_summary(self, lines: list[StoryLine]) -> str | None:
        prompt = render("memory/scene_summary.j2", transcript=transcript(lines))
        return self._ask(prompt, parse_sentence, max_tokens=self.max_tokens, what="scene summary")

    def story_summary(self, scenes: list[StoryScene]) -> str | None:
        prompt = render("memory/story_summary.j2", summaries=[s.summary for s in scenes][:12])
        return self._ask(prompt, parse_sentence, max_tokens=self.max_tokens * 2, what="story summary")

    def _ask(self, prompt: str, parse: Callable[[str], T], *, max_tokens: int, what: str) -> T | None:
        try:
            return generate_parsed(
                self.llm,
                prompt,
                parse,
                retries=1,
                what=what,
                seed=self.seed,
                max_tokens=max_tokens,
                temperature=0.2,
                stop=["\n"],
            )
        except StructuredOutputError:
            self.failures += 1
            return None
