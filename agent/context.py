"""Run configuration handed to every node through LangGraph's runtime context (never checkpointed).

It carries handles (settings, the series profile, the memory store, the run log, models) so nodes and
tools get them injected instead of reaching for globals; a resumed run rebuilds it from the settings.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models import BaseLLM

from agent.runlog import RunLog
from tools.settings import Settings

WRITER_ROLES = ("narrator", "director", "voice")


@dataclass
class WriteContext:
    """Handles for one write-issue run."""

    settings: Settings
    profile: Any
    """The series profile (memory.profile.SeriesProfile)."""
    store: Any | None = None
    """The memory store (memory.MemoryStore), or None when nothing has been remembered yet."""
    log: RunLog = field(default_factory=RunLog)
    interactive: bool = False
    """When true the coordinator may ask the user a question (a LangGraph interrupt)."""
    strict: bool = False
    """When true unusable model output fails the run instead of being replaced by a logged fallback."""
    models: dict[str, BaseLLM] = field(default_factory=dict)
    """Ready models by role or by model name; they win over the settings (tests, the chat session)."""
    _vocabularies: dict[str, Any] = field(default_factory=dict, repr=False)

    def vocabulary(self, storyline: str) -> Any:
        """The lexicon check for this story (agent.formats.Vocabulary), built once per run."""
        if storyline not in self._vocabularies:
            from agent.formats import story_vocabulary
            from agent.prompts import writer_data

            data = writer_data("examples")
            vocabulary = story_vocabulary(storyline, self.profile, data["genre_words"], data["anachronisms"])
            self._vocabularies[storyline] = vocabulary
        return self._vocabularies[storyline]

    def model_name(self, role: str) -> str:
        """The model name for `role`, with the role's LoRA adapter (e.g. the narrator's `style:<series>`)
        when one is registered for its base model."""
        from tools.models.adapters import model_for_role_with_adapter

        return model_for_role_with_adapter(self.settings, role)

    def llm(self, role: str) -> BaseLLM:
        """The completion model for `role` (an injected one first, else the configured name)."""
        if role in self.models:
            return self.models[role]
        return self.llm_named(self.model_name(role))

    def llm_named(self, name: str) -> BaseLLM:
        """The model for a model name (injected models under that name win)."""
        if name in self.models:
            return self.models[name]
        from tools.models import get_llm

        return get_llm(name)


def derive_seed(base: int, *where: object) -> int:
    """A seed fixed by the run seed and the place in the story, so a resumed node writes the same thing."""
    key = "|".join(str(part) for part in where).encode("utf-8")
    return (base * 1_000_003 + zlib.crc32(key)) % 2_147_483_647


def load_series_profile(name: str) -> Any:
    """The series profile (memory.profile.load_profile), imported when first needed."""
    from memory.profile import load_profile

    return load_profile(name)


def open_memory(settings: Settings, log: RunLog | None = None) -> Any | None:
    """The memory store, or None when the embedded memory has never been written (nothing ingested yet)."""
    if settings.memory.mode == "embedded":
        folder = settings.memory.path or settings.home / "memory"
        if not folder.is_dir() or not any(folder.iterdir()):
            if log is not None:
                log.event(
                    "memory", status="empty", detail=f"no memory at {folder}: writing from the profile alone"
                )
            return None
    from memory.store import MemoryStore

    store = MemoryStore.open(settings)
    if log is not None:
        log.event("memory", status="open", detail=settings.memory.mode)
    return store
