"""The run context every graph shares (never checkpointed): settings, models injected by role, the run log,
the series profile and the memory, handed to nodes through LangGraph's runtime context.

Nodes and tools get these handles injected instead of reaching for globals; a resumed run rebuilds the
context from the settings. agent.write.context and agent.read.context add what their route needs.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models import BaseLLM

from agent.runlog import RunLog
from tools.errors import NuvolaError
from tools.settings import Settings


@dataclass
class RunContext:
    """Handles for one run of a graph."""

    settings: Settings
    profile: Any = None
    """The series profile (tools.series.profile.SeriesProfile)."""
    store: Any | None = None
    """The memory store (memory.MemoryStore), or None when nothing has been remembered yet."""
    log: RunLog = field(default_factory=RunLog)
    models: dict[str, BaseLLM] = field(default_factory=dict)
    """Ready models by role or by model name; they win over the settings (tests, the chat session)."""

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

    def open_store(self) -> Any:
        """The memory store, opened on first use (reading fills it even when it does not exist yet)."""
        if self.store is None:
            from memory.store import MemoryStore

            self.store = MemoryStore.open(self.settings)
        return self.store


def derive_seed(base: int, *where: object) -> int:
    """A seed fixed by the run seed and the place in the story, so a resumed node writes the same thing."""
    key = "|".join(str(part) for part in where).encode("utf-8")
    return (base * 1_000_003 + zlib.crc32(key)) % 2_147_483_647


def open_memory(settings: Settings, log: RunLog | None = None) -> Any | None:
    """The memory store, or None when the embedded memory has never been written (nothing ingested yet)."""
    if settings.memory.mode == "embedded":
        folder = settings.memory_dir
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


def open_archives(settings: Settings, artist: str, warn: Callable[[str], None]) -> tuple[Any, Any]:
    """The catalogue (and the memory, when there is one) for the remix artist; (None, None) otherwise."""
    if not artist.startswith("remix"):
        return None, None
    from pathlib import Path

    from tools.ingest.catalogue import CATALOGUE_FILE, Catalogue

    home = Path(settings.home)
    if not (home / CATALOGUE_FILE).is_file():
        raise NuvolaError(
            f"the remix artist needs ingested comics, but {home / CATALOGUE_FILE} does not exist: "
            "run `nuvola ingest` first or use --artist storyboard"
        )
    catalogue = Catalogue.open(settings)
    store = None
    if settings.memory.mode == "server" or settings.memory_dir.is_dir():
        try:
            from memory.store import MemoryStore

            store = MemoryStore.open(settings)
        except NuvolaError as exc:
            warn(f"memory unavailable ({exc}); remixing from the catalogue alone")
    return catalogue, store
